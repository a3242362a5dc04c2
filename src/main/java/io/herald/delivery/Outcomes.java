package io.herald.delivery;

import io.herald.ops.Meters;
import io.herald.retry.Backoff;
import io.herald.store.DeliveryStore;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one channel's worker records after a send: the row's outcome ({@code sent}, {@code failed}
 * with its next attempt, or {@code dead}), the meters, and the log line. Provider answers can
 * repeat the address, the number or the text, so only their summary is logged at INFO and WARN,
 * the whole answer at DEBUG.
 */
final class Outcomes {
  private static final Logger log = LoggerFactory.getLogger(DeliveryVerticle.class);

  private final String channel;
  private final Clock clock;
  private final Backoff backoff;
  private final Meters.Delivery meters;

  Outcomes(String channel, Clock clock, Backoff backoff, Meters.Delivery meters) {
    this.channel = channel;
    this.clock = clock;
    this.backoff = backoff;
    this.meters = meters;
  }

  DeliveryStore.Finish sent(DeliveryJob job, String providerId, long nanos) {
    int ms = millis(nanos);
    meters.sent(nanos);
    if (log.isDebugEnabled()) {
      log.atDebug().addKeyValue("delivery_id", job.id()).addKeyValue("notification_id", job.notification().id())
          .addKeyValue("channel", channel).log("{} delivery sent (attempt {}, {} ms)", channel, job.attempt(), ms);
    }
    // the provider's id is its text: kept to one clean line so it can never fail the batch it is written in
    String id = providerId == null ? null : ErrorClassifier.oneLine(providerId, 200);
    return new DeliveryStore.Finish(job.id(), job.notification().id(), job.attempt(), "sent", null, null, null, null,
        id == null || id.isEmpty() ? null : id, ms);
  }

  DeliveryStore.Finish failed(DeliveryJob job, Throwable cause, long nanos) {
    Failure f = ErrorClassifier.classify(cause, clock);
    boolean dead = f.errorClass().permanent() || job.attempt() >= job.maxAttempts();
    meters.failed(f.errorClass(), dead, nanos);
    OffsetDateTime next = dead ? null : OffsetDateTime.ofInstant(backoff.next(job.attempt(), f.retryAfter()), ZoneOffset.UTC);
    var event = (dead ? log.atWarn() : log.atInfo()).addKeyValue("delivery_id", job.id())
        .addKeyValue("notification_id", job.notification().id()).addKeyValue("channel", channel)
        .addKeyValue("error_class", f.errorClass().label()).addKeyValue("attempt", job.attempt());
    if (f.httpStatus() != null) {
      event = event.addKeyValue("http_status", f.httpStatus());
    }
    if (dead) {
      event.log("{} delivery dead after attempt {} of {}: {}{}", channel, job.attempt(), job.maxAttempts(), f.summary(),
          f.errorClass() == ErrorClass.CREDENTIALS ? " (check the channel's credentials)" : "");
    } else {
      event.log("{} delivery attempt {} of {} failed, next at {}: {}", channel, job.attempt(), job.maxAttempts(), next, f.summary());
    }
    log.atDebug().addKeyValue("delivery_id", job.id()).addKeyValue("notification_id", job.notification().id())
        .addKeyValue("channel", channel).log("{} delivery attempt {} failed: {}", channel, job.attempt(), f.message());
    return new DeliveryStore.Finish(job.id(), job.notification().id(), job.attempt(), dead ? "dead" : "failed", next, f.message(),
        f.errorClass().label(), f.httpStatus(), null, millis(nanos));
  }

  private static int millis(long nanos) {
    return (int) Math.min(Integer.MAX_VALUE, nanos / 1_000_000);
  }
}
