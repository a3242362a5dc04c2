package io.herald.retry;

import io.herald.HeraldException;
import io.herald.store.DeliveryView;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;

/**
 * A validated bulk re-queue: failed and/or dead deliveries ({@code status} null: both) of one
 * channel or all, at most {@code limit}, optionally only those with fewer than {@code maxRetries}
 * attempts. Shared by {@code POST /v1/deliveries/retry} and the {@code retry-failed} command.
 */
public record RetryRequest(String status, String channel, int limit, boolean dryRun, Integer maxRetries) {
  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 10_000;
  public static final int MAX_RETRIES = 1000;
  private static final Set<String> FIELDS = Set.of("status", "channel", "dryRun", "limit", "maxRetries");

  public RetryRequest {
    if (status != null && !status.equals("failed") && !status.equals("dead")) {
      throw HeraldException.invalid("status", "must be failed or dead (absent: both)");
    }
    channel(channel);
    if (limit < 1 || limit > MAX_LIMIT) {
      throw HeraldException.invalid("limit", "must be a whole number from 1 to " + MAX_LIMIT);
    }
    if (maxRetries != null && (maxRetries < 1 || maxRetries > MAX_RETRIES)) {
      throw HeraldException.invalid("maxRetries", "must be a whole number from 1 to " + MAX_RETRIES);
    }
  }

  /** From a request body; absent fields take their defaults, unknown fields are refused. */
  public static RetryRequest fromJson(JsonObject body) {
    for (String field : body.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw HeraldException.invalid(field, "unknown field (known: status, channel, dryRun, limit, maxRetries)");
      }
    }
    Object dryRun = body.getValue("dryRun");
    if (dryRun != null && !(dryRun instanceof Boolean)) {
      throw HeraldException.invalid("dryRun", "must be true or false");
    }
    Integer limit = whole(body, "limit");
    return new RetryRequest(string(body, "status"), string(body, "channel"), limit == null ? DEFAULT_LIMIT : limit,
        Boolean.TRUE.equals(dryRun), whole(body, "maxRetries"));
  }

  /** A channel that has delivery rows, or null for any; anything else is a 400 naming {@code channel}. */
  public static String channel(String channel) {
    if (channel != null && !DeliveryView.CHANNELS.contains(channel)) {
      throw HeraldException.invalid("channel", "must be one of " + String.join(", ", DeliveryView.CHANNELS));
    }
    return channel;
  }

  /** A delivery status, or null for any; anything else is a 400 naming {@code status}. */
  public static String status(String status, List<String> allowed) {
    if (status != null && !allowed.contains(status)) {
      throw HeraldException.invalid("status", "must be one of " + String.join(", ", allowed));
    }
    return status;
  }

  private static String string(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value != null && !(value instanceof String)) {
      throw HeraldException.invalid(field, "must be a string");
    }
    return (String) value;
  }

  private static Integer whole(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || Math.abs(n.doubleValue()) > Integer.MAX_VALUE) {
      throw HeraldException.invalid(field, "must be a whole number");
    }
    return n.intValue();
  }
}
