package io.herald.digest;

import io.herald.delivery.email.MailContent;
import io.herald.store.DigestStore;
import io.herald.store.Notification;
import io.herald.template.Part;
import io.herald.template.Renderer;
import io.herald.template.Template;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * What a digest e-mail says: {subject, text, html}. A template named {@link #DIGEST_TEMPLATE} (held
 * e-mails) or {@link #UNREAD_TEMPLATE} (unread summaries) with an e-mail channel writes it, in the
 * recipient's locale, from {@code {kind, count, shown, more, items: [{title, body, actionUrl,
 * actionLabel, category, level, createdAt, data}]}} (items newest first); without one the
 * built-in English text does. Rendering does no I/O.
 */
public final class DigestComposer {
  public static final String DIGEST_TEMPLATE = "herald.digest";
  public static final String UNREAD_TEMPLATE = "herald.unread-summary";
  /** A body longer than this is cut in the built-in text (a template gets it whole). */
  static final int BODY_CHARS = 500;
  private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm 'UTC'");

  private DigestComposer() {
  }

  /** The parts for {@code pending}, from {@code template} when it has an e-mail subject (may be null). */
  public static JsonObject compose(DigestStore.Pending pending, Template template) {
    JsonObject data = data(pending);
    if (template != null && template.channelNames().contains("email")) {
      var rendered = Renderer.render(template, pending.locale(), data);
      String subject = rendered.get(Part.EMAIL_SUBJECT);
      if (subject != null && !subject.isBlank()) {
        return new JsonObject().put("subject", subject).put("text", rendered.get(Part.EMAIL_TEXT))
            .put("html", rendered.get(Part.EMAIL_HTML));
      }
    }
    return builtIn(pending);
  }

  /** The data a digest template sees. */
  static JsonObject data(DigestStore.Pending pending) {
    JsonArray items = new JsonArray();
    for (Notification n : newestFirst(pending)) {
      items.add(new JsonObject().put("title", n.title()).put("body", n.body()).put("actionUrl", n.actionUrl())
          .put("actionLabel", n.actionLabel()).put("category", n.category()).put("level", n.level())
          .put("createdAt", Notification.iso(n.createdAt())).put("data", n.data()));
    }
    int shown = pending.items().size();
    return new JsonObject().put("kind", pending.kind()).put("count", pending.total()).put("shown", shown)
        .put("more", Math.max(0, pending.total() - shown)).put("items", items);
  }

  private static List<Notification> newestFirst(DigestStore.Pending pending) {
    List<Notification> out = new ArrayList<>(pending.items());
    java.util.Collections.reverse(out);
    return out;
  }

  private static JsonObject builtIn(DigestStore.Pending pending) {
    int count = pending.total();
    String plural = count == 1 ? "" : "s";
    boolean unread = pending.kind().equals("unread");
    String subject = unread ? "You have " + count + " unread notification" + plural
        : "Your digest: " + count + " notification" + plural;
    String intro = unread ? "While you were away, these arrived and are still unread:"
        : "Here is what arrived since your last digest:";
    StringBuilder text = new StringBuilder(intro).append("\n");
    StringBuilder html = new StringBuilder(1024)
        .append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").append(MailContent.escape(subject))
        .append("</title></head>\n<body style=\"font-family:sans-serif;line-height:1.4\">\n<p>").append(MailContent.escape(intro))
        .append("</p>\n<ul>\n");
    for (Notification n : newestFirst(pending)) {
      String when = WHEN.format(n.createdAt().withOffsetSameInstant(ZoneOffset.UTC));
      String body = n.body() == null ? null : cut(n.body());
      text.append("\n* ").append(n.title()).append("  (").append(when).append(")\n");
      html.append("<li><strong>").append(MailContent.escape(n.title())).append("</strong> <small>").append(when).append("</small>");
      if (body != null && !body.isBlank()) {
        text.append("  ").append(body.replace("\n", "\n  ")).append("\n");
        html.append("<br>").append(MailContent.escape(body).replace("\n", "<br>\n"));
      }
      if (n.actionUrl() != null && !n.actionUrl().isBlank()) {
        String label = n.actionLabel() == null || n.actionLabel().isBlank() ? n.actionUrl() : n.actionLabel();
        text.append("  ").append(label.equals(n.actionUrl()) ? "" : label + ": ").append(n.actionUrl()).append("\n");
        // a link only for http(s): a javascript: action is shown, not clickable
        html.append("<br>").append(n.actionUrl().trim().matches("(?i)https?://\\S+")
            ? "<a href=\"" + MailContent.escape(n.actionUrl().trim()) + "\">" + MailContent.escape(label) + "</a>"
            : MailContent.escape(label.equals(n.actionUrl()) ? label : label + ": " + n.actionUrl()));
      }
      html.append("</li>\n");
    }
    html.append("</ul>\n");
    int more = count - pending.items().size();
    if (more > 0) {
      String tail = "... and " + more + " more.";
      text.append("\n").append(tail).append("\n");
      html.append("<p>").append(tail).append("</p>\n");
    }
    html.append("</body></html>\n");
    return new JsonObject().put("subject", subject).put("text", text.toString()).put("html", html.toString());
  }

  private static String cut(String body) {
    if (body.length() <= BODY_CHARS) {
      return body;
    }
    int end = BODY_CHARS;
    if (Character.isHighSurrogate(body.charAt(end - 1))) {
      end--; // never split a character in two
    }
    return body.substring(0, end) + "...";
  }
}
