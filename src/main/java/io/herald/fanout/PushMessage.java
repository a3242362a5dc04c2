package io.herald.fanout;

import io.vertx.core.json.JsonObject;

/**
 * What fan-out carries: a frame and who should get it (one user, holders of a role, everyone).
 * {@code refreshUnread} asks the receiving node to follow with the user's unread count; a message
 * may carry only that (no frame) after a read, unread or delete.
 */
public record PushMessage(Target target, String key, PushFrame frame, boolean refreshUnread) {
  public enum Target { USER, ROLE, ALL }

  public static PushMessage toUser(String userId, PushFrame frame, boolean refreshUnread) {
    return new PushMessage(Target.USER, userId, frame, refreshUnread);
  }

  /** The form that crosses the cluster (Redis, clustered event bus). */
  public JsonObject toJson() {
    return new JsonObject().put("target", target.name()).put("key", key).put("frame", frame == null ? null : frame.text()).put("refreshUnread", refreshUnread);
  }

  public static PushMessage fromJson(JsonObject json) {
    return new PushMessage(Target.valueOf(json.getString("target")), json.getString("key"),
        json.getString("frame") == null ? null : PushFrame.ofText(json.getString("frame")), json.getBoolean("refreshUnread", false));
  }
}
