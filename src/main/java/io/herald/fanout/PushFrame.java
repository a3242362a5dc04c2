package io.herald.fanout;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * One server-to-client frame, serialised once: the same text and UTF-8 bytes are written to every
 * socket that should receive it.
 */
public record PushFrame(String text, byte[] utf8) {
  public static PushFrame of(JsonObject frame) {
    String text = frame.encode();
    return new PushFrame(text, text.getBytes(StandardCharsets.UTF_8));
  }

  public static PushFrame ofText(String text) {
    return new PushFrame(text, text.getBytes(StandardCharsets.UTF_8));
  }
}
