package io.herald.fanout;

import static io.herald.TestGateway.ADMIN_KEY;
import static io.herald.TestGateway.token;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.TestGateway;
import io.herald.TestSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Two nodes on one schema with Redis fan-out: pushes reach a user's sockets on whichever node holds them, once. */
class RedisFanoutTest {
  @RegisterExtension
  static final TwoNodes NODES = new TwoNodes(null, new JsonObject());

  @Test
  void aNotificationIngestedOnOneNodeReachesTheUsersSocketsOnBothNodesOnce() {
    // GIVEN one socket of the user on each node
    TestSocket onA = NODES.a.socket(token("ann"));
    TestSocket onB = NODES.b.socket(token("ann"));
    onA.next("welcome");
    onB.next("welcome");
    // WHEN it is ingested on A, and another on B
    String first = NODES.a.notify("ann", "from A");
    String second = NODES.b.notify("ann", "from B");
    // THEN each socket gets both, once each, in order
    for (TestSocket s : new TestSocket[] {onA, onB}) {
      assertEquals(first, s.next("notification").getJsonObject("notification").getString("id"));
      assertEquals(second, s.next("notification").getJsonObject("notification").getString("id"));
      s.expectNone("notification", 500);
    }
    onA.close();
    onB.close();
  }

  @Test
  void readingOnOneDeviceUpdatesTheCountOnTheOtherNode() {
    TestSocket onA = NODES.a.socket(token("bob"));
    TestSocket onB = NODES.b.socket(token("bob"));
    onA.next("welcome");
    onB.next("welcome");
    String id = NODES.a.notify("bob", "read me");
    onB.next(f -> "unread".equals(f.getString("type")) && f.getInteger("count") == 1, 10_000, "unread 1 on B");
    // WHEN the device on A marks it read
    onA.send(new JsonObject().put("type", "read").put("ids", new JsonArray().add(id)));
    // THEN the device on B sees the count drop
    onB.next(f -> "unread".equals(f.getString("type")) && f.getInteger("count") == 0, 10_000, "unread 0 on B");
    // and a delete over HTTP on B reaches A the same way
    String other = NODES.b.notify("bob", "delete me");
    onA.next(f -> "unread".equals(f.getString("type")) && f.getInteger("count") == 1, 10_000, "unread 1 on A");
    assertEquals(200, NODES.b.request(io.vertx.core.http.HttpMethod.DELETE, "/v1/me/notifications/" + other, token("bob"), null).statusCode());
    onA.next(f -> "unread".equals(f.getString("type")) && f.getInteger("count") == 0, 10_000, "unread 0 on A after the delete");
    onA.close();
    onB.close();
  }

  @Test
  void aRoleBroadcastReachesHoldersOnEveryNodeOnceEvenWithSeveralOfItsRoles() {
    TestSocket opsOnA = NODES.a.socket(token("cat", "ops"));
    TestSocket bothOnB = NODES.b.socket(token("dan", "ops", "dev"));
    TestSocket otherOnB = NODES.b.socket(token("eve", "sales"));
    opsOnA.next("welcome");
    bothOnB.next("welcome");
    otherOnB.next("welcome");
    var r = NODES.a.post("/v1/broadcasts", ADMIN_KEY, new JsonObject().put("message", "deploy at noon").put("roles", new JsonArray().add("ops").add("dev")));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    assertEquals("deploy at noon", opsOnA.next("broadcast").getString("message"));
    assertEquals("deploy at noon", bothOnB.next("broadcast").getString("message"));
    bothOnB.expectNone("broadcast", 500);
    otherOnB.expectNone("broadcast", 200);
    // a broadcast to everyone from B reaches A as well
    assertEquals(202, NODES.b.post("/v1/broadcasts", ADMIN_KEY, new JsonObject().put("message", "hello all")).statusCode());
    assertEquals("hello all", opsOnA.next("broadcast").getString("message"));
    assertEquals("hello all", otherOnB.next("broadcast").getString("message"));
    opsOnA.close();
    bothOnB.close();
    otherOnB.close();
  }

  @Test
  void aNodeStopsListeningForAUserWhoseLastSocketClosed() {
    TestSocket s = NODES.b.socket(token("fay"));
    s.next("welcome");
    String channel = NODES.a.config().redis().prefix() + "u:fay";
    TestGateway.eventually(() -> subscribers(channel) == 1, "B to subscribe to fay's channel");
    s.close();
    TestGateway.eventually(() -> subscribers(channel) == 0, "B to unsubscribe from fay's channel after her last socket closed");
  }

  @Test
  void statsListBothNodesWithTheirSockets() {
    TestSocket s = NODES.b.socket(token("gus"));
    s.next("welcome");
    TestGateway.eventually(() -> {
      JsonObject stats = NODES.a.get("/v1/stats", ADMIN_KEY).bodyAsJsonObject();
      JsonArray nodes = stats.getJsonArray("nodes");
      return nodes.size() == 2 && nodes.stream().map(JsonObject.class::cast)
          .anyMatch(n -> n.getString("id").equals(NODES.b.gateway().nodeId()) && n.getInteger("sockets") == 1);
    }, "stats on A to show B with its socket");
    JsonObject stats = NODES.a.get("/v1/stats", ADMIN_KEY).bodyAsJsonObject();
    assertEquals(NODES.a.gateway().nodeId(), stats.getString("node"));
    JsonObject self = stats.getJsonArray("nodes").stream().map(JsonObject.class::cast).filter(n -> n.getBoolean("self")).findFirst()
        .orElseThrow();
    assertEquals("redis", self.getJsonObject("fanout").getString("mode"));
    assertEquals("up", self.getJsonObject("fanout").getString("redis"));
    assertEquals(403, NODES.a.get("/v1/stats", TestGateway.INGEST_KEY).statusCode());
    assertTrue(NODES.a.get("/v1/stats", null).statusCode() == 401);
    s.close();
  }

  /** How many clients are subscribed to {@code channel} on the shared Redis. */
  static long subscribers(String channel) {
    var redis = io.vertx.redis.client.Redis.createClient(NODES.a.client, "redis://127.0.0.1:6379");
    try {
      var r = TestGateway.await(redis.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.PUBSUB).arg("NUMSUB")
          .arg(channel)));
      return r.get(1).toLong();
    } finally {
      redis.close();
    }
  }
}
