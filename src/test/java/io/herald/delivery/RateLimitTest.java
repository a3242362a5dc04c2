package io.herald.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.PerClassGateway;
import io.herald.StandIn;
import io.herald.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code channels.webhook.ratePerSecond}: a burst of deliveries reaches the provider no faster than allowed, and all of it does. */
class RateLimitTest {
  static final StandIn HOOK = StandIn.start(r -> StandIn.Answer.status(200));
  static TestGateway gw;

  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(new JsonObject()
      .put("channels", new JsonObject().put("webhook", new JsonObject().put("enabled", true).put("url", HOOK.url() + "/in")
          .put("secret", "whsec_MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3Bx").put("ratePerSecond", 5).put("timeoutSeconds", 2))), g -> gw = g);

  @AfterAll
  static void close() {
    HOOK.close();
  }

  @Test
  void aBurstIsSpreadAtTheConfiguredRate() {
    List<String> users = java.util.stream.IntStream.range(0, 15).mapToObj(i -> "rate-" + i).toList();
    var r = gw.post("/v1/notifications", TestGateway.INGEST_KEY, new JsonObject().put("recipients", new JsonArray(users))
        .put("title", "burst").put("channels", new JsonArray().add("webhook")));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    TestGateway.eventually(() -> HOOK.requests.size() >= 15, "all 15 webhooks delivered");
    long first = HOOK.requests.get(0).receivedAtMillis();
    long last = HOOK.requests.get(14).receivedAtMillis();
    // 5 may go at once (the burst), the other 10 at 5 a second: at least ~2 s from first to last
    assertTrue(last - first >= 1800, "15 deliveries at 5/s took only " + (last - first) + " ms");
    assertEquals(15, gw.count("SELECT count(*) FROM deliveries WHERE status = 'sent'"));
  }
}
