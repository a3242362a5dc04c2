package io.herald.config;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A five-field cron expression: minute, hour, day of month, month, day of week. Each field is
 * {@code *}, a value, a range {@code a-b}, a step {@code *}{@code /n} or {@code a-b/n}, or a
 * comma-separated list of those; months and days may be named ({@code jan}, {@code mon-fri}),
 * Sunday is 0 or 7. As in Vixie cron, when both day fields are restricted a day matching either
 * one fires; a day field starting with {@code *} counts as unrestricted. {@code @hourly},
 * {@code @daily}, {@code @weekly}, {@code @monthly} and {@code @yearly} are short for the usual.
 *
 * <p>Times are wall-clock times in a zone, and clock changes follow Vixie cron's rule. A
 * <em>fixed-time</em> expression (its minute and hour fields are values, ranges or lists, as in
 * {@code 30 2 * * *}) fires once for each time it names: a time a clock change skips fires at the
 * first minute after the change (02:30 on the night clocks go from 02:00 to 03:00 fires at 03:00),
 * a time a clock change repeats fires the first time it comes round only. A <em>wildcard</em>
 * expression (its minute or hour field starts with {@code *}, as in {@code 0 * * * *},
 * {@code *}{@code /15 * * * *} or {@code @hourly}) follows the clock as it is: skipped times do not
 * fire, and repeated ones fire in both passes, so an hourly job still runs every real hour.
 */
public final class Cron {
  private static final List<String> FIELDS = List.of("minute", "hour", "day of month", "month", "day of week");
  private static final int[] MIN = {0, 0, 1, 1, 0};
  private static final int[] MAX = {59, 23, 31, 12, 7};
  private static final List<String> MONTHS = List.of("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec");
  private static final List<String> DAYS = List.of("sun", "mon", "tue", "wed", "thu", "fri", "sat");
  private static final Map<String, String> MACROS = Map.of("@hourly", "0 * * * *", "@daily", "0 0 * * *", "@midnight", "0 0 * * *",
      "@weekly", "0 0 * * 0", "@monthly", "0 0 1 * *", "@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *");
  /** Longest wait between two fire times: Feb 29 can be eight years away (2096 to 2104). */
  private static final int SEARCH_YEARS = 9;

  private final String expression;
  private final BitSet minutes;
  private final BitSet hours;
  private final BitSet days;
  private final BitSet months;
  private final BitSet weekdays;
  private final boolean anyDay;
  private final boolean anyWeekday;
  /** Vixie's wildcard job: the minute or the hour field starts with {@code *}. */
  private final boolean wildcard;

  private Cron(String expression, BitSet[] fields, boolean anyDay, boolean anyWeekday, boolean wildcard) {
    this.expression = expression;
    this.minutes = fields[0];
    this.hours = fields[1];
    this.days = fields[2];
    this.months = fields[3];
    this.weekdays = fields[4];
    this.anyDay = anyDay;
    this.anyWeekday = anyWeekday;
    this.wildcard = wildcard;
  }

  /** Parses {@code expression}; an {@link IllegalArgumentException} says what is wrong and in which field. */
  public static Cron parse(String expression) {
    if (expression == null || expression.isBlank()) {
      throw new IllegalArgumentException("is empty; expected five fields: minute hour day-of-month month day-of-week");
    }
    String text = expression.trim();
    String fields = text.startsWith("@") ? MACROS.get(text.toLowerCase(Locale.ROOT)) : text;
    if (fields == null) {
      throw new IllegalArgumentException("unknown shorthand '" + text + "' (known: @hourly, @daily, @weekly, @monthly, @yearly)");
    }
    String[] parts = fields.split("\\s+");
    if (parts.length != 5) {
      throw new IllegalArgumentException("has " + parts.length + " field" + (parts.length == 1 ? "" : "s")
          + "; expected five: minute hour day-of-month month day-of-week");
    }
    BitSet[] sets = new BitSet[5];
    for (int i = 0; i < 5; i++) {
      sets[i] = field(i, parts[i].toLowerCase(Locale.ROOT));
    }
    if (sets[4].get(7)) {
      sets[4].set(0); // Sunday as 7
      sets[4].clear(7);
    }
    Cron cron = new Cron(text, sets, parts[2].startsWith("*"), parts[4].startsWith("*"), parts[0].startsWith("*") || parts[1].startsWith("*"));
    cron.checkPossible();
    return cron;
  }

  /** The first fire time strictly after {@code after}, on the wall clock of {@code zone}. */
  public Instant next(Instant after, ZoneId zone) {
    ZoneRules rules = zone.getRules();
    Instant found = onTheClock(after, rules);
    if (wildcard) {
      // the second pass of a repeated hour comes after the first in time but not on the clock: looked at apart
      Instant second = secondPass(rules.nextTransition(after));
      if (second != null && second.isBefore(found)) {
        return second;
      }
    }
    return found;
  }

  /** The first fire time after {@code after} found by walking the wall clock forward from {@code after}'s own wall-clock time. */
  private Instant onTheClock(Instant after, ZoneRules rules) {
    LocalDateTime t = LocalDateTime.ofInstant(after, rules.getOffset(after)).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
    int lastYear = t.getYear() + SEARCH_YEARS;
    while (t.getYear() <= lastYear) {
      if (!months.get(t.getMonthValue())) {
        t = t.toLocalDate().withDayOfMonth(1).plusMonths(1).atStartOfDay();
      } else if (!dayMatches(t.toLocalDate())) {
        t = t.toLocalDate().plusDays(1).atStartOfDay();
      } else if (!hours.get(t.getHour())) {
        int hour = hours.nextSetBit(t.getHour());
        t = hour < 0 ? t.toLocalDate().plusDays(1).atStartOfDay() : t.toLocalDate().atTime(hour, 0);
      } else if (!minutes.get(t.getMinute())) {
        int minute = minutes.nextSetBit(t.getMinute());
        t = minute < 0 ? t.truncatedTo(ChronoUnit.HOURS).plusHours(1) : t.withMinute(minute);
      } else {
        Instant at = instant(rules, t, after);
        if (at != null) {
          return at;
        }
        t = t.plusMinutes(1); // skipped, or a repeated time already behind us
      }
    }
    throw new IllegalStateException("cron '" + expression + "' has no fire time within " + SEARCH_YEARS + " years of " + after);
  }

  /**
   * When wall-clock time {@code t} fires, if after {@code after}: null when it does not. A time a
   * clock change skips fires at the change for a fixed-time expression, never for a wildcard one;
   * a repeated time fires in its first pass, and for a wildcard expression in its second as well.
   */
  private Instant instant(ZoneRules rules, LocalDateTime t, Instant after) {
    List<ZoneOffset> offsets = rules.getValidOffsets(t);
    if (offsets.isEmpty()) {
      Instant change = rules.getTransition(t).getInstant();
      return wildcard || !change.isAfter(after) ? null : change;
    }
    for (ZoneOffset offset : wildcard ? offsets : offsets.subList(0, 1)) {
      Instant at = t.toInstant(offset);
      if (at.isAfter(after)) {
        return at;
      }
    }
    return null;
  }

  /** A wildcard expression's first fire time in the second pass of the hour {@code change} repeats; null if none or no such change. */
  private Instant secondPass(ZoneOffsetTransition change) {
    if (change == null || !change.isOverlap()) {
      return null;
    }
    for (LocalDateTime t = change.getDateTimeAfter(); t.isBefore(change.getDateTimeBefore()); t = t.plusMinutes(1)) {
      if (months.get(t.getMonthValue()) && dayMatches(t.toLocalDate()) && hours.get(t.getHour()) && minutes.get(t.getMinute())) {
        return t.toInstant(change.getOffsetAfter());
      }
    }
    return null;
  }

  private boolean dayMatches(LocalDate date) {
    boolean day = days.get(date.getDayOfMonth());
    boolean weekday = weekdays.get(date.getDayOfWeek().getValue() % 7);
    return anyDay || anyWeekday ? day && weekday : day || weekday;
  }

  /** A day of month that no chosen month has (31 in February, April...) would never fire: refused at parse time. */
  private void checkPossible() {
    if (!anyWeekday && !anyDay) {
      return; // either field suffices: some weekday always comes
    }
    int[] lengths = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int m = months.nextSetBit(1); m >= 0; m = months.nextSetBit(m + 1)) {
      int first = days.nextSetBit(1);
      if (first >= 0 && first <= lengths[m]) {
        return;
      }
    }
    throw new IllegalArgumentException("day of month " + days.stream().mapToObj(Integer::toString).reduce((a, b) -> a + "," + b).orElse("")
        + " never falls in the chosen month(s): it would never fire");
  }

  private static BitSet field(int index, String text) {
    BitSet set = new BitSet(MAX[index] + 1);
    for (String item : text.split(",", -1)) {
      if (item.isEmpty()) {
        throw problem(index, text, "has an empty list item");
      }
      int step = 1;
      String range = item;
      int slash = item.indexOf('/');
      if (slash >= 0) {
        range = item.substring(0, slash);
        step = number(index, text, item.substring(slash + 1), "step");
        if (step < 1) {
          throw problem(index, text, "step " + step + " must be at least 1");
        }
        if (!range.equals("*") && !range.contains("-")) {
          throw problem(index, text, "a step needs * or a range before it (write " + range + "-" + MAX[index] + "/" + step + ")");
        }
      }
      int from;
      int to;
      if (range.equals("*")) {
        from = MIN[index];
        to = index == 4 ? 6 : MAX[index];
      } else {
        int dash = range.indexOf('-', 1);
        from = value(index, text, dash < 0 ? range : range.substring(0, dash));
        to = dash < 0 ? from : value(index, text, range.substring(dash + 1));
        if (to < from) {
          throw problem(index, text, "range " + range + " goes backwards");
        }
      }
      for (int v = from; v <= to; v += step) {
        set.set(v);
      }
    }
    return set;
  }

  private static int value(int index, String text, String token) {
    List<String> names = index == 3 ? MONTHS : index == 4 ? DAYS : List.of();
    int named = names.indexOf(token);
    if (named >= 0) {
      return index == 3 ? named + 1 : named;
    }
    int v = number(index, text, token, "value");
    if (v < MIN[index] || v > MAX[index]) {
      throw problem(index, text, v + " is out of range " + MIN[index] + "-" + MAX[index]);
    }
    return v;
  }

  private static int number(int index, String text, String token, String what) {
    if (!token.matches("\\d{1,4}")) {
      String hint = index == 3 ? " (a number 1-12 or jan..dec)" : index == 4 ? " (a number 0-7 or sun..sat)" : "";
      throw problem(index, text, "'" + token + "' is not a " + what + hint);
    }
    return Integer.parseInt(token);
  }

  private static IllegalArgumentException problem(int index, String text, String message) {
    return new IllegalArgumentException(FIELDS.get(index) + " field '" + text + "': " + message);
  }

  @Override
  public String toString() {
    return expression;
  }
}
