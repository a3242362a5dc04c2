package io.herald.ops;

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
    String status = param(ctx, "status");
    if (status == null) {
      status = "active";
    } else if (!status.equals("active") && !status.equals("resolved") && !status.equals("all")) {
      throw HeraldException.invalid("status", "must be active, resolved or all");
    }
    int limit = limit(param(ctx, "limit"));
    store.list(status.equals("all") ? null : status, limit).onSuccess(alerts -> {
      JsonArray items = new JsonArray();
      alerts.forEach(a -> items.add(a.toJson()));
      ctx.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("items", items).encode());
    }).onFailure(ctx::fail);
  }

  private static int limit(String text) {
    if (text == null) {
      return DEFAULT_LIMIT;
    }
    int limit;
    try {
      limit = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      limit = -1;
    }
    if (limit < 1 || limit > MAX_LIMIT) {
      throw HeraldException.invalid("limit", "must be a whole number from 1 to " + MAX_LIMIT);
    }
    return limit;
  }

  /** A query parameter; empty counts as absent. */
  private static String param(RoutingContext ctx, String name) {
    String value = ctx.queryParams().get(name);
    return value == null || value.isEmpty() ? null : value;
  }
}
