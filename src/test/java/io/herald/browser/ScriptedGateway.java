package io.herald.browser;

import io.herald.TestGateway;
import io.herald.ops.WebRoot;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The real dashboard files (served by {@link WebRoot}, with its Content-Security-Policy) in front
 * of an admin API that answers what the test scripts: for answers the gateway in this branch cannot
 * give yet (the extended {@code /v1/stats} another part of issue 6 adds), or should never give (odd
 * shapes the page must survive). Requests without {@code Bearer KEY} get 401 like the gateway.
 */
final class ScriptedGateway implements AutoCloseable {
  static final String KEY = "scripted-admin-key";

  private final Vertx vertx = Vertx.vertx();
  private final HttpServer server;
  /** Path → JSON body (200); a path that is absent answers 404 like an endpoint this version lacks. */
  private final Map<String, JsonObject> answers = new ConcurrentHashMap<>();
  private volatile boolean revoked;

  ScriptedGateway() {
    Router router = Router.router(vertx);
    new WebRoot().mount(router);
    router.route("/v1/*").handler(this::answer);
    server = TestGateway.await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
  }

  /** From now on {@code GET path} (without its query) answers {@code body}. */
  ScriptedGateway answer(String path, JsonObject body) {
    answers.put(path, body);
    return this;
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
    JsonObject body = answers.get(ctx.request().path());
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
