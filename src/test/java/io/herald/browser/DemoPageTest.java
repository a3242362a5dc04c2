package io.herald.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.herald.auth.Jwt;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The notification-bell demo at /demo/ in a real Chromium against a real gateway: what a user sees
 * in the page when notifications, reads, broadcasts, restarts and proxies happen.
 */
class DemoPageTest {
  static TestGateway gw;
  // the page is served by the gateway itself, so its own origin must be allowed to open sockets
  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(
      new JsonObject().put("auth", new JsonObject().put("allowedOrigins", new JsonArray().add("*"))), g -> gw = g);

  static final Path SCREENSHOTS = Path.of("target", "screenshots");
  @RegisterExtension
  static final BrowserTabs TABS = new BrowserTabs();

  private static String user(String name) {
    return name + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** The demo for {@code user}, connected (its first page of notifications loaded). */
  private Chromium.Page demo(String user, String extra) {
    Chromium.Page page = TABS.open(base() + "/demo/?token=" + TestGateway.token(user) + extra);
    page.waitFor("document.getElementById('state').dataset.state === 'open' && !document.getElementById('try').hidden",
        "the demo to connect", 20);
    return page;
  }

  /**
   * The demo at {@code /demo/query}, with {@code script} run in each document before the page's own
   * (to count and break what the page sends; see {@link HeraldClientTest#NETWORK}).
   */
  private Chromium.Page demoWith(String script, String query) {
    Chromium.Page page = TABS.open(base() + "/demo/");
    page.call("Page.addScriptToEvaluateOnNewDocument", new JsonObject().put("source", script));
    page.navigate(base() + "/demo/" + query);
    return page;
  }

  /** While {@code breakLists} is true the page's lists of 20 go out as {@code limit: 0}, which the server refuses. */
  private static final String BREAK_LISTS = " window.breakLists = true;"
      + " { const send = WebSocket.prototype.send; WebSocket.prototype.send = function (data) {"
      + "   const frame = JSON.parse(data);"
      + "   return send.call(this, breakLists && frame.type === 'list' && frame.limit === 20 ? JSON.stringify({ type: 'list', limit: 0 }) : data); }; }";


  private static String base() {
    return "http://127.0.0.1:" + gw.port;
  }

  private static String item(String id) {
    return "#list .item[data-id=\"" + id + "\"]";
  }

  /** The badge as shown: its text, or "" when hidden. */
  private static String badge(Chromium.Page page) {
    return (String) page.eval("(b => b.hidden ? '' : b.textContent)(document.getElementById('badge'))");
  }

  private static void waitForBadge(Chromium.Page page, String shown) {
    page.waitFor("(b => (b.hidden ? '' : b.textContent) === " + Chromium.quote(shown) + ")(document.getElementById('badge'))",
        "the badge to show '" + shown + "'", 20);
  }

  private static long count(Chromium.Page page, String selector) {
    return ((Number) page.eval("document.querySelectorAll(" + Chromium.quote(selector) + ").length")).longValue();
  }

  private static String readAt(String id) {
    return gw.query("SELECT read_at::text FROM notifications WHERE id = '" + id + "'").iterator().next().getString(0);
  }

  // Two tabs of one user: a notification appears in both with the badge at 1; reading it in one
  // tab (a click) clears the badge in the other, and the other's list follows.
  @Test
  void twoTabsOfOneUserFollowEachOther() throws Exception {
    String alice = user("alice");
    Chromium.Page one = demo(alice, "");
    Chromium.Page two = demo(alice, "");
    assertEquals("", badge(one), "no badge at 0");

    String id = gw.notify(alice, "Ticket #42 assigned to you");
    for (Chromium.Page page : List.of(one, two)) {
      page.waitFor("document.querySelector('" + item(id) + ".unread')", "the notification in the list", 20);
      waitForBadge(page, "1");
      assertEquals("Ticket #42 assigned to you", page.text(item(id) + " .title"));
      assertEquals("just now", page.text(item(id) + " .time"));
    }

    one.click("#bell");
    one.waitFor("!document.getElementById('panel').hidden", "the dropdown to open", 5);
    one.screenshot(SCREENSHOTS.resolve("demo-unread.png"));
    one.click(item(id) + " .title");
    assertEquals(0L, count(one, item(id) + ".unread"), "read at once in the tab that clicked");
    waitForBadge(two, "");
    two.waitFor("document.querySelector('" + item(id) + "') && !document.querySelector('" + item(id) + ".unread')",
        "the other tab's list to show it read", 20);
    waitForBadge(one, "");
    TestGateway.eventually(() -> readAt(id) != null, "read_at in the database");
  }

  private static String ingest(String user, String title, String body, String level, String actionUrl, String actionLabel) {
    JsonObject n = new JsonObject().put("recipient", user).put("title", title).put("body", body).put("level", level)
        .put("category", "demo");
    if (actionUrl != null) {
      n.put("actionUrl", actionUrl).put("actionLabel", actionLabel);
    }
    var r = gw.post("/v1/notifications", TestGateway.INGEST_KEY, n);
    assertEquals(202, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject().getString("id");
  }

  // A broadcast shows as a toast in the level's colour over the open bell, then goes away by itself.
  @Test
  void aBroadcastShowsAToast() throws Exception {
    String bob = user("bob");
    ingest(bob, "Weekly report", "Your team closed 48 tickets this week.", "info", null, null);
    String read = ingest(bob, "Your export is ready", "1,204 rows, 3 MB.", "success", "https://example.com/exports/7", "Download");
    ingest(bob, "SLA at risk on ticket #1312", "No answer for 3 h 40 min; the SLA ends in 20 min.", "warning",
        "https://example.com/tickets/1312", "Open ticket");
    ingest(bob, "Payment failed", "The card ending in 4242 was declined.", "error", "https://example.com/billing", "Update card");
    Chromium.Page page = demo(bob, "");
    page.click("#bell");
    page.waitFor("document.querySelectorAll('#list .item').length === 4", "the inbox", 20);
    page.click(item(read) + " .title");
    waitForBadge(page, "3");

    var r = gw.post("/v1/broadcasts", TestGateway.ADMIN_KEY,
        new JsonObject().put("message", "Deploy at 18:00, expect a minute of downtime").put("level", "warning"));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    page.waitFor("document.querySelector('.toast.broadcast.level-warning')", "the toast", 20);
    assertEquals("Deploy at 18:00, expect a minute of downtime", page.text(".toast.broadcast .toast-message"));
    assertEquals(Boolean.FALSE, page.eval("document.getElementById('panel').hidden"));
    page.waitFor("document.querySelector('.toast').getAnimations().length === 0", "the toast to settle", 5);
    page.screenshot(SCREENSHOTS.resolve("demo.png"));
    page.waitFor("!document.querySelector('.toast')", "the toast to dismiss itself", 20);
  }

  // Titles and bodies are text, never markup; a link is only ever http(s).
  @Test
  void untrustedTextStaysText() {
    String carol = user("carol");
    String hostile = "<img src=x id=pwned onerror=\"window.pwned = 1\">";
    var r = gw.post("/v1/notifications", TestGateway.INGEST_KEY, new JsonObject().put("recipient", carol).put("title", hostile)
        .put("body", "<b>not bold</b>").put("level", "error").put("actionUrl", "https://example.com/ok").put("actionLabel", "Fix it"));
    String bad = r.bodyAsJsonObject().getString("id");
    // a row holding a javascript: link (written by hand, or before ingest checked links)
    gw.query("UPDATE notifications SET action_url = 'javascript:window.pwned = 1' WHERE id = '" + bad + "'");
    String good = gw.post("/v1/notifications", TestGateway.INGEST_KEY, new JsonObject().put("recipient", carol).put("title", "Fine")
        .put("actionUrl", "https://example.com/tickets/42").put("actionLabel", "Open ticket")).bodyAsJsonObject().getString("id");

    Chromium.Page page = demo(carol, "");
    page.waitFor("document.querySelectorAll('#list .item').length === 2", "both in the list", 20);
    assertEquals(hostile, page.text(item(bad) + " .title"));
    assertEquals("<b>not bold</b>", page.text(item(bad) + " .body"));
    assertEquals(Boolean.TRUE, page.eval("document.querySelector('" + item(bad) + "').classList.contains('level-error')"));
    assertNull(page.eval("document.getElementById('pwned')"));
    assertNull(page.eval("window.pwned ?? null"));
    assertEquals(Boolean.TRUE, page.eval("document.querySelector('" + item(bad) + " .action').hidden"), "no javascript: link");
    assertNull(page.eval("document.querySelector('" + item(bad) + " .action').getAttribute('href')"));
    assertEquals("https://example.com/tickets/42", page.eval("document.querySelector('" + item(good) + " .action').href"));
    assertEquals("Open ticket", page.text(item(good) + " .action"));
  }

  // A long inbox: the badge says 99+, the list loads 20 at a time, "mark all read" and delete work.
  @Test
  void loadMoreMarkAllReadAndDelete() throws Exception {
    String dave = user("dave");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 101; i++) {
      ids.add(gw.notify(dave, "Notification " + i));
    }
    Chromium.Page page = demo(dave, "");
    waitForBadge(page, "99+");
    page.click("#bell");
    page.waitFor("document.querySelectorAll('#list .item').length === 20", "the first page", 20);
    assertEquals("Notification 100", page.text("#list .item .title"), "newest first");
    page.click("#more");
    page.waitFor("document.querySelectorAll('#list .item').length === 40", "the second page", 20);
    assertEquals("Notification 61", page.text("#list .item:last-child .title"));

    page.click("#mark-all");
    waitForBadge(page, "");
    assertEquals(0L, count(page, "#list .item.unread"));
    TestGateway.eventually(() -> gw.count("SELECT count(*) FROM notifications WHERE recipient = '" + dave + "' AND read_at IS NULL") == 0,
        "everything read in the database");

    String gone = ids.get(100);
    page.click(item(gone) + " .delete");
    assertEquals(0L, count(page, item(gone)));
    assertEquals(Boolean.FALSE, page.eval("document.getElementById('panel').hidden"), "the dropdown stays open");
    TestGateway.eventually(() -> gw.count("SELECT count(*) FROM notifications WHERE id = '" + gone + "' AND deleted_at IS NOT NULL") == 1,
        "deleted in the database");
  }

  // The gateway stops (another node on the same database takes the ingest), a notification comes in
  // while the page is disconnected, the gateway comes back on the same port: the page reconnects
  // by itself and shows the missed notification exactly once, with the right badge.
  @Test
  void reconnectsByItselfAndShowsWhatWasMissedOnce() throws Exception {
    String erin = user("erin");
    Chromium.Page page = demo(erin, "");
    page.expectProblems("net::ERR_CONNECTION_REFUSED"); // dials while the gateway is down
    String seen = gw.notify(erin, "Seen before the restart");
    page.waitFor("document.querySelector('" + item(seen) + "')", "the first notification", 20);
    waitForBadge(page, "1");

    try (TestGateway other = gw.peer(new JsonObject())) {
      gw.stop();
      page.waitFor("document.getElementById('state').dataset.state === 'reconnecting'", "the page to show it is reconnecting", 20);
      page.screenshot(SCREENSHOTS.resolve("demo-reconnecting.png"));
      String missed = other.notify(erin, "Arrived while the page was away");
      gw.startAgain();

      page.waitFor("document.querySelector('" + item(missed) + "')", "the missed notification", 60);
      page.waitFor("document.getElementById('state').dataset.state === 'open'", "the page to show it is live", 20);
      waitForBadge(page, "2");
      assertEquals(1L, count(page, item(missed)), "shown exactly once");
      assertEquals(2L, count(page, "#list .item"));
      assertEquals("Arrived while the page was away", page.text(item(missed) + " .title"));
      assertEquals(Boolean.TRUE, page.eval("herald.lastId === " + Chromium.quote(missed)), "the resume cursor moved on");
    } finally {
      gw.startAgain(); // for the other tests, should this one fail while the gateway is down
    }
  }

  // With transports=sockjs the page runs over SockJS (xhr-streaming): a notification arrives and a click reads it.
  @Test
  void worksOverSockJs() {
    String frank = user("frank");
    Chromium.Page page = demo(frank, "&transports=sockjs");
    assertEquals("sockjs", page.eval("herald.transport"));
    assertTrue(page.text("#state").contains("sockjs"), page.text("#state"));
    String id = gw.notify(frank, "Over SockJS");
    page.waitFor("document.querySelector('" + item(id) + ".unread')", "the notification", 20);
    waitForBadge(page, "1");
    page.click(item(id));
    waitForBadge(page, "");
    TestGateway.eventually(() -> readAt(id) != null, "read_at in the database");
  }

  // A WebSocket that cannot open (a proxy that breaks the upgrade) falls back to SockJS by itself.
  @Test
  void fallsBackToSockJsWhenTheWebSocketCannotOpen() {
    String grace = user("grace");
    Chromium.Page page = TABS.open(base() + "/demo/");
    page.expectProblems("blocked-by-proxy");
    // every WebSocket of the page goes to a path the gateway refuses: the handshake fails before opening
    page.call("Page.addScriptToEvaluateOnNewDocument", new JsonObject().put("source",
        "{ const Real = WebSocket; window.WebSocket = class extends Real {"
            + " constructor(url, protocols) { super(String(url).replace('/v1/ws', '/v1/blocked-by-proxy'), protocols); } }; }"));
    page.navigate(base() + "/demo/?token=" + TestGateway.token(grace));
    page.waitFor("document.getElementById('state').dataset.state === 'open'", "the page to connect", 30);
    assertEquals("sockjs", page.eval("herald.transport"));
    String id = gw.notify(grace, "Through the proxy");
    page.waitFor("document.querySelector('" + item(id) + ".unread')", "the notification", 20);
    waitForBadge(page, "1");
  }

  // A refused token: the page says so and asks for another; it does not keep retrying.
  @Test
  void aRefusedTokenAsksForAnother() {
    // signed with another secret (changing the last character may not change the signature: its low bits are padding)
    String forged = Jwt.sign("HS256", "not-the-gateway-secret-0123456789", null, new JsonObject().put("sub", "heidi"));
    Chromium.Page page = demoWith(HeraldClientTest.NETWORK, "?token=" + forged);
    page.expectProblems(HeraldClientTest.NETWORK_FAILURES);
    page.waitFor("document.getElementById('state').dataset.state === 'unauthorized'", "the refusal", 20);
    assertEquals("Token refused", page.text("#state-text"));
    assertEquals(Boolean.FALSE, page.eval("document.getElementById('signin').hidden"));
    assertTrue(page.text("#signin-error").contains("refused"), page.text("#signin-error"));
    assertEquals(2, BrowserTabs.dials(page), "a WebSocket, then a SockJS session that is told why");
    BrowserTabs.quietFor(3000);
    assertEquals(2, BrowserTabs.dials(page), "no dial after the refusal");
  }

  // "Use another token" while the page keeps failing to reconnect: its client stops dialling.
  @Test
  void signingOutStopsTheClient() {
    String leo = user("leo");
    Chromium.Page page = demoWith(HeraldClientTest.NETWORK, "");
    page.expectProblems("blocked-by-proxy");
    page.type("#token-input", TestGateway.token(leo));
    page.click("#token-form button");
    page.waitFor("document.getElementById('state').dataset.state === 'open'", "the page to connect", 20);
    page.eval("blockWs = true, blockSockJs = true, window.before = dials, sockets.at(-1).close(), true");
    page.waitFor("dials >= before + 3", "the page retrying", 30);
    page.click("#sign-out");
    int atSignOut = BrowserTabs.dials(page);
    assertEquals("closed", page.eval("document.getElementById('state').dataset.state"));
    BrowserTabs.quietFor(3000);
    assertEquals(atSignOut, BrowserTabs.dials(page), "no dial after signing out");
  }

  // The first page of the list fails (the server refuses it): the dropdown says so, with a button that
  // tries again; and a page that never loaded is asked for again when the connection comes back.
  @Test
  void aFailedFirstPageIsLoadedAgain() {
    String kim = user("kim");
    String id = gw.notify(kim, "Waiting in the inbox");
    String shown = "document.querySelector('" + item(id) + "')";
    String error = "!document.getElementById('list-error').hidden";

    Chromium.Page page = demoWith(HeraldClientTest.NETWORK + BREAK_LISTS, "?token=" + TestGateway.token(kim));
    page.click("#bell");
    page.waitFor(error, "the error in the dropdown", 20);
    assertEquals("Could not load your notifications.", page.text("#list-error-text"));
    assertEquals(0L, count(page, "#list .item"));
    page.eval("breakLists = false, true");
    page.click("#list-retry");
    page.waitFor(shown, "the list after trying again", 20);
    assertEquals(Boolean.FALSE, page.eval(error), "the error is gone");

    Chromium.Page other = demoWith(HeraldClientTest.NETWORK + BREAK_LISTS, "?token=" + TestGateway.token(kim));
    other.waitFor(error, "the error", 20);
    other.eval("breakLists = false, sockets.at(-1).close(), true"); // the connection drops and comes back
    other.waitFor(shown, "the list after reconnecting", 20);
    assertEquals(Boolean.FALSE, other.eval(error));
    assertEquals("open", other.eval("document.getElementById('state').dataset.state"));
  }

  // Without a token the page explains how to get one; a token typed into the form connects.
  @Test
  void theFormTakesAToken() {
    String ivan = user("ivan");
    Chromium.Page page = TABS.open(base() + "/demo/");
    assertTrue(page.text("#signin").contains("java -jar target/herald.jar token --user u42"), page.text("#signin"));
    page.type("#token-input", TestGateway.token(ivan));
    page.click("#token-form button");
    page.waitFor("document.getElementById('state').dataset.state === 'open'", "the page to connect", 20);
    assertEquals(ivan, page.text("#who"));
    assertTrue(page.text("#curl-notify").contains("\"recipient\":\"" + ivan + "\""), page.text("#curl-notify"));
  }

  // The browser goes offline: the page says so; back online it reconnects and catches up.
  @Test
  void offlineAndBackOnline() {
    String judy = user("judy");
    Chromium.Page page = demo(judy, "");
    String first = gw.notify(judy, "Before going offline");
    page.waitFor("document.querySelector('" + item(first) + "')", "the first notification", 20);
    page.call("Network.enable", new JsonObject());
    page.call("Network.emulateNetworkConditions", new JsonObject().put("offline", true).put("latency", 0)
        .put("downloadThroughput", -1).put("uploadThroughput", -1));
    page.waitFor("document.getElementById('state').dataset.state === 'offline'", "the page to show it is offline", 20);
    String missed = gw.notify(judy, "While offline");
    page.call("Network.emulateNetworkConditions", new JsonObject().put("offline", false).put("latency", 0)
        .put("downloadThroughput", -1).put("uploadThroughput", -1));
    page.waitFor("document.querySelector('" + item(missed) + "')", "the notification missed while offline", 30);
    // replayed by the resume after the last id (not only found by the list the page reloads)
    page.waitFor("herald.lastId === " + Chromium.quote(missed), "the resume cursor to move on", 20);
    waitForBadge(page, "2");
    assertEquals(1L, count(page, item(missed)));
  }
}
