package io.herald.bench;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A lock-free log-linear histogram of durations in nanoseconds, safe to record into from every
 * event loop at once. Values below 128 ns are exact; above, each power of two is split into 64
 * buckets, so a reported percentile is at most 1/64 (1.6 %) above the true value, never below.
 * The maximum is exact.
 */
public final class LatencyRecorder {
  private static final int LINEAR = 128;
  private static final int SUB = 64;
  private static final int SIZE = LINEAR + (63 - 7) * SUB;

  private final AtomicLongArray buckets = new AtomicLongArray(SIZE);
  private final AtomicLong count = new AtomicLong();
  private final AtomicLong max = new AtomicLong();

  public void record(long nanos) {
    long v = Math.max(0, nanos);
    buckets.incrementAndGet(index(v));
    count.incrementAndGet();
    max.accumulateAndGet(v, Math::max);
  }

  public long count() {
    return count.get();
  }

  public long maxNanos() {
    return max.get();
  }

  /** The smallest bucket bound at or above the {@code percent}-th percentile (0 when empty). */
  public long percentileNanos(double percent) {
    long total = count.get();
    if (total == 0) {
      return 0;
    }
    long rank = Math.max(1, (long) Math.ceil(percent / 100.0 * total));
    long seen = 0;
    for (int i = 0; i < SIZE; i++) {
      seen += buckets.get(i);
      if (seen >= rank) {
        return Math.min(upperBound(i), max.get());
      }
    }
    return max.get();
  }

  static int index(long v) {
    if (v < LINEAR) {
      return (int) v;
    }
    int msb = 63 - Long.numberOfLeadingZeros(v);
    int top = (int) (v >>> (msb - 6));
    return LINEAR + (msb - 7) * SUB + (top - SUB);
  }

  static long upperBound(int index) {
    if (index < LINEAR) {
      return index;
    }
    int k = index - LINEAR;
    int msb = k / SUB + 7;
    long top = k % SUB + SUB;
    return ((top + 1) << (msb - 6)) - 1;
  }
}
