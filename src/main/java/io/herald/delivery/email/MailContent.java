package io.herald.delivery.email;

import io.herald.store.Notification;

/**
 * What an e-mail says, made from a notification: one-line header values, the plain-text part and a
 * minimal HTML part in which everything the notification supplies is escaped. The action becomes a
 * link only when it is an http(s) URL, so a {@code javascript:} action is shown, not clickable.
 */
public final class MailContent {
  private MailContent() {
  }

  /** A header value with every control character (CR and LF included) replaced by a space. */
  public static String headerValue(String value) {
    if (value == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(value.length());
    value.codePoints().forEach(c -> out.appendCodePoint(Character.isISOControl(c) || c == 0x2028 || c == 0x2029 ? ' ' : c));
    return out.toString().trim();
  }

  /** The body (the title when there is none), then the action on its own line. */
  static String text(Notification n) {
    StringBuilder out = new StringBuilder(blank(n.body()) ? n.title() : n.body());
    if (!blank(n.actionUrl())) {
      out.append("\n\n");
      if (!blank(n.actionLabel())) {
        out.append(n.actionLabel()).append(": ");
      }
      out.append(n.actionUrl());
    }
    return out.toString();
  }

  static String html(Notification n) {
    StringBuilder out = new StringBuilder(512)
        .append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").append(escape(n.title())).append("</title></head>\n")
        .append("<body style=\"font-family:sans-serif;line-height:1.4\">\n")
        .append("<h1 style=\"font-size:1.2em\">").append(escape(n.title())).append("</h1>\n");
    if (!blank(n.body())) {
      out.append("<p>").append(escape(n.body()).replace("\r\n", "\n").replace("\n", "<br>\n")).append("</p>\n");
    }
    if (!blank(n.actionUrl())) {
      String label = escape(blank(n.actionLabel()) ? n.actionUrl() : n.actionLabel());
      if (n.actionUrl().trim().matches("(?i)https?://\\S+")) {
        out.append("<p><a href=\"").append(escape(n.actionUrl().trim())).append("\">").append(label).append("</a></p>\n");
      } else {
        out.append("<p>").append(label).append(blank(n.actionLabel()) ? "" : ": " + escape(n.actionUrl())).append("</p>\n");
      }
    }
    return out.append("</body></html>\n").toString();
  }

  public static String escape(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
