package io.herald.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code bench broadcast} against a real gateway: every socket gets every round, and the report says so. */
class BroadcastBenchTest {
  static TestGateway gw;

  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(new JsonObject(), g -> gw = g);

  @Test
  void everySocketGetsEveryRoundAndTheLastOneIsTimed() {
    Target target = Target.parse("http://127.0.0.1:" + gw.port, TestGateway.ADMIN_KEY, TestGateway.JWT_SECRET);
    BroadcastBench.Params p = new BroadcastBench.Params(target, 40, List.of(), 3, "bb-", 16, Duration.ofSeconds(10),
        Duration.ofSeconds(10));
    Loops loops = TestGateway.await(Loops.of(gw.client, 2));
    JsonObject report = TestGateway.await(BroadcastBench.run(loops, p)).json();
    assertEquals(40, report.getInteger("open"), report.encode());
    assertEquals(0, report.getInteger("missed"), report.encode());
    assertEquals(3, report.getJsonArray("last_socket_rounds_ms").size());
    assertTrue(report.getDouble("last_socket_ms") > 0, report.encode());
  }
}
