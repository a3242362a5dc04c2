package io.herald.push;

import io.herald.fanout.PushFrame;
import io.herald.store.Notification;
import io.herald.store.NotificationStore;
import io.vertx.core.json.JsonObject;

/** The server-to-client frames of the push protocol (DESIGN.md contract). */
public final class Frames {
  public static final PushFrame PONG = PushFrame.of(new JsonObject().put("type", "pong"));

  private Frames() {
  }

  public static PushFrame welcome(String userId, int unread) {
    return PushFrame.of(new JsonObject().put("type", "welcome").put("userId", userId).put("unread", unread));
  }

  public static PushFrame notification(Notification n) {
    return PushFrame.of(new JsonObject().put("type", "notification").put("notification", n.toJson()));
  }

  public static PushFrame unread(int count) {
    return PushFrame.of(new JsonObject().put("type", "unread").put("count", count));
  }

  public static PushFrame list(NotificationStore.Page page) {
    return PushFrame.of(page.toJson().put("type", "list"));
  }

  /** {@code {"type":"broadcast","message","level","at"}}: built once, the same buffer written to every socket it reaches. */
  public static PushFrame broadcast(String message, String level, java.time.OffsetDateTime at) {
    return PushFrame.of(new JsonObject().put("type", "broadcast").put("message", message).put("level", level)
        .put("at", Notification.iso(at)));
  }

  public static PushFrame error(String code, String message) {
    return PushFrame.of(new JsonObject().put("type", "error").put("code", code).put("message", message));
  }
}
