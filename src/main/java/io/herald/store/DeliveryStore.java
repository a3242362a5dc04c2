package io.herald.store;

import io.herald.delivery.DeliveryJob;
import io.herald.delivery.Dispatch;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The delivery rows as a queue: workers claim and finish them, the retry scanner re-queues what is
 * due, abandoned or expired. Every state change is one guarded statement, so any number of
 * workers and scanners on any number of nodes can run against one database.
 */
public final class DeliveryStore {
  private static final String NOTIFICATION_COLUMNS = NotificationStore.columns("n");

  /**
   * Claims the deliveries that still have the attempts count their dispatch saw and are pending or
   * failed and not expired: sending, attempts + 1, leased to {@code owner}; records the attempt as
   * started. Rows another claimer holds are skipped (it has them). Answers what to send.
   */
  private static final String CLAIM = "WITH want AS (SELECT * FROM unnest($1::uuid[], $2::int[]) AS t(id, attempts)), "
      + "pick AS (SELECT d.id FROM deliveries d JOIN want w ON d.id = w.id AND d.attempts = w.attempts "
      + "WHERE (d.status = 'pending' OR d.status = 'failed' AND d.next_attempt_at <= now()) "
      + "AND (d.expires_at IS NULL OR d.expires_at > now()) "
      + "ORDER BY d.id FOR UPDATE OF d SKIP LOCKED), "
      + "c AS (UPDATE deliveries d SET status = 'sending', attempts = d.attempts + 1, lease_until = now() + $3 * interval '1 second', "
      + "lease_owner = $4, updated_at = now() FROM pick WHERE d.id = pick.id "
      + "RETURNING d.id, d.notification_id, d.digest_id, d.channel, d.destination, d.attempts, d.max_attempts), "
      + "a AS (INSERT INTO delivery_attempts (delivery_id, attempt, started_at, outcome, node) "
      + "SELECT id, attempts, now(), 'sending', $4 FROM c) "
      + "SELECT c.id AS delivery_id, c.channel AS delivery_channel, c.destination, c.attempts AS attempt, c.max_attempts, "
      + "coalesce(g.parts, nc.parts) AS parts, c.digest_id, g.recipient AS digest_recipient, g.created_at AS digest_created, "
      + NOTIFICATION_COLUMNS + " FROM c LEFT JOIN notifications n ON n.id = c.notification_id "
      + "LEFT JOIN notification_content nc ON nc.notification_id = c.notification_id AND nc.channel = c.channel "
      + "LEFT JOIN digests g ON g.id = c.digest_id AND c.notification_id IS NULL";

  /**
   * Records outcomes. The delivery row changes only while it is still on the attempt that is
   * reporting and sending (a worker whose lease was taken over cannot overwrite the newer
   * attempt, nor an operator's retry); a late success still lands on a row taken back but not yet
   * claimed again, which saves a duplicate send. The attempt's own row always gets its outcome.
   * A failed attempt's retry time is when the row is due again ({@code due_since}).
   */
  private static final String FINISH = "WITH f AS (SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::timestamptz[], "
      + "$5::text[], $6::text[], $7::int[], $8::text[], $9::int[]) "
      + "AS t(id, attempt, status, next_at, error, error_class, http_status, provider_id, duration_ms)), "
      + "d AS (UPDATE deliveries SET status = f.status, next_attempt_at = coalesce(f.next_at, deliveries.next_attempt_at), "
      + "due_since = coalesce(f.next_at, deliveries.due_since), lease_until = NULL, lease_owner = NULL, "
      + "last_error = coalesce(f.error, deliveries.last_error), "
      + "last_error_class = coalesce(f.error_class, deliveries.last_error_class), "
      + "last_http_status = coalesce(f.http_status, deliveries.last_http_status), "
      + "provider_message_id = coalesce(f.provider_id, deliveries.provider_message_id), "
      + "sent_at = CASE WHEN f.status = 'sent' THEN now() ELSE deliveries.sent_at END, updated_at = now() "
      + "FROM f WHERE deliveries.id = f.id AND deliveries.attempts = f.attempt "
      + "AND (deliveries.status = 'sending' OR deliveries.status = 'pending' AND f.status = 'sent') "
      + "RETURNING deliveries.id), "
      + "a AS (UPDATE delivery_attempts SET outcome = f.status, duration_ms = f.duration_ms, error_class = f.error_class, "
      + "error = f.error, http_status = f.http_status FROM f "
      + "WHERE delivery_attempts.delivery_id = f.id AND delivery_attempts.attempt = f.attempt) "
      + "SELECT id FROM d";

  private static final String EXPIRE = "WITH gone AS (SELECT id FROM deliveries WHERE expires_at <= now() "
      + "AND status IN ('pending', 'failed') ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED) "
      + "UPDATE deliveries d SET status = 'cancelled', reason = 'expired', updated_at = now() FROM gone WHERE d.id = gone.id";

  /** An abandoned send has been due again since its lease ran out. */
  private static final String ABANDONED = "WITH stale AS (SELECT id FROM deliveries WHERE status = 'sending' AND lease_until <= now() "
      + "ORDER BY lease_until LIMIT $1 FOR UPDATE SKIP LOCKED), "
      + "upd AS (UPDATE deliveries d SET status = CASE WHEN d.attempts >= d.max_attempts THEN 'dead' ELSE 'pending' END, "
      + "next_attempt_at = now() + $2 * interval '1 second', due_since = d.lease_until, lease_until = NULL, lease_owner = NULL, "
      + "last_error = 'attempt ' || d.attempts || ' abandoned: no outcome before its lease ran out (node stopped?)', "
      + "last_error_class = 'temporary', updated_at = now() FROM stale WHERE d.id = stale.id "
      + "RETURNING d.id, d.channel, d.attempts, d.status), "
      + "att AS (UPDATE delivery_attempts a SET outcome = 'lease_expired' FROM upd "
      + "WHERE a.delivery_id = upd.id AND a.attempt = upd.attempts AND a.outcome = 'sending') "
      + "SELECT id, channel, attempts, status FROM upd";

  /**
   * Due rows of one priority, oldest due first, re-queued: pending again, re-dispatchable only after
   * the grace. due_since stays: the row has waited since it became due, however often it is
   * re-dispatched. A row without one (written by a node of a version before V013 during a rolling
   * update) gets it here as that version counted it: a never-tried row from its notification's
   * send time (or creation), a tried one from its retry time.
   */
  private static final String DUE = "WITH due AS (SELECT id FROM deliveries WHERE status IN ('pending', 'failed') AND priority = $1 "
      + "AND next_attempt_at <= now() AND (expires_at IS NULL OR expires_at > now()) "
      + "ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED) "
      + "UPDATE deliveries d SET status = 'pending', next_attempt_at = now() + $3 * interval '1 second', updated_at = now(), "
      + "due_since = coalesce(d.due_since, CASE WHEN d.attempts > 0 THEN d.next_attempt_at "
      + "ELSE greatest(d.created_at, (SELECT n.send_at FROM notifications n WHERE n.id = d.notification_id)) END) "
      + "FROM due WHERE d.id = due.id RETURNING d.id, d.channel, d.attempts, 'pending' AS status";

  private final Pool pool;

  public DeliveryStore(Pool pool) {
    this.pool = pool;
  }

  /** A finished attempt: {@code status} sent, failed (with {@code nextAttemptAt}) or dead. */
  public record Finish(UUID id, UUID notificationId, int attempt, String status, OffsetDateTime nextAttemptAt, String error, String errorClass,
                       Integer httpStatus, String providerMessageId, int durationMs) {
  }

  /** Claims the dispatched deliveries it can for {@code owner}, leased for {@code leaseSeconds}. */
  public Future<List<DeliveryJob>> claim(List<Dispatch> dispatches, int leaseSeconds, String owner) {
    Tuple params = Tuple.tuple()
        .addValue(dispatches.stream().map(Dispatch::id).toArray(UUID[]::new))
        .addValue(dispatches.stream().map(Dispatch::attempts).toArray(Integer[]::new))
        .addValue(leaseSeconds)
        .addValue(owner);
    return pool.preparedQuery(CLAIM).execute(params).map(rows -> {
      List<DeliveryJob> jobs = new ArrayList<>(rows.size());
      rows.forEach(r -> {
        JsonObject parts = r.getValue("parts") instanceof JsonObject p ? p : null;
        Notification n = r.getUUID("id") != null ? NotificationStore.read(r) : digestAsNotification(r, parts);
        jobs.add(new DeliveryJob(r.getUUID("delivery_id"), r.getString("delivery_channel"), r.getString("destination"),
            r.getInteger("attempt"), r.getInteger("max_attempts"), n, parts));
      });
      return jobs;
    });
  }

  /** A digest's e-mail as the sender sees it: the digest's subject and text stand in for a title and body. */
  private static Notification digestAsNotification(Row r, JsonObject parts) {
    return new Notification(r.getUUID("digest_id"), r.getString("digest_recipient"), 0, parts.getString("subject"),
        parts.getString("text"), "info", "digest", null, null, null, "normal", List.of("email"), null, null,
        r.getOffsetDateTime("digest_created"), null, null, null);
  }

  /** Records finished attempts; answers the ids whose delivery row took the outcome (not overtaken). */
  public Future<List<UUID>> finish(List<Finish> outcomes) {
    Tuple params = Tuple.tuple()
        .addValue(outcomes.stream().map(Finish::id).toArray(UUID[]::new))
        .addValue(outcomes.stream().map(Finish::attempt).toArray(Integer[]::new))
        .addValue(outcomes.stream().map(Finish::status).toArray(String[]::new))
        .addValue(outcomes.stream().map(Finish::nextAttemptAt).toArray(OffsetDateTime[]::new))
        .addValue(outcomes.stream().map(Finish::error).toArray(String[]::new))
        .addValue(outcomes.stream().map(Finish::errorClass).toArray(String[]::new))
        .addValue(outcomes.stream().map(Finish::httpStatus).toArray(Integer[]::new))
        .addValue(outcomes.stream().map(Finish::providerMessageId).toArray(String[]::new))
        .addValue(outcomes.stream().map(Finish::durationMs).toArray(Integer[]::new));
    return pool.preparedQuery(FINISH).execute(params).map(rows -> {
      List<UUID> applied = new ArrayList<>(rows.size());
      rows.forEach(r -> applied.add(r.getUUID(0)));
      return applied;
    });
  }

  /**
   * Ends now the leases {@code owner} holds on sends of {@code channel} (a draining node whose sends
   * did not finish in time): the next retry scan on any node takes them back as abandoned.
   */
  public Future<Integer> endLeases(String owner, String channel) {
    return pool.preparedQuery("UPDATE deliveries SET lease_until = now() WHERE status = 'sending' AND lease_owner = $1 AND channel = $2")
        .execute(Tuple.of(owner, channel)).map(RowSet::rowCount);
  }

  /** Cancels up to {@code limit} waiting deliveries whose notification expired (reason {@code expired}); answers how many. */
  public Future<Integer> cancelExpired(int limit) {
    return pool.preparedQuery(EXPIRE).execute(Tuple.of(limit)).map(RowSet::rowCount);
  }

  /**
   * Takes back up to {@code limit} sends whose lease ran out: pending again (or dead when that was
   * the last attempt allowed), the abandoned attempt marked {@code lease_expired}. Answers the
   * rows to dispatch.
   */
  public Future<Reclaimed> reclaimAbandoned(int limit, int graceSeconds) {
    return pool.preparedQuery(ABANDONED).execute(Tuple.of(limit, graceSeconds))
        .map(rows -> new Reclaimed(rows.size(), pendingDispatches(rows)));
  }

  /** Abandoned sends taken back: how many rows, and those to dispatch again (the rest went dead). */
  public record Reclaimed(int rows, List<Dispatch> dispatches) {
  }

  /** Re-queues up to {@code limit} due deliveries of one priority (0 critical .. 3 low); answers them. */
  public Future<List<Dispatch>> requeueDue(int priority, int limit, int graceSeconds) {
    return pool.preparedQuery(DUE).execute(Tuple.of(priority, limit, graceSeconds)).map(DeliveryStore::pendingDispatches);
  }

  /** The waiting deliveries of notifications just released at their send time, to dispatch now. */
  public Future<List<Dispatch>> released(List<UUID> notificationIds, int graceSeconds) {
    if (notificationIds.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return pool.preparedQuery("UPDATE deliveries SET next_attempt_at = now() + $2 * interval '1 second', updated_at = now() "
            + "WHERE notification_id = ANY($1::uuid[]) AND status = 'pending' AND attempts = 0 "
            + "RETURNING id, channel, attempts, status")
        .execute(Tuple.tuple().addValue(notificationIds.toArray(new UUID[0])).addValue(graceSeconds))
        .map(DeliveryStore::pendingDispatches);
  }

  /** A notification's deliveries in short form, for answering an idempotent replay. */
  public Future<List<DeliveryRef>> refsOf(UUID notificationId) {
    return pool.preparedQuery("SELECT id, notification_id, channel, status, reason, attempts FROM deliveries "
            + "WHERE notification_id = $1 ORDER BY channel")
        .execute(Tuple.of(notificationId))
        .map(rows -> {
          List<DeliveryRef> out = new ArrayList<>();
          rows.forEach(r -> out.add(new DeliveryRef(r.getUUID(0), r.getUUID(1), r.getString(2), r.getString(3), r.getString(4),
              r.getInteger(5))));
          return out;
        });
  }

  private static List<Dispatch> pendingDispatches(RowSet<Row> rows) {
    List<Dispatch> out = new ArrayList<>(rows.size());
    for (Row r : rows) {
      if ("pending".equals(r.getString("status"))) {
        out.add(new Dispatch(r.getUUID("id"), r.getString("channel"), r.getInteger("attempts")));
      }
    }
    return out;
  }
}
