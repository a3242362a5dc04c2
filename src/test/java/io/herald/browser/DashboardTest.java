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

  /** From now on the page notes the path of every call it makes in {@code window.__fetched}. */
  static void recordFetches(Chromium.Page page) {
    page.eval("(() => { const real = window.fetch; window.__fetched = [];"
        + " window.fetch = (url, options) => { window.__fetched.push(String(url)); return real(url, options); }; return true; })()");
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

      // confirmed once the provider is fixed: both go out, and the list is listed again (one call, not one per row)
      HOOK.behave(r -> Answer.status(200));
      recordFetches(page);
      page.click("#bulk-confirm");
      page.waitFor("!document.getElementById('bulk').open", "the dialog to close", 15);
      for (String id : List.of(a, b)) {
        page.waitFor("!" + q("tr[data-delivery-id=\"" + id + "\"]"), "re-queued delivery " + id + " to leave the dead list", 15);
        TestGateway.eventually(() -> "sent".equals(status(id)), "re-queued delivery " + id + " to be sent", 30);
      }
      assertEquals("cancelled", status(c));
      List<String> calls = ((JsonArray) page.eval("window.__fetched")).stream().map(String::valueOf).toList();
      assertTrue(calls.stream().anyMatch(u -> u.startsWith("/v1/deliveries?status=dead")), "the list was listed again: " + calls);
      for (String id : List.of(a, b)) {
        String notification = gw.query("SELECT notification_id FROM deliveries WHERE id = '" + id + "'").iterator().next().getValue(0).toString();
        assertTrue(calls.stream().noneMatch(u -> u.contains(notification)), "re-queued " + id + " was not fetched on its own: " + calls);
      }
      // the "all" list shows them sent
      page.click("[data-status-filter=\"all\"]");
      for (String id : List.of(a, b)) {
        page.waitFor(q("tr[data-delivery-id=\"" + id + "\"] .status-sent"), "re-queued delivery " + id + " sent in the full list", 15);
      }
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

  // ---- the review of the dashboard: a hung gateway, the failed figures, views that follow the refresh,
  // cancel on a watched delivery, a laptop screen ----

  static JsonObject delivery(String id, String notificationId, String status, String channel, String recipient, int attempts,
      String error, Instant updated) {
    boolean failedOnce = error != null;
    return new JsonObject().put("id", id).put("notificationId", notificationId).putNull("digestId").put("recipient", recipient)
        .put("channel", channel).put("destination", channel.equals("sms") ? "+4930123456" : recipient + "@example.org")
        .put("status", status).putNull("reason").put("priority", "normal").put("attempts", attempts).put("maxAttempts", 5)
        .putNull("nextAttemptAt").put("lastError", error).put("lastErrorClass", failedOnce ? "permanent" : null)
        .put("lastHttpStatus", failedOnce ? 400 : null).putNull("providerMessageId")
        .put("createdAt", updated.minus(2, ChronoUnit.HOURS).toString()).put("updatedAt", updated.toString()).putNull("sentAt");
  }

  static JsonObject page(JsonObject... items) {
    JsonArray list = new JsonArray();
    for (JsonObject d : items) {
      list.add(d);
    }
    return new JsonObject().put("items", list).putNull("next");
  }

  static JsonObject notification(String id, JsonObject... deliveries) {
    JsonArray list = new JsonArray();
    for (JsonObject d : deliveries) {
      JsonArray log = new JsonArray();
      Instant at = Instant.parse(d.getString("updatedAt"));
      for (int i = d.getInteger("attempts"); i >= 1; i--) {
        boolean last = i == d.getInteger("attempts");
        log.add(0, new JsonObject().put("attempt", i).put("startedAt", at.minus(5L * (d.getInteger("attempts") - i), ChronoUnit.MINUTES).toString())
            .put("durationMs", 180 + 37 * i).put("outcome", last && "dead".equals(d.getString("status")) ? "dead" : "failed")
            .put("errorClass", "permanent").put("error", d.getString("lastError", "refused")).put("httpStatus", 400));
      }
      list.add(d.copy().put("attemptLog", log));
    }
    return new JsonObject().put("id", id).put("recipient", "u-1").put("title", "Parcel 7731 is out for delivery").put("level", "info")
        .put("createdAt", Instant.now().minus(2, ChronoUnit.HOURS).toString()).put("channels", new JsonArray().add("sms"))
        .put("deliveries", list);
  }

  /** "ok" when the element matching {@code selector} is on screen and a click at its middle reaches it; else what is in the way. */
  static String reachable(Chromium.Page page, String selector) {
    return (String) page.eval("(() => { const el = " + q(selector) + "; if (!el) return 'missing';"
        + " el.scrollIntoView({block: 'nearest', inline: 'nearest'}); const r = el.getBoundingClientRect();"
        + " const x = r.left + r.width / 2, y = r.top + r.height / 2;"
        + " if (r.width === 0 || x < 0 || y < 0 || x > innerWidth || y > innerHeight) return 'off screen at ' + x + ',' + y;"
        + " const hit = document.elementFromPoint(x, y);"
        + " return hit === el || el.contains(hit) ? 'ok' : 'covered by ' + (hit ? hit.tagName + '#' + hit.id + '.' + hit.className : 'nothing'); })()");
  }

  /** A PNG of what the window shows (the panel and its shade are fixed to the window, so a full-page shot would misdraw them). */
  static void windowShot(Chromium.Page page, Path file) throws java.io.IOException {
    JsonObject shot = page.call("Page.captureScreenshot", new JsonObject().put("format", "png"));
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.write(file, java.util.Base64.getDecoder().decode(shot.getString("data")));
  }

  static void viewport(Chromium.Page page, int width, int height) {
    page.call("Emulation.setDeviceMetricsOverride", new JsonObject().put("width", width).put("height", height)
        .put("deviceScaleFactor", 1).put("mobile", false));
    page.waitFor("window.innerWidth === " + width, "the window to be " + width + " px wide", 10);
  }

  @Test
  void aGatewayThatStopsAnsweringTurnsTheTopBarStaleThenOffline() throws Exception {
    Assumptions.assumeTrue(browser != null, Chromium.MISSING);
    try (ScriptedGateway scripted = new ScriptedGateway()) {
      scripted.answer("/v1/stats", extendedStats());
      Chromium.Page page = browser.open(scripted.url("/dashboard/"));
      try {
        signIn(page, ScriptedGateway.KEY);
        waitForText(page, "[data-tile=\"dead\"] .tile-value", "17", 15);
        page.waitFor("document.getElementById('conn').dataset.state === 'ok'", "the top bar to say live", 15);
        assertTrue(page.text("#conn").startsWith("Live · updated"), page.text("#conn"));

        // the gateway accepts the connection and never answers (a stopped process, a stuck proxy)
        scripted.hold("/v1/stats");
        page.waitFor("document.getElementById('conn').dataset.state === 'stale'", "the top bar to say it is not updating", 30);
        assertTrue(page.text("#conn").startsWith("Not updating since"), page.text("#conn"));
        assertEquals(Boolean.FALSE, page.eval("document.getElementById('problem').hidden"), "a banner says so");
        assertTrue(page.text("#problem").contains("Not updating"), page.text("#problem"));
        assertEquals("17", page.text("[data-tile=\"dead\"] .tile-value"), "the last figures stay on screen");
        page.screenshot(SHOTS.resolve("dashboard-stale.png"));

        // the hung call is given up: offline, saying why
        waitForText(page, "#problem", "did not answer within 10 s", 30);
        assertTrue(page.text("#conn").startsWith("Offline · last update"), page.text("#conn"));

        // and it answers again: live, no banner
        scripted.release("/v1/stats");
        page.waitFor("document.getElementById('conn').dataset.state === 'ok' && document.getElementById('problem').hidden",
            "the top bar to be live again", 30);
        assertTrue(page.text("#conn").startsWith("Live · updated"), page.text("#conn"));
        assertEquals(List.of(), page.problems());
      } finally {
        page.close();
      }
    }
  }

  @Test
  void theFailedTileCountsWhatTheChartsCount() throws Exception {
    Assumptions.assumeTrue(browser != null, Chromium.MISSING);
    // the last hour: three attempts, all of them made their delivery dead (none to be retried)
    Instant first = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(59, ChronoUnit.MINUTES);
    JsonArray series = new JsonArray();
    for (int i = 0; i < 60; i++) {
      series.add(new JsonObject().put("at", first.plus(i, ChronoUnit.MINUTES).toString()).put("ingested", i == 50 ? 3 : 0)
          .put("sent", 0).put("failed", i == 50 ? 3 : 0));
    }
    JsonObject stats = extendedStats().put("series", series).put("windows", new JsonObject()
        .put("lastHour", channel(3, 0, 0, 3).put("ingested", 3).put("channels", new JsonObject().put("sms", channel(3, 0, 0, 3)))
            // a figure this page does not know (a later gateway's) is left alone
            .put("deliveries", new JsonObject().put("failed", 0).put("dead", 1)))
        .put("last24h", channel(40, 30, 6, 4).put("ingested", 38).put("channels", new JsonObject().put("sms", channel(40, 30, 6, 4)))));
    try (ScriptedGateway scripted = new ScriptedGateway()) {
      scripted.answer("/v1/stats", stats);
      Chromium.Page page = browser.open(scripted.url("/dashboard/"));
      try {
        signIn(page, ScriptedGateway.KEY);
        page.waitFor(q("#throughput path.line.s-failed"), "the throughput chart", 15);
        assertEquals("Failed attempts · last hour", page.text("[data-tile=\"failed\"] .tile-label"));
        assertEquals("3", page.text("[data-tile=\"failed\"] .tile-value"), "retrying and dead together, as the chart counts them");
        assertEquals("3", page.text("#throughput-legend [data-series=\"failed\"] b"));
        String sub = page.text("[data-tile=\"failed\"] .tile-sub");
        assertTrue(sub.contains("retrying 0") && sub.contains("dead 3") && sub.contains("24 h: 10"), sub);
        assertTrue(page.text("#failure-legend").contains("3 failed (retrying or dead) of 3 attempts · 100 %"), page.text("#failure-legend"));
        assertEquals("0 %", page.text("[data-tile=\"success\"] .tile-value"));
        page.screenshot(SHOTS.resolve("dashboard-failed-tile.png"));
        assertEquals(List.of(), page.problems());
      } finally {
        page.close();
      }
    }
  }

  @Test
  void theAlertsAndTheListOnScreenFollowTheRefreshWithoutStacking() throws Exception {
    Assumptions.assumeTrue(browser != null, Chromium.MISSING);
    Instant now = Instant.now();
    JsonObject one = delivery("0190d000-0000-7000-8000-000000000001", "0190e000-0000-7000-8000-000000000001", "dead", "sms", "u-1", 5,
        "invalid number", now.minusSeconds(600));
    JsonObject two = delivery("0190d000-0000-7000-8000-000000000002", "0190e000-0000-7000-8000-000000000002", "dead", "sms", "u-2", 5,
        "invalid number", now.minusSeconds(900));
    JsonObject three = delivery("0190d000-0000-7000-8000-000000000003", "0190e000-0000-7000-8000-000000000003", "dead", "email", "u-3", 5,
        "550 mailbox unavailable", now.minusSeconds(5));
    JsonArray alerts = extendedStats().getJsonArray("alerts");
    try (ScriptedGateway scripted = new ScriptedGateway()) {
      scripted.answer("/v1/stats", extendedStats().put("alerts", new JsonArray()))
          .answer("/v1/alerts", new JsonObject().put("items", new JsonArray()))
          .answer("/v1/deliveries", page(one, two));
      Chromium.Page page = browser.open(scripted.url("/dashboard/"));
      try {
        signIn(page, ScriptedGateway.KEY);
        page.click("a[data-view=\"alerts\"]");
        waitForText(page, "#alerts-list", "No active alerts", 15);

        // two alerts open while the view is on screen: it shows them without being asked
        scripted.answer("/v1/stats", extendedStats()).answer("/v1/alerts", new JsonObject().put("items", alerts));
        page.waitFor(q("#alerts-list [data-alert-id=\"alert-1\"]") + " && " + q("#alerts-list [data-alert-id=\"alert-2\"]"),
            "the alerts view to show the new alerts", 20);
        assertEquals("2", page.text("#nav-alerts"));

        // the dead list follows too; a row that did not change is the same element, and keeps the focus
        page.eval("location.hash = '#/deliveries?status=dead'");
        String rowOne = "tr[data-delivery-id=\"" + one.getString("id") + "\"]";
        page.waitFor(q(rowOne) + " && " + q("tr[data-delivery-id=\"" + two.getString("id") + "\"]"), "the two dead rows", 15);
        page.eval("(() => { const row = " + q(rowOne) + "; row.__kept = true; row.focus(); return true; })()");
        scripted.answer("/v1/deliveries", page(three, one, two));
        page.waitFor(q("tr[data-delivery-id=\"" + three.getString("id") + "\"]"), "the new dead row without a reload", 20);
        assertEquals(Boolean.TRUE, page.eval(q(rowOne) + ".__kept === true"), "the unchanged row was not drawn again");
        assertEquals(one.getString("id"), page.eval("document.activeElement.dataset.deliveryId"), "the focus stayed on it");
        assertEquals(new JsonArray().add(three.getString("id")).add(one.getString("id")).add(two.getString("id")),
            page.eval("[...document.querySelectorAll('#delivery-rows tr')].map(r => r.dataset.deliveryId)"));

        // a list call that hangs is not joined by another on the next refreshes
        page.eval("(() => { const real = window.fetch; const f = window.__flight = {list: 0, max: 0, calls: 0, stats: 0};"
            + " window.fetch = (url, options) => { const u = String(url); const list = u.startsWith('/v1/deliveries?');"
            + " if (list) { f.list++; f.calls++; f.max = Math.max(f.max, f.list); }"
            + " const p = real(url, options); p.catch(() => {}).finally(() => { if (list) f.list--; else if (u.startsWith('/v1/stats')) f.stats++; });"
            + " return p; }; return true; })()");
        scripted.hold("/v1/deliveries");
        // three answered refreshes: the second one's list call (which must not happen) was decided before the third started
        page.waitFor("window.__flight.calls >= 1 && window.__flight.stats >= 3", "three refreshes with a list call hanging", 40);
        assertEquals(1, ((Number) page.eval("window.__flight.max")).intValue(), "never two list calls at once");
        scripted.release("/v1/deliveries");
        assertEquals(List.of(), page.problems());
      } finally {
        page.close();
      }
    }
  }

  @Test
  void aWatchedPendingDeliveryCanBeCancelledWhileItsRowIsRedrawn() throws Exception {
    Assumptions.assumeTrue(browser != null, Chromium.MISSING);
    String id = "0190d000-0000-7000-8000-00000000000a";
    String nid = "0190e000-0000-7000-8000-00000000000a";
    JsonObject dead = delivery(id, nid, "dead", "sms", "u-1", 5, "invalid number", Instant.now().minusSeconds(300));
    try (ScriptedGateway scripted = new ScriptedGateway()) {
      // retry makes it pending and it stays pending (a busy queue); every look at it finds it touched again
      java.util.function.Supplier<JsonObject> pending = () -> dead.copy().put("status", "pending").put("lastError", (String) null)
          .put("updatedAt", Instant.now().toString());
      scripted.answer("/v1/stats", extendedStats())
          .answer("/v1/deliveries", page(dead))
          .answer("/v1/notifications/" + nid, notification(nid, dead))
          .answer("/v1/deliveries/" + id + "/retry", () -> {
            scripted.answer("/v1/deliveries", () -> page(pending.get())).answer("/v1/notifications/" + nid, () -> notification(nid, pending.get()));
            return pending.get();
          })
          .answer("/v1/deliveries/" + id + "/cancel", () -> {
            JsonObject cancelled = dead.copy().put("status", "cancelled").put("updatedAt", Instant.now().toString());
            scripted.answer("/v1/deliveries", page(cancelled)).answer("/v1/notifications/" + nid, notification(nid, cancelled));
            return cancelled;
          });
      Chromium.Page page = browser.open(scripted.url("/dashboard/"));
      try {
        signIn(page, ScriptedGateway.KEY);
        page.eval("location.hash = '#/deliveries?status=all'");
        String row = "tr[data-delivery-id=\"" + id + "\"]";
        page.waitFor(q(row + " .status-dead"), "the dead row", 15);
        page.click(row + " [data-action=\"details\"]");
        page.waitFor(q("#detail-body [data-action=\"retry\"]"), "the detail panel", 15);

        page.click(row + " [data-action=\"retry\"]");
        page.waitFor(q(row + " .status-pending") + " && " + q(row + " [data-action=\"cancel\"]"), "the pending row with its cancel", 15);
        page.click(row + " [data-action=\"cancel\"]");
        assertEquals("Confirm cancel", page.text(row + " [data-action=\"cancel\"]"));
        page.eval("(() => { " + q(row) + ".__armedCopy = true; return true; })()");

        // the row is watched: two polls find it changed and draw it again, and it stays armed
        int polled = scripted.requests("/v1/notifications/" + nid);
        TestGateway.eventually(() -> scripted.requests("/v1/notifications/" + nid) >= polled + 2, "two more polls", 15);
        page.waitFor("!" + q(row) + ".__armedCopy", "the row drawn again by the poll", 10);
        assertEquals("Confirm cancel", page.text(row + " [data-action=\"cancel\"]"), "still armed after the redraws");
        assertEquals("Confirm cancel", page.text("#detail-body [data-action=\"cancel\"]"), "the panel's button too");
        assertEquals(0, scripted.requests("/v1/deliveries/" + id + "/cancel"), "nothing cancelled yet");

        page.click(row + " [data-action=\"cancel\"]");
        page.waitFor(q(row + " .status-cancelled"), "the cancelled row", 15);
        assertEquals(1, scripted.requests("/v1/deliveries/" + id + "/cancel"));
        assertEquals(List.of(), page.problems());
      } finally {
        page.close();
      }
    }
  }

  @Test
  void onALaptopScreenTheDetailPanelNeverHidesTheButtonsItCannotReplace() throws Exception {
    Assumptions.assumeTrue(browser != null, Chromium.MISSING);
    Instant now = Instant.now();
    JsonObject[] rows = new JsonObject[8];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = delivery("0190d000-0000-7000-8000-0000000001" + (10 + i), "0190e000-0000-7000-8000-0000000001" + (10 + i), "dead",
          i % 2 == 0 ? "sms" : "email", "customer-" + (4410 + i), 5,
          i % 2 == 0 ? "21211: The 'To' number +4930123456 is not a valid phone number." : "550 5.1.1 <customer@example.org>: Recipient "
              + "address rejected: User unknown in virtual mailbox table", now.minusSeconds(90L * (i + 1)));
    }
    String first = rows[0].getString("id");
    try (ScriptedGateway scripted = new ScriptedGateway()) {
      scripted.answer("/v1/stats", extendedStats()).answer("/v1/deliveries", page(rows))
          .answer("/v1/notifications/" + rows[0].getString("notificationId"), notification(rows[0].getString("notificationId"), rows[0]));
      Chromium.Page page = browser.open(scripted.url("/dashboard/"));
      try {
        viewport(page, 1024, 768);
        signIn(page, ScriptedGateway.KEY);
        page.eval("location.hash = '#/deliveries?status=dead'");
        String row = "tr[data-delivery-id=\"" + first + "\"]";
        page.waitFor(q(row), "the dead rows", 15);
        page.waitFor("document.documentElement.scrollWidth <= window.innerWidth && [...document.querySelectorAll('#view-deliveries "
            + ".table-wrap')].every(w => w.scrollWidth <= w.clientWidth)", "the list to fit 1024 px without scrolling sideways", 10);
        for (String button : List.of("#bulk-retry", "#export", row + " [data-action=\"retry\"]", row + " [data-action=\"cancel\"]")) {
          assertEquals("ok", reachable(page, button), button);
        }
        page.screenshot(SHOTS.resolve("dashboard-deliveries-1024.png"));

        // at 1024 px the panel lies over the list, with a shade: its own buttons act on the delivery, a click beside it closes it
        page.click(row + " [data-action=\"details\"]");
        page.waitFor(q("#detail-body [data-action=\"retry\"]"), "the detail panel", 15);
        assertEquals("ok", reachable(page, "#detail-close"));
        assertEquals("ok", reachable(page, "#detail-body [data-action=\"retry\"]"));
        String beside = reachable(page, "[data-status-filter=\"all\"]");
        assertTrue(beside.startsWith("covered by DIV#detail-scrim"), "beside the panel the list lies under the shade that closes it: " + beside);
        windowShot(page, SHOTS.resolve("dashboard-detail-1024.png"));
        page.click("#detail-scrim");
        page.waitFor("document.getElementById('detail').hidden", "the panel to close", 10);
        for (String button : List.of("#bulk-retry", "#export", row + " [data-action=\"retry\"]")) {
          assertEquals("ok", reachable(page, button), button + " after closing the panel");
        }

        // on a wide screen it sits beside the list, and every button of the list stays usable while it is open
        viewport(page, 1440, 900);
        page.click(row + " [data-action=\"details\"]");
        page.waitFor(q("#detail-body [data-action=\"retry\"]"), "the detail panel", 15);
        assertEquals("none", page.eval("getComputedStyle(document.getElementById('detail-scrim')).display"), "no shade beside the list");
        for (String button : List.of("#bulk-retry", "#export", "#reload", row + " [data-action=\"retry\"]",
            row + " [data-action=\"cancel\"]", "#detail-close")) {
          assertEquals("ok", reachable(page, button), button + " with the panel open");
        }
        page.screenshot(SHOTS.resolve("dashboard-detail-1440.png"));
        assertEquals(List.of(), page.problems());
      } finally {
        page.close();
      }
    }
  }
}
