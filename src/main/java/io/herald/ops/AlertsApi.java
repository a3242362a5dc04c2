package io.herald.ops;

import io.herald.QueryParams;
import io.herald.HeraldException;
import io.herald.auth.Authenticator;
import io.herald.store.AlertStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /v1/alerts?status=active|resolved|all&limit=} (scope {@code admin}): the health
 * monitor's alerts, newest first; active ones by default.
 */
public final class AlertsApi {
  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 500;

  private final Authenticator auth;
  private final AlertStore store;

  public AlertsApi(Authenticator auth, AlertStore store) {
    this.auth = auth;
    this.store = store;
  }

  public void mount(Router router) {
    router.get("/v1/alerts").handler(this::list);
  }

  private void list(RoutingContext ctx) {
    auth.requireScope(ctx, "admin");
    String status = QueryParams.get(ctx.queryParams(), "status");
    if (status == null) {
      status = "active";
    } else if (!status.equals("active") && !status.equals("resolved") && !status.equals("all")) {
      throw HeraldException.invalid("status", "must be active, resolved or all");
    }
    int limit = QueryParams.limit(QueryParams.get(ctx.queryParams(), "limit"), DEFAULT_LIMIT, MAX_LIMIT);
    store.list(status.equals("all") ? null : status, limit).onSuccess(alerts -> {
      JsonArray items = new JsonArray();
      alerts.forEach(a -> items.add(a.toJson()));
      ctx.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("items", items).encode());
    }).onFailure(ctx::fail);
  }

}
