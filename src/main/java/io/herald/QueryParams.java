package io.herald;

import io.vertx.core.MultiMap;

/** Query-string values as the list endpoints read them: empty counts as absent, limits are checked. */
public final class QueryParams {
  private QueryParams() {
  }

  /** A query parameter; null when absent or empty. */
  public static String get(MultiMap params, String name) {
    String value = params.get(name);
    return value == null || value.isEmpty() ? null : value;
  }

  /**
   * A page size: {@code fallback} when absent, else a whole number from 1 to {@code max}, or a 400
   * naming {@code limit}.
   */
  public static int limit(String text, int fallback, int max) {
    if (text == null) {
      return fallback;
    }
    int limit;
    try {
      limit = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      limit = -1;
    }
    if (limit < 1 || limit > max) {
      throw HeraldException.invalid("limit", "must be a whole number from 1 to " + max);
    }
    return limit;
  }
}
