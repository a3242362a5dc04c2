package io.herald.ops;

import io.herald.store.StatsStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Clock;
import java.time.OffsetDateTime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the delivery queue's depth and oldest due delivery from the database every
 * {@code metrics.queueIntervalSeconds} for the {@link Meters.Queue} gauges, so a scrape never waits
 * on a query and a burst of scrapes costs the database nothing. Every node reads the same
 * cluster-wide figures: the queue counted by channel and status, and each channel's oldest due
 * delivery, an index lookup per channel however long the backlog.
 */
public final class QueueGaugeVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(QueueGaugeVerticle.class);

  private final StatsStore store;
  private final Meters.Queue gauges;
  private final int intervalSeconds;
  private final Clock clock;
  private boolean reading;
  private boolean failing;

  public QueueGaugeVerticle(StatsStore store, Meters.Queue gauges, int intervalSeconds, Clock clock) {
    this.store = store;
    this.gauges = gauges;
    this.intervalSeconds = intervalSeconds;
    this.clock = clock;
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(0, intervalSeconds * 1000L, id -> read());
    return Future.succeededFuture();
  }

  private void read() {
    if (reading) {
      return; // the last read is still running: the database is slow, do not pile up
    }
    reading = true;
    store.depth(OffsetDateTime.now(clock)).onComplete(result -> {
      reading = false;
      if (result.succeeded()) {
        gauges.update(result.result().counts(), result.result().oldestSeconds());
        if (failing) {
          failing = false;
          log.info("queue gauges are read again");
        }
      } else {
        gauges.unknown();
        if (!failing) {
          failing = true;
          log.warn("could not read the queue gauges (they show NaN until the next read works): {}", result.cause().getMessage());
        }
      }
    });
  }
}
