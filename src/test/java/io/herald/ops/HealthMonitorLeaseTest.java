package io.herald.ops;

import static io.herald.TestGateway.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.herald.LogCapture;
import io.herald.TestGateway;
import io.herald.retry.DeliverySeed;
import io.herald.store.AlertStore;
import io.herald.store.LeaseStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two gateways on one schema, the admins' only route a Slack-compatible webhook: one node checks
 * (the holder of the health lease), a notice no route delivered is tried again, an alert whose
 * only route is the channel it is about is logged as a warning, a node that stops finishes its
 * check before handing the lease over, and two nodes that both think they hold it send a notice once.
 * Notice reservations: a check that fails gives back what it reserved, so its notices (a resolution
 * too) are sent at a later check, and a reservation left by a dead node is taken over once expired.
 */
class HealthMonitorLeaseTest {
  static final Hook SLACK = new Hook();
  static TestGateway gw;
  static TestGateway peer;
  static DeliverySeed seed;

  @BeforeAll
  static void start() {
    // a short lease, so a node that gives it up is followed within seconds
    gw = TestGateway.start(new JsonObject().put("cluster", new JsonObject().put("jobLeaseSeconds", 6))
        .put("alerts", new JsonObject().put("checkIntervalSeconds", 3600).put("webhook", SLACK.url() + "/services/T/B/x")));
    peer = gw.peer(new JsonObject());
    seed = new DeliverySeed(gw);
  }

  @AfterAll
  static void stop() {
    peer.close();
    gw.close();
    SLACK.close();
  }

  Instant t;

  @BeforeEach
  void clean() {
    gw.query("DELETE FROM alerts");
    gw.query("DELETE FROM deliveries");
    SLACK.calls.clear();
    SLACK.status = 200;
    t = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    TestGateway.eventually(() -> ran(gw, t) || ran(peer, t), "one node to hold the health lease");
  }

  @Test
  void onlyTheNodeHoldingTheHealthLeaseChecks() {
    // both nodes are asked to check; one does, and the admins hear once
    credentialsRefused("sms", t.minusSeconds(60));
    boolean first = ran(gw, t);
    boolean second = ran(peer, t);
    assertTrue(first ^ second, "exactly one node checks: " + first + ", " + second);
    assertEquals(1, SLACK.calls.size());
    assertEquals(1, gw.count("SELECT count(*) FROM alerts"));
    ran(gw, t.plusSeconds(60));
    ran(peer, t.plusSeconds(60));
    assertEquals(1, SLACK.calls.size(), "within the cooldown, whichever node checks");
  }

  @Test
  void aNoticeNoRouteDeliveredIsTriedAgainAtTheNextCheck() {
    // the only route fails: the alert is not counted as told, and the next check tries again
    SLACK.status = 503;
    credentialsRefused("sms", t.minusSeconds(60));
    checkOnHolder(t);
    Row row = alert();
    assertNull(row.getOffsetDateTime("notified_at"));
    JsonObject entry = row.getJsonArray("notifications").getJsonObject(0);
    assertEquals("webhook", entry.getString("route"));
    assertFalse(entry.getBoolean("ok"));
    assertEquals("temporary", entry.getString("errorClass"));
    SLACK.status = 200;
    checkOnHolder(t.plusSeconds(60));
    row = alert();
    assertNotNull(row.getOffsetDateTime("notified_at"));
    assertEquals(2, SLACK.calls.size());
    JsonObject body = new JsonObject(SLACK.calls.get(1).body());
    assertEquals("opened", body.getString("event"));
    assertTrue(body.getString("text").startsWith("Herald CRITICAL sms: the provider refused"), body.encode());
    assertEquals("application/json", SLACK.calls.get(1).contentType());
    checkOnHolder(t.plusSeconds(120));
    assertEquals(2, SLACK.calls.size(), "told once it worked");
  }

  @Test
  void anAlertWhoseOnlyRouteIsTheFailingChannelIsLoggedAsAWarning() {
    // the webhook route is the only one configured, and the alert is about webhooks: admins may not hear of it
    credentialsRefused("webhook", t.minusSeconds(60));
    List<String> logged = LogCapture.during(Level.INFO, List.of(), () -> checkOnHolder(t)).stream().map(LogCapture::line).toList();
    assertTrue(logged.stream().anyMatch(l -> l.startsWith("WARN") && l.contains("only admin route configured")
        && l.contains("admins may not hear of it")), logged.toString());
    assertEquals(1, SLACK.calls.size(), "it is still tried");
  }

  @Test
  void aStoppingHolderFinishesItsCheckAndThePeerNeitherRepeatsNorMissesTheResolution() throws Exception {
    // GIVEN a refusal, and an SMS the provider accepts 90 s after t (seeded now: the stopped node's API is gone later)
    TestGateway holder = ran(gw, t) ? gw : peer;
    TestGateway other = holder == gw ? peer : gw;
    credentialsRefused("sms", t.minusSeconds(60));
    accepted("sms", t.plusSeconds(90));
    HealthMonitorVerticle monitor = holder.gateway().healthMonitor();
    String holderId = holder.gateway().nodeId();
    SLACK.hold();
    try {
      // WHEN the holder is stopped while its opening notice is on its way
      Future<Boolean> checking = monitor.check(t);
      TestGateway.eventually(() -> SLACK.calls.size() == 1, "the opening notice to reach the hook");
      CompletableFuture<Void> stopping = CompletableFuture.runAsync(holder::stop);
      TestGateway.eventually(() -> stopping.isDone() || monitor.stopping(), "the holder to begin stopping");
      assertFalse(stopping.isDone(), "the holder waits for its check");
      assertEquals(holderId, await(new LeaseStore(gw.sql()).holder("health")), "and keeps the lease meanwhile");
      SLACK.release();
      stopping.get(30, TimeUnit.SECONDS);
      assertTrue(await(checking));
      // THEN the notice counts as told, and the peer that takes the lease does not send it again
      assertNotNull(alert().getOffsetDateTime("notified_at"));
      TestGateway.eventually(() -> ran(other, t.plusSeconds(60)), "the peer to take the health lease", 30);
      assertEquals(1, SLACK.calls.size(), "no second opening notice");
      // and once the provider accepts an SMS again, the peer resolves the alert and says so, once
      assertTrue(ran(other, t.plusSeconds(120)));
      assertTrue(ran(other, t.plusSeconds(180)));
      assertEquals("resolved", alert().getString("status"));
      assertEquals(2, SLACK.calls.size(), SLACK.calls.toString());
      assertEquals("resolved", new JsonObject(SLACK.calls.get(1).body()).getString("event"));
    } finally {
      SLACK.release();
      holder.startAgain();
    }
  }

  @Test
  void twoNodesThatBothThinkTheyHoldTheLeaseSendANoticeOnce() {
    // a second monitor on a lease of its own, so both hold one: the overlap a late hand-over could leave
    JobLease own = new JobLease(new LeaseStore(gw.sql()), "health-overlap", "overlap", 30);
    HealthMonitorVerticle overlap = new HealthMonitorVerticle(gw.config(), new AlertStore(gw.sql()), own, "overlap", Clock.systemUTC());
    String deployment = await(gw.client.deployVerticle(overlap));
    try {
      TestGateway.eventually(() -> await(overlap.check(t)), "the second monitor to hold its lease");
      TestGateway holder = ran(gw, t) ? gw : peer;
      credentialsRefused("sms", t.minusSeconds(60));
      SLACK.hold();
      // the holder's notice is on its way when the second monitor checks
      Future<Boolean> first = holder.gateway().healthMonitor().check(t.plusSeconds(1));
      TestGateway.eventually(() -> SLACK.calls.size() == 1, "the holder's notice to reach the hook");
      assertTrue(await(overlap.check(t.plusSeconds(2))));
      SLACK.release();
      assertTrue(await(first));
      assertEquals(1, SLACK.calls.size(), "one notice, though two monitors checked");
      Row row = alert();
      assertNotNull(row.getOffsetDateTime("notified_at"));
      assertEquals(1, row.getJsonArray("notifications").size(), row.getJsonArray("notifications").encode());
    } finally {
      SLACK.release();
      await(gw.client.undeploy(deployment));
    }
  }

  @Test
  void aResolutionWhoseCheckFailedIsSentAtALaterCheck() {
    // GIVEN an alert the admins heard of, whose condition then clears
    TestGateway holder = ran(gw, t) ? gw : peer;
    credentialsRefused("sms", t.minusSeconds(60));
    assertTrue(ran(holder, t));
    accepted("sms", t.plusSeconds(90));
    // WHEN the route fails for the resolution: nothing told, the reservation given back
    SLACK.status = 503;
    assertTrue(ran(holder, t.plusSeconds(120)));
    assertEquals(2, SLACK.calls.size());
    Row row = alert();
    assertEquals("resolved", row.getString("status"));
    assertEquals(utc(t), row.getOffsetDateTime("notified_at"), "the admins were last told at the opening");
    assertNull(row.getOffsetDateTime("notice_reserved_at"));
    // AND then the hook takes it but the database refuses the record: the check fails, giving its reservation back
    SLACK.status = 200;
    gw.query("CREATE FUNCTION refuse_record() RETURNS trigger LANGUAGE plpgsql AS "
        + "$$ BEGIN RAISE EXCEPTION 'the record is refused'; END $$");
    gw.query("CREATE TRIGGER refuse_record BEFORE UPDATE OF notifications ON alerts FOR EACH ROW EXECUTE FUNCTION refuse_record()");
    try {
      RuntimeException failed = assertThrows(RuntimeException.class, () -> ran(holder, t.plusSeconds(180)));
      assertTrue(failed.getMessage().contains("the record is refused"), failed.getMessage());
    } finally {
      gw.query("DROP TRIGGER refuse_record ON alerts");
      gw.query("DROP FUNCTION refuse_record()");
    }
    assertEquals(3, SLACK.calls.size());
    assertEquals("resolved", new JsonObject(SLACK.calls.get(2).body()).getString("event"));
    row = alert();
    assertEquals(utc(t), row.getOffsetDateTime("notified_at"), "not recorded as told");
    assertNull(row.getOffsetDateTime("notice_reserved_at"), "given back");
    // THEN a later check sends the resolution (again: at least once) and records it; after that it is not repeated
    assertTrue(ran(holder, t.plusSeconds(240)));
    assertEquals(4, SLACK.calls.size());
    assertEquals("resolved", new JsonObject(SLACK.calls.get(3).body()).getString("event"));
    row = alert();
    assertEquals(utc(t.plusSeconds(240)), row.getOffsetDateTime("notified_at"));
    assertNull(row.getOffsetDateTime("notice_reserved_at"));
    assertTrue(ran(holder, t.plusSeconds(300)));
    assertEquals(4, SLACK.calls.size(), "told once it was recorded");
  }

  @Test
  void aReservationTheDatabaseRefusesGivesBackTheOthersAndTheNextCheckSendsThem() {
    // GIVEN two conditions, and a database that refuses to reserve the notice of the WhatsApp alert
    TestGateway holder = ran(gw, t) ? gw : peer;
    credentialsRefused("sms", t.minusSeconds(60));
    credentialsRefused("whatsapp", t.minusSeconds(60));
    gw.query("CREATE FUNCTION refuse_reserve() RETURNS trigger LANGUAGE plpgsql AS "
        + "$$ BEGIN RAISE EXCEPTION 'the reservation is refused'; END $$");
    gw.query("CREATE TRIGGER refuse_reserve BEFORE UPDATE OF notice_reserved_at ON alerts FOR EACH ROW "
        + "WHEN (NEW.channel = 'whatsapp' AND NEW.notice_reserved_at IS NOT NULL) EXECUTE FUNCTION refuse_reserve()");
    try {
      // WHEN a check opens both alerts: it fails, sends nothing, and the SMS alert's reservation is given back
      RuntimeException failed = assertThrows(RuntimeException.class, () -> ran(holder, t));
      assertTrue(failed.getMessage().contains("the reservation is refused"), failed.getMessage());
    } finally {
      gw.query("DROP TRIGGER refuse_reserve ON alerts");
      gw.query("DROP FUNCTION refuse_reserve()");
    }
    assertEquals(0, SLACK.calls.size(), SLACK.calls.toString());
    assertEquals(2, gw.count("SELECT count(*) FROM alerts WHERE status = 'active' AND notified_at IS NULL "
        + "AND notice_reserved_at IS NULL AND notice_reserved_by IS NULL"));
    // THEN the next check tells of both, in one message
    assertTrue(ran(holder, t.plusSeconds(60)));
    assertEquals(1, SLACK.calls.size());
    JsonObject body = new JsonObject(SLACK.calls.get(0).body());
    assertEquals(List.of("opened", "opened"), body.getJsonArray("notices").stream().map(n -> ((JsonObject) n).getString("event"))
        .toList(), body.encode());
    assertEquals(2, gw.count("SELECT count(*) FROM alerts WHERE notified_at = " + ts(t.plusSeconds(60))));
  }

  @Test
  void aDeadNodesReservationIsTakenOverOnlyOnceItHasExpired() {
    // GIVEN a node that died holding the reservations of two notices: the opening of an alert whose condition
    // still holds, and the resolution of an alert the admins had heard of
    TestGateway holder = ran(gw, t) ? gw : peer;
    Duration expiry = holder.gateway().healthMonitor().reservationExpiry();
    credentialsRefused("sms", t.minusSeconds(60));
    gw.query("INSERT INTO alerts (id, rule, channel, severity, status, title, message, opened_at, last_seen_at, notice_reserved_at, "
        + "notice_reserved_by) VALUES (gen_random_uuid(), 'credentials', 'sms', 'critical', 'active', 'sms: refused', 'refused', "
        + ts(t) + ", " + ts(t) + ", " + ts(t) + ", 'dead-node')");
    gw.query("INSERT INTO alerts (id, rule, channel, severity, status, title, message, opened_at, last_seen_at, resolved_at, "
        + "notified_at, notice_reserved_at, notice_reserved_by) VALUES (gen_random_uuid(), 'backlog', 'whatsapp', 'warning', "
        + "'resolved', 'whatsapp: waiting', 'waiting', " + ts(t.minusSeconds(7200)) + ", " + ts(t.minusSeconds(60)) + ", "
        + ts(t.minusSeconds(30)) + ", " + ts(t.minusSeconds(7200)) + ", " + ts(t) + ", 'dead-node')");
    // WHEN checks run while the reservations are live: nothing is sent, and they stand
    assertTrue(ran(holder, t.plusSeconds(1)));
    assertTrue(ran(holder, t.plus(expiry).minusSeconds(1)));
    assertEquals(0, SLACK.calls.size(), SLACK.calls.toString());
    assertEquals(2, gw.count("SELECT count(*) FROM alerts WHERE notice_reserved_by = 'dead-node' AND notice_reserved_at = " + ts(t)));
    assertEquals(0, gw.count("SELECT count(*) FROM alerts WHERE notified_at > " + ts(t.minusSeconds(7200))));
    // THEN the first check once they have expired takes both up, in one message, and records them told
    assertTrue(ran(holder, t.plus(expiry)));
    assertEquals(1, SLACK.calls.size());
    JsonObject body = new JsonObject(SLACK.calls.get(0).body());
    assertEquals(List.of("opened", "resolved"), body.getJsonArray("notices").stream().map(n -> ((JsonObject) n).getString("event"))
        .toList(), body.encode());
    assertEquals(0, gw.count("SELECT count(*) FROM alerts WHERE notice_reserved_at IS NOT NULL"));
    assertEquals(2, gw.count("SELECT count(*) FROM alerts WHERE notified_at = " + ts(t.plus(expiry))));
    assertTrue(ran(holder, t.plus(expiry).plusSeconds(60)));
    assertEquals(1, SLACK.calls.size(), "not again");
  }

  @Test
  void aResolutionLostToAReservationBeforeV015IsToldAgain() throws Exception {
    // GIVEN two resolved alerts as reservations in notified_at left them: one whose resolution was told,
    // one whose resolution was reserved (notified_at at its check) and never sent
    TestGateway holder = ran(gw, t) ? gw : peer;
    JsonArray opened = new JsonArray().add(entry(t.minusSeconds(3600), "opened", true));
    JsonArray told = opened.copy().add(entry(t.minusSeconds(60), "resolved", true));
    insertResolved("sms", t.minusSeconds(60), opened);
    insertResolved("whatsapp", t.minusSeconds(60), told);
    // WHEN V015's repair runs (what follows its ALTER TABLE)
    String v015;
    try (var in = getClass().getClassLoader().getResourceAsStream("db/V015__alert_reservations.sql")) {
      v015 = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    gw.query(v015.substring(v015.indexOf("UPDATE alerts")));
    // THEN the lost one is as last told at its opening, the told one unchanged; the next check tells the lost resolution, once
    assertEquals(utc(t.minusSeconds(3600)), notifiedAt("sms"));
    assertEquals(utc(t.minusSeconds(60)), notifiedAt("whatsapp"));
    assertTrue(ran(holder, t));
    assertEquals(1, SLACK.calls.size());
    JsonObject body = new JsonObject(SLACK.calls.get(0).body());
    assertEquals("resolved", body.getString("event"));
    assertEquals("sms", body.getJsonObject("alert").getString("channel"));
    assertTrue(ran(holder, t.plusSeconds(60)));
    assertEquals(1, SLACK.calls.size());
  }

  @Test
  void routesThatShareTheFailingChannelsProviderAreWarnedOf() {
    // SMS and WhatsApp on one Twilio account, the admins' only route WhatsApp: an SMS credentials alert
    // would only go through the account that refuses; warned of at start-up and when the alert opens
    JsonObject twilio = new JsonObject().put("enabled", true).put("provider", "twilio").put("baseUrl", SLACK.url())
        .put("accountSid", "AC1").put("authToken", "secret-token").put("from", "+15550001111").put("timeoutSeconds", 2);
    JsonObject conf = new JsonObject().put("channels", new JsonObject().put("sms", twilio).put("whatsapp", twilio.copy()))
        .put("alerts", new JsonObject().put("checkIntervalSeconds", 3600).put("whatsapp", new JsonArray().add("+15550009999")));
    List<TestGateway> started = new ArrayList<>();
    try {
      List<String> atStart = LogCapture.during(Level.INFO, List.of(), () -> started.add(TestGateway.start(conf))).stream()
          .map(LogCapture::line).toList();
      assertTrue(atStart.stream().anyMatch(l -> l.startsWith("WARN") && l.contains("alerts about the sms channel can only reach admins "
          + "by whatsapp, which goes through the sms provider itself")), atStart.toString());
      assertFalse(atStart.stream().filter(l -> l.contains("can only reach admins")).anyMatch(l -> l.contains("AC1")
          || l.contains("+1555000") || l.contains(SLACK.url())), "no account, number or URL logged");
      TestGateway alone = started.get(0);
      TestGateway.eventually(() -> ran(alone, t.minusSeconds(120)), "the health lease");
      DeliverySeed own = new DeliverySeed(alone);
      DeliverySeed.D d = own.delivery(x -> {
        x.channel = "sms";
        x.status = "dead";
        x.lastErrorClass = "credentials";
      });
      own.attempt(d.id, 1, OffsetDateTime.ofInstant(t.minusSeconds(60), ZoneOffset.UTC), 80, "dead", "credentials", "HTTP 401", 401);
      List<String> logged = LogCapture.during(Level.INFO, List.of(), () -> assertTrue(ran(alone, t))).stream()
          .map(LogCapture::line).toList();
      assertTrue(logged.stream().anyMatch(l -> l.startsWith("WARN") && l.contains("every admin route for this alert (whatsapp) goes "
          + "through the provider of the channel it is about")), logged.toString());
    } finally {
      started.forEach(TestGateway::close);
    }
  }

  // ---- helpers ----

  static boolean ran(TestGateway node, Instant at) {
    return await(node.gateway().healthMonitor().check(at));
  }

  static void checkOnHolder(Instant at) {
    assertTrue(ran(gw, at) || ran(peer, at), "one node holds the health lease");
  }

  static Row alert() {
    var rows = gw.query("SELECT * FROM alerts");
    assertEquals(1, rows.size());
    return rows.iterator().next();
  }

  static OffsetDateTime utc(Instant at) {
    return OffsetDateTime.ofInstant(at, ZoneOffset.UTC);
  }

  /** {@code at} as an SQL literal. */
  static String ts(Instant at) {
    return "'" + at + "'::timestamptz";
  }

  static OffsetDateTime notifiedAt(String channel) {
    return gw.query("SELECT notified_at FROM alerts WHERE channel = '" + channel + "'").iterator().next().getOffsetDateTime(0);
  }

  /** A notifications entry, as AlertRoutes writes them. */
  static JsonObject entry(Instant at, String event, boolean ok) {
    return new JsonObject().put("at", io.herald.store.Notification.iso(utc(at))).put("event", event).put("route", "webhook")
        .putNull("to").put("ok", ok);
  }

  /** A resolved backlog alert about {@code channel}, resolved at {@code resolved} and with notified_at at it (as a check reserved it). */
  static void insertResolved(String channel, Instant resolved, JsonArray notifications) {
    gw.query("INSERT INTO alerts (id, rule, channel, severity, status, title, message, opened_at, last_seen_at, resolved_at, "
        + "notified_at, notifications) VALUES (gen_random_uuid(), 'backlog', '" + channel + "', 'warning', 'resolved', '" + channel
        + ": waiting', 'waiting', " + ts(resolved.minusSeconds(7200)) + ", " + ts(resolved) + ", " + ts(resolved) + ", "
        + ts(resolved) + ", '" + notifications.encode() + "'::jsonb)");
  }

  /** A delivery of {@code channel} whose one attempt the provider refused with 401 at {@code at}. */
  static void credentialsRefused(String channel, Instant at) {
    DeliverySeed.D d = seed.delivery(x -> {
      x.channel = channel;
      x.status = "dead";
      x.lastErrorClass = "credentials";
    });
    seed.attempt(d.id, 1, OffsetDateTime.ofInstant(at, ZoneOffset.UTC), 80, "dead", "credentials", "HTTP 401", 401);
  }

  /** A delivery of {@code channel} the provider accepted at {@code at}. */
  static void accepted(String channel, Instant at) {
    DeliverySeed.D d = seed.delivery(x -> {
      x.channel = channel;
      x.status = "sent";
    });
    seed.attempt(d.id, 1, OffsetDateTime.ofInstant(at, ZoneOffset.UTC), 80, "sent", null, null, 201);
  }

  /**
   * The admins' Slack-compatible hook: records each call and answers {@code status}, or, while
   * held, keeps its answers until released (a notice on its way for as long as a test needs).
   */
  static final class Hook {
    record Call(String body, String contentType) {
    }

    final List<Call> calls = new CopyOnWriteArrayList<>();
    volatile int status = 200;
    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    private final List<HttpServerResponse> held = new ArrayList<>();
    private boolean holding;

    Hook() {
      server = await(vertx.createHttpServer().requestHandler(this::handle).listen(0, "127.0.0.1"));
    }

    String url() {
      return "http://127.0.0.1:" + server.actualPort();
    }

    private void handle(HttpServerRequest req) {
      req.body().onSuccess(body -> {
        calls.add(new Call(body.toString(), req.getHeader("Content-Type")));
        synchronized (this) {
          if (holding) {
            held.add(req.response());
            return;
          }
        }
        req.response().setStatusCode(status).end();
      });
    }

    synchronized void hold() {
      holding = true;
    }

    void release() {
      List<HttpServerResponse> answers;
      synchronized (this) {
        holding = false;
        answers = new ArrayList<>(held);
        held.clear();
      }
      answers.forEach(r -> r.setStatusCode(status).end());
    }

    void close() {
      await(vertx.close());
    }
  }
}
