package io.herald.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

/**
 * Rows for {@code bench scan}: {@code n} notifications, each with one {@code failed} webhook
 * delivery whose backoff is over, written set-based in one transaction. Everything it writes is
 * recognisable by the recipient prefix it is given, so it can be counted and removed again.
 */
public final class BenchSeed {
  private static final String NOTIFICATIONS = "INSERT INTO notifications (id, recipient, seq, level, title, priority, channels, "
      + "created_at, scheduled) SELECT gen_random_uuid(), $1 || (g % 1000), g, 'info', 'bench scan ' || g, 'normal', "
      + "'{inapp,webhook}', now() - interval '1 hour', false FROM generate_series(1, $2) AS g";

  /** Due a minute ago, priorities spread as a real backlog would be (mostly normal), one attempt behind them. */
  private static final String DELIVERIES = "INSERT INTO deliveries (id, notification_id, channel, destination, status, priority, "
      + "attempts, max_attempts, next_attempt_at, due_since, last_error, last_error_class, created_at, updated_at) "
      + "SELECT gen_random_uuid(), n.id, 'webhook', NULL, 'failed', CASE WHEN n.seq % 20 = 0 THEN 1 ELSE 2 END, 1, 10, "
      + "now() - interval '1 minute' - (n.seq % 600) * interval '1 second', now() - interval '1 minute' - (n.seq % 600) * interval '1 second', "
      + "'HTTP 503', 'temporary', "
      + "now() - interval '1 hour', now() - interval '30 minutes' FROM notifications n WHERE n.recipient LIKE $1 || '%'";

  private static final String COUNT = "SELECT count(*) FILTER (WHERE d.status = 'pending') AS pending, count(*) AS total "
      + "FROM deliveries d JOIN notifications n ON n.id = d.notification_id WHERE n.recipient LIKE $1 || '%'";

  private final Pool pool;

  public BenchSeed(Pool pool) {
    this.pool = pool;
  }

  /** How many of the seeded deliveries are pending, of how many. */
  public record Counts(long pending, long total) {
  }

  /** Writes the rows, then refreshes the tables' statistics and visibility map as autovacuum would on a settled table. */
  public Future<Void> dueFailures(String recipientPrefix, int n) {
    return pool.withTransaction(conn -> conn.preparedQuery(NOTIFICATIONS).execute(Tuple.of(recipientPrefix, n))
            .compose(v -> conn.preparedQuery(DELIVERIES).execute(Tuple.of(recipientPrefix))))
        .compose(v -> pool.query("VACUUM (ANALYZE) notifications, deliveries").execute())
        .mapEmpty();
  }

  public Future<Counts> counts(String recipientPrefix) {
    return pool.preparedQuery(COUNT).execute(Tuple.of(recipientPrefix)).map(rows -> {
      Row r = rows.iterator().next();
      return new Counts(r.getLong("pending"), r.getLong("total"));
    });
  }

  /** Removes the seeded notifications; their deliveries go with them (ON DELETE CASCADE). */
  public Future<Integer> remove(String recipientPrefix) {
    return pool.preparedQuery("DELETE FROM notifications WHERE recipient LIKE $1 || '%'").execute(Tuple.of(recipientPrefix))
        .map(rows -> rows.rowCount());
  }
}
