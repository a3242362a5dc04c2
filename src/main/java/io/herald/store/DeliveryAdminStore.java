package io.herald.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The operators' side of the delivery rows (the dead letter): reading a notification's deliveries
 * with their attempts, listing and exporting by status and channel, and the re-queue and cancel
 * actions. A re-queued row becomes {@code pending} with {@code next_attempt_at = now() +
 * requeueDelay}: the HTTP API dispatches it at once and waits the pending grace before the scanner
 * may send it again, while the command line (which cannot reach the event bus) uses zero so the
 * running gateway's scanner sends it on its next scan.
 */
public final class DeliveryAdminStore {
  /** Rows per page of an export. */
  public static final int EXPORT_PAGE = 500;
  static final List<String> RETRYABLE = List.of("failed", "dead", "cancelled");
  static final List<String> CANCELLABLE = List.of("pending", "failed", "dead", "held");
  static final List<String> BULK_RETRYABLE = List.of("failed", "dead");

  private static final String COLUMNS = "d.id, d.notification_id, d.digest_id, coalesce(n.recipient, g.recipient) AS recipient, d.channel, d.destination, d.status, d.reason, "
      + "d.priority, d.attempts, d.max_attempts, d.next_attempt_at, d.last_error, d.last_error_class, d.last_http_status, "
      + "d.provider_message_id, d.expires_at, d.created_at, d.updated_at, d.sent_at";
  /** A digest's e-mail has no notification: its recipient comes from the digest. */
  private static final String JOIN = " LEFT JOIN notifications n ON n.id = d.notification_id LEFT JOIN digests g ON g.id = d.digest_id";

  private static final String FOR_NOTIFICATION = "SELECT " + COLUMNS + " FROM deliveries d" + JOIN
      + " WHERE d.notification_id = $1 ORDER BY d.created_at, d.channel";
  private static final String ATTEMPTS = "SELECT a.delivery_id, a.attempt, a.started_at, a.duration_ms, a.outcome, a.error_class, "
      + "a.error, a.http_status FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id "
      + "WHERE d.notification_id = $1 ORDER BY a.delivery_id, a.attempt";
  // one index range scan of deliveries_by_status per (status, channel), merged: newest change first
  private static final String LIST = "SELECT " + COLUMNS + " FROM (SELECT p.* FROM unnest($1::text[]) s(status) "
      + "CROSS JOIN unnest($2::text[]) c(channel) CROSS JOIN LATERAL (SELECT x.* FROM deliveries x "
      + "WHERE x.status = s.status AND x.channel = c.channel AND (x.updated_at, x.id) < ($3, $4) "
      + "ORDER BY x.updated_at DESC, x.id DESC LIMIT $5) p) d" + JOIN + " ORDER BY d.updated_at DESC, d.id DESC LIMIT $5";
  private static final String LOCK = "SELECT " + COLUMNS + ", d.expires_at IS NOT NULL AND d.expires_at <= now() AS expired "
      + "FROM deliveries d" + JOIN + " WHERE d.id = $1 FOR UPDATE OF d";
  private static final String RETRY_ONE = "WITH d AS (UPDATE deliveries SET " + requeue(2)
      + ", max_attempts = greatest(max_attempts, attempts + 1) WHERE id = $1 RETURNING *) SELECT " + COLUMNS + " FROM d" + JOIN;
  private static final String CANCEL_ONE = "WITH d AS (UPDATE deliveries SET status = 'cancelled', reason = 'operator', "
      + "lease_until = NULL, lease_owner = NULL, updated_at = now() WHERE id = $1 RETURNING *) SELECT " + COLUMNS + " FROM d" + JOIN;
  // $1 statuses, $2 channel or null, $3 max retries or null, $4 limit; critical and high first, then the oldest
  private static final String MATCHING = "FROM deliveries WHERE status = ANY($1::text[]) AND ($2::text IS NULL OR channel = $2) "
      + "AND (expires_at IS NULL OR expires_at > now()) AND ($3::int IS NULL OR attempts < $3) "
      + "ORDER BY priority, created_at, id LIMIT $4";
  private static final String DRY_RUN = "SELECT " + COLUMNS + " FROM (SELECT * " + MATCHING + ") d" + JOIN
      + " ORDER BY d.priority, d.created_at, d.id";
  private static final String RETRY_MATCHING = "WITH picked AS (SELECT id " + MATCHING + " FOR UPDATE SKIP LOCKED), "
      + "d AS (UPDATE deliveries u SET " + requeue(5) + ", max_attempts = coalesce($3, greatest(u.max_attempts, u.attempts + 1)) "
      + "FROM picked WHERE u.id = picked.id RETURNING u.*) "
      + "SELECT " + COLUMNS + " FROM d" + JOIN + " ORDER BY d.priority, d.created_at, d.id";

  private static final OffsetDateTime END_OF_TIME = OffsetDateTime.of(9999, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
  private static final UUID LAST_ID = new UUID(-1L, -1L);

  private final Pool pool;
  private final long requeueDelayMillis;

  /** {@code requeueDelay}: how long a re-queued row waits before the scanner may dispatch it. */
  public DeliveryAdminStore(Pool pool, Duration requeueDelay) {
    this.pool = pool;
    this.requeueDelayMillis = requeueDelay.toMillis();
  }

  /** A delivery with its attempts, oldest first. */
  public record Detail(DeliveryView delivery, List<DeliveryView.Attempt> attempts) {
  }

  /** A page of deliveries, newest change first; {@code next} is null on the last page. */
  public record Page(List<DeliveryView> items, DeliveryCursor next) {
  }

  /** What an operator action did. {@code delivery} is the row after the action, or as found when refused; null when unknown. */
  public record Change(Outcome outcome, DeliveryView delivery) {
  }

  public enum Outcome {
    DONE, NOT_FOUND, WRONG_STATUS, EXPIRED
  }

  /** The deliveries of a notification, each with its attempts. */
  public Future<List<Detail>> get(UUID notificationId) {
    Future<RowSet<Row>> deliveries = pool.preparedQuery(FOR_NOTIFICATION).execute(Tuple.of(notificationId));
    Future<RowSet<Row>> attempts = pool.preparedQuery(ATTEMPTS).execute(Tuple.of(notificationId));
    return Future.all(deliveries, attempts).map(both -> {
      Map<UUID, List<DeliveryView.Attempt>> log = new HashMap<>();
      for (Row r : attempts.result()) {
        log.computeIfAbsent(r.getUUID(0), k -> new ArrayList<>()).add(new DeliveryView.Attempt(r.getInteger(1),
            r.getOffsetDateTime(2), r.getInteger(3), r.getString(4), r.getString(5), r.getString(6), r.getInteger(7)));
      }
      List<Detail> out = new ArrayList<>();
      for (Row r : deliveries.result()) {
        DeliveryView d = read(r);
        out.add(new Detail(d, log.getOrDefault(d.id(), List.of())));
      }
      return out;
    });
  }

  /** The {@code deliveries} array of {@code GET /v1/notifications/{id}}. */
  public Future<JsonArray> forNotification(UUID notificationId) {
    return get(notificationId).map(details -> {
      JsonArray out = new JsonArray();
      details.forEach(d -> out.add(d.delivery().toJson(d.attempts())));
      return out;
    });
  }

  /** Newest change first; {@code status} and {@code channel} null mean any. */
  public Future<Page> list(String status, String channel, int limit, DeliveryCursor before) {
    DeliveryCursor from = before != null ? before : new DeliveryCursor(END_OF_TIME, LAST_ID);
    String[] statuses = status != null ? new String[] {status} : DeliveryView.STATUSES.toArray(new String[0]);
    String[] channels = channel != null ? new String[] {channel} : DeliveryView.CHANNELS.toArray(new String[0]);
    return pool.preparedQuery(LIST)
        .execute(Tuple.tuple().addValue(statuses).addValue(channels).addValue(from.updatedAt()).addValue(from.id()).addValue(limit + 1))
        .map(rows -> {
          List<DeliveryView> items = readAll(rows);
          DeliveryCursor next = null;
          if (items.size() > limit) {
            items.remove(items.size() - 1);
            next = DeliveryCursor.after(items.get(items.size() - 1));
          }
          return new Page(items, next);
        });
  }

  /** One page ({@link #EXPORT_PAGE} rows) of an export, after {@code after} (null: from the newest). */
  public Future<Page> export(String status, String channel, DeliveryCursor after) {
    return list(status, channel, EXPORT_PAGE, after);
  }

  /**
   * Re-queues a failed, dead or cancelled delivery whose notification has not expired; a dead row
   * gets at least one more attempt. The caller dispatches the returned row.
   */
  public Future<Change> retry(UUID id) {
    return act(id, RETRYABLE, true, conn -> conn.preparedQuery(RETRY_ONE).execute(Tuple.of(id, requeueDelayMillis)));
  }

  /** Cancels a pending, failed or dead delivery (reason {@code operator}). */
  public Future<Change> cancel(UUID id) {
    return act(id, CANCELLABLE, false, conn -> conn.preparedQuery(CANCEL_ONE).execute(Tuple.of(id)));
  }

  /**
   * Failed and/or dead deliveries ({@code status} null: both) of {@code channel} (null: any),
   * critical and high priority first, then the oldest, at most {@code limit}. A dry run only
   * lists them; otherwise they are re-queued in one statement (rows another transaction holds are
   * skipped). {@code maxRetries}, when set, takes only rows with fewer attempts and makes it their
   * {@code max_attempts}; without it a dead row gets at least one more attempt.
   */
  public Future<List<DeliveryView>> retryMatching(String status, String channel, int limit, boolean dryRun, Integer maxRetries) {
    String[] statuses = status != null ? new String[] {status} : BULK_RETRYABLE.toArray(new String[0]);
    Tuple args = Tuple.tuple().addValue(statuses).addValue(channel).addValue(maxRetries).addValue(limit);
    if (!dryRun) {
      args.addValue(requeueDelayMillis);
    }
    return pool.preparedQuery(dryRun ? DRY_RUN : RETRY_MATCHING).execute(args).map(DeliveryAdminStore::readAll);
  }

  /**
   * The SET list that makes a row pending again, due after the delay in milliseconds given as
   * parameter {@code $n}; it waits from now on ({@code due_since}), the operator having asked for it.
   */
  private static String requeue(int n) {
    return "status = 'pending', reason = NULL, lease_until = NULL, lease_owner = NULL, updated_at = now(), due_since = now(), "
        + "next_attempt_at = now() + $" + n + "::bigint * interval '1 millisecond'";
  }

  private interface Action {
    Future<RowSet<Row>> apply(SqlConnection conn);
  }

  /** Locks the row, checks its status (and expiry), then applies the change, in one transaction. */
  private Future<Change> act(UUID id, List<String> allowed, boolean refuseExpired, Action action) {
    return pool.withTransaction(conn -> conn.preparedQuery(LOCK).execute(Tuple.of(id)).compose(found -> {
      if (found.size() == 0) {
        return Future.succeededFuture(new Change(Outcome.NOT_FOUND, null));
      }
      Row row = found.iterator().next();
      DeliveryView current = read(row);
      if (!allowed.contains(current.status())) {
        return Future.succeededFuture(new Change(Outcome.WRONG_STATUS, current));
      }
      if (refuseExpired && row.getBoolean("expired")) {
        return Future.succeededFuture(new Change(Outcome.EXPIRED, current));
      }
      return action.apply(conn).map(rows -> new Change(Outcome.DONE, read(rows.iterator().next())));
    }));
  }

  private static List<DeliveryView> readAll(RowSet<Row> rows) {
    List<DeliveryView> out = new ArrayList<>(rows.size());
    rows.forEach(r -> out.add(read(r)));
    return out;
  }

  private static DeliveryView read(Row r) {
    return new DeliveryView(r.getUUID("id"), r.getUUID("notification_id"), r.getUUID("digest_id"), r.getString("recipient"), r.getString("channel"),
        r.getString("destination"), r.getString("status"), r.getString("reason"), r.getInteger("priority"), r.getInteger("attempts"),
        r.getInteger("max_attempts"), r.getOffsetDateTime("next_attempt_at"), r.getString("last_error"),
        r.getString("last_error_class"), r.getInteger("last_http_status"), r.getString("provider_message_id"),
        r.getOffsetDateTime("expires_at"), r.getOffsetDateTime("created_at"), r.getOffsetDateTime("updated_at"),
        r.getOffsetDateTime("sent_at"));
  }
}
