package io.herald.cli;

import io.herald.config.ConfigException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code HERALD_LOG_FORMAT} and {@code HERALD_LOG_LEVEL}, checked before logback reads them: a
 * misspelt value would otherwise pick no appender (no logs at all) or fall back to DEBUG (provider
 * answers, with people's addresses, in the log). Values are taken in any case and handed to logback
 * as system properties of the same names, which it reads before the environment.
 */
final class LogSettings {
  static final List<String> FORMATS = List.of("text", "json");
  static final List<String> LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

  private LogSettings() {
  }

  /** Checks the two variables in {@code env} and sets them, normalised, as system properties. */
  static void apply(Map<String, String> env) {
    check(env).forEach(System::setProperty);
  }

  /** The two variables as logback wants them (lower-case format, upper-case level); absent ones are left out. */
  static Map<String, String> check(Map<String, String> env) {
    Map<String, String> out = new LinkedHashMap<>();
    String format = env.get("HERALD_LOG_FORMAT");
    if (format != null && !format.isBlank()) {
      String value = format.strip().toLowerCase(Locale.ROOT);
      if (!FORMATS.contains(value)) {
        throw new ConfigException("HERALD_LOG_FORMAT", "must be text or json, got '" + format + "'");
      }
      out.put("HERALD_LOG_FORMAT", value);
    }
    String level = env.get("HERALD_LOG_LEVEL");
    if (level != null && !level.isBlank()) {
      String value = level.strip().toUpperCase(Locale.ROOT);
      if (!LEVELS.contains(value)) {
        throw new ConfigException("HERALD_LOG_LEVEL", "must be one of " + String.join(", ", LEVELS) + ", got '" + level + "'");
      }
      out.put("HERALD_LOG_LEVEL", value);
    }
    return out;
  }
}
