package io.herald.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.herald.LogCapture;
import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.herald.TestSocket;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/** The WebSocket push endpoint {@code /v1/ws} against the push protocol contract (DESIGN.md), as a client sees it. */
class WebSocketPushTest {
  /** A receive buffer small enough that the kernel holds little for a socket that stops reading. */
  private static final int SMALL_WINDOW = 16 * 1024;
  static TestGateway gw;
  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(g -> gw = g);

  // ---- welcome and authentication ----

  @Test
  void welcomeCarriesUserIdAndUnreadCountWithTokenInQuery() {
    // the welcome frame names the user and counts what is unread before the socket opened
    String u = user();
    gw.notify(u, "one");
    gw.notify(u, "two");
    TestSocket s = gw.socket(TestGateway.token(u));
    JsonObject welcome = any(s);
    assertEquals("welcome", welcome.getString("type"));
    assertEquals(u, welcome.getString("userId"));
    assertEquals(2, welcome.getInteger("unread"));
    s.close();
  }

  @Test
  void welcomeWithTokenInAuthorizationHeader() {
    // mobile clients send the JWT as Authorization: Bearer instead of ?token=
    String u = user();
    gw.notify(u, "one");
    TestSocket s = gw.socket("/v1/ws", MultiMap.caseInsensitiveMultiMap().add("Origin", TestGateway.ORIGIN)
        .add("Authorization", "Bearer " + TestGateway.token(u)));
    JsonObject welcome = s.next("welcome");
    assertEquals(u, welcome.getString("userId"));
    assertEquals(1, welcome.getInteger("unread"));
    s.close();
  }

  @Test
  void handshakeRefusals() {
    // bad credentials and foreign origins are refused at the handshake with the contract's statuses
    String u = user();
    MultiMap origin = MultiMap.caseInsensitiveMultiMap().add("Origin", TestGateway.ORIGIN);
    assertEquals(401, gw.handshakeStatus("/v1/ws", origin), "no token");
    String forged = TestGateway.token(u).substring(0, TestGateway.token(u).lastIndexOf('.') + 1) + "AAAA";
    assertEquals(401, gw.handshakeStatus("/v1/ws?token=" + forged, origin), "bad signature");
    assertEquals(401, gw.handshakeStatus("/v1/ws?token=not-a-token", origin), "garbage token");
    assertEquals(403, gw.handshakeStatus("/v1/ws?token=" + TestGateway.INGEST_KEY, origin), "API key instead of a user JWT");
    assertEquals(403, gw.handshakeStatus("/v1/ws?token=" + TestGateway.token(u),
        MultiMap.caseInsensitiveMultiMap().add("Origin", "http://evil.example")), "disallowed origin");
    assertEquals(101, gw.handshakeStatus("/v1/ws?token=" + TestGateway.token(u), MultiMap.caseInsensitiveMultiMap()),
        "no Origin header (mobile client) is allowed");
    HttpResponse<Buffer> plain = gw.get("/v1/ws", TestGateway.token(u));
    assertEquals(400, plain.statusCode(), "plain GET without Upgrade: " + plain.bodyAsString());
    assertEquals("not_websocket", plain.bodyAsJsonObject().getJsonObject("error").getString("code"));
  }

  // ---- pushing notifications ----

  @Test
  void ingestedNotificationArrivesWithEveryFieldThenUnreadCount() {
    // a notification ingested over HTTP reaches the socket in the contract's shape, then the new unread count
    String u = user();
    TestSocket s = gw.socket(TestGateway.token(u));
    assertEquals(0, s.next("welcome").getInteger("unread"));
    String id = ingest(new JsonObject().put("recipient", u).put("title", "Invoice ready").put("body", "Invoice #7 is ready")
        .put("level", "warning").put("category", "billing.invoice").put("actionUrl", "https://app.example/invoices/7")
        .put("actionLabel", "Open invoice").put("data", new JsonObject().put("invoice", 7)).put("priority", "high"));

    JsonObject first = any(s);
    assertEquals("notification", first.getString("type"), "first frame after ingest: " + first);
    JsonObject n = first.getJsonObject("notification");
    assertEquals(id, n.getString("id"));
    assertEquals(u, n.getString("recipient"));
    assertEquals("Invoice ready", n.getString("title"));
    assertEquals("Invoice #7 is ready", n.getString("body"));
    assertEquals("warning", n.getString("level"));
    assertEquals("billing.invoice", n.getString("category"));
    assertEquals("https://app.example/invoices/7", n.getString("actionUrl"));
    assertEquals("Open invoice", n.getString("actionLabel"));
    assertEquals(new JsonObject().put("invoice", 7), n.getJsonObject("data"));
    assertEquals("high", n.getString("priority"));
    assertTrue(n.getString("createdAt").endsWith("Z"), "createdAt in UTC: " + n.getString("createdAt"));
    Instant created = Instant.parse(n.getString("createdAt"));
    assertTrue(Math.abs(created.toEpochMilli() - System.currentTimeMillis()) < 60_000, "createdAt is now-ish: " + created);
    assertEquals(Boolean.FALSE, n.getValue("read"));
    assertTrue(n.containsKey("readAt") && n.getValue("readAt") == null, "readAt present and null: " + n);

    JsonObject second = any(s);
    assertEquals("unread", second.getString("type"), "frame after the notification: " + second);
    assertEquals(1, second.getInteger("count"));

    // what was pushed is what the inbox lists
    JsonObject listed = gw.get("/v1/me/notifications", TestGateway.token(u)).bodyAsJsonObject().getJsonArray("items").getJsonObject(0);
    assertEquals(listed, n);
    s.close();
  }

  @Test
  void socketsOfOneUserOnDifferentInstancesEachReceiveOnce() throws Exception {
    // every socket of a user gets the notification exactly once, whichever verticle instance holds it
    // Vert.x hands accepted connections to the server instances sharing the port in turn (round-robin),
    // so 4 consecutive sockets land on both of the 2 instances; the placement is checked below too.
    String u = user();
    List<TestSocket> sockets = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      TestSocket s = gw.socket(TestGateway.token(u));
      s.next("welcome");
      sockets.add(s);
    }
    List<Integer> perInstance = PushInspection.sessionsPerInstance(gw);
    assertEquals(2, perInstance.size(), "push verticle instances: " + perInstance);
    assertTrue(perInstance.stream().allMatch(n -> n >= 1), "sessions held per instance: " + perInstance);

    String id = gw.notify(u, "to every device");
    for (TestSocket s : sockets) {
      assertEquals(id, s.next("notification").getJsonObject("notification").getString("id"));
      assertEquals(1, s.next("unread").getInteger("count"));
    }
    assertNoFrame(sockets, f -> "notification".equals(f.getString("type")), 1000);
    sockets.forEach(TestSocket::close);
  }

  @Test
  void userNeverReceivesAnotherUsersNotification() {
    // isolation: B's notification reaches B's socket and never A's
    String a = user();
    String b = user();
    TestSocket sa = gw.socket(TestGateway.token(a));
    TestSocket sb = gw.socket(TestGateway.token(b));
    sa.next("welcome");
    sb.next("welcome");
    String id = gw.notify(b, "for b only");
    assertEquals(id, sb.next("notification").getJsonObject("notification").getString("id"));
    sa.expectNone("notification", 500);
    sa.expectNone("unread", 0);
    sa.close();
    sb.close();
  }

  // ---- socket commands ----

  @Test
  void pingIsAnsweredWithPong() {
    // {"type":"ping"} gets {"type":"pong"}
    TestSocket s = welcomed(user());
    s.send(frame("ping"));
    assertEquals(new JsonObject().put("type", "pong"), s.next("pong"));
    s.close();
  }

  @Test
  void listPagesThroughTheInboxWithNext() {
    // list returns newest first, limit items at a time, and "next" continues where the page ended
    String u = user();
    List<String> ids = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      ids.add(gw.notify(u, "n" + i));
    }
    TestSocket s = welcomed(u);
    s.send(frame("list").put("limit", 2));
    JsonObject page1 = s.next("list");
    assertEquals(List.of(ids.get(4), ids.get(3)), idsOf(page1.getJsonArray("items")));
    assertEquals(ids.get(3), page1.getString("next"));

    s.send(frame("list").put("limit", 2).put("before", page1.getString("next")));
    JsonObject page2 = s.next("list");
    assertEquals(List.of(ids.get(2), ids.get(1)), idsOf(page2.getJsonArray("items")));
    assertEquals(ids.get(1), page2.getString("next"));

    s.send(frame("list").put("limit", 2).put("before", page2.getString("next")));
    JsonObject page3 = s.next("list");
    assertEquals(List.of(ids.get(0)), idsOf(page3.getJsonArray("items")));
    assertTrue(page3.containsKey("next") && page3.getValue("next") == null, "last page has next null: " + page3);

    s.send(frame("list"));
    assertEquals(5, s.next("list").getJsonArray("items").size(), "default limit covers all five");
    s.close();
  }

  @Test
  void listFiltersByUnreadCategoryAndLevel() {
    // list honours unread, category and level filters
    String u = user();
    TestSocket s = welcomed(u);
    String billing = settle(ingest(new JsonObject().put("recipient", u).put("title", "invoice").put("category", "billing").put("level", "error")), 1, s);
    String social = settle(ingest(new JsonObject().put("recipient", u).put("title", "like").put("category", "social").put("level", "info")), 2, s);
    String other = settle(ingest(new JsonObject().put("recipient", u).put("title", "other").put("category", "billing").put("level", "info")), 3, s);
    s.send(frame("read").put("ids", new JsonArray().add(other)));
    assertEquals(2, s.next("unread").getInteger("count"));

    s.send(frame("list").put("unread", true));
    assertEquals(List.of(social, billing), idsOf(s.next("list").getJsonArray("items")));
    s.send(frame("list").put("category", "billing"));
    assertEquals(List.of(other, billing), idsOf(s.next("list").getJsonArray("items")));
    s.send(frame("list").put("level", "error"));
    assertEquals(List.of(billing), idsOf(s.next("list").getJsonArray("items")));
    s.send(frame("list").put("category", "billing").put("unread", true));
    assertEquals(List.of(billing), idsOf(s.next("list").getJsonArray("items")));
    s.close();
  }

  @Test
  void readAndUnreadUpdateTheBadgeOnEverySocketOfTheUser() {
    // read {ids} and unread {ids} send the new count to all of the user's sockets (badge sync)
    String u = user();
    TestSocket s1 = welcomed(u);
    TestSocket s2 = welcomed(u);
    String n1 = settle(gw.notify(u, "one"), 1, s1, s2);
    String n2 = settle(gw.notify(u, "two"), 2, s1, s2);

    s1.send(frame("read").put("ids", new JsonArray().add(n1).add(n2)));
    assertEquals(0, s1.next("unread").getInteger("count"));
    assertEquals(0, s2.next("unread").getInteger("count"));
    assertEquals(2, gw.count("SELECT count(*) FROM notifications WHERE recipient = '" + u + "' AND read_at IS NOT NULL"));

    s2.send(frame("unread").put("ids", new JsonArray().add(n2)));
    assertEquals(1, s1.next("unread").getInteger("count"));
    assertEquals(1, s2.next("unread").getInteger("count"));
    s1.send(frame("list").put("unread", true));
    assertEquals(List.of(n2), idsOf(s1.next("list").getJsonArray("items")));
    s1.close();
    s2.close();
  }

  @Test
  void readAllClearsTheBadgeOnEverySocket() {
    // read_all sets unread to 0 on every socket of the user
    String u = user();
    TestSocket s1 = welcomed(u);
    TestSocket s2 = welcomed(u);
    settle(gw.notify(u, "one"), 1, s1, s2);
    settle(gw.notify(u, "two"), 2, s1, s2);
    s2.send(frame("read_all"));
    assertEquals(0, s1.next("unread").getInteger("count"));
    assertEquals(0, s2.next("unread").getInteger("count"));
    assertEquals(0, gw.count("SELECT count(*) FROM notifications WHERE recipient = '" + u + "' AND read_at IS NULL"));
    s1.close();
    s2.close();
  }

  @Test
  void deleteRemovesFromListAndUpdatesCount() {
    // delete {ids} removes the notification from the inbox and sends the new count
    String u = user();
    TestSocket s = welcomed(u);
    String keep = settle(gw.notify(u, "keep"), 1, s);
    String drop = settle(gw.notify(u, "drop"), 2, s);
    s.send(frame("delete").put("ids", new JsonArray().add(drop)));
    assertEquals(1, s.next("unread").getInteger("count"));
    s.send(frame("list"));
    assertEquals(List.of(keep), idsOf(s.next("list").getJsonArray("items")));
    assertEquals(1, gw.count("SELECT count(*) FROM notifications WHERE id = '" + drop + "' AND deleted_at IS NOT NULL"));
    s.close();
  }

  @Test
  void ackRecordsDeliveredAtForOwnNotificationsOnly() {
    // ack {id} sets notifications.delivered_at; acking someone else's id changes nothing
    String u = user();
    String foreign = gw.notify(user(), "not yours");
    TestSocket s = welcomed(u);
    String id = settle(gw.notify(u, "ack me"), 1, s);
    assertEquals(0, gw.count("SELECT count(*) FROM notifications WHERE id = '" + id + "' AND delivered_at IS NOT NULL"));
    s.send(frame("ack").put("id", foreign));
    s.send(frame("ack").put("id", id));
    TestGateway.eventually(() -> gw.count("SELECT count(*) FROM notifications WHERE id = '" + id + "' AND delivered_at IS NOT NULL") == 1,
        "delivered_at set after ack");
    assertEquals(0, gw.count("SELECT count(*) FROM notifications WHERE id = '" + foreign + "' AND delivered_at IS NOT NULL"));
    s.send(frame("ping"));
    s.next("pong");
    s.expectNone("error", 0);
    s.close();
  }

  @Test
  void httpReadPushesUnreadCountToSockets() {
    // POST /v1/me/notifications/{id}/read over HTTP updates the badge on the user's open sockets
    String u = user();
    TestSocket s = welcomed(u);
    String n1 = settle(gw.notify(u, "one"), 1, s);
    settle(gw.notify(u, "two"), 2, s);
    HttpResponse<Buffer> r = gw.post("/v1/me/notifications/" + n1 + "/read", TestGateway.token(u), null);
    assertEquals(200, r.statusCode(), r.bodyAsString());
    assertEquals(1, r.bodyAsJsonObject().getInteger("unread"));
    assertEquals(1, s.next("unread").getInteger("count"));
    s.close();
  }

  // ---- resume ----

  @Test
  void resumeReplaysWhatCameAfterTheLastSeenNotification() {
    // resume {after: X} answers every later notification oldest first, then the unread count
    String u = user();
    TestSocket s = welcomed(u);
    String x = settle(gw.notify(u, "seen"), 1, s);
    s.close();
    TestGateway.eventually(s::isClosed, "client socket closed");
    List<String> missed = List.of(gw.notify(u, "missed 1"), gw.notify(u, "missed 2"), gw.notify(u, "missed 3"));

    TestSocket again = welcomed(u);
    fence(again);
    again.send(frame("resume").put("after", x));
    for (String id : missed) {
      JsonObject f = any(again);
      assertEquals("notification", f.getString("type"), "resume frame: " + f);
      assertEquals(id, f.getJsonObject("notification").getString("id"));
    }
    JsonObject count = any(again);
    assertEquals("unread", count.getString("type"), "after the replay: " + count);
    assertEquals(4, count.getInteger("count"));

    again.send(frame("resume").put("after", missed.get(2)));
    JsonObject nothingNew = any(again);
    assertEquals("unread", nothingNew.getString("type"), "resume after the newest sends only the count: " + nothingNew);
    assertEquals(4, nothingNew.getInteger("count"));
    again.close();
  }

  @Test
  void resumeReplaysMoreThanOnePageInOrder() {
    // a backlog longer than one resume page comes back complete and oldest first, a live push during the replay included
    String u = user();
    TestSocket s = welcomed(u);
    String x = settle(gw.notify(u, "seen"), 1, s);
    s.close();
    int backlog = Feed.PAGE + 50;
    List<Future<HttpResponse<Buffer>>> posts = new ArrayList<>();
    for (int i = 0; i < backlog; i++) {
      posts.add(gw.http.request(HttpMethod.POST, gw.port, "127.0.0.1", "/v1/notifications")
          .putHeader("Authorization", "Bearer " + TestGateway.INGEST_KEY).sendJsonObject(new JsonObject().put("recipient", u).put("title", "missed " + i)));
      if (posts.size() == 20 || i == backlog - 1) {
        posts.forEach(f -> assertEquals(202, TestGateway.await(f).statusCode()));
        posts.clear();
      }
    }
    List<String> expected = new ArrayList<>();
    gw.query("SELECT id FROM notifications WHERE recipient = '" + u + "' AND seq > (SELECT seq FROM notifications WHERE id = '" + x
        + "') ORDER BY seq").forEach(r -> expected.add(r.getUUID(0).toString()));
    assertEquals(backlog, expected.size());

    TestSocket again = welcomed(u);
    fence(again);
    again.send(frame("resume").put("after", x));
    String live = gw.notify(u, "live");
    TestGateway.eventually(() -> notificationIds(again).size() >= backlog + 1, "the whole replay and the live notification");
    List<String> replayed = notificationIds(again).stream().filter(id -> !id.equals(live)).toList();
    assertEquals(backlog, replayed.size(), "replayed notifications");
    assertTrue(expected.equals(replayed), "replayed in inbox order, across the page boundary");
    String lastReplayed = expected.get(backlog - 1);
    TestGateway.eventually(() -> {
      List<JsonObject> frames = again.pending();
      int last = 0;
      for (int i = 0; i < frames.size(); i++) {
        JsonObject n = frames.get(i).getJsonObject("notification");
        last = n != null && lastReplayed.equals(n.getString("id")) ? i : last;
      }
      return frames.subList(last, frames.size()).stream().anyMatch(f -> "unread".equals(f.getString("type")));
    }, "an unread count after the replay");
    again.close();
  }

  // ---- bad input ----

  @Test
  void badFramesGetErrorsOrCloseAndTheGatewayKeepsServing() {
    // malformed frames close with 1008 and a reason; well-formed bad frames get error frames and the socket stays open
    String u = user();
    String stranger = gw.notify(user(), "someone else's");
    TestSocket s = welcomed(u);

    s.send(new JsonObject().put("type", "fly"));
    JsonObject unknown = s.next("error");
    assertEquals("unknown_type", unknown.getString("code"));
    assertFalse(unknown.getString("message", "").isBlank(), "error message: " + unknown);

    s.send(frame("read").put("ids", "not a list"));
    assertEquals("invalid_field", s.next("error").getString("code"));
    s.send(frame("read").put("ids", new JsonArray().add("not-a-uuid")));
    assertEquals("invalid_field", s.next("error").getString("code"));

    s.send(frame("resume").put("after", stranger));
    assertEquals("unknown_cursor", s.next("error").getString("code"), "another user's id is not in this inbox");
    s.send(frame("resume").put("after", UUID.randomUUID().toString()));
    assertEquals("unknown_cursor", s.next("error").getString("code"));

    s.send(frame("list").put("before", "garbage"));
    assertEquals("invalid_cursor", s.next("error").getString("code"));
    s.send(frame("list").put("before", stranger));
    assertEquals("invalid_cursor", s.next("error").getString("code"), "another user's id is no cursor here");

    s.send(frame("ping"));
    s.next("pong");
    assertFalse(s.isClosed());

    TestSocket notJson = welcomed(u);
    notJson.sendText("this is not json");
    assertClosed(notJson, 1008);

    TestSocket array = welcomed(u);
    array.sendText("[1,2,3]");
    assertClosed(array, 1008);

    TestSocket noType = welcomed(u);
    noType.send(new JsonObject().put("ids", new JsonArray()));
    assertClosed(noType, 1008);

    TestSocket binary = welcomed(u);
    TestGateway.await(binary.raw().writeBinaryMessage(Buffer.buffer("{\"type\":\"ping\"}")));
    assertClosed(binary, 1008);

    // the first socket is still open and answering; new sockets are still served
    s.send(frame("ping"));
    s.next("pong");
    TestSocket fresh = welcomed(u);
    fresh.send(frame("ping"));
    fresh.next("pong");
    s.close();
    fresh.close();
  }

  @Test
  void oversizedFrameClosesTheSocket() {
    // a text frame larger than push.maxFrameBytes closes the socket (1009, message too big); the gateway keeps serving
    try (TestGateway small = TestGateway.start(push(new JsonObject().put("maxFrameBytes", 1024)))) {
      String u = user();
      TestSocket s = small.socket(TestGateway.token(u));
      s.next("welcome");
      s.send(frame("list").put("category", "x".repeat(500)));
      assertEquals("invalid_field", s.next("error").getString("code"), "a frame under the limit is read");
      s.sendText(frame("ping").put("pad", "x".repeat(2000)).encode());
      TestSocket.Closed closed = s.awaitClose();
      assertEquals(Short.valueOf((short) 1009), closed.code(), "close: " + closed);
      assertTrue(closed.reason().startsWith("frame too large"), closed.reason());

      // a message over the limit in frames each under it is refused the same way
      TestSocket fragmented = small.socket(TestGateway.token(u));
      fragmented.next("welcome");
      String text = frame("ping").put("pad", "x".repeat(1500)).encode();
      TestGateway.await(fragmented.raw().writeFrame(WebSocketFrame.textFrame(text.substring(0, 800), false)));
      TestGateway.await(fragmented.raw().writeFrame(WebSocketFrame.continuationFrame(Buffer.buffer(text.substring(800)), true)));
      TestSocket.Closed closedFragmented = fragmented.awaitClose();
      assertEquals(Short.valueOf((short) 1009), closedFragmented.code(), "close: " + closedFragmented);

      TestSocket fresh = small.socket(TestGateway.token(u));
      fresh.next("welcome");
      fresh.send(frame("ping"));
      fresh.next("pong");
      fresh.close();
    }
  }

  @Test
  void protocolViolationClosesWithStatusAndReason() throws Exception {
    // a frame that breaks the WebSocket protocol (unmasked from a client) is answered with a close status and reason, not a dropped connection
    try (RawWebSocket raw = RawWebSocket.connect(gw.port, "/v1/ws?token=" + TestGateway.token(user()))) {
      raw.sendUnmasked("{\"type\":\"ping\"}");
      RawWebSocket.Frame close = raw.awaitClose(10_000);
      assertEquals(1002, close.closeCode(), "close reason: " + close.closeReason());
      assertTrue(close.closeReason().startsWith("malformed frame"), close.closeReason());
    }
  }

  // ---- limits ----

  @Test
  void perUserConnectionLimit() {
    // push.maxConnectionsPerUser 2: the third socket of a user is refused with 429 until one closes
    try (TestGateway limited = TestGateway.start(push(new JsonObject().put("maxConnectionsPerUser", 2)))) {
      String u = user();
      String token = TestGateway.token(u);
      MultiMap origin = MultiMap.caseInsensitiveMultiMap().add("Origin", TestGateway.ORIGIN);
      TestSocket s1 = limited.socket(token);
      TestSocket s2 = limited.socket(token);
      s1.next("welcome");
      s2.next("welcome");
      assertEquals(429, limited.handshakeStatus("/v1/ws?token=" + token, origin));
      assertEquals(429, limited.handshakeStatus("/v1/ws?token=" + token, origin));
      TestSocket otherUser = limited.socket(TestGateway.token(user()));
      otherUser.next("welcome");

      s1.close();
      TestSocket[] s3 = new TestSocket[1];
      TestGateway.eventually(() -> {
        try {
          s3[0] = limited.socket(token);
          return true;
        } catch (RuntimeException e) {
          if (e.getCause() instanceof UpgradeRejectedException r && r.getStatus() == 429) {
            return false;
          }
          throw e;
        }
      }, "a slot is free again after closing a socket");
      s3[0].next("welcome");
      assertEquals(429, limited.handshakeStatus("/v1/ws?token=" + token, origin), "refusals did not leak slots");
      s2.close();
      s3[0].close();
      otherUser.close();
    }
  }

  @Test
  void heartbeatPingsLiveSocketsAndClosesSilentOnes() throws Exception {
    // push.pingIntervalSeconds 1: sockets get WebSocket pings; one answering with pongs stays, one that never answers is closed
    try (TestGateway beating = TestGateway.start(push(new JsonObject().put("pingIntervalSeconds", 1)))) {
      String u = user();
      TestSocket live = beating.socket(TestGateway.token(u));
      AtomicInteger pings = new AtomicInteger();
      live.raw().frameHandler(f -> {
        if (f.type() == WebSocketFrameType.PING) {
          pings.incrementAndGet();
        }
      });
      live.next("welcome");
      try (RawWebSocket silent = RawWebSocket.connect(beating.port, "/v1/ws?token=" + TestGateway.token(u))) {
        RawWebSocket.Frame close = silent.awaitClose(20_000);
        assertEquals(1008, close.closeCode(), "silent socket: " + close.closeReason());
        assertTrue(close.closeReason().startsWith("heartbeat timeout"), close.closeReason());
        assertTrue(silent.pings >= 2, "the silent socket was pinged before being closed: " + silent.pings);
      }
      assertTrue(pings.get() >= 2, "pings seen by the live socket: " + pings.get());
      assertFalse(live.isClosed(), "the socket that answers pings outlived the heartbeat timeout");
      live.send(frame("ping"));
      live.next("pong");
      live.close();
    }
  }

  @Test
  void slowConsumerIsClosedWhileOthersKeepReceiving() {
    // a socket that stops reading is closed with 1013 "slow consumer..." once its write queue stays full; other users are unaffected
    JsonObject conf = push(new JsonObject().put("writeQueueBytes", 4096).put("slowConsumerSeconds", 1));
    try (TestGateway tight = TestGateway.start(conf)) {
      String slowUser = user();
      String otherUser = user();
      TestSocket slow = smallWindowSocket(tight, slowUser);
      TestSocket other = tight.socket(TestGateway.token(otherUser));
      slow.next("welcome");
      other.next("welcome");
      slow.raw().pause();

      // GIVEN more bytes than the kernel can hold for the paused socket (server send buffer + client window + Vert.x's read queue)
      JsonObject big = new JsonObject().put("recipient", slowUser).put("body", "b".repeat(5000)).put("data", new JsonObject().put("pad", "d".repeat(15_000)));
      int frameBytes = big.encode().length();
      long backlog = (long) ((maxSendBuffer() + 2L * SMALL_WINDOW + 32L * frameBytes) * 1.5);
      int total = (int) (backlog / frameBytes) + 1;
      int sent = 0;
      while (sent < total) {
        List<Future<HttpResponse<Buffer>>> batch = new ArrayList<>();
        for (int i = 0; i < 20 && sent < total; i++, sent++) {
          batch.add(tight.http.request(HttpMethod.POST, tight.port, "127.0.0.1", "/v1/notifications")
              .putHeader("Authorization", "Bearer " + TestGateway.INGEST_KEY).sendJsonObject(big.copy().put("title", "big " + sent)));
        }
        for (var f : batch) {
          assertEquals(202, TestGateway.await(f).statusCode());
        }
      }
      // THEN another user's socket still gets its notifications while the slow one is backed up
      String otherId = tight.notify(otherUser, "still flowing");
      assertEquals(otherId, other.next("notification").getJsonObject("notification").getString("id"));

      // AND the slow socket, once it reads again, finds a 1013 close after only part of the backlog.
      // Notifications that reach the session out of order are caught up from the database only as
      // the socket drains, so nothing piles up and the close may come from the "full for longer
      // than slowConsumerSeconds" check (run every second) rather than the byte bound: give that
      // timer its chance before reading again, since a reading client is no longer slow.
      sleepMs(3_000);
      slow.raw().resume();
      TestSocket.Closed closed = slow.awaitClose();
      assertEquals(Short.valueOf((short) 1013), closed.code(), "after " + sent + " notifications: " + closed);
      assertTrue(closed.reason().startsWith("slow consumer"), closed.reason());
      long received = slow.pending().stream().filter(f -> "notification".equals(f.getString("type"))).count();
      assertTrue(received < sent, "the server stopped writing to the slow socket: " + received + " of " + sent + " arrived");

      other.send(frame("ping"));
      other.next("pong");
      other.close();
    }
  }

  // ---- logging ----

  @Test
  void tokensNeverReachTheLogs() {
    // no log line, even at DEBUG, contains a JWT used on /v1/ws (good or bad, in the query or the header)
    String u = user();
    String good = TestGateway.token(u);
    String bad = good.substring(0, good.lastIndexOf('.') + 1) + "A" + good.substring(good.lastIndexOf('.') + 2);
    MultiMap origin = MultiMap.caseInsensitiveMultiMap().add("Origin", TestGateway.ORIGIN);
    List<ILoggingEvent> events = LogCapture.during(Level.DEBUG, List.of("io.herald", "io.vertx", "io.netty"), () -> {
      TestSocket s = gw.socket(good);
      s.next("welcome");
      s.sendText("not json");
      s.awaitClose();
      TestSocket h = gw.socket("/v1/ws", MultiMap.caseInsensitiveMultiMap().add("Authorization", "Bearer " + good));
      h.next("welcome");
      h.close();
      assertEquals(401, gw.handshakeStatus("/v1/ws?token=" + bad, origin));
      assertEquals(401, gw.handshakeStatus("/v1/ws", MultiMap.caseInsensitiveMultiMap().addAll(origin).add("Authorization", "Bearer " + bad)));
      assertEquals(403, gw.handshakeStatus("/v1/ws?token=" + good, MultiMap.caseInsensitiveMultiMap().add("Origin", "http://evil.example")));
      LoggerFactory.getLogger(PushVerticle.class).debug("canary {}", "log capture works");
    });
    assertTrue(events.stream().anyMatch(e -> e.getFormattedMessage().contains("canary")), "the capture saw the canary line");
    String signatureGood = good.substring(good.lastIndexOf('.') + 1);
    String signatureBad = bad.substring(bad.lastIndexOf('.') + 1);
    for (ILoggingEvent e : events) {
      String line = LogCapture.line(e);
      assertFalse(line.contains(signatureGood) || line.contains(signatureBad), "token in a log line: " + line);
    }
  }

  // ---- helpers ----

  /**
   * A socket whose client has a fixed {@link #SMALL_WINDOW} receive buffer: a fixed size keeps the
   * kernel from growing the window, so the backlog a paused client can absorb stays bounded.
   */
  private static TestSocket smallWindowSocket(TestGateway g, String user) {
    WebSocketClient client = g.client.createWebSocketClient(new WebSocketClientOptions().setReceiveBufferSize(SMALL_WINDOW));
    return TestGateway.await(TestSocket.connect(client, new WebSocketConnectOptions().setHost("127.0.0.1").setPort(g.port)
        .setURI("/v1/ws?token=" + TestGateway.token(user)).addHeader("Origin", TestGateway.ORIGIN)));
  }

  /** The most the kernel lets one TCP socket buffer for sending (Linux autotuning limit). */
  private static long maxSendBuffer() {
    try {
      String[] wmem = Files.readString(Path.of("/proc/sys/net/ipv4/tcp_wmem")).trim().split("\\s+");
      return Long.parseLong(wmem[2]);
    } catch (IOException | RuntimeException e) {
      return 4L << 20;
    }
  }

  private static String user() {
    return "u-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static JsonObject frame(String type) {
    return new JsonObject().put("type", type);
  }

  private static JsonObject push(JsonObject push) {
    return new JsonObject().put("push", push);
  }

  /** A socket of {@code user} on the shared gateway, its welcome frame taken. */
  private static TestSocket welcomed(String user) {
    TestSocket s = gw.socket(TestGateway.token(user));
    s.next("welcome");
    return s;
  }

  /**
   * Takes the push frames of notification {@code id} from every socket: the notification, then the
   * unread count it led to. Tests ingest only while the user's sockets are open and settle each
   * push, so no late push of an earlier ingest can be mistaken for the answer to a command.
   */
  private static String settle(String id, int unread, TestSocket... sockets) {
    for (TestSocket s : sockets) {
      assertEquals(id, s.next("notification").getJsonObject("notification").getString("id"));
      assertEquals(unread, s.next("unread").getInteger("count"));
    }
    return id;
  }

  /**
   * Drops whatever a fresh socket received before a ping round trip: notifications ingested just
   * before it connected may still be pushed live (delivery is after commit and at-least-once).
   */
  private static void fence(TestSocket s) {
    s.send(frame("ping"));
    s.next("pong");
    while (!s.pending().isEmpty()) {
      any(s);
    }
  }

  /** Ids of the notification frames a socket holds, in arrival order (without taking them). */
  private static List<String> notificationIds(TestSocket s) {
    return s.pending().stream().filter(f -> "notification".equals(f.getString("type")))
        .map(f -> f.getJsonObject("notification").getString("id")).toList();
  }

  /** The next frame in arrival order, whatever its type. */
  private static JsonObject any(TestSocket s) {
    return s.next(f -> true, 10_000, "any");
  }

  private static String ingest(JsonObject body) {
    HttpResponse<Buffer> r = gw.post("/v1/notifications", TestGateway.INGEST_KEY, body);
    assertEquals(202, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject().getString("id");
  }

  private static List<String> idsOf(JsonArray items) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      out.add(items.getJsonObject(i).getString("id"));
    }
    return out;
  }

  private static void assertClosed(TestSocket s, int code) {
    TestSocket.Closed closed = s.awaitClose();
    assertEquals(Short.valueOf((short) code), closed.code(), "close: " + closed);
    assertNotNull(closed.reason());
    assertFalse(closed.reason().isBlank(), "a close reason is given: " + closed);
  }

  /** Waits {@code ms}, then asserts that no socket holds a frame matching {@code match}. */
  private static void assertNoFrame(List<TestSocket> sockets, Predicate<JsonObject> match, long ms) throws InterruptedException {
    Thread.sleep(ms);
    for (TestSocket s : sockets) {
      List<JsonObject> extra = s.pending().stream().filter(match).toList();
      assertTrue(extra.isEmpty(), "unexpected frames: " + extra);
    }
  }

  /**
   * A bare WebSocket over a plain TCP socket that reads frames but never answers pings: the
   * Vert.x client always answers them, so it cannot play a dead peer.
   */
  static final class RawWebSocket implements AutoCloseable {
    record Frame(int opcode, byte[] payload) {
      int closeCode() {
        return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : -1;
      }

      String closeReason() {
        return payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
      }
    }

    private final Socket socket;
    private final DataInputStream in;
    int pings;

    private RawWebSocket(Socket socket, DataInputStream in) {
      this.socket = socket;
      this.in = in;
    }

    static RawWebSocket connect(int port, String uri) throws IOException {
      Socket socket = new Socket("127.0.0.1", port);
      byte[] nonce = new byte[16];
      ThreadLocalRandom.current().nextBytes(nonce);
      String request = "GET " + uri + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\nSec-WebSocket-Version: 13\r\n"
          + "Origin: " + TestGateway.ORIGIN + "\r\n\r\n";
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      String head = readHead(in);
      if (!head.startsWith("HTTP/1.1 101")) {
        socket.close();
        throw new AssertionError("handshake refused: " + head);
      }
      return new RawWebSocket(socket, in);
    }

    private static String readHead(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int matched = 0;
      while (matched < 4) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("connection closed during the handshake");
        }
        head.write(b);
        matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
      }
      return head.toString(StandardCharsets.US_ASCII);
    }

    Frame read() throws IOException {
      int b0 = in.readUnsignedByte();
      int b1 = in.readUnsignedByte();
      long length = b1 & 0x7f;
      if (length == 126) {
        length = in.readUnsignedShort();
      } else if (length == 127) {
        length = in.readLong();
      }
      byte[] payload = new byte[(int) length];
      in.readFully(payload);
      return new Frame(b0 & 0x0f, payload);
    }

    /** Sends a text frame without the mask every client frame must carry (RFC 6455 section 5.1). */
    void sendUnmasked(String text) throws IOException {
      byte[] payload = text.getBytes(StandardCharsets.UTF_8);
      OutputStream out = socket.getOutputStream();
      out.write(0x81);
      out.write(payload.length);
      out.write(payload);
      out.flush();
    }

    /** Reads (and drops) frames until a close frame arrives, counting pings and never answering them. */
    Frame awaitClose(int timeoutMs) throws IOException {
      socket.setSoTimeout(timeoutMs);
      while (true) {
        Frame f = read();
        if (f.opcode() == 0x9) {
          pings++;
        } else if (f.opcode() == 0x8) {
          return f;
        }
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  private static void sleepMs(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
