package io.herald.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.StandIn;
import io.herald.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A node drained while a provider call hangs gives the delivery's lease back when its drain time
 * is up, so another node sends it at its next scan instead of after the lease (30 s here).
 */
class DrainTest {
  @Test
  void aSendStillRunningWhenTheDrainEndsIsReleasedForAnotherNode() {
    AtomicBoolean hang = new AtomicBoolean(true);
    try (StandIn hook = StandIn.start(r -> hang.get() ? StandIn.Answer.hang() : StandIn.Answer.status(200))) {
      JsonObject conf = new JsonObject()
          .put("http", new JsonObject().put("shutdownTimeoutSeconds", 1))
          .put("channels", new JsonObject().put("webhook", new JsonObject().put("enabled", true).put("url", hook.url() + "/in")
              .put("secret", "whsec_MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3Bx").put("timeoutSeconds", 20)))
          .put("retry", new JsonObject().put("scanIntervalSeconds", 1).put("pendingGraceSeconds", 1).put("leaseSeconds", 30));
      TestGateway a = TestGateway.start(conf);
      TestGateway b = null;
      try {
        var r = a.post("/v1/notifications", TestGateway.INGEST_KEY, new JsonObject().put("recipient", "dee").put("title", "drained")
            .put("channels", new JsonArray().add("webhook")));
        assertEquals(202, r.statusCode(), r.bodyAsString());
        String id = r.bodyAsJsonObject().getJsonArray("deliveries").getJsonObject(0).getString("id");
        TestGateway.eventually(() -> !hook.requests.isEmpty(), "the call to be in flight");
        String node = a.gateway().nodeId();
        // WHEN the node drains (SIGTERM does this) with the call still hanging
        a.stop();
        // THEN the lease it held has ended, though 30 s were granted
        assertEquals(1, a.count("SELECT count(*) FROM deliveries WHERE id = '" + id + "' AND status = 'sending' AND lease_owner = '"
            + node + "' AND lease_until <= now()"));
        // and another node sends it at once
        hang.set(false);
        b = a.peer(new JsonObject());
        long since = System.currentTimeMillis();
        TestGateway.eventually(() -> a.count("SELECT count(*) FROM deliveries WHERE id = '" + id + "' AND status = 'sent'") == 1,
            "the other node to send it", 15);
        assertTrue(System.currentTimeMillis() - since < 15_000);
        assertEquals(2, hook.requests.size(), "the hung call, then the other node's");
      } finally {
        if (b != null) {
          b.close();
        }
        a.close();
      }
    }
  }
}
