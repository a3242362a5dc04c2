package io.herald.retry;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * When a failed delivery is tried again. After attempt {@code n} fails, the wait is step
 * {@code n} of the list (the last step repeating), spread by up to {@value #JITTER} either way so
 * deliveries that failed together do not all come back at the same instant, and never more than
 * {@link #CAP}. A provider's {@code Retry-After} replaces the step: the wait is exactly what it
 * asked for (at least a second, at most the cap).
 */
public final class Backoff {
  public static final Duration CAP = Duration.ofHours(24);
  static final double JITTER = 0.1;

  private final List<Duration> steps;
  private final Clock clock;
  private final DoubleSupplier random;

  public Backoff(List<Duration> steps, Clock clock, DoubleSupplier random) {
    if (steps.isEmpty()) {
      throw new IllegalArgumentException("a backoff needs at least one step");
    }
    this.steps = List.copyOf(steps);
    this.clock = clock;
    this.random = random;
  }

  public Backoff(List<Duration> steps) {
    this(steps, Clock.systemUTC(), Math::random);
  }

  /** The wait after attempt {@code attemptsDone} (1 for the first) failed; {@code retryAfter} may be null. */
  public Duration delay(int attemptsDone, Duration retryAfter) {
    if (retryAfter != null) {
      return clamp(retryAfter.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : retryAfter);
    }
    Duration step = steps.get(Math.min(Math.max(attemptsDone, 1), steps.size()) - 1);
    double spread = 1 + JITTER * (2 * random.getAsDouble() - 1);
    return clamp(Duration.ofMillis(Math.max(1, Math.round(step.toMillis() * spread))));
  }

  /** When the next attempt is due, from the injected clock. */
  public Instant next(int attemptsDone, Duration retryAfter) {
    return clock.instant().plus(delay(attemptsDone, retryAfter));
  }

  private static Duration clamp(Duration d) {
    return d.compareTo(CAP) > 0 ? CAP : d;
  }
}
