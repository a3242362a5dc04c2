package io.herald.config;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Builds the effective configuration: the built-in defaults ({@code herald.json} on the class path,
 * the same file as {@code conf/herald.json}), then the given file, then {@code HERALD_*} environment
 * variables. Every key must exist in the defaults and hold a value of the default's type; anything
 * else stops start-up with a {@link ConfigException} naming the key.
 */
public final class ConfigLoader {
  /** Keys that may appear under a channel though the defaults do not list them. */
  private static final Set<String> CHANNEL_EXTRAS = Set.of("retry");
  /** HERALD_* variables that are not configuration keys but are read elsewhere. */
  private static final Set<String> OTHER_VARIABLES = Set.of("HERALD_LOG_FORMAT", "HERALD_LOG_LEVEL");

  private ConfigLoader() {
  }

  public static JsonObject defaults() {
    try (InputStream in = ConfigLoader.class.getResourceAsStream("/herald.json")) {
      if (in == null) {
        throw new IllegalStateException("herald.json defaults missing from the class path");
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Loads {@code file} (may be null for defaults only) with the environment applied, and validates it. */
  public static HeraldConfig load(Path file, Map<String, String> env, Consumer<String> warnings) {
    JsonObject schema = defaults();
    JsonObject merged = schema.copy();
    if (file != null) {
      JsonObject fromFile;
      try {
        fromFile = new JsonObject(Files.readString(file));
      } catch (IOException e) {
        throw new ConfigException("--conf", "cannot read " + file + ": " + e.getMessage());
      } catch (DecodeException e) {
        throw new ConfigException("--conf", file + " is not valid JSON: " + e.getMessage());
      }
      overlay(schema, merged, fromFile, "");
    }
    applyEnvironment(schema, merged, env, warnings);
    return HeraldConfig.from(merged);
  }

  public static HeraldConfig fromJson(JsonObject overrides) {
    JsonObject schema = defaults();
    JsonObject merged = schema.copy();
    overlay(schema, merged, overrides, "");
    return HeraldConfig.from(merged);
  }

  private static void overlay(JsonObject schema, JsonObject target, JsonObject source, String prefix) {
    for (Map.Entry<String, Object> e : source) {
      String key = prefix + e.getKey();
      Object value = e.getValue();
      boolean known = schema != null && schema.containsKey(e.getKey());
      boolean channelExtra = prefix.matches("channels\\.[a-z]+\\.") && CHANNEL_EXTRAS.contains(e.getKey());
      if (!known && !channelExtra) {
        throw new ConfigException(key, "unknown key");
      }
      Object def = known ? schema.getValue(e.getKey()) : null;
      if (def instanceof JsonObject defObj) {
        if (!(value instanceof JsonObject valObj)) {
          throw new ConfigException(key, "must be an object");
        }
        overlay(defObj, target.getJsonObject(e.getKey()), valObj, key + ".");
        continue;
      }
      checkType(key, def, value, known);
      target.put(e.getKey(), value);
    }
  }

  private static void checkType(String key, Object def, Object value, boolean known) {
    if (!known || def == null) {
      return; // nullable or extra keys: the typed records check them
    }
    boolean ok = value == null
        ? false
        : def instanceof Number ? value instanceof Number
        : def instanceof Boolean ? value instanceof Boolean
        : def instanceof String ? value instanceof String
        : def instanceof JsonArray ? value instanceof JsonArray
        : true;
    if (!ok) {
      throw new ConfigException(key, "must be " + typeName(def) + ", got " + (value == null ? "null" : value));
    }
  }

  private static String typeName(Object def) {
    if (def instanceof Number) {
      return "a number";
    }
    if (def instanceof Boolean) {
      return "true or false";
    }
    if (def instanceof JsonArray) {
      return "a list";
    }
    return "a string";
  }

  private static void applyEnvironment(JsonObject schema, JsonObject merged, Map<String, String> env, Consumer<String> warnings) {
    List<String> used = new ArrayList<>();
    walk(schema, "", (path, def) -> {
      for (String name : envNames(path)) {
        String raw = env.get(name);
        if (raw != null) {
          used.add(name);
          set(merged, path, fromEnv(path, name, def, raw));
          break;
        }
      }
    });
    for (String name : env.keySet()) {
      if (name.startsWith("HERALD_") && !used.contains(name) && !OTHER_VARIABLES.contains(name)
) {
        warnings.accept("environment variable " + name + " matches no configuration key; ignored");
      }
    }
  }

  private interface LeafVisitor {
    void visit(String path, Object def);
  }

  private static void walk(JsonObject node, String prefix, LeafVisitor visitor) {
    for (Map.Entry<String, Object> e : node) {
      String path = prefix + e.getKey();
      if (e.getValue() instanceof JsonObject child) {
        walk(child, path + ".", visitor);
      } else {
        visitor.visit(path, e.getValue());
      }
    }
  }

  /**
   * The environment variables that override the key {@code path}, in the order they are looked up:
   * {@code http.maxBodyBytes} → HERALD_HTTP_MAXBODYBYTES and HERALD_HTTP_MAX_BODY_BYTES. Public so
   * that checks outside this package (the Kubernetes manifests' test) use the same rule.
   */
  public static List<String> envNames(String path) {
    if (path.isEmpty()) {
      return List.of();
    }
    StringBuilder plain = new StringBuilder("HERALD");
    StringBuilder snake = new StringBuilder("HERALD");
    for (String segment : path.split("\\.")) {
      plain.append('_').append(segment.toUpperCase());
      snake.append('_').append(segment.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase());
    }
    return plain.toString().equals(snake.toString()) ? List.of(plain.toString()) : List.of(plain.toString(), snake.toString());
  }

  private static Object fromEnv(String path, String name, Object def, String raw) {
    String text = raw.trim();
    try {
      if (def instanceof Boolean) {
        if (!text.equalsIgnoreCase("true") && !text.equalsIgnoreCase("false")) {
          throw new ConfigException(path, "must be true or false (from " + name + "), got '" + raw + "'");
        }
        return Boolean.parseBoolean(text.toLowerCase());
      }
      if (def instanceof Number) {
        return text.contains(".") ? Double.parseDouble(text) : Long.parseLong(text);
      }
      if (def instanceof JsonArray) {
        if (text.startsWith("[")) {
          return new JsonArray(text);
        }
        JsonArray list = new JsonArray();
        for (String item : text.split(",")) {
          if (!item.isBlank()) {
            list.add(item.trim());
          }
        }
        return list;
      }
      if (def == null && (text.isEmpty() || text.equals("null"))) {
        return null;
      }
      return raw;
    } catch (NumberFormatException e) {
      throw new ConfigException(path, "must be a number (from " + name + "), got '" + raw + "'");
    } catch (DecodeException e) {
      throw new ConfigException(path, "is not a valid JSON list (from " + name + ")");
    }
  }

  private static void set(JsonObject root, String path, Object value) {
    String[] parts = path.split("\\.");
    JsonObject node = root;
    for (int i = 0; i < parts.length - 1; i++) {
      node = node.getJsonObject(parts[i]);
    }
    node.put(parts[parts.length - 1], value);
  }
}
