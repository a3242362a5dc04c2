package io.herald.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.PerClassGateway;
import io.herald.StandIn;
import io.herald.StandIn.Answer;
import io.herald.TestGateway;
import io.herald.TestSocket;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operators' dashboard at {@code /dashboard} in a real headless Chromium against a real gateway
 * (webhook channel against a provider stand-in): signing in, the dead letter with its attempt
 * history, retrying a delivery until it is sent, the nodes panel. The panels fed by the extended
 * {@code /v1/stats} run against a {@link ScriptedGateway}. Screenshots go to target/screenshots/.
 */
class DashboardTest {
  static final String SECRET = "whsec_MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3Bx";
  static final String HOSTILE = "<img src=x onerror=alert(1)> rejected: bad payload";
  static final Path SHOTS = Path.of("target", "screenshots");

  static final StandIn HOOK = StandIn.start(r -> Answer.status(204));
  static TestGateway gw;

  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(new JsonObject()
      .put("channels", new JsonObject().put("webhook", new JsonObject().put("enabled", true).put("url", HOOK.url() + "/hooks")
          .put("secret", SECRET).put("timeoutSeconds", 2)))
      .put("retry", new JsonObject().put("scanIntervalSeconds", 1).put("pendingGraceSeconds", 2)
          .put("backoff", new JsonArray().add("1s")).put("maxAttempts", 3)), g -> gw = g);

  static Chromium browser;

  @BeforeAll
  static void launch() throws Exception {
    if (Chromium.find().isPresent()) {
      browser = Chromium.launch(Chromium.find().get());
    }
  }

  @AfterAll
  static void close() throws Exception {
    if (browser != null) {
      browser.close();
    }
    HOOK.close();
  }

  static Chromium.Page open(String url) {
    Assumptions.assumeTrue(browser != null, Chromium.MISSING);
    return browser.open(url);
  }

  static void signIn(Chromium.Page page, String key) {
    page.waitFor("!document.getElementById('signin').hidden", "the sign-in form", 10);
    page.type("#key", key);
    page.click("#login-submit");
    page.waitFor("!document.getElementById('app').hidden", "the dashboard after signing in", 15);
  }

  static String q(String selector) {
    return "document.querySelector(" + Chromium.quote(selector) + ")";
  }

  /** Waits until the element matching {@code selector} exists and its text contains {@code text}. */
  static void waitForText(Chromium.Page page, String selector, String text, int seconds) {
    page.waitFor("(" + q(selector) + " || {}).textContent?.includes(" + Chromium.quote(text) + ")",
        selector + " to show \"" + text + "\"", seconds);
  }

  static String status(String deliveryId) {
    return gw.query("SELECT status FROM deliveries WHERE id = '" + deliveryId + "'").iterator().next().getString(0);
  }

  @Test
  void thePagesArePublicStaticFilesUnderThePolicyAndTheDataNeedsAKey() {
    // /dashboard → /dashboard/; the page and its module come with the CSP; the API behind it wants an admin key
    HttpResponse<Buffer> bare = TestGateway.await(gw.http.get(gw.port, "127.0.0.1", "/dashboard").followRedirects(false).send());
    assertTrue(bare.statusCode() == 301 || bare.statusCode() == 302, "status " + bare.statusCode());
    assertEquals("/dashboard/", bare.getHeader("Location"));

    HttpResponse<Buffer> page = gw.get("/dashboard/", null);
    assertEquals(200, page.statusCode());
    assertTrue(page.getHeader("Content-Type").startsWith("text/html"), page.getHeader("Content-Type"));
    String policy = page.getHeader("Content-Security-Policy");
    assertNotNull(policy, "the page has a Content-Security-Policy");
    assertTrue(policy.contains("script-src 'self'") && policy.contains("style-src 'self'") && policy.contains("default-src 'self'"), policy);
    assertTrue(page.bodyAsString().contains("<script type=\"module\" src=\"app.js\">"), "the page loads its module");

    HttpResponse<Buffer> module = gw.get("/dashboard/app.js", null);
    assertEquals(200, module.statusCode());
    assertTrue(module.getHeader("Content-Type").startsWith("text/javascript"), module.getHeader("Content-Type"));
    assertEquals(policy, module.getHeader("Content-Security-Policy"));

    assertEquals(401, gw.get("/v1/stats", null).statusCode(), "the page is public, the data is not");
    assertEquals(403, gw.get("/v1/stats", TestGateway.INGEST_KEY).statusCode(), "and needs the admin scope");
  }

  @Test
  void theShippedFilesKeepToThePolicyAndNeverParseMarkup() throws Exception {
    // no inline scripts, styles or handlers (the CSP would block them), and data only ever as text
    Path root = Path.of(getClass().getClassLoader().getResource("webroot/dashboard").toURI());
    Pattern inlineScript = Pattern.compile("<script(?![^>]*\\ssrc=)[^>]*>", Pattern.CASE_INSENSITIVE);
    Pattern handler = Pattern.compile("\\son[a-z]+\\s*=", Pattern.CASE_INSENSITIVE);
    List<Path> files;
    try (Stream<Path> walk = Files.walk(root)) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    assertTrue(files.stream().anyMatch(f -> f.toString().endsWith("index.html")), "index.html is shipped");
    for (Path f : files) {
      String text = Files.readString(f);
      String name = root.relativize(f).toString();
      if (name.endsWith(".html")) {
        assertFalse(inlineScript.matcher(text).find(), name + ": inline <script>");
        assertFalse(text.toLowerCase().contains("<style"), name + ": inline <style>");
        assertFalse(text.contains(" style="), name + ": a style attribute");
        assertFalse(handler.matcher(text).find(), name + ": an inline event handler");
      }
      if (name.endsWith(".js")) {
        for (String risky : List.of("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
            "localStorage")) {
          assertFalse(text.contains(risky), name + " uses " + risky);
        }
      }
    }
  }

  @Test
  void aWrongKeyOrAKeyWithoutTheAdminScopeIsRefusedWithAMessage() {
    Chromium.Page page = open("http://127.0.0.1:" + gw.port + "/dashboard");
    page.expectProblems("status of 40[13] .*/v1/stats"); // the refused keys' requests, as the browser logs them
    try {
      page.waitFor("!document.getElementById('signin').hidden", "the sign-in form", 10);
      page.type("#key", "not-a-key");
      page.click("#login-submit");
      page.waitFor("!document.getElementById('login-error').hidden", "the sign-in error", 10);
      assertTrue(page.text("#login-error").contains("refused (401"), page.text("#login-error"));
      assertEquals(Boolean.TRUE, page.eval("document.getElementById('app').hidden"), "the dashboard stays closed");
      assertEquals(0, ((Number) page.eval("sessionStorage.length")).intValue(), "a refused key is not kept");

      page.type("#key", TestGateway.INGEST_KEY);
      page.click("#login-submit");
      waitForText(page, "#login-error", "admin", 10);
      assertTrue(page.text("#login-error").contains("403"), page.text("#login-error"));
      assertEquals(0, ((Number) page.eval("sessionStorage.length")).intValue());
      assertEquals(List.of(), page.problems());
    } finally {
      page.close();
    }
  }

  @Test
  void aDeadDeliveryShowsItsErrorAndAttemptsAndARetryTurnsItSent() throws Exception {
    // GIVEN a webhook delivery the provider refused with 400 (an error text with markup in it)
    HOOK.behave(r -> Answer.json(400, new JsonObject().put("code", "E400").put("message", HOSTILE).encode()));
    HttpResponse<Buffer> ingest = gw.post("/v1/notifications", TestGateway.INGEST_KEY, new JsonObject().put("recipient", "dash-user")
        .put("title", "Invoice #42 is ready").put("body", "Your invoice for November.").put("channels", new JsonArray().add("webhook")));
    assertEquals(202, ingest.statusCode(), ingest.bodyAsString());
    String id = ingest.bodyAsJsonObject().getJsonArray("deliveries").getJsonObject(0).getString("id");
    TestGateway.eventually(() -> "dead".equals(status(id)), "the delivery to go dead", 20);

    // WHEN an operator opens the dead letter
    Chromium.Page page = open("http://127.0.0.1:" + gw.port + "/dashboard/");
    try {
      signIn(page, TestGateway.ADMIN_KEY);
      page.click("a[data-view=\"deliveries\"]");
      String row = "tr[data-delivery-id=\"" + id + "\"]";
      page.waitFor(q(row + " .status-dead"), "the dead delivery in the list", 15);
      assertEquals("true", page.eval(q("[data-status-filter=\"dead\"]") + ".getAttribute('aria-pressed')"), "the dead list is shown");

      // THEN it shows the error as text (the provider's markup never becomes an element)
      String text = page.text(row);
      assertTrue(text.contains("HTTP 400") && text.contains("permanent") && text.contains(HOSTILE), text);
      assertTrue(text.contains("dash-user"), text);
      assertEquals(0, ((Number) page.eval("document.querySelectorAll('#app img:not(.brand img)').length")).intValue(),
          "no element made from the error text");

      // and its attempt history in the detail panel, opened from the keyboard (the row takes the focus, Enter opens it)
      page.eval("(() => { const row = " + q(row) + "; row.focus();"
          + " row.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true})); return true; })()");
      page.waitFor(q("#attempts [data-attempt=\"1\"]"), "the attempt history", 15);
      String attempt = page.text("#attempts [data-attempt=\"1\"]");
      assertTrue(attempt.contains("dead") && attempt.contains("permanent") && attempt.contains("400") && attempt.contains(HOSTILE), attempt);
      assertTrue(page.text("#detail").contains("Invoice #42 is ready"), "the notification is shown with it");
      page.screenshot(SHOTS.resolve("dashboard-deliveries.png"));

      // WHEN the provider is fixed and the operator clicks retry, THEN the row turns sent
      HOOK.behave(r -> Answer.status(200));
      page.click(row + " [data-action=\"retry\"]");
      page.waitFor(q(row + " .status-sent"), "the retried delivery to turn sent", 30);
      page.waitFor(q("#attempts [data-attempt=\"2\"] .status-sent"), "the second attempt, sent, in the history", 15);
      assertEquals("sent", status(id));
      assertEquals(2, HOOK.requests.stream().filter(r -> id.equals(r.header("webhook-id"))).count(), "the provider was called again");
      page.screenshot(SHOTS.resolve("dashboard-deliveries-retried.png"));
      assertEquals(List.of(), page.problems());
    } finally {
      page.close();
    }
  }

  /** Ingests a webhook notification and returns its delivery id once the refusing provider made it dead. */
  static String deadWebhook(String title) {
    HttpResponse<Buffer> ingest = gw.post("/v1/notifications", TestGateway.INGEST_KEY, new JsonObject().put("recipient", "dash-user")
        .put("title", title).put("channels", new JsonArray().add("webhook")));
    assertEquals(202, ingest.statusCode(), ingest.bodyAsString());
    String id = ingest.bodyAsJsonObject().getJsonArray("deliveries").getJsonObject(0).getString("id");
    TestGateway.eventually(() -> "dead".equals(status(id)), "the delivery to go dead", 20);
    return id;
  }

  @Test
  void cancelExportAndRetryAllMatchingAfterADryRun() throws Exception {
    HOOK.behave(r -> Answer.json(400, "{\"message\":\"bad payload\"}"));
    String a = deadWebhook("Bulk A");
    String b = deadWebhook("Bulk B");
    String c = deadWebhook("Bulk C");
    Chromium.Page page = open("http://127.0.0.1:" + gw.port + "/dashboard/");
    try {
      signIn(page, TestGateway.ADMIN_KEY);
      page.eval("location.hash = '#/deliveries?status=dead&channel=webhook'");
      for (String id : List.of(a, b, c)) {
        page.waitFor(q("tr[data-delivery-id=\"" + id + "\"] .status-dead"), "dead delivery " + id, 15);
      }

      // cancel takes a second click to confirm
      String cancel = "tr[data-delivery-id=\"" + c + "\"] [data-action=\"cancel\"]";
      page.click(cancel);
      assertEquals("Confirm cancel", page.text(cancel));
      assertEquals("dead", status(c), "one click cancels nothing");
      page.click(cancel);
      page.waitFor(q("tr[data-delivery-id=\"" + c + "\"] .status-cancelled"), "the cancelled row", 15);
      assertEquals("cancelled", status(c));

      // the CSV export is fetched with the key and handed over as a file
      page.eval("(() => { const make = URL.createObjectURL; window.__csv = null;"
          + " URL.createObjectURL = blob => { window.__csv = blob; return make(blob); }; return true; })()");
      page.click("#export");
      page.waitFor("window.__csv", "the exported file", 15);
      String csv = (String) page.eval("window.__csv.text()");
      assertTrue(csv.startsWith("id,notification_id,recipient,channel"), csv);
      assertTrue(csv.contains(a) && csv.contains(b) && !csv.contains(c), "the dead webhook deliveries, not the cancelled one:\n" + csv);

      // retry all matching: a dry run first, which changes nothing
      page.click("#bulk-retry");
      page.waitFor(q("#bulk-result .bulk-count"), "the dry-run preview", 15);
      for (String id : List.of(a, b)) {
        assertNotNull(page.eval(q("#bulk-result tr[data-delivery-id=\"" + id + "\"]")), "the preview lists " + id);
      }
      assertEquals(null, page.eval(q("#bulk-result tr[data-delivery-id=\"" + c + "\"]")), "not the cancelled one");
      assertEquals("dead", status(a));
      assertEquals("dead", status(b));
      page.screenshot(SHOTS.resolve("dashboard-retry-all.png"));

      // confirmed once the provider is fixed: both go out, and the rows follow
      HOOK.behave(r -> Answer.status(200));
      page.click("#bulk-confirm");
      page.waitFor("!document.getElementById('bulk').open", "the dialog to close", 15);
      for (String id : List.of(a, b)) {
        page.waitFor(q("tr[data-delivery-id=\"" + id + "\"] .status-sent"), "re-queued delivery " + id + " to turn sent", 30);
        assertEquals("sent", status(id));
      }
      assertEquals("cancelled", status(c));
      assertEquals(List.of(), page.problems());
    } finally {
      page.close();
    }
  }

  @Test
  void theNodesPanelShowsThisNodeWithItsSocketsAndSignOutForgetsTheKey() throws Exception {
    String node = gw.get("/v1/stats", TestGateway.ADMIN_KEY).bodyAsJsonObject().getString("node");
    TestSocket socket = gw.socket(TestGateway.token("dash-watcher"));
    socket.next("welcome");
    Chromium.Page page = open("http://127.0.0.1:" + gw.port + "/dashboard/");
    try {
      signIn(page, TestGateway.ADMIN_KEY);
      String cell = "[data-node-id=\"" + node + "\"] .sockets";
      page.waitFor("(" + q(cell) + " || {}).textContent === '1'", "this node with its one socket", 30);
      assertEquals("this node", page.text("[data-node-id=\"" + node + "\"] .self-badge"));
      // the tiles read this gateway's real /v1/stats answer (not only the scripted one below)
      JsonObject stats = gw.get("/v1/stats", TestGateway.ADMIN_KEY).bodyAsJsonObject();
      waitForText(page, "[data-tile=\"dead\"] .tile-value", String.valueOf(stats.getLong("dead")), 15);
      waitForText(page, "[data-tile=\"sent\"] .tile-value",
          String.valueOf(stats.getJsonObject("windows").getJsonObject("lastHour").getLong("sent")), 15);
      assertTrue(page.text("#conn").startsWith("Live"), page.text("#conn"));
      assertEquals(TestGateway.ADMIN_KEY, page.eval("sessionStorage.getItem('herald.dashboard.key')"), "the key is in sessionStorage");
      assertEquals(0, ((Number) page.eval("localStorage.length")).intValue(), "and nowhere that outlives the tab");
      page.screenshot(SHOTS.resolve("dashboard-overview.png"));
      assertEquals(List.of(), page.problems());

      page.click("#signout");
      page.waitFor("!document.getElementById('signin').hidden && sessionStorage.getItem('herald.dashboard.key') === null",
          "the sign-in form without the key", 15);
      assertTrue(page.text("#login-error").contains("Signed out"), page.text("#login-error"));
    } finally {
      page.close();
      socket.close();
    }
  }

  // ---- the extended /v1/stats (another part of issue 6) and answers the page must survive ----

  static JsonObject channel(int attempts, int sent, int failed, int dead) {
    return new JsonObject().put("attempts", attempts).put("sent", sent).put("failed", failed).put("dead", dead)
        .put("successRate", attempts == 0 ? null : (double) sent / attempts);
  }

  static JsonObject queue(int pending, int sending, int failed, int held, int critical, int high, int normal, int low) {
    return new JsonObject().put("pending", pending).put("sending", sending).put("failed", failed).put("held", held)
        .put("byPriority", new JsonObject().put("critical", critical).put("high", high).put("normal", normal).put("low", low));
  }

  static JsonObject extendedStats() {
    Instant now = Instant.now();
    Instant first = now.truncatedTo(ChronoUnit.MINUTES).minus(59, ChronoUnit.MINUTES);
    JsonArray series = new JsonArray();
    for (int i = 0; i < 60; i++) {
      int ingested = 14 + (int) Math.round(6 * Math.sin(i / 5.0)) + i % 4;
      int failed = i >= 38 && i <= 44 ? 5 + i % 3 : i % 13 == 0 ? 1 : 0;
      series.add(new JsonObject().put("at", first.plus(i, ChronoUnit.MINUTES).toString()).put("ingested", ingested)
          .put("sent", Math.max(0, ingested - failed)).put("failed", failed));
    }
    JsonObject fanout = new JsonObject().put("mode", "redis").put("redis", "up").put("channels", 412).put("published", 10422)
        .put("received", 20870).put("skippedWhileDown", 0).put("reconnects", 0);
    JsonArray members = new JsonArray().add("5f0c1d2e-aaaa").add("9a41b2c3-bbbb").add("c2d7e8f9-cccc");
    return new JsonObject()
        .put("node", "gw-1a2b3c4d").put("sockets", 934)
        .put("cluster", new JsonObject().put("enabled", true).put("member", "5f0c1d2e-aaaa").put("members", members))
        .put("nodes", new JsonArray()
            .add(new JsonObject().put("id", "gw-1a2b3c4d").put("self", true).put("clusterMember", "5f0c1d2e-aaaa").put("inCluster", true)
                .put("address", "10.0.3.7:8080").put("startedAt", now.minus(3, ChronoUnit.HOURS).toString())
                .put("seenAt", now.minusSeconds(2).toString()).put("sockets", 312).put("draining", false).put("fanout", fanout))
            .add(new JsonObject().put("id", "gw-5e6f7a8b").put("self", false).put("clusterMember", "9a41b2c3-bbbb").put("inCluster", true)
                .put("address", "10.0.3.8:8080").put("startedAt", now.minus(3, ChronoUnit.HOURS).toString())
                .put("seenAt", now.minusSeconds(4).toString()).put("sockets", 598).put("draining", false).put("fanout", fanout))
            .add(new JsonObject().put("id", "gw-9c0d1e2f").put("self", false).put("clusterMember", "c2d7e8f9-cccc").put("inCluster", true)
                .put("address", "10.0.3.9:8080").put("startedAt", now.minus(40, ChronoUnit.MINUTES).toString())
                .put("seenAt", now.minusSeconds(1).toString()).put("sockets", 24).put("draining", true)
                .put("fanout", fanout.copy().put("redis", "down").put("downSince", now.minusSeconds(30).toString()))))
        .put("windows", new JsonObject()
            .put("lastHour", new JsonObject().put("attempts", 880).put("sent", 858).put("failed", 18).put("dead", 4).put("successRate", 0.975)
                .put("ingested", 912).put("channels", new JsonObject().put("email", channel(410, 409, 1, 0)).put("sms", channel(52, 25, 23, 4))
                    .put("webhook", channel(418, 418, 0, 0))))
            .put("last24h", new JsonObject().put("attempts", 20110).put("sent", 19870).put("failed", 212).put("dead", 28)
                .put("successRate", 0.988).put("ingested", 20480).put("channels", new JsonObject().put("email", channel(9800, 9790, 8, 2))
                    .put("sms", channel(1210, 1003, 190, 17)).put("webhook", channel(9100, 9077, 14, 9)))))
        .put("queue", new JsonObject().put("total", 85).put("channels", new JsonObject()
            .put("email", queue(12, 2, 5, 40, 0, 3, 50, 6)).put("sms", queue(4, 1, 7, 0, 3, 2, 7, 0)).put("webhook", queue(9, 3, 2, 0, 0, 0, 14, 0))))
        .put("oldestWaiting", new JsonObject().put("id", "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0001").put("channel", "sms").put("status", "failed")
            .put("dueAt", now.minusSeconds(1260).toString()).put("waitingSeconds", 1260))
        .put("dead", 17).put("deadByChannel", new JsonObject().put("sms", 12).put("email", 4).put("webhook", 1))
        .put("series", series)
        .put("alerts", new JsonArray()
            .add(new JsonObject().put("id", "alert-1").put("rule", "failure_rate").put("channel", "sms").put("severity", "critical")
                .put("status", "active").put("title", "SMS failure rate at 52 %")
                .put("message", "27 of 52 SMS attempts failed in the last hour (threshold 50 %). <b>Check the provider.</b>")
                .put("details", new JsonObject().put("failed", 27)).put("openedAt", now.minus(18, ChronoUnit.MINUTES).toString())
                .put("lastSeenAt", now.minusSeconds(50).toString()).put("notifiedAt", now.minus(17, ChronoUnit.MINUTES).toString()))
            .add(new JsonObject().put("id", "alert-2").put("rule", "permanent_failures").put("channel", "email").put("severity", "warning")
                .put("status", "active").put("title", "6 permanent e-mail failures in 24 h")
                .put("message", "Mailboxes refused 6 e-mails (550) since yesterday.").put("openedAt", now.minus(3, ChronoUnit.HOURS).toString())
                .put("lastSeenAt", now.minusSeconds(200).toString()).putNull("notifiedAt")));
  }

  @Test
  void theExtendedStatsFillEveryPanel() throws Exception {
    Assumptions.assumeTrue(browser != null, Chromium.MISSING);
    try (ScriptedGateway scripted = new ScriptedGateway()) {
      scripted.answer("/v1/stats", extendedStats()).answer("/v1/deliveries", new JsonObject().put("items", new JsonArray()).putNull("next"));
      Chromium.Page page = browser.open(scripted.url("/dashboard/"));
      page.expectProblems("status of 404 .*/v1/alerts"); // the scripted gateway has no alerts endpoint
      try {
        signIn(page, ScriptedGateway.KEY);
        waitForText(page, "[data-tile=\"sent\"] .tile-value", "858", 15);
        assertEquals("97.5 %", page.text("[data-tile=\"success\"] .tile-value"));
        assertTrue(page.text("[data-tile=\"success\"] .tile-sub").contains("98.8 %"), page.text("[data-tile=\"success\"] .tile-sub"));
        assertEquals("17", page.text("[data-tile=\"dead\"] .tile-value"));
        assertEquals("85", page.text("[data-tile=\"waiting\"] .tile-value"));
        assertEquals("21 min", page.text("[data-tile=\"oldest\"] .tile-value"));
        assertTrue(((String) page.eval(q("[data-tile=\"oldest\"]") + ".getAttribute('href')")).contains("focus=0190aaaa-bbbb-7ccc-8ddd-eeeeffff0001"));

        // charts drawn from the series: three lines, and the failure-rate area
        page.waitFor(q("#throughput path.line.s-sent") + " && " + q("#throughput path.line.s-failed") + " && "
            + q("#failure-rate path.area.s-failed"), "both charts", 10);

        // alerts, severity-coloured, their text as text
        assertNotNull(page.eval(q("[data-alert-id=\"alert-1\"].sev-critical")), "the critical alert");
        assertNotNull(page.eval(q("[data-alert-id=\"alert-2\"].sev-warning")), "the warning");
        assertTrue(page.text("[data-alert-id=\"alert-1\"]").contains("<b>Check the provider.</b>"), page.text("[data-alert-id=\"alert-1\"]"));
        assertTrue(page.text("[data-alert-id=\"alert-2\"]").contains("admins not notified yet"));
        assertEquals("2", page.text("#nav-alerts"));

        // channels: totals, success and the queue by priority
        assertEquals("3", page.text("tr[data-channel=\"sms\"] [data-priority=\"critical\"]"));
        assertTrue(page.text("tr[data-channel=\"sms\"]").contains("48.1 %"), page.text("tr[data-channel=\"sms\"]"));
        assertEquals("12", page.text("tr[data-channel=\"sms\"] td:last-child"));

        // nodes: self, draining, Redis down
        assertEquals("312", page.text("[data-node-id=\"gw-1a2b3c4d\"] .sockets"));
        assertNotNull(page.eval(q("[data-node-id=\"gw-9c0d1e2f\"] .draining")), "the draining node is marked");
        assertTrue(page.text("[data-node-id=\"gw-9c0d1e2f\"]").contains("redis down"));
        assertTrue(page.text("#nodes-summary").contains("cluster of 3"), page.text("#nodes-summary"));
        page.screenshot(SHOTS.resolve("dashboard-overview-extended.png"));

        // a laptop screen: nothing runs off the side; and the dark scheme
        page.call("Emulation.setDeviceMetricsOverride", new JsonObject().put("width", 1024).put("height", 768)
            .put("deviceScaleFactor", 1).put("mobile", false));
        page.waitFor("document.documentElement.scrollWidth <= window.innerWidth", "the overview to fit 1024 px", 10);
        String light = (String) page.eval("getComputedStyle(document.body).backgroundColor");
        page.call("Emulation.setEmulatedMedia", new JsonObject().put("features", new JsonArray()
            .add(new JsonObject().put("name", "prefers-color-scheme").put("value", "dark"))));
        page.waitFor("getComputedStyle(document.body).backgroundColor !== " + Chromium.quote(light), "the dark scheme", 10);
        page.screenshot(SHOTS.resolve("dashboard-overview-dark-1024.png"));

        // the alerts view on a gateway without GET /v1/alerts says so
        page.click("a[data-view=\"alerts\"]");
        waitForText(page, "#alerts-list", "not available on this gateway version", 10);
        // and one that has it lists them, resolved ones too
        Instant now = Instant.now();
        scripted.answer("/v1/alerts", new JsonObject().put("items", new JsonArray().add(new JsonObject().put("id", "alert-0")
            .put("rule", "credentials").put("channel", "sms").put("severity", "critical").put("status", "resolved")
            .put("title", "SMS provider refused the credentials").put("message", "401 from the provider")
            .put("openedAt", now.minus(2, ChronoUnit.DAYS).toString()).put("lastSeenAt", now.minus(1, ChronoUnit.DAYS).toString())
            .put("resolvedAt", now.minus(1, ChronoUnit.DAYS).toString()).put("notifiedAt", now.minus(2, ChronoUnit.DAYS).toString()))));
        page.click("[data-alert-filter=\"resolved\"]");
        page.waitFor(q("#alerts-list [data-alert-id=\"alert-0\"].resolved"), "the resolved alert", 10);
        assertTrue(page.text("[data-alert-id=\"alert-0\"]").contains("resolved"), page.text("[data-alert-id=\"alert-0\"]"));

        // the oldest-waiting link opens the deliveries view on that delivery's status and channel
        page.eval("location.hash = " + Chromium.quote("#/deliveries?status=failed&channel=sms&focus=0190aaaa-bbbb-7ccc-8ddd-eeeeffff0001"));
        waitForText(page, "#deliveries-note", "is not on this page", 10);
        assertEquals("sms", page.eval("document.getElementById('f-channel').value"));
        assertEquals("true", page.eval(q("[data-status-filter=\"failed\"]") + ".getAttribute('aria-pressed')"));
        assertTrue(page.text("#deliveries-empty").contains("Nothing is waiting to be retried on sms"), page.text("#deliveries-empty"));
        assertEquals(List.of(), page.problems());

        // a key revoked mid-session: back to the sign-in form, saying why, and the key is forgotten
        scripted.revoke();
        page.expectProblems("status of 401 .*/v1/"); // the refused requests, as the browser logs them
        page.waitFor("!document.getElementById('signin').hidden", "the sign-in form after the key was refused", 20);
        assertTrue(page.text("#login-error").contains("refused (401") && page.text("#login-error").contains("signed out"),
            page.text("#login-error"));
        assertEquals(null, page.eval("sessionStorage.getItem('herald.dashboard.key')"));
        assertEquals(List.of(), page.problems());
      } finally {
        page.close();
      }
    }
  }

  @Test
  void oddAnswersNeverBreakThePageAndAnOutageKeepsTheLastData() throws Exception {
    Assumptions.assumeTrue(browser != null, Chromium.MISSING);
    try (ScriptedGateway scripted = new ScriptedGateway()) {
      scripted.answer("/v1/stats", extendedStats());
      Chromium.Page page = browser.open(scripted.url("/dashboard/"));
      // the scripted gateway has no alerts endpoint, and goes away at the end
      page.expectProblems("status of 404 .*/v1/alerts|net::ERR_CONNECTION_REFUSED");
      try {
        signIn(page, ScriptedGateway.KEY);
        waitForText(page, "[data-tile=\"dead\"] .tile-value", "17", 15);

        // every field of the wrong type, or missing
        scripted.answer("/v1/stats", new JsonObject().put("node", 5).put("windows", "x").put("dead", "many")
            .put("queue", new JsonObject().put("channels", new JsonObject().putNull("email").put("sms", new JsonObject().put("byPriority", "z"))))
            .put("series", new JsonArray().addNull().add(new JsonObject().put("at", "nope").put("sent", "3")).add(7))
            .put("nodes", new JsonArray().addNull().add(new JsonObject().put("id", new JsonObject())))
            .put("alerts", new JsonArray().addNull().add(3).add(new JsonObject().put("severity", "<b>")))
            .put("oldestWaiting", 42).put("cluster", "yes"));
        waitForText(page, "[data-tile=\"dead\"] .tile-value", "—", 15);
        assertEquals("—", page.text("[data-tile=\"sent\"] .tile-value"));
        assertEquals(List.of(), page.problems(), "odd answers throw nothing");

        // the gateway goes away: the last data stays, the problem is shown
        scripted.answer("/v1/stats", new JsonObject().put("nodes", new JsonArray()));
        waitForText(page, "#nodes", "No node has written a heartbeat", 15);
        scripted.close();
        page.waitFor("!document.getElementById('problem').hidden", "the connection problem", 20);
        assertTrue(page.text("#conn").startsWith("Offline"), page.text("#conn"));
        assertTrue(page.text("#nodes").contains("No node has written a heartbeat"), "the last good data stays on screen");
        assertEquals(List.of(), page.problems());
      } finally {
        page.close();
      }
    }
  }
}
