package io.herald.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LatencyRecorderTest {
  // Percentiles are never below the exact value and at most 1/64 above it; the maximum is exact.
  @Test
  void percentilesAreWithinTheBucketPrecision() {
    Random random = new Random(42);
    long[] values = new long[100_000];
    LatencyRecorder recorder = new LatencyRecorder();
    for (int i = 0; i < values.length; i++) {
      values[i] = (long) Math.exp(random.nextDouble() * 20); // 1 ns .. ~0.5 s, log-spread
      recorder.record(values[i]);
    }
    Arrays.sort(values);
    for (double p : new double[] {50, 90, 99, 99.9}) {
      long exact = values[(int) Math.ceil(p / 100 * values.length) - 1];
      long reported = recorder.percentileNanos(p);
      assertTrue(reported >= exact && reported <= exact + exact / 64 + 1, "p" + p + ": exact " + exact + ", reported " + reported);
    }
    assertEquals(values[values.length - 1], recorder.maxNanos());
    assertEquals(values.length, recorder.count());
  }

  // An empty recorder reports zeros rather than failing.
  @Test
  void emptyRecorderReportsZero() {
    LatencyRecorder recorder = new LatencyRecorder();
    assertEquals(0, recorder.percentileNanos(99));
    assertEquals(0, recorder.maxNanos());
  }
}
