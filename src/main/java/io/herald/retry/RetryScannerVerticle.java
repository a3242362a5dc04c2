package io.herald.retry;

import io.herald.config.HeraldConfig;
import io.herald.store.DeliveryStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
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
  private final HeraldConfig.Retry retry;
  private final DeliveryStore store;
  private boolean running;
  private boolean failing;

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
    new RetryScan(store, retry, vertx.eventBus()).run().onComplete(result -> {
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
      RetryScan.Result s = result.result();
      if (s.expired() + s.abandoned() + s.requeued() > 0) {
        log.atInfo().addKeyValue("requeued", s.requeued() + s.abandoned()).addKeyValue("abandoned", s.abandoned())
            .addKeyValue("expired", s.expired())
            .log("retry scan: {} re-queued ({} of them abandoned by a stopped worker), {} cancelled as expired",
            s.requeued() + s.abandoned(), s.abandoned(), s.expired());
      }
    });
  }

}
