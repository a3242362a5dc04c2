package io.herald.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.config.ConfigLoader;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The retry schedule, with a fixed clock and a chosen jitter. */
class BackoffTest {
  static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  static final List<Duration> DEFAULT = ConfigLoader.fromJson(new JsonObject()).retry().backoff();

  private static Backoff exact(List<Duration> steps) {
    return new Backoff(steps, CLOCK, () -> 0.5); // 0.5 = no jitter
  }

  @Test
  void theDefaultScheduleDoublesFromHalfAnHourAndTheLastStepRepeats() {
    Backoff b = exact(DEFAULT);
    List<Duration> expected = List.of(Duration.ofMinutes(30), Duration.ofHours(1), Duration.ofHours(2), Duration.ofHours(4),
        Duration.ofHours(8), Duration.ofHours(16), Duration.ofHours(24), Duration.ofHours(24), Duration.ofHours(24));
    for (int attempt = 1; attempt <= expected.size(); attempt++) {
      assertEquals(expected.get(attempt - 1), b.delay(attempt, null), "after attempt " + attempt);
    }
    assertEquals(NOW.plus(Duration.ofMinutes(30)), b.next(1, null));
  }

  @Test
  void jitterStaysWithinTenPercentEitherWay() {
    assertEquals(Duration.ofMinutes(27), new Backoff(DEFAULT, CLOCK, () -> 0.0).delay(1, null));
    assertEquals(Duration.ofMinutes(33), new Backoff(DEFAULT, CLOCK, () -> 1.0).delay(1, null));
    Backoff random = new Backoff(DEFAULT, CLOCK, Math::random);
    for (int i = 0; i < 1000; i++) {
      long ms = random.delay(2, null).toMillis();
      assertTrue(ms >= 54 * 60_000 && ms <= 66 * 60_000, ms + " ms");
    }
  }

  @Test
  void nothingWaitsLongerThanADay() {
    Backoff b = new Backoff(List.of(Duration.ofDays(3)), CLOCK, () -> 1.0);
    assertEquals(Backoff.CAP, b.delay(1, null));
    assertEquals(Backoff.CAP, b.delay(1, Duration.ofDays(7)), "even when a provider asks for a week");
  }

  @Test
  void retryAfterReplacesTheStep() {
    Backoff b = exact(DEFAULT);
    assertEquals(Duration.ofSeconds(120), b.delay(1, Duration.ofSeconds(120)));
    assertEquals(Duration.ofSeconds(1), b.delay(5, Duration.ZERO), "at least a second, even for Retry-After: 0");
    assertEquals(NOW.plusSeconds(120), b.next(3, Duration.ofSeconds(120)));
  }

  @Test
  void aShortListRepeatsItsLastStepAndAnEmptyOneIsRefused() {
    Backoff b = exact(List.of(Duration.ofSeconds(1), Duration.ofSeconds(5)));
    assertEquals(Duration.ofSeconds(1), b.delay(1, null));
    assertEquals(Duration.ofSeconds(5), b.delay(2, null));
    assertEquals(Duration.ofSeconds(5), b.delay(9, null));
    assertThrows(IllegalArgumentException.class, () -> exact(List.of()));
  }
}
