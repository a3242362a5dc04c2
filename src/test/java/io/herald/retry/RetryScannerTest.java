package io.herald.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.PerClassGateway;
import io.herald.StandIn;
import io.herald.TestGateway;
import io.herald.delivery.DeliveryJob;
import io.herald.delivery.Dispatch;
import io.herald.store.Db;
import io.herald.store.DeliveryStore;
import io.herald.store.Notification;
import io.herald.store.StatsStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The retry scanner and the claim guard against rows written as a crash or a race would leave
 * them. The gateway sends webhooks to a stand-in; SMS rows have no worker here, so their
 * dispatches are observed on a separate event bus instead of being sent.
 */
class RetryScannerTest {
  static final StandIn HOOK = StandIn.start(r -> StandIn.Answer.status(200));
  static TestGateway gw;

  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(new JsonObject()
      .put("channels", new JsonObject().put("webhook", new JsonObject().put("enabled", true).put("url", HOOK.url() + "/in")
          .put("secret", "whsec_MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3Bx").put("timeoutSeconds", 2)))
      .put("retry", new JsonObject().put("scanIntervalSeconds", 3600).put("pendingGraceSeconds", 30).put("leaseSeconds", 5)
          .put("backoff", new JsonArray().add("1s"))), g -> gw = g);

  static final Vertx OBSERVER = Vertx.vertx();

  @AfterAll
  static void close() {
    HOOK.close();
    TestGateway.await(OBSERVER.close());
  }

  private static DeliveryStore store() {
    return new DeliveryStore(gw.sql());
  }

  /** A notification (written through the API) and one delivery row for it, as given. */
  private static UUID seed(String channel, String status, int attempts, String extraColumns, String extraValues) {
    String notification = gw.notify("seed-" + UUID.randomUUID(), "seeded");
    UUID id = UUID.randomUUID();
    gw.query("INSERT INTO deliveries (id, notification_id, channel, destination, status, priority, attempts, max_attempts, "
        + "next_attempt_at, created_at, updated_at" + extraColumns + ") VALUES ('" + id + "', '" + notification + "', '" + channel
        + "', '+15550001234', '" + status + "', 2, " + attempts + ", 5, now() - interval '1 minute', now() - interval '1 minute', now()"
        + extraValues + ")");
    return id;
  }

  private static Row row(UUID id) {
    return gw.query("SELECT * FROM deliveries WHERE id = '" + id + "'").iterator().next();
  }

  private static List<String> outcomes(UUID id) {
    List<String> out = new ArrayList<>();
    gw.query("SELECT outcome FROM delivery_attempts WHERE delivery_id = '" + id + "' ORDER BY attempt").forEach(r -> out.add(r.getString(0)));
    return out;
  }

  private static RetryScan.Result scan(io.vertx.core.eventbus.EventBus bus) {
    return TestGateway.await(new RetryScan(store(), gw.config().retry(), bus).run());
  }

  @Test
  void rowsLeftByACrashArePickedUpByOneScanAndSent() {
    UUID lost = seed("webhook", "pending", 0, "", "");
    UUID abandoned = seed("webhook", "sending", 1, ", lease_until, lease_owner", ", now() - interval '1 second', 'dead-node'");
    gw.query("INSERT INTO delivery_attempts (delivery_id, attempt, started_at, outcome) VALUES ('" + abandoned + "', 1, now(), 'sending')");
    RetryScan.Result result = scan(gw.gateway().vertx().eventBus());
    assertEquals(1, result.abandoned());
    assertTrue(result.requeued() >= 1);
    TestGateway.eventually(() -> "sent".equals(row(lost).getString("status")) && "sent".equals(row(abandoned).getString("status")),
        "both sent after one scan");
    assertEquals(List.of("lease_expired", "sent"), outcomes(abandoned));
    assertEquals(2, row(abandoned).getInteger("attempts"));
    assertEquals(1, HOOK.requests.stream().filter(r -> abandoned.toString().equals(r.header("webhook-id"))).count());
  }

  @Test
  void twoScannersOnOneDatabaseNeverDispatchARowTwice() {
    gw.query("INSERT INTO notifications (id, recipient, seq, level, title, priority, channels, created_at, scheduled) "
        + "SELECT gen_random_uuid(), 'bulk-scan', g, 'info', 'bulk', 'normal', '{sms}', now(), false FROM generate_series(1, 3000) g");
    gw.query("INSERT INTO deliveries (id, notification_id, channel, destination, status, priority, max_attempts, next_attempt_at, "
        + "created_at, updated_at) SELECT gen_random_uuid(), id, 'sms', '+15550001234', 'failed', 2, 5, now() - interval '1 second', "
        + "now(), now() FROM notifications WHERE recipient = 'bulk-scan'");
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    var consumer = OBSERVER.eventBus().<JsonObject>consumer("herald.deliver.sms", m -> seen.add(m.body().getString("id")));
    TestGateway.await(consumer.completion());
    Pool other = Db.pool(OBSERVER, gw.config().postgres());
    try {
      RetryScan a = new RetryScan(store(), gw.config().retry(), OBSERVER.eventBus());
      RetryScan b = new RetryScan(new DeliveryStore(other), gw.config().retry(), OBSERVER.eventBus());
      TestGateway.await(Future.all(a.run(), b.run(), a.run(), b.run()));
      TestGateway.eventually(() -> seen.size() >= 3000, "every due row dispatched");
      assertEquals(3000, seen.size(), "no row dispatched twice");
      assertEquals(3000, new HashSet<>(seen).size());
    } finally {
      TestGateway.await(consumer.unregister());
      TestGateway.await(other.close());
      gw.query("DELETE FROM deliveries WHERE channel = 'sms'");
    }
  }

  @Test
  void aDispatchStartsAtMostOneSendPerAttempt() {
    UUID id = seed("sms", "pending", 0, "", "");
    Dispatch d = new Dispatch(id, "sms", 0);
    Pool other = Db.pool(OBSERVER, gw.config().postgres());
    try {
      List<List<DeliveryJob>> claims = TestGateway.await(Future.all(store().claim(List.of(d), 60, "node-a"),
          new DeliveryStore(other).claim(List.of(d), 60, "node-b"), store().claim(List.of(d, d), 60, "node-c"))
          .map(f -> f.<List<DeliveryJob>>list()));
      assertEquals(1, claims.stream().mapToInt(List::size).sum(), "exactly one claimer wins the attempt");
      assertEquals(1, row(id).getInteger("attempts"));
      assertEquals(0, TestGateway.await(store().claim(List.of(d), 60, "node-d")).size(), "a late duplicate dispatch claims nothing");
    } finally {
      TestGateway.await(other.close());
    }
  }

  @Test
  void aStaleWorkerCannotOverwriteTheNewerAttempt() {
    UUID id = seed("sms", "pending", 0, "", "");
    DeliveryJob first = TestGateway.await(store().claim(List.of(new Dispatch(id, "sms", 0)), 60, "node-a")).get(0);
    assertEquals(1, first.attempt());
    // node-a stalls past its lease; a scan takes the row back and node-b claims attempt 2
    gw.query("UPDATE deliveries SET lease_until = now() - interval '1 second' WHERE id = '" + id + "'");
    assertEquals(1, scan(OBSERVER.eventBus()).abandoned());
    DeliveryJob second = TestGateway.await(store().claim(List.of(new Dispatch(id, "sms", 1)), 60, "node-b")).get(0);
    assertEquals(2, second.attempt());
    // node-a finally reports: its attempt is recorded, the delivery row is not touched
    List<UUID> applied = TestGateway.await(store().finish(List.of(new DeliveryStore.Finish(id, null, 1, "dead", null, "HTTP 400", "permanent",
        400, null, 65_000))));
    assertTrue(applied.isEmpty(), "the stale outcome is not applied");
    Row r = row(id);
    assertEquals("sending", r.getString("status"));
    assertEquals(2, r.getInteger("attempts"));
    assertEquals("node-b", r.getString("lease_owner"));
    assertEquals(List.of("dead", "sending"), outcomes(id));
    // node-b's outcome applies
    assertEquals(List.of(id), TestGateway.await(store().finish(List.of(new DeliveryStore.Finish(id, null, 2, "sent", null, null, null, 201,
        "SM1", 12)))));
    assertEquals("sent", row(id).getString("status"));
    assertEquals("SM1", row(id).getString("provider_message_id"));
  }

  /** Now on the database's clock. */
  private static OffsetDateTime now() {
    return gw.query("SELECT now() AS t").iterator().next().getOffsetDateTime("t");
  }

  private static JsonObject oldestWaiting() {
    return TestGateway.await(new StatsStore(gw.sql()).overview(now(), List.of("webhook", "sms"))).getJsonObject("oldestWaiting");
  }

  private static Double smsGauge() {
    return TestGateway.await(new StatsStore(gw.sql()).depth(now())).oldestSeconds().get("sms");
  }

  // Ingest writes when a delivery becomes due: its notification's creation, or its send time when scheduled.
  @Test
  void ingestWritesWhenADeliveryBecomesDue() {
    JsonObject now = gw.post("/v1/notifications", TestGateway.INGEST_KEY, new JsonObject().put("recipient", "due-now").put("title", "now")
        .put("channels", new JsonArray().add("webhook"))).bodyAsJsonObject();
    JsonObject later = gw.post("/v1/notifications", TestGateway.INGEST_KEY, new JsonObject().put("recipient", "due-later").put("title", "later")
        .put("channels", new JsonArray().add("webhook")).put("sendAt", "2031-01-01T08:00:00Z")).bodyAsJsonObject();
    Row a = gw.query("SELECT d.due_since, n.created_at FROM deliveries d JOIN notifications n ON n.id = d.notification_id "
        + "WHERE n.id = '" + now.getString("id") + "'").iterator().next();
    assertEquals(a.getOffsetDateTime("created_at"), a.getOffsetDateTime("due_since"));
    Row b = gw.query("SELECT d.due_since, d.status FROM deliveries d WHERE d.notification_id = '" + later.getString("id") + "'").iterator().next();
    assertEquals("pending", b.getString("status"));
    assertEquals(OffsetDateTime.parse("2031-01-01T08:00:00Z").toInstant(), b.getOffsetDateTime("due_since").toInstant());
  }

  // A delivery no worker takes keeps waiting from when it became due, however often the scanner re-dispatches it;
  // a failed attempt makes it due again at its retry time.
  @Test
  void reDispatchesKeepTheWaitAndAFailedAttemptRestartsIt() {
    gw.query("DELETE FROM deliveries WHERE channel = 'sms'");
    UUID id = seed("sms", "pending", 0, ", due_since", ", now() - interval '10 minutes'");
    OffsetDateTime due = row(id).getOffsetDateTime("due_since");
    for (int i = 0; i < 2; i++) {
      scan(OBSERVER.eventBus());
      assertTrue(row(id).getOffsetDateTime("next_attempt_at").isAfter(now()), "next_attempt_at moved on");
      gw.query("UPDATE deliveries SET next_attempt_at = now() - interval '1 second' WHERE id = '" + id + "'"); // the grace passed
    }
    assertEquals(due, row(id).getOffsetDateTime("due_since"));
    JsonObject oldest = oldestWaiting();
    assertEquals(id.toString(), oldest.getString("id"));
    assertEquals(Notification.iso(due), oldest.getString("dueAt"));
    assertTrue(oldest.getDouble("waitingSeconds") >= 600, oldest.encode());

    TestGateway.await(store().claim(List.of(new Dispatch(id, "sms", 0)), 60, "node-a"));
    OffsetDateTime retryAt = now().plusHours(1).truncatedTo(ChronoUnit.SECONDS);
    assertEquals(List.of(id), TestGateway.await(store().finish(List.of(new DeliveryStore.Finish(id, null, 1, "failed", retryAt,
        "HTTP 503", "temporary", 503, null, 40)))));
    assertEquals(retryAt.toInstant(), row(id).getOffsetDateTime("due_since").toInstant());
    assertNull(smsGauge(), "in its backoff: not waiting");
    gw.query("DELETE FROM deliveries WHERE channel = 'sms'");
  }

  // A send whose node stopped waits from the end of its lease, as sending and, once the scanner took it back, as pending.
  @Test
  void anAbandonedSendWaitsFromTheEndOfItsLease() {
    gw.query("DELETE FROM deliveries WHERE channel = 'sms'");
    UUID id = seed("sms", "pending", 0, ", due_since", ", now() - interval '1 hour'");
    TestGateway.await(store().claim(List.of(new Dispatch(id, "sms", 0)), 60, "node-a"));
    gw.query("UPDATE deliveries SET lease_until = now() - interval '5 minutes' WHERE id = '" + id + "'");
    OffsetDateTime leaseEnd = row(id).getOffsetDateTime("lease_until");
    JsonObject stuck = oldestWaiting();
    assertEquals(id.toString(), stuck.getString("id"));
    assertEquals("sending", stuck.getString("status"));
    assertEquals(Notification.iso(leaseEnd), stuck.getString("dueAt"));
    assertTrue(smsGauge() >= 300);

    assertEquals(1, scan(OBSERVER.eventBus()).abandoned());
    JsonObject taken = oldestWaiting();
    assertEquals(id.toString(), taken.getString("id"));
    assertEquals("pending", taken.getString("status"));
    assertEquals(Notification.iso(leaseEnd), taken.getString("dueAt"), "still waiting from the end of the lease");
    gw.query("DELETE FROM deliveries WHERE channel = 'sms'");
  }

  // Rows a node of an older version wrote without due_since get it at their first re-dispatch, as that version counted the wait.
  @Test
  void rowsWithoutADueTimeGetOneFromTheScanner() {
    gw.query("DELETE FROM deliveries WHERE channel = 'sms'");
    UUID neverTried = seed("sms", "pending", 0, "", "");
    UUID failed = seed("sms", "failed", 2, "", "");
    gw.query("UPDATE deliveries SET created_at = now() - interval '20 minutes', next_attempt_at = now() - interval '2 minutes' "
        + "WHERE id = '" + neverTried + "'");
    OffsetDateTime retryTime = row(failed).getOffsetDateTime("next_attempt_at");
    assertNull(smsGauge(), "not counted without a due time");
    scan(OBSERVER.eventBus());
    assertEquals(row(neverTried).getOffsetDateTime("created_at"), row(neverTried).getOffsetDateTime("due_since"));
    assertEquals("pending", row(failed).getString("status"));
    assertEquals(retryTime, row(failed).getOffsetDateTime("due_since"), "a tried one from its retry time");
    assertTrue(smsGauge() >= 20 * 60);
    gw.query("DELETE FROM deliveries WHERE channel = 'sms'");
  }

  @Test
  void criticalDeliveriesAreRequeuedFirstAndExpiredOnesCancelled() {
    List<UUID> byPriority = new ArrayList<>();
    for (int p = 3; p >= 0; p--) {
      UUID id = seed("sms", "failed", 1, "", "");
      gw.query("UPDATE deliveries SET priority = " + p + " WHERE id = '" + id + "'");
      byPriority.add(0, id);
    }
    UUID expired = seed("sms", "failed", 1, ", expires_at", ", now() - interval '1 second'");
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    var consumer = OBSERVER.eventBus().<JsonObject>consumer("herald.deliver.sms", m -> order.add(m.body().getString("id")));
    TestGateway.await(consumer.completion());
    try {
      RetryScan.Result result = scan(OBSERVER.eventBus());
      assertEquals(1, result.expired());
      TestGateway.eventually(() -> order.size() >= 4, "four dispatches");
      assertEquals(byPriority.stream().map(UUID::toString).toList(), order.subList(0, 4), "critical, high, normal, low");
      assertEquals("cancelled", row(expired).getString("status"));
      assertEquals("expired", row(expired).getString("reason"));
      Set<String> pending = new HashSet<>();
      byPriority.forEach(id -> pending.add(row(id).getString("status")));
      assertEquals(Set.of("pending"), pending);
    } finally {
      TestGateway.await(consumer.unregister());
      gw.query("DELETE FROM deliveries WHERE channel = 'sms'");
    }
  }
}
