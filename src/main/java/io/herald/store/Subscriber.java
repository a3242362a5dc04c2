package io.herald.store;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * A user as the external channels see them: where to reach them, their locale and roles, and what
 * they opted out of or want as a digest ({@code {"channels": {"sms": false}, "categories": {"marketing": false,
 * "news": {"digest": "weekly"}}, "digest": {"hour": 18}}}), and the time zone their digests keep.
 */
public record Subscriber(String userId, String email, String phone, String whatsapp, String locale, String timeZone,
                         List<String> roles, JsonObject preferences, OffsetDateTime createdAt, OffsetDateTime updatedAt) {
  public JsonObject toJson() {
    return new JsonObject().put("userId", userId).put("email", email).put("phone", phone).put("whatsapp", whatsapp)
        .put("locale", locale).put("timeZone", timeZone).put("roles", new JsonArray(roles)).put("preferences", preferences)
        .put("createdAt", Notification.iso(createdAt)).put("updatedAt", Notification.iso(updatedAt));
  }
}
