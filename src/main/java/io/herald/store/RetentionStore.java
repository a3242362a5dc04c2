package io.herald.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The retention clean-up's statements, one batch at a time, each short.
 *
 * <p><b>Walking, not re-scanning.</b> Each rule keeps some old rows for good (see below), and
 * those stay at the front of the index it walks. So a batch does not start again from the oldest
 * rows: it reads the next {@code limit} candidates after the {@link Cursor} (the key of the last
 * row the previous batch looked at, ties on the timestamp broken by the id), without a lock and
 * with whether the rules let each go; only if some may go does it lock, check again and delete
 * those, in one short transaction. It hands on the key of the last row it looked at; a rule is
 * done when a batch looked at fewer than {@code limit} rows. A run therefore reads each old row
 * once, however many it keeps.
 *
 * <p><b>Never waiting for a lock.</b> Every row a batch locks, it locks with {@code SKIP LOCKED}:
 * a row someone holds (a worker finishing a delivery, an operator's retry or cancel, a user
 * reading or deleting) is left alone, with everything hanging off it, and the next run, which
 * starts from the oldest rows again, takes it. The batch then re-checks its rules in a statement of
 * its own, which sees what committed meanwhile, and deletes. What the delete takes with it
 * ({@code ON DELETE CASCADE}: attempts, {@code notification_content}) belongs to deliveries that
 * are finished and locked by the batch, which nothing else writes. Nothing waits for a batch
 * longer than its own few milliseconds.
 *
 * <p>A notification goes with everything that hangs off it: its deliveries, their attempts, its
 * {@code notification_content}. It is never removed while one of its deliveries is still to be
 * sent ({@code pending}, {@code sending}, {@code failed} or {@code held}): that would lose a
 * delivery the API acknowledged; nor while one is {@code dead}: it waits in the dead letter, with
 * its attempts, until an operator retries or cancels it. Only read or deleted ones are removed,
 * and neither counts in the inbox's unread count, so the count stays exact without touching
 * {@code inbox}.
 *
 * <p>Attempts go by age only for deliveries that are finished and need nobody ({@code sent},
 * {@code cancelled}, {@code digested}): never those of a {@code dead} delivery, which waits in the
 * dead letter for an operator, who needs its history.
 *
 * <p>A digest (its rendered e-mail: personal data) goes with its own delivery and that delivery's
 * attempts, once its delivery is finished ({@code sent} or {@code cancelled}; not while it is to be
 * sent, nor while it is {@code dead}). The held deliveries it took in stay with their
 * notifications, {@code digested}, their {@code digest_id} cleared first (the foreign key would
 * otherwise take them with it). A user's newest unread summary stays whatever its age: it is how
 * the next one knows whether anything is new. Resolved alerts go by the age of their resolution;
 * active ones never (and none of the old resolved ones is kept, so they need no cursor).
 * Broadcasts, events and {@code job_runs} (one row per job) are not cleaned up.
 */
public final class RetentionStore {
  /** A delivery still to be sent, or dead (waiting for a person). */
  private static final String WAITING = "d.status IN ('pending', 'sending', 'failed', 'held', 'dead')";
  /** One of the notification's deliveries is waiting. */
  private static final String NOTIFICATION_WAITS = "SELECT true AS waits FROM deliveries d WHERE d.notification_id = n.id AND " + WAITING;
  private static final String SETTLED = "NOT EXISTS (" + NOTIFICATION_WAITS + ")";
  /**
   * The next candidates after the cursor ($3, $4), oldest first, read without a lock, each with
   * whether the rules let it go: the one index probe per row is written as a lateral join, which
   * the planner cannot turn into a scan of every delivery.
   */
  private static final String NOTIFICATIONS_AFTER = "SELECT n.id, n.at, w.waits IS NULL AS settled FROM (SELECT id, %1$s AS at "
      + "FROM notifications WHERE %1$s < $1 AND (%1$s, id) > ($3, $4) ORDER BY %1$s, id LIMIT $2) n "
      + "LEFT JOIN LATERAL (" + NOTIFICATION_WAITS + " LIMIT 1) w ON true ORDER BY n.at, n.id";
  private static final String READ_AFTER = String.format(NOTIFICATIONS_AFTER, "read_at");
  private static final String DELETED_AFTER = String.format(NOTIFICATIONS_AFTER, "deleted_at");
  /** The settled candidates, locked unless someone holds them (the age checked again on the latest version). */
  private static final String PICK = "SELECT n.id FROM notifications n WHERE n.id = ANY($1::uuid[]) AND n.%s < $2 AND " + SETTLED
      + " FOR UPDATE OF n SKIP LOCKED";
  private static final String PICK_READ = String.format(PICK, "read_at");
  private static final String PICK_DELETED = String.format(PICK, "deleted_at");
  /**
   * The picked notifications' deliveries, locked until the batch commits unless someone holds them
   * (a notification with a delivery left unlocked stays, below). An operator's retry of a
   * cancelled delivery either committed before (and the delete sees it) or waits for the commit
   * (and finds its delivery gone: a 404), never a retried delivery deleted behind its back.
   */
  private static final String LOCK_DELIVERIES = "SELECT id FROM deliveries WHERE notification_id = ANY($1::uuid[]) FOR UPDATE SKIP LOCKED";
  /**
   * Checked again: a statement of its own sees what committed while the deliveries were being
   * locked; and only notifications whose every delivery is among those locked ($2).
   */
  private static final String DELETE = "DELETE FROM notifications n WHERE n.id = ANY($1::uuid[]) AND " + SETTLED
      + " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.notification_id = n.id AND d.id <> ALL($2::uuid[]))";
  /** Deliveries that are finished and need nobody ({@code dead} ones are not: a person has to look at them). */
  private static final String FINISHED = "d.status IN ('sent', 'cancelled', 'digested')";
  /** The next candidate attempts after the cursor ($3, $4, $5), oldest first, each with whether its delivery is finished. */
  private static final String ATTEMPTS_AFTER = "SELECT x.delivery_id, x.attempt, x.started_at, d.finished FROM (SELECT delivery_id, "
      + "attempt, started_at FROM delivery_attempts WHERE started_at < $1 AND (started_at, delivery_id, attempt) > ($3, $4, $5) "
      + "ORDER BY started_at, delivery_id, attempt LIMIT $2) x "
      + "JOIN LATERAL (SELECT " + FINISHED + " AS finished FROM deliveries d WHERE d.id = x.delivery_id) d ON true "
      + "ORDER BY x.started_at, x.delivery_id, x.attempt";
  /**
   * The attempts ($1, $2: delivery ids and attempt numbers) of finished deliveries. The delivery
   * row is share-locked (skipped if someone is changing it), and its status checked on its latest
   * version, so the history of a delivery an operator just sent back to {@code pending} is kept.
   */
  private static final String DELETE_ATTEMPTS = "DELETE FROM delivery_attempts a USING (SELECT x.delivery_id, x.attempt "
      + "FROM delivery_attempts x JOIN deliveries d ON d.id = x.delivery_id "
      + "WHERE (x.delivery_id, x.attempt) IN (SELECT * FROM unnest($1::uuid[], $2::int[])) AND " + FINISHED
      + " FOR UPDATE OF x SKIP LOCKED FOR SHARE OF d SKIP LOCKED) old WHERE a.delivery_id = old.delivery_id AND a.attempt = old.attempt";
  /** The digest's own e-mail (the delivery without a notification) is waiting. */
  private static final String EMAIL_WAITS = "SELECT true AS waits FROM deliveries d WHERE d.digest_id = g.id AND d.notification_id IS NULL "
      + "AND " + WAITING;
  private static final String DIGEST_DONE = "NOT EXISTS (" + EMAIL_WAITS + ")";
  /** A newer unread summary of the same recipient: an unread summary without one is the newest, which the next is compared with. */
  private static final String NEWER_SUMMARY = "SELECT true AS newer FROM digests h WHERE h.recipient = g.recipient AND h.kind = 'unread' "
      + "AND h.created_at > g.created_at";
  private static final String NOT_LAST_SUMMARY = "(g.kind <> 'unread' OR EXISTS (" + NEWER_SUMMARY + "))";
  /** The next candidates after the cursor ($3, $4), oldest first, each with whether the rules let it go (as for notifications). */
  private static final String DIGESTS_AFTER = "SELECT g.id, g.created_at, w.waits IS NULL AND (g.kind <> 'unread' OR s.newer IS NOT NULL) AS done "
      + "FROM (SELECT id, created_at, kind, recipient FROM digests WHERE created_at < $1 AND (created_at, id) > ($3, $4) "
      + "ORDER BY created_at, id LIMIT $2) g LEFT JOIN LATERAL (" + EMAIL_WAITS + " LIMIT 1) w ON true "
      + "LEFT JOIN LATERAL (" + NEWER_SUMMARY + " AND g.kind = 'unread' LIMIT 1) s ON true ORDER BY g.created_at, g.id";
  private static final String PICK_DIGESTS = "SELECT g.id FROM digests g WHERE g.id = ANY($1::uuid[]) AND " + DIGEST_DONE + " AND "
      + NOT_LAST_SUMMARY + " FOR UPDATE OF g SKIP LOCKED";
  /** Every delivery of the picked digests (their own and those they took in), locked as for notifications. */
  private static final String LOCK_DIGEST_DELIVERIES = "SELECT id FROM deliveries WHERE digest_id = ANY($1::uuid[]) FOR UPDATE SKIP LOCKED";
  /** Checked again once their deliveries are locked, when it can no longer change; only digests whose every delivery is locked ($2). */
  private static final String DIGESTS_STILL_DONE = "SELECT g.id FROM digests g WHERE g.id = ANY($1::uuid[]) AND " + DIGEST_DONE
      + " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.digest_id = g.id AND d.id <> ALL($2::uuid[]))";
  /** The held deliveries a digest took in stay with their notifications ({@code digested}), no longer pointing at it. */
  private static final String DETACH_DIGESTED = "UPDATE deliveries SET digest_id = NULL WHERE digest_id = ANY($1::uuid[]) "
      + "AND notification_id IS NOT NULL";
  private static final String DELETE_DIGESTS = "DELETE FROM digests WHERE id = ANY($1::uuid[])";
  private static final String DELETE_ALERTS = "DELETE FROM alerts a USING (SELECT id FROM alerts WHERE status = 'resolved' "
      + "AND resolved_at < $1 ORDER BY resolved_at LIMIT $2 FOR UPDATE SKIP LOCKED) old WHERE a.id = old.id";

  /** Before every key: where a rule's first batch starts. */
  private static final OffsetDateTime BEGINNING = OffsetDateTime.of(1, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
  private static final UUID FIRST_ID = new UUID(0L, 0L);

  private final Pool pool;

  public RetentionStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * The key of the last row a batch looked at, in the order the rule walks its rows: the row's
   * timestamp, then its id ({@code attempt}: the attempt's number, 0 for other rows).
   */
  public record Cursor(OffsetDateTime at, UUID id, int attempt) {
    /** Before every row. */
    public static final Cursor START = new Cursor(BEGINNING, FIRST_ID, 0);
  }

  /**
   * One batch's result: rows looked at (the rule is done when this is below the limit), rows
   * removed, and where the next batch starts.
   */
  public record Batch(int looked, int removed, Cursor next) {
  }

  /** Looks at up to {@code limit} notifications read before {@code before}, after {@code after}, and removes those it may. */
  public Future<Batch> removeRead(OffsetDateTime before, int limit, Cursor after) {
    return removeNotifications(READ_AFTER, PICK_READ, before, limit, after);
  }

  /** Looks at up to {@code limit} notifications their user deleted before {@code before}, after {@code after}, and removes those it may. */
  public Future<Batch> removeDeleted(OffsetDateTime before, int limit, Cursor after) {
    return removeNotifications(DELETED_AFTER, PICK_DELETED, before, limit, after);
  }

  /** Looks at up to {@code limit} attempts started before {@code before}, after {@code after}, and removes those of finished deliveries. */
  public Future<Batch> removeAttempts(OffsetDateTime before, int limit, Cursor after) {
    return pool.preparedQuery(ATTEMPTS_AFTER).execute(Tuple.of(before, limit, after.at(), after.id(), after.attempt())).compose(seen -> {
      if (seen.size() == 0) {
        return Future.succeededFuture(new Batch(0, 0, after));
      }
      Row last = lastOf(seen);
      Cursor next = new Cursor(last.getOffsetDateTime("started_at"), last.getUUID("delivery_id"), last.getInteger("attempt"));
      List<UUID> deliveries = new ArrayList<>();
      List<Integer> attempts = new ArrayList<>();
      for (Row r : seen) {
        if (r.getBoolean("finished")) {
          deliveries.add(r.getUUID("delivery_id"));
          attempts.add(r.getInteger("attempt"));
        }
      }
      if (deliveries.isEmpty()) {
        return Future.succeededFuture(new Batch(seen.size(), 0, next));
      }
      Tuple keys = Tuple.tuple().addValue(deliveries.toArray(new UUID[0])).addValue(attempts.toArray(new Integer[0]));
      return pool.preparedQuery(DELETE_ATTEMPTS).execute(keys).map(deleted -> new Batch(seen.size(), deleted.rowCount(), next));
    });
  }

  /** Looks at up to {@code limit} digests written before {@code before}, after {@code after}, and removes those whose e-mail is finished. */
  public Future<Batch> removeDigests(OffsetDateTime before, int limit, Cursor after) {
    return pool.preparedQuery(DIGESTS_AFTER).execute(Tuple.of(before, limit, after.at(), after.id())).compose(seen -> {
      if (seen.size() == 0) {
        return Future.succeededFuture(new Batch(0, 0, after));
      }
      Cursor next = cursorOf(lastOf(seen));
      UUID[] done = idsWhere(seen, "done");
      if (done.length == 0) {
        return Future.succeededFuture(new Batch(seen.size(), 0, next));
      }
      return pool.withTransaction(conn -> conn.preparedQuery(PICK_DIGESTS).execute(Tuple.tuple().addValue(done))
          .compose(picked -> picked.size() == 0 ? Future.succeededFuture(0) : removeDigests(conn, idArray(picked))))
          .map(removed -> new Batch(seen.size(), removed, next));
    });
  }

  /** Locks the digests' deliveries, checks again, and removes the digests still done; how many went. */
  private static Future<Integer> removeDigests(SqlConnection conn, UUID[] picked) {
    return conn.preparedQuery(LOCK_DIGEST_DELIVERIES).execute(Tuple.tuple().addValue(picked))
        .compose(locked -> conn.preparedQuery(DIGESTS_STILL_DONE).execute(Tuple.tuple().addValue(picked).addValue(idArray(locked))))
        .compose(done -> {
          if (done.size() == 0) {
            return Future.succeededFuture(0);
          }
          Tuple doneIds = ids(done);
          return conn.preparedQuery(DETACH_DIGESTED).execute(doneIds)
              .compose(detached -> conn.preparedQuery(DELETE_DIGESTS).execute(doneIds))
              .map(RowSet::rowCount);
        });
  }

  /** Removes up to {@code limit} alerts resolved before {@code before}, oldest resolution first (none is kept: no cursor). */
  public Future<Batch> removeResolvedAlerts(OffsetDateTime before, int limit) {
    return pool.preparedQuery(DELETE_ALERTS).execute(Tuple.of(before, limit))
        .map(rows -> new Batch(rows.rowCount(), rows.rowCount(), Cursor.START));
  }

  /** Looks at the next candidates; only when some are settled, picks, locks and deletes them in one short transaction. */
  private Future<Batch> removeNotifications(String candidates, String pick, OffsetDateTime before, int limit, Cursor after) {
    return pool.preparedQuery(candidates).execute(Tuple.of(before, limit, after.at(), after.id())).compose(seen -> {
      if (seen.size() == 0) {
        return Future.succeededFuture(new Batch(0, 0, after));
      }
      Cursor next = cursorOf(lastOf(seen));
      UUID[] settled = idsWhere(seen, "settled");
      if (settled.length == 0) {
        return Future.succeededFuture(new Batch(seen.size(), 0, next));
      }
      return pool.withTransaction(conn -> conn.preparedQuery(pick).execute(Tuple.tuple().addValue(settled).addValue(before))
          .compose(picked -> {
            if (picked.size() == 0) {
              return Future.succeededFuture(0);
            }
            UUID[] pickedIds = idArray(picked);
            return conn.preparedQuery(LOCK_DELIVERIES).execute(Tuple.tuple().addValue(pickedIds))
                .compose(locked -> conn.preparedQuery(DELETE).execute(Tuple.tuple().addValue(pickedIds).addValue(idArray(locked))))
                .map(RowSet::rowCount);
          }))
          .map(removed -> new Batch(seen.size(), removed, next));
    });
  }

  /** The ids (first column) of the rows whose boolean column {@code flag} is true. */
  private static UUID[] idsWhere(RowSet<Row> rows, String flag) {
    List<UUID> ids = new ArrayList<>();
    for (Row r : rows) {
      if (r.getBoolean(flag)) {
        ids.add(r.getUUID(0));
      }
    }
    return ids.toArray(new UUID[0]);
  }

  private static Row lastOf(RowSet<Row> rows) {
    Row last = null;
    for (Row r : rows) {
      last = r;
    }
    return last;
  }

  /** The key of a notification or digest row: (id, timestamp). */
  private static Cursor cursorOf(Row row) {
    return new Cursor(row.getOffsetDateTime(1), row.getUUID(0), 0);
  }

  /** The first column of {@code rows}, as the one parameter {@code $1::uuid[]}. */
  private static Tuple ids(RowSet<Row> rows) {
    return Tuple.tuple().addValue(idArray(rows));
  }

  private static UUID[] idArray(RowSet<Row> rows) {
    List<UUID> ids = new ArrayList<>(rows.size());
    for (Row r : rows) {
      ids.add(r.getUUID(0));
    }
    return ids.toArray(new UUID[0]);
  }
}
