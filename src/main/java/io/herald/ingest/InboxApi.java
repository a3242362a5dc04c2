package io.herald.ingest;

import io.herald.HeraldException;
import io.herald.auth.Principal;
import io.herald.auth.Authenticator;
import io.herald.fanout.Fanout;
import io.herald.fanout.PushMessage;
import io.herald.store.Ids;
import io.herald.store.NotificationStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.UUID;
import java.util.function.BiFunction;

/** The notification center over HTTP ({@code /v1/me/...}) for end users with a JWT. */
public final class InboxApi {
  private final Authenticator auth;
  private final NotificationStore store;
  private final Fanout fanout;

  public InboxApi(Authenticator auth, NotificationStore store, Fanout fanout) {
    this.auth = auth;
    this.store = store;
    this.fanout = fanout;
  }

  public void mount(Router router) {
    router.get("/v1/me/notifications").handler(this::list);
    router.get("/v1/me/notifications/unread-count").handler(this::unreadCount);
    router.post("/v1/me/notifications/read-all").handler(this::readAll);
    router.post("/v1/me/notifications/:id/read").handler(ctx -> change(ctx, store::markRead));
    router.post("/v1/me/notifications/:id/unread").handler(ctx -> change(ctx, store::markUnread));
    router.delete("/v1/me/notifications/:id").handler(ctx -> change(ctx, store::delete));
  }

  private void list(RoutingContext ctx) {
    Principal user = auth.requireUser(ctx);
    InboxQuery query = InboxQuery.fromParams(ctx.queryParams());
    query.run(store, user.name()).onSuccess(page -> json(ctx, page.toJson())).onFailure(ctx::fail);
  }

  private void unreadCount(RoutingContext ctx) {
    Principal user = auth.requireUser(ctx);
    store.unreadCount(user.name()).onSuccess(n -> json(ctx, new JsonObject().put("count", n))).onFailure(ctx::fail);
  }

  private void readAll(RoutingContext ctx) {
    Principal user = auth.requireUser(ctx);
    store.markAllRead(user.name()).onSuccess(change -> {
      fanout.publish(PushMessage.unread(user.name(), change.count()));
      json(ctx, new JsonObject().put("updated", change.found().size()).put("unread", change.count().unread()));
    }).onFailure(ctx::fail);
  }

  private void change(RoutingContext ctx, BiFunction<String, List<UUID>, Future<NotificationStore.Change>> op) {
    Principal user = auth.requireUser(ctx);
    UUID id = Ids.parse(ctx.pathParam("id"));
    if (id == null) {
      throw HeraldException.notFound("no notification " + ctx.pathParam("id") + " in your inbox");
    }
    op.apply(user.name(), List.of(id)).onSuccess(change -> {
      // every socket of the user gets the new count, on every node
      fanout.publish(PushMessage.unread(user.name(), change.count()));
      if (change.found().isEmpty()) {
        HttpErrors.send(ctx.response(), HeraldException.notFound("no notification " + id + " in your inbox"));
      } else {
        json(ctx, new JsonObject().put("id", id.toString()).put("unread", change.count().unread()));
      }
    }).onFailure(ctx::fail);
  }

  private static void json(RoutingContext ctx, JsonObject body) {
    ctx.response().putHeader("Content-Type", "application/json").end(body.encode());
  }
}
