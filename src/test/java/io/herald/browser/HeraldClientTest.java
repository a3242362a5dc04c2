package io.herald.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.herald.auth.Jwt;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * herald.js in a real Chromium: de-duplication, resume, backoff, heartbeat, token refusal and
 * list(), against the real gateway or, where a server must misbehave on purpose, a scripted push
 * endpoint. Against the gateway the client runs in the demo page (no token given, so the page
 * itself stays idle); against a scripted endpoint in a page of that endpoint's origin.
 */
class HeraldClientTest {
  static TestGateway gw;
  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(
      new JsonObject().put("auth", new JsonObject().put("allowedOrigins", new JsonArray().add("*"))), g -> gw = g);

  @RegisterExtension
  static final BrowserTabs TABS = new BrowserTabs();
  private ScriptedPush push;

  /** What a browser logs when a WebSocket handshake or a request fails: expected where a test breaks them on purpose. */
  static final String NETWORK_FAILURES = "WebSocket connection to '[^']*' failed|Failed to load resource";

  /**
   * Counts the page's dials in {@code dials} (WebSockets made, SockJS sessions opened) and keeps its
   * WebSockets in {@code sockets}; while {@code blockWs} is true a WebSocket goes to a path the
   * gateway refuses (a proxy that breaks the upgrade), while {@code blockSockJs} is true SockJS
   * requests fail (no network). {@code streams} holds an abort for each xhr-streaming answer.
   */
  static final String NETWORK = "window.dials = 0; window.sockets = []; window.streams = [];"
      + " window.blockWs = false; window.blockSockJs = false;"
      + " { const Real = window.WebSocket; window.WebSocket = class extends Real { constructor(url, protocols) { dials++;"
      + "   super(blockWs ? String(url).replace('/v1/ws', '/v1/blocked-by-proxy') : url, protocols); sockets.push(this); } }; }"
      + " { const real = window.fetch; window.fetch = (url, init = {}) => {"
      + "   const path = String(url);"
      + "   if (path.includes('/v1/sockjs/') && blockSockJs) return Promise.reject(new TypeError('blocked by the test'));"
      + "   if (/\\/xhr(_streaming)?$/.test(path)) dials++;"
      + "   if (path.endsWith('/xhr_streaming')) { const stop = new AbortController(); streams.push(stop);"
      + "     return real(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, stop.signal]) : stop.signal }); }"
      + "   return real(url, init); }; }";

  /** A tab with herald.js loaded and `h = new Herald(options)` connected, its events kept in `seen`, `states`, `errors`. */
  private Chromium.Page client(String options) {
    return client("", options);
  }

  /** The same, after running {@code before} in the page (to stand in for the network in between). */
  private Chromium.Page client(String before, String options) {
    return start(TABS.open("http://127.0.0.1:" + gw.port + "/demo/"), before, options);
  }

  /** A client in a page of the scripted endpoint's origin (so its HTTP probe reaches that endpoint), with {@link #NETWORK}. */
  private Chromium.Page scripted(String options) {
    return start(TABS.open(push.url() + "/app.html"), NETWORK, options);
  }

  private static Chromium.Page start(Chromium.Page page, String before, String options) {
    page.eval("(async () => {" + before
        + " const { Herald } = await import('http://127.0.0.1:" + gw.port + "/herald.js');"
        + " window.seen = []; window.states = []; window.errors = []; window.counts = []; window.gaps = [];"
        + " window.h = new Herald(" + options + ");"
        + " h.on('notification', n => seen.push(n.id));"
        + " h.on('unread', c => counts.push(c));"
        + " h.on('state', (s, d) => states.push(Object.assign({ state: s, at: Date.now() }, d)));"
        + " h.on('error', e => errors.push(e));"
        + " h.on('gap', g => gaps.push(g));"
        + " h.connect();"
        + " return true; })()");
    return page;
  }


  private static String js(String s) {
    return Chromium.quote(s);
  }

  /** A script's array value as a list of plain Java values. */
  private static List<Object> array(Chromium.Page page, String script) {
    return ((JsonArray) page.eval(script)).getList();
  }

  /** A script's array of objects. */
  private static List<JsonObject> objects(Chromium.Page page, String script) {
    JsonArray values = (JsonArray) page.eval(script);
    return values.stream().map(v -> (JsonObject) v).toList();
  }

  // The same notification sent twice, and again by the resume after a drain, is emitted once; the
  // client resumes after the last id it saw, reconnects at once on 1001, and acks each id once.
  @Test
  void duplicatesAreEmittedOnceAndResumeStartsAfterTheLastIdSeen() {
    push = TABS.closeAfterTabs(new ScriptedPush());
    String n1 = UUID.randomUUID().toString();
    String n2 = UUID.randomUUID().toString();
    String n3 = UUID.randomUUID().toString();
    push.onOpen(c -> {
      c.send(ScriptedPush.welcome("u1", 2));
      if (push.connections.size() == 1) {
        c.send(ScriptedPush.notification(n1, "one"));
        c.send(ScriptedPush.notification(n2, "two"));
        c.send(ScriptedPush.notification(n1, "one again"));
        c.send(ScriptedPush.unread(2));
      }
    });
    Chromium.Page page = scripted("{ url: " + js(push.url()) + ", token: 't', transports: ['websocket'] }");
    page.waitFor("h.unread === 2 && seen.length === 2 && h.lastId === " + js(n1), "the first connection's frames", 10);

    push.connection(0).close(1001, "going away: server shutting down; reconnect");
    TestGateway.eventually(() -> push.connections.size() == 2 && !push.connection(1).sent("resume").isEmpty(),
        "a second connection that resumes", 15);
    ScriptedPush.Connection second = push.connection(1);
    assertEquals(n1, second.sent("resume").get(0).getString("after"), "resume starts after the last notification received");
    second.send(ScriptedPush.notification(n1, "one"));
    second.send(ScriptedPush.notification(n2, "two"));
    second.send(ScriptedPush.notification(n3, "three"));
    second.send(ScriptedPush.unread(3));
    page.waitFor("h.unread === 3", "the resume's unread count", 10);
    assertEquals(List.of(n1, n2, n3), array(page, "seen"), "each id once, in arrival order");
    assertEquals(n3, page.eval("h.lastId"));

    List<JsonObject> afterDrain = objects(page, "states.filter(s => s.code === 1001)");
    assertEquals(1, afterDrain.size(), "one reconnect scheduled for the drain: " + afterDrain);
    JsonObject drain = afterDrain.get(0);
    assertEquals("reconnecting", drain.getString("state"));
    assertTrue(drain.getInteger("retryIn") <= 1000, "a drain is answered at once, with a small jitter: " + drain);

    TestGateway.eventually(() -> push.connections.stream().mapToLong(c -> c.sent("ack").size()).sum() >= 3, "three acks", 10);
    List<String> acked = push.connections.stream().flatMap(c -> c.sent("ack").stream()).map(f -> f.getString("id")).toList();
    assertEquals(List.of(n1, n2, n3), acked, "each notification acknowledged once");
  }

  // While the server refuses every handshake the client keeps trying, each wait drawn from
  // [0, min(max, initial * 2^n)], and never gives up.
  @Test
  void backoffDoublesWithFullJitterUpToTheCap() {
    push = TABS.closeAfterTabs(new ScriptedPush());
    push.refuseWith(503);
    Chromium.Page page = scripted("{ url: " + js(push.url()) + ", token: 't', transports: ['websocket'],"
        + " backoff: { initial: 40, max: 300 } }");
    page.expectProblems(NETWORK_FAILURES);
    page.waitFor("states.filter(s => s.retryIn !== undefined).length >= 9", "nine scheduled retries", 30);
    List<JsonObject> retries = objects(page, "states.filter(s => s.retryIn !== undefined)");
    int largest = 0;
    for (JsonObject r : retries) {
      int attempt = r.getInteger("attempt");
      long bound = Math.min(300, 40L << (attempt - 1));
      assertTrue(r.getInteger("retryIn") >= 0 && r.getInteger("retryIn") <= bound, "retry " + r + " within [0, " + bound + "]");
      largest = Math.max(largest, r.getInteger("retryIn"));
    }
    assertTrue(largest > 40, "later waits grow past the first bound: " + retries);
    assertEquals(List.of(), array(page, "states.filter(s => s.state === 'unauthorized')"), "a server error is not a refused token");
    assertTrue(push.refused.stream().filter(r -> r.equals("GET /v1/ws")).count() >= 9, "each retry dialled: " + push.refused);
  }

  // A ping the server never answers ends the connection, and the client connects again by itself.
  @Test
  void anUnansweredPingReplacesTheConnection() {
    push = TABS.closeAfterTabs(new ScriptedPush());
    push.onOpen(c -> c.send(ScriptedPush.welcome("u1", 0)));
    scripted("{ url: " + js(push.url()) + ", token: 't', transports: ['websocket'], pingInterval: 300, pongTimeout: 300 }");
    TestGateway.eventually(() -> push.connections.size() >= 2, "a second connection after the silent one", 15);
    assertTrue(push.connection(0).sent("ping").size() >= 1, "the client pinged before giving up: " + push.connection(0).received);
  }

  // Marks made while disconnected are kept and sent once the client is connected again.
  @Test
  void marksMadeWhileAwayAreSentAfterReconnecting() {
    push = TABS.closeAfterTabs(new ScriptedPush());
    push.onOpen(c -> c.send(ScriptedPush.welcome("u1", 1)));
    Chromium.Page page = scripted("{ url: " + js(push.url()) + ", token: 't', transports: ['websocket'], backoff: { initial: 100, max: 200 } }");
    page.expectProblems(NETWORK_FAILURES);
    page.waitFor("h.state === 'open'", "open", 10);
    push.refuseWith(503);
    push.connection(0).close(1011, "internal error; reconnect");
    page.waitFor("h.state === 'reconnecting'", "reconnecting", 10);
    page.eval("h.markRead(['a', 'b']), h.markAllRead(), h.remove('c'), true");
    push.refuseWith(0);
    TestGateway.eventually(() -> push.connections.size() == 2 && marks(push.connection(1)).size() >= 3, "the marks on the new connection", 15);
    List<JsonObject> sent = marks(push.connection(1));
    assertEquals(new JsonObject().put("type", "read").put("ids", new JsonArray().add("a").add("b")), sent.get(0));
    assertEquals(new JsonObject().put("type", "read_all"), sent.get(1));
    assertEquals(new JsonObject().put("type", "delete").put("ids", new JsonArray().add("c")), sent.get(2));
  }

  private static List<JsonObject> marks(ScriptedPush.Connection c) {
    return c.received.stream().filter(f -> !List.of("list", "ping", "ack", "resume").contains(f.getString("type"))).toList();
  }

  // SockJS xhr-streaming answers end after 128 KB (SockJS's limit); the client asks again on the same
  // session and nothing is lost.
  @Test
  void sockJsStreamingCarriesOnPastTheEndOfAnAnswer() {
    String user = "streamer-" + UUID.randomUUID();
    Chromium.Page page = client("window.answers = 0; { const real = window.fetch; window.fetch = (url, init) =>"
        + " (String(url).endsWith('/xhr_streaming') && answers++, real(url, init)); }",
        "{ token: " + js(TestGateway.token(user)) + ", transports: ['sockjs'] }");
    page.waitFor("h.state === 'open' && h.transport === 'sockjs'", "open over SockJS", 15);
    String body = "x".repeat(4000);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 40; i++) { // 40 × 4 KB: more than one streamed answer holds
      var r = gw.post("/v1/notifications", TestGateway.INGEST_KEY, new JsonObject().put("recipient", user).put("title", "n" + i).put("body", body));
      ids.add(r.bodyAsJsonObject().getString("id"));
    }
    page.waitFor("seen.length === 40", "all 40 notifications", 30);
    assertEquals(ids, array(page, "seen"));
    assertEquals(40, ((Number) page.eval("h.unread")).intValue());
    assertEquals("open", page.eval("h.state"), "still the same connection");
    assertEquals(1L, ((Number) page.eval("states.filter(s => s.state === 'open').length")).longValue());
    assertTrue(((Number) page.eval("answers")).intValue() >= 2, "the session outlived its first streamed answer");
  }

  // Where streamed answers never arrive (a buffering proxy), the client switches to xhr-polling.
  @Test
  void sockJsPollsWhenStreamingNeverArrives() {
    String user = "poller-" + UUID.randomUUID();
    // a proxy that holds streamed answers back: the streaming request never answers
    Chromium.Page page = client("{ const real = window.fetch; window.fetch = (url, init) =>"
        + " String(url).endsWith('/xhr_streaming') ? new Promise(() => {}) : real(url, init); }",
        "{ token: " + js(TestGateway.token(user)) + ", transports: ['sockjs'], connectTimeout: 1500 }");
    page.waitFor("h.state === 'open'", "open by polling", 20);
    String id = gw.notify(user, "polled");
    page.waitFor("seen.includes(" + js(id) + ")", "the notification over xhr-polling", 20);
    page.eval("h.markRead(" + js(id) + "), true");
    TestGateway.eventually(() -> gw.count("SELECT count(*) FROM notifications WHERE id = '" + id + "' AND read_at IS NOT NULL") == 1,
        "read over xhr_send");
  }

  // A page of another origin imports herald.js from the gateway (CORS) and, without a url option,
  // connects to where the module came from, over WebSocket and over SockJS (CORS again).
  @Test
  void aPageOfAnotherOriginUsesTheGatewaysClient() {
    push = TABS.closeAfterTabs(new ScriptedPush());
    push.page("<!doctype html><title>app</title><link rel=icon href=\"data:,\"><script type=module>"
        + "import { Herald } from 'http://127.0.0.1:" + gw.port + "/herald.js'; window.Herald = Herald;</script>");
    String user = "elsewhere-" + UUID.randomUUID();
    Chromium.Page page = TABS.open(push.url() + "/app.html");
    page.waitFor("window.Herald", "the module from the gateway", 15);
    page.eval("window.seen = []; for (const t of ['websocket', 'sockjs']) {"
        + " const h = new Herald({ token: " + js(TestGateway.token(user)) + ", transports: [t] });"
        + " h.on('notification', n => seen.push(t + ' ' + n.title)); h.connect(); window[t] = h; } true");
    page.waitFor("websocket.state === 'open' && sockjs.state === 'open'", "both connected", 15);
    gw.notify(user, "across origins");
    page.waitFor("seen.length === 2", "the notification on both", 15);
    assertEquals(List.of("sockjs across origins", "websocket across origins"), array(page, "seen.sort()"));
  }

  // A refused token stops the client: over WebSocket alone (the refusal is read from HTTP) and with the SockJS fallback.
  @Test
  void aRefusedTokenStopsTheClient() {
    String forged = Jwt.sign("HS256", "not-the-gateway-secret-0123456789", null, new JsonObject().put("sub", "mallory"));
    Chromium.Page ws = client("{ token: " + js(forged) + ", transports: ['websocket'] }");
    Chromium.Page both = client("{ token: " + js(forged) + " }");
    ws.expectProblems(NETWORK_FAILURES);
    both.expectProblems(NETWORK_FAILURES);
    ws.waitFor("h.state === 'unauthorized'", "unauthorized over WebSocket", 15);
    both.waitFor("h.state === 'unauthorized'", "unauthorized with the SockJS fallback", 15);
    assertEquals(Boolean.TRUE, both.eval("states.at(-1).reason.includes('invalid token')"), "the server's reason is kept: "
        + both.eval("JSON.stringify(states)"));
    assertEquals("rejected", ws.eval("h.list().then(() => 'resolved', () => 'rejected')"));
  }

  // A token function is asked again, for a fresh token, when its token is refused: once.
  @Test
  void aTokenFunctionGetsOneMoreTry() {
    String user = "fresh-" + UUID.randomUUID();
    long now = Instant.now().getEpochSecond();
    String expired = Jwt.sign("HS256", TestGateway.JWT_SECRET, null, new JsonObject().put("sub", user)
        .put("iat", now - 7200).put("exp", now - 3600));
    Chromium.Page refreshed = client("{ token: ({ fresh }) => { window.asked = (window.asked || []).concat(fresh);"
        + " return fresh ? " + js(TestGateway.token(user)) + " : " + js(expired) + "; } }");
    refreshed.expectProblems(NETWORK_FAILURES);
    refreshed.waitFor("h.state === 'open'", "open with the fresh token", 15);
    assertEquals(List.of(false, true), array(refreshed, "asked"));
    assertEquals(user, refreshed.eval("h.userId"));

    Chromium.Page hopeless = client("{ token: async ({ fresh }) => { window.asked = (window.asked || []).concat(fresh);"
        + " return " + js(expired) + "; } }");
    hopeless.expectProblems(NETWORK_FAILURES);
    hopeless.waitFor("h.state === 'unauthorized'", "unauthorized after the second refusal", 15);
    assertEquals(List.of(false, true), array(hopeless, "asked"), "asked twice, then stopped");
  }

  // list() made before the connection is up waits for it; close() rejects what still waits.
  @Test
  void listWaitsForTheConnectionAndCloseRejectsIt() {
    String user = "lister-" + UUID.randomUUID();
    String older = gw.notify(user, "older");
    String newer = gw.notify(user, "newer");
    Chromium.Page page = client("{ token: " + js(TestGateway.token(user)) + " }");
    assertEquals(List.of(newer, older), array(page, "h.list({ limit: 5 }).then(p => p.items.map(n => n.id))"));
    assertEquals(List.of(newer), array(page, "h.list({ limit: 1 }).then(p => p.items.map(n => n.id))"));
    assertEquals(List.of(older), array(page, "h.list({ limit: 1, before: " + js(newer) + " }).then(p => p.items.map(n => n.id))"));
    assertEquals("RangeError", page.eval("h.list({ limit: 500 }).catch(e => e.name)"));

    // a page of another origin than the gateway's (the demo's policy would block SockJS to elsewhere)
    push = TABS.closeAfterTabs(new ScriptedPush());
    Chromium.Page nowhere = start(TABS.open(push.url() + "/app.html"), "",
        "{ url: 'http://127.0.0.1:" + TestGateway.freePort() + "', token: 't' }");
    nowhere.expectProblems(NETWORK_FAILURES + "|net::ERR_CONNECTION_REFUSED");
    nowhere.eval("window.pending = h.list().then(() => 'resolved', e => e.message), true");
    nowhere.waitFor("h.state === 'reconnecting'", "retrying a port nobody listens on", 15);
    // an app calling list() in a loop while away: a hundred wait, the next is refused at once
    nowhere.eval("window.more = Array.from({ length: 99 }, () => h.list().catch(e => e.message)), true");
    assertEquals("Herald: 100 list() calls are already waiting", nowhere.eval("h.list().then(() => 'resolved', e => e.message)"));
    nowhere.eval("h.close(), true");
    assertEquals("Herald: closed", nowhere.eval("pending"));
    assertEquals(List.of("Herald: closed"), array(nowhere, "Promise.all(more).then(all => [...new Set(all)])"));
    assertEquals("closed", nowhere.eval("h.state"));
  }

  // A WebSocket that failed where SockJS worked puts SockJS first for `fallbackFor` only: a reconnect
  // after that (the proxy fixed, a rolling deploy over) is back on WebSocket.
  @Test
  void aFallbackToSockJsLastsOnlyAWhile() {
    String user = "fallback-" + UUID.randomUUID();
    Chromium.Page page = client(NETWORK + " blockWs = true;", "{ token: " + js(TestGateway.token(user)) + ", fallbackFor: 1500 }");
    page.expectProblems("blocked-by-proxy");
    page.waitFor("h.state === 'open' && h.transport === 'sockjs'", "open over SockJS after the WebSocket failed", 20);
    page.eval("blockWs = false, window.fellBackAt = Date.now(), true");
    page.waitFor("Date.now() > fellBackAt + 1600", "the fallback to expire", 10);
    page.eval("streams.at(-1).abort(), true"); // the SockJS connection drops
    page.waitFor("h.state === 'open' && h.transport === 'websocket'", "open over WebSocket again", 20);
    String id = gw.notify(user, "over the WebSocket");
    page.waitFor("seen.includes(" + js(id) + ")", "a notification over it", 15);
  }

  // SockJS goes first after a fallback, but now it is SockJS that cannot open while WebSockets work
  // again: the same attempt goes on with WebSocket instead of retrying SockJS while the fallback lasts.
  @Test
  void aSockJsThatCannotOpenFallsThroughToWebSocket() {
    String user = "through-" + UUID.randomUUID();
    Chromium.Page page = client(NETWORK + " blockWs = true;", "{ token: " + js(TestGateway.token(user)) + " }");
    page.expectProblems("blocked-by-proxy");
    page.waitFor("h.state === 'open' && h.transport === 'sockjs'", "open over SockJS after the WebSocket failed", 20);
    page.eval("blockWs = false, blockSockJs = true, window.mark = states.length, streams.at(-1).abort(), true");
    page.waitFor("h.state === 'open' && h.transport === 'websocket'", "open over WebSocket", 20);
    assertEquals(List.of("wait", "reconnecting sockjs", "reconnecting websocket", "open websocket"),
        array(page, "states.slice(mark).map(s => s.retryIn !== undefined ? 'wait' : s.state + ' ' + s.transport)"),
        "one wait for the drop, then SockJS and WebSocket in the same attempt");
  }

  // A resume the database cannot serve (the cursor lookup fails) closes the socket with 1011; the
  // client reconnects with backoff and resumes again, so what it missed still arrives, once.
  @Test
  void aResumeTheDatabaseCannotServeIsTriedAgain() {
    String user = "blip-" + UUID.randomUUID();
    Chromium.Page page = client(NETWORK, "{ token: " + js(TestGateway.token(user)) + ", transports: ['websocket'],"
        + " backoff: { initial: 100, max: 400 } }");
    page.expectProblems("blocked-by-proxy");
    page.waitFor("h.state === 'open'", "open", 15); // (before that, the newest notification would be the cursor, not news)
    String seen = gw.notify(user, "seen");
    page.waitFor("h.lastId === " + js(seen), "the first notification", 15);
    // the connection drops and cannot come back for now
    page.eval("blockWs = true, sockets.at(-1).close(), true");
    page.waitFor("h.state === 'reconnecting'", "reconnecting", 10);
    String missed = gw.notify(user, "missed");
    gw.query("ALTER TABLE notifications RENAME TO notifications_away"); // the welcome reads `inbox`; resume needs this
    try {
      page.eval("blockWs = false, true");
      page.waitFor("states.some(s => s.code === 1011)", "a connection closed with 1011 after its resume failed", 20);
    } finally {
      gw.query("ALTER TABLE notifications_away RENAME TO notifications");
    }
    page.waitFor("h.lastId === " + js(missed), "the missed notification, by a later resume", 20);
    assertEquals(List.of(seen, missed), array(page, "seen"));
    JsonObject closed = objects(page, "states.filter(s => s.code === 1011)").get(0);
    assertTrue(closed.getString("reason").contains("resume"), closed.encode());
  }

  // A gateway that answers a failed resume with an error frame and keeps the socket open: the client
  // gives that connection up and resumes again on a new one.
  @Test
  void aResumeErrorFrameCostsTheConnection() {
    push = TABS.closeAfterTabs(new ScriptedPush());
    String n1 = UUID.randomUUID().toString();
    String n2 = UUID.randomUUID().toString();
    push.onOpen(c -> {
      c.send(ScriptedPush.welcome("u1", 1));
      if (push.connections.size() == 1) {
        c.send(ScriptedPush.notification(n1, "one"));
      }
    });
    push.onFrame((c, frame) -> {
      if (!"resume".equals(frame.getString("type"))) {
        return;
      }
      if (push.connections.indexOf(c) == 1) {
        c.send(new JsonObject().put("type", "error").put("code", "unavailable").put("message", "could not complete 'resume'; try again"));
      } else {
        c.send(ScriptedPush.notification(n2, "two"));
        c.send(ScriptedPush.unread(2));
      }
    });
    Chromium.Page page = scripted("{ url: " + js(push.url()) + ", token: 't', transports: ['websocket'], backoff: { initial: 50, max: 100 } }");
    page.waitFor("h.lastId === " + js(n1), "the first notification", 10);
    push.connection(0).close(1001, "going away: server shutting down; reconnect");
    page.waitFor("seen.length === 2", "the notification the third connection's resume replays", 15);
    assertEquals(List.of(n1, n2), array(page, "seen"));
    assertEquals(3, push.connections.size());
    assertEquals(n1, push.connection(2).sent("resume").get(0).getString("after"), "resumed after the same cursor");
    assertEquals(List.of("unavailable"), array(page, "errors.map(e => e.code)"));
  }

  // A resume after an id the inbox no longer has: the client starts again from the newest (not
  // emitted) and says, with a `gap` event, that what came meanwhile was not emitted.
  @Test
  void anUnknownCursorIsReportedAsAGap() {
    push = TABS.closeAfterTabs(new ScriptedPush());
    String n1 = UUID.randomUUID().toString();
    String newest = UUID.randomUUID().toString();
    push.onOpen(c -> {
      c.send(ScriptedPush.welcome("u1", 1));
      if (push.connections.size() == 1) {
        c.send(ScriptedPush.notification(n1, "one"));
      }
    });
    push.onFrame((c, frame) -> {
      if ("resume".equals(frame.getString("type"))) {
        c.send(new JsonObject().put("type", "error").put("code", "unknown_cursor")
            .put("message", "after: no notification " + n1 + " in this inbox (deleted long ago?); send a list instead"));
      } else if ("list".equals(frame.getString("type"))) {
        c.send(new JsonObject().put("type", "list").putNull("next")
            .put("items", new JsonArray().add(ScriptedPush.notification(newest, "newest").getJsonObject("notification"))));
      }
    });
    Chromium.Page page = scripted("{ url: " + js(push.url()) + ", token: 't', transports: ['websocket'] }");
    page.waitFor("h.lastId === " + js(n1), "the first notification", 10);
    push.connection(0).close(1001, "going away: server shutting down; reconnect");
    page.waitFor("gaps.length === 1 && h.lastId === " + js(newest), "the gap, and the newest as the cursor", 15);
    assertEquals(new JsonObject().put("after", n1).put("reason", "unknown_cursor"), objects(page, "gaps").get(0));
    assertEquals(List.of(n1), array(page, "seen"), "the newest is a cursor, not news");
    assertEquals(List.of(), array(page, "errors"));
  }

  // Welcomes that come and go before the client's cursor lookup is answered ask for it once, not once each.
  @Test
  void theCursorIsLookedUpOnceHoweverOftenTheConnectionDrops() {
    push = TABS.closeAfterTabs(new ScriptedPush());
    push.onOpen(c -> c.send(ScriptedPush.welcome("u1", 0)));
    push.onFrame((c, frame) -> {
      if ("list".equals(frame.getString("type"))) {
        if (push.connections.indexOf(c) < 3) {
          c.close(1011, "internal error; reconnect"); // never answered
        } else {
          c.send(new JsonObject().put("type", "list").put("items", new JsonArray()).putNull("next"));
        }
      }
    });
    Chromium.Page page = scripted("{ url: " + js(push.url()) + ", token: 't', transports: ['websocket'], backoff: { initial: 50, max: 100 } }");
    TestGateway.eventually(() -> push.connections.size() == 4, "a fourth connection", 15);
    assertEquals(List.of(), array(page, "h.list({ limit: 7 }).then(p => p.items)"));
    assertEquals(List.of(1, 7), push.connection(3).sent("list").stream().map(f -> f.getInteger("limit")).toList(),
        "one cursor lookup, then the app's list");
  }

  // A token function that fails (the app's token endpoint answered 503) is retried with backoff, not
  // taken for a refusal; the token it gives is used without the newline a response body ends in.
  @Test
  void aFailingTokenFunctionIsRetriedAndItsTokenTrimmed() {
    String user = "trimmed-" + UUID.randomUUID();
    Chromium.Page page = client("{ token: () => { window.asked = (window.asked || 0) + 1;"
        + " return asked <= 2 ? Promise.reject(new Error('token endpoint: HTTP 503')) : " + js(TestGateway.token(user) + "\n") + "; },"
        + " backoff: { initial: 50, max: 100 } }");
    page.waitFor("h.state === 'open'", "open with the third token", 15);
    assertEquals(user, page.eval("h.userId"));
    assertEquals(3, ((Number) page.eval("asked")).intValue());
    assertEquals(List.of("token", "token"), array(page, "errors.map(e => e.code)"));
    assertEquals(List.of(), array(page, "states.filter(s => s.state === 'unauthorized')"));
  }

  // A refused token and close() stop the client for good: no more dials, however short the backoff.
  @Test
  void theClientStopsDiallingWhenUnauthorizedOrClosed() {
    push = TABS.closeAfterTabs(new ScriptedPush());
    push.refuseWith(401);
    Chromium.Page page = scripted("{ url: " + js(push.url()) + ", token: 't', transports: ['websocket'], backoff: { initial: 20, max: 50 } }");
    page.expectProblems(NETWORK_FAILURES);
    page.waitFor("h.state === 'unauthorized'", "unauthorized", 15);
    assertEquals(1, BrowserTabs.dials(page), "one dial, one probe, then it stops");
    BrowserTabs.quietFor(2000);
    assertEquals(1, BrowserTabs.dials(page), "no dial after 'unauthorized'");
    assertEquals(1, wsDials(push));

    // closed while it keeps retrying a server that answers 503
    push.refuseWith(503);
    page.eval("h.connect(), true");
    page.waitFor("dials >= 6", "the client retrying", 15);
    int atClose = ((Number) page.eval("h.close(), dials")).intValue();
    BrowserTabs.quietFor(2000);
    assertEquals(atClose, BrowserTabs.dials(page), "no dial after close()");
    assertTrue(wsDials(push) <= atClose, "the server saw no more than the page made");

    // closed while open
    push.refuseWith(0);
    push.onOpen(c -> c.send(ScriptedPush.welcome("u1", 0)));
    page.eval("h.connect(), true");
    page.waitFor("h.state === 'open'", "open", 10);
    page.eval("h.close(), true");
    BrowserTabs.quietFor(1500);
    assertEquals(1, push.connections.size(), "no reconnect after close()");
  }

  private static long wsDials(ScriptedPush push) {
    return push.refused.stream().filter(r -> r.equals("GET /v1/ws")).count() + push.connections.size();
  }

  // Short-lived connections keep growing the backoff; one that stayed up `stableAfter` resets it.
  @Test
  void aStableConnectionResetsTheBackoff() {
    push = TABS.closeAfterTabs(new ScriptedPush());
    push.onOpen(c -> {
      c.send(ScriptedPush.welcome("u1", 0));
      if (push.connections.size() <= 3) {
        c.close(1011, "internal error; reconnect");
      }
    });
    Chromium.Page page = scripted("{ url: " + js(push.url()) + ", token: 't', transports: ['websocket'],"
        + " backoff: { initial: 20, max: 40 }, stableAfter: 1000 }");
    page.waitFor("h.state === 'open' && states.filter(s => s.state === 'open').length === 4", "the fourth connection open", 15);
    assertEquals(List.of(1, 2, 3), array(page, "states.filter(s => s.retryIn !== undefined).map(s => s.attempt)"),
        "each short-lived connection counts");
    page.waitFor("Date.now() - states.findLast(s => s.state === 'open').at > 1200", "the connection to outlast stableAfter", 10);
    push.connection(3).close(1011, "internal error; reconnect");
    page.waitFor("states.filter(s => s.retryIn !== undefined).length === 4", "the retry after the stable connection", 10);
    assertEquals(1, ((Number) page.eval("states.filter(s => s.retryIn !== undefined).at(-1).attempt")).intValue(),
        "the backoff starts over");
  }
}
