package io.herald.fanout;

import static io.herald.TestGateway.ADMIN_KEY;
import static io.herald.TestGateway.token;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.herald.RedisServer;
import io.herald.TestGateway;
import io.herald.TestSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code redis.sharded}: the same fan-out over sharded pub/sub (SSUBSCRIBE/SPUBLISH) against a real Redis Cluster (one shard). */
class ShardedFanoutTest {
  @RegisterExtension
  static final TwoNodes NODES = new TwoNodes(() -> RedisServer.start(true), new JsonObject().put("sharded", true));

  @Test
  void notificationsAndBroadcastsCrossNodesOverShardedChannels() {
    TestSocket onB = NODES.b.socket(token("ivy", "ops"));
    onB.next("welcome");
    String id = NODES.a.notify("ivy", "sharded");
    assertEquals(id, onB.next("notification").getJsonObject("notification").getString("id"));
    assertEquals(202, NODES.a.post("/v1/broadcasts", ADMIN_KEY, new JsonObject().put("message", "m").put("roles", new JsonArray().add("ops")))
        .statusCode());
    assertEquals("m", onB.next("broadcast").getString("message"));
    onB.expectNone("notification", 300);
    // the channels really are shard channels
    String shardChannels = NODES.redis.cli("PUBSUB", "SHARDCHANNELS");
    org.junit.jupiter.api.Assertions.assertTrue(shardChannels.contains(NODES.a.config().redis().prefix() + "u:ivy"), shardChannels);
    onB.close();
  }
}
