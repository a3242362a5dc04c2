package io.herald;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A real WebSocket client that keeps every JSON frame it receives, for tests to wait on. */
public final class TestSocket {
  /** How the server closed the socket. */
  public record Closed(Short code, String reason) {
  }

  private final ClientWebSocket ws;
  private final CompletableFuture<Closed> closed = new CompletableFuture<>();
  private final FrameQueue frames = new FrameQueue(() -> closed.isDone() ? "closed " + closed.getNow(null) : "still open");
  /**
   * Vert.x closes a WebSocket client once it is unreachable, with every socket it opened ("Connection
   * evicted"), so each socket keeps its client.
   */
  private final WebSocketClient client;

  /** Handlers are in place before connecting, so not even a frame sent with the handshake is missed. */
  private TestSocket(WebSocketClient client) {
    this.client = client;
    this.ws = client.webSocket();
    ws.textMessageHandler(text -> frames.add(new JsonObject(text)));
    ws.closeHandler(v -> closed.complete(new Closed(ws.closeStatusCode(), ws.closeReason())));
  }

  static Future<TestSocket> connect(Vertx vertx, WebSocketConnectOptions options) {
    return connect(vertx.createWebSocketClient(), options);
  }

  /** Connects with a client the caller configured (for example with a small receive buffer). */
  public static Future<TestSocket> connect(WebSocketClient client, WebSocketConnectOptions options) {
    TestSocket socket = new TestSocket(client);
    return socket.ws.connect(options).map(socket);
  }

  public WebSocket raw() {
    return ws;
  }

  public void send(JsonObject frame) {
    TestGateway.await(ws.writeTextMessage(frame.encode()));
  }

  public void sendText(String text) {
    TestGateway.await(ws.writeTextMessage(text));
  }

  /** The first not-yet-taken frame of {@code type}, waiting up to 10 s; fails the test otherwise. */
  public JsonObject next(String type) {
    return next(f -> type.equals(f.getString("type")), 10_000, type);
  }

  public JsonObject next(Predicate<JsonObject> match, long timeoutMs, String what) {
    return frames.next(match, timeoutMs, what);
  }

  /** Asserts that no frame of {@code type} arrives within {@code ms}. */
  public void expectNone(String type, long ms) {
    frames.expectNone(type, ms);
  }

  /** Frames received and not yet taken, in arrival order. */
  public List<JsonObject> pending() {
    return frames.pending();
  }

  public Closed awaitClose() {
    try {
      return closed.get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("socket was not closed by the server within 15 s", e);
    }
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  public void close() {
    if (!closed.isDone()) {
      ws.close();
    }
  }
}
