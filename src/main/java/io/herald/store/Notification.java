package io.herald.store;

import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

/**
 * One notification in one recipient's inbox, as stored. {@code seq} is the recipient's sequence
 * number (commit order); {@code idempotencyHash} fingerprints the content a key was first used with.
 */
public record Notification(
    UUID id, String recipient, long seq, String title, String body, String level, String category,
    String actionUrl, String actionLabel, JsonObject data, String priority, List<String> channels,
    String idempotencyKey, String idempotencyHash, OffsetDateTime createdAt, OffsetDateTime readAt,
    OffsetDateTime sendAt, OffsetDateTime expiresAt) {

  private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'");

  /** Postgres keeps microseconds; truncating here keeps what was pushed equal to what is listed later. */
  public static OffsetDateTime now() {
    return OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
  }

  public static String iso(OffsetDateTime t) {
    return t == null ? null : ISO.format(t.withOffsetSameInstant(ZoneOffset.UTC));
  }

  public Notification withSeq(long newSeq) {
    return new Notification(id, recipient, newSeq, title, body, level, category, actionUrl, actionLabel, data, priority,
        channels, idempotencyKey, idempotencyHash, createdAt, readAt, sendAt, expiresAt);
  }

  /** In the inbox (and counted as unread) from the moment it is written: not scheduled for later, not expired. */
  public boolean visibleOnArrival() {
    return (sendAt == null || !sendAt.isAfter(createdAt)) && (expiresAt == null || expiresAt.isAfter(createdAt));
  }

  /** The notification as every API and push frame shows it (DESIGN.md contract). */
  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("recipient", recipient)
        .put("title", title)
        .put("body", body)
        .put("level", level)
        .put("category", category)
        .put("actionUrl", actionUrl)
        .put("actionLabel", actionLabel)
        .put("data", data)
        .put("priority", priority)
        .put("createdAt", iso(createdAt))
        .put("read", readAt != null)
        .put("readAt", iso(readAt))
        .put("sendAt", iso(sendAt))
        .put("expiresAt", iso(expiresAt));
  }
}
