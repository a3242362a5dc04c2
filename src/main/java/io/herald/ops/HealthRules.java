package io.herald.ops;

import io.herald.config.HeraldConfig;
import io.herald.store.Alert;
import io.herald.store.AlertStore.Figures;
import io.herald.store.AlertStore.Finding;
import io.herald.store.AlertStore.LastWord;
import io.herald.store.ChannelHealth;
import io.herald.store.Notification;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The health rules, judged per external channel from its {@link ChannelHealth}:
 * <ul>
 *   <li>{@code failures_per_hour} (critical): at least {@code alerts.failuresPerHourCritical} failed attempts in the last hour;
 *   <li>{@code permanent_failures} (warning): at least {@code alerts.permanentFailuresPerDayWarning} permanent failures in 24 h;
 *   <li>{@code failure_rate} (critical): failed / finished attempts of the last hour at least {@code alerts.failureRateCritical},
 *       over at least {@code alerts.failureRateMinAttempts} finished attempts;
 *   <li>{@code credentials} (critical): an attempt in the last hour the provider refused with 401/403 (or an SMTP login
 *       failure) and nothing accepted since; once open, it holds until an attempt on that channel is sent after the last
 *       refusal (a refused delivery goes dead at once, so the hour passing without traffic proves nothing);
 *   <li>{@code backlog} (warning): a delivery due for longer than {@code alerts.backlogMinutes}.
 * </ul>
 * The first three are also judged on the totals of all channels (an alert with no channel), so 12
 * SMS and 12 WhatsApp failures in an hour are 24: that alert only holds while no single channel
 * holds the same rule, so one failing channel is not announced twice.
 * Texts carry figures only: never a message body, an address or a provider's error text.
 */
public final class HealthRules {
  public static final String FAILURES_PER_HOUR = "failures_per_hour";
  public static final String PERMANENT_FAILURES = "permanent_failures";
  public static final String FAILURE_RATE = "failure_rate";
  public static final String CREDENTIALS = "credentials";
  public static final String BACKLOG = "backlog";
  /** How an alert about every channel names them. */
  static final String ALL = "all channels";

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

  private final HeraldConfig.Alerts config;

  public HealthRules(HeraldConfig.Alerts config) {
    this.config = config;
  }

  /** What holds at {@code now}: channel by channel, then the totals. */
  public List<Finding> evaluate(Figures figures, Instant now) {
    List<Finding> out = new ArrayList<>();
    Set<String> channels = new LinkedHashSet<>(figures.channels().keySet());
    // a credentials alert outlives its channel's traffic: judged even for a channel with nothing in 24 h
    figures.active().stream().filter(k -> k.startsWith(CREDENTIALS + "/") && k.length() > CREDENTIALS.length() + 1)
        .forEach(k -> channels.add(k.substring(CREDENTIALS.length() + 1)));
    for (String ch : channels) {
      ChannelHealth h = figures.channels().getOrDefault(ch, ChannelHealth.quiet(ch));
      failures(out, ch, ch, h.failed(), h.finished(), null);
      permanent(out, ch, ch, h.permanent(), null);
      rate(out, ch, ch, h.failed(), h.finished(), null);
      credentials(out, h, figures.lastWords().get(ch), figures.active().contains(Finding.key(CREDENTIALS, ch)));
      backlog(out, h, now);
    }
    totals(out, figures.channels());
    return out;
  }

  /** The totals of every channel, for the rules no single channel holds. */
  private void totals(List<Finding> out, Map<String, ChannelHealth> figures) {
    long failed = 0;
    long finished = 0;
    long permanent = 0;
    JsonObject failedBy = new JsonObject();
    JsonObject permanentBy = new JsonObject();
    for (ChannelHealth h : figures.values()) {
      failed += h.failed();
      finished += h.finished();
      permanent += h.permanent();
      if (h.failed() > 0) {
        failedBy.put(h.channel(), h.failed());
      }
      if (h.permanent() > 0) {
        permanentBy.put(h.channel(), h.permanent());
      }
    }
    if (!holds(out, FAILURES_PER_HOUR)) {
      failures(out, null, ALL, failed, finished, failedBy);
    }
    if (!holds(out, PERMANENT_FAILURES)) {
      permanent(out, null, ALL, permanent, permanentBy);
    }
    if (!holds(out, FAILURE_RATE)) {
      rate(out, null, ALL, failed, finished, failedBy);
    }
  }

  private static boolean holds(List<Finding> found, String rule) {
    return found.stream().anyMatch(f -> f.rule().equals(rule));
  }

  private void failures(List<Finding> out, String ch, String name, long failed, long finished, JsonObject byChannel) {
    if (failed < config.failuresPerHourCritical()) {
      return;
    }
    out.add(new Finding(FAILURES_PER_HOUR, ch, "critical", name + ": " + failed + " failed attempts in the last hour",
        count(failed, (ch == null ? "" : ch + " ") + "delivery attempt") + " failed in the last hour" + across(byChannel) + ", of "
            + finished + " finished (alert at " + config.failuresPerHourCritical() + ", alerts.failuresPerHourCritical).",
        by(new JsonObject().put("failed", failed).put("finished", finished).put("windowMinutes", 60)
            .put("threshold", config.failuresPerHourCritical()), byChannel)));
  }

  private void permanent(List<Finding> out, String ch, String name, long permanent, JsonObject byChannel) {
    if (permanent < config.permanentFailuresPerDayWarning()) {
      return;
    }
    out.add(new Finding(PERMANENT_FAILURES, ch, "warning", name + ": " + permanent + " permanent failures in the last 24 hours",
        count(permanent, (ch == null ? "" : ch + " ") + "delivery attempt") + " failed permanently in the last 24 hours"
            + across(byChannel) + " (refused address or number, or refused credentials); those deliveries are dead and need a "
            + "person (alert at " + config.permanentFailuresPerDayWarning() + ", alerts.permanentFailuresPerDayWarning).",
        by(new JsonObject().put("permanent", permanent).put("windowMinutes", 24 * 60)
            .put("threshold", config.permanentFailuresPerDayWarning()), byChannel)));
  }

  private void rate(List<Finding> out, String ch, String name, long failed, long finished, JsonObject byChannel) {
    double rate = finished == 0 ? 0 : (double) failed / finished;
    // a hair of tolerance: 3 of 10 is 30 % even where 0.3 × 10 comes out as 3.0000000000000004
    if (finished < config.failureRateMinAttempts() || rate < config.failureRateCritical() - 1e-9) {
      return;
    }
    out.add(new Finding(FAILURE_RATE, ch, "critical", name + ": " + percent(rate) + " of attempts failed in the last hour",
        failed + " of " + finished + " " + (ch == null ? "" : ch + " ") + "delivery attempts in the last hour failed"
            + across(byChannel) + " (" + percent(rate) + "; alert at " + percent(config.failureRateCritical()) + " over at least "
            + config.failureRateMinAttempts() + " attempts, alerts.failureRateCritical).",
        by(new JsonObject().put("failed", failed).put("finished", finished).put("rate", Math.round(rate * 1000) / 1000.0)
            .put("windowMinutes", 60).put("threshold", config.failureRateCritical())
            .put("minAttempts", config.failureRateMinAttempts()), byChannel)));
  }

  /** Opens on a refusal in the last hour; holds, once open, until the provider accepts a message again. */
  private static void credentials(List<Finding> out, ChannelHealth h, LastWord word, boolean active) {
    boolean unanswered = word == null || word.unanswered();
    if (!unanswered || h.credentials() == 0 && !active) {
      return;
    }
    String ch = h.channel();
    String how = h.credentialStatuses().isEmpty() ? "refused Herald's login"
        : "answered HTTP " + String.join("/", h.credentialStatuses().stream().map(String::valueOf).toList());
    String message = h.credentials() > 0
        ? "The " + ch + " provider " + how + " to " + count(h.credentials(), "attempt") + " in the last hour: it rejected Herald's "
            + "credentials, or the subscription expired. Check channels." + ch + "; those deliveries are dead."
        : "The " + ch + " provider rejected Herald's credentials or subscription" + (word == null || word.refused() == null ? ""
            : ", last at " + TIME.format(word.refused())) + ", and no " + ch + " delivery has been sent since (this alert is "
            + "resolved once one is). Check channels." + ch + ".";
    JsonObject details = new JsonObject().put("attempts", h.credentials())
        .put("httpStatuses", new JsonArray(new ArrayList<>(h.credentialStatuses()))).put("windowMinutes", 60);
    if (word != null && word.refused() != null) {
      details.put("lastRefusedAt", Notification.iso(word.refused()));
    }
    out.add(new Finding(CREDENTIALS, ch, "critical", ch + ": the provider refused Herald's credentials or subscription", message,
        details));
  }

  private void backlog(List<Finding> out, ChannelHealth h, Instant now) {
    if (h.overdue() == 0 || h.oldestDueSince() == null) {
      return;
    }
    String ch = h.channel();
    Duration age = Duration.between(h.oldestDueSince().toInstant(), now);
    out.add(new Finding(BACKLOG, ch, "warning", ch + ": deliveries waiting for " + duration(age),
        count(h.overdue(), ch + " delivery", ch + " deliveries") + (h.overdue() == 1 ? " has" : " have") + " been due for more than "
            + duration(Duration.ofMinutes(config.backlogMinutes()))
            + ", the oldest for " + duration(age) + "; " + h.due() + " due in all (alert after "
            + config.backlogMinutes() + " min, alerts.backlogMinutes).",
        new JsonObject().put("overdue", h.overdue()).put("due", h.due()).put("oldestMinutes", age.toMinutes())
            .put("thresholdMinutes", config.backlogMinutes())));
  }

  /** " across channels (sms 12, whatsapp 12)" for the totals, nothing for one channel. */
  private static String across(JsonObject byChannel) {
    if (byChannel == null) {
      return "";
    }
    return " across channels (" + String.join(", ", byChannel.fieldNames().stream().map(c -> c + " " + byChannel.getValue(c)).toList())
        + ")";
  }

  private static JsonObject by(JsonObject details, JsonObject byChannel) {
    return byChannel == null ? details : details.put("byChannel", byChannel);
  }

  /** The channels an alert is about: its own, or for one about all channels those its figures name. */
  public static List<String> channelsOf(Alert alert) {
    if (alert.channel() != null) {
      return List.of(alert.channel());
    }
    JsonObject by = alert.details() == null ? null : alert.details().getJsonObject("byChannel");
    return by == null ? List.of() : List.copyOf(by.fieldNames());
  }

  /** What a rule watches, in words. */
  public static String words(String rule) {
    return switch (rule) {
      case FAILURES_PER_HOUR -> "failed attempts per hour";
      case PERMANENT_FAILURES -> "permanent failures per day";
      case FAILURE_RATE -> "failure rate";
      case CREDENTIALS -> "credentials or subscription refused";
      case BACKLOG -> "deliveries waiting too long";
      default -> rule;
    };
  }

  static String count(long n, String one) {
    return count(n, one, one + "s");
  }

  static String count(long n, String one, String many) {
    return n + " " + (n == 1 ? one : many);
  }

  static String percent(double rate) {
    return String.format(Locale.ROOT, "%.0f %%", rate * 100);
  }

  /** 45 min, 2 h 5 min, 3 d 4 h. */
  static String duration(Duration d) {
    long minutes = Math.max(0, d.toMinutes());
    if (minutes < 60) {
      return minutes + " min";
    }
    if (minutes < 24 * 60) {
      return minutes / 60 + " h" + (minutes % 60 == 0 ? "" : " " + minutes % 60 + " min");
    }
    long hours = minutes / 60;
    return hours / 24 + " d" + (hours % 24 == 0 ? "" : " " + hours % 24 + " h");
  }
}
