package io.herald.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Unit tests of {@link Cron}: every field form, the day rule, DST, and bad expressions with clear messages. */
class CronTest {
  static final ZoneId UTC = ZoneOffset.UTC;
  static final ZoneId PARIS = ZoneId.of("Europe/Paris");

  /** The next {@code n} fire times after {@code after} (local time in {@code zone}), as local date-times with offsets. */
  static List<String> next(String expression, String after, ZoneId zone, int n) {
    Cron cron = Cron.parse(expression);
    Instant t = LocalDateTime.parse(after).atZone(zone).toInstant();
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      t = cron.next(t, zone);
      out.add(ZonedDateTime.ofInstant(t, zone).toOffsetDateTime().toString());
    }
    return out;
  }

  @Test
  void everyMinuteFiresAtTheNextWholeMinute() {
    assertEquals(List.of("2025-01-06T10:01Z", "2025-01-06T10:02Z"), next("* * * * *", "2025-01-06T10:00:30", UTC, 2));
    assertEquals(List.of("2025-01-06T10:01Z"), next("* * * * *", "2025-01-06T10:00", UTC, 1), "strictly after");
  }

  @Test
  void dailyAtAFixedTime() {
    assertEquals(List.of("2025-01-06T03:17Z", "2025-01-07T03:17Z", "2025-01-08T03:17Z"), next("17 3 * * *", "2025-01-06T03:16:59", UTC, 3));
    assertEquals(List.of("2025-01-07T03:17Z"), next("17 3 * * *", "2025-01-06T03:17", UTC, 1));
  }

  @Test
  void listsRangesAndSteps() {
    // minutes 0 and 30, hours 9 to 17 every 2 (9, 11, 13, 15, 17), Monday to Friday
    assertEquals(List.of("2025-01-10T17:00Z", "2025-01-10T17:30Z", "2025-01-13T09:00Z"), next("0,30 9-17/2 * * mon-fri",
        "2025-01-10T15:45", UTC, 3));
    assertEquals(List.of("2025-01-06T10:00Z", "2025-01-06T10:15Z", "2025-01-06T10:30Z", "2025-01-06T10:45Z", "2025-01-06T11:00Z"),
        next("*/15 * * * *", "2025-01-06T09:59", UTC, 5));
    assertEquals(List.of("2025-01-06T10:05Z", "2025-01-06T10:25Z", "2025-01-06T10:45Z", "2025-01-06T11:05Z"),
        next("5-59/20 * * * *", "2025-01-06T10:00", UTC, 4));
    assertEquals(List.of("2025-01-06T10:07Z", "2025-01-06T10:10Z", "2025-01-06T10:12Z", "2025-01-06T10:20Z"),
        next("7,10-12/2,20 * * * *", "2025-01-06T10:00", UTC, 4));
  }

  @Test
  void monthAndDayNamesAndSundayAsZeroOrSeven() {
    assertEquals(next("0 0 1 3,6 *", "2025-01-01T00:00", UTC, 3), next("0 0 1 MAR,jun *", "2025-01-01T00:00", UTC, 3));
    assertEquals(List.of("2025-03-01T00:00Z", "2025-06-01T00:00Z", "2026-03-01T00:00Z"), next("0 0 1 mar,jun *", "2025-01-01T00:00", UTC, 3));
    // 2025-01-05 and 2025-01-12 are Sundays
    List<String> sundays = List.of("2025-01-05T12:00Z", "2025-01-12T12:00Z");
    assertEquals(sundays, next("0 12 * * 0", "2025-01-01T00:00", UTC, 2));
    assertEquals(sundays, next("0 12 * * 7", "2025-01-01T00:00", UTC, 2));
    assertEquals(sundays, next("0 12 * * sun", "2025-01-01T00:00", UTC, 2));
    assertEquals(List.of("2025-01-03T12:00Z", "2025-01-04T12:00Z", "2025-01-05T12:00Z", "2025-01-10T12:00Z"),
        next("0 12 * * fri-7", "2025-01-01T00:00", UTC, 4), "Friday to Sunday, 7 as the end of a range");
  }

  @Test
  void bothDayFieldsRestrictedMeansEither() {
    // the 13th, or any Friday: 2025-06-06 and 06-13 are Fridays, 06-13 once only
    assertEquals(List.of("2025-06-06T00:00Z", "2025-06-13T00:00Z", "2025-06-20T00:00Z", "2025-06-27T00:00Z", "2025-07-04T00:00Z",
        "2025-07-11T00:00Z", "2025-07-13T00:00Z"), next("0 0 13 * fri", "2025-06-01T00:00", UTC, 7));
    // only the day of month restricted: that day alone
    assertEquals(List.of("2025-06-13T00:00Z", "2025-07-13T00:00Z"), next("0 0 13 * *", "2025-06-01T00:00", UTC, 2));
    // a day field starting with * counts as unrestricted: odd days that are Mondays (2025-06-09, 06-23, 07-07)
    assertEquals(List.of("2025-06-09T00:00Z", "2025-06-23T00:00Z", "2025-07-07T00:00Z"), next("0 0 */2 * mon", "2025-06-01T00:00", UTC, 3));
  }

  @Test
  void aLeapDayIsFoundYearsAhead() {
    assertEquals(List.of("2028-02-29T00:00Z", "2032-02-29T00:00Z"), next("0 0 29 feb *", "2025-03-01T00:00", UTC, 2));
    assertEquals(List.of("2104-02-29T00:00Z"), next("0 0 29 2 *", "2096-03-01T00:00", UTC, 1), "2100 is no leap year");
  }

  @Test
  void shorthands() {
    assertEquals(next("0 0 * * *", "2025-01-06T10:00", UTC, 2), next("@daily", "2025-01-06T10:00", UTC, 2));
    assertEquals(List.of("2025-01-12T00:00Z"), next("@weekly", "2025-01-06T10:00", UTC, 1));
    assertEquals(List.of("2025-02-01T00:00Z"), next("@monthly", "2025-01-06T10:00", UTC, 1));
    assertEquals(List.of("2025-01-06T11:00Z"), next("@hourly", "2025-01-06T10:00", UTC, 1));
    assertEquals(List.of("2026-01-01T00:00Z"), next("@yearly", "2025-01-06T10:00", UTC, 1));
  }

  @Test
  void aFixedTimeSkippedByDstFiresAtTheFirstMinuteAfterTheChange() {
    // Paris, 2025-03-30: 02:00 CET becomes 03:00 CEST; 02:30 does not exist that night
    assertEquals(List.of("2025-03-29T02:30+01:00", "2025-03-30T03:00+02:00", "2025-03-31T02:30+02:00"),
        next("30 2 * * *", "2025-03-29T00:00", PARIS, 3));
    // several skipped times of a fixed-time expression fire once together, then the schedule goes on
    assertEquals(List.of("2025-03-30T01:45+01:00", "2025-03-30T03:00+02:00", "2025-03-30T03:15+02:00"),
        next("0,15,30,45 1-3 * * *", "2025-03-30T01:30", PARIS, 3));
  }

  @Test
  void aWildcardExpressionSkipsTheTimesDstSkips() {
    // Vixie cron: a wildcard job follows the clock as it is; 02:30 never comes, so it does not fire
    assertEquals(List.of("2025-03-30T01:30+01:00", "2025-03-30T03:30+02:00", "2025-03-30T04:30+02:00"),
        next("30 * * * *", "2025-03-30T01:00", PARIS, 3));
    assertEquals(List.of("2025-03-30T01:00+01:00", "2025-03-30T03:00+02:00"), next("@hourly", "2025-03-30T00:30", PARIS, 2),
        "hourly: every real hour");
    assertEquals(List.of("2025-03-30T01:30+01:00", "2025-03-30T03:00+02:00", "2025-03-30T03:30+02:00"),
        next("*/30 * * * *", "2025-03-30T01:00", PARIS, 3));
    // a wildcard minute in the skipped hour: nothing that night
    assertEquals(List.of("2025-03-29T02:45+01:00", "2025-03-31T02:00+02:00"), next("*/15 2 * * *", "2025-03-29T02:30", PARIS, 2));
  }

  @Test
  void aFixedTimeRepeatedByDstFiresOnce() {
    // Paris, 2025-10-26: 03:00 CEST goes back to 02:00 CET; 02:30 comes twice and fires the first time only
    assertEquals(List.of("2025-10-26T02:30+02:00", "2025-10-27T02:30+01:00"), next("30 2 * * *", "2025-10-26T00:00", PARIS, 2));
    // asked during the second pass: the repeated time is not fired again
    Instant secondPass = Instant.parse("2025-10-26T01:10:00Z"); // 02:10 CET
    assertEquals(Instant.parse("2025-10-27T01:30:00Z"), Cron.parse("30 2 * * *").next(secondPass, PARIS));
  }

  @Test
  void aWildcardExpressionFiresInBothPassesOfARepeatedHour() {
    // Vixie cron: an hourly job runs every real hour, the repeated 02:00 included
    assertEquals(List.of("2025-10-26T02:00+02:00", "2025-10-26T02:00+01:00", "2025-10-26T03:00+01:00"),
        next("0 * * * *", "2025-10-26T01:30", PARIS, 3));
    // asked late in the first pass: the second pass's earlier wall-clock times are still to come
    assertEquals(List.of("2025-10-26T02:50+02:00", "2025-10-26T02:00+01:00", "2025-10-26T02:10+01:00"),
        next("*/10 * * * *", "2025-10-26T02:40", PARIS, 3));
    // asked during the second pass: it goes on from there
    assertEquals(Instant.parse("2025-10-26T01:20:00Z"), Cron.parse("*/20 * * * *").next(Instant.parse("2025-10-26T01:10:00Z"), PARIS));
    assertEquals(Instant.parse("2025-10-26T02:00:00Z"), Cron.parse("@hourly").next(Instant.parse("2025-10-26T01:10:00Z"), PARIS));
    // a wildcard minute in the repeated hour: both passes
    assertEquals(List.of("2025-10-26T02:00+02:00", "2025-10-26T02:30+02:00", "2025-10-26T02:00+01:00", "2025-10-26T02:30+01:00",
        "2025-10-27T02:00+01:00"), next("*/30 2 * * *", "2025-10-26T00:00", PARIS, 5));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "''|is empty",
      "* * * *|has 4 fields; expected five: minute hour day-of-month month day-of-week",
      "* * * * * *|has 6 fields",
      "60 * * * *|minute field '60': 60 is out of range 0-59",
      "* 24 * * *|hour field '24': 24 is out of range 0-23",
      "* * 0 * *|day of month field '0': 0 is out of range 1-31",
      "* * * 13 *|month field '13': 13 is out of range 1-12",
      "* * * * 8|day of week field '8': 8 is out of range 0-7",
      "*/0 * * * *|minute field '*/0': step 0 must be at least 1",
      "5/10 * * * *|minute field '5/10': a step needs * or a range before it (write 5-59/10)",
      "30-10 * * * *|minute field '30-10': range 30-10 goes backwards",
      "1,,2 * * * *|minute field '1,,2': has an empty list item",
      "a * * * *|minute field 'a': 'a' is not a value",
      "* * * foo *|month field 'foo': 'foo' is not a value (a number 1-12 or jan..dec)",
      "* * * * funday|day of week field 'funday': 'funday' is not a value (a number 0-7 or sun..sat)",
      "-5 * * * *|minute field '-5': '-5' is not a value",
      "0 0 30 feb *|day of month 30 never falls in the chosen month(s): it would never fire",
      "0 0 31 4,6,9,11 *|day of month 31 never falls in the chosen month(s)",
      "@sometimes|unknown shorthand '@sometimes'"})
  void badExpressionsSayWhatIsWrong(String expression, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cron.parse(expression));
    assertTrue(e.getMessage().startsWith(message), e.getMessage());
  }

  @Test
  void aBadExpressionInTheConfigurationNamesTheKey() {
    // start-up stops with the key, the expression and what is wrong with it
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.fromJson(new JsonObject().put("jobs",
        new JsonObject().put("retention", new JsonObject().put("cron", "17 25 * * *")))));
    assertEquals("jobs.retention.cron: '17 25 * * *' is not a cron expression: hour field '25': 25 is out of range 0-23", e.getMessage());
    ConfigException zone = assertThrows(ConfigException.class, () -> ConfigLoader.fromJson(new JsonObject().put("jobs",
        new JsonObject().put("timeZone", "Mars/Olympus"))));
    assertEquals("jobs.timeZone", zone.key());
    ConfigException batch = assertThrows(ConfigException.class, () -> ConfigLoader.fromJson(new JsonObject().put("jobs",
        new JsonObject().put("retention", new JsonObject().put("batchSize", 0)))));
    assertEquals("jobs.retention.batchSize: must be between 1 and 100000, got 0", batch.getMessage());
  }
}
