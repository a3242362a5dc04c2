package io.herald.template;

import io.herald.HeraldException;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One version of a template: what a domain event of type {@code name} says on each channel, in the
 * default language ({@code channels}) and in locale variants ({@code locales}, keyed by language
 * tag). Versions never change once saved; {@code version} is 0 before the first save. Build one
 * with {@link #parse} (validated and compiled) and render it with {@link Renderer#render}.
 */
public record Template(String name, int version, String level, String category, Variant channels,
                       Map<String, Variant> locales, OffsetDateTime createdAt, OffsetDateTime updatedAt) {
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,99}");
  public static final Set<String> LEVELS = Set.of("info", "success", "warning", "error");
  private static final Pattern CATEGORY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}");
  private static final Pattern LOCALE = Pattern.compile("[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}");
  static final int MAX_LOCALES = 100;
  private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'");

  public Template {
    locales = Collections.unmodifiableMap(new LinkedHashMap<>(locales));
  }

  /**
   * Validates {@code body}'s {@code name}, {@code level} (default info), {@code category},
   * {@code channels} and {@code locales} and compiles every part; other keys are the caller's to
   * check. A mistake is a 400 naming its field ({@code locales.fr.sms.text}).
   */
  public static Template parse(JsonObject body) {
    Object name = body.getValue("name");
    if (!(name instanceof String n) || !NAME.matcher(n).matches()) {
      throw HeraldException.invalid("name", "must be an event type: 1 to 100 letters, digits and . _ : -, starting with a letter or digit");
    }
    Object level = body.getValue("level") == null ? "info" : body.getValue("level");
    if (!(level instanceof String l) || !LEVELS.contains(l)) {
      throw HeraldException.invalid("level", "must be one of info, success, warning, error");
    }
    Object category = body.getValue("category");
    if (category != null && (!(category instanceof String c) || !CATEGORY.matcher(c).matches())) {
      throw HeraldException.invalid("category", "must be a category name (letters, digits and . _ : / -, at most 100)");
    }
    Variant channels = Variant.parse(body.getValue("channels"), "channels", null);
    Map<String, Variant> locales = new LinkedHashMap<>();
    Object given = body.getValue("locales");
    if (given != null) {
      if (!(given instanceof JsonObject byLocale) || byLocale.size() > MAX_LOCALES) {
        throw HeraldException.invalid("locales", "must be an object of at most " + MAX_LOCALES + " language tags to channels");
      }
      Set<String> seen = new java.util.HashSet<>();
      for (String tag : byLocale.fieldNames()) {
        if (!LOCALE.matcher(tag).matches()) {
          throw HeraldException.invalid("locales." + tag, "is not a language tag such as fr, fr-CA or pt-BR");
        }
        if (!seen.add(normalize(tag))) {
          throw HeraldException.invalid("locales." + tag, "names the same language as another key");
        }
        locales.put(tag, Variant.parse(byLocale.getValue(tag), "locales." + tag, channels));
      }
    }
    return new Template((String) name, 0, (String) level, (String) category, channels, locales, null, null);
  }

  /** A stored version: {@code body} is what {@link #body()} gave when it was saved. */
  public static Template stored(String name, int version, String level, String category, JsonObject body,
                                OffsetDateTime createdAt, OffsetDateTime updatedAt) {
    Template t = parse(body.copy().put("name", name).put("level", level).put("category", category));
    return new Template(name, version, level, category, t.channels, t.locales, createdAt, updatedAt);
  }

  /** This template as saved under {@code version}. */
  public Template saved(int newVersion, OffsetDateTime created, OffsetDateTime updated) {
    return new Template(name, newVersion, level, category, channels, locales, created, updated);
  }

  /** What is stored per version besides name, level and category: {@code {"channels", "locales"}}. */
  public JsonObject body() {
    JsonObject byLocale = new JsonObject();
    locales.forEach((tag, v) -> byLocale.put(tag, v.toJson()));
    return new JsonObject().put("channels", channels.toJson()).put("locales", byLocale);
  }

  /** The channels this template serves (those its default {@code channels} name), inapp first. */
  public Set<String> channelNames() {
    return channels.channels();
  }

  /** As the API shows it. */
  public JsonObject toJson() {
    return new JsonObject().put("name", name).put("version", version).put("level", level).put("category", category)
        .mergeIn(body()).put("createdAt", iso(createdAt)).put("updatedAt", iso(updatedAt));
  }

  /** The locale variant used (its key as saved, or null for the default) and each part's source. */
  record Resolution(String locale, Map<Part, Variant.Source> sources) {
  }

  /** Picks each part from the most specific variant that has it: {@code fr-CA}, then {@code fr}, then the default. */
  Resolution resolve(String locale) {
    List<String> keys = new ArrayList<>();
    for (String wanted : chain(locale)) {
      for (String key : locales.keySet()) {
        if (normalize(key).equals(wanted)) {
          keys.add(key);
        }
      }
    }
    Map<Part, Variant.Source> sources = new EnumMap<>(Part.class);
    for (Part part : Part.values()) {
      if (!channels.channels().contains(part.channel())) {
        continue;
      }
      Variant.Source source = null;
      for (String key : keys) {
        source = locales.get(key).source(part);
        if (source != null) {
          break;
        }
      }
      if (source == null) {
        source = channels.source(part);
      }
      if (source != null) {
        sources.put(part, source);
      }
    }
    return new Resolution(keys.isEmpty() ? null : keys.get(0), sources);
  }

  /** {@code fr_CA} → [fr-ca, fr]; null or blank → []. */
  static List<String> chain(String locale) {
    List<String> out = new ArrayList<>();
    if (locale == null || locale.isBlank()) {
      return out;
    }
    String tag = normalize(locale.trim());
    while (!tag.isEmpty()) {
      out.add(tag);
      int dash = tag.lastIndexOf('-');
      tag = dash < 0 ? "" : tag.substring(0, dash);
    }
    return out;
  }

  private static String normalize(String tag) {
    return tag.toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static String iso(OffsetDateTime t) {
    return t == null ? null : ISO.format(t.withOffsetSameInstant(ZoneOffset.UTC));
  }
}
