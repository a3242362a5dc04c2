package io.herald.browser;

import io.herald.TestGateway;
import io.herald.ops.WebRoot;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The real dashboard files (served by {@link WebRoot}, with its Content-Security-Policy) in front
 * of an admin API that answers what the test scripts: for answers the gateway in this branch cannot
 * give yet (the extended {@code /v1/stats} another part of issue 6 adds), or should never give (odd
 * shapes the page must survive), or a gateway that hangs. Requests without {@code Bearer KEY} get
 * 401 like the gateway.
 */
final class ScriptedGateway implements AutoCloseable {
  static final String KEY = "scripted-admin-key";

  private final Vertx vertx = Vertx.vertx();
  private final HttpServer server;
  /** Path → JSON body (200); a path that is absent answers 404 like an endpoint this version lacks. */
  private final Map<String, Supplier<JsonObject>> answers = new ConcurrentHashMap<>();
  /** Path → how many requests reached it (any method, any query, answered or not). */
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  /** Paths whose requests get no answer for now, and those requests. */
  private final Set<String> held = ConcurrentHashMap.newKeySet();
  private final List<RoutingContext> waiting = new ArrayList<>();
  private volatile boolean revoked;

  ScriptedGateway() {
    Router router = Router.router(vertx);
    new WebRoot().mount(router);
    router.route("/v1/*").handler(this::answer);
    server = TestGateway.await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
  }

  /** From now on a request to {@code path} (without its query; any method) answers {@code body}. */
  ScriptedGateway answer(String path, JsonObject body) {
    return answer(path, () -> body);
  }

  /** From now on a request to {@code path} answers what {@code body} returns then (it may script what follows). */
  ScriptedGateway answer(String path, Supplier<JsonObject> body) {
    answers.put(path, body);
    return this;
  }

  /** How many requests reached {@code path} so far. */
  int requests(String path) {
    AtomicInteger n = counts.get(path);
    return n == null ? 0 : n.get();
  }

  /** From now on requests to {@code path} are accepted and never answered, as by a gateway that hangs. */
  void hold(String path) {
    held.add(path);
  }

  /** Requests to {@code path} are answered again, the ones held so far too (those the browser has not given up). */
  void release(String path) {
    held.remove(path);
    List<RoutingContext> now;
    synchronized (waiting) {
      now = new ArrayList<>(waiting);
      waiting.clear();
    }
    for (RoutingContext ctx : now) {
      vertx.runOnContext(v -> {
        if (!ctx.response().closed() && !ctx.response().ended()) {
          respond(ctx);
        }
      });
    }
  }

  /** From now on the key is refused (401), as after an operator removed it from the configuration. */
  void revoke() {
    revoked = true;
  }

  String url(String path) {
    return "http://127.0.0.1:" + server.actualPort() + path;
  }

  private void answer(RoutingContext ctx) {
    if (revoked || !("Bearer " + KEY).equals(ctx.request().getHeader("Authorization"))) {
      error(ctx, 401, "unauthorized", "unknown API key");
      return;
    }
    String path = ctx.request().path();
    counts.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
    if (held.contains(path)) {
      synchronized (waiting) {
        waiting.add(ctx);
      }
      return;
    }
    respond(ctx);
  }

  private void respond(RoutingContext ctx) {
    Supplier<JsonObject> answer = answers.get(ctx.request().path());
    JsonObject body = answer == null ? null : answer.get();
    if (body == null) {
      error(ctx, 404, "not_found", "no such endpoint: " + ctx.request().method() + " " + ctx.request().path());
      return;
    }
    ctx.response().putHeader("Content-Type", "application/json").end(body.encode());
  }

  private static void error(RoutingContext ctx, int status, String code, String message) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", new JsonObject().put("code", code).put("message", message)).encode());
  }

  @Override
  public void close() {
    TestGateway.await(vertx.close());
  }
}
