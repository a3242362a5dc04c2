package io.herald.ops;

import io.herald.store.Alert;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * What the admins are told about an alert: that it opened, that it is still active (after the
 * cooldown), or that it was resolved. The texts say the severity, the rule in words, the channel,
 * the figures, since when, and which node noticed; they never hold a message body, a recipient's
 * address or a provider's error text.
 */
public record AlertNotice(Alert alert, Kind kind, String node, Instant at) {
  /** Why the admins hear of the alert now. */
  public enum Kind {
    OPENED, REMINDER, RESOLVED;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

  /** The e-mail subject: {@code [Herald] CRITICAL email: 23 failed attempts in the last hour}. */
  public String subject() {
    return "[Herald] " + tag() + " " + alert.title();
  }

  /**
   * One line for SMS, WhatsApp and the webhook's {@code text}: {@code Herald CRITICAL email: 23
   * failed attempts in the last hour (failed attempts per hour). Since 2025-06-01 12:03 UTC, node
   * host-1a2b.}
   */
  public String oneLine() {
    String when = kind == Kind.RESOLVED
        ? "Resolved " + TIME.format(alert.resolvedAt().toInstant()) + " after " + HealthRules.duration(open())
        : "Since " + TIME.format(alert.openedAt().toInstant());
    return "Herald " + tag() + " " + alert.title() + " (" + HealthRules.words(alert.rule()) + "). " + when + ", node " + node + ".";
  }

  /** The e-mail body. */
  public String text() {
    StringBuilder out = new StringBuilder()
        .append(switch (kind) {
          case OPENED -> "Herald opened a " + alert.severity() + " alert.";
          case REMINDER -> "This " + alert.severity() + " alert is still active (last checked "
              + TIME.format(alert.lastSeenAt().toInstant()) + ").";
          case RESOLVED -> "This " + alert.severity() + " alert is resolved: the condition no longer holds.";
        })
        .append("\n\n")
        .append("Severity: ").append(alert.severity()).append('\n')
        .append("Rule:     ").append(HealthRules.words(alert.rule())).append(" (").append(alert.rule()).append(")\n")
        .append("Channel:  ").append(alert.channel() == null ? "(all)" : alert.channel()).append('\n')
        .append("Figures:  ").append(alert.message()).append('\n')
        .append("Since:    ").append(TIME.format(alert.openedAt().toInstant())).append('\n');
    if (kind == Kind.RESOLVED) {
      out.append("Resolved: ").append(TIME.format(alert.resolvedAt().toInstant())).append(" (after ")
          .append(HealthRules.duration(open())).append(")\n");
    }
    return out.append("Node:     ").append(node).append('\n')
        .append("Alert:    ").append(alert.id()).append(" (GET /v1/alerts?status=all)\n")
        .toString();
  }

  /** A Slack-compatible webhook body: {@code text} is what Slack shows; the rest is for other receivers. */
  public JsonObject webhookBody() {
    JsonObject item = alert.toJson();
    item.remove("notifications");
    return new JsonObject().put("text", oneLine()).put("event", kind.label()).put("node", node).put("alert", item);
  }

  private String tag() {
    return kind == Kind.RESOLVED ? "RESOLVED" : alert.severity().toUpperCase(Locale.ROOT);
  }

  private Duration open() {
    return Duration.between(alert.openedAt().toInstant(), alert.resolvedAt().toInstant());
  }
}
