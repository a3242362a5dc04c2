package io.herald.ingest;

import io.herald.Addresses;
import io.herald.HeraldException;
import io.herald.auth.Authenticator;
import io.herald.config.HeraldConfig;
import io.herald.store.EventStore;
import io.herald.store.Ids;
import io.herald.store.Notification;
import io.herald.store.TemplateStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * {@code POST /v1/events} (ingest): a domain event is validated against its template, stored, and
 * answered 202 once durable; the {@link EventExpanderVerticle} then turns it into notifications.
 * {@code GET /v1/events/{id}} (ingest or admin) reports how far that got.
 */
public final class EventsApi {
  private static final Set<String> FIELDS = Set.of("type", "data", "recipients", "roles", "actor", "channels", "idempotencyKey",
      "priority");
  private static final int MAX_DATA_BYTES = 16 * 1024;

  private final HeraldConfig config;
  private final Authenticator auth;
  private final EventStore events;
  private final TemplateStore templates;

  public EventsApi(HeraldConfig config, Authenticator auth, EventStore events, TemplateStore templates) {
    this.config = config;
    this.auth = auth;
    this.events = events;
    this.templates = templates;
  }

  public void mount(Router router) {
    router.post("/v1/events").handler(this::accept);
    router.get("/v1/events/:id").handler(this::show);
  }

  private void accept(RoutingContext ctx) {
    String source = auth.requireScope(ctx, "ingest").name();
    JsonObject body = IngestApi.jsonBody(ctx);
    for (String field : body.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw HeraldException.invalid(field, "unknown field (known: " + String.join(", ", FIELDS.stream().sorted().toList()) + ")");
      }
    }
    String type = Fields.text(body, "type", 100, true);
    Object data = body.getValue("data");
    if (data != null && !(data instanceof JsonObject)) {
      throw HeraldException.invalid("data", "must be a JSON object");
    }
    JsonObject canonical = data == null ? new JsonObject() : NotificationRequest.canonical((JsonObject) data);
    if (canonical.encode().contains("\\u0000")) {
      throw HeraldException.invalid("data", "must not contain NUL characters");
    }
    if (canonical.encode().getBytes(StandardCharsets.UTF_8).length > MAX_DATA_BYTES) {
      throw HeraldException.invalid("data", "must be at most " + MAX_DATA_BYTES + " bytes of JSON");
    }
    List<String> recipients = userIds(body.getValue("recipients"));
    List<String> roles = SubscriberApi.roles(body.getValue("roles"));
    if (recipients.isEmpty() && roles.isEmpty()) {
      throw HeraldException.invalid("recipients", "give recipients (user ids) or roles, or both");
    }
    String actor = body.getValue("actor") == null ? null : Fields.userId("actor", body.getValue("actor"));
    List<String> channels = body.getValue("channels") == null ? null
        : NotificationRequest.channels(body.getValue("channels"), config.enabledChannels());
    String priority = Fields.text(body, "priority", 20, false);
    if (priority != null && !NotificationRequest.PRIORITIES.contains(priority)) {
      throw HeraldException.invalid("priority", "must be one of low, normal, high, critical");
    }
    String key = Fields.text(body, "idempotencyKey", 255, false);
    JsonObject content = new JsonObject().put("type", type).put("data", canonical).put("recipients", new JsonArray(recipients))
        .put("roles", new JsonArray(roles)).put("actor", actor).put("channels", channels == null ? null : new JsonArray(channels))
        .put("priority", priority == null ? "normal" : priority);
    String hash = key == null ? null : sha256(content.encode());
    // a replay is answered from the event it repeats, even if its template changed or went away since
    Future<EventStore.Accepted> earlier = key == null ? Future.succeededFuture() : events.byKey(source, key, hash);
    earlier.compose(found -> found != null ? Future.succeededFuture(found) : templates.current(type).compose(template -> {
      if (template == null) {
        throw HeraldException.invalid("type", "no template named '" + type + "' (create it with POST /v1/templates)");
      }
      EventStore.Event event = new EventStore.Event(Ids.next(), type, canonical, recipients, roles, actor, channels,
          priority == null ? "normal" : priority, template.version(), key, hash, "pending", 0, null, 0, null, Notification.now(),
          null, 0);
      return events.insert(event, source);
    })).onSuccess(accepted -> {
      if (accepted.conflict()) {
        HttpErrors.send(ctx.response(), new HeraldException(409, "idempotency_conflict", "idempotencyKey",
            "idempotencyKey was already used for a different event"));
        return;
      }
      ctx.response().setStatusCode(accepted.created() ? 202 : 200).putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("id", accepted.event().id().toString()).put("status", accepted.event().status()).encode());
      if (accepted.created()) {
        ctx.vertx().eventBus().send(Addresses.EVENTS, accepted.event().id().toString()); // wake an expander now
      }
    }).onFailure(ctx::fail);
  }

  private void show(RoutingContext ctx) {
    auth.requireScope(ctx, "ingest", "admin");
    UUID id = Ids.parse(ctx.pathParam("id"));
    if (id == null) {
      throw HeraldException.notFound("no event " + ctx.pathParam("id"));
    }
    events.get(id).onSuccess(e -> {
      if (e == null) {
        HttpErrors.send(ctx.response(), HeraldException.notFound("no event " + id));
      } else {
        ctx.response().putHeader("Content-Type", "application/json").end(e.toJson().encode());
      }
    }).onFailure(ctx::fail);
  }

  private static List<String> userIds(Object value) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray list) || list.size() > NotificationRequest.MAX_RECIPIENTS) {
      throw HeraldException.invalid("recipients", "must be a list of at most " + NotificationRequest.MAX_RECIPIENTS + " user ids");
    }
    Set<String> out = new LinkedHashSet<>();
    for (int i = 0; i < list.size(); i++) {
      out.add(Fields.userId("recipients[" + i + "]", list.getValue(i)));
    }
    return new ArrayList<>(out);
  }

  /** Hex SHA-256 of the text: what "the same request" means for an idempotency key. */
  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
