package io.herald.ops;

import static io.herald.TestGateway.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
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
