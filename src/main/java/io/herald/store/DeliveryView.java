package io.herald.store;

import static io.herald.store.Notification.iso;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/**
 * One delivery row as operators see it (with its notification's recipient): what the dead-letter
 * API lists, retries, cancels and exports. {@code priority} is 0 critical .. 3 low. A digest's
 * e-mail has a {@code digestId} and no notification; a held row folded into a digest has both.
 */
public record DeliveryView(
    UUID id, UUID notificationId, UUID digestId, String recipient, String channel, String destination, String status, String reason,
    int priority, int attempts, int maxAttempts, OffsetDateTime nextAttemptAt, String lastError, String lastErrorClass,
    Integer lastHttpStatus, String providerMessageId, OffsetDateTime expiresAt, OffsetDateTime createdAt,
    OffsetDateTime updatedAt, OffsetDateTime sentAt) {

  /** Every status a delivery row can have. */
  public static final List<String> STATUSES = List.of("pending", "sending", "sent", "failed", "dead", "cancelled", "held", "digested");
  /** The channels that have delivery rows (in-app is the inbox itself). */
  public static final List<String> CHANNELS = List.of("email", "sms", "whatsapp", "webhook");
  private static final List<String> PRIORITIES = List.of("critical", "high", "normal", "low");

  /** One attempt at a delivery, from {@code delivery_attempts}. */
  public record Attempt(int attempt, OffsetDateTime startedAt, Integer durationMs, String outcome, String errorClass, String error,
                        Integer httpStatus) {
    public JsonObject toJson() {
      return new JsonObject().put("attempt", attempt).put("startedAt", iso(startedAt)).put("durationMs", durationMs)
          .put("outcome", outcome).put("errorClass", errorClass).put("error", error).put("httpStatus", httpStatus);
    }
  }

  public String priorityName() {
    return priority >= 0 && priority < PRIORITIES.size() ? PRIORITIES.get(priority) : String.valueOf(priority);
  }

  /** When the scanner may dispatch the row next (or, held, when its digest goes); only meaningful while it waits. */
  public OffsetDateTime waitingUntil() {
    return status.equals("pending") || status.equals("failed") || status.equals("held") ? nextAttemptAt : null;
  }

  /** The delivery as {@code GET /v1/deliveries} and the operator actions answer it. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("notificationId", notificationId == null ? null : notificationId.toString())
        .put("digestId", digestId == null ? null : digestId.toString())
        .put("recipient", recipient)
        .put("channel", channel)
        .put("destination", destination)
        .put("status", status)
        .put("reason", reason)
        .put("priority", priorityName())
        .put("attempts", attempts)
        .put("maxAttempts", maxAttempts)
        .put("nextAttemptAt", iso(waitingUntil()))
        .put("lastError", lastError)
        .put("lastErrorClass", lastErrorClass)
        .put("lastHttpStatus", lastHttpStatus)
        .put("providerMessageId", providerMessageId)
        .put("createdAt", iso(createdAt))
        .put("updatedAt", iso(updatedAt))
        .put("sentAt", iso(sentAt));
  }

  /** The delivery inside {@code GET /v1/notifications/{id}}: as listed, with its attempts in order. */
  public JsonObject toJson(List<Attempt> log) {
    JsonArray attemptLog = new JsonArray();
    log.forEach(a -> attemptLog.add(a.toJson()));
    return toJson().put("attemptLog", attemptLog);
  }
}
