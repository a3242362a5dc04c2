package io.herald.retry;

import io.herald.config.HeraldConfig;
import io.herald.delivery.Dispatch;
import io.herald.store.DeliveryStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every {@code retry.scanIntervalSeconds} (and once at start, so a restarted node picks up at
 * once what a crash left behind): cancels waiting deliveries whose notification expired, takes
 * back sends whose lease ran out, then re-queues due deliveries, critical first, in batches,
 * and hands each to its channel's worker. Rows are taken with {@code FOR UPDATE SKIP LOCKED} and
 * pushed {@code pendingGraceSeconds} into the future as they are re-queued, so scanners on several
 * nodes never dispatch the same row twice, and a dispatch that is lost is found again.
 */
public final class RetryScannerVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(RetryScannerVerticle.class);
  static final int BATCH = 2000;
  static final int PRIORITIES = 4;

  private final HeraldConfig.Retry retry;
  private final DeliveryStore store;
  private boolean running;
  private boolean failing;

  /** What one scan did. */
  public record Scan(int expired, int abandoned, int requeued) {
    Scan plus(Scan o) {
      return new Scan(expired + o.expired, abandoned + o.abandoned, requeued + o.requeued);
    }
  }

  public RetryScannerVerticle(HeraldConfig.Retry retry, DeliveryStore store) {
    this.retry = retry;
    this.store = store;
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(1, retry.scanIntervalSeconds() * 1000L, id -> tick());
    return Future.succeededFuture();
  }

  private void tick() {
    if (running) {
      return;
    }
    running = true;
    scan().onComplete(result -> {
      running = false;
      if (result.failed()) {
        if (!failing) {
          failing = true;
          log.warn("retry scan failed, trying again every {} s: {}", retry.scanIntervalSeconds(), result.cause().getMessage());
        }
        return;
      }
      if (failing) {
        failing = false;
        log.info("retry scan is running again");
      }
      Scan s = result.result();
      if (s.expired() + s.abandoned() + s.requeued() > 0) {
        log.info("retry scan: {} re-queued ({} of them abandoned by a stopped worker), {} cancelled as expired",
            s.requeued() + s.abandoned(), s.abandoned(), s.expired());
      }
    });
  }

  /** One full scan; public for tests and the benchmark. */
  public Future<Scan> scan() {
    return expire(new Scan(0, 0, 0))
        .compose(this::abandoned)
        .compose(s -> due(0, s));
  }

  private Future<Scan> expire(Scan so) {
    return store.cancelExpired(BATCH).compose(n -> {
      Scan s = so.plus(new Scan(n, 0, 0));
      return n == BATCH ? expire(s) : Future.succeededFuture(s);
    });
  }

  private Future<Scan> abandoned(Scan so) {
    return store.reclaimAbandoned(BATCH, retry.pendingGraceSeconds()).compose(rows -> {
      dispatch(rows);
      Scan s = so.plus(new Scan(0, rows.size(), 0));
      return rows.size() == BATCH ? abandoned(s) : Future.succeededFuture(s);
    });
  }

  private Future<Scan> due(int priority, Scan so) {
    if (priority == PRIORITIES) {
      return Future.succeededFuture(so);
    }
    return store.requeueDue(priority, BATCH, retry.pendingGraceSeconds()).compose(rows -> {
      dispatch(rows);
      Scan s = so.plus(new Scan(0, 0, rows.size()));
      return rows.size() == BATCH ? due(priority, s) : due(priority + 1, s);
    });
  }

  private void dispatch(List<Dispatch> rows) {
    rows.forEach(d -> d.send(vertx.eventBus()));
  }
}
