package io.herald.fanout;

import io.herald.store.InboxCount;
import io.vertx.core.json.JsonObject;

/**
 * What fan-out carries: a frame and who should get it (one user, holders of a role, everyone).
 * For a user it may carry a notification (with its sequence number in the user's inbox) and the
 * user's unread count after the change, with the count's version and its frame ready to write.
 */
public record PushMessage(Target target, String key, PushFrame frame, long seq, InboxCount count, PushFrame countFrame) {
  public enum Target { USER, ROLE, ALL }

  /** A new notification for a user and their count right after it. */
  public static PushMessage notification(String userId, long seq, PushFrame frame, InboxCount count) {
    return new PushMessage(Target.USER, userId, frame, seq, count, unreadFrame(count));
  }

  /** Only the user's new unread count (after a read, unread, delete or expiry). */
  public static PushMessage unread(String userId, InboxCount count) {
    return new PushMessage(Target.USER, userId, null, 0, count, unreadFrame(count));
  }

  private static PushFrame unreadFrame(InboxCount count) {
    return PushFrame.of(new JsonObject().put("type", "unread").put("count", count.unread()));
  }

  /** The form that crosses the cluster (Redis, clustered event bus). */
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("target", target.name()).put("key", key).put("seq", seq)
        .put("frame", frame == null ? null : frame.text());
    if (count != null) {
      json.put("unread", count.unread()).put("version", count.version());
    }
    return json;
  }

  public static PushMessage fromJson(JsonObject json) {
    PushFrame frame = json.getString("frame") == null ? null : PushFrame.ofText(json.getString("frame"));
    InboxCount count = json.containsKey("version") ? new InboxCount(json.getInteger("unread"), json.getLong("version")) : null;
    return new PushMessage(Target.valueOf(json.getString("target")), json.getString("key"), frame, json.getLong("seq", 0L),
        count, count == null ? null : unreadFrame(count));
  }
}
