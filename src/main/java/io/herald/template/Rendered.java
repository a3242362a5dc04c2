package io.herald.template;

import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/**
 * A template rendered for one recipient: each part's text (e-mail HTML escaped, everything else
 * as given), the channels the template serves, and which locale variant was used ({@code fr} for a
 * recipient in {@code fr-CA} when the template has only {@code fr}; null when the default was).
 * A part the template does not have (an e-mail without a text version) is absent: {@link #get}
 * answers null.
 */
public record Rendered(String locale, Set<String> channels, Map<Part, String> parts) {
  public Rendered {
    channels = Collections.unmodifiableSet(channels);
    parts = Collections.unmodifiableMap(parts.isEmpty() ? new EnumMap<>(Part.class) : new EnumMap<>(parts));
  }

  /** The rendered text of {@code part}, or null when the template has no such part. */
  public String get(Part part) {
    return parts.get(part);
  }

  /** {@code {"inapp": {"title", "body"}, "email": {"subject", "html", "text"}, "sms": {"text"}, ..., "webhook": {}}} */
  public JsonObject channelsJson() {
    JsonObject out = new JsonObject();
    for (String channel : channels) {
      JsonObject partsJson = new JsonObject();
      for (Part part : Part.of(channel)) {
        if (parts.containsKey(part)) {
          partsJson.put(part.key(), parts.get(part));
        }
      }
      out.put(channel, partsJson);
    }
    return out;
  }
}
