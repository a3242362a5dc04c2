package io.herald.ops;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/** {@code /health/live} (the process answers) and {@code /health/ready} (see {@link Readiness}). */
public final class HealthApi {
  /** Liveness: 200 while the process answers (the Kubernetes manifests probe this path). */
  public static final String LIVE = "/health/live";
  /** Readiness: 200 when ready, 503 while starting or draining (the Kubernetes manifests probe this path). */
  public static final String READY = "/health/ready";

  private final Readiness readiness;

  public HealthApi(Readiness readiness) {
    this.readiness = readiness;
  }

  public void mount(Router router) {
    router.get(LIVE).handler(ctx -> ctx.response().putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("status", "UP").encode()));
    router.get(READY).handler(ctx -> readiness.check().onSuccess(state -> ctx.response()
        .setStatusCode("UP".equals(state.getString("status")) ? 200 : 503)
        .putHeader("Content-Type", "application/json").end(state.encode())).onFailure(ctx::fail));
  }
}
