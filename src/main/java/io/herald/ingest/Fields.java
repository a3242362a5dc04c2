package io.herald.ingest;

import io.herald.HeraldException;
import io.vertx.core.json.JsonObject;

/** Shared checks for strings that arrive in requests and frames. */
final class Fields {
  private Fields() {
  }

  /** A user id: 1 to 200 characters, no control characters. */
  static String userId(String field, Object value) {
    if (!(value instanceof String s) || s.isBlank() || s.length() > 200 || hasControl(s)) {
      throw HeraldException.invalid(field, "must be a user id (1 to 200 characters, no control characters)");
    }
    return s;
  }

  /** An optional (or required) string of at most {@code max} characters; null when absent. */
  static String text(JsonObject body, String field, int max, boolean required) {
    Object value = body.getValue(field);
    if (value == null) {
      if (required) {
        throw HeraldException.invalid(field, "is required");
      }
      return null;
    }
    if (!(value instanceof String s)) {
      throw HeraldException.invalid(field, "must be a string");
    }
    if (required && s.isBlank()) {
      throw HeraldException.invalid(field, "must not be empty");
    }
    if (s.length() > max) {
      throw HeraldException.invalid(field, "must be at most " + max + " characters (got " + s.length() + ")");
    }
    if (s.indexOf('\u0000') >= 0) {
      throw HeraldException.invalid(field, "must not contain NUL characters");
    }
    return s;
  }

  private static final java.util.regex.Pattern PHONE = java.util.regex.Pattern.compile("\\+[1-9][0-9]{6,14}");
  private static final java.util.regex.Pattern EMAIL = java.util.regex.Pattern.compile("[^@\\s<>\"(),;:]{1,64}@[^@\\s<>\"(),;:]{1,189}");

  /** An optional e-mail address (one mailbox, nothing that could add a header or a recipient). */
  static String email(JsonObject body, String field) {
    String email = text(body, field, 254, false);
    if (email != null && (!EMAIL.matcher(email).matches() || hasControl(email))) {
      throw HeraldException.invalid(field, "is not an e-mail address");
    }
    return email;
  }

  /** An optional phone number in E.164 form. */
  static String phone(JsonObject body, String field) {
    String phone = text(body, field, 16, false);
    if (phone != null && !PHONE.matcher(phone).matches()) {
      throw HeraldException.invalid(field, "must be in E.164 form, e.g. +15551234567");
    }
    return phone;
  }

  static boolean hasControl(String s) {
    return s.chars().anyMatch(c -> c < 0x20 || c == 0x7f);
  }
}
