package io.herald.retry;

import io.herald.QueryParams;
import io.herald.HeraldException;
import io.herald.auth.Authenticator;
import io.herald.config.HeraldConfig;
import io.herald.delivery.Dispatch;
import io.herald.ingest.IngestApi;
import io.herald.store.DeliveryAdminStore;
import io.herald.store.DeliveryAdminStore.Change;
import io.herald.store.DeliveryCursor;
import io.herald.store.DeliveryView;
import io.herald.store.Ids;
import io.herald.store.Notification;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dead letter over HTTP (scope {@code admin}): list deliveries by status and channel, retry or
 * cancel one, re-queue many, export them as CSV. A re-queued row is dispatched to its channel's
 * workers at once; should that message be lost, the retry scanner sends it after the pending grace.
 */
public final class DeliveriesApi {
  private static final Logger log = LoggerFactory.getLogger(DeliveriesApi.class);
  public static final int DEFAULT_LIMIT = 50;
  public static final int MAX_LIMIT = 500;

  private final Authenticator auth;
  private final DeliveryAdminStore store;
  private final EventBus bus;

  public DeliveriesApi(Authenticator auth, DeliveryAdminStore store, EventBus bus) {
    this.auth = auth;
    this.store = store;
    this.bus = bus;
  }

  /** With a store whose re-queued rows wait {@code retry.pendingGraceSeconds} before the scanner may send them. */
  public static DeliveriesApi create(Authenticator auth, Pool pool, HeraldConfig.Retry retry, EventBus bus) {
    return new DeliveriesApi(auth, new DeliveryAdminStore(pool, Duration.ofSeconds(retry.pendingGraceSeconds())), bus);
  }

  public void mount(Router router) {
    router.get("/v1/deliveries").handler(this::list);
    router.get("/v1/deliveries/export.csv").handler(this::export);
    router.post("/v1/deliveries/retry").handler(this::retryMatching);
    router.post("/v1/deliveries/:id/retry").handler(ctx -> act(ctx, store::retry, "retried"));
    router.post("/v1/deliveries/:id/cancel").handler(ctx -> act(ctx, store::cancel, "cancelled"));
  }

  private void list(RoutingContext ctx) {
    auth.requireScope(ctx, "admin");
    MultiMap params = ctx.queryParams();
    String status = RetryRequest.status(QueryParams.get(params, "status"), DeliveryView.STATUSES);
    String channel = RetryRequest.channel(QueryParams.get(params, "channel"));
    int limit = QueryParams.limit(QueryParams.get(params, "limit"), DEFAULT_LIMIT, MAX_LIMIT);
    DeliveryCursor before = null;
    String cursor = QueryParams.get(params, "before");
    if (cursor != null) {
      before = DeliveryCursor.parse(cursor);
      if (before == null) {
        throw new HeraldException(400, "invalid_cursor", "before", "before: not a cursor; use the \"next\" value of the previous page");
      }
    }
    store.list(status, channel, limit, before).onSuccess(page -> {
      JsonArray items = new JsonArray();
      page.items().forEach(d -> items.add(d.toJson()));
      json(ctx, new JsonObject().put("items", items).put("next", page.next() == null ? null : page.next().encode()));
    }).onFailure(ctx::fail);
  }

  private void act(RoutingContext ctx, Function<UUID, Future<Change>> action, String done) {
    auth.requireScope(ctx, "admin");
    UUID id = Ids.parse(ctx.pathParam("id"));
    if (id == null) {
      throw HeraldException.notFound("no delivery " + ctx.pathParam("id"));
    }
    action.apply(id).onSuccess(change -> {
      DeliveryView d = change.delivery();
      switch (change.outcome()) {
        case NOT_FOUND -> ctx.fail(HeraldException.notFound("no delivery " + id));
        case EXPIRED -> ctx.fail(new HeraldException(409, "expired", null, "delivery " + id + " cannot be retried: its notification "
            + "expired at " + Notification.iso(d.expiresAt()) + " and is never sent after that"));
        case WRONG_STATUS -> ctx.fail(new HeraldException(409, "invalid_state", null, refusal(id, d, done)));
        case DONE -> {
          json(ctx, d.toJson());
          if (d.status().equals("pending")) {
            dispatch(d);
          }
          log.atInfo().addKeyValue("delivery_id", id).addKeyValue("notification_id", d.notificationId())
              .addKeyValue("channel", d.channel()).log("delivery {} by an operator", done);
        }
      }
    }).onFailure(ctx::fail);
  }

  private static String refusal(UUID id, DeliveryView d, String done) {
    return "delivery " + id + " is " + d.status() + ": " + switch (d.status()) {
      case "sending" -> "an attempt is in flight; try again once it has finished";
      case "sent" -> "it was already delivered";
      case "pending" -> "it is already waiting to be sent";
      case "cancelled" -> "it was already cancelled" + (d.reason() == null ? "" : " (" + d.reason() + ")");
      default -> "it cannot be " + done + " in this state";
    };
  }

  private void retryMatching(RoutingContext ctx) {
    auth.requireScope(ctx, "admin");
    Buffer raw = ctx.body().buffer();
    RetryRequest request = RetryRequest.fromJson(raw == null || raw.length() == 0 ? new JsonObject() : IngestApi.jsonBody(ctx));
    store.retryMatching(request.status(), request.channel(), request.limit(), request.dryRun(), request.maxRetries())
        .onSuccess(rows -> {
          JsonArray deliveries = new JsonArray();
          rows.forEach(d -> deliveries.add(d.toJson()));
          json(ctx, new JsonObject().put("dryRun", request.dryRun()).put("count", rows.size()).put("deliveries", deliveries));
          if (!request.dryRun() && !rows.isEmpty()) {
            rows.forEach(this::dispatch);
            log.atInfo().addKeyValue("count", rows.size()).log("{} deliveries re-queued by an operator", rows.size());
          }
        }).onFailure(ctx::fail);
  }

  private void dispatch(DeliveryView d) {
    new Dispatch(d.id(), d.channel(), d.attempts()).send(bus);
  }

  /**
   * Streams the CSV a page at a time. The next page is read while the current one is written, and
   * the one after only once that write has reached the socket, so a slow client holds at most two
   * pages in memory and no database connection while it reads. (Waiting for {@code writeQueueFull}
   * would not do: Vert.x counts queued writes, not bytes, and a page is one write.)
   */
  private void export(RoutingContext ctx) {
    auth.requireScope(ctx, "admin");
    MultiMap params = ctx.queryParams();
    String status = RetryRequest.status(QueryParams.get(params, "status"), DeliveryView.STATUSES);
    String channel = RetryRequest.channel(QueryParams.get(params, "channel"));
    store.export(status, channel, null).onSuccess(first -> {
      HttpServerResponse response = ctx.response().setChunked(true).putHeader("Content-Type", DeliveryCsv.CONTENT_TYPE)
          .putHeader("Content-Disposition", "attachment; filename=\"deliveries" + (status == null ? "" : "-" + status) + ".csv\"");
      writePages(ctx, response, status, channel, DeliveryCsv.HEADER, first);
    }).onFailure(ctx::fail);
  }

  private void writePages(RoutingContext ctx, HttpServerResponse response, String status, String channel, String before,
                          DeliveryAdminStore.Page page) {
    StringBuilder chunk = new StringBuilder(before);
    page.items().forEach(d -> chunk.append(DeliveryCsv.row(d)));
    if (page.next() == null) {
      response.end(chunk.toString());
      return;
    }
    Future<DeliveryAdminStore.Page> next = store.export(status, channel, page.next());
    Future.all(response.write(chunk.toString()), next)
        .onSuccess(v -> writePages(ctx, response, status, channel, "", next.result()))
        .onFailure(err -> {
          if (response.closed()) {
            log.debug("export stopped: the client went away");
          } else {
            ctx.fail(err);
          }
        });
  }


  private static void json(RoutingContext ctx, JsonObject body) {
    ctx.response().putHeader("Content-Type", "application/json").end(body.encode());
  }
}
