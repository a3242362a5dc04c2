package io.herald.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.herald.TestSocket;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Scheduled notifications arrive at their send time; expiries update the badge. */
class SchedulerTest {
  static TestGateway gw;
  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(g -> gw = g);

  // A notification with sendAt is pushed when its time comes, after what the user already saw, so resume finds it.
  @Test
  void aScheduledNotificationIsPushedAtItsSendTimeAndResumable() {
    String user = "scheduled-user";
    TestSocket s = gw.socket(TestGateway.token(user));
    s.next("welcome");
    String scheduled = gw.post("/v1/notifications", TestGateway.INGEST_KEY, new JsonObject().put("recipient", user)
        .put("title", "in two seconds").put("sendAt", Instant.now().plusSeconds(2).toString())).bodyAsJsonObject().getString("id");
    String now = gw.notify(user, "right now");
    assertEquals(now, s.next("notification").getJsonObject("notification").getString("id"));
    assertEquals(1, s.next("unread").getInteger("count"));
    JsonObject later = s.next("notification").getJsonObject("notification");
    assertEquals(scheduled, later.getString("id"));
    assertEquals(2, s.next("unread").getInteger("count"));
    s.close();

    TestSocket again = gw.socket(TestGateway.token(user));
    again.next("welcome");
    again.send(new JsonObject().put("type", "resume").put("after", now));
    assertEquals(scheduled, again.next("notification").getJsonObject("notification").getString("id"));
    again.close();
  }

  // When an unread notification expires, every socket of the user gets the lower count.
  @Test
  void anExpiryLowersTheBadge() {
    String user = "expiring-user";
    TestSocket s = gw.socket(TestGateway.token(user));
    s.next("welcome");
    gw.post("/v1/notifications", TestGateway.INGEST_KEY, new JsonObject().put("recipient", user).put("title", "brief")
        .put("expiresAt", Instant.now().plusSeconds(2).toString()));
    s.next("notification");
    assertEquals(1, s.next("unread").getInteger("count"));
    assertEquals(0, s.next("unread").getInteger("count"));
    s.close();
  }
}
