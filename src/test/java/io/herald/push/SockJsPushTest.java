package io.herald.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.herald.LogCapture;
import io.herald.SockJsClient;
import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The SockJS push endpoint {@code /v1/sockjs}: auth as the first frame, then the same protocol as {@code /v1/ws}. */
class SockJsPushTest {
  static TestGateway gw;
  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(new JsonObject().put("push", new JsonObject().put("maxFrameBytes", 1024)), g -> gw = g);

  @Test
  void authFrameThenWelcome() {
    // the session opens with "o"; an auth frame with a user JWT gets the welcome with the unread count
    String u = user();
    gw.notify(u, "waiting");
    SockJsClient s = SockJsClient.connect(gw).awaitOpen();
    s.auth(TestGateway.token(u));
    JsonObject welcome = s.next("welcome");
    assertEquals(u, welcome.getString("userId"));
    assertEquals(1, welcome.getInteger("unread"));
    s.send(frame("ping"));
    s.next("pong");
    s.close();
  }

  @Test
  void ingestedNotificationArrivesThenUnreadCount() {
    // a notification ingested over HTTP arrives on the SockJS session, followed by the unread count
    String u = user();
    SockJsClient s = authed(u);
    String id = gw.notify(u, "over sockjs");
    JsonObject first = s.next(f -> true, 10_000, "any");
    assertEquals("notification", first.getString("type"), "first frame: " + first);
    assertEquals(id, first.getJsonObject("notification").getString("id"));
    assertEquals(u, first.getJsonObject("notification").getString("recipient"));
    assertEquals(Boolean.FALSE, first.getJsonObject("notification").getValue("read"));
    JsonObject second = s.next(f -> true, 10_000, "any");
    assertEquals("unread", second.getString("type"), "second frame: " + second);
    assertEquals(1, second.getInteger("count"));
    s.close();
  }

  @Test
  void readAllGivesUnreadZero() {
    // read_all on a SockJS session marks everything read and answers unread 0
    String u = user();
    SockJsClient s = authed(u);
    String n1 = gw.notify(u, "one");
    s.next("notification");
    assertEquals(1, s.next("unread").getInteger("count"));
    gw.notify(u, "two");
    s.next("notification");
    assertEquals(2, s.next("unread").getInteger("count"));
    s.send(frame("read_all"));
    assertEquals(0, s.next("unread").getInteger("count"));
    assertEquals(0, gw.count("SELECT count(*) FROM notifications WHERE recipient = '" + u + "' AND read_at IS NULL"));
    s.send(frame("list"));
    JsonObject list = s.next("list");
    assertEquals(2, list.getJsonArray("items").size());
    assertEquals(n1, list.getJsonArray("items").getJsonObject(1).getString("id"));
    assertTrue(list.getJsonArray("items").getJsonObject(1).getBoolean("read"));
    s.close();
  }

  @Test
  void unknownFrameTypeGetsAnErrorAndTheSessionStays() {
    // after auth, an unknown type gets an error frame and the session keeps answering
    SockJsClient s = authed(user());
    s.send(frame("fly"));
    assertEquals("unknown_type", s.next("error").getString("code"));
    s.send(frame("ping"));
    s.next("pong");
    assertFalse(s.isClosed());
    s.close();
  }

  @Test
  void badTokenGetsAnErrorFrameThenClose() {
    // a bad token in the auth frame is answered with an error frame, then the session is closed
    SockJsClient s = SockJsClient.connect(gw).awaitOpen();
    String u = user();
    String forged = TestGateway.token(u).substring(0, TestGateway.token(u).lastIndexOf('.') + 1) + "AAAA";
    s.auth(forged);
    JsonObject error = s.next("error");
    assertEquals("unauthorized", error.getString("code"));
    assertSockJsClose(s);
  }

  @Test
  void apiKeyInsteadOfUserTokenIsRefused() {
    // an API key in the auth frame is refused like at the WebSocket handshake (forbidden), then closed
    SockJsClient s = SockJsClient.connect(gw).awaitOpen();
    s.auth(TestGateway.INGEST_KEY);
    assertEquals("forbidden", s.next("error").getString("code"));
    assertSockJsClose(s);
  }

  @Test
  void firstFrameThatIsNotAuthGetsAnErrorThenClose() {
    // anything but an auth frame first is refused with an error frame and a close
    SockJsClient s = SockJsClient.connect(gw).awaitOpen();
    s.send(frame("ping"));
    JsonObject error = s.next("error");
    assertEquals("unauthorized", error.getString("code"));
    assertTrue(error.getString("message").contains("auth"), error.getString("message"));
    assertSockJsClose(s);
    s.pending().forEach(f -> assertFalse("pong".equals(f.getString("type")), "no pong before auth: " + f));
  }

  @Test
  void malformedFrameAfterAuthClosesTheSession() {
    // a message that is not a JSON object closes an authenticated session
    SockJsClient s = authed(user());
    s.sendRaw(new JsonArray().add("not json").encode());
    SockJsClient.Closed closed = s.awaitClose();
    assertNotNull(closed);
    SockJsClient fresh = authed(user());
    fresh.send(frame("ping"));
    fresh.next("pong");
    fresh.close();
  }

  @Test
  void frameOverMaxFrameBytesClosesTheSession() {
    // push.maxFrameBytes 1024: a larger message closes the session without an ERROR log; the endpoint keeps serving
    SockJsClient s = authed(user());
    SockJsClient.Closed[] closed = new SockJsClient.Closed[1];
    List<ILoggingEvent> events = LogCapture.during(Level.INFO, List.of(), () -> {
      s.send(frame("ping").put("pad", "x".repeat(2000)));
      closed[0] = s.awaitClose();
    });
    assertNotNull(closed[0]);
    events.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.ERROR))
        .forEach(e -> fail("a client's oversized frame is no server error: " + LogCapture.line(e)));
    SockJsClient fresh = authed(user());
    fresh.send(frame("ping"));
    fresh.next("pong");
    fresh.close();
  }

  @Test
  void disallowedOriginIsRefused() {
    // a foreign Origin gets 403 on the SockJS info request and on the WebSocket transport; the allowed one is served
    HttpResponse<Buffer> evil = TestGateway.await(gw.http.request(HttpMethod.GET, gw.port, "127.0.0.1", "/v1/sockjs/info")
        .putHeader("Origin", "http://evil.example").send());
    assertEquals(403, evil.statusCode(), evil.bodyAsString());
    HttpResponse<Buffer> ok = TestGateway.await(gw.http.request(HttpMethod.GET, gw.port, "127.0.0.1", "/v1/sockjs/info")
        .putHeader("Origin", TestGateway.ORIGIN).send());
    assertEquals(200, ok.statusCode(), ok.bodyAsString());
    assertTrue(ok.bodyAsJsonObject().getBoolean("websocket"), ok.bodyAsString());
    try {
      SockJsClient.connect(gw, "/v1/sockjs", MultiMap.caseInsensitiveMultiMap().add("Origin", "http://evil.example"));
      throw new AssertionError("the WebSocket transport accepted a foreign origin");
    } catch (RuntimeException e) {
      assertTrue(e.getCause() instanceof UpgradeRejectedException r && r.getStatus() == 403, "refusal: " + e);
    }
  }

  @Test
  void xhrPollingRoundTrip() {
    // the XHR polling transport: open, auth through xhr_send, welcome and a pushed notification through polls
    String u = user();
    String session = "/v1/sockjs/000/" + UUID.randomUUID().toString().substring(0, 8);
    assertEquals("o\n", xhr(session + "/xhr", null).bodyAsString());
    String auth = new JsonObject().put("type", "auth").put("token", TestGateway.token(u)).encode();
    HttpResponse<Buffer> sent = xhr(session + "/xhr_send", new JsonArray().add(auth).encode());
    assertEquals(204, sent.statusCode(), sent.bodyAsString());
    JsonObject welcome = poll(session);
    assertEquals("welcome", welcome.getString("type"));
    assertEquals(u, welcome.getString("userId"));
    String id = gw.notify(u, "over xhr");
    JsonObject pushed = poll(session);
    assertEquals("notification", pushed.getString("type"), "polled: " + pushed);
    assertEquals(id, pushed.getJsonObject("notification").getString("id"));

    // a message over push.maxFrameBytes (here no WebSocket frame limit stands before the session's own check) ends the session
    String big = new JsonArray().add(frame("ping").put("pad", "x".repeat(2000)).encode()).encode();
    assertEquals(204, xhr(session + "/xhr_send", big).statusCode());
    String closing = xhr(session + "/xhr", null).bodyAsString();
    while (closing.startsWith("a")) {
      closing = xhr(session + "/xhr", null).bodyAsString();
    }
    assertTrue(closing.startsWith("c["), "the next poll reports the close: " + closing);
  }

  // ---- helpers ----

  private static String user() {
    return "s-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static JsonObject frame(String type) {
    return new JsonObject().put("type", type);
  }

  private static SockJsClient authed(String user) {
    SockJsClient s = SockJsClient.connect(gw).awaitOpen();
    s.auth(TestGateway.token(user));
    s.next("welcome");
    return s;
  }

  private static void assertSockJsClose(SockJsClient s) {
    SockJsClient.Closed closed = s.awaitClose();
    assertTrue(closed.sockJs(), "closed with a SockJS close frame: " + closed);
    assertNotNull(closed.code());
  }

  private static HttpResponse<Buffer> xhr(String path, String body) {
    // one connection per request: a SockJS poll may end its connection once answered
    var req = gw.http.request(HttpMethod.POST, gw.port, "127.0.0.1", path).putHeader("Origin", TestGateway.ORIGIN)
        .putHeader("Connection", "close");
    return TestGateway.await(body == null ? req.send() : req.sendBuffer(Buffer.buffer(body)));
  }

  /** Polls until a message frame comes (skipping heartbeats) and returns its first message. */
  private static JsonObject poll(String session) {
    for (int i = 0; i < 5; i++) {
      String body = xhr(session + "/xhr", null).bodyAsString();
      if (body.startsWith("a")) {
        return new JsonObject(new JsonArray(body.substring(1).trim()).getString(0));
      }
      assertEquals("h\n", body, "poll answered neither messages nor a heartbeat");
    }
    throw new AssertionError("no message in 5 polls");
  }
}
