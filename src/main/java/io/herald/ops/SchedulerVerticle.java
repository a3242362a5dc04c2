package io.herald.ops;

import io.herald.fanout.Fanout;
import io.herald.fanout.PushMessage;
import io.herald.push.Frames;
import io.herald.store.Notification;
import io.herald.store.NotificationStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.OffsetDateTime;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Periodic jobs, once a second: notifications whose {@code sendAt} has come are moved into their
 * inboxes and pushed; users whose unread notifications just expired get a fresh unread count.
 * Both are safe when several nodes run them (row locks with SKIP LOCKED; refreshes are idempotent).
 */
public final class SchedulerVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(SchedulerVerticle.class);
  static final int RELEASE_BATCH = 500;

  private final NotificationStore store;
  private final Fanout fanout;
  private OffsetDateTime expiryCheckedUpTo = Notification.now();
  private boolean running;

  public SchedulerVerticle(NotificationStore store, Fanout fanout) {
    this.store = store;
    this.fanout = fanout;
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(1000, id -> tick());
    return Future.succeededFuture();
  }

  private void tick() {
    if (running) {
      return;
    }
    running = true;
    releaseDue().compose(v -> refreshExpired())
        .onFailure(err -> log.warn("scheduled work failed, retrying next second: {}", err.getMessage()))
        .onComplete(v -> running = false);
  }

  private Future<Void> releaseDue() {
    return store.releaseDue(RELEASE_BATCH).compose(released -> {
      publish(released);
      return released.size() == RELEASE_BATCH ? releaseDue() : Future.succeededFuture();
    });
  }

  private void publish(List<Notification> released) {
    for (Notification n : released) {
      fanout.publish(PushMessage.notification(n.recipient(), n.seq(), Frames.notification(n)));
    }
  }

  private Future<Void> refreshExpired() {
    OffsetDateTime now = Notification.now();
    return store.expiredBetween(expiryCheckedUpTo, now).map(users -> {
      expiryCheckedUpTo = now;
      users.forEach(user -> fanout.publish(PushMessage.unreadChanged(user)));
      return null;
    });
  }
}
