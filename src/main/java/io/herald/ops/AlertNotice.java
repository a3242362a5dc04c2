package io.herald.ops;

import io.herald.store.Alert;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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
    return item().put("text", oneLine()).put("node", node);
  }

  private String tag() {
    return kind == Kind.RESOLVED ? "RESOLVED" : alert.severity().toUpperCase(Locale.ROOT);
  }

  private JsonObject item() {
    JsonObject item = alert.toJson();
    item.remove("notifications");
    return new JsonObject().put("event", kind.label()).put("alert", item);
  }

  /**
   * One message by one route telling of several notices of one check (an outage that opens four
   * alerts is one e-mail and one SMS, not four of each): with a single notice it reads exactly as
   * that notice; with several, the subject counts them and names the first (critical before
   * warning, openings before reminders, resolutions last), and the body lists each.
   */
  public record Batch(List<AlertNotice> notices) {
    private static final List<String> RULES = List.of(HealthRules.CREDENTIALS, HealthRules.FAILURE_RATE,
        HealthRules.FAILURES_PER_HOUR, HealthRules.PERMANENT_FAILURES, HealthRules.BACKLOG);
    private static final Comparator<AlertNotice> ORDER = Comparator.<AlertNotice, Boolean>comparing(n -> n.kind() == Kind.RESOLVED)
        .thenComparing(n -> !n.alert().critical())
        .thenComparing(AlertNotice::kind)
        .thenComparing(n -> RULES.indexOf(n.alert().rule()))
        .thenComparing(n -> n.alert().channel() == null ? "~" : n.alert().channel());

    public Batch {
      if (notices.isEmpty()) {
        throw new IllegalArgumentException("a batch holds at least one notice");
      }
      notices = notices.stream().sorted(ORDER).toList();
    }

    public AlertNotice first() {
      return notices.get(0);
    }

    public boolean single() {
      return notices.size() == 1;
    }

    /** Whether an alert it tells of (other than as resolved) is critical. */
    public boolean critical() {
      return notices.stream().anyMatch(n -> n.kind() != Kind.RESOLVED && n.alert().critical());
    }

    /** {@code [Herald] CRITICAL 4 alerts (4 opened): whatsapp: the provider refused Herald's credentials or subscription, and 3 more}. */
    public String subject() {
      return single() ? first().subject()
          : "[Herald] " + tag() + " " + notices.size() + " alerts (" + counts() + "): " + first().alert().title() + ", and "
              + (notices.size() - 1) + " more";
    }

    /** For SMS and WhatsApp: each notice's tag and title, then the node. */
    public String oneLine() {
      return single() ? first().oneLine()
          : "Herald " + notices.size() + " alerts (" + counts() + "): " + String.join("; ", notices.stream()
              .map(n -> n.tag() + " " + n.alert().title()).toList()) + ". " + "Checked " + TIME.format(first().at()) + ", node "
              + first().node() + ".";
    }

    /** The e-mail body: a summary line, then each notice's text. */
    public String text() {
      if (single()) {
        return first().text();
      }
      StringBuilder out = new StringBuilder().append("Herald's health check at ").append(TIME.format(first().at()))
          .append(" has ").append(notices.size()).append(" alert notices (").append(counts()).append("):\n");
      notices.forEach(n -> out.append("- ").append(n.tag()).append(' ').append(n.alert().title()).append('\n'));
      notices.forEach(n -> out.append("\n----------------------------------------\n").append(n.tag()).append(' ')
          .append(n.alert().title()).append("\n\n").append(n.text()));
      return out.toString();
    }

    /**
     * The webhook body: {@code text} for Slack (one line per notice), {@code notices} (each its
     * {@code event} and {@code alert}) for other receivers; a single notice's body also keeps its
     * {@code event} and {@code alert} at the top.
     */
    public JsonObject webhookBody() {
      JsonArray items = new JsonArray();
      notices.forEach(n -> items.add(n.item()));
      if (single()) {
        return first().webhookBody().put("notices", items);
      }
      String text = "Herald " + notices.size() + " alerts (" + counts() + ")\n" + String.join("\n", notices.stream()
          .map(n -> "• " + n.tag() + " " + n.alert().title()).toList());
      return new JsonObject().put("text", text).put("event", "several").put("node", first().node()).put("notices", items);
    }

    /** Which alerts it tells of, for a log line: their rules. */
    public String rules() {
      return String.join(", ", notices.stream().map(n -> n.alert().rule()).distinct().toList());
    }

    private String tag() {
      return critical() ? "CRITICAL" : notices.stream().anyMatch(n -> n.kind() != Kind.RESOLVED) ? "WARNING" : "RESOLVED";
    }

    /** "3 opened, 1 resolved". */
    private String counts() {
      List<String> parts = new ArrayList<>();
      for (Kind kind : Kind.values()) {
        long n = notices.stream().filter(x -> x.kind() == kind).count();
        if (n > 0) {
          parts.add(n + " " + (kind == Kind.REMINDER ? "still active" : kind.label()));
        }
      }
      return String.join(", ", parts);
    }
  }

  private Duration open() {
    return Duration.between(alert.openedAt().toInstant(), alert.resolvedAt().toInstant());
  }
}
