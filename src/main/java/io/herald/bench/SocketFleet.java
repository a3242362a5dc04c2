package io.herald.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Many push sockets ({@code /v1/ws}), one per entry of a user list, opened with a bounded number
 * of handshakes in flight and spread over the event loops and over local source addresses
 * (one WebSocket client per address, round-robin). A socket counts as open once its welcome
 * frame arrived; every other outcome is tallied by reason. Frames after the welcome go to
 * {@code onFrame}, on the socket's event loop.
 */
public final class SocketFleet {
  private final Loops loops;
  private final Vertx vertx;
  private final Target target;
  private final List<WebSocketClient> clients = new ArrayList<>();
  private final int maxInFlight;
  private final long welcomeTimeoutMs;
  private final Consumer<String> onFrame;
  private final LatencyRecorder welcomeLatency = new LatencyRecorder();
  private final Tally failures = new Tally();
  private final Tally closedByServer = new Tally();
  private final AtomicInteger open = new AtomicInteger();
  private final Queue<WebSocket> sockets = new ConcurrentLinkedQueue<>();
  private volatile boolean closing;

  /** {@code sources}: local addresses to bind to, round-robin (empty: let the OS choose). */
  public SocketFleet(Loops loops, Target target, List<String> sources, int maxSockets, int maxInFlight, Duration welcomeTimeout,
                     Consumer<String> onFrame) {
    this.loops = loops;
    this.vertx = loops.vertx();
    this.target = target;
    this.maxInFlight = maxInFlight;
    this.welcomeTimeoutMs = welcomeTimeout.toMillis();
    this.onFrame = onFrame;
    for (String source : sources.isEmpty() ? java.util.Collections.<String>singletonList(null) : sources) {
      clients.add(target.webSocketClient(vertx, source, maxSockets + 16));
    }
  }

  /** Opens one socket per entry of {@code users}; completes when every attempt has succeeded or failed. */
  public Future<Void> open(List<String> users) {
    if (users.isEmpty()) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    AtomicInteger next = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    Runnable[] pump = new Runnable[1];
    Runnable onFinished = () -> {
      if (finished.incrementAndGet() == users.size()) {
        done.tryComplete();
      } else {
        pump[0].run();
      }
    };
    pump[0] = () -> {
      int i = next.getAndIncrement();
      if (i < users.size()) {
        loops.get(i).runOnContext(v -> start(i, users.get(i), onFinished));
      }
    };
    for (int k = 0; k < Math.min(maxInFlight, users.size()); k++) {
      pump[0].run();
    }
    return done.future();
  }

  /** One attempt, confined to the event loop it runs on (handlers, timer and connect all come back there). */
  private void start(int index, String user, Runnable finished) {
    long started = System.nanoTime();
    ClientWebSocket ws = clients.get(index % clients.size()).webSocket();
    boolean[] welcomed = {false};
    boolean[] ended = {false};
    long timer = vertx.setTimer(welcomeTimeoutMs, id -> {
      if (!ended[0]) {
        ended[0] = true;
        failures.add("no welcome frame within " + welcomeTimeoutMs + " ms");
        ws.close();
        finished.run();
      }
    });
    ws.textMessageHandler(text -> {
      if (welcomed[0]) {
        onFrame.accept(text);
      } else if (!ended[0]) {
        ended[0] = true;
        vertx.cancelTimer(timer);
        String type = type(text);
        if ("welcome".equals(type)) {
          welcomed[0] = true;
          open.incrementAndGet();
          sockets.add(ws);
          welcomeLatency.record(System.nanoTime() - started);
        } else {
          failures.add("first frame was '" + type + "', not welcome");
          ws.close();
        }
        finished.run();
      } else {
        ws.close(); // welcome came after we gave up on it
      }
    });
    ws.closeHandler(v -> {
      if (welcomed[0]) {
        open.decrementAndGet();
        if (!closing) {
          closedByServer.add("closed by server: " + ws.closeStatusCode() + " " + ws.closeReason());
        }
      } else if (!ended[0]) {
        ended[0] = true;
        vertx.cancelTimer(timer);
        failures.add("closed before welcome: " + ws.closeStatusCode() + " " + ws.closeReason());
        finished.run();
      }
    });
    ws.exceptionHandler(err -> { });
    WebSocketConnectOptions options = new WebSocketConnectOptions().setURI("/v1/ws?token=" + target.userToken(user))
        .setAllowOriginHeader(false);
    ws.connect(options).onFailure(err -> {
      if (!ended[0]) {
        ended[0] = true;
        vertx.cancelTimer(timer);
        failures.add(err instanceof UpgradeRejectedException rejected ? "handshake refused: HTTP " + rejected.getStatus() : Tally.reason(err));
        finished.run();
      }
    });
  }

  /** Closes every open socket (normal closure); completes when all are closed or after 15 s. */
  public Future<Void> closeAll() {
    closing = true;
    List<Future<Void>> closes = new ArrayList<>();
    for (WebSocket ws : sockets) {
      closes.add(ws.close());
    }
    Promise<Void> done = Promise.promise();
    Future.join(closes).onComplete(r -> done.tryComplete());
    vertx.setTimer(15_000, id -> done.tryComplete());
    return done.future().eventually(() -> Future.join(clients.stream().map(WebSocketClient::close).toList()));
  }

  public int openCount() {
    return open.get();
  }

  public Tally failures() {
    return failures;
  }

  public Tally closedByServer() {
    return closedByServer;
  }

  /** Time from starting a handshake to its welcome frame. */
  public LatencyRecorder welcomeLatency() {
    return welcomeLatency;
  }

  /** The {@code type} of a server frame; cheap for the usual {@code {"type":"...",...}} form. */
  public static String type(String text) {
    if (text.startsWith("{\"type\":\"")) {
      int end = text.indexOf('"', 9);
      if (end > 9) {
        return text.substring(9, end);
      }
    }
    try {
      return String.valueOf(new JsonObject(text).getValue("type"));
    } catch (RuntimeException e) {
      return "(not JSON)";
    }
  }

  /** Users {@code prefix + first} .. for {@code sockets} sockets, {@code perUser} sockets each. */
  public static List<String> users(String prefix, int first, int sockets, int perUser) {
    List<String> out = new ArrayList<>(sockets);
    for (int i = 0; i < sockets; i++) {
      out.add(prefix + (first + i / Math.max(1, perUser)));
    }
    return out;
  }
}
