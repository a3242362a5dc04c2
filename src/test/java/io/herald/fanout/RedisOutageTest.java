package io.herald.fanout;

import static io.herald.TestGateway.token;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.herald.RedisServer;
import io.herald.TestGateway;
import io.herald.TestSocket;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Redis goes away and comes back (a private redis-server, killed and restarted): local pushes go
 * on, readiness stays up, and when Redis is back the sockets that stayed open on the other node
 * get what was ingested meanwhile, without the client asking.
 */
class RedisOutageTest {
  @RegisterExtension
  static final TwoNodes NODES = new TwoNodes(() -> RedisServer.start(false), new JsonObject());

  @Test
  void whatWasIngestedWhileRedisWasDownReachesTheOtherNodesSocketsWhenItIsBack() {
    TestSocket onA = NODES.a.socket(token("hal"));
    TestSocket onB = NODES.b.socket(token("hal"));
    onA.next("welcome");
    onB.next("welcome");
    String before = NODES.a.notify("hal", "before");
    assertEquals(before, onB.next("notification").getJsonObject("notification").getString("id"));
    onA.next("notification");

    NODES.redis.down();
    TestGateway.eventually(() -> "DOWN".equals(ready(NODES.a).getJsonObject("checks").getString("redis")), "A to notice Redis is down");
    // readiness stays up: this node still serves its sockets and the API
    assertEquals(200, NODES.a.get("/health/ready", null).statusCode());
    String during1 = NODES.a.notify("hal", "during 1");
    String during2 = NODES.a.notify("hal", "during 2");
    // the socket on the ingesting node still gets them at once
    assertEquals(during1, onA.next("notification").getJsonObject("notification").getString("id"));
    assertEquals(during2, onA.next("notification").getJsonObject("notification").getString("id"));

    NODES.redis.up();
    // THEN once both nodes are linked again, B's socket gets both, in order, without a resume
    assertEquals(during1, onB.next(f -> "notification".equals(f.getString("type")), 30_000, "during 1 on B")
        .getJsonObject("notification").getString("id"));
    assertEquals(during2, onB.next("notification").getJsonObject("notification").getString("id"));
    onB.next(f -> "unread".equals(f.getString("type")) && f.getInteger("count") == 3, 10_000, "the count of 3 on B");
    TestGateway.eventually(() -> "UP".equals(ready(NODES.b).getJsonObject("checks").getString("redis")), "B to report Redis up");
    // and live pushes cross nodes again
    String after = NODES.a.notify("hal", "after");
    assertEquals(after, onB.next("notification").getJsonObject("notification").getString("id"));
    onB.expectNone("notification", 300);
    onA.close();
    onB.close();
  }

  static JsonObject ready(TestGateway g) {
    return g.get("/health/ready", null).bodyAsJsonObject();
  }
}
