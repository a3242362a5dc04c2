package io.herald.ops;

import io.herald.fanout.Fanout;
import io.herald.fanout.PushMessage;
import io.herald.push.Frames;
import io.herald.store.Notification;
import io.herald.store.DeliveryStore;
import io.herald.store.NotificationWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Periodic jobs, once a second: notifications whose {@code sendAt} has come are moved into their
 * inboxes and pushed, and their external deliveries dispatched; users whose unread notifications
 * just expired get a fresh unread count. Runs on one node of a cluster at a time, the holder of
 * the {@code scheduler} {@link JobLease}; the work itself would also be safe on several at once
 * (row locks with SKIP LOCKED; refreshes are idempotent), so a brief overlap during a takeover
 * does no harm.
 */
public final class SchedulerVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(SchedulerVerticle.class);
  static final int RELEASE_BATCH = 500;

  static final int EXPIRE_BATCH = 500;

  private final NotificationWriter writer;
  private final DeliveryStore deliveries;
  private final Fanout fanout;
  private final int graceSeconds;
  private final JobLease lease;
  private boolean running;
  private boolean failing;

  public SchedulerVerticle(NotificationWriter writer, DeliveryStore deliveries, Fanout fanout, int graceSeconds, JobLease lease) {
    this.lease = lease;
    this.writer = writer;
    this.deliveries = deliveries;
    this.fanout = fanout;
    this.graceSeconds = graceSeconds;
  }

  @Override
  public Future<?> start() {
    lease.start(vertx);
    vertx.setPeriodic(1000, id -> tick());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    return lease.release();
  }

  private void tick() {
    if (running || !lease.held()) {
      return;
    }
    running = true;
    releaseDue().compose(v -> expire()).onComplete(result -> {
      running = false;
      // one line when the database goes away and one when it is back, not one a second between
      if (result.failed() && !failing) {
        failing = true;
        log.warn("scheduled work failed, retrying every second: {}", result.cause().getMessage());
      } else if (result.succeeded() && failing) {
        failing = false;
        log.info("scheduled work is running again");
      }
    });
  }

  private Future<Void> releaseDue() {
    return writer.releaseDue(RELEASE_BATCH).compose(released -> {
      List<UUID> ids = new ArrayList<>();
      for (NotificationWriter.Released r : released) {
        Notification n = r.notification();
        fanout.publish(PushMessage.notification(n.recipient(), n.seq(), Frames.notification(n), r.count()));
        ids.add(n.id());
      }
      // their external deliveries go now too (if this is lost, the scanner finds them: they are due)
      return deliveries.released(ids, graceSeconds).compose(due -> {
        due.forEach(d -> d.send(vertx.eventBus()));
        return released.size() == RELEASE_BATCH ? releaseDue() : Future.succeededFuture();
      });
    });
  }

  private Future<Void> expire() {
    return writer.expire(EXPIRE_BATCH).compose(counts -> {
      counts.forEach((user, count) -> fanout.publish(PushMessage.unread(user, count)));
      return counts.size() == EXPIRE_BATCH ? expire() : Future.succeededFuture();
    });
  }
}
