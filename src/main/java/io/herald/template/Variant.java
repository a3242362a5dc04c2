package io.herald.template;

import io.herald.HeraldException;
import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One language's channel parts, shaped {@code {"inapp": {"title", "body"}, "email": {"subject",
 * "html", "text"}, "sms": {"text"}, "whatsapp": {"text"}}}: the template's default
 * {@code channels} (which may also name {@code "webhook": {}}), or one of its {@code locales}
 * (which rewords only channels the default has, and may leave any part out).
 */
public final class Variant {
  /** One part's source text, where it sits in the template's JSON, and its compiled form. */
  public record Source(String field, String text, com.samskivert.mustache.Template compiled) {
  }

  private final Set<String> channels;
  private final Map<Part, Source> parts;

  private Variant(Set<String> channels, Map<Part, Source> parts) {
    this.channels = Collections.unmodifiableSet(channels);
    this.parts = Collections.unmodifiableMap(parts);
  }

  /** The channels this variant names, in {@link Part#CHANNELS} order. */
  public Set<String> channels() {
    return channels;
  }

  /** The part's source, or null when this variant leaves it out. */
  public Source source(Part part) {
    return parts.get(part);
  }

  Map<Part, Source> sources() {
    return parts;
  }

  /**
   * Validates and compiles {@code value} found at {@code field} ({@code channels} or
   * {@code locales.fr}); {@code defaults} is null for the default channels themselves.
   */
  static Variant parse(Object value, String field, Variant defaults) {
    if (!(value instanceof JsonObject json)) {
      throw HeraldException.invalid(field, "must be an object of channels, e.g. {\"inapp\": {\"title\": \"...\"}}");
    }
    for (String channel : json.fieldNames()) {
      if (!Part.CHANNELS.contains(channel)) {
        throw HeraldException.invalid(field + "." + channel, "unknown channel (known: " + String.join(", ", Part.CHANNELS) + ")");
      }
      if (defaults != null && !defaults.channels.contains(channel)) {
        throw HeraldException.invalid(field + "." + channel, "the default channels have no " + channel
            + "; a locale can only reword channels the template has");
      }
    }
    Set<String> channels = new LinkedHashSet<>();
    Map<Part, Source> parts = new EnumMap<>(Part.class);
    for (String channel : Part.CHANNELS) {
      if (!json.containsKey(channel)) {
        continue;
      }
      String at = field + "." + channel;
      if (!(json.getValue(channel) instanceof JsonObject given)) {
        throw HeraldException.invalid(at, "must be an object of parts");
      }
      if (channel.equals("webhook")) {
        if (defaults != null || !given.isEmpty()) {
          throw HeraldException.invalid(at, "webhook has no template parts: it passes the event's data through "
              + "(name it in the default channels as \"webhook\": {})");
        }
      }
      List<Part> known = Part.of(channel);
      for (String key : given.fieldNames()) {
        if (Part.of(channel, key) == null) {
          throw HeraldException.invalid(at + "." + key, "unknown part (" + channel + " has: "
              + known.stream().map(Part::key).collect(Collectors.joining(", ")) + ")");
        }
      }
      channels.add(channel);
      for (Part part : known) {
        Object text = given.getValue(part.key());
        if (text != null) {
          String partField = at + "." + part.key();
          parts.put(part, new Source(partField, checked(partField, part, text), null));
        } else if (defaults == null && part.required()) {
          throw HeraldException.invalid(at + "." + part.key(), "is required" + (part == Part.INAPP_TITLE
              ? " (an in-app notification needs a title)" : " when the template has " + channel));
        }
      }
      if (defaults == null && channel.equals("email") && !given.containsKey("html") && !given.containsKey("text")) {
        throw HeraldException.invalid(at, "needs html or text (or both)");
      }
    }
    if (defaults == null && !channels.contains("inapp")) {
      throw HeraldException.invalid(field + ".inapp.title", "is required (an in-app notification needs a title)");
    }
    // compiled last, so a shape mistake is reported before a syntax one
    parts.replaceAll((part, s) -> new Source(s.field(), s.text(), Renderer.compile(part, s.field(), s.text())));
    return new Variant(channels, parts);
  }

  private static String checked(String field, Part part, Object value) {
    if (!(value instanceof String s)) {
      throw HeraldException.invalid(field, "must be a string");
    }
    if (part.required() && s.isBlank()) {
      throw HeraldException.invalid(field, "must not be empty");
    }
    if (s.length() > part.maxChars()) {
      throw HeraldException.invalid(field, "must be at most " + part.maxChars() + " characters (got " + s.length() + ")");
    }
    if (s.indexOf('\u0000') >= 0) {
      throw HeraldException.invalid(field, "must not contain NUL characters");
    }
    return s;
  }

  /** The same shape it was parsed from. */
  public JsonObject toJson() {
    JsonObject out = new JsonObject();
    for (String channel : channels) {
      JsonObject partsJson = new JsonObject();
      for (Part part : Part.of(channel)) {
        Source s = parts.get(part);
        if (s != null) {
          partsJson.put(part.key(), s.text());
        }
      }
      out.put(channel, partsJson);
    }
    return out;
  }
}
