package io.herald.ops;

import static io.herald.TestGateway.ADMIN_KEY;
import static io.herald.TestGateway.INGEST_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.PerClassGateway;
import io.herald.StandIn;
import io.herald.StandIn.Answer;
import io.herald.TestGateway;
import io.herald.TestSocket;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code /metrics} of a running gateway after real traffic: ingest, webhook deliveries that succeed,
 * fail and die, pushes to a WebSocket, a resume, Redis fan-out; each named series is there with its
 * labels and moved. Two gateways in one JVM keep their own numbers.
 */
class MetricsTest {
  static final String KEY = "whsec_MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3Bx";
  /** Webhook stand-in scripted by the notification title. */
  static final StandIn HOOK = StandIn.start(r -> r.body().contains("hook-500") ? Answer.status(500)
      : r.body().contains("hook-401") ? Answer.status(401) : Answer.status(200));

  static TestGateway gw;

  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(new JsonObject()
      .put("channels", new JsonObject().put("webhook", new JsonObject().put("enabled", true).put("url", HOOK.url() + "/hook")
          .put("secret", KEY).put("timeoutSeconds", 2)))
      // no scan during the test: a failed delivery stays failed, one made due stays due
      .put("retry", new JsonObject().put("scanIntervalSeconds", 3600).put("leaseSeconds", 10))
      .put("metrics", new JsonObject().put("maxCategories", 2).put("queueIntervalSeconds", 1)), g -> gw = g);

  @AfterAll
  static void stopStandIn() {
    HOOK.close();
  }

  // Ingest, deliveries (sent, failed, dead), a push and a resume each move their series, with bounded labels.
  @Test
  void trafficMovesHeraldsMeters() {
    Scrape before = Scrape.of(gw);
    assertTrue(before.contentType.startsWith("text/plain; version=0.0.4"), before.contentType);

    TestSocket socket = gw.socket(TestGateway.token("mia"));
    socket.next("welcome");
    String first = ingest("mia", "hello", "warning", "billing", false).getString("id");
    socket.next("notification");
    ingest("mia", "hook-ok", "info", "billing", true);
    socket.next("notification");
    ingest("mia", "hook-500", "info", "billing", true);
    socket.next("notification");
    ingest("mia", "hook-401", "error", null, true);
    socket.next("notification");
    // one attempt each: sent, failed (to be retried), dead (credentials)
    TestGateway.eventually(() -> gw.count("SELECT count(*) FROM delivery_attempts WHERE outcome <> 'sending'") == 3, "three outcomes");
    socket.send(new JsonObject().put("type", "resume").put("after", first));
    for (int i = 0; i < 3; i++) {
      socket.next("notification");
    }

    // recorded on the server as the frames are written: wait for them rather than for a moment
    TestGateway.eventually(() -> {
      Scrape now = Scrape.of(gw);
      return now.value("herald_queue_depth", "channel", "webhook", "status", "dead") == 1
          && moved(before, now, "herald_resumes_total") == 1 && moved(before, now, "herald_push_latency_seconds_count") == 4;
    }, "the resume, the pushes and the dead delivery to show");
    Scrape after = Scrape.of(gw);
    assertEquals(1, moved(before, after, "herald_notifications_ingested_total", "level", "warning", "category", "billing"));
    assertEquals(2, moved(before, after, "herald_notifications_ingested_total", "level", "info", "category", "billing"));
    assertEquals(1, moved(before, after, "herald_notifications_ingested_total", "level", "error", "category", "_none"));

    assertEquals(1, moved(before, after, "herald_deliveries_total", "channel", "webhook", "outcome", "sent", "error_class", "none"));
    assertEquals(1, moved(before, after, "herald_deliveries_total", "channel", "webhook", "outcome", "failed", "error_class", "temporary"));
    assertEquals(1, moved(before, after, "herald_deliveries_total", "channel", "webhook", "outcome", "dead", "error_class", "credentials"));
    assertEquals(0, moved(before, after, "herald_deliveries_total", "channel", "webhook", "outcome", "dead", "error_class", "permanent"));
    assertEquals(3, moved(before, after, "herald_delivery_duration_seconds_count", "channel", "webhook"));
    assertTrue(after.value("herald_delivery_duration_seconds_sum", "channel", "webhook") > 0);
    assertTrue(after.has("herald_delivery_duration_seconds_bucket", "channel", "webhook", "le", "+Inf"), "a histogram");

    assertEquals(1, after.value("herald_queue_depth", "channel", "webhook", "status", "failed"));
    assertEquals(0, after.value("herald_queue_depth", "channel", "webhook", "status", "pending"));
    assertEquals(0, after.value("herald_queue_depth", "channel", "sms", "status", "failed"), "every channel is reported");
    assertEquals(0, after.value("herald_oldest_due_delivery_age_seconds", "channel", "webhook"), "the failed one is not due yet");

    assertEquals(1, after.value("herald_sockets_open"));
    assertEquals(4, moved(before, after, "herald_push_latency_seconds_count"), "each live notification written to the socket");
    assertTrue(after.has("herald_push_latency_seconds_bucket", "le", "+Inf"));
    assertEquals(1, moved(before, after, "herald_resumes_total"));
    assertEquals(1, moved(before, after, "herald_resume_notifications_count"));
    assertEquals(3, moved(before, after, "herald_resume_notifications_sum"), "the resume sent three notifications back");
    assertFalse(after.has("herald_fanout_redis_up"), "no Redis fan-out on this gateway");

    // no label anywhere carries a user id or a notification id
    assertFalse(after.text.contains("mia"), "user ids never appear");
    assertFalse(after.text.contains(first), "notification ids never appear");
    socket.close();
    TestGateway.eventually(() -> Scrape.of(gw).value("herald_sockets_open") == 0, "the socket to be counted closed");
  }

  // The oldest due delivery's age comes from the database: a failed delivery whose retry is overdue shows its wait.
  @Test
  void oldestDueDeliveryAgeFollowsTheQueue() {
    String id = ingest("noah", "hook-500 overdue", "info", "billing", true).getJsonArray("deliveries").getJsonObject(0).getString("id");
    TestGateway.eventually(() -> gw.count("SELECT count(*) FROM deliveries WHERE id = '" + id + "' AND status = 'failed'") == 1,
        "the attempt to fail");
    assertEquals(1, gw.count("SELECT count(*) FROM deliveries WHERE id = '" + id + "' AND due_since = next_attempt_at"),
        "due again at its retry time");
    // its retry time passed ten minutes ago and no worker took it since
    gw.query("UPDATE deliveries SET next_attempt_at = now() - interval '10 minutes', due_since = now() - interval '10 minutes' "
        + "WHERE id = '" + id + "'");
    TestGateway.eventually(() -> Scrape.of(gw).value("herald_oldest_due_delivery_age_seconds", "channel", "webhook") >= 600,
        "the gauge to show a wait of ten minutes or more");
    gw.query("UPDATE deliveries SET status = 'cancelled' WHERE id = '" + id + "'");
    TestGateway.eventually(() -> Scrape.of(gw).value("herald_oldest_due_delivery_age_seconds", "channel", "webhook") == 0,
        "the gauge to go back to 0 when nothing is due");
  }

  // Categories are free text: the first metrics.maxCategories (2 here) keep their name, the rest count as "_other".
  @Test
  void categoriesBeyondTheCapCountAsOther() {
    Scrape before = Scrape.of(gw);
    ingest("ola", "one", "info", "billing", false);
    ingest("ola", "two", "info", "orders", false);
    ingest("ola", "three", "info", "marketing", false);
    ingest("ola", "four", "success", "spring-sale-2031", false);
    Scrape after = Scrape.of(gw);
    assertEquals(1, moved(before, after, "herald_notifications_ingested_total", "level", "info", "category", "orders"));
    assertEquals(1, moved(before, after, "herald_notifications_ingested_total", "level", "info", "category", "_other"));
    assertEquals(1, moved(before, after, "herald_notifications_ingested_total", "level", "success", "category", "_other"));
    assertFalse(after.has("herald_notifications_ingested_total", "category", "marketing"));
    assertFalse(after.has("herald_notifications_ingested_total", "category", "spring-sale-2031"));
    // named categories, plus _none and _other, times four levels: bounded whatever applications send
    assertEquals(4 * 4, after.all("herald_notifications_ingested_total").size());
  }

  // With metrics.categories listed, exactly those keep their name on every node, from the start; a real
  // category called "other" does not mix with the catch-all.
  @Test
  void listedCategoriesAreTheOnlyNamedOnes() {
    TestGateway listed = TestGateway.start(new JsonObject().put("metrics", new JsonObject()
        .put("categories", new JsonArray().add("billing").add("other")).put("maxCategories", 1)));
    try {
      Scrape fresh = Scrape.of(listed);
      assertEquals(0, fresh.value("herald_notifications_ingested_total", "level", "info", "category", "billing"), "listed ones exist at 0");
      for (String category : List.of("orders", "other", "billing", "billing")) {
        assertEquals(202, listed.post("/v1/notifications", INGEST_KEY, new JsonObject().put("recipient", "ines")
            .put("title", "t").put("category", category)).statusCode());
      }
      Scrape after = Scrape.of(listed);
      assertEquals(2, after.value("herald_notifications_ingested_total", "level", "info", "category", "billing"));
      assertEquals(1, after.value("herald_notifications_ingested_total", "level", "info", "category", "other"));
      assertEquals(1, after.value("herald_notifications_ingested_total", "level", "info", "category", "_other"));
      assertFalse(after.has("herald_notifications_ingested_total", "category", "orders"));
    } finally {
      listed.close();
    }
  }

  // Vert.x's own meters are there: HTTP server requests by method and status code, no path label; odd methods fold into "other".
  @Test
  void vertxMetersHaveOnlyBoundedLabels() {
    gw.get("/v1/stats", ADMIN_KEY);
    TestGateway.await(gw.http.request(HttpMethod.valueOf("BREW"), gw.port, "127.0.0.1", "/v1/coffee").send());
    Scrape s = Scrape.of(gw);
    assertTrue(s.sum("vertx_http_server_requests_total", "method", "GET", "code", "200") >= 1, s.text);
    assertTrue(s.has("vertx_http_server_requests_total", "method", "other"), "a made-up method is reported as other");
    assertFalse(s.has("vertx_http_server_requests_total", "method", "BREW"));
    for (Scrape.Sample sample : s.samples) {
      assertFalse(sample.labels().containsKey("path") || sample.labels().containsKey("remote") || sample.labels().containsKey("local"),
          "unbounded label on " + sample);
    }
    assertTrue(s.has("vertx_eventbus_handlers", "address", "herald.deliver.webhook"), "event-bus meters by (fixed) address");
    assertTrue(s.has("jvm_memory_used_bytes"), "JVM meters");
  }

  // Two gateways in one JVM each scrape their own numbers; Redis fan-out meters appear only where Redis is configured.
  @Test
  void twoGatewaysKeepTheirOwnNumbers() {
    try (TestGateway peer = gw.peer(new JsonObject().put("redis", new JsonObject().put("uri", "redis://127.0.0.1:6379")))) {
      Scrape mineBefore = Scrape.of(gw);
      Scrape peerBefore = Scrape.of(peer);
      TestSocket socket = peer.socket(TestGateway.token("pia"));
      socket.next("welcome");
      TestGateway.eventually(() -> Scrape.of(peer).value("herald_sockets_open") == 1, "the peer to count its socket");
      HttpResponse<Buffer> r = peer.post("/v1/notifications", INGEST_KEY, new JsonObject().put("recipient", "pia").put("title", "hi")
          .put("level", "success").put("category", "billing"));
      assertEquals(202, r.statusCode());
      socket.next("notification");
      TestGateway.eventually(() -> Scrape.of(peer).value("herald_fanout_published_total") > 0, "the publication to be counted");

      Scrape mine = Scrape.of(gw);
      Scrape theirs = Scrape.of(peer);
      assertEquals(1, moved(peerBefore, theirs, "herald_notifications_ingested_total", "level", "success", "category", "billing"));
      assertEquals(0, moved(mineBefore, mine, "herald_notifications_ingested_total", "level", "success", "category", "billing"));
      assertEquals(1, theirs.value("herald_sockets_open"));
      assertEquals(0, mine.value("herald_sockets_open"));
      assertEquals(1, moved(peerBefore, theirs, "herald_push_latency_seconds_count"));
      assertEquals(0, moved(mineBefore, mine, "herald_push_latency_seconds_count"));
      assertEquals(1, theirs.value("herald_fanout_redis_up"));
      assertTrue(theirs.has("herald_fanout_received_total") && theirs.has("herald_fanout_reconnects_total")
          && theirs.has("herald_fanout_skipped_total") && theirs.has("herald_fanout_channels"));
      assertFalse(mine.has("herald_fanout_redis_up"));
      // the peer's HTTP requests are not in this gateway's Vert.x meters: its ingest POST is only there
      assertTrue(theirs.sum("vertx_http_server_requests_total", "method", "POST") >= 1);
      assertEquals(mineBefore.sum("vertx_http_server_requests_total", "method", "POST"),
          mine.sum("vertx_http_server_requests_total", "method", "POST"));
      socket.close();
    }
  }

  // metrics.enabled false: no /metrics endpoint (the API's 404).
  @Test
  void metricsCanBeTurnedOff() {
    try (TestGateway off = gw.peer(new JsonObject().put("metrics", new JsonObject().put("enabled", false)))) {
      assertEquals(404, off.get("/metrics", null).statusCode());
      off.notify("quiet", "still works");
    }
  }

  private static JsonObject ingest(String user, String title, String level, String category, boolean webhook) {
    JsonObject body = new JsonObject().put("recipient", user).put("title", title).put("level", level)
        .put("channels", webhook ? new JsonArray().add("inapp").add("webhook") : new JsonArray().add("inapp"));
    if (category != null) {
      body.put("category", category);
    }
    HttpResponse<Buffer> r = gw.post("/v1/notifications", INGEST_KEY, body);
    assertEquals(202, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  private static double moved(Scrape before, Scrape after, String name, String... labels) {
    return after.value(name, labels) - before.valueOrZero(name, labels);
  }
}
