package io.herald;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A push client that behaves as a well-written app should: it keeps the id of the last
 * notification it saw, reconnects (to whichever node the load balancer offers) when its socket
 * closes, and resumes from that id. It counts what it received, so a test can check that every
 * acknowledged notification arrived.
 */
public final class FollowingClient {
  public final String user;
  public final Set<String> received = ConcurrentHashMap.newKeySet();
  public final AtomicInteger repeats = new AtomicInteger();
  public final AtomicInteger reconnects = new AtomicInteger();
  public final List<Integer> closeCodes = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final WebSocketClient client;
  private final Supplier<Integer> port;
  private final Vertx vertx;
  private volatile String lastId;
  private volatile int connectedTo;
  private volatile WebSocket socket;
  private volatile boolean welcomed;
  private volatile boolean stopped;

  /** {@code port}: the node to connect to next (a load balancer's choice). */
  public FollowingClient(Vertx vertx, String user, Supplier<Integer> port) {
    this.vertx = vertx;
    this.client = vertx.createWebSocketClient();
    this.user = user;
    this.port = port;
  }

  public void connect() {
    if (stopped) {
      return;
    }
    int p = port.get();
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(p)
        .setURI("/v1/ws?token=" + TestGateway.token(user));
    client.connect(options).onSuccess(ws -> {
      welcomed = false;
      socket = ws;
      connectedTo = p;
      ws.textMessageHandler(this::frame);
      ws.closeHandler(v -> {
        closeCodes.add(ws.closeStatusCode() == null ? -1 : (int) ws.closeStatusCode());
        again();
      });
    }).onFailure(err -> again());
  }

  private void again() {
    if (!stopped) {
      reconnects.incrementAndGet();
      vertx.setTimer(200, id -> connect());
    }
  }

  private void frame(String text) {
    JsonObject f = new JsonObject(text);
    switch (f.getString("type")) {
      case "welcome" -> {
        welcomed = true;
        if (lastId != null) {
          socket.writeTextMessage(new JsonObject().put("type", "resume").put("after", lastId).encode());
        }
      }
      case "notification" -> {
        String id = f.getJsonObject("notification").getString("id");
        if (!received.add(id)) {
          repeats.incrementAndGet();
        }
        lastId = id;
      }
      default -> {
      }
    }
  }

  /** Whether its socket is open and welcomed (from then on the server pushes it everything new). */
  public boolean connected() {
    return socket != null && !socket.isClosed() && welcomed;
  }

  /** The HTTP port of the node this client's socket is on. */
  public int node() {
    return connectedTo;
  }

  public void stop() {
    stopped = true;
    if (socket != null) {
      socket.close();
    }
  }
}
