package io.herald.store;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * One alert as stored: an episode of a health rule's condition on a channel. {@code lastTold} is
 * when the admins last heard of this rule on this channel, from this alert or an earlier one (so
 * an alert that resolves and comes back within the cooldown is not announced again at once); null
 * when they never did. {@code opened} says whether the statement that returned it created it.
 */
public record Alert(UUID id, String rule, String channel, String severity, String status, String title, String message,
                    JsonObject details, OffsetDateTime openedAt, OffsetDateTime lastSeenAt, OffsetDateTime resolvedAt,
                    OffsetDateTime notifiedAt, JsonArray notifications, OffsetDateTime lastTold, boolean opened) {

  public boolean critical() {
    return severity.equals("critical");
  }

  /** As GET /v1/alerts shows it. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("rule", rule)
        .put("channel", channel)
        .put("severity", severity)
        .put("status", status)
        .put("title", title)
        .put("message", message)
        .put("details", details)
        .put("openedAt", Notification.iso(openedAt))
        .put("lastSeenAt", Notification.iso(lastSeenAt))
        .put("resolvedAt", Notification.iso(resolvedAt))
        .put("notifiedAt", Notification.iso(notifiedAt))
        .put("notifications", notifications);
  }
}
