package io.herald.bench;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Turns a stream of events into per-second rate samples. Events are counted from any thread;
 * once a second a timer reads and resets the counter and divides by the real elapsed time, so a
 * late timer does not skew a sample. Samples taken while not {@link #measuring} are dropped.
 */
public final class RateSampler {
  private final Vertx vertx;
  private final AtomicLong pending = new AtomicLong();
  private final AtomicLong total = new AtomicLong();
  private final List<Double> samples = new ArrayList<>();
  private volatile boolean measuring;
  private long timer = -1;
  private long last;

  public RateSampler(Vertx vertx) {
    this.vertx = vertx;
  }

  public void add(long n) {
    pending.addAndGet(n);
    total.addAndGet(n);
  }

  public long total() {
    return total.get();
  }

  public void start() {
    last = System.nanoTime();
    timer = vertx.setPeriodic(1000, id -> sample());
  }

  public void measuring(boolean on) {
    measuring = on;
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  private void sample() {
    long now = System.nanoTime();
    long n = pending.getAndSet(0);
    double rate = n * 1e9 / (now - last);
    last = now;
    if (measuring) {
      synchronized (samples) {
        samples.add(rate);
      }
    }
  }

  /** The per-second samples taken while measuring, in order. */
  public List<Double> samples() {
    synchronized (samples) {
      return List.copyOf(samples);
    }
  }

  /** The last sample (0 when none yet), for progress lines. */
  public double latest() {
    synchronized (samples) {
      return samples.isEmpty() ? 0 : samples.get(samples.size() - 1);
    }
  }

  public static double median(List<Double> values) {
    if (values.isEmpty()) {
      return 0;
    }
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int mid = sorted.size() / 2;
    return sorted.size() % 2 == 1 ? sorted.get(mid) : (sorted.get(mid - 1) + sorted.get(mid)) / 2;
  }
}
