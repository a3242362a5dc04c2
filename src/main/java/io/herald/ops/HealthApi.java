package io.herald.ops;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/** {@code /health/live} (the process answers) and {@code /health/ready} (see {@link Readiness}). */
public final class HealthApi {
  private final Readiness readiness;

  public HealthApi(Readiness readiness) {
    this.readiness = readiness;
  }

  public void mount(Router router) {
    router.get("/health/live").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("status", "UP").encode()));
    router.get("/health/ready").handler(ctx -> readiness.check().onSuccess(state -> ctx.response()
        .setStatusCode("UP".equals(state.getString("status")) ? 200 : 503)
        .putHeader("Content-Type", "application/json").end(state.encode())).onFailure(ctx::fail));
  }
}
