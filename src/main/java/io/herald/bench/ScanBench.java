package io.herald.bench;

import io.herald.config.HeraldConfig;
import io.herald.retry.RetryScan;
import io.herald.store.BenchSeed;
import io.herald.store.Db;
import io.herald.store.DeliveryStore;
import io.herald.store.Migrations;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code bench scan}: the retry scanner alone. Seeds {@code count} failed deliveries that are
 * already due (with their notifications) in the configured schema, times one
 * {@link RetryScan#run()} with nothing consuming its dispatches, checks that every seeded row is
 * pending again, and removes the rows. Needs the database, not a running gateway (a gateway on the
 * same schema would scan the rows too).
 */
public final class ScanBench {
  public record Params(HeraldConfig.Postgres postgres, HeraldConfig.Retry retry, int count) {
    JsonObject toJson() {
      return new JsonObject().put("schema", postgres.schema()).put("count", count).put("pool", postgres.poolSize());
    }
  }

  private ScanBench() {
  }

  public static Future<Report> run(Loops loops, Params p) {
    Pool pool = Db.pool(loops.vertx(), p.postgres());
    BenchSeed seed = new BenchSeed(pool);
    String prefix = "bench-scan-" + ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE) + "-";
    Report report = new Report("scan", p.toJson()).text("schema", null, p.postgres().schema());
    long[] times = new long[3];
    RetryScan.Result[] result = new RetryScan.Result[1];
    return Migrations.apply(pool, p.postgres().schema())
        .compose(v -> {
          Progress.say("scan: seeding " + p.count() + " due failed deliveries");
          times[0] = System.nanoTime();
          return seed.dueFailures(prefix, p.count());
        })
        .compose(v -> {
          times[1] = System.nanoTime();
          Progress.say(String.format("scan: seeded in %.1f s; scanning", (times[1] - times[0]) / 1e9));
          return new RetryScan(new DeliveryStore(pool), p.retry(), loops.vertx().eventBus()).run();
        })
        .compose(r -> {
          times[2] = System.nanoTime();
          result[0] = r;
          return seed.counts(prefix);
        })
        .map(counts -> {
          double seconds = (times[2] - times[1]) / 1e9;
          RetryScan.Result r = result[0];
          return report
              .value("seeded (failed, due)", "seeded", counts.total(), "")
              .value("seeding took", "seed_seconds", (times[1] - times[0]) / 1e9, "s")
              .value("re-queued by the scan", "requeued", r.requeued(), "")
              .value("expired / abandoned taken back", "expired_abandoned", r.expired() + r.abandoned(), "")
              .value("scan took", "scan_seconds", seconds, "s")
              .value("rows re-queued/s", "rows_per_s", seconds > 0 ? r.requeued() / seconds : 0, "/s")
              .value("seeded rows now pending", "pending_after", counts.pending(), "")
              .text("all re-queued", "all_requeued", String.valueOf(counts.pending() == p.count() && counts.total() == p.count()));
        })
        .eventually(() -> seed.remove(prefix)
            .onSuccess(n -> Progress.say("scan: removed " + n + " seeded notifications and their deliveries"))
            .eventually(pool::close));
  }
}
