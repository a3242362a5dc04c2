package io.herald.fanout;

import static io.herald.TestGateway.ADMIN_KEY;
import static io.herald.TestGateway.token;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.herald.RedisServer;
import io.herald.TestGateway;
import io.herald.TestSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code redis.sharded}: the same fan-out over sharded pub/sub (SSUBSCRIBE/SPUBLISH) against a real Redis Cluster (one shard). */
class ShardedFanoutTest {
  static RedisServer redis;
  static TestGateway a;
  static TestGateway b;

  @BeforeAll
  static void start() {
    redis = RedisServer.start(true);
    a = TestGateway.start(new JsonObject().put("redis", new JsonObject().put("uri", redis.uri()).put("sharded", true)));
    b = a.peer(new JsonObject());
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[] {b, a, redis}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // closing the rest matters more
      }
    }
  }

  @Test
  void notificationsAndBroadcastsCrossNodesOverShardedChannels() {
    TestSocket onB = b.socket(token("ivy", "ops"));
    onB.next("welcome");
    String id = a.notify("ivy", "sharded");
    assertEquals(id, onB.next("notification").getJsonObject("notification").getString("id"));
    assertEquals(202, a.post("/v1/broadcasts", ADMIN_KEY, new JsonObject().put("message", "m").put("roles", new JsonArray().add("ops")))
        .statusCode());
    assertEquals("m", onB.next("broadcast").getString("message"));
    onB.expectNone("notification", 300);
    // the channels really are shard channels
    String shardChannels = redis.cli("PUBSUB", "SHARDCHANNELS");
    org.junit.jupiter.api.Assertions.assertTrue(shardChannels.contains(a.config().redis().prefix() + "u:ivy"), shardChannels);
    onB.close();
  }
}
