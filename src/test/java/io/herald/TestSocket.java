package io.herald;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A real WebSocket client that keeps every JSON frame it receives, for tests to wait on. */
public final class TestSocket {
  /** How the server closed the socket. */
  public record Closed(Short code, String reason) {
  }

  private final WebSocket ws;
  private final List<JsonObject> frames = new ArrayList<>();
  private final CompletableFuture<Closed> closed = new CompletableFuture<>();

  /**
   * Vert.x closes a WebSocket client once it is unreachable, with every socket it opened ("Connection
   * evicted"), so each socket keeps its client.
   */
  private final WebSocketClient client;

  private TestSocket(WebSocket ws, WebSocketClient client) {
    this.ws = ws;
    this.client = client;
    ws.textMessageHandler(text -> {
      synchronized (frames) {
        frames.add(new JsonObject(text));
        frames.notifyAll();
      }
    });
    ws.closeHandler(v -> closed.complete(new Closed(ws.closeStatusCode(), ws.closeReason())));
  }

  static Future<TestSocket> connect(Vertx vertx, WebSocketConnectOptions options) {
    return connect(vertx.createWebSocketClient(), options);
  }

  /** Connects with a client the caller configured (for example with a small receive buffer). */
  public static Future<TestSocket> connect(WebSocketClient client, WebSocketConnectOptions options) {
    return client.connect(options).map(ws -> new TestSocket(ws, client));
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
    long deadline = System.currentTimeMillis() + timeoutMs;
    synchronized (frames) {
      while (true) {
        for (Iterator<JsonObject> it = frames.iterator(); it.hasNext(); ) {
          JsonObject f = it.next();
          if (match.test(f)) {
            it.remove();
            return f;
          }
        }
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          throw new AssertionError("no " + what + " frame within " + timeoutMs + " ms; got " + frames
              + (closed.isDone() ? "; closed " + closed.getNow(null) : "; still open"));
        }
        try {
          frames.wait(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    }
  }

  /** Asserts that no frame of {@code type} arrives within {@code ms}. */
  public void expectNone(String type, long ms) {
    try {
      JsonObject f = next(x -> type.equals(x.getString("type")), ms, type);
      throw new AssertionError("unexpected " + type + " frame: " + f);
    } catch (AssertionError e) {
      if (e.getMessage() != null && e.getMessage().startsWith("unexpected")) {
        throw e;
      }
    }
  }

  /** Frames received and not yet taken, in arrival order. */
  public List<JsonObject> pending() {
    synchronized (frames) {
      return new ArrayList<>(frames);
    }
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
