package io.herald.push;

import io.herald.Addresses;
import io.herald.HeraldException;
import io.herald.auth.Authenticator;
import io.herald.auth.Principal;
import io.herald.config.HeraldConfig;
import io.herald.fanout.Fanout;
import io.herald.fanout.PushMessage;
import io.herald.ingest.HttpErrors;
import io.herald.store.DeliveryStore;
import io.herald.store.SubscriberStore;
import io.herald.ops.Meters;
import io.herald.ops.NodeInfo;
import io.herald.ops.Readiness;
import io.herald.store.NotificationStore;
import io.herald.store.NotificationWriter;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance of the gateway's HTTP server (several run, one per core, sharing the port): the
 * push endpoints {@code /v1/ws} and {@code /v1/sockjs} with the sessions they hold, plus the HTTP
 * API routes from {@code ingest} and {@code ops}. API and sockets share one port, and Vert.x
 * spreads connections over every server instance on a port, so they live in one verticle type.
 * Fan-out reaches each instance over the local event bus; it writes to its own sessions.
 */
public final class PushVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(PushVerticle.class);
  static final long AUTH_TIMEOUT_MS = 10_000;

  /** What every instance shares. */
  public record Shared(HeraldConfig config, Authenticator auth, NotificationStore store, NotificationWriter writer,
                       DeliveryStore deliveries, SubscriberStore subscribers, Fanout fanout,
                       ConnectionLimiter limiter, Readiness readiness, NodeInfo node, Meters meters, int transactionsPerInstance) {
  }

  private final Shared shared;
  private final HeraldConfig.Push cfg;
  private final SessionRegistry sessions = new SessionRegistry();
  private PushProtocol protocol;
  private Welcomes welcomes;
  private CatchUp catchUp;
  private HttpServer server;
  private Presence presence;

  public PushVerticle(Shared shared) {
    this.shared = shared;
    this.cfg = shared.config().push();
  }

  @Override
  public Future<?> start() {
    protocol = new PushProtocol(shared.store(), shared.fanout(), shared.meters().push());
    welcomes = new Welcomes(shared.store());
    HeraldConfig.Http http = shared.config().http();
    Router router = Router.router(vertx);
    router.get("/v1/ws").handler(this::webSocket);
    router.route("/v1/sockjs/*").handler(this::admitSockJs);
    // SockJS's HTTP transports (xhr_send, jsonp) read their POST bodies through a body handler
    router.post("/v1/sockjs/*").handler(BodyHandler.create(false).setBodyLimit(2L * cfg.maxFrameBytes() + 1024));
    SockJSHandlerOptions sockJsOptions = new SockJSHandlerOptions().setHeartbeatInterval(cfg.pingIntervalSeconds() * 1000L)
        .setRegisterWriteHandler(false).setInsertJSESSIONID(false);
    router.route("/v1/sockjs/*").subRouter(SockJSHandler.create(vertx, sockJsOptions).socketHandler(this::sockJs));
    HttpApi.mount(vertx, router, shared);
    router.route().failureHandler(ctx -> HttpErrors.handle(ctx, http.maxBodyBytes()));

    HttpServerOptions options = new HttpServerOptions().setHost(http.host()).setPort(http.port())
        .setCompressionSupported(false)
        .setPerMessageWebSocketCompressionSupported(false).setPerFrameWebSocketCompressionSupported(false)
        .setMaxWebSocketFrameSize(cfg.maxFrameBytes()).setMaxWebSocketMessageSize(cfg.maxFrameBytes())
        .setTcpNoDelay(true)
        // HTTP/1.1 only: a client offering "Upgrade: h2c" (the JDK's HttpClient does) must get a
        // plain answer; the h2c upgrade path fails on the Netty that the BOM brings with it
        .setHttp2ClearTextEnabled(false);
    server = vertx.createHttpServer(options).requestHandler(router);
    MessageConsumer<PushMessage> consumer = vertx.eventBus().localConsumer(Addresses.PUSH_LOCAL, msg -> deliver(msg.body()));
    catchUp = new CatchUp(shared.store(), sessions);
    MessageConsumer<Void> resync = vertx.eventBus().localConsumer(Addresses.PUSH_RESYNC, msg -> catchUp.run());
    vertx.setPeriodic(cfg.pingIntervalSeconds() * 1000L, id -> {
      long now = System.currentTimeMillis();
      sessions.forEach(s -> s.heartbeat(now));
    });
    vertx.setPeriodic(1000, id -> {
      long now = System.currentTimeMillis();
      sessions.forEach(s -> s.checkStuck(now));
    });
    // kept whether or not unread summaries are on, so turning them on finds who was around;
    // written each minute, or as often as digests are looked at when that is more often
    presence = new Presence(shared.store());
    long every = Math.min(60, shared.config().digest().checkIntervalSeconds()) * 1000L;
    vertx.setPeriodic(every, id -> presence.flush(System.currentTimeMillis()));
    return Future.all(server.listen(), consumer.completion(), resync.completion());
  }

  /** Closes every socket with 1001 "going away", then lets in-flight requests finish. */
  @Override
  public Future<?> stop() {
    sessions.forEach(s -> s.close(Session.GOING_AWAY, "going away: server shutting down; reconnect"));
    Future<?> down = server == null ? Future.succeededFuture() : server.shutdown(shared.config().http().shutdownTimeoutSeconds(),
        TimeUnit.SECONDS);
    return down.eventually(() -> presence.flush(System.currentTimeMillis()));
  }

  private void deliver(PushMessage message) {
    int written = sessions.deliver(message);
    if (message.target() != PushMessage.Target.USER && written > 0) {
      // once per instance when its writes of a broadcast are issued, not once per socket: on a
      // 10,000-socket broadcast a timer update per socket would cost more than the writes' bookkeeping
      shared.meters().push().written(message.committedAtMicros());
    }
    if (message.reach() != null) {
      message.reach().report(written);
    }
  }

  private void webSocket(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    if (shared.readiness().draining()) {
      throw HeraldException.unavailable("shutting down; connect again");
    }
    Origins.check(shared.config().auth(), req.getHeader("Origin"));
    String token = Authenticator.bearer(req.headers());
    Principal principal = shared.auth().authenticate(token != null ? token : req.getParam("token"));
    if (!principal.isUser()) {
      throw HeraldException.forbidden("push connections need a user JWT, not an API key");
    }
    if (!"websocket".equalsIgnoreCase(req.getHeader("Upgrade"))) {
      throw HeraldException.badRequest("not_websocket", "this endpoint speaks WebSocket only (or use /v1/sockjs)");
    }
    String user = principal.name();
    if (!shared.limiter().tryAcquire(user)) {
      throw new HeraldException(429, "too_many_connections", null,
          "this user already has " + shared.limiter().max() + " open connections (push.maxConnectionsPerUser)");
    }
    req.toWebSocket().onSuccess(ws -> openWebSocket(ws, principal)).onFailure(err -> {
      shared.limiter().release(user);
      log.debug("WebSocket upgrade failed: {}", err.getMessage());
    });
  }

  private void openWebSocket(ServerWebSocket ws, Principal principal) {
    ws.setWriteQueueMaxSize(cfg.writeQueueBytes());
    Session session = new Session(principal.name(), principal.roles(), new WebSocketTransport(ws), cfg, shared.store(),
        shared.meters().push());
    ws.textMessageHandler(text -> protocol.handle(session, text));
    ws.binaryMessageHandler(b -> session.close(Session.POLICY, "binary frames are not supported; send JSON text frames"));
    ws.pongHandler(b -> session.seen());
    ws.exceptionHandler(err -> {
      log.debug("WebSocket error: {}", err.getMessage());
      badFrame(session, err);
    });
    ws.closeHandler(v -> unregister(session));
    register(session);
  }

  /**
   * Netty refuses a frame over {@code push.maxFrameBytes} (or otherwise broken) by dropping the
   * connection without a close frame, and Vert.x drops a fragmented message over the limit (with a
   * plain IllegalStateException) while keeping the socket open; either way the client gets a close
   * status and a reason instead.
   */
  private void badFrame(Session session, Throwable err) {
    if (err instanceof CorruptedWebSocketFrameException bad && bad.closeStatus().code() != Session.TOO_BIG) {
      session.close((short) bad.closeStatus().code(), "malformed frame: " + bad.closeStatus().reasonText());
    } else if (err instanceof CorruptedWebSocketFrameException || err instanceof IllegalStateException) {
      session.close(Session.TOO_BIG, "frame too large: at most " + cfg.maxFrameBytes() + " bytes");
    }
  }

  /**
   * Adds an authenticated session (its connection slot already taken); its welcome follows once the
   * fan-out routes the user's messages here, so nothing published after the welcome's snapshot is missed.
   */
  private void register(Session session) {
    sessions.add(session);
    presence.opened(session, System.currentTimeMillis());
    shared.fanout().watch(session.userId(), session.roles()).onComplete(v -> context.runOnContext(x -> welcomes.welcome(session)));
  }

  private void unregister(Session session) {
    session.closed();
    sessions.remove(session);
    presence.closed(session);
    shared.fanout().unwatch(session.userId(), session.roles());
    shared.limiter().release(session.userId());
  }

  /** Origin check and drain check before any SockJS transport is served. */
  private void admitSockJs(RoutingContext ctx) {
    if (shared.readiness().draining()) {
      throw HeraldException.unavailable("shutting down; connect again");
    }
    Origins.check(shared.config().auth(), ctx.request().getHeader("Origin"));
    ctx.next();
  }

  /**
   * A SockJS socket: its first frame must be {@code {"type":"auth","token":...}} within
   * {@link #AUTH_TIMEOUT_MS}; a bad one gets an {@code error} frame and the socket is closed.
   */
  private void sockJs(SockJSSocket socket) {
    Session[] session = new Session[1];
    long timer = vertx.setTimer(AUTH_TIMEOUT_MS, id -> {
      if (session[0] == null) {
        refuse(socket, "auth_timeout", "send {\"type\":\"auth\",\"token\":...} first");
      }
    });
    socket.handler(buffer -> {
      if (buffer.length() > cfg.maxFrameBytes()) {
        if (session[0] != null) {
          session[0].close((short) 1009, "frame too large: at most " + cfg.maxFrameBytes() + " bytes");
        } else {
          refuse(socket, "frame_too_large", "frame too large: at most " + cfg.maxFrameBytes() + " bytes");
        }
        return;
      }
      if (session[0] != null) {
        protocol.handle(session[0], buffer.toString());
        return;
      }
      vertx.cancelTimer(timer);
      Principal principal;
      try {
        principal = authFrame(buffer.toString());
      } catch (HeraldException e) {
        refuse(socket, e.code(), e.getMessage());
        return;
      }
      if (!shared.limiter().tryAcquire(principal.name())) {
        refuse(socket, "too_many_connections", "this user already has " + shared.limiter().max() + " open connections");
        return;
      }
      socket.setWriteQueueMaxSize(cfg.writeQueueBytes());
      session[0] = new Session(principal.name(), principal.roles(), new SockJsTransport(socket), cfg, shared.store(),
          shared.meters().push());
      register(session[0]);
    });
    // without a handler SockJS logs a client's broken or oversized frame as an ERROR with a stack trace
    socket.exceptionHandler(err -> log.debug("SockJS error: {}", err.getMessage()));
    socket.closeHandler(v -> {
      vertx.cancelTimer(timer);
      if (session[0] != null) {
        unregister(session[0]);
      }
    });
  }

  private Principal authFrame(String text) {
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (RuntimeException e) {
      throw HeraldException.unauthorized("the first frame must be {\"type\":\"auth\",\"token\":...}");
    }
    if (!"auth".equals(frame.getValue("type")) || !(frame.getValue("token") instanceof String token)) {
      throw HeraldException.unauthorized("the first frame must be {\"type\":\"auth\",\"token\":...}");
    }
    Principal principal = shared.auth().authenticate(token);
    if (!principal.isUser()) {
      throw HeraldException.forbidden("push connections need a user JWT, not an API key");
    }
    return principal;
  }

  private static void refuse(SockJSSocket socket, String code, String message) {
    socket.write(Buffer.buffer(Frames.error(code, message).utf8()));
    socket.close(Session.POLICY, message.length() > 100 ? message.substring(0, 100) : message);
  }
}
