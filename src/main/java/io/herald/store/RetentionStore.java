package io.herald.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The retention clean-up's statements, one batch at a time, each short: the rows a batch takes
 * are locked with {@code SKIP LOCKED}, so a batch never waits for a user's read or an operator's
 * retry, and nothing else waits for it longer than its own few milliseconds.
 *
 * <p>A notification goes with everything that hangs off it ({@code ON DELETE CASCADE}: its
 * deliveries, their attempts, its {@code notification_content}). It is never removed while one of
 * its deliveries is still to be sent ({@code pending}, {@code sending}, {@code failed} or
 * {@code held}): that would lose a delivery the API acknowledged. Only read or deleted ones are
 * removed, and neither counts in the inbox's unread count, so the count stays exact without
 * touching {@code inbox}. Digests, broadcasts and events are not cleaned up here.
 */
public final class RetentionStore {
  /** None of the notification's deliveries is still to be sent. */
  private static final String NOT_IN_FLIGHT = "NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.notification_id = n.id "
      + "AND d.status IN ('pending', 'sending', 'failed', 'held'))";
  private static final String PICK = "SELECT n.id FROM notifications n WHERE n.%1$s < $1 AND " + NOT_IN_FLIGHT
      + " ORDER BY n.%1$s LIMIT $2 FOR UPDATE OF n SKIP LOCKED";
  private static final String PICK_READ = String.format(PICK, "read_at");
  private static final String PICK_DELETED = String.format(PICK, "deleted_at");
  /**
   * The picked notifications' deliveries, locked until the batch commits: an operator's retry
   * (dead → pending) either finished before (and the delete below sees it) or waits for the
   * commit (and finds its delivery gone: a 404), never a retried delivery deleted behind its back.
   */
  private static final String LOCK_DELIVERIES = "SELECT 1 FROM deliveries WHERE notification_id = ANY($1::uuid[]) FOR UPDATE";
  /** Checked again: a statement of its own sees what committed while the deliveries were being locked. */
  private static final String DELETE = "DELETE FROM notifications n WHERE n.id = ANY($1::uuid[]) AND " + NOT_IN_FLIGHT;
  /**
   * Old attempts of finished deliveries. The delivery row is share-locked (skipped if someone is
   * changing it), and its status checked on its latest version, so the history of a delivery an
   * operator just sent back to {@code pending} is kept.
   */
  private static final String DELETE_ATTEMPTS = "DELETE FROM delivery_attempts a USING (SELECT x.delivery_id, x.attempt "
      + "FROM delivery_attempts x JOIN deliveries d ON d.id = x.delivery_id "
      + "WHERE x.started_at < $1 AND d.status IN ('sent', 'dead', 'cancelled', 'digested') "
      + "ORDER BY x.started_at LIMIT $2 FOR UPDATE OF x SKIP LOCKED FOR SHARE OF d SKIP LOCKED) old "
      + "WHERE a.delivery_id = old.delivery_id AND a.attempt = old.attempt";

  private final Pool pool;

  public RetentionStore(Pool pool) {
    this.pool = pool;
  }

  /** One batch's result: rows taken (the batch was full when this is the limit) and rows removed. */
  public record Batch(int taken, int removed) {
  }

  /** Removes up to {@code limit} notifications read before {@code before}, oldest read first. */
  public Future<Batch> removeRead(OffsetDateTime before, int limit) {
    return removeNotifications(PICK_READ, before, limit);
  }

  /** Removes up to {@code limit} notifications their user deleted before {@code before}. */
  public Future<Batch> removeDeleted(OffsetDateTime before, int limit) {
    return removeNotifications(PICK_DELETED, before, limit);
  }

  /** Removes up to {@code limit} attempts started before {@code before} of deliveries that are finished. */
  public Future<Batch> removeAttempts(OffsetDateTime before, int limit) {
    return pool.preparedQuery(DELETE_ATTEMPTS).execute(Tuple.of(before, limit)).map(rows -> new Batch(rows.rowCount(), rows.rowCount()));
  }

  private Future<Batch> removeNotifications(String pick, OffsetDateTime before, int limit) {
    return pool.withTransaction(conn -> conn.preparedQuery(pick).execute(Tuple.of(before, limit)).compose(rows -> {
      List<UUID> ids = new ArrayList<>(rows.size());
      for (Row r : rows) {
        ids.add(r.getUUID(0));
      }
      if (ids.isEmpty()) {
        return Future.succeededFuture(new Batch(0, 0));
      }
      Tuple idList = Tuple.tuple().addValue(ids.toArray(new UUID[0]));
      return conn.preparedQuery(LOCK_DELIVERIES).execute(idList)
          .compose(locked -> conn.preparedQuery(DELETE).execute(idList))
          .map(deleted -> new Batch(ids.size(), deleted.rowCount()));
    }));
  }
}
