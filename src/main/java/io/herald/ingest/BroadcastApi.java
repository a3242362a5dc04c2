package io.herald.ingest;

import io.herald.HeraldException;
import io.herald.auth.Authenticator;
import io.herald.auth.Principal;
import io.herald.fanout.Fanout;
import io.herald.fanout.PushFrame;
import io.herald.fanout.PushMessage;
import io.herald.ops.Meters;
import io.herald.push.Frames;
import io.herald.store.BroadcastStore;
import io.herald.store.Ids;
import io.herald.store.Notification;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/broadcasts} (scope {@code broadcast}): a live {@code broadcast} frame to every
 * socket whose user holds one of {@code roles} (every socket without roles). Recorded first, with
 * the API key that sent it; with {@code persist} the same transaction writes a notification into
 * the inbox of every matching subscriber. After the commit the frame goes out, then the persisted
 * notifications (and new unread counts) to their recipients' sockets, as ingest pushes them.
 */
public final class BroadcastApi {
  private static final Logger log = LoggerFactory.getLogger(BroadcastApi.class);
  private static final Set<String> FIELDS = Set.of("message", "level", "roles", "persist", "title", "category");
  private static final Pattern CATEGORY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}");
  static final int MAX_MESSAGE = 2000;
  static final int MAX_TITLE = 200;
  static final String DEFAULT_CATEGORY = "broadcast";

  private final Authenticator auth;
  private final BroadcastStore store;
  private final Fanout fanout;
  private final Meters.Ingest meters;

  public BroadcastApi(Authenticator auth, BroadcastStore store, Fanout fanout, Meters.Ingest meters) {
    this.auth = auth;
    this.store = store;
    this.fanout = fanout;
    this.meters = meters;
  }

  public void mount(Router router) {
    router.post("/v1/broadcasts").handler(this::broadcast);
  }

  private void broadcast(RoutingContext ctx) {
    Principal sender = auth.requireScope(ctx, "broadcast");
    BroadcastStore.Broadcast b = parse(IngestApi.jsonBody(ctx), sender.name(), Notification.now());
    PushFrame frame = Frames.broadcast(b.message(), b.level(), b.createdAt());
    store.record(b, fanout::mayReach)
        .onSuccess(recorded -> meters.ingested(b.level(), b.category(), recorded.recipients()))
        .compose(recorded -> fanout.broadcast(PushMessage.broadcast(b.id().toString(), Set.copyOf(b.roles()), frame))
            .onSuccess(delivered -> {
              // the broadcast frame is already out on this node; each recipient's own frames follow it
              for (BroadcastStore.Persisted p : recorded.toPush()) {
                Notification n = p.notification();
                fanout.publish(PushMessage.notification(n.recipient(), n.seq(), Frames.notification(n), p.count()));
              }
              log.atInfo().addKeyValue("broadcast_id", b.id()).addKeyValue("sender", b.sender())
                  .addKeyValue("roles", b.roles()).addKeyValue("delivered", delivered).addKeyValue("persisted", recorded.recipients())
                  .log("broadcast sent");
              ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json").end(new JsonObject()
                  .put("id", b.id().toString()).put("delivered", delivered).put("persisted", recorded.recipients()).encode());
            }))
        .onFailure(ctx::fail);
  }

  /** The validated body: every problem is a 400 naming the field; an unknown level becomes info, as for notifications. */
  static BroadcastStore.Broadcast parse(JsonObject body, String sender, OffsetDateTime now) {
    for (String field : body.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw HeraldException.invalid(field, "unknown field (known: " + String.join(", ", new TreeSet<>(FIELDS)) + ")");
      }
    }
    String message = Fields.text(body, "message", MAX_MESSAGE, true);
    Object level = body.getValue("level");
    if (level != null && !(level instanceof String)) {
      throw HeraldException.invalid("level", "must be a string (info, success, warning, error)");
    }
    String lower = level == null ? null : ((String) level).toLowerCase();
    List<String> roles = SubscriberApi.roles(body.getValue("roles"));
    Object persist = body.getValue("persist");
    if (persist != null && !(persist instanceof Boolean)) {
      throw HeraldException.invalid("persist", "must be true or false");
    }
    String title = Fields.text(body, "title", MAX_TITLE, false);
    if (title != null && title.isBlank()) {
      throw HeraldException.invalid("title", "must not be empty");
    }
    String category = Fields.text(body, "category", 100, false);
    if (category != null && !CATEGORY.matcher(category).matches()) {
      throw HeraldException.invalid("category", "use letters, digits and . _ : / - (e.g. maintenance)");
    }
    UUID id = Ids.next();
    return new BroadcastStore.Broadcast(id, sender, message,
        lower != null && NotificationRequest.LEVELS.contains(lower) ? lower : "info",
        title != null ? title : defaultTitle(message), category != null ? category : DEFAULT_CATEGORY, roles,
        Boolean.TRUE.equals(persist), now);
  }

  /** The first {@value #MAX_TITLE} characters of the message, without splitting a surrogate pair. */
  static String defaultTitle(String message) {
    if (message.length() <= MAX_TITLE) {
      return message;
    }
    int end = Character.isHighSurrogate(message.charAt(MAX_TITLE - 1)) ? MAX_TITLE - 1 : MAX_TITLE;
    return message.substring(0, end);
  }
}
