package io.herald.ingest;

import io.herald.HeraldException;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one failure handler: every error leaves as {@code {"error": {"code", "message", "field"}}}. */
public final class HttpErrors {
  private static final Logger log = LoggerFactory.getLogger(HttpErrors.class);
  private static final OncePerSecond UNAVAILABLE_LOG = new OncePerSecond();

  /** Lets one log line a second through and counts the rest. */
  private static final class OncePerSecond {
    private final java.util.concurrent.atomic.AtomicLong last = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong suppressed = new java.util.concurrent.atomic.AtomicLong();

    boolean admit() {
      long now = System.currentTimeMillis();
      long before = last.get();
      if (now - before >= 1000 && last.compareAndSet(before, now)) {
        return true;
      }
      suppressed.incrementAndGet();
      return false;
    }

    long takeSuppressed() {
      return suppressed.getAndSet(0);
    }
  }

  private HttpErrors() {
  }

  public static void handle(RoutingContext ctx, long maxBodyBytes) {
    HeraldException error = translate(ctx.failure(), ctx.statusCode(), maxBodyBytes);
    if (error.status() >= 500) {
      if (error.status() == 500) {
        log.atError().addKeyValue("status", 500).setCause(ctx.failure()).log("{} {} failed", ctx.request().method(), route(ctx));
      } else if (UNAVAILABLE_LOG.admit()) {
        // an outage fails every request: one line a second, with how many it stands for
        log.atWarn().addKeyValue("status", error.status()).log("{} {} answered {} ({} such answers since the last line): {}",
            ctx.request().method(), route(ctx), error.status(), UNAVAILABLE_LOG.takeSuppressed() + 1,
            ctx.failure() == null ? error.getMessage() : ctx.failure().toString());
      }
    }
    send(ctx.response(), error);
  }

  /**
   * The request's path with each path parameter replaced by its name ({@code /v1/subscribers/:userId}):
   * which endpoint failed, without whose user id or which notification, which logs at INFO and
   * above do not carry.
   */
  static String route(RoutingContext ctx) {
    String path = ctx.request().path();
    if (path == null || ctx.pathParams().isEmpty()) {
      return path;
    }
    String[] segments = path.split("/", -1);
    for (int i = 0; i < segments.length; i++) {
      String segment;
      try {
        segment = java.net.URLDecoder.decode(segments[i].replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        segment = segments[i]; // a malformed escape: compared as it came
      }
      for (java.util.Map.Entry<String, String> param : ctx.pathParams().entrySet()) {
        if (!segment.isEmpty() && segment.equals(param.getValue())) {
          segments[i] = ":" + param.getKey();
          break;
        }
      }
    }
    return String.join("/", segments);
  }

  public static void send(HttpServerResponse response, HeraldException error) {
    if (response.ended() || response.closed()) {
      return;
    }
    JsonObject body = new JsonObject().put("code", error.code()).put("message", error.getMessage());
    if (error.field() != null) {
      body.put("field", error.field());
    }
    if (error.status() == 401) {
      response.putHeader("WWW-Authenticate", "Bearer");
    }
    if (error.status() == 503) {
      response.putHeader("Retry-After", "1");
    }
    if (response.headWritten()) {
      response.reset();
      return;
    }
    response.setStatusCode(error.status()).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", body).encode());
  }

  static HeraldException translate(Throwable failure, int status, long maxBodyBytes) {
    if (failure instanceof HeraldException h) {
      return h;
    }
    if (failure == null || failure instanceof io.vertx.ext.web.handler.HttpException) {
      int code = failure instanceof io.vertx.ext.web.handler.HttpException http ? http.getStatusCode() : status;
      return switch (code) {
        case 413 -> new HeraldException(413, "body_too_large", null, "request body is larger than " + maxBodyBytes + " bytes (http.maxBodyBytes)");
        case 404 -> HeraldException.notFound("no such endpoint");
        case 405 -> new HeraldException(405, "method_not_allowed", null, "method not allowed on this endpoint");
        case 400 -> HeraldException.badRequest("bad_request", "malformed request");
        case 415 -> new HeraldException(415, "unsupported_media_type", null, "send application/json");
        default -> code >= 400 && code < 500
            ? new HeraldException(code, "bad_request", null, "request refused")
            : new HeraldException(500, "internal", null, "internal error");
      };
    }
    if (failure instanceof PgException pg && pg.getSqlState() != null && pg.getSqlState().startsWith("22")) {
      return HeraldException.badRequest("invalid_value", "a value in the request cannot be stored (" + pg.getSqlState() + ")");
    }
    if (isTransient(failure)) {
      return HeraldException.unavailable("database unavailable; retry shortly");
    }
    return new HeraldException(500, "internal", null, "internal error");
  }

  /** Failures that go away by themselves: the database restarting, unreachable or overloaded. */
  static boolean isTransient(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException || t instanceof java.util.concurrent.TimeoutException
          || t instanceof io.vertx.sqlclient.ClosedConnectionException || t instanceof io.netty.channel.ConnectTimeoutException
          || t instanceof java.io.IOException) {
        return true;
      }
      if (t instanceof PgException pg && pg.getSqlState() != null
          && (pg.getSqlState().startsWith("08") || pg.getSqlState().startsWith("57") || pg.getSqlState().startsWith("53")
          || pg.getSqlState().startsWith("40"))) {
        return true;
      }
      if (t instanceof io.vertx.core.VertxException v && v.getMessage() != null
          && (v.getMessage().contains("onnection") || v.getMessage().contains("closed") || v.getMessage().contains("imeout"))) {
        return true;
      }
    }
    return false;
  }
}
