package io.herald;

import io.vertx.core.MultiMap;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A minimal SockJS client on SockJS's framed WebSocket transport
 * ({@code <prefix>/<server>/<session>/websocket}): the server opens with {@code o}, sends
 * {@code a["msg",...]} with messages, {@code h} as heartbeat and {@code c[code,"reason"]} on close;
 * the client sends JSON arrays of strings. Keeps every message (each a JSON frame) for tests to wait on.
 */
public final class SockJsClient {
  /** How the session ended: a SockJS close frame ({@code sockJs} true) or a bare WebSocket close. */
  public record Closed(Integer code, String reason, boolean sockJs) {
  }

  private final ClientWebSocket ws;
  private final CompletableFuture<Void> opened = new CompletableFuture<>();
  private final CompletableFuture<Closed> closed = new CompletableFuture<>();
  private final FrameQueue frames = new FrameQueue(() -> closed.isDone() ? "closed " + closed.getNow(null) : "still open");
  private final AtomicInteger heartbeats = new AtomicInteger();

  /** Kept so Vert.x does not close the client (and this socket) once nothing else refers to it. */
  private final WebSocketClient client;

  /** Handlers are in place before connecting, so not even the {@code o} frame can be missed. */
  private SockJsClient(WebSocketClient client) {
    this.client = client;
    this.ws = client.webSocket();
    ws.textMessageHandler(this::receive);
    ws.closeHandler(v -> closed.complete(new Closed(ws.closeStatusCode() == null ? null : ws.closeStatusCode().intValue(), ws.closeReason(), false)));
  }

  /** Opens a session on {@code prefix} (for example {@code /v1/sockjs}) with the given handshake headers. */
  public static SockJsClient connect(TestGateway gw, String prefix, MultiMap headers) {
    String uri = prefix + "/000/" + UUID.randomUUID().toString().replace("-", "").substring(0, 12) + "/websocket";
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(gw.port).setURI(uri)
        .setHeaders(headers).setAllowOriginHeader(headers.contains("Origin"));
    SockJsClient socket = new SockJsClient(gw.client.createWebSocketClient());
    return TestGateway.await(socket.ws.connect(options).map(socket));
  }

  /** A session from the allowed test origin. */
  public static SockJsClient connect(TestGateway gw) {
    return connect(gw, "/v1/sockjs", MultiMap.caseInsensitiveMultiMap().add("Origin", TestGateway.ORIGIN));
  }

  private void receive(String text) {
    if (text.isEmpty()) {
      return;
    }
    switch (text.charAt(0)) {
      case 'o' -> opened.complete(null);
      case 'h' -> heartbeats.incrementAndGet();
      case 'a' -> {
        JsonArray messages = new JsonArray(text.substring(1));
        for (int i = 0; i < messages.size(); i++) {
          frames.add(new JsonObject(messages.getString(i)));
        }
      }
      case 'c' -> {
        JsonArray close = new JsonArray(text.substring(1));
        closed.complete(new Closed(close.getInteger(0), close.getString(1), true));
      }
      default -> throw new IllegalStateException("not a SockJS frame: " + text);
    }
  }

  public WebSocket raw() {
    return ws;
  }

  /** Waits for the server's {@code o} frame. */
  public SockJsClient awaitOpen() {
    try {
      opened.get(10, TimeUnit.SECONDS);
      return this;
    } catch (Exception e) {
      throw new AssertionError("no SockJS open frame within 10 s", e);
    }
  }

  public int heartbeats() {
    return heartbeats.get();
  }

  /** Sends one message (a JSON frame) as a SockJS array of one string. */
  public void send(JsonObject frame) {
    sendRaw(new JsonArray().add(frame.encode()).encode());
  }

  /** Sends text as it is, SockJS framing included. */
  public void sendRaw(String text) {
    TestGateway.await(ws.writeTextMessage(text));
  }

  /** Authenticates with the first frame the server expects. */
  public void auth(String token) {
    send(new JsonObject().put("type", "auth").put("token", token));
  }

  /** The first not-yet-taken frame of {@code type}, waiting up to 10 s. */
  public JsonObject next(String type) {
    return next(f -> type.equals(f.getString("type")), 10_000, type);
  }

  public JsonObject next(Predicate<JsonObject> match, long timeoutMs, String what) {
    return frames.next(match, timeoutMs, what);
  }

  /** Frames received and not yet taken, in arrival order. */
  public List<JsonObject> pending() {
    return frames.pending();
  }

  /** Waits for the session to end: the SockJS close frame if one came, else the WebSocket close. */
  public Closed awaitClose() {
    try {
      return closed.get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("session was not closed by the server within 15 s", e);
    }
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  public void close() {
    if (!ws.isClosed()) {
      ws.close();
    }
  }
}
