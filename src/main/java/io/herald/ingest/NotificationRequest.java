package io.herald.ingest;

import io.herald.HeraldException;
import io.herald.config.HeraldConfig;
import io.herald.store.Ids;
import io.herald.store.Notification;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A validated {@code POST /v1/notifications} body. Every problem is a 400 naming the field; an
 * unknown {@code level} falls back to {@code info}, anything else unknown is refused.
 */
public record NotificationRequest(List<String> recipients, boolean single, JsonObject content, List<String> channels,
                                  String idempotencyKey, OffsetDateTime sendAt, OffsetDateTime expiresAt) {
  public static final int MAX_RECIPIENTS = 10_000;
  public static final Set<String> LEVELS = Set.of("info", "success", "warning", "error");
  public static final Set<String> PRIORITIES = Set.of("low", "normal", "high", "critical");
  private static final Set<String> FIELDS = Set.of("recipient", "recipients", "title", "body", "level", "category", "actionUrl",
      "actionLabel", "data", "priority", "channels", "idempotencyKey", "sendAt", "expiresAt", "email", "phone");
  private static final Pattern CATEGORY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}");
  private static final int MAX_DATA_BYTES = 16 * 1024;

  public static NotificationRequest parse(JsonObject body, List<String> enabledChannels, OffsetDateTime now) {
    for (String field : body.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw HeraldException.invalid(field, "unknown field (known: " + String.join(", ", sorted(FIELDS)) + ")");
      }
    }
    List<String> recipients = new ArrayList<>();
    boolean single = body.getValue("recipient") != null;
    if (single && body.getValue("recipients") != null) {
      throw HeraldException.invalid("recipients", "give either recipient or recipients, not both");
    }
    if (single) {
      recipients.add(Fields.userId("recipient", body.getValue("recipient")));
    } else if (body.getValue("recipients") != null) {
      if (!(body.getValue("recipients") instanceof JsonArray list) || list.isEmpty() || list.size() > MAX_RECIPIENTS) {
        throw HeraldException.invalid("recipients", "must be a list of 1 to " + MAX_RECIPIENTS + " user ids");
      }
      Set<String> seen = new LinkedHashSet<>();
      for (int i = 0; i < list.size(); i++) {
        String id = Fields.userId("recipients[" + i + "]", list.getValue(i));
        if (!seen.add(id)) {
          throw HeraldException.invalid("recipients[" + i + "]", "'" + id + "' is listed twice");
        }
      }
      recipients.addAll(seen);
    } else {
      throw HeraldException.invalid("recipient", "is required (a user id), or recipients (a list of user ids)");
    }

    JsonObject content = new JsonObject();
    content.put("title", Fields.text(body, "title", 200, true));
    content.put("body", Fields.text(body, "body", 5000, false));
    Object level = body.getValue("level");
    if (level != null && !(level instanceof String)) {
      throw HeraldException.invalid("level", "must be a string (info, success, warning, error)");
    }
    content.put("level", level != null && LEVELS.contains(((String) level).toLowerCase()) ? ((String) level).toLowerCase() : "info");
    String category = Fields.text(body, "category", 100, false);
    if (category != null && !CATEGORY.matcher(category).matches()) {
      throw HeraldException.invalid("category", "use letters, digits and . _ : / - (e.g. ticket.assigned)");
    }
    content.put("category", category);
    content.put("actionUrl", actionUrl(Fields.text(body, "actionUrl", 2048, false)));
    content.put("actionLabel", Fields.text(body, "actionLabel", 100, false));
    Object data = body.getValue("data");
    if (data != null) {
      if (!(data instanceof JsonObject obj)) {
        throw HeraldException.invalid("data", "must be a JSON object");
      }
      JsonObject canonical = canonical(obj);
      String encoded = canonical.encode();
      if (encoded.contains("\\u0000")) {
        throw HeraldException.invalid("data", "must not contain NUL characters");
      }
      if (encoded.getBytes(StandardCharsets.UTF_8).length > MAX_DATA_BYTES) {
        throw HeraldException.invalid("data", "must be at most " + MAX_DATA_BYTES + " bytes of JSON");
      }
      content.put("data", canonical);
    } else {
      content.putNull("data");
    }
    String priority = Fields.text(body, "priority", 20, false);
    if (priority != null && !PRIORITIES.contains(priority)) {
      throw HeraldException.invalid("priority", "must be one of low, normal, high, critical");
    }
    content.put("priority", priority == null ? "normal" : priority);
    String email = Fields.email(body, "email");
    String phone = Fields.phone(body, "phone");
    List<String> channels = channels(body.getValue("channels"), enabledChannels);
    content.put("channels", new JsonArray(channels)).put("email", email).put("phone", phone);

    String key = Fields.text(body, "idempotencyKey", 255, false);
    OffsetDateTime sendAt = time(body, "sendAt");
    OffsetDateTime expiresAt = time(body, "expiresAt");
    if (expiresAt != null && !expiresAt.isAfter(now)) {
      throw HeraldException.invalid("expiresAt", "is in the past");
    }
    if (expiresAt != null && sendAt != null && !expiresAt.isAfter(sendAt)) {
      throw HeraldException.invalid("expiresAt", "must be after sendAt");
    }
    content.put("sendAt", Notification.iso(sendAt)).put("expiresAt", Notification.iso(expiresAt));
    return new NotificationRequest(List.copyOf(recipients), single, content, channels, key, sendAt, expiresAt);
  }

  /** One row per recipient, each with a fresh time-ordered id. */
  public List<Notification> rows(OffsetDateTime createdAt) {
    String hash = idempotencyKey == null ? null : fingerprint();
    List<Notification> rows = new ArrayList<>(recipients.size());
    for (String recipient : recipients) {
      rows.add(new Notification(Ids.next(), recipient, 0, content.getString("title"), content.getString("body"),
          content.getString("level"), content.getString("category"), content.getString("actionUrl"),
          content.getString("actionLabel"), content.getJsonObject("data"), content.getString("priority"), channels,
          idempotencyKey, hash, createdAt, null, sendAt, expiresAt));
    }
    return rows;
  }

  /** What "the same body" means for an idempotency key: everything but the recipients, normalised. */
  String fingerprint() {
    return EventsApi.sha256(content.encode());
  }

  static List<String> channels(Object value, List<String> enabled) {
    if (value == null) {
      return List.of("inapp");
    }
    if (!(value instanceof JsonArray list) || list.isEmpty()) {
      throw HeraldException.invalid("channels", "must be a non-empty list of " + String.join(", ", HeraldConfig.CHANNEL_NAMES));
    }
    Set<String> out = new LinkedHashSet<>();
    for (Object item : list) {
      if (!(item instanceof String name) || !HeraldConfig.CHANNEL_NAMES.contains(name)) {
        throw HeraldException.invalid("channels", "unknown channel '" + item + "' (known: " + String.join(", ", HeraldConfig.CHANNEL_NAMES) + ")");
      }
      if (!enabled.contains(name)) {
        throw HeraldException.invalid("channels", "channel '" + name + "' is not enabled on this gateway (enabled: " + String.join(", ", enabled) + ")");
      }
      out.add(name);
    }
    return List.copyOf(out);
  }

  private static String actionUrl(String url) {
    if (url == null) {
      return null;
    }
    boolean relative = url.startsWith("/") && !url.startsWith("//");
    boolean absolute = url.matches("(?i)https?://[^\\s/]+.*");
    if ((!relative && !absolute) || url.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw HeraldException.invalid("actionUrl", "must be an http(s) URL or a path starting with /");
    }
    return url;
  }

  private static OffsetDateTime time(JsonObject body, String field) {
    String text = Fields.text(body, field, 64, false);
    if (text == null) {
      return null;
    }
    OffsetDateTime time;
    try {
      time = OffsetDateTime.parse(text).withOffsetSameInstant(ZoneOffset.UTC).truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    } catch (DateTimeParseException e) {
      throw HeraldException.invalid(field, "must be an ISO-8601 time with an offset, e.g. 2026-01-31T09:00:00Z");
    }
    if (time.getYear() < 1970 || time.getYear() > 9999) {
      throw HeraldException.invalid(field, "must be between the years 1970 and 9999");
    }
    return time;
  }

  /** The same object with keys sorted at every level, so key order never changes a fingerprint. */
  static JsonObject canonical(JsonObject obj) {
    JsonObject out = new JsonObject();
    new TreeMap<>(obj.getMap()).forEach((k, v) -> out.put(k, canonicalValue(obj.getValue(k))));
    return out;
  }

  private static Object canonicalValue(Object v) {
    if (v instanceof JsonObject o) {
      return canonical(o);
    }
    if (v instanceof JsonArray a) {
      JsonArray out = new JsonArray();
      a.forEach(item -> out.add(canonicalValue(item)));
      return out;
    }
    return v;
  }

  private static List<String> sorted(Set<String> set) {
    return set.stream().sorted().toList();
  }
}
