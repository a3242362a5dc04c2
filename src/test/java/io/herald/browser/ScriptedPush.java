package io.herald.browser;

import io.herald.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A push endpoint under the test's control, for what the real gateway does not do on demand: send a
 * notification twice, answer a resume with ones the client has already seen, refuse every handshake.
 * Serves {@code /v1/ws} on a free port; records each connection and every frame the client sends.
 * Serves a page at {@code /app.html} too, so a client can run on this origin (its HTTP probes then
 * reach this server, and no page policy of the gateway's is in the way).
 */
final class ScriptedPush implements AutoCloseable {
  /** One client connection and the frames it sent, in order. */
  static final class Connection {
    final ServerWebSocket socket;
    final List<JsonObject> received = new CopyOnWriteArrayList<>();

    Connection(ServerWebSocket socket) {
      this.socket = socket;
    }

    /** Writes a frame (not waiting: callers may be on the socket's own event loop). */
    void send(JsonObject frame) {
      socket.writeTextMessage(frame.encode());
    }

    void close(int code, String reason) {
      socket.close((short) code, reason);
    }

    /** The frames of this type the client sent. */
    List<JsonObject> sent(String type) {
      return received.stream().filter(f -> type.equals(f.getString("type"))).toList();
    }
  }

  final List<Connection> connections = new CopyOnWriteArrayList<>();
  /** Handshakes answered with a status instead of being accepted. */
  final List<String> refused = new CopyOnWriteArrayList<>();
  private final Vertx vertx = Vertx.vertx();
  private final HttpServer server;
  private volatile int refuseWith;
  private volatile Consumer<Connection> onOpen = c -> { };
  private volatile BiConsumer<Connection, JsonObject> onFrame = (c, f) -> { };
  private volatile String page = "<!doctype html><html><head><title>app</title><link rel=icon href=\"data:,\"></head><body></body></html>";

  ScriptedPush() {
    server = TestGateway.await(vertx.createHttpServer().requestHandler(this::handle).listen(0, "127.0.0.1"));
  }

  /** The base URL to give the client. */
  String url() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  /** What to do with each new connection (on a Vert.x thread). */
  void onOpen(Consumer<Connection> action) {
    this.onOpen = action;
  }

  /** What to do with each frame a client sends (after it is recorded; on a Vert.x thread). */
  void onFrame(BiConsumer<Connection, JsonObject> action) {
    this.onFrame = action;
  }

  /** Answers every handshake (and any other request) with this status from now on; 0 accepts again. */
  void refuseWith(int status) {
    this.refuseWith = status;
  }

  /** Serves {@code html} at /app.html instead of the blank page. */
  void page(String html) {
    this.page = html;
  }

  Connection connection(int index) {
    return connections.get(index);
  }

  private void handle(HttpServerRequest req) {
    if ("/app.html".equals(req.path())) {
      req.response().putHeader("Content-Type", "text/html; charset=utf-8").end(page);
      return;
    }
    if (refuseWith != 0 || !"/v1/ws".equals(req.path())) {
      refused.add(req.method() + " " + req.path());
      req.response().setStatusCode(refuseWith != 0 ? refuseWith : 404).end();
      return;
    }
    req.toWebSocket().onSuccess(ws -> {
      Connection c = new Connection(ws);
      ws.textMessageHandler(text -> {
        JsonObject frame = new JsonObject(text);
        c.received.add(frame);
        onFrame.accept(c, frame);
      });
      connections.add(c);
      onOpen.accept(c);
    });
  }

  static JsonObject welcome(String user, int unread) {
    return new JsonObject().put("type", "welcome").put("userId", user).put("unread", unread);
  }

  static JsonObject notification(String id, String title) {
    return new JsonObject().put("type", "notification").put("notification", new JsonObject().put("id", id)
        .put("recipient", "u1").put("title", title).put("level", "info").put("read", false)
        .put("createdAt", "2026-01-01T00:00:00Z"));
  }

  static JsonObject unread(int count) {
    return new JsonObject().put("type", "unread").put("count", count);
  }

  @Override
  public void close() {
    TestGateway.await(vertx.close());
  }
}
