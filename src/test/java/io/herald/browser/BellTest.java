package io.herald.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code <herald-bell>} in a real Chromium, on a page of another origin than the gateway's that is
 * exactly the README's ten-line snippet (its token comes from the app's own endpoint): what a
 * user sees and does with the bell, checked against the gateway's HTTP API.
 */
class BellTest {
  /** The README's snippet, word for word (the test checks it is there); only the gateway's address changes. */
  static final String SNIPPET = """
      <script type="module" src="https://herald.example.com/herald-bell.js"></script>
      <herald-bell></herald-bell>
      <script type="module">
        document.querySelector('herald-bell').token = () => fetch('/api/herald-token')
          .then(r => { if (!r.ok) throw new Error('token: HTTP ' + r.status); return r.text(); });
      </script>
      """;

  static TestGateway gw;
  // the app's page is of another origin: its sockets carry that origin
  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(
      new JsonObject().put("auth", new JsonObject().put("allowedOrigins", new JsonArray().add("*"))), g -> gw = g);
  @RegisterExtension
  static final BrowserTabs TABS = new BrowserTabs();
  static final Path SCREENSHOTS = Path.of("target", "screenshots");

  static App app;

  @BeforeAll
  static void startApp() {
    app = new App();
  }

  @AfterAll
  static void stopApp() {
    if (app != null) {
      app.close();
    }
  }

  /**
   * The application using the bell, on its own port (another origin): serves the snippet at
   * /app.html?user=u (which signs u in with a cookie, as an app's session would) and the signed-in
   * user's Herald token at /api/herald-token.
   */
  static final class App implements AutoCloseable {
    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    final AtomicInteger tokensAsked = new AtomicInteger();

    App() {
      server = TestGateway.await(vertx.createHttpServer().requestHandler(this::handle).listen(0, "127.0.0.1"));
    }

    String url(String user) {
      return "http://127.0.0.1:" + server.actualPort() + "/app.html?user=" + user;
    }

    /** The same page under a Content-Security-Policy that allows no inline style. */
    String strictUrl(String user) {
      return url(user) + "&csp=strict";
    }

    private void handle(HttpServerRequest req) {
      if ("/app.html".equals(req.path())) {
        String page = "<!doctype html>\n<meta charset=utf-8>\n<title>App</title>\n"
            + SNIPPET.replace("https://herald.example.com", "http://127.0.0.1:" + gw.port);
        req.response().addCookie(Cookie.cookie("user", req.getParam("user")).setPath("/"))
            .putHeader("Content-Type", "text/html; charset=utf-8");
        if (req.getParam("csp") != null) {
          // no inline style allowed: the bell must style itself some other way
          String gateway = "127.0.0.1:" + gw.port;
          req.response().putHeader("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline' http://" + gateway
              + "; connect-src 'self' http://" + gateway + " ws://" + gateway + "; style-src 'self'; img-src 'self'");
        }
        req.response().end(page);
      } else if ("/api/herald-token".equals(req.path()) && req.getCookie("user") != null) {
        tokensAsked.incrementAndGet();
        req.response().putHeader("Content-Type", "text/plain").end(TestGateway.token(req.getCookie("user").getValue()));
      } else {
        req.response().setStatusCode(404).end();
      }
    }

    @Override
    public void close() {
      TestGateway.await(vertx.close());
    }
  }

  private static String user(String name) {
    return name + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** The app's page for {@code user}, its bell connected and its first page of notifications listed. */
  private Chromium.Page page(String user) {
    return open(app.url(user));
  }

  private Chromium.Page open(String url) {
    Chromium.Page page = TABS.open(url);
    page.waitFor("customElements.get('herald-bell') && document.querySelector('herald-bell').state === 'open'",
        "the bell to connect", 20);
    page.waitFor(shadow(".empty") + ".hidden === false || " + shadow(".list") + ".children.length > 0", "the first page", 20);
    return page;
  }

  /** A script for the first element matching {@code selector} inside the bell. */
  private static String shadow(String selector) {
    return "document.querySelector('herald-bell').shadowRoot.querySelector(" + Chromium.quote(selector) + ")";
  }

  private static String item(String id) {
    return ".item[data-id=\"" + id + "\"]";
  }

  /** The badge as shown: its text, or "" when hidden. */
  private static String badge(Chromium.Page page) {
    return (String) page.eval("(b => b.hidden ? '' : b.textContent)(" + shadow(".badge") + ")");
  }

  private static void waitForBadge(Chromium.Page page, String shown) {
    page.waitFor("(b => (b.hidden ? '' : b.textContent) === " + Chromium.quote(shown) + ")(" + shadow(".badge") + ")",
        "the badge to show '" + shown + "'", 20);
  }

  private static long count(Chromium.Page page, String selector) {
    return ((Number) page.eval("document.querySelector('herald-bell').shadowRoot.querySelectorAll(" + Chromium.quote(selector)
        + ").length")).longValue();
  }

  private static String text(Chromium.Page page, String selector) {
    return (String) page.eval("(el => el ? el.textContent : null)(" + shadow(selector) + ")");
  }

  private static void click(Chromium.Page page, String selector) {
    page.eval("(el => { if (!el) throw new Error('nothing matches " + selector.replace("'", "\\'").replace("\"", "\\\"")
        + "'); el.click(); return true; })(" + shadow(selector) + ")");
  }

  /** A real key press, as the keyboard sends it (not a synthetic event). */
  private static void press(Chromium.Page page, String key) {
    Map<String, Integer> codes = Map.of("Enter", 13, "Escape", 27, "ArrowDown", 40, "ArrowUp", 38, "Tab", 9);
    JsonObject down = new JsonObject().put("type", "Enter".equals(key) ? "keyDown" : "rawKeyDown").put("key", key).put("code", key)
        .put("windowsVirtualKeyCode", codes.get(key)).put("nativeVirtualKeyCode", codes.get(key));
    if ("Enter".equals(key)) {
      down.put("text", "\r").put("unmodifiedText", "\r");
    }
    page.call("Input.dispatchKeyEvent", down);
    page.call("Input.dispatchKeyEvent", new JsonObject().put("type", "keyUp").put("key", key).put("code", key)
        .put("windowsVirtualKeyCode", codes.get(key)).put("nativeVirtualKeyCode", codes.get(key)));
  }

  private static String ingest(String user, JsonObject fields) {
    HttpResponse<Buffer> r = gw.post("/v1/notifications", TestGateway.INGEST_KEY, fields.copy().put("recipient", user));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject().getString("id");
  }

  /** The user's inbox as the HTTP API shows it: id → read. */
  private static Map<String, Boolean> inbox(String user) {
    HttpResponse<Buffer> r = gw.get("/v1/me/notifications?limit=100", TestGateway.token(user));
    assertEquals(200, r.statusCode(), r.bodyAsString());
    Map<String, Boolean> read = new HashMap<>();
    r.bodyAsJsonObject().getJsonArray("items").forEach(n -> read.put(((JsonObject) n).getString("id"), ((JsonObject) n).getBoolean("read")));
    return read;
  }

  private static long unreadOverHttp(String user) {
    return gw.get("/v1/me/notifications/unread-count", TestGateway.token(user)).bodyAsJsonObject().getLong("count");
  }

  // The README's page, on another origin, loads the bell from the gateway (CORS) and gets its token
  // from the app: a notification ingested over HTTP rings the bell and is listed; a click reads it
  // (the badge goes down, the API shows it read); an item with a link asks the page to open it; a
  // read made elsewhere shows in the bell.
  @Test
  void aBellInTenLines() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    assertTrue(readme.contains("```html\n" + SNIPPET + "```"), "the README shows the snippet this page is made of");

    String alice = user("alice");
    String ticket = ingest(alice, new JsonObject().put("title", "Ticket #42 assigned to you").put("body", "Printer on floor 3 is on fire.")
        .put("level", "warning").put("actionUrl", "https://example.com/tickets/42").put("actionLabel", "Open ticket"));
    Chromium.Page page = page(alice);
    assertTrue(app.tokensAsked.get() >= 1, "the token came from the app's endpoint");
    waitForBadge(page, "1");
    page.eval("window.events = []; for (const type of ['herald-notification', 'herald-open']) document.addEventListener(type, e => {"
        + " events.push(type + ' ' + e.detail.notification.id + (e.detail.url ? ' ' + e.detail.url : ''));"
        + " if (type === 'herald-open') e.preventDefault(); }); true");
    assertEquals("Notifications, 1 unread", page.eval(shadow("button.bell") + ".getAttribute('aria-label')"));
    assertEquals("false", page.eval(shadow("button.bell") + ".getAttribute('aria-expanded')"));

    String live = gw.notify(alice, "Your export is ready");
    waitForBadge(page, "2");
    page.waitFor(shadow(item(live) + ".unread"), "the new notification in the list", 20);
    page.waitFor(shadow("[role=status]") + ".textContent === '2 unread notifications'", "the count announced", 5);
    assertEquals("Your export is ready", text(page, item(live) + " .title-text"));
    assertEquals("now", text(page, item(live) + " time"));
    assertEquals(item(live), ".item[data-id=\"" + page.eval(shadow(".item") + ".dataset.id") + "\"]", "newest first");
    assertEquals(List.of("herald-notification " + live), ((JsonArray) page.eval("events")).getList());

    click(page, "button.bell");
    assertEquals("true", page.eval(shadow("button.bell") + ".getAttribute('aria-expanded')"));
    assertEquals(Boolean.FALSE, page.eval(shadow(".panel") + ".hidden"));
    assertEquals("Live", text(page, ".state-text"));

    click(page, item(live));
    assertEquals(0L, count(page, item(live) + ".unread"), "read at once in the list");
    waitForBadge(page, "1");
    TestGateway.eventually(() -> Boolean.TRUE.equals(inbox(alice).get(live)), "the API to show it read");
    assertEquals(Boolean.FALSE, inbox(alice).get(ticket));
    assertEquals(Boolean.FALSE, page.eval(shadow(".panel") + ".hidden"), "the dropdown stays open");

    click(page, item(ticket));
    waitForBadge(page, "");
    assertEquals(List.of("herald-notification " + live, "herald-open " + ticket + " https://example.com/tickets/42"),
        ((JsonArray) page.eval("events")).getList());
    assertEquals("Open ticket", text(page, item(ticket) + " .action"));
    TestGateway.eventually(() -> unreadOverHttp(alice) == 0, "nothing unread over HTTP");

    // read elsewhere (another device, over HTTP): the bell follows
    String other = gw.notify(alice, "Read on the phone");
    waitForBadge(page, "1");
    assertEquals(200, gw.post("/v1/me/notifications/" + other + "/read", TestGateway.token(alice), null).statusCode());
    waitForBadge(page, "");
    page.waitFor(shadow(item(other)) + " && !" + shadow(item(other) + ".unread"), "the list to show it read", 20);

    // a click outside closes the dropdown
    page.eval("document.body.click(), true");
    assertEquals(Boolean.TRUE, page.eval(shadow(".panel") + ".hidden"));
  }

  // "Mark all as read" reads everything, in the bell and in the API; on a page whose
  // Content-Security-Policy allows no inline style, the bell is styled all the same.
  @Test
  void markAllRead() {
    String bob = user("bob");
    for (int i = 0; i < 3; i++) {
      gw.notify(bob, "Notification " + i);
    }
    Chromium.Page page = open(app.strictUrl(bob));
    waitForBadge(page, "3");
    click(page, "button.bell");
    assertEquals("absolute", page.eval("getComputedStyle(" + shadow(".panel") + ").position"), "styled under the policy");
    assertEquals(3L, count(page, ".item.unread"));
    assertEquals(Boolean.FALSE, page.eval(shadow(".mark-all") + ".disabled"));
    click(page, ".mark-all");
    waitForBadge(page, "");
    assertEquals(0L, count(page, ".item.unread"));
    assertEquals(3L, count(page, ".item"));
    TestGateway.eventually(() -> unreadOverHttp(bob) == 0, "nothing unread over HTTP");
    assertFalse(inbox(bob).containsValue(false));
    assertEquals(Boolean.TRUE, page.eval(shadow(".mark-all") + ".disabled"), "nothing left to mark");
  }

  // A long inbox pages in with "Load more" (Herald.list and its cursor), page-size applies to the
  // next page, and the list never holds more than 200 items, even as new ones arrive.
  @Test
  void loadMorePagesThroughALongInboxAndTheListStaysBounded() {
    String carol = user("carol");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 205; i++) {
      ids.add(gw.notify(carol, "Notification " + i));
    }
    Chromium.Page page = page(carol);
    waitForBadge(page, "99+");
    click(page, "button.bell");
    assertEquals(20L, count(page, ".item"), "20 a page by default");
    assertEquals("Notification 204", text(page, ".item .title-text"), "newest first");
    assertEquals(Boolean.FALSE, page.eval(shadow(".more") + ".hidden"));

    click(page, ".more");
    page.waitFor(shadow(".list") + ".children.length === 40", "the second page", 20);
    assertEquals("Notification 165", text(page, ".item:last-child .title-text"));

    page.eval("document.querySelector('herald-bell').pageSize = 100, true");
    click(page, ".more");
    page.waitFor(shadow(".list") + ".children.length === 140", "a page of 100", 20);
    click(page, ".more");
    page.waitFor(shadow(".list") + ".children.length === 200", "the list up to its bound", 20);
    assertEquals("Notification 5", text(page, ".item:last-child .title-text"));
    assertEquals(Boolean.TRUE, page.eval(shadow(".more") + ".hidden"), "no more pages past the bound");
    assertEquals("Showing the 200 newest", text(page, ".note"));

    String newest = gw.notify(carol, "Notification 205");
    page.waitFor(shadow(item(newest)), "the new notification", 20);
    assertEquals(200L, count(page, ".item"), "still 200");
    assertEquals(newest, page.eval(shadow(".item") + ".dataset.id"));
    assertEquals("Notification 6", text(page, ".item:last-child .title-text"), "the oldest shown left the list");
    assertEquals(0L, count(page, item(ids.get(5))));
  }

  // Titles and bodies are text, never markup; a link that is not http(s) is never offered.
  @Test
  void untrustedTextStaysText() {
    String dave = user("dave");
    String script = "<script>window.pwned = 1</script>Quarterly report";
    String img = "<img src=x onerror=\"window.pwned = 2\">";
    String id = ingest(dave, new JsonObject().put("title", script).put("body", img).put("level", "error")
        .put("data", new JsonObject().put("url", "javascript:window.pwned = 3")));
    Chromium.Page page = page(dave);
    waitForBadge(page, "1");
    page.eval("window.opened = []; document.addEventListener('herald-open', e => { opened.push(e.detail.url); e.preventDefault(); }); true");
    click(page, "button.bell");
    assertEquals(script, text(page, item(id) + " .title-text"));
    assertEquals(img, text(page, item(id) + " .body"));
    assertEquals(0L, count(page, "script, img, [onerror]"), "no element made from the text");
    assertEquals(Boolean.TRUE, page.eval(shadow(item(id)) + ".classList.contains('level-error')"));
    assertEquals(Boolean.TRUE, page.eval(shadow(item(id) + " .action") + ".hidden"), "no javascript: link");
    click(page, item(id));
    waitForBadge(page, "");
    assertEquals(List.of(), ((JsonArray) page.eval("opened")).getList(), "a javascript: link is not opened");
    assertNull(page.eval("window.pwned ?? null"));
  }

  // The keyboard alone: Enter opens, arrows move through the list, Enter reads, Escape closes and
  // focus is back on the bell.
  @Test
  void keyboard() {
    String erin = user("erin");
    String older = gw.notify(erin, "Older");
    String newer = gw.notify(erin, "Newer");
    Chromium.Page page = page(erin);
    waitForBadge(page, "2");
    page.eval(shadow("button.bell") + ".focus(), true");
    press(page, "Enter");
    page.waitFor("document.querySelector('herald-bell').open", "Enter to open the dropdown", 5);
    assertEquals("true", page.eval(shadow("button.bell") + ".getAttribute('aria-expanded')"));
    press(page, "ArrowDown");
    assertEquals(newer, page.eval("document.querySelector('herald-bell').shadowRoot.activeElement.dataset.id"));
    press(page, "ArrowDown");
    assertEquals(older, page.eval("document.querySelector('herald-bell').shadowRoot.activeElement.dataset.id"));
    press(page, "Enter");
    waitForBadge(page, "1");
    assertEquals(0L, count(page, item(older) + ".unread"));
    assertEquals(1L, count(page, item(newer) + ".unread"));
    press(page, "ArrowUp");
    assertEquals(newer, page.eval("document.querySelector('herald-bell').shadowRoot.activeElement.dataset.id"));
    press(page, "Escape");
    assertEquals(Boolean.FALSE, page.eval("document.querySelector('herald-bell').open"));
    assertEquals(Boolean.TRUE, page.eval(shadow(".panel") + ".hidden"));
    assertEquals(Boolean.TRUE, page.eval("document.querySelector('herald-bell').shadowRoot.activeElement === " + shadow("button.bell")),
        "focus back on the bell");
    assertEquals("false", page.eval(shadow("button.bell") + ".getAttribute('aria-expanded')"));
    TestGateway.eventually(() -> Boolean.TRUE.equals(inbox(erin).get(older)), "the API to show it read");
  }

  // The locale attribute speaks the times in that language; theme="dark" is dark on a light system.
  @Test
  void localeAndTheme() {
    String grace = user("grace");
    String id = gw.notify(grace, "Hallo");
    Chromium.Page page = page(grace);
    page.call("Emulation.setEmulatedMedia", new JsonObject().put("features",
        new JsonArray().add(new JsonObject().put("name", "prefers-color-scheme").put("value", "light"))));
    click(page, "button.bell");
    String background = "getComputedStyle(" + shadow(".panel") + ").backgroundColor";
    assertEquals("rgb(255, 255, 255)", page.eval(background));
    assertEquals("now", text(page, item(id) + " time"));
    page.eval("const b = document.querySelector('herald-bell'); b.setAttribute('locale', 'de'); b.setAttribute('theme', 'dark'); true");
    assertEquals("jetzt", text(page, item(id) + " time"));
    assertEquals("rgb(24, 28, 41)", page.eval(background));
  }

  // The page is offline while more notifications arrive than a page holds, and the one its client
  // would resume after is purged meanwhile (as retention does): the gateway cannot replay what was
  // missed (herald.js's `gap`). The bell starts its list over: the newest page, then "Load more"
  // reaches every missed one and the older ones, none skipped; the dropdown stays open and the
  // focus, which was on an item, is on the first item again.
  @Test
  void afterAGapTheListStartsOverAndLoadMoreReachesEveryMissedOne() {
    String heidi = user("heidi");
    String before = gw.notify(heidi, "Before");
    String cursor = gw.notify(heidi, "The resume cursor");
    Chromium.Page page = page(heidi);
    String bell = "document.querySelector('herald-bell')";
    page.waitFor(bell + ".herald.lastId === " + Chromium.quote(cursor), "the newest as the client's resume cursor", 20);
    page.eval("window.gaps = []; " + bell + ".herald.on('gap', g => gaps.push(g)); true");
    page.eval(shadow("button.bell") + ".focus(), true");
    press(page, "ArrowDown");
    assertEquals(cursor, page.eval(bell + ".shadowRoot.activeElement.dataset.id"), "an item has the focus");

    page.call("Network.enable", new JsonObject());
    offline(page, true);
    page.waitFor(bell + ".state === 'offline'", "the bell to go offline", 20);
    List<String> missed = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      missed.add(gw.notify(heidi, "Missed " + i));
    }
    assertEquals(200, gw.post("/v1/me/notifications/" + cursor + "/read", TestGateway.token(heidi), null).statusCode());
    gw.query("DELETE FROM notifications WHERE id = '" + cursor + "'");
    offline(page, false);

    page.waitFor("gaps.length === 1 && " + shadow(".list") + ".children.length === 20", "the gap, and the list's first page again", 30);
    assertEquals(new JsonObject().put("after", cursor).put("reason", "unknown_cursor"), ((JsonArray) page.eval("gaps")).getJsonObject(0));
    List<String> newestFirst = new ArrayList<>(missed);
    Collections.reverse(newestFirst);
    List<String> newest = newestFirst.subList(0, 20);
    assertEquals(newest, shownIds(page), "the 20 newest, newest first");
    assertEquals("Missed 24", text(page, ".item .title-text"));
    waitForBadge(page, "26");
    assertEquals(Boolean.TRUE, page.eval(bell + ".open"), "the dropdown stays open");
    assertEquals(missed.get(24), page.eval(bell + ".shadowRoot.activeElement?.dataset.id ?? null"), "the focus on the first item");
    assertEquals(Boolean.FALSE, page.eval(shadow(".more") + ".hidden"), "more to load");

    click(page, ".more");
    page.waitFor(shadow(".list") + ".children.length === 26", "the next page", 20);
    List<String> all = new ArrayList<>(newestFirst);
    all.add(before);
    assertEquals(all, shownIds(page), "every missed one, then the one from before; the purged cursor is gone");
    assertEquals(Boolean.TRUE, page.eval(shadow(".more") + ".hidden"), "nothing more to load");
  }

  // The first page fails (the gateway refuses the list): the dropdown says so. When the connection
  // comes back the bell asks again by itself, without a click on "Try again".
  @Test
  void aFailedFirstPageIsLoadedAgainWhenTheConnectionComesBack() {
    String ivan = user("ivan");
    String id = gw.notify(ivan, "Waiting in the inbox");
    Chromium.Page page = TABS.open(app.url(ivan));
    page.call("Page.addScriptToEvaluateOnNewDocument", new JsonObject().put("source", HeraldClientTest.NETWORK + BREAK_LISTS));
    page.navigate(app.url(ivan));
    page.waitFor("customElements.get('herald-bell') && document.querySelector('herald-bell').state === 'open'", "the bell to connect", 20);
    click(page, "button.bell");
    page.waitFor(shadow(".note") + ".textContent === 'Could not load notifications.'", "the failed first page", 20);
    assertEquals("Try again", text(page, ".more"));
    assertEquals(0L, count(page, ".item"));

    page.eval("breakLists = false, window.before = dials, sockets.at(-1).close(), true"); // the connection drops and comes back
    page.waitFor(shadow(item(id)), "the first page after reconnecting", 20);
    assertTrue(BrowserTabs.dials(page) > ((Number) page.eval("before")).intValue(), "a new connection");
    assertEquals("", text(page, ".note"));
    assertEquals(Boolean.TRUE, page.eval(shadow(".more") + ".hidden"), "no page left to load");
    assertEquals("Waiting in the inbox", text(page, item(id) + " .title-text"));
    assertEquals("open", page.eval("document.querySelector('herald-bell').state"));
  }

  /** While {@code breakLists} is true the bell's lists of 20 go out as {@code limit: 0}, which the gateway refuses. */
  private static final String BREAK_LISTS = " window.breakLists = true;"
      + " { const send = WebSocket.prototype.send; WebSocket.prototype.send = function (data) {"
      + "   const frame = JSON.parse(data);"
      + "   return send.call(this, breakLists && frame.type === 'list' && frame.limit === 20 ? JSON.stringify({ type: 'list', limit: 0 }) : data); }; }";

  /** The browser's network off or on (the page gets `offline` / `online`). */
  private static void offline(Chromium.Page page, boolean offline) {
    page.call("Network.emulateNetworkConditions", new JsonObject().put("offline", offline).put("latency", 0)
        .put("downloadThroughput", -1).put("uploadThroughput", -1));
  }

  /** The ids the list shows, top to bottom. */
  private static List<String> shownIds(Chromium.Page page) {
    JsonArray ids = (JsonArray) page.eval("[...document.querySelector('herald-bell').shadowRoot.querySelectorAll('.item')].map(el => el.dataset.id)");
    return ids.stream().map(String.class::cast).toList();
  }

  // A realistic inbox in an app's header, light and dark: the screenshots are for a person to look at;
  // the assertions check what the eye would (the levels' colours differ, read items are muted).
  @Test
  void screenshots() throws Exception {
    String frank = user("frank");
    ingest(frank, new JsonObject().put("title", "Weekly report").put("body", "Your team closed 48 tickets this week.").put("level", "info"));
    String read = ingest(frank, new JsonObject().put("title", "Your export is ready").put("body", "1,204 rows, 3 MB.").put("level", "success")
        .put("actionUrl", "https://example.com/exports/7").put("actionLabel", "Download"));
    String warning = ingest(frank, new JsonObject().put("title", "SLA at risk on ticket #1312")
        .put("body", "No answer for 3 h 40 min; the SLA ends in 20 min.").put("level", "warning")
        .put("actionUrl", "https://example.com/tickets/1312").put("actionLabel", "Open ticket"));
    String error = ingest(frank, new JsonObject().put("title", "Payment failed").put("body", "The card ending in 4242 was declined.")
        .put("level", "error").put("actionUrl", "https://example.com/billing").put("actionLabel", "Update card"));
    Chromium.Page page = page(frank);
    page.eval("document.addEventListener('herald-open', e => e.preventDefault()); true");
    click(page, "button.bell");
    page.waitFor(shadow(".list") + ".children.length === 4", "the inbox", 20);
    click(page, item(read));
    waitForBadge(page, "3");
    String live = gw.notify(frank, "Maria mentioned you in #design");
    waitForBadge(page, "4");
    page.waitFor(shadow(item(live)), "the live one", 20);

    assertNotEquals(page.eval("getComputedStyle(" + shadow(item(warning) + " .level") + ").color"),
        page.eval("getComputedStyle(" + shadow(item(error) + " .level") + ").color"), "each level its colour");
    assertNotEquals(page.eval("getComputedStyle(" + shadow(item(read)) + ").backgroundColor"),
        page.eval("getComputedStyle(" + shadow(item(error)) + ").backgroundColor"), "read and unread look different");

    // an app header around the bell (moving the element keeps its connection)
    page.eval("(() => { const bell = document.querySelector('herald-bell');"
        + " document.body.style.cssText = 'margin:0;font:15px system-ui,sans-serif;min-height:100vh';"
        + " const bar = document.createElement('header');"
        + " bar.style.cssText = 'display:flex;align-items:center;justify-content:space-between;padding:10px 24px;border-bottom:1px solid rgb(128 128 128 / .25)';"
        + " const name = document.createElement('strong'); name.textContent = 'Acme Support'; bar.append(name, bell);"
        + " document.body.prepend(bar); return true; })()");
    assertEquals("open", page.eval("document.querySelector('herald-bell').state"));
    assertEquals(5L, count(page, ".item"));

    for (String scheme : List.of("light", "dark")) {
      page.call("Emulation.setEmulatedMedia", new JsonObject().put("features",
          new JsonArray().add(new JsonObject().put("name", "prefers-color-scheme").put("value", scheme))));
      page.eval("document.body.style.background = " + Chromium.quote("dark".equals(scheme) ? "#0e1117" : "#f4f5f8")
          + "; document.body.style.color = " + Chromium.quote("dark".equals(scheme) ? "#e8eaf2" : "#1b2232") + "; true");
      page.waitFor(shadow(".panel") + ".getAnimations().length === 0", "the dropdown to settle", 5);
      screenshot(page, SCREENSHOTS.resolve("bell-" + scheme + ".png"));
    }
    assertNotEquals("rgb(255, 255, 255)", page.eval("getComputedStyle(" + shadow(".panel") + ").backgroundColor"), "dark in the dark");
  }

  /** The top right of the page: the header, the bell and its dropdown. */
  private static void screenshot(Chromium.Page page, Path file) throws Exception {
    JsonObject box = (JsonObject) page.eval("(() => { const p = " + shadow(".panel") + ".getBoundingClientRect();"
        + " return { x: Math.max(0, p.left - 300), y: 0, width: innerWidth - Math.max(0, p.left - 300), height: p.bottom + 32, scale: 1 }; })()");
    JsonObject shot = page.call("Page.captureScreenshot", new JsonObject().put("format", "png").put("clip", box));
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.write(file, Base64.getDecoder().decode(shot.getString("data")));
  }
}
