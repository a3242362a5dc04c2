package io.herald.ops;

import io.herald.config.HeraldConfig;
import io.herald.store.AlertStore.Finding;
import io.herald.store.ChannelHealth;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The health rules, judged per external channel from its {@link ChannelHealth}:
 * <ul>
 *   <li>{@code failures_per_hour} (critical): at least {@code alerts.failuresPerHourCritical} failed attempts in the last hour;
 *   <li>{@code permanent_failures} (warning): at least {@code alerts.permanentFailuresPerDayWarning} permanent failures in 24 h;
 *   <li>{@code failure_rate} (critical): failed / finished attempts of the last hour at least {@code alerts.failureRateCritical},
 *       over at least {@code alerts.failureRateMinAttempts} finished attempts;
 *   <li>{@code credentials} (critical): any attempt in the last hour the provider refused with 401/403 (or an SMTP login failure);
 *   <li>{@code backlog} (warning): a delivery due for longer than {@code alerts.backlogMinutes}.
 * </ul>
 * Texts carry figures only: never a message body, an address or a provider's error text.
 */
public final class HealthRules {
  public static final String FAILURES_PER_HOUR = "failures_per_hour";
  public static final String PERMANENT_FAILURES = "permanent_failures";
  public static final String FAILURE_RATE = "failure_rate";
  public static final String CREDENTIALS = "credentials";
  public static final String BACKLOG = "backlog";

  private final HeraldConfig.Alerts config;

  public HealthRules(HeraldConfig.Alerts config) {
    this.config = config;
  }

  /** What holds at {@code now}, channel by channel. */
  public List<Finding> evaluate(Map<String, ChannelHealth> figures, Instant now) {
    List<Finding> out = new ArrayList<>();
    for (ChannelHealth h : figures.values()) {
      String ch = h.channel();
      if (h.failed() >= config.failuresPerHourCritical()) {
        out.add(new Finding(FAILURES_PER_HOUR, ch, "critical", ch + ": " + h.failed() + " failed attempts in the last hour",
            count(h.failed(), ch + " delivery attempt") + " failed in the last hour, of " + h.finished() + " finished (alert at "
                + config.failuresPerHourCritical() + ", alerts.failuresPerHourCritical).",
            new JsonObject().put("failed", h.failed()).put("finished", h.finished()).put("windowMinutes", 60)
                .put("threshold", config.failuresPerHourCritical())));
      }
      if (h.permanent() >= config.permanentFailuresPerDayWarning()) {
        out.add(new Finding(PERMANENT_FAILURES, ch, "warning", ch + ": " + h.permanent() + " permanent failures in the last 24 hours",
            count(h.permanent(), ch + " delivery attempt") + " failed permanently in the last 24 hours (refused address or number, "
                + "or refused credentials); those deliveries are dead and need a person (alert at "
                + config.permanentFailuresPerDayWarning() + ", alerts.permanentFailuresPerDayWarning).",
            new JsonObject().put("permanent", h.permanent()).put("windowMinutes", 24 * 60)
                .put("threshold", config.permanentFailuresPerDayWarning())));
      }
      double rate = h.finished() == 0 ? 0 : (double) h.failed() / h.finished();
      // a hair of tolerance: 3 of 10 is 30 % even where 0.3 × 10 comes out as 3.0000000000000004
      if (h.finished() >= config.failureRateMinAttempts() && rate >= config.failureRateCritical() - 1e-9) {
        out.add(new Finding(FAILURE_RATE, ch, "critical", ch + ": " + percent(rate) + " of attempts failed in the last hour",
            h.failed() + " of " + h.finished() + " " + ch + " delivery attempts in the last hour failed (" + percent(rate)
                + "; alert at " + percent(config.failureRateCritical()) + " over at least " + config.failureRateMinAttempts()
                + " attempts, alerts.failureRateCritical).",
            new JsonObject().put("failed", h.failed()).put("finished", h.finished()).put("rate", Math.round(rate * 1000) / 1000.0)
                .put("windowMinutes", 60).put("threshold", config.failureRateCritical())
                .put("minAttempts", config.failureRateMinAttempts())));
      }
      if (h.credentials() > 0) {
        String how = h.credentialStatuses().isEmpty() ? "refused Herald's login"
            : "answered HTTP " + String.join("/", h.credentialStatuses().stream().map(String::valueOf).toList());
        out.add(new Finding(CREDENTIALS, ch, "critical", ch + ": the provider refused Herald's credentials or subscription",
            "The " + ch + " provider " + how + " to " + count(h.credentials(), "attempt") + " in the last hour: it rejected Herald's "
                + "credentials, or the subscription expired. Check channels." + ch + "; those deliveries are dead.",
            new JsonObject().put("attempts", h.credentials()).put("httpStatuses", new JsonArray(new ArrayList<>(h.credentialStatuses())))
                .put("windowMinutes", 60)));
      }
      if (h.overdue() > 0 && h.oldestDueSince() != null) {
        Duration age = Duration.between(h.oldestDueSince().toInstant(), now);
        out.add(new Finding(BACKLOG, ch, "warning", ch + ": deliveries waiting for " + duration(age),
            count(h.overdue(), ch + " delivery", ch + " deliveries") + (h.overdue() == 1 ? " has" : " have") + " been due for more than "
                + duration(Duration.ofMinutes(config.backlogMinutes()))
                + ", the oldest for " + duration(age) + "; " + h.due() + " due in all (alert after "
                + config.backlogMinutes() + " min, alerts.backlogMinutes).",
            new JsonObject().put("overdue", h.overdue()).put("due", h.due()).put("oldestMinutes", age.toMinutes())
                .put("thresholdMinutes", config.backlogMinutes())));
      }
    }
    return out;
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
