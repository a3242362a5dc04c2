package io.herald.retry;

import static io.herald.TestGateway.ADMIN_KEY;
import static io.herald.TestGateway.INGEST_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.Addresses;
import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.herald.delivery.Dispatch;
import io.herald.store.DeliveryAdminStore;
import io.herald.store.DeliveryView;
import io.herald.store.Notification;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The dead letter over real HTTP and PostgreSQL: listing, retrying and cancelling one delivery,
 * bulk re-queue and the CSV export. Channels are disabled, so no worker competes; a consumer on
 * each {@code herald.deliver.<channel>} address records what the API dispatches.
 */
class DeliveriesApiTest {
  static TestGateway gw;
  static DeliverySeed seed;
  @RegisterExtension
  // the gateway's own retry scanner runs once at start, before any row is seeded, and not again
  // while the test looks at the rows it seeded
  static final PerClassGateway GATEWAY = new PerClassGateway(new io.vertx.core.json.JsonObject().put("retry",
      new io.vertx.core.json.JsonObject().put("scanIntervalSeconds", 3600)), g -> gw = g);
  static final Queue<Dispatch> dispatched = new ConcurrentLinkedQueue<>();

  @BeforeAll
  static void observeDispatches() {
    seed = new DeliverySeed(gw);
    for (String channel : DeliveryView.CHANNELS) {
      TestGateway.await(gw.gateway().vertx().eventBus().<JsonObject>consumer(Addresses.deliver(channel),
          m -> dispatched.add(Dispatch.fromJson(channel, m.body()))).completion());
    }
  }

  @BeforeEach
  void emptyDeadLetter() {
    seed.clear();
    dispatched.clear();
  }

  // ---- helpers ----

  static JsonObject ok(HttpResponse<Buffer> r) {
    assertEquals(200, r.statusCode(), r.bodyAsString());
    assertTrue(r.getHeader("Content-Type").startsWith("application/json"), r.getHeader("Content-Type"));
    return r.bodyAsJsonObject();
  }

  static JsonObject error(HttpResponse<Buffer> r, int status, String code, String field) {
    assertEquals(status, r.statusCode(), r.bodyAsString());
    JsonObject err = r.bodyAsJsonObject().getJsonObject("error");
    assertNotNull(err, r.bodyAsString());
    assertEquals(code, err.getString("code"), r.bodyAsString());
    assertEquals(field, err.getString("field"), r.bodyAsString());
    assertFalse(err.getString("message", "").isBlank(), r.bodyAsString());
    return err;
  }

  static List<String> ids(JsonArray items) {
    List<String> out = new ArrayList<>();
    items.forEach(o -> out.add(((JsonObject) o).getString("id")));
    return out;
  }

  static List<String> ids(DeliverySeed.D... rows) {
    List<String> out = new ArrayList<>();
    for (DeliverySeed.D d : rows) {
      out.add(d.id.toString());
    }
    return out;
  }

  /** Waits until every delivery in {@code ids} was dispatched, and returns everything dispatched so far. */
  static List<Dispatch> awaitDispatched(List<String> ids) {
    TestGateway.eventually(() -> dispatched.stream().map(d -> d.id().toString()).collect(Collectors.toSet()).containsAll(ids),
        "dispatches of " + ids);
    return new ArrayList<>(dispatched);
  }

  /** A marker retry whose dispatch arrives after anything the previous requests could have sent. */
  static void assertNothingDispatchedExceptMarker() {
    DeliverySeed.D marker = seed.delivery(d -> d.channel = "webhook");
    ok(gw.post("/v1/deliveries/" + marker.id + "/retry", ADMIN_KEY, null));
    List<Dispatch> all = awaitDispatched(ids(marker));
    assertEquals(List.of(marker.id), all.stream().map(Dispatch::id).toList(), "dispatches besides the marker");
  }

  static String state(DeliverySeed.D d) {
    Row r = seed.row(d.id);
    return r.getString("status") + "/" + r.getInteger("attempts") + "/" + r.getInteger("max_attempts") + "/" + r.getString("reason")
        + "/" + r.getOffsetDateTime("updated_at").toInstant() + "/" + r.getOffsetDateTime("next_attempt_at").toInstant();
  }

  // ---- listing ----

  @Test
  void listFiltersByStatusAndChannelNewestChangeFirst() {
    // GIVEN deliveries in several states and channels, each changed at a different time
    OffsetDateTime t = DeliverySeed.now().minusMinutes(10);
    DeliverySeed.D failedEmail = seed.delivery(d -> d.updatedAt = t.plusSeconds(1));
    DeliverySeed.D deadSms = seed.delivery(d -> {
      d.status = "dead";
      d.channel = "sms";
      d.destination = "+15551234567";
      d.attempts = 3;
      d.maxAttempts = 3;
      d.lastError = "Twilio 21211: invalid 'To' number";
      d.lastErrorClass = "permanent";
      d.lastHttpStatus = 400;
      d.priority = 1;
      d.updatedAt = t.plusSeconds(2);
    });
    DeliverySeed.D deadEmail = seed.delivery(d -> {
      d.status = "dead";
      d.updatedAt = t.plusSeconds(3);
    });
    DeliverySeed.D sentWebhook = seed.delivery(d -> {
      d.status = "sent";
      d.channel = "webhook";
      d.destination = null;
      d.providerMessageId = "msg-1";
      d.sentAt = t.plusSeconds(4);
      d.updatedAt = t.plusSeconds(4);
    });

    assertEquals(ids(sentWebhook, deadEmail, deadSms, failedEmail), ids(ok(gw.get("/v1/deliveries", ADMIN_KEY)).getJsonArray("items")));
    assertEquals(ids(deadEmail, deadSms), ids(ok(gw.get("/v1/deliveries?status=dead", ADMIN_KEY)).getJsonArray("items")));
    assertEquals(ids(deadEmail, failedEmail), ids(ok(gw.get("/v1/deliveries?channel=email", ADMIN_KEY)).getJsonArray("items")));
    assertEquals(ids(deadSms), ids(ok(gw.get("/v1/deliveries?status=dead&channel=sms", ADMIN_KEY)).getJsonArray("items")));
    assertEquals(List.of(), ids(ok(gw.get("/v1/deliveries?status=cancelled", ADMIN_KEY)).getJsonArray("items")));
    // empty parameters count as absent
    assertEquals(4, ok(gw.get("/v1/deliveries?status=&channel=", ADMIN_KEY)).getJsonArray("items").size());

    // every field of an item
    JsonObject page = ok(gw.get("/v1/deliveries?status=dead&channel=sms", ADMIN_KEY));
    assertNull(page.getValue("next"));
    JsonObject item = page.getJsonArray("items").getJsonObject(0);
    Row row = seed.row(deadSms.id);
    assertEquals(deadSms.id.toString(), item.getString("id"));
    assertEquals(deadSms.notificationId.toString(), item.getString("notificationId"));
    assertTrue(item.getString("recipient").startsWith("seed-user-"), item.encode());
    assertEquals("sms", item.getString("channel"));
    assertEquals("+15551234567", item.getString("destination"));
    assertEquals("dead", item.getString("status"));
    assertNull(item.getString("reason"));
    assertEquals("high", item.getString("priority"));
    assertEquals(3, item.getInteger("attempts"));
    assertEquals(3, item.getInteger("maxAttempts"));
    assertNull(item.getValue("nextAttemptAt"), "a dead row waits for nothing");
    assertEquals("Twilio 21211: invalid 'To' number", item.getString("lastError"));
    assertEquals("permanent", item.getString("lastErrorClass"));
    assertEquals(400, item.getInteger("lastHttpStatus"));
    assertNull(item.getValue("providerMessageId"));
    assertEquals(Notification.iso(row.getOffsetDateTime("created_at")), item.getString("createdAt"));
    assertEquals(Notification.iso(t.plusSeconds(2)), item.getString("updatedAt"));
    assertNull(item.getValue("sentAt"));
    assertTrue(item.getString("updatedAt").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z"), item.getString("updatedAt"));

    JsonObject failed = ok(gw.get("/v1/deliveries?status=failed", ADMIN_KEY)).getJsonArray("items").getJsonObject(0);
    assertEquals(Notification.iso(failedEmail.nextAttemptAt), failed.getString("nextAttemptAt"), "a failed row shows when it is due");
    JsonObject sent = ok(gw.get("/v1/deliveries?status=sent", ADMIN_KEY)).getJsonArray("items").getJsonObject(0);
    assertEquals("msg-1", sent.getString("providerMessageId"));
    assertEquals(Notification.iso(t.plusSeconds(4)), sent.getString("sentAt"));
  }

  @Test
  void listPagesThroughEveryRowWithTheCursor() {
    // GIVEN 9 dead rows, three of them changed at the very same microsecond (ties broken by id)
    OffsetDateTime t = DeliverySeed.now().minusHours(1);
    for (int i = 0; i < 9; i++) {
      int n = i;
      seed.delivery(d -> {
        d.status = "dead";
        d.channel = DeliveryView.CHANNELS.get(n % 4);
        d.updatedAt = n < 3 ? t : t.plusSeconds(n);
      });
    }
    seed.delivery(d -> d.status = "failed");
    // the order Postgres gives (it compares uuids as unsigned bytes, java.util.UUID as signed longs)
    List<String> expected = new ArrayList<>();
    gw.query("SELECT id FROM deliveries WHERE status = 'dead' ORDER BY updated_at DESC, id DESC")
        .forEach(r -> expected.add(r.getUUID(0).toString()));
    assertEquals(9, expected.size());

    List<String> seen = new ArrayList<>();
    String next = null;
    int pages = 0;
    do {
      JsonObject page = ok(gw.get("/v1/deliveries?status=dead&limit=4" + (next == null ? "" : "&before=" + next), ADMIN_KEY));
      seen.addAll(ids(page.getJsonArray("items")));
      next = page.getString("next");
      pages++;
    } while (next != null);
    assertEquals(3, pages);
    assertEquals(expected, seen, "every row once, newest change first");
  }

  @Test
  void listRefusesBadParametersNamingTheField() {
    error(gw.get("/v1/deliveries?status=lost", ADMIN_KEY), 400, "invalid_field", "status");
    error(gw.get("/v1/deliveries?channel=inapp", ADMIN_KEY), 400, "invalid_field", "channel");
    error(gw.get("/v1/deliveries?channel=fax", ADMIN_KEY), 400, "invalid_field", "channel");
    error(gw.get("/v1/deliveries?limit=0", ADMIN_KEY), 400, "invalid_field", "limit");
    error(gw.get("/v1/deliveries?limit=501", ADMIN_KEY), 400, "invalid_field", "limit");
    error(gw.get("/v1/deliveries?limit=ten", ADMIN_KEY), 400, "invalid_field", "limit");
    error(gw.get("/v1/deliveries?before=not-a-cursor", ADMIN_KEY), 400, "invalid_cursor", "before");
    error(gw.get("/v1/deliveries", null), 401, "unauthorized", null);
    error(gw.get("/v1/deliveries", INGEST_KEY), 403, "forbidden", null);
    error(gw.get("/v1/deliveries", TestGateway.token("alice")), 403, "forbidden", null);
  }

  // ---- one delivery ----

  @Test
  void retryingADeadDeliveryRequeuesAndDispatchesIt() {
    DeliverySeed.D dead = seed.delivery(d -> {
      d.status = "dead";
      d.attempts = 3;
      d.maxAttempts = 3;
      d.leaseOwner = "node-a";
      d.leaseUntil = DeliverySeed.now().minusMinutes(5);
      d.updatedAt = DeliverySeed.now().minusDays(1);
    });
    OffsetDateTime asked = TestGateway.await(gw.sql().query("SELECT now() AS t").execute()).iterator().next().getOffsetDateTime("t");
    JsonObject answer = ok(gw.post("/v1/deliveries/" + dead.id + "/retry", ADMIN_KEY, null));
    assertEquals(dead.id.toString(), answer.getString("id"));
    assertEquals("pending", answer.getString("status"));
    assertEquals(3, answer.getInteger("attempts"));
    assertEquals(4, answer.getInteger("maxAttempts"), "a dead row gets one more attempt");
    assertNotNull(answer.getString("nextAttemptAt"));

    Row row = seed.row(dead.id);
    assertEquals("pending", row.getString("status"));
    assertEquals(4, row.getInteger("max_attempts"));
    assertNull(row.getString("lease_owner"));
    assertNull(row.getValue("lease_until"));
    assertEquals("connection refused", row.getString("last_error"), "the last error stays for the record");
    // the scanner waits the pending grace (10 s by default) before it would send it again
    assertTrue(row.getDouble("wait_seconds") > 5 && row.getDouble("wait_seconds") <= 10, "waits " + row.getDouble("wait_seconds"));
    assertTrue(row.getOffsetDateTime("updated_at").isAfter(DeliverySeed.now().minusMinutes(1)));
    assertFalse(row.getOffsetDateTime("due_since").isBefore(asked), "it waits from the operator's retry on");

    List<Dispatch> sent = awaitDispatched(ids(dead));
    assertEquals(List.of(new Dispatch(dead.id, "email", 3)), sent, "one dispatch with the attempts count the worker claims on");
  }

  @Test
  void retryingFailedAndCancelledDeliveriesClearsTheReason() {
    DeliverySeed.D failed = seed.delivery(d -> {
      d.channel = "sms";
      d.attempts = 2;
    });
    DeliverySeed.D optedOut = seed.delivery(d -> {
      d.status = "cancelled";
      d.reason = "opted_out";
      d.channel = "whatsapp";
      d.attempts = 0;
      d.lastError = null;
    });
    JsonObject a = ok(gw.post("/v1/deliveries/" + failed.id + "/retry", ADMIN_KEY, null));
    assertEquals("pending", a.getString("status"));
    assertEquals(10, a.getInteger("maxAttempts"), "attempts left: max_attempts unchanged");
    JsonObject b = ok(gw.post("/v1/deliveries/" + optedOut.id + "/retry", ADMIN_KEY, null));
    assertEquals("pending", b.getString("status"));
    assertNull(b.getValue("reason"));
    assertNull(seed.row(optedOut.id).getString("reason"));
    assertEquals(Set.of(new Dispatch(failed.id, "sms", 2), new Dispatch(optedOut.id, "whatsapp", 0)),
        new HashSet<>(awaitDispatched(ids(failed, optedOut))));
  }

  @Test
  void retryRefusesWhatCannotBeRetried() {
    DeliverySeed.D sending = seed.delivery(d -> {
      d.status = "sending";
      d.leaseUntil = DeliverySeed.now().plusMinutes(1);
      d.leaseOwner = "node-a";
    });
    DeliverySeed.D sent = seed.delivery(d -> d.status = "sent");
    DeliverySeed.D pending = seed.delivery(d -> d.status = "pending");
    DeliverySeed.D expired = seed.delivery(d -> {
      d.status = "dead";
      d.expiresAt = DeliverySeed.now().minusMinutes(1);
    });
    String before = state(sending) + state(sent) + state(pending) + state(expired);

    assertTrue(error(gw.post("/v1/deliveries/" + sending.id + "/retry", ADMIN_KEY, null), 409, "invalid_state", null)
        .getString("message").contains("in flight"));
    assertTrue(error(gw.post("/v1/deliveries/" + sent.id + "/retry", ADMIN_KEY, null), 409, "invalid_state", null)
        .getString("message").contains("already delivered"));
    assertTrue(error(gw.post("/v1/deliveries/" + pending.id + "/retry", ADMIN_KEY, null), 409, "invalid_state", null)
        .getString("message").contains("already waiting"));
    assertTrue(error(gw.post("/v1/deliveries/" + expired.id + "/retry", ADMIN_KEY, null), 409, "expired", null)
        .getString("message").contains("expired at " + Notification.iso(expired.expiresAt)));
    error(gw.post("/v1/deliveries/" + UUID.randomUUID() + "/retry", ADMIN_KEY, null), 404, "not_found", null);
    error(gw.post("/v1/deliveries/not-a-uuid/retry", ADMIN_KEY, null), 404, "not_found", null);
    error(gw.post("/v1/deliveries/" + expired.id + "/retry", null, null), 401, "unauthorized", null);
    error(gw.post("/v1/deliveries/" + expired.id + "/retry", INGEST_KEY, null), 403, "forbidden", null);

    assertEquals(before, state(sending) + state(sent) + state(pending) + state(expired), "nothing changed");
    assertNothingDispatchedExceptMarker();
  }

  @Test
  void cancelStopsPendingFailedAndDeadDeliveries() {
    DeliverySeed.D pending = seed.delivery(d -> d.status = "pending");
    DeliverySeed.D failed = seed.delivery(d -> d.channel = "sms");
    DeliverySeed.D dead = seed.delivery(d -> d.status = "dead");
    for (DeliverySeed.D d : List.of(pending, failed, dead)) {
      JsonObject answer = ok(gw.post("/v1/deliveries/" + d.id + "/cancel", ADMIN_KEY, null));
      assertEquals("cancelled", answer.getString("status"));
      assertEquals("operator", answer.getString("reason"));
      assertNull(answer.getValue("nextAttemptAt"));
      Row row = seed.row(d.id);
      assertEquals("cancelled", row.getString("status"));
      assertEquals("operator", row.getString("reason"));
    }
    // a cancelled row shows up under its status
    assertEquals(3, ok(gw.get("/v1/deliveries?status=cancelled", ADMIN_KEY)).getJsonArray("items").size());
    assertNothingDispatchedExceptMarker();
  }

  @Test
  void cancelRefusesInFlightSentAndCancelledDeliveries() {
    DeliverySeed.D sending = seed.delivery(d -> d.status = "sending");
    DeliverySeed.D sent = seed.delivery(d -> d.status = "sent");
    DeliverySeed.D cancelled = seed.delivery(d -> {
      d.status = "cancelled";
      d.reason = "no_destination";
    });
    String before = state(sending) + state(sent) + state(cancelled);
    assertTrue(error(gw.post("/v1/deliveries/" + sending.id + "/cancel", ADMIN_KEY, null), 409, "invalid_state", null)
        .getString("message").contains("in flight"));
    error(gw.post("/v1/deliveries/" + sent.id + "/cancel", ADMIN_KEY, null), 409, "invalid_state", null);
    assertTrue(error(gw.post("/v1/deliveries/" + cancelled.id + "/cancel", ADMIN_KEY, null), 409, "invalid_state", null)
        .getString("message").contains("no_destination"));
    error(gw.post("/v1/deliveries/" + UUID.randomUUID() + "/cancel", ADMIN_KEY, null), 404, "not_found", null);
    error(gw.post("/v1/deliveries/" + sent.id + "/cancel", null, null), 401, "unauthorized", null);
    error(gw.post("/v1/deliveries/" + sent.id + "/cancel", INGEST_KEY, null), 403, "forbidden", null);
    assertEquals(before, state(sending) + state(sent) + state(cancelled));
  }

  // ---- bulk ----

  @Test
  void bulkDryRunListsMatchesAndChangesNothing() {
    DeliverySeed.D failed = seed.delivery(d -> d.lastError = "timeout");
    DeliverySeed.D dead = seed.delivery(d -> {
      d.status = "dead";
      d.channel = "sms";
      d.attempts = 10;
    });
    DeliverySeed.D sent = seed.delivery(d -> d.status = "sent");
    DeliverySeed.D cancelled = seed.delivery(d -> d.status = "cancelled");
    String before = state(failed) + state(dead) + state(sent) + state(cancelled);

    JsonObject answer = ok(gw.post("/v1/deliveries/retry", ADMIN_KEY, new JsonObject().put("dryRun", true)));
    assertEquals(true, answer.getBoolean("dryRun"));
    assertEquals(2, answer.getInteger("count"));
    JsonArray listed = answer.getJsonArray("deliveries");
    assertEquals(Set.of(failed.id.toString(), dead.id.toString()), new HashSet<>(ids(listed)));
    JsonObject deadItem = listed.stream().map(JsonObject.class::cast).filter(o -> o.getString("id").equals(dead.id.toString()))
        .findFirst().orElseThrow();
    assertEquals("dead", deadItem.getString("status"));
    assertEquals("sms", deadItem.getString("channel"));
    assertEquals(10, deadItem.getInteger("attempts"));
    assertEquals("connection refused", deadItem.getString("lastError"));

    assertEquals(before, state(failed) + state(dead) + state(sent) + state(cancelled), "a dry run changes nothing");
    assertNothingDispatchedExceptMarker();
  }

  @Test
  void bulkRetryTakesCriticalAndHighFirstThenTheOldest() {
    OffsetDateTime t = DeliverySeed.now().minusDays(2);
    DeliverySeed.D lowOldest = seed.delivery(d -> {
      d.status = "dead";
      d.priority = 3;
      d.createdAt = t;
    });
    DeliverySeed.D normalNewer = seed.delivery(d -> {
      d.priority = 2;
      d.createdAt = t.plusHours(2);
    });
    DeliverySeed.D normalOlder = seed.delivery(d -> {
      d.status = "dead";
      d.priority = 2;
      d.createdAt = t.plusHours(1);
    });
    DeliverySeed.D high = seed.delivery(d -> {
      d.priority = 1;
      d.channel = "sms";
      d.createdAt = t.plusHours(5);
    });
    DeliverySeed.D critical = seed.delivery(d -> {
      d.status = "dead";
      d.priority = 0;
      d.channel = "webhook";
      d.createdAt = t.plusHours(6);
    });

    JsonObject first = ok(gw.post("/v1/deliveries/retry", ADMIN_KEY, new JsonObject().put("limit", 3)));
    assertEquals(false, first.getBoolean("dryRun"));
    assertEquals(3, first.getInteger("count"));
    assertEquals(ids(critical, high, normalOlder), ids(first.getJsonArray("deliveries")));
    first.getJsonArray("deliveries").forEach(o -> assertEquals("pending", ((JsonObject) o).getString("status")));
    assertEquals("pending", seed.status(critical.id));
    assertEquals("dead", seed.status(lowOldest.id));
    assertEquals("failed", seed.status(normalNewer.id));
    assertEquals(ids(critical, high, normalOlder), awaitDispatched(ids(critical, high, normalOlder)).stream()
        .map(x -> x.id().toString()).toList(), "dispatched in the same order");

    // the rest, with the default limit: normal before low
    JsonObject rest = ok(gw.post("/v1/deliveries/retry", ADMIN_KEY, new JsonObject()));
    assertEquals(ids(normalNewer, lowOldest), ids(rest.getJsonArray("deliveries")));
    awaitDispatched(ids(normalNewer, lowOldest));
    assertEquals(5, dispatched.size());
    // nothing left to retry
    assertEquals(0, ok(gw.post("/v1/deliveries/retry", ADMIN_KEY, null)).getInteger("count"));
  }

  @Test
  void bulkRetryFiltersByStatusAndChannelAndSkipsExpired() {
    DeliverySeed.D failedEmail = seed.delivery(d -> { });
    DeliverySeed.D deadEmail = seed.delivery(d -> d.status = "dead");
    DeliverySeed.D deadSms = seed.delivery(d -> {
      d.status = "dead";
      d.channel = "sms";
    });
    DeliverySeed.D expiredDead = seed.delivery(d -> {
      d.status = "dead";
      d.expiresAt = DeliverySeed.now().minusSeconds(1);
    });
    DeliverySeed.D cancelled = seed.delivery(d -> d.status = "cancelled");
    DeliverySeed.D pending = seed.delivery(d -> d.status = "pending");

    JsonObject onlyFailed = ok(gw.post("/v1/deliveries/retry", ADMIN_KEY, new JsonObject().put("status", "failed").put("dryRun", true)));
    assertEquals(ids(failedEmail), ids(onlyFailed.getJsonArray("deliveries")));
    JsonObject deadSmsOnly = ok(gw.post("/v1/deliveries/retry", ADMIN_KEY, new JsonObject().put("status", "dead").put("channel", "sms")));
    assertEquals(ids(deadSms), ids(deadSmsOnly.getJsonArray("deliveries")));
    assertEquals("pending", seed.status(deadSms.id));
    assertEquals("dead", seed.status(deadEmail.id));

    JsonObject all = ok(gw.post("/v1/deliveries/retry", ADMIN_KEY, new JsonObject().put("dryRun", false)));
    assertEquals(Set.of(failedEmail.id.toString(), deadEmail.id.toString()), new HashSet<>(ids(all.getJsonArray("deliveries"))));
    assertEquals("dead", seed.status(expiredDead.id), "an expired notification is never sent");
    assertEquals("cancelled", seed.status(cancelled.id), "the bulk form leaves cancelled rows alone");
    assertEquals("pending", seed.status(pending.id));
    assertEquals(Set.of(deadSms.id, failedEmail.id, deadEmail.id),
        awaitDispatched(ids(deadSms, failedEmail, deadEmail)).stream().map(Dispatch::id).collect(Collectors.toSet()));
  }

  @Test
  void bulkRetryWithMaxRetriesTakesRowsBelowItAndRaisesTheirLimit() {
    DeliverySeed.D two = seed.delivery(d -> {
      d.status = "dead";
      d.attempts = 2;
      d.maxAttempts = 2;
    });
    DeliverySeed.D five = seed.delivery(d -> {
      d.status = "dead";
      d.attempts = 5;
      d.maxAttempts = 5;
    });
    DeliverySeed.D failedThree = seed.delivery(d -> {
      d.attempts = 3;
      d.maxAttempts = 10;
    });
    JsonObject answer = ok(gw.post("/v1/deliveries/retry", ADMIN_KEY, new JsonObject().put("maxRetries", 5)));
    assertEquals(Set.of(two.id.toString(), failedThree.id.toString()), new HashSet<>(ids(answer.getJsonArray("deliveries"))));
    assertEquals(5, seed.row(two.id).getInteger("max_attempts"));
    assertEquals(5, seed.row(failedThree.id).getInteger("max_attempts"), "maxRetries becomes the limit");
    assertEquals("dead", seed.status(five.id), "already had maxRetries attempts");
    assertEquals(5, seed.row(five.id).getInteger("max_attempts"));
  }

  @Test
  void bulkRetryRefusesBadBodiesNamingTheField() {
    error(gw.post("/v1/deliveries/retry", ADMIN_KEY, new JsonObject().put("status", "cancelled")), 400, "invalid_field", "status");
    error(gw.post("/v1/deliveries/retry", ADMIN_KEY, new JsonObject().put("channel", "inapp")), 400, "invalid_field", "channel");
    error(gw.post("/v1/deliveries/retry", ADMIN_KEY, new JsonObject().put("limit", 0)), 400, "invalid_field", "limit");
    error(gw.post("/v1/deliveries/retry", ADMIN_KEY, new JsonObject().put("limit", 10_001)), 400, "invalid_field", "limit");
    error(gw.post("/v1/deliveries/retry", ADMIN_KEY, new JsonObject().put("limit", 2.5)), 400, "invalid_field", "limit");
    error(gw.post("/v1/deliveries/retry", ADMIN_KEY, new JsonObject().put("maxRetries", 0)), 400, "invalid_field", "maxRetries");
    error(gw.post("/v1/deliveries/retry", ADMIN_KEY, new JsonObject().put("dryRun", "yes")), 400, "invalid_field", "dryRun");
    error(gw.post("/v1/deliveries/retry", ADMIN_KEY, new JsonObject().put("dryrun", true)), 400, "invalid_field", "dryrun");
    error(gw.post("/v1/deliveries/retry", ADMIN_KEY, "[1]"), 400, "invalid_json", null);
    error(gw.post("/v1/deliveries/retry", ADMIN_KEY, "{"), 400, "invalid_json", null);
    error(gw.post("/v1/deliveries/retry", null, new JsonObject()), 401, "unauthorized", null);
    error(gw.post("/v1/deliveries/retry", INGEST_KEY, new JsonObject()), 403, "forbidden", null);
  }

  @Test
  void bulkRetryLimitAcceptsTheMaximum() {
    seed.delivery(d -> d.status = "dead");
    JsonObject answer = ok(gw.post("/v1/deliveries/retry", ADMIN_KEY, new JsonObject().put("limit", 10_000).put("dryRun", true)));
    assertEquals(1, answer.getInteger("count"));
  }

  // ---- export ----

  /** A strict RFC 4180 reader: records of fields, CRLF line ends. */
  static List<List<String>> parseCsv(String text) {
    List<List<String>> records = new ArrayList<>();
    List<String> record = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c == '"' && field.length() == 0) {
        i++;
        while (true) {
          char q = text.charAt(i);
          if (q == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
            field.append('"');
            i += 2;
          } else if (q == '"') {
            i++;
            break;
          } else {
            field.append(q);
            i++;
          }
        }
      } else if (c == ',') {
        record.add(field.toString());
        field.setLength(0);
        i++;
      } else if (c == '\r') {
        assertEquals('\n', text.charAt(i + 1), "records end with CRLF");
        record.add(field.toString());
        field.setLength(0);
        records.add(record);
        record = new ArrayList<>();
        i += 2;
      } else {
        assertFalse(c == '"' || c == '\n', "bare quote or line feed outside quotes at " + i);
        field.append(c);
        i++;
      }
    }
    assertTrue(record.isEmpty() && field.length() == 0, "the file ends with CRLF");
    return records;
  }

  static final List<String> HEADER = List.of("id", "notification_id", "recipient", "channel", "destination", "status", "reason", "attempts",
      "max_attempts", "last_error_class", "last_http_status", "last_error", "created_at", "updated_at");

  @Test
  void exportQuotesFieldsAndDefusesFormulas() {
    DeliverySeed.D tricky = seed.delivery(d -> {
      d.status = "dead";
      d.destination = "=HYPERLINK(\"http://evil.example\",\"click\")";
      d.lastError = "550 mailbox \"a,b\" unavailable\r\nsecond line";
      d.lastErrorClass = "permanent";
      d.reason = "only a\nline feed";
      d.lastHttpStatus = 550;
      d.attempts = 4;
      d.maxAttempts = 4;
      d.updatedAt = DeliverySeed.now().minusMinutes(1);
    });
    List<String> starts = List.of("+1 555", "-2+3", "@SUM(\"A1\")", "\tTAB", "\rCR");
    List<DeliverySeed.D> formulas = new ArrayList<>();
    for (String s : starts) {
      formulas.add(seed.delivery(d -> {
        d.status = "dead";
        d.lastError = s;
        d.channel = "sms";
      }));
    }
    seed.delivery(d -> d.status = "failed");

    HttpResponse<Buffer> r = gw.get("/v1/deliveries/export.csv?status=dead", ADMIN_KEY);
    assertEquals(200, r.statusCode(), r.bodyAsString());
    assertEquals("text/csv; charset=utf-8", r.getHeader("Content-Type"));
    assertTrue(r.getHeader("Content-Disposition").contains("deliveries-dead.csv"), r.getHeader("Content-Disposition"));
    List<List<String>> records = parseCsv(r.bodyAsString());
    assertEquals(HEADER, records.get(0));
    assertEquals(1 + 1 + starts.size(), records.size(), "header plus the dead rows only");

    List<String> row = records.stream().filter(rec -> rec.get(0).equals(tricky.id.toString())).findFirst().orElseThrow();
    Row stored = seed.row(tricky.id);
    assertEquals(List.of(tricky.id.toString(), tricky.notificationId.toString(), TestGateway.await(gw.sql()
            .preparedQuery("SELECT recipient FROM notifications WHERE id = $1").execute(io.vertx.sqlclient.Tuple.of(tricky.notificationId)))
            .iterator().next().getString(0),
        "email", "'=HYPERLINK(\"http://evil.example\",\"click\")", "dead", "only a\nline feed", "4", "4", "permanent", "550",
        "550 mailbox \"a,b\" unavailable\r\nsecond line", Notification.iso(stored.getOffsetDateTime("created_at")),
        Notification.iso(tricky.updatedAt)), row);
    // the formula cell travels quoted because of its quotes and comma
    assertTrue(r.bodyAsString().contains(",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\","), r.bodyAsString());

    for (int i = 0; i < starts.size(); i++) {
      String id = formulas.get(i).id.toString();
      List<String> rec = records.stream().filter(x -> x.get(0).equals(id)).findFirst().orElseThrow();
      assertEquals("'" + starts.get(i), rec.get(11), "a cell starting with " + starts.get(i).charAt(0) + " is defused");
    }

    // channel filter, and the whole table without a status
    List<List<String>> sms = parseCsv(gw.get("/v1/deliveries/export.csv?status=dead&channel=sms", ADMIN_KEY).bodyAsString());
    assertEquals(1 + starts.size(), sms.size());
    sms.stream().skip(1).forEach(rec -> assertEquals("sms", rec.get(3)));
    assertEquals(1 + 2 + starts.size(), parseCsv(gw.get("/v1/deliveries/export.csv", ADMIN_KEY).bodyAsString()).size());
    // an empty export is still a header
    assertEquals(List.of(HEADER), parseCsv(gw.get("/v1/deliveries/export.csv?status=sent", ADMIN_KEY).bodyAsString()));
  }

  @Test
  void exportStreamsEveryRowAcrossPages() {
    // GIVEN more dead rows than three export pages hold
    int total = 2 * DeliveryAdminStore.EXPORT_PAGE + 201;
    Set<String> expected = new HashSet<>();
    OffsetDateTime t = DeliverySeed.now().minusHours(3);
    int made = 0;
    while (made < total) {
      List<UUID> notifications = seed.notifications(Math.min(1000, total - made));
      for (UUID n : notifications) {
        DeliverySeed.D d = new DeliverySeed.D();
        d.notificationId = n;
        d.status = "dead";
        d.updatedAt = t.plusSeconds(made % 50);   // many ties on updated_at: the cursor breaks them by id
        d.lastError = "row " + made;
        seed.insert(d);
        expected.add(d.id.toString());
        made++;
      }
    }
    HttpResponse<Buffer> r = gw.get("/v1/deliveries/export.csv?status=dead", ADMIN_KEY);
    assertEquals(200, r.statusCode());
    assertNull(r.getHeader("Content-Length"), "streamed in chunks");
    List<List<String>> records = parseCsv(r.bodyAsString());
    assertEquals(total + 1, records.size());
    Set<String> exported = records.stream().skip(1).map(rec -> rec.get(0)).collect(Collectors.toSet());
    assertEquals(expected, exported, "every row exactly once");
  }

  @Test
  void exportToASlowClientWaitsForItAndStillSendsEveryRow() {
    // GIVEN about 11 MB of dead rows: far more than the socket buffers between server and client hold
    List<UUID> notifications = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      notifications.addAll(seed.notifications(1000));
    }
    TestGateway.await(gw.sql().preparedQuery("INSERT INTO deliveries (id, notification_id, channel, destination, status, priority, "
            + "attempts, max_attempts, next_attempt_at, last_error, created_at, updated_at) SELECT gen_random_uuid(), n, 'email', "
            + "'user@example.com', 'dead', 2, 3, 3, now(), repeat('x', 1000), now(), now() - random() * interval '1 hour' "
            + "FROM unnest($1::uuid[]) n")
        .execute(io.vertx.sqlclient.Tuple.of(notifications.toArray(new UUID[0]))));

    // WHEN the client stops reading for two seconds (a plain socket with a small receive buffer: the
    // kernel cannot soak up what it does not read), the rows change meanwhile, then it reads the rest
    NetClient client = gw.client.createNetClient(new NetClientOptions().setReceiveBufferSize(16 * 1024));
    Buffer raw = Buffer.buffer();
    Future<Buffer> download = client.connect(gw.port, "127.0.0.1").compose(socket -> {
      Promise<Buffer> done = Promise.promise();
      socket.pause();
      socket.handler(raw::appendBuffer);
      socket.exceptionHandler(done::tryFail);
      socket.endHandler(v -> done.tryComplete(raw));
      socket.write("GET /v1/deliveries/export.csv?status=dead HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + ADMIN_KEY
          + "\r\nConnection: close\r\n\r\n");
      gw.client.setTimer(1500, t -> gw.sql().query("UPDATE deliveries SET last_error = 'read after the pause'").execute()
          .onComplete(updated -> socket.resume()));
      return done.future();
    });
    // THEN the export waits for the client, resumes when it reads, and holds every row once
    List<List<String>> records = parseCsv(dechunk(TestGateway.await(download)));
    assertEquals(10_001, records.size());
    assertEquals(10_000, records.stream().skip(1).map(r -> r.get(0)).distinct().count());
    // the export did not read ahead of its client: later pages were read after the pause
    long readLate = records.stream().skip(1).filter(r -> r.get(11).equals("read after the pause")).count();
    assertTrue(readLate > 0 && readLate < 10_000, readLate + " of 10000 rows read after the pause");
    TestGateway.await(client.close());
  }

  /** The body of a raw HTTP/1.1 response with chunked transfer encoding. */
  static String dechunk(Buffer response) {
    String text = response.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
    int at = text.indexOf("\r\n\r\n");
    assertTrue(text.startsWith("HTTP/1.1 200") && text.substring(0, at).toLowerCase().contains("transfer-encoding: chunked"),
        text.substring(0, Math.min(at, 500)));
    at += 4;
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    while (true) {
      int eol = text.indexOf("\r\n", at);
      int size = Integer.parseInt(text.substring(at, eol).trim(), 16);
      if (size == 0) {
        break;
      }
      body.write(response.getBytes(eol + 2, eol + 2 + size), 0, size);
      at = eol + 2 + size + 2;
    }
    return body.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void exportRefusesBadParametersAndOutsiders() {
    error(gw.get("/v1/deliveries/export.csv?status=gone", ADMIN_KEY), 400, "invalid_field", "status");
    error(gw.get("/v1/deliveries/export.csv?channel=pigeon", ADMIN_KEY), 400, "invalid_field", "channel");
    error(gw.get("/v1/deliveries/export.csv", null), 401, "unauthorized", null);
    error(gw.get("/v1/deliveries/export.csv", INGEST_KEY), 403, "forbidden", null);
  }

  // ---- a notification's deliveries ----

  @Test
  void forNotificationRendersDeliveriesWithTheirAttemptsInOrder() {
    UUID notification = seed.notification();
    OffsetDateTime t = DeliverySeed.now().minusMinutes(30);
    DeliverySeed.D email = seed.delivery(d -> {
      d.notificationId = notification;
      d.status = "failed";
      d.attempts = 2;
      d.lastHttpStatus = 503;
      d.nextAttemptAt = t.plusHours(1);
      d.createdAt = t;
    });
    DeliverySeed.D sms = seed.delivery(d -> {
      d.notificationId = notification;
      d.channel = "sms";
      d.status = "sent";
      d.attempts = 1;
      d.lastError = null;
      d.lastErrorClass = null;
      d.providerMessageId = "SM123";
      d.sentAt = t.plusSeconds(2);
      d.createdAt = t;
    });
    seed.attempt(email.id, 2, t.plusMinutes(5), 1200, "failed", "temporary", "503 Service Unavailable", 503);
    seed.attempt(email.id, 1, t.plusSeconds(1), 30_000, "failed", "temporary", "connection refused", null);
    seed.attempt(sms.id, 1, t.plusSeconds(1), 250, "sent", null, null, 201);
    seed.delivery(d -> { }); // another notification's delivery stays out

    DeliveryAdminStore store = new DeliveryAdminStore(gw.gateway().pool(), Duration.ZERO);
    JsonArray deliveries = TestGateway.await(store.forNotification(notification));
    assertEquals(2, deliveries.size());
    JsonObject e = deliveries.stream().map(JsonObject.class::cast).filter(o -> o.getString("channel").equals("email")).findFirst()
        .orElseThrow();
    // the delivery as listed, plus its attempt log
    assertEquals(Set.of("id", "notificationId", "digestId", "recipient", "channel", "destination", "status", "reason", "priority", "attempts",
        "maxAttempts", "nextAttemptAt", "lastError", "lastErrorClass", "lastHttpStatus", "providerMessageId", "createdAt", "updatedAt",
        "sentAt", "attemptLog"), e.fieldNames());
    assertEquals(email.id.toString(), e.getString("id"));
    assertEquals("user@example.com", e.getString("destination"));
    assertEquals("failed", e.getString("status"));
    assertEquals(2, e.getInteger("attempts"));
    assertEquals(10, e.getInteger("maxAttempts"));
    assertEquals(Notification.iso(t.plusHours(1)), e.getString("nextAttemptAt"));
    assertEquals("connection refused", e.getString("lastError"));
    assertEquals("temporary", e.getString("lastErrorClass"));
    assertEquals(503, e.getInteger("lastHttpStatus"));
    JsonArray log = e.getJsonArray("attemptLog");
    assertEquals(2, log.size());
    assertEquals(new JsonObject().put("attempt", 1).put("startedAt", Notification.iso(t.plusSeconds(1))).put("durationMs", 30_000)
        .put("outcome", "failed").put("errorClass", "temporary").put("error", "connection refused").put("httpStatus", null),
        log.getJsonObject(0));
    assertEquals(2, log.getJsonObject(1).getInteger("attempt"));
    assertEquals(503, log.getJsonObject(1).getInteger("httpStatus"));

    JsonObject s = deliveries.stream().map(JsonObject.class::cast).filter(o -> o.getString("channel").equals("sms")).findFirst()
        .orElseThrow();
    assertEquals("SM123", s.getString("providerMessageId"));
    assertEquals(Notification.iso(t.plusSeconds(2)), s.getString("sentAt"));
    assertNull(s.getValue("nextAttemptAt"));
    assertEquals(1, s.getJsonArray("attemptLog").size());

    assertEquals(new JsonArray(), TestGateway.await(store.forNotification(UUID.randomUUID())));
  }
}
