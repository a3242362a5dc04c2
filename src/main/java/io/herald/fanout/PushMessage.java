package io.herald.fanout;

import io.vertx.core.json.JsonObject;

/**
 * What fan-out carries: a frame and who should get it (one user, holders of a role, everyone);
 * for a notification, its sequence number in the user's inbox.
 * {@code refreshUnread} asks the receiving node to follow with the user's unread count; a message
 * may carry only that (no frame) after a read, unread or delete.
 */
public record PushMessage(Target target, String key, PushFrame frame, long seq, boolean refreshUnread) {
  public enum Target { USER, ROLE, ALL }

  /** A new notification for a user: {@code seq} is its number in the user's inbox (sockets write them in order). */
  public static PushMessage notification(String userId, long seq, PushFrame frame) {
    return new PushMessage(Target.USER, userId, frame, seq, true);
  }

  /** Only "your unread count changed" (after a read, unread or delete). */
  public static PushMessage unreadChanged(String userId) {
    return new PushMessage(Target.USER, userId, null, 0, true);
  }

  /** The form that crosses the cluster (Redis, clustered event bus). */
  public JsonObject toJson() {
    return new JsonObject().put("target", target.name()).put("key", key).put("frame", frame == null ? null : frame.text()).put("seq", seq)
        .put("refreshUnread", refreshUnread);
  }

  public static PushMessage fromJson(JsonObject json) {
    return new PushMessage(Target.valueOf(json.getString("target")), json.getString("key"),
        json.getString("frame") == null ? null : PushFrame.ofText(json.getString("frame")), json.getLong("seq", 0L),
        json.getBoolean("refreshUnread", false));
  }
}
