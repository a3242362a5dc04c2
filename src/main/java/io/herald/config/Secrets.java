package io.herald.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;

/** Masks secrets wherever configuration is printed or logged. */
public final class Secrets {
  public static final String MASK = "******";
  private static final Set<String> SECRET_KEYS = Set.of("key", "secret", "password", "authToken", "publicKey", "privateKey", "token");
  /**
   * The alerts' admins: addresses and numbers are personal data (masked one by one, so their count
   * shows), and a Slack-style webhook URL carries its credential in the path. Under {@code channels}
   * these names hold objects, which are walked as usual.
   */
  private static final Set<String> ADMIN_KEYS = Set.of("email", "sms", "whatsapp", "webhook");

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

  public static JsonObject maskJson(JsonObject source) {
    JsonObject out = new JsonObject();
    for (Map.Entry<String, Object> e : source) {
      out.put(e.getKey(), maskValue(e.getKey(), e.getValue()));
    }
    return out;
  }

  private static Object maskValue(String key, Object value) {
    if (value instanceof JsonObject o) {
      if (key.equals("headers")) { // provider headers carry API keys
        JsonObject out = new JsonObject();
        o.fieldNames().forEach(name -> out.put(name, MASK));
        return out;
      }
      return maskJson(o);
    }
    if (value instanceof JsonArray a) {
      JsonArray out = new JsonArray();
      a.forEach(item -> out.add(maskValue(key, item)));
      return out;
    }
    if (value instanceof String s) {
      if (SECRET_KEYS.contains(key) || ADMIN_KEYS.contains(key)) {
        return MASK;
      }
      if (key.equals("uri") || key.equals("url") || key.equals("baseUrl")) {
        return maskUri(s);
      }
    }
    return value;
  }
}
