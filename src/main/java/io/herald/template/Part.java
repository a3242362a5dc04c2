package io.herald.template;

import java.util.List;

/**
 * One text a template renders for one channel: in-app title and body, e-mail subject, HTML and
 * text, SMS text, WhatsApp text. Webhook has no part: it passes the event's data through. Only the
 * e-mail HTML escapes what it inserts; every other part is plain text and inserts data as given.
 */
public enum Part {
  INAPP_TITLE("inapp", "title", 200, true),
  INAPP_BODY("inapp", "body", 5_000, false),
  EMAIL_SUBJECT("email", "subject", 500, true),
  EMAIL_HTML("email", "html", 100_000, false),
  EMAIL_TEXT("email", "text", 50_000, false),
  SMS_TEXT("sms", "text", 1_600, true),
  WHATSAPP_TEXT("whatsapp", "text", 4_096, true);

  /** Channels a template may name, in the order answers list them; webhook carries no parts. */
  public static final List<String> CHANNELS = List.of("inapp", "email", "sms", "whatsapp", "webhook");

  private final String channel;
  private final String key;
  private final int maxChars;
  private final boolean required;

  Part(String channel, String key, int maxChars, boolean required) {
    this.channel = channel;
    this.key = key;
    this.maxChars = maxChars;
    this.required = required;
  }

  /** The channel's name as in the JSON shape ({@code inapp}, {@code email}, ...). */
  public String channel() {
    return channel;
  }

  /** The part's key inside its channel ({@code title}, {@code subject}, {@code text}, ...). */
  public String key() {
    return key;
  }

  /** The longest source text accepted on save (rendered text may come out longer). */
  public int maxChars() {
    return maxChars;
  }

  /** A channel in a template's default {@code channels} must have this part (and it must not be blank). */
  public boolean required() {
    return required;
  }

  public boolean escapesHtml() {
    return this == EMAIL_HTML;
  }

  /** {@code channel.key}, as in error fields. */
  public String path() {
    return channel + "." + key;
  }

  /** The part of {@code channel} called {@code key}, or null. */
  public static Part of(String channel, String key) {
    for (Part p : values()) {
      if (p.channel.equals(channel) && p.key.equals(key)) {
        return p;
      }
    }
    return null;
  }

  static List<Part> of(String channel) {
    return java.util.Arrays.stream(values()).filter(p -> p.channel.equals(channel)).toList();
  }
}
