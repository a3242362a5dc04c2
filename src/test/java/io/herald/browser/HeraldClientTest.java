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
 * endpoint. The client runs in the demo page (no token given, so the page itself stays idle).
 */
class HeraldClientTest {
  static TestGateway gw;
  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(
      new JsonObject().put("auth", new JsonObject().put("allowedOrigins", new JsonArray().add("*"))), g -> gw = g);

  @RegisterExtension
  static final BrowserTabs TABS = new BrowserTabs();
  private ScriptedPush push;

  /** A tab with herald.js loaded and `h = new Herald(options)` connected, its events kept in `seen`, `states`, `errors`. */
  private Chromium.Page client(String options) {
    return client("", options);
  }

  /** The same, after running {@code before} in the page (to stand in for the network in between). */
  private Chromium.Page client(String before, String options) {
    Chromium.Page page = TABS.open("http://127.0.0.1:" + gw.port + "/demo/");
    page.eval("(async () => {" + before
        + " const { Herald } = await import('/herald.js');"
        + " window.seen = []; window.states = []; window.errors = []; window.counts = [];"
        + " window.h = new Herald(" + options + ");"
        + " h.on('notification', n => seen.push(n.id));"
        + " h.on('unread', c => counts.push(c));"
        + " h.on('state', (s, d) => states.push(Object.assign({ state: s }, d)));"
        + " h.on('error', e => errors.push(e));"
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
    Chromium.Page page = client("{ url: " + js(push.url()) + ", token: 't', transports: ['websocket'] }");
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
    Chromium.Page page = client("{ url: " + js(push.url()) + ", token: 't', transports: ['websocket'],"
        + " backoff: { initial: 40, max: 300 } }");
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
    client("{ url: " + js(push.url()) + ", token: 't', transports: ['websocket'], pingInterval: 300, pongTimeout: 300 }");
    TestGateway.eventually(() -> push.connections.size() >= 2, "a second connection after the silent one", 15);
    assertTrue(push.connection(0).sent("ping").size() >= 1, "the client pinged before giving up: " + push.connection(0).received);
  }

  // Marks made while disconnected are kept and sent once the client is connected again.
  @Test
  void marksMadeWhileAwayAreSentAfterReconnecting() {
    push = TABS.closeAfterTabs(new ScriptedPush());
    push.onOpen(c -> c.send(ScriptedPush.welcome("u1", 1)));
    Chromium.Page page = client("{ url: " + js(push.url()) + ", token: 't', transports: ['websocket'], backoff: { initial: 100, max: 200 } }");
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
    push.page("<!doctype html><title>app</title><script type=module>"
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
    refreshed.waitFor("h.state === 'open'", "open with the fresh token", 15);
    assertEquals(List.of(false, true), array(refreshed, "asked"));
    assertEquals(user, refreshed.eval("h.userId"));

    Chromium.Page hopeless = client("{ token: async ({ fresh }) => { window.asked = (window.asked || []).concat(fresh);"
        + " return " + js(expired) + "; } }");
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

    Chromium.Page nowhere = client("{ url: 'http://127.0.0.1:" + TestGateway.freePort() + "', token: 't' }");
    nowhere.eval("window.pending = h.list().then(() => 'resolved', e => e.message), true");
    nowhere.waitFor("h.state === 'reconnecting'", "retrying a port nobody listens on", 15);
    nowhere.eval("h.close(), true");
    assertEquals("Herald: closed", nowhere.eval("pending"));
    assertEquals("closed", nowhere.eval("h.state"));
  }
}
