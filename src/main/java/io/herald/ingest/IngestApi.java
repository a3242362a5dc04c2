package io.herald.ingest;

import io.herald.HeraldException;
import io.herald.auth.Authenticator;
import io.herald.fanout.Fanout;
import io.herald.ops.Meters;
import io.herald.config.HeraldConfig;
import io.herald.store.DeliveryAdminStore;
import io.herald.store.DeliveryRef;
import io.herald.store.DeliveryStore;
import io.herald.store.Ids;
import io.herald.store.Notification;
import io.herald.store.NotificationStore;
import io.herald.store.NotificationWriter;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/**
 * {@code POST /v1/notifications}: validate, write (sharing a transaction with concurrent
 * requests), answer after commit, then push to the recipients' sockets.
 */
public final class IngestApi {

  private final HeraldConfig config;
  private final Authenticator auth;
  private final NotificationStore store;
  private final DeliveryStore deliveries;
  private final Fanout fanout;
  private final List<String> enabledChannels;
  private final IngestBatcher batcher;
  private final DeliveryAdminStore admin;
  private final Meters.Ingest meters;

  public IngestApi(HeraldConfig config, Authenticator auth, NotificationStore store, NotificationWriter writer, DeliveryStore deliveries,
                   Fanout fanout, int transactionsInFlight, Meters.Ingest meters) {
    this.config = config;
    this.auth = auth;
    this.store = store;
    this.deliveries = deliveries;
    this.fanout = fanout;
    this.enabledChannels = config.enabledChannels();
    this.batcher = new IngestBatcher(writer, transactionsInFlight);
    this.admin = new DeliveryAdminStore(store.pool(), java.time.Duration.ofSeconds(config.retry().pendingGraceSeconds()));
    this.meters = meters;
  }

  public void mount(Router router) {
    router.post("/v1/notifications").handler(this::ingest);
    router.get("/v1/notifications/:id").handler(this::show);
  }

  private void ingest(RoutingContext ctx) {
    auth.requireScope(ctx, "ingest");
    OffsetDateTime now = Notification.now();
    NotificationRequest request = NotificationRequest.parse(jsonBody(ctx), enabledChannels, now);
    List<Notification> rows = request.rows(now);
    NotificationWriter.Request write = new NotificationWriter.Request(rows,
        Handover.plans(config, rows, request.content().getString("email"), request.content().getString("phone")));
    batcher.submit(write, ctx.body().length()).onSuccess(written -> {
      if (written.failure() != null) {
        ctx.fail(written.failure());
        return;
      }
      if (written.conflict()) {
        HttpErrors.send(ctx.response(), new HeraldException(409, "idempotency_conflict", "idempotencyKey",
            "idempotencyKey was already used for recipient '" + written.conflictRecipient() + "' with a different notification"));
        return;
      }
      boolean anyNew = written.created().contains(true);
      if (request.single()) {
        Notification n = written.rows().get(0);
        // a replay answers the deliveries the first request made
        Future<List<DeliveryRef>> refs = anyNew ? Future.succeededFuture(written.deliveries()) : deliveries.refsOf(n.id());
        refs.onSuccess(list -> {
          JsonArray items = new JsonArray();
          list.forEach(d -> items.add(d.toJson()));
          answer(ctx, anyNew, new JsonObject().put("id", n.id().toString()).put("deliveries", items));
        }).onFailure(ctx::fail);
      } else {
        JsonArray ids = new JsonArray();
        written.rows().forEach(n -> ids.add(n.id().toString()));
        answer(ctx, anyNew, new JsonObject().put("ids", ids));
      }
      Handover.after(written, fanout, ctx.vertx().eventBus(), meters);
    }).onFailure(ctx::fail);
  }

  private static void answer(RoutingContext ctx, boolean created, JsonObject body) {
    ctx.response().setStatusCode(created ? 202 : 200).putHeader("Content-Type", "application/json").end(body.encode());
  }

  private void show(RoutingContext ctx) {
    auth.requireScope(ctx, "admin");
    UUID id = Ids.parse(ctx.pathParam("id"));
    if (id == null) {
      throw HeraldException.notFound("no notification " + ctx.pathParam("id"));
    }
    store.get(id).onSuccess(n -> {
      if (n == null) {
        HttpErrors.send(ctx.response(), HeraldException.notFound("no notification " + id));
        return;
      }
      admin.forNotification(id).onSuccess(deliveries -> {
        JsonObject json = n.toJson().put("channels", new JsonArray(n.channels())).put("deliveries", deliveries);
        ctx.response().putHeader("Content-Type", "application/json").end(json.encode());
      }).onFailure(ctx::fail);
    }).onFailure(ctx::fail);
  }

  /** The request body as a JSON object, or a 400 that says what is wrong with it. */
  public static JsonObject jsonBody(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      throw HeraldException.badRequest("invalid_json", "request body must be a JSON object");
    }
    Object value;
    try {
      value = Json.decodeValue(body);
    } catch (DecodeException e) {
      throw HeraldException.badRequest("invalid_json", "request body is not valid JSON");
    }
    if (!(value instanceof JsonObject obj)) {
      throw HeraldException.badRequest("invalid_json", "request body must be a JSON object");
    }
    return obj;
  }
}
