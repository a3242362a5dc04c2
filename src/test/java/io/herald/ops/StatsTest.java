package io.herald.ops;

import static io.herald.TestGateway.ADMIN_KEY;
import static io.herald.TestGateway.INGEST_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.herald.store.AlertStore;
import io.herald.store.ChannelHealth;
import io.herald.store.StatsStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code GET /v1/stats}: every figure from rows seeded at known ages, exactly, at the edges of the
 * windows; and who may ask.
 */
class StatsTest {
  /** A fixed "now", years ahead: only the rows a test seeds are near it. */
  static final OffsetDateTime NOW = OffsetDateTime.parse("2031-03-04T12:30:30Z");
  static final OffsetDateTime LONG_AGO = OffsetDateTime.parse("2001-01-01T00:00:00Z");

  static TestGateway gw;

  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(g -> gw = g);

  @BeforeEach
  void empty() {
    gw.query("DELETE FROM deliveries");
    gw.query("DELETE FROM notifications");
  }

  // Windows (edges at 60 min and 24 h), attempt and delivery success rates, queue by status and priority, oldest due delivery, dead letter, series.
  @Test
  void everyFigureFromSeededRows() {
    notification(NOW.minusMinutes(59));                    // both windows, first minute of the series
    notification(NOW.minusMinutes(61));                    // last 24 h only
    notification(NOW.minusHours(23).minusMinutes(59));     // last 24 h only
    notification(NOW.minusHours(24).minusMinutes(1));      // neither
    notification(NOW.minusSeconds(30));                    // both, the current minute (12:30)
    notification(NOW.minusMinutes(2));                     // both, 12:28

    UUID d1 = delivery("email", "sent", 2, NOW.minusDays(2));
    attempt(d1, 1, NOW.minusMinutes(59), "sent");
    UUID d2 = delivery("email", "dead", 2, NOW.minusDays(2));
    attempt(d2, 1, NOW.minusMinutes(61), "failed");
    attempt(d2, 2, NOW.minusMinutes(10), "dead");
    UUID d3 = delivery("sms", "sending", 0, NOW.minusDays(2));
    attempt(d3, 1, NOW.minusMinutes(5), "sending");
    UUID d4 = delivery("sms", "sent", 2, NOW.minusDays(2));
    attempt(d4, 1, NOW.minusHours(25), "sent");
    UUID d5 = delivery("webhook", "sent", 2, NOW.minusDays(2));
    attempt(d5, 1, NOW.minusHours(2), "sent");
    delivery("email", "pending", 2, NOW.minusMinutes(5));   // due, waited 300 s
    delivery("email", "failed", 0, NOW.plusHours(1));       // not due yet
    UUID oldest = delivery("webhook", "failed", 3, NOW.minusMinutes(20)); // due, waited 1200 s: the oldest
    delivery("email", "held", 2, NOW.plusDays(1));
    delivery("whatsapp", "pending", 1, NOW.plusSeconds(10)); // not due yet
    delivery("sms", "dead", 2, NOW.minusDays(1));
    delivery("email", "cancelled", 2, NOW.minusDays(1));     // not waiting, not dead

    JsonObject s = TestGateway.await(new StatsStore(gw.sql()).overview(NOW, List.of("email", "webhook")));

    JsonObject hour = s.getJsonObject("windows").getJsonObject("lastHour");
    assertEquals(figures(3, 1, 0, 1, 0.5, 1, 1).put("ingested", 3L), without(hour, "channels"));
    assertEquals(figures(2, 1, 0, 1, 0.5, 1, 1), hour.getJsonObject("channels").getJsonObject("email"));
    assertEquals(figures(1, 0, 0, 0, null, 0, 0), hour.getJsonObject("channels").getJsonObject("sms"), "only an attempt still sending");
    assertEquals(figures(0, 0, 0, 0, null, 0, 0), hour.getJsonObject("channels").getJsonObject("webhook"), "listed, with zeros");
    JsonObject day = s.getJsonObject("windows").getJsonObject("last24h");
    assertEquals(figures(5, 2, 1, 1, 0.5, 2, 1).put("ingested", 5L), without(day, "channels"));
    assertEquals(figures(3, 1, 1, 1, 0.3333, 1, 1), day.getJsonObject("channels").getJsonObject("email"));
    assertEquals(figures(1, 0, 0, 0, null, 0, 0), day.getJsonObject("channels").getJsonObject("sms"), "25 h ago is out");
    assertEquals(figures(1, 1, 0, 0, 1.0, 1, 0), day.getJsonObject("channels").getJsonObject("webhook"));
    assertEquals(figures(0, 0, 0, 0, null, 0, 0), day.getJsonObject("channels").getJsonObject("whatsapp"), "it has rows in the queue");
    assertEquals(List.of("email", "webhook", "sms", "whatsapp"), List.copyOf(day.getJsonObject("channels").fieldNames()),
        "the enabled channels first, then any other with rows anywhere, the same in every part");
    assertEquals(day.getJsonObject("channels").fieldNames(), s.getJsonObject("queue").getJsonObject("channels").fieldNames());

    JsonObject queue = s.getJsonObject("queue");
    assertEquals(6, queue.getLong("total"));
    assertEquals(waiting(1, 0, 1, 1, 1, 0, 2, 0), queue.getJsonObject("channels").getJsonObject("email"));
    assertEquals(waiting(0, 1, 0, 0, 1, 0, 0, 0), queue.getJsonObject("channels").getJsonObject("sms"));
    assertEquals(waiting(0, 0, 1, 0, 0, 0, 0, 1), queue.getJsonObject("channels").getJsonObject("webhook"));
    assertEquals(waiting(1, 0, 0, 0, 0, 1, 0, 0), queue.getJsonObject("channels").getJsonObject("whatsapp"));

    assertEquals(new JsonObject().put("id", oldest.toString()).put("channel", "webhook").put("status", "failed")
        .put("dueAt", "2031-03-04T12:10:30.000000Z").put("waitingSeconds", 1200.0), s.getJsonObject("oldestWaiting"));

    assertEquals(2, s.getLong("dead"));
    assertEquals(new JsonObject().put("email", 1L).put("webhook", 0L).put("sms", 1L).put("whatsapp", 0L), s.getJsonObject("deadByChannel"));

    JsonArray series = s.getJsonArray("series");
    assertEquals(60, series.size());
    for (int i = 0; i < 60; i++) {
      OffsetDateTime at = OffsetDateTime.parse("2031-03-04T11:31:00Z").plusMinutes(i);
      long ingested = i == 0 || i == 57 || i == 59 ? 1 : 0; // 11:31 (59 min ago), 12:28, 12:30
      long sent = i == 0 ? 1 : 0;                           // d1 at 11:31
      long failed = i == 49 ? 1 : 0;                        // d2's dead attempt at 12:20
      assertEquals(new JsonObject().put("at", at.toInstant().toString()).put("ingested", ingested).put("sent", sent).put("failed", failed),
          series.getJsonObject(i), "minute " + i);
    }
  }

  // Nothing at all: rates are null (not 0 or NaN), no oldest delivery, and the series is sixty zero minutes.
  @Test
  void emptyTablesGiveNullRatesAndZeroMinutes() {
    JsonObject s = TestGateway.await(new StatsStore(gw.sql()).overview(NOW, List.of("email")));
    JsonObject hour = s.getJsonObject("windows").getJsonObject("lastHour");
    assertTrue(hour.containsKey("successRate"));
    assertNull(hour.getValue("successRate"));
    assertEquals(figures(0, 0, 0, 0, null, 0, 0), hour.getJsonObject("channels").getJsonObject("email"));
    assertTrue(s.containsKey("oldestWaiting"));
    assertNull(s.getValue("oldestWaiting"));
    assertEquals(0, s.getLong("dead"));
    assertEquals(0, s.getJsonObject("queue").getLong("total"));
    assertEquals(60, s.getJsonArray("series").size());
    s.getJsonArray("series").forEach(m -> assertEquals(0L, ((JsonObject) m).getLong("ingested") + ((JsonObject) m).getLong("sent")
        + ((JsonObject) m).getLong("failed")));
  }

  // Over HTTP, at the real now: the node fields stay as they were, the figures join them; admins only.
  @Test
  void theApiAnswersAdminsWithNodesAndFigures() {
    OffsetDateTime now = TestGateway.await(gw.sql().query("SELECT now() AS t").execute()).iterator().next().getOffsetDateTime("t");
    UUID d = delivery("email", "failed", 1, now.minusMinutes(3));
    attempt(d, 1, now.minusMinutes(59), "failed");
    notification(now.minusMinutes(61));

    assertEquals(401, gw.get("/v1/stats", null).statusCode());
    assertEquals(403, gw.get("/v1/stats", INGEST_KEY).statusCode());
    var r = gw.get("/v1/stats", ADMIN_KEY);
    assertEquals(200, r.statusCode());
    JsonObject s = r.bodyAsJsonObject();
    assertEquals(gw.gateway().nodeId(), s.getString("node"));
    assertEquals(false, s.getJsonObject("cluster").getBoolean("enabled"));
    assertEquals(0, s.getInteger("sockets"));
    assertTrue(s.getJsonArray("nodes").stream().map(JsonObject.class::cast).anyMatch(n -> n.getBoolean("self")));
    assertEquals(figures(1, 0, 1, 0, 0.0, 0, 0).put("ingested", 0L), without(s.getJsonObject("windows").getJsonObject("lastHour"), "channels"),
        "an attempt that failed ended no delivery: no success rate yet");
    assertEquals(1, s.getJsonObject("windows").getJsonObject("last24h").getLong("ingested"), "61 min ago: the day only");
    assertEquals(d.toString(), s.getJsonObject("oldestWaiting").getString("id"));
    assertTrue(s.getJsonObject("oldestWaiting").getDouble("waitingSeconds") >= 180);
    assertEquals(1, s.getJsonObject("queue").getJsonObject("channels").getJsonObject("email").getJsonObject("byPriority").getLong("high"));
    assertEquals(60, s.getJsonArray("series").size());
  }

  // A delivery waits from when it became due (due_since), not from next_attempt_at, which the scanner's re-dispatches move on.
  @Test
  void aDeliveryWaitsFromWhenItBecameDue() {
    UUID notification = notification(LONG_AGO);
    UUID id = UUID.randomUUID();
    TestGateway.await(gw.sql().preparedQuery("INSERT INTO deliveries (id, notification_id, channel, destination, status, priority, "
            + "attempts, max_attempts, next_attempt_at, due_since, created_at, updated_at) "
            + "VALUES ($1, $2, 'sms', 'x', 'pending', 2, 0, 10, $3, $4, $4, $3)")
        .execute(Tuple.tuple().addValue(id).addValue(notification).addValue(NOW.minusSeconds(5)).addValue(NOW.minusMinutes(30))));
    JsonObject s = TestGateway.await(new StatsStore(gw.sql()).overview(NOW, List.of("sms")));
    assertEquals(id.toString(), s.getJsonObject("oldestWaiting").getString("id"));
    assertEquals(1800.0, s.getJsonObject("oldestWaiting").getDouble("waitingSeconds"), 0.001);
    assertEquals(1800.0, TestGateway.await(new StatsStore(gw.sql()).depth(NOW)).oldestSeconds().get("sms"), 0.001, "the gauge agrees");
  }

  // A send whose lease ran out (its node stopped) waits from then: in oldestWaiting, the gauge and the backlog figures, until taken back.
  @Test
  void aSendPastItsLeaseIsWaiting() {
    UUID stuck = delivery("webhook", "sending", 2, NOW.minusHours(3));
    gw.query("UPDATE deliveries SET lease_until = '" + NOW.minusMinutes(40) + "', lease_owner = 'stopped-node' WHERE id = '" + stuck + "'");
    UUID live = delivery("email", "sending", 2, NOW.minusHours(3));
    gw.query("UPDATE deliveries SET lease_until = '" + NOW.plusSeconds(20) + "', lease_owner = 'live-node' WHERE id = '" + live + "'");
    delivery("webhook", "pending", 2, NOW.minusMinutes(10));

    JsonObject s = TestGateway.await(new StatsStore(gw.sql()).overview(NOW, List.of("email", "webhook")));
    assertEquals(new JsonObject().put("id", stuck.toString()).put("channel", "webhook").put("status", "sending")
        .put("dueAt", "2031-03-04T11:50:30.000000Z").put("waitingSeconds", 2400.0), s.getJsonObject("oldestWaiting"));
    StatsStore.Depth depth = TestGateway.await(new StatsStore(gw.sql()).depth(NOW));
    assertEquals(2400.0, depth.oldestSeconds().get("webhook"), 0.001, "the gauge counts it");
    assertNull(depth.oldestSeconds().get("email"), "a send within its lease is not waiting");
    ChannelHealth webhook = TestGateway.await(new AlertStore(gw.sql()).health(NOW.toInstant(), Duration.ofMinutes(30))).channels().get("webhook");
    assertEquals(2, webhook.due(), "the backlog rule counts it with the pending row");
    assertEquals(1, webhook.overdue(), "and only it is due for longer than 30 minutes");
    assertEquals(NOW.minusMinutes(40).toInstant(), webhook.oldestDueSince().toInstant());
  }

  // successRate is per delivery: one sent on its second attempt is one success, not one in two; the attempt rate stays apart.
  @Test
  void successRateCountsDeliveriesNotAttempts() {
    UUID second = delivery("email", "sent", 2, LONG_AGO);       // sent on its second attempt
    attempt(second, 1, NOW.minusMinutes(50), "failed");
    attempt(second, 2, NOW.minusMinutes(40), "sent");
    UUID first = delivery("email", "sent", 2, LONG_AGO);        // sent on its first
    attempt(first, 1, NOW.minusMinutes(30), "sent");
    UUID gaveUp = delivery("email", "dead", 2, LONG_AGO);       // dead after three, two of them earlier in the day
    attempt(gaveUp, 1, NOW.minusHours(3), "failed");
    attempt(gaveUp, 2, NOW.minusHours(2), "failed");
    attempt(gaveUp, 3, NOW.minusMinutes(20), "dead");
    UUID retried = delivery("email", "pending", 2, NOW.plusMinutes(5)); // went dead, an operator retried it: not ended
    attempt(retried, 1, NOW.minusMinutes(15), "dead");
    UUID abandoned = delivery("sms", "dead", 2, LONG_AGO);      // its last attempt abandoned by a stopped node
    attempt(abandoned, 1, NOW.minusMinutes(5), "lease_expired");

    JsonObject windows = TestGateway.await(new StatsStore(gw.sql()).overview(NOW, List.of("email", "sms"))).getJsonObject("windows");
    JsonObject hour = windows.getJsonObject("lastHour");
    assertEquals(figures(5, 2, 1, 2, 0.4, 2, 1), hour.getJsonObject("channels").getJsonObject("email"));
    assertEquals(0.6667, hour.getJsonObject("channels").getJsonObject("email").getDouble("successRate"));
    assertEquals(figures(1, 0, 0, 0, null, 0, 1), hour.getJsonObject("channels").getJsonObject("sms"));
    assertEquals(0.0, hour.getJsonObject("channels").getJsonObject("sms").getDouble("successRate"), "an abandoned last attempt ends dead");
    assertEquals(figures(6, 2, 1, 2, 0.4, 2, 2).put("ingested", 0L), without(hour, "channels"));
    assertEquals(0.5, hour.getDouble("successRate"));
    JsonObject day = windows.getJsonObject("last24h");
    assertEquals(figures(7, 2, 3, 2, 0.2857, 2, 1), day.getJsonObject("channels").getJsonObject("email"));
    assertEquals(figures(8, 2, 3, 2, 0.2857, 2, 2).put("ingested", 0L), without(day, "channels"));
  }

  // The active alerts are part of the overview (what each admin was sent stays in GET /v1/alerts).
  @Test
  void activeAlertsAreListed() {
    UUID id = UUID.randomUUID();
    TestGateway.await(gw.sql().preparedQuery("INSERT INTO alerts (id, rule, channel, severity, status, title, message, details, "
            + "opened_at, last_seen_at, notifications) VALUES ($1, 'credentials', 'sms', 'critical', 'active', 'SMS credentials refused', "
            + "'m', '{}'::jsonb, now(), now(), '[{\"route\": \"email\", \"to\": \"ops@example.com\", \"ok\": true}]'::jsonb)")
        .execute(Tuple.of(id)));
    try {
      JsonArray alerts = gw.get("/v1/stats", ADMIN_KEY).bodyAsJsonObject().getJsonArray("alerts");
      assertEquals(1, alerts.size(), alerts.encode());
      assertEquals(id.toString(), alerts.getJsonObject(0).getString("id"));
      assertEquals("critical", alerts.getJsonObject(0).getString("severity"));
      assertFalse(alerts.getJsonObject(0).containsKey("notifications"), "admins' addresses stay out of the overview");
    } finally {
      gw.query("DELETE FROM alerts WHERE id = '" + id + "'");
    }
  }

  // ---- seeding ----

  private static UUID notification(OffsetDateTime createdAt) {
    UUID id = UUID.randomUUID();
    TestGateway.await(gw.sql().preparedQuery("INSERT INTO notifications (id, recipient, seq, level, title, priority, channels, "
            + "created_at, scheduled) VALUES ($1, $2, 1, 'info', 'seeded', 'normal', '{inapp}', $3, false)")
        .execute(Tuple.tuple().addValue(id).addValue("stats-" + id).addValue(createdAt)));
    return id;
  }

  /** A delivery (of its own notification, created long before any window here) due at {@code dueAt}, tried once. */
  private static UUID delivery(String channel, String status, int priority, OffsetDateTime dueAt) {
    UUID notification = notification(LONG_AGO);
    UUID id = UUID.randomUUID();
    TestGateway.await(gw.sql().preparedQuery("INSERT INTO deliveries (id, notification_id, channel, destination, status, priority, "
            + "attempts, max_attempts, next_attempt_at, due_since, created_at, updated_at) VALUES ($1, $2, $3, 'x', $4, $5, 1, 10, $6, $6, $6, $6)")
        .execute(Tuple.tuple().addValue(id).addValue(notification).addValue(channel).addValue(status).addValue((short) priority)
            .addValue(dueAt)));
    return id;
  }

  /** An attempt of the delivery, which then counts at least that many attempts. */
  private static void attempt(UUID delivery, int attempt, OffsetDateTime startedAt, String outcome) {
    TestGateway.await(gw.sql().preparedQuery("INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, outcome, node) "
        + "VALUES ($1, $2, $3, 100, $4, 'test')").execute(Tuple.tuple().addValue(delivery).addValue(attempt).addValue(startedAt)
        .addValue(outcome)));
    gw.query("UPDATE deliveries SET attempts = greatest(attempts, " + attempt + ") WHERE id = '" + delivery + "'");
  }

  /** A window's figures: attempts and how they ended, then the deliveries that ended, delivered or dead, and their rate. */
  private static JsonObject figures(long attempts, long sent, long failed, long dead, Double attemptRate, long delivered,
                                    long deadDeliveries) {
    Double rate = delivered + deadDeliveries == 0 ? null : Math.round(delivered * 10_000.0 / (delivered + deadDeliveries)) / 10_000.0;
    return new JsonObject().put("attempts", attempts).put("sent", sent).put("failed", failed).put("dead", dead)
        .put("attemptSuccessRate", attemptRate)
        .put("deliveries", new JsonObject().put("delivered", delivered).put("dead", deadDeliveries).put("successRate", rate))
        .put("successRate", rate);
  }

  private static JsonObject waiting(long pending, long sending, long failed, long held, long critical, long high, long normal, long low) {
    return new JsonObject().put("pending", pending).put("sending", sending).put("failed", failed).put("held", held)
        .put("byPriority", new JsonObject().put("critical", critical).put("high", high).put("normal", normal).put("low", low));
  }

  private static JsonObject without(JsonObject o, String field) {
    JsonObject copy = o.copy();
    copy.remove(field);
    return copy;
  }
}
