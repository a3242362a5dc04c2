package io.herald.ops;

import io.herald.config.HeraldConfig;
import io.herald.store.RetentionStore;
import io.herald.store.RetentionStore.Batch;
import io.herald.store.RetentionStore.Cursor;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.IntConsumer;

/**
 * The retention clean-up, a scheduled job: removes notifications read more than
 * {@code readNotificationsAfterDays} ago, then those their user deleted more than
 * {@code deletedNotificationsAfterDays} ago, then attempts of finished deliveries older than
 * {@code attemptsAfterDays} (not of dead ones), then digests older than {@code digestsAfterDays}
 * whose e-mail is finished, then alerts resolved more than {@code resolvedAlertsAfterDays} ago.
 * Each rule walks its old rows once, oldest first, {@code batchSize} at a time, one short
 * statement (or transaction) after the other, each batch starting after the last row the one
 * before looked at (the rows a rule keeps are not read again), until a batch looks at fewer than
 * {@code batchSize}. No table is locked for long, and no batch waits for a row someone holds: it
 * skips it, for the next run. Unread notifications are never removed by age, and no notification
 * with a delivery still to be sent or dead (see {@link RetentionStore}). The ages are measured
 * from {@code clock}.
 */
public final class Retention {
  private final RetentionStore store;
  private final HeraldConfig.Retention config;
  private final Clock clock;

  public Retention(RetentionStore store, HeraldConfig.Retention config, Clock clock) {
    this.store = store;
    this.config = config;
    this.clock = clock;
  }

  /** What one run removed; {@code complete} is false when it stopped early (this node stopped running jobs). */
  private static final class Tally {
    int read;
    int deleted;
    int attempts;
    int digests;
    int alerts;
    int batches;
    boolean complete = true;
  }

  /** One run; {@code keepGoing} is asked before each batch. */
  public Future<JobsVerticle.Outcome> run(BooleanSupplier keepGoing) {
    Instant now = clock.instant();
    Tally tally = new Tally();
    int size = config.batchSize();
    OffsetDateTime readBefore = daysBefore(now, config.readNotificationsAfterDays());
    OffsetDateTime deletedBefore = daysBefore(now, config.deletedNotificationsAfterDays());
    OffsetDateTime attemptsBefore = daysBefore(now, config.attemptsAfterDays());
    OffsetDateTime digestsBefore = daysBefore(now, config.digestsAfterDays());
    OffsetDateTime alertsBefore = daysBefore(now, config.resolvedAlertsAfterDays());
    return batches(after -> store.removeRead(readBefore, size, after), n -> tally.read += n, tally, keepGoing)
        .compose(v -> batches(after -> store.removeDeleted(deletedBefore, size, after), n -> tally.deleted += n, tally, keepGoing))
        .compose(v -> batches(after -> store.removeAttempts(attemptsBefore, size, after), n -> tally.attempts += n, tally, keepGoing))
        .compose(v -> batches(after -> store.removeDigests(digestsBefore, size, after), n -> tally.digests += n, tally, keepGoing))
        .compose(v -> batches(after -> store.removeResolvedAlerts(alertsBefore, size), n -> tally.alerts += n, tally, keepGoing))
        .map(v -> outcome(tally));
  }

  /** Runs one rule's batches from the oldest row on, each after the last row the one before looked at. */
  private Future<Void> batches(Function<Cursor, Future<Batch>> batch, IntConsumer removed, Tally tally, BooleanSupplier keepGoing) {
    return batches(batch, Cursor.START, removed, tally, keepGoing);
  }

  /** Runs batches one after the other until one is not full (nothing left to look at) or {@code keepGoing} says stop. */
  private Future<Void> batches(Function<Cursor, Future<Batch>> batch, Cursor after, IntConsumer removed, Tally tally,
      BooleanSupplier keepGoing) {
    if (!tally.complete) {
      return Future.succeededFuture();
    }
    if (!keepGoing.getAsBoolean()) {
      tally.complete = false;
      return Future.succeededFuture();
    }
    return batch.apply(after).compose(b -> {
      tally.batches++;
      removed.accept(b.removed());
      return b.looked() < config.batchSize() ? Future.succeededFuture() : batches(batch, b.next(), removed, tally, keepGoing);
    });
  }

  private static JobsVerticle.Outcome outcome(Tally t) {
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("read_notifications", t.read);
    figures.put("deleted_notifications", t.deleted);
    figures.put("attempts", t.attempts);
    figures.put("digests", t.digests);
    figures.put("resolved_alerts", t.alerts);
    figures.put("batches", t.batches);
    figures.put("complete", t.complete);
    String summary = "removed " + t.read + " read notifications, " + t.deleted + " deleted ones, " + t.attempts + " attempts, "
        + t.digests + " digests, " + t.alerts + " resolved alerts in " + t.batches + " batches"
        + (t.complete ? "" : ", then stopped: this node no longer runs the jobs");
    return new JobsVerticle.Outcome(summary, figures);
  }

  private static OffsetDateTime daysBefore(Instant now, int days) {
    return OffsetDateTime.ofInstant(now.minus(Duration.ofDays(days)), ZoneOffset.UTC);
  }
}
