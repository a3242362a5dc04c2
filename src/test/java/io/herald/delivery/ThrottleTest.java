package io.herald.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.herald.PerClassGateway;
import io.herald.StandIn;
import io.herald.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code throttle}: at most N external deliveries per recipient and category per window; the rest cancelled as throttled. */
class ThrottleTest {
  static final StandIn PROVIDER = StandIn.start(r -> StandIn.Answer.json(201, "{\"sid\":\"SM1\"}"));
  static TestGateway gw;

  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(new JsonObject()
      .put("channels", new JsonObject()
          .put("webhook", new JsonObject().put("enabled", true).put("url", PROVIDER.url() + "/hook")
              .put("secret", "whsec_MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3Bx"))
          .put("sms", new JsonObject().put("enabled", true).put("baseUrl", PROVIDER.url()).put("accountSid", "AC1").put("authToken", "t")
              .put("from", "+15550000000")))
      .put("throttle", new JsonObject().put("maxPerWindow", 2).put("window", "1h")), g -> gw = g);

  @AfterAll
  static void close() {
    PROVIDER.close();
  }

  private static List<String> statuses(JsonObject answer) {
    return answer.getJsonArray("deliveries").stream().map(d -> ((JsonObject) d).getString("status")
        + (((JsonObject) d).getString("reason") == null ? "" : "/" + ((JsonObject) d).getString("reason"))).toList();
  }

  private static JsonObject post(String user, String category, JsonArray channels) {
    var r = gw.post("/v1/notifications", TestGateway.INGEST_KEY, new JsonObject().put("recipient", user).put("title", "t")
        .put("category", category).put("phone", "+15551234567").put("channels", channels));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  @Test
  void deliveriesBeyondTheLimitPerRecipientAndCategoryAreCancelledAsThrottled() {
    JsonArray hook = new JsonArray().add("webhook");
    assertEquals(List.of("pending"), statuses(post("t-ann", "promo", hook)));
    assertEquals(List.of("pending"), statuses(post("t-ann", "promo", hook)));
    assertEquals(List.of("cancelled/throttled"), statuses(post("t-ann", "promo", hook)), "the third in the hour");
    assertEquals(List.of("pending"), statuses(post("t-ann", "billing", hook)), "another category has its own count");
    assertEquals(List.of("pending"), statuses(post("t-bob", "promo", hook)), "another recipient has their own count");
  }

  @Test
  void theDeliveriesOfOneNotificationCountInOrder() {
    post("t-cid", "news", new JsonArray().add("webhook"));
    // one left in the window: the first of this notification's two deliveries goes, the second is throttled
    List<String> got = statuses(post("t-cid", "news", new JsonArray().add("sms").add("webhook")));
    assertEquals(1, got.stream().filter(s -> s.equals("pending")).count(), got.toString());
    assertEquals(1, got.stream().filter(s -> s.equals("cancelled/throttled")).count(), got.toString());
  }
}
