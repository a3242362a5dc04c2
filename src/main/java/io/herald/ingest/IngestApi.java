package io.herald.ingest;

import io.herald.HeraldException;
import io.herald.auth.Authenticator;
import io.herald.fanout.Fanout;
import io.herald.fanout.PushMessage;
import io.herald.push.Frames;
import io.herald.store.Ids;
import io.herald.store.Notification;
import io.herald.store.NotificationStore;
import io.herald.store.NotificationWriter;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/notifications}: validate, write (sharing a transaction with concurrent
 * requests), answer after commit, then push to the recipients' sockets.
 */
public final class IngestApi {
  private static final Logger log = LoggerFactory.getLogger(IngestApi.class);

  private final Authenticator auth;
  private final NotificationStore store;
  private final Fanout fanout;
  private final List<String> enabledChannels;
  private final IngestBatcher batcher;

  public IngestApi(Authenticator auth, NotificationStore store, NotificationWriter writer, Fanout fanout, List<String> enabledChannels,
                   int transactionsInFlight) {
    this.auth = auth;
    this.store = store;
    this.fanout = fanout;
    this.enabledChannels = enabledChannels;
    this.batcher = new IngestBatcher(writer, transactionsInFlight);
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
    batcher.submit(rows, ctx.body().length()).onSuccess(written -> {
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
      JsonObject answer;
      if (request.single()) {
        answer = new JsonObject().put("id", written.rows().get(0).id().toString()).put("deliveries", new JsonArray());
      } else {
        JsonArray ids = new JsonArray();
        written.rows().forEach(n -> ids.add(n.id().toString()));
        answer = new JsonObject().put("ids", ids);
      }
      ctx.response().setStatusCode(anyNew ? 202 : 200).putHeader("Content-Type", "application/json").end(answer.encode());
      push(written);
    }).onFailure(ctx::fail);
  }

  /** After commit: each new notification that is due now goes to its recipient's sockets. */
  private void push(NotificationWriter.Written written) {
    for (int i = 0; i < written.rows().size(); i++) {
      Notification n = written.rows().get(i);
      if (written.created().get(i) && n.visibleOnArrival()) {
        fanout.publish(PushMessage.notification(n.recipient(), n.seq(), Frames.notification(n), written.counts().get(i)));
        if (log.isDebugEnabled()) {
          log.atDebug().addKeyValue("notification_id", n.id()).log("notification stored and pushed");
        }
      }
    }
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
      JsonObject json = n.toJson().put("channels", new JsonArray(n.channels())).put("deliveries", new JsonArray());
      ctx.response().putHeader("Content-Type", "application/json").end(json.encode());
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
