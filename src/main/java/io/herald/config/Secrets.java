package io.herald.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;

/** Masks secrets wherever configuration is printed or logged. */
public final class Secrets {
  public static final String MASK = "******";
  /** A string under a key whose name contains one of these (any case) is never shown: apiKey, authToken, clientSecret... */
  private static final java.util.List<String> SECRET_WORDS = java.util.List.of("key", "secret", "password", "token", "auth", "signature", "credential");
  /** Keys whose values are all masked, only the names of an object's fields shown: provider headers and body templates carry API keys. */
  private static final Set<String> OPAQUE_KEYS = Set.of("headers", "bodyTemplate");
  /** Keys whose strings (alone or in a list) are people's addresses or numbers, such as the admins' in {@code alerts}. */
  private static final Set<String> PERSONAL_KEYS = Set.of("email", "sms", "whatsapp", "phone");
  private static final java.util.regex.Pattern HTTP_URL = java.util.regex.Pattern.compile("(?i)(https?://)([^/?#@]*@)?([^/?#]*)(.*)");

  private Secrets() {
  }

  public static String mask(String value) {
    return value == null ? null : MASK;
  }

  /** postgresql://user:pw@host/db?password=pw → postgresql://user:******@host/db?password=******. */
  public static String maskUri(String uri) {
    if (uri == null) {
      return null;
    }
    return uri.replaceAll("(://[^:/@]*:)[^/?#]*@", "$1" + MASK + "@")
        .replaceAll("(?i)([?&](?:ssl)?password=)[^&#]*", "$1" + MASK);
  }

  /**
   * https://hooks.example.com/services/T0/B0/abc?token=x → https://hooks.example.com/******: a
   * webhook URL often carries its secret in the path (Slack-style hooks) or the query, so only the
   * scheme and host are shown. Other URIs go through {@link #maskUri}.
   */
  public static String maskUrl(String url) {
    if (url == null) {
      return null;
    }
    java.util.regex.Matcher m = HTTP_URL.matcher(url);
    if (!m.matches()) {
      return maskUri(url);
    }
    String rest = m.group(4);
    return m.group(1) + (m.group(2) == null ? "" : MASK + "@") + m.group(3) + (rest.isEmpty() || rest.equals("/") ? rest : "/" + MASK);
  }

  /** Whether a configuration key's name says its value is a secret. */
  static boolean secretName(String key) {
    String lower = key.toLowerCase(java.util.Locale.ROOT);
    return SECRET_WORDS.stream().anyMatch(lower::contains);
  }

  public static JsonObject maskJson(JsonObject source) {
    JsonObject out = new JsonObject();
    for (Map.Entry<String, Object> e : source) {
      out.put(e.getKey(), maskValue(e.getKey(), e.getValue()));
    }
    return out;
  }

  private static Object maskValue(String key, Object value) {
    if (OPAQUE_KEYS.contains(key) && value != null) {
      if (value instanceof JsonObject o) {
        JsonObject out = new JsonObject();
        o.fieldNames().forEach(name -> out.put(name, MASK));
        return out;
      }
      return MASK;
    }
    if (value instanceof JsonObject o) {
      return maskJson(o);
    }
    if (value instanceof JsonArray a) {
      JsonArray out = new JsonArray();
      a.forEach(item -> out.add(maskValue(key, item)));
      return out;
    }
    if (value instanceof String s) {
      if (secretName(key) || PERSONAL_KEYS.contains(key)) {
        return MASK;
      }
      if (key.equals("url") || key.equals("webhook") || key.equals("baseUrl")) {
        return maskUrl(s);
      }
      if (key.equals("uri")) {
        return maskUri(s);
      }
    }
    return value;
  }
}
