package io.herald.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.TestGateway;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code bench e2e --nodes A,B --cross-node} against two real nodes with Redis fan-out: every push crosses nodes and arrives. */
class CrossNodeE2eBenchTest {
  @Test
  void everyCrossNodePushArrivesAndIsTimed() {
    try (TestGateway a = TestGateway.start(new JsonObject().put("redis", new JsonObject().put("uri", "redis://127.0.0.1:6379")));
         TestGateway b = a.peer(new JsonObject())) {
      List<Target> nodes = List.of(target(a), target(b));
      E2eBench.Params p = new E2eBench.Params(nodes.get(0), 100, Duration.ofSeconds(2), Duration.ofMillis(500), 6, 0, List.of(), "xn-", 8,
          Duration.ofSeconds(10), nodes, true);
      Loops loops = TestGateway.await(Loops.of(a.client, 2));
      JsonObject report = TestGateway.await(E2eBench.run(loops, p)).json();
      assertEquals(6, report.getInteger("sockets_open"), report.encode());
      assertTrue(report.getLong("sent_ok") >= 150, report.encode());
      assertEquals(0, report.getLong("lost"), report.encode());
      assertEquals(report.getLong("sent_ok"), report.getLong("received"), report.encode());
      // the sockets of node A's users got them through B and the other way round: both nodes published to Redis
      for (TestGateway g : List.of(a, b)) {
        JsonObject fanout = g.get("/v1/stats", TestGateway.ADMIN_KEY).bodyAsJsonObject().getJsonArray("nodes").stream()
            .map(JsonObject.class::cast).filter(n -> n.getBoolean("self")).findFirst().orElseThrow().getJsonObject("fanout");
        assertEquals("redis", fanout.getString("mode"));
      }
    }
  }

  static Target target(TestGateway g) {
    return Target.parse("http://127.0.0.1:" + g.port, TestGateway.ADMIN_KEY, TestGateway.JWT_SECRET);
  }
}
