package io.herald.ops;

import static io.herald.TestGateway.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.herald.LogCapture;
import io.herald.StandIn;
import io.herald.StandIn.Answer;
import io.herald.TestGateway;
import io.herald.retry.DeliverySeed;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two gateways on one schema, the admins' only route a Slack-compatible webhook: one node checks
 * (the holder of the health lease), a notice no route delivered is tried again, and an alert whose
 * only route is the channel it is about is logged as a warning.
 */
class HealthMonitorLeaseTest {
  static final StandIn SLACK = StandIn.start(r -> Answer.status(200));
  static TestGateway gw;
  static TestGateway peer;
  static DeliverySeed seed;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(new JsonObject().put("alerts", new JsonObject().put("checkIntervalSeconds", 3600)
        .put("webhook", SLACK.url() + "/services/T/B/x")));
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
    SLACK.requests.clear();
    SLACK.behave(r -> Answer.status(200));
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
    assertEquals(1, SLACK.requests.size());
    assertEquals(1, gw.count("SELECT count(*) FROM alerts"));
    ran(gw, t.plusSeconds(60));
    ran(peer, t.plusSeconds(60));
    assertEquals(1, SLACK.requests.size(), "within the cooldown, whichever node checks");
  }

  @Test
  void aNoticeNoRouteDeliveredIsTriedAgainAtTheNextCheck() {
    // the only route fails: the alert is not counted as told, and the next check tries again
    SLACK.behave(r -> Answer.status(503));
    credentialsRefused("sms", t.minusSeconds(60));
    checkOnHolder(t);
    Row row = alert();
    assertNull(row.getOffsetDateTime("notified_at"));
    JsonObject entry = row.getJsonArray("notifications").getJsonObject(0);
    assertEquals("webhook", entry.getString("route"));
    assertFalse(entry.getBoolean("ok"));
    assertEquals("temporary", entry.getString("errorClass"));
    SLACK.behave(r -> Answer.status(200));
    checkOnHolder(t.plusSeconds(60));
    row = alert();
    assertNotNull(row.getOffsetDateTime("notified_at"));
    assertEquals(2, SLACK.requests.size());
    JsonObject body = new JsonObject(SLACK.requests.get(1).body());
    assertEquals("opened", body.getString("event"));
    assertTrue(body.getString("text").startsWith("Herald CRITICAL sms: the provider refused"), body.encode());
    assertEquals("application/json", SLACK.requests.get(1).header("Content-Type"));
    checkOnHolder(t.plusSeconds(120));
    assertEquals(2, SLACK.requests.size(), "told once it worked");
  }

  @Test
  void anAlertWhoseOnlyRouteIsTheFailingChannelIsLoggedAsAWarning() {
    // the webhook route is the only one configured, and the alert is about webhooks: admins may not hear of it
    credentialsRefused("webhook", t.minusSeconds(60));
    List<String> logged = LogCapture.during(Level.INFO, List.of(), () -> checkOnHolder(t)).stream().map(LogCapture::line).toList();
    assertTrue(logged.stream().anyMatch(l -> l.startsWith("WARN") && l.contains("only admin route configured")
        && l.contains("admins may not hear of it")), logged.toString());
    assertEquals(1, SLACK.requests.size(), "it is still tried");
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
}
