package io.herald.delivery;

/**
 * A channel's {@code ratePerSecond}: at most that many sends start per second, with a burst of
 * {@code min(rate, concurrency)}. A rate of 0 or less means no limit. Not thread-safe: one worker's
 * event loop uses it.
 */
final class TokenBucket {
  private final double rate;
  private final double burst;
  private double tokens;
  private long refilledAt;

  TokenBucket(double rate, int concurrency, long nanoTime) {
    this.rate = rate;
    this.burst = Math.max(1, Math.min(rate, concurrency));
    this.tokens = burst;
    this.refilledAt = nanoTime;
  }

  /** How many of {@code wanted} sends may start now; those are taken. */
  int take(int wanted, long nanoTime) {
    if (rate <= 0 || wanted <= 0) {
      return wanted;
    }
    tokens = Math.min(burst, tokens + (nanoTime - refilledAt) / 1e9 * rate);
    refilledAt = nanoTime;
    int n = Math.min(wanted, (int) tokens);
    tokens -= n;
    return n;
  }

  /** Gives back tokens taken for sends that did not start. */
  void giveBack(int unused) {
    if (rate > 0 && unused > 0) {
      tokens = Math.min(burst, tokens + unused);
    }
  }

  /** Milliseconds until the next send may start (at least 1), after {@link #take} returned 0. */
  long millisToNext() {
    return Math.max(1, (long) Math.ceil((1 - tokens) / rate * 1000));
  }
}
