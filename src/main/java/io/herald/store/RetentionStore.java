package io.herald.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
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
 * touching {@code inbox}.
 *
 * <p>Attempts go by age only for deliveries that are finished and need nobody: never those of a
 * {@code dead} delivery, which waits in the dead letter for an operator, who needs its history.
 *
 * <p>A digest (its rendered e-mail: personal data) goes with its own delivery and that delivery's
 * attempts, once its delivery is finished ({@code sent} or {@code cancelled}; not while it is to be
 * sent, nor while it is {@code dead}). The held deliveries it took in stay with their
 * notifications, {@code digested}, their {@code digest_id} cleared first (the foreign key would
 * otherwise take them with it). A user's newest unread summary stays whatever its age: it is how
 * the next one knows whether anything is new. Resolved alerts go by the age of their resolution;
 * active ones never. Broadcasts, events and {@code job_runs} (one row per job) are not cleaned up.
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
   * Old attempts of finished deliveries ({@code dead} ones are not finished: a person has to look at them). The delivery row is share-locked (skipped if someone is
   * changing it), and its status checked on its latest version, so the history of a delivery an
   * operator just sent back to {@code pending} is kept.
   */
  private static final String DELETE_ATTEMPTS = "DELETE FROM delivery_attempts a USING (SELECT x.delivery_id, x.attempt "
      + "FROM delivery_attempts x JOIN deliveries d ON d.id = x.delivery_id "
      + "WHERE x.started_at < $1 AND d.status IN ('sent', 'cancelled', 'digested') "
      + "ORDER BY x.started_at LIMIT $2 FOR UPDATE OF x SKIP LOCKED FOR SHARE OF d SKIP LOCKED) old "
      + "WHERE a.delivery_id = old.delivery_id AND a.attempt = old.attempt";
  /** The digest's own e-mail (the delivery without a notification) is finished and needs nobody. */
  private static final String DIGEST_DONE = "NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.digest_id = g.id AND d.notification_id IS NULL "
      + "AND d.status IN ('pending', 'sending', 'failed', 'held', 'dead'))";
  /** Not the recipient's newest unread summary, which the next summary is compared with. */
  private static final String NOT_LAST_SUMMARY = "(g.kind <> 'unread' OR EXISTS (SELECT 1 FROM digests h WHERE h.recipient = g.recipient "
      + "AND h.kind = 'unread' AND h.created_at > g.created_at))";
  private static final String PICK_DIGESTS = "SELECT g.id FROM digests g WHERE g.created_at < $1 AND " + DIGEST_DONE + " AND "
      + NOT_LAST_SUMMARY + " ORDER BY g.created_at LIMIT $2 FOR UPDATE OF g SKIP LOCKED";
  /** Every delivery of the picked digests (their own and those they took in), locked until the batch commits, as for notifications. */
  private static final String LOCK_DIGEST_DELIVERIES = "SELECT 1 FROM deliveries WHERE digest_id = ANY($1::uuid[]) FOR UPDATE";
  /** Checked again once their deliveries are locked, when it can no longer change. */
  private static final String DIGESTS_STILL_DONE = "SELECT g.id FROM digests g WHERE g.id = ANY($1::uuid[]) AND " + DIGEST_DONE;
  /** The held deliveries a digest took in stay with their notifications ({@code digested}), no longer pointing at it. */
  private static final String DETACH_DIGESTED = "UPDATE deliveries SET digest_id = NULL WHERE digest_id = ANY($1::uuid[]) "
      + "AND notification_id IS NOT NULL";
  private static final String DELETE_DIGESTS = "DELETE FROM digests WHERE id = ANY($1::uuid[])";
  private static final String DELETE_ALERTS = "DELETE FROM alerts a USING (SELECT id FROM alerts WHERE status = 'resolved' "
      + "AND resolved_at < $1 ORDER BY resolved_at LIMIT $2 FOR UPDATE SKIP LOCKED) old WHERE a.id = old.id";

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

  /** Removes up to {@code limit} attempts started before {@code before} of deliveries that are finished (not {@code dead}). */
  public Future<Batch> removeAttempts(OffsetDateTime before, int limit) {
    return pool.preparedQuery(DELETE_ATTEMPTS).execute(Tuple.of(before, limit)).map(rows -> new Batch(rows.rowCount(), rows.rowCount()));
  }

  /** Removes up to {@code limit} digests written before {@code before} whose e-mail is finished, with that delivery, oldest first. */
  public Future<Batch> removeDigests(OffsetDateTime before, int limit) {
    return pool.withTransaction(conn -> conn.preparedQuery(PICK_DIGESTS).execute(Tuple.of(before, limit)).compose(picked -> {
      Tuple pickedIds = ids(picked);
      if (picked.size() == 0) {
        return Future.succeededFuture(new Batch(0, 0));
      }
      return conn.preparedQuery(LOCK_DIGEST_DELIVERIES).execute(pickedIds)
          .compose(locked -> conn.preparedQuery(DIGESTS_STILL_DONE).execute(pickedIds))
          .compose(done -> {
            if (done.size() == 0) {
              return Future.succeededFuture(new Batch(picked.size(), 0));
            }
            Tuple doneIds = ids(done);
            return conn.preparedQuery(DETACH_DIGESTED).execute(doneIds)
                .compose(detached -> conn.preparedQuery(DELETE_DIGESTS).execute(doneIds))
                .map(deleted -> new Batch(picked.size(), deleted.rowCount()));
          });
    }));
  }

  /** Removes up to {@code limit} alerts resolved before {@code before}, oldest resolution first. */
  public Future<Batch> removeResolvedAlerts(OffsetDateTime before, int limit) {
    return pool.preparedQuery(DELETE_ALERTS).execute(Tuple.of(before, limit)).map(rows -> new Batch(rows.rowCount(), rows.rowCount()));
  }

  /** The first column of {@code rows}, as the one parameter {@code $1::uuid[]}. */
  private static Tuple ids(RowSet<Row> rows) {
    List<UUID> ids = new ArrayList<>(rows.size());
    for (Row r : rows) {
      ids.add(r.getUUID(0));
    }
    return Tuple.tuple().addValue(ids.toArray(new UUID[0]));
  }

  private Future<Batch> removeNotifications(String pick, OffsetDateTime before, int limit) {
    return pool.withTransaction(conn -> conn.preparedQuery(pick).execute(Tuple.of(before, limit)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture(new Batch(0, 0));
      }
      Tuple idList = ids(rows);
      return conn.preparedQuery(LOCK_DELIVERIES).execute(idList)
          .compose(locked -> conn.preparedQuery(DELETE).execute(idList))
          .map(deleted -> new Batch(rows.size(), deleted.rowCount()));
    }));
  }
}
