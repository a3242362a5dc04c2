package io.herald.store;

import io.vertx.core.json.JsonObject;
import java.util.UUID;

/** A delivery as ingest answers it: {@code {"id", "channel", "status"}} (and why, when cancelled at once). */
public record DeliveryRef(UUID id, UUID notificationId, String channel, String status, String reason, int attempts) {
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("id", id.toString()).put("channel", channel).put("status", status);
    if (reason != null) {
      json.put("reason", reason);
    }
    return json;
  }

  public boolean pending() {
    return "pending".equals(status);
  }
}
