package io.herald.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import java.util.ArrayList;
import java.util.List;

/**
 * The receive-only side of {@code bench fanout}: waits for the first notification frame (the
 * sender runs in another process), skips the warm-up, then samples deliveries per second for
 * the duration, or until three silent seconds show that the sender has stopped.
 */
final class FanoutReceiver {
  static final long FIRST_FRAME_WAIT_MS = 600_000;

  private FanoutReceiver() {
  }

  static Future<Report> receive(Loops loops, FanoutBench.Params p, FanoutBench.Counts counts, Report report) {
    RateSampler sampler = counts.notifications;
    sampler.start();
    Progress.say("fanout: receiving; start the sender now (waiting up to " + FIRST_FRAME_WAIT_MS / 1000 + " s for the first frame)");
    Promise<Report> done = Promise.promise();
    long start = System.currentTimeMillis();
    long[] firstSeen = {0};
    long[] lastTotal = {0};
    int[] silent = {0};
    loops.vertx().setPeriodic(1000, id -> {
      long now = System.currentTimeMillis();
      long total = sampler.total();
      silent[0] = total == lastTotal[0] ? silent[0] + 1 : 0;
      lastTotal[0] = total;
      boolean finished;
      if (firstSeen[0] == 0) {
        if (total > 0) {
          firstSeen[0] = now;
        }
        finished = total == 0 && now - start > FIRST_FRAME_WAIT_MS;
      } else {
        long since = now - firstSeen[0];
        sampler.measuring(since >= p.warmup().toMillis() && since < p.warmup().toMillis() + p.duration().toMillis());
        finished = since >= p.warmup().toMillis() + p.duration().toMillis() || silent[0] >= 3;
        Progress.say(String.format("[receive] %.0f deliveries/s (last second), %d received", sampler.latest(), total));
      }
      if (finished) {
        loops.vertx().cancelTimer(id);
        sampler.stop();
        deliveries(report, counts, sampler.samples());
        done.complete(report);
      }
    });
    return done.future();
  }

  /** Adds the delivery figures; trailing silent samples (sender already stopped) are left out of the median. */
  static void deliveries(Report report, FanoutBench.Counts counts, List<Double> samples) {
    List<Double> kept = new ArrayList<>(samples);
    while (!kept.isEmpty() && kept.get(kept.size() - 1) < 1) {
      kept.remove(kept.size() - 1);
    }
    JsonArray perSecond = new JsonArray();
    kept.forEach(s -> perSecond.add(Math.round(s)));
    report.value("deliveries/s (median of 1 s samples)", "deliveries_per_s", RateSampler.median(kept), "")
        .value("deliveries/s min", "deliveries_per_s_min", kept.stream().mapToDouble(Double::doubleValue).min().orElse(0), "")
        .value("deliveries/s max", "deliveries_per_s_max", kept.stream().mapToDouble(Double::doubleValue).max().orElse(0), "")
        .text("per-second samples", null, perSecond.encode())
        .value("notification frames received", "notification_frames", counts.notifications.total(), "")
        .value("unread frames received", "unread_frames", counts.unread.sum(), "")
        .tally("other frames", "other_frames", counts.other);
    report.json().put("deliveries_samples", perSecond);
  }
}
