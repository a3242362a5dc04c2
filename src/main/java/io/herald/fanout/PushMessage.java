package io.herald.fanout;

import io.herald.store.InboxCount;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What fan-out carries: a frame and who should get it (one user, the holders of any of a set of
 * roles, everyone). For a user it may carry a notification (with its sequence number in the
 * user's inbox) and the user's unread count after the change, with the count's version and its
 * frame ready to write. For roles and everyone, {@code key} is the broadcast's id (so a fan-out
 * that receives one broadcast over several role channels can drop the repeats) and {@code reach},
 * set by the fan-out on the publishing node only, counts the sockets it was written to there.
 * {@code committedAtMicros} is when what it carries was committed (wall clock, microseconds since
 * the epoch; stamped when the message is made, right after the commit; 0 for count-only messages),
 * for the push latency meter; it crosses nodes, so that figure includes their clock difference.
 */
public record PushMessage(Target target, String key, Set<String> roles, PushFrame frame, long seq, InboxCount count,
                          PushFrame countFrame, Reach reach, long committedAtMicros) {
  /** USER: the sockets of user {@code key}; ROLES: of every user holding one of {@code roles}; ALL: every socket. */
  public enum Target { USER, ROLES, ALL }

  /** A new notification for a user and their count right after it. */
  public static PushMessage notification(String userId, long seq, PushFrame frame, InboxCount count) {
    return new PushMessage(Target.USER, userId, Set.of(), frame, seq, count, unreadFrame(count), null, nowMicros());
  }

  /** Only the user's new unread count (after a read, unread, delete or expiry). */
  public static PushMessage unread(String userId, InboxCount count) {
    return new PushMessage(Target.USER, userId, Set.of(), null, 0, count, unreadFrame(count), null, 0);
  }

  /**
   * A broadcast frame for every socket whose user holds at least one of {@code roles} (each such
   * socket gets it once, however many of the roles its user holds), or for every socket when
   * {@code roles} is empty.
   */
  public static PushMessage broadcast(String broadcastId, Set<String> roles, PushFrame frame) {
    long now = nowMicros();
    return roles.isEmpty()
        ? new PushMessage(Target.ALL, broadcastId, Set.of(), frame, 0, null, null, null, now)
        : new PushMessage(Target.ROLES, broadcastId, Set.copyOf(roles), frame, 0, null, null, null, now);
  }

  /** Wall-clock microseconds since the epoch: the unit of {@code committedAtMicros}. */
  public static long nowMicros() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
  }

  /** The same message, counting the sockets it reaches on this node into {@code counter}. */
  public PushMessage withReach(Reach counter) {
    return new PushMessage(target, key, roles, frame, seq, count, countFrame, counter, committedAtMicros);
  }

  private static PushFrame unreadFrame(InboxCount count) {
    return PushFrame.of(new JsonObject().put("type", "unread").put("count", count.unread()));
  }

  /** The form that crosses the cluster (Redis, clustered event bus). */
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("target", target.name()).put("key", key).put("seq", seq)
        .put("frame", frame == null ? null : frame.text());
    if (!roles.isEmpty()) {
      json.put("roles", new JsonArray(List.copyOf(roles)));
    }
    if (count != null) {
      json.put("unread", count.unread()).put("version", count.version());
    }
    if (committedAtMicros > 0) {
      json.put("at", committedAtMicros);
    }
    return json;
  }

  public static PushMessage fromJson(JsonObject json) {
    PushFrame frame = json.getString("frame") == null ? null : PushFrame.ofText(json.getString("frame"));
    InboxCount count = json.containsKey("version") ? new InboxCount(json.getInteger("unread"), json.getLong("version")) : null;
    Set<String> roles = new LinkedHashSet<>();
    JsonArray list = json.getJsonArray("roles");
    if (list != null) {
      list.forEach(r -> roles.add((String) r));
    }
    return new PushMessage(Target.valueOf(json.getString("target")), json.getString("key"), Set.copyOf(roles), frame,
        json.getLong("seq", 0L), count, count == null ? null : unreadFrame(count), null, json.getLong("at", 0L));
  }
}
