package io.herald.store;

import io.herald.delivery.Dispatch;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * Digests in the database. Held e-mails whose digest time came are gathered per recipient into one
 * digest with its own e-mail delivery row (no notification), which the e-mail worker sends with the
 * usual retries; the held rows become {@code digested} and point at it. Unread summaries are digests
 * of the unread inbox, looked at once a day per subscriber. Every step locks its rows with
 * SKIP LOCKED, so several nodes may run it at once; "now" is a parameter, so tests choose the hour.
 */
public final class DigestStore {
  private static final String ITEM_COLUMNS = NotificationStore.columns("n");

  /** Recipients with held rows due by $1, oldest due first (duplicates removed by the caller). */
  private static final String DUE_RECIPIENTS = "SELECT n.recipient FROM deliveries d JOIN notifications n ON n.id = d.notification_id "
      + "WHERE d.status = 'held' AND d.next_attempt_at <= $1 ORDER BY d.next_attempt_at LIMIT $2";
  /**
   * Of these recipients, those this transaction now owns for digests: one advisory lock per
   * recipient (and schema), so two nodes never split one recipient's digest between them.
   */
  private static final String CLAIM_RECIPIENTS = "SELECT r FROM unnest($1::text[]) AS r "
      + "WHERE pg_try_advisory_xact_lock(hashtext(current_schema() || ':digest:' || r))";
  /** Held rows due by $2 that must not go after all: subscriber gone, item deleted or expired, e-mail or category opted out. */
  private static final String DROP_HELD = "WITH c AS (SELECT d.id, CASE WHEN s.user_id IS NULL OR s.email IS NULL THEN 'no_destination' "
      + "WHEN n.deleted_at IS NOT NULL THEN 'deleted' WHEN n.expired OR n.expires_at <= $2 THEN 'expired' "
      + "WHEN s.preferences -> 'channels' -> 'email' = 'false'::jsonb "
      + "OR s.preferences -> 'categories' -> n.category = 'false'::jsonb THEN 'opted_out' END AS why "
      + "FROM notifications n JOIN deliveries d ON d.notification_id = n.id LEFT JOIN subscribers s ON s.user_id = n.recipient "
      + "WHERE n.recipient = ANY($1::text[]) AND d.status = 'held' AND d.next_attempt_at <= $2) "
      + "UPDATE deliveries d SET status = 'cancelled', reason = c.why, updated_at = now() FROM c WHERE d.id = c.id AND c.why IS NOT NULL";
  /** The newest $3 notifications behind each recipient's due held rows, with how many there are and where the digest goes. */
  private static final String HELD_ITEMS = "SELECT q.total, s.email AS subscriber_email, s.locale AS subscriber_locale, "
      + NotificationStore.columns("q") + " FROM (SELECT n.*, count(*) OVER (PARTITION BY n.recipient) AS total, "
      + "row_number() OVER (PARTITION BY n.recipient ORDER BY n.created_at DESC, n.id DESC) AS rk FROM notifications n "
      + "WHERE n.recipient = ANY($1::text[]) AND EXISTS (SELECT 1 FROM deliveries d WHERE d.notification_id = n.id "
      + "AND d.status = 'held' AND d.next_attempt_at <= $2)) q JOIN subscribers s ON s.user_id = q.recipient "
      + "WHERE q.rk <= $3 ORDER BY q.recipient, q.created_at, q.id";
  /** Every due held row of each recipient becomes part of that recipient's digest. */
  private static final String DIGESTED = "UPDATE deliveries d SET status = 'digested', digest_id = t.g, updated_at = now() "
      + "FROM unnest($1::text[], $2::uuid[]) AS t(r, g) JOIN notifications n ON n.recipient = t.r "
      + "WHERE d.notification_id = n.id AND d.status = 'held' AND d.next_attempt_at <= $3";
  /** Subscribers whose daily unread summary is due by $1, locked; $2 limit, $3 default zone, $4 default hour. */
  private static final String LOCK_SUMMARIES = "SELECT s.user_id, s.email, s.locale, i.unread, i.seen_at, "
      + "(SELECT max(g.created_at) FROM digests g WHERE g.recipient = s.user_id AND g.kind = 'unread') AS summarised_at, "
      + "coalesce((s.preferences -> 'digest' ->> 'unreadSummary')::boolean, true) AS wanted, "
      + "digest_slot('daily', coalesce(s.time_zone, $3), coalesce((s.preferences -> 'digest' ->> 'hour')::int, $4), 1, $1) AS next "
      + "FROM subscribers s LEFT JOIN inbox i ON i.recipient = s.user_id "
      + "WHERE s.summary_at <= $1 ORDER BY s.summary_at LIMIT $2 FOR UPDATE OF s SKIP LOCKED";
  /** Each user's newest unread notifications in the inbox at $2, at most $3 each, oldest first. */
  private static final String UNREAD = "SELECT " + ITEM_COLUMNS + " FROM unnest($1::text[]) u(r) CROSS JOIN LATERAL "
      + "(SELECT * FROM notifications x WHERE x.recipient = u.r AND x.read_at IS NULL AND x.deleted_at IS NULL "
      + "AND NOT x.scheduled AND NOT x.expired AND (x.expires_at IS NULL OR x.expires_at > $2) ORDER BY x.seq DESC LIMIT $3) n "
      + "ORDER BY n.recipient, n.seq";
  private static final String INSERT_DIGESTS = "INSERT INTO digests (id, recipient, kind, items, parts, created_at) "
      + "SELECT id, r, k, i, p::jsonb, now() FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[]) AS t(id, r, k, i, p)";
  private static final String INSERT_DELIVERIES = "INSERT INTO deliveries (id, digest_id, channel, destination, status, priority, "
      + "max_attempts, next_attempt_at, due_since, created_at, updated_at) SELECT id, g, 'email', dest, 'pending', 2, $4, "
      + "now() + $5 * interval '1 second', now(), now(), now() FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS t(id, g, dest)";
  private static final String MARK_DIGESTED = "UPDATE deliveries d SET status = 'digested', digest_id = t.g, updated_at = now() "
      + "FROM unnest($1::uuid[], $2::uuid[]) AS t(id, g) WHERE d.id = t.id";
  private static final String CANCEL = "UPDATE deliveries d SET status = 'cancelled', reason = t.why, updated_at = now() "
      + "FROM unnest($1::uuid[], $2::text[]) AS t(id, why) WHERE d.id = t.id";
  private static final String RESCHEDULE = "UPDATE subscribers s SET summary_at = t.next "
      + "FROM unnest($1::text[], $2::timestamptz[]) AS t(u, next) WHERE s.user_id = t.u";

  private final Pool pool;

  public DigestStore(Pool pool) {
    this.pool = pool;
  }

  /** What one digest e-mail will hold: the recipient, their locale, its kind and items (newest last), and the total behind them. */
  public record Pending(String recipient, String locale, String kind, List<Notification> items, int total) {
  }

  /** How a pass went: digests made, held rows they took in, held rows cancelled, and the digest e-mails to dispatch. */
  public record Outcome(int digests, int digested, int cancelled, List<Dispatch> dispatches, boolean more) {
  }

  /** How digest e-mails are written: the channel's attempts, the pending grace, the item cap. */
  public record Settings(int maxAttempts, int graceSeconds, int maxItems, String defaultZone, int defaultHour) {
  }

  /** A digest to write, with the id of its e-mail delivery. */
  private record Digest(UUID id, UUID deliveryId, String recipient, String kind, String destination, int items, JsonObject parts) {
    Digest(String recipient, String kind, String destination, int items, JsonObject parts) {
      this(Ids.next(), Ids.next(), recipient, kind, destination, items, parts);
    }
  }

  /**
   * Puts together the digests of up to about {@code recipients} recipients whose held e-mails are
   * due at {@code now}, each recipient owned by one node at a time. Rows that must not go after all
   * are cancelled first: the subscriber (or their address) is gone ({@code no_destination}), the
   * user deleted the item or it expired ({@code deleted}, {@code expired}), or they opted out of
   * e-mail or of the category since ({@code opted_out}). The rest become {@code digested}; the
   * digest lists the newest {@code maxItems} and counts them all. {@code compose} turns a digest
   * into its e-mail parts {subject, text, html}.
   */
  public Future<Outcome> digestHeld(Instant now, int recipients, Settings settings, Function<Pending, JsonObject> compose) {
    OffsetDateTime at = now.atOffset(ZoneOffset.UTC);
    return pool.preparedQuery(DUE_RECIPIENTS).execute(Tuple.of(at, recipients)).compose(due -> {
      Set<String> users = new LinkedHashSet<>();
      due.forEach(r -> users.add(r.getString(0)));
      if (users.isEmpty()) {
        return Future.succeededFuture(new Outcome(0, 0, 0, List.of(), false));
      }
      return pool.withTransaction(conn -> conn.preparedQuery(CLAIM_RECIPIENTS)
          .execute(Tuple.tuple().addValue(users.toArray(new String[0])))
          .compose(claimed -> {
            List<String> mine = new ArrayList<>();
            claimed.forEach(r -> mine.add(r.getString(0)));
            if (mine.isEmpty()) {
              return Future.succeededFuture(new Outcome(0, 0, 0, List.of(), false)); // another node has them all
            }
            Tuple owned = Tuple.tuple().addValue(mine.toArray(new String[0])).addValue(at);
            return conn.preparedQuery(DROP_HELD).execute(owned).compose(dropped -> conn.preparedQuery(HELD_ITEMS)
                .execute(Tuple.tuple().addValue(mine.toArray(new String[0])).addValue(at).addValue(settings.maxItems()))
                .compose(rows -> {
                  Map<String, List<Row>> byUser = new LinkedHashMap<>();
                  rows.forEach(r -> byUser.computeIfAbsent(r.getString("recipient"), k -> new ArrayList<>()).add(r));
                  List<Digest> digests = new ArrayList<>();
                  byUser.forEach((user, items) -> {
                    Row first = items.get(0);
                    List<Notification> list = new ArrayList<>(items.size());
                    items.forEach(r -> list.add(NotificationStore.read(r)));
                    int total = first.getLong("total").intValue();
                    JsonObject parts = compose.apply(new Pending(user, first.getString("subscriber_locale"), "digest", list, total));
                    digests.add(new Digest(user, "digest", first.getString("subscriber_email"), total, parts));
                  });
                  return write(conn, digests, settings)
                      .compose(v -> digests.isEmpty() ? Future.succeededFuture(0) : conn.preparedQuery(DIGESTED)
                          .execute(Tuple.tuple().addValue(digests.stream().map(Digest::recipient).toArray(String[]::new))
                              .addValue(digests.stream().map(Digest::id).toArray(UUID[]::new)).addValue(at))
                          .map(io.vertx.sqlclient.SqlResult::rowCount))
                      // another pass only when this one took rows: recipients another node holds are its to send
                      .map(digested -> new Outcome(digests.size(), digested, dropped.rowCount(), dispatches(digests),
                          due.size() == recipients && digested + dropped.rowCount() > 0));
                }));
          }));
    });
  }

  /**
   * Looks at up to {@code limit} subscribers whose unread summary is due at {@code now}: one who
   * wants summaries, has an e-mail address, has opened no socket in the 24 hours before and has
   * unread notifications, at least one of them newer than both their last socket and their last
   * summary, gets a summary of the newest {@code maxItems}. Every one looked at is moved on to
   * their next digest hour.
   */
  public Future<Outcome> summarise(Instant now, int limit, Settings settings, Function<Pending, JsonObject> compose) {
    OffsetDateTime at = now.atOffset(ZoneOffset.UTC);
    OffsetDateTime dayBefore = at.minusDays(1);
    return pool.withTransaction(conn -> conn.preparedQuery(LOCK_SUMMARIES)
        .execute(Tuple.of(at, limit, settings.defaultZone(), settings.defaultHour()))
        .compose(subscribers -> {
          List<String> looked = new ArrayList<>();
          List<OffsetDateTime> next = new ArrayList<>();
          Map<String, Row> eligible = new LinkedHashMap<>();
          subscribers.forEach(r -> {
            looked.add(r.getString("user_id"));
            next.add(r.getOffsetDateTime("next"));
            Integer unread = r.getInteger("unread");
            OffsetDateTime seen = r.getOffsetDateTime("seen_at");
            if (r.getBoolean("wanted") && r.getString("email") != null && unread != null && unread > 0
                && (seen == null || seen.isBefore(dayBefore))) {
              eligible.put(r.getString("user_id"), r);
            }
          });
          if (looked.isEmpty()) {
            return Future.succeededFuture(new Outcome(0, 0, 0, List.of(), false));
          }
          Future<List<Digest>> made = eligible.isEmpty() ? Future.succeededFuture(List.of())
              : conn.preparedQuery(UNREAD).execute(Tuple.tuple().addValue(eligible.keySet().toArray(new String[0])).addValue(at)
                  .addValue(settings.maxItems()))
              .map(rows -> {
                Map<String, List<Notification>> unread = new LinkedHashMap<>();
                rows.forEach(r -> unread.computeIfAbsent(r.getString("recipient"), k -> new ArrayList<>()).add(NotificationStore.read(r)));
                List<Digest> digests = new ArrayList<>();
                unread.forEach((user, items) -> {
                  // nothing new since they were last here or last summarised: the same list again would be noise
                  Row s = eligible.get(user);
                  OffsetDateTime since = latest(s.getOffsetDateTime("seen_at"), s.getOffsetDateTime("summarised_at"));
                  if (since != null && !items.get(items.size() - 1).createdAt().isAfter(since)) {
                    return;
                  }
                  int total = Math.max(s.getInteger("unread"), items.size());
                  JsonObject parts = compose.apply(new Pending(user, s.getString("locale"), "unread", items, total));
                  digests.add(new Digest(user, "unread", s.getString("email"), total, parts));
                });
                return digests;
              });
          return made.compose(digests -> write(conn, digests, settings)
              .compose(v -> conn.preparedQuery(RESCHEDULE).execute(Tuple.tuple().addValue(looked.toArray(new String[0]))
                  .addValue(next.toArray(new OffsetDateTime[0]))))
              .map(v -> new Outcome(digests.size(), 0, 0, dispatches(digests), looked.size() == limit)));
        }));
  }

  private static OffsetDateTime latest(OffsetDateTime a, OffsetDateTime b) {
    return a == null ? b : b == null || a.isAfter(b) ? a : b;
  }

  private static Future<?> write(SqlConnection conn, List<Digest> digests, Settings settings) {
    if (digests.isEmpty()) {
      return Future.succeededFuture();
    }
    UUID[] ids = digests.stream().map(Digest::id).toArray(UUID[]::new);
    return conn.preparedQuery(INSERT_DIGESTS).execute(Tuple.tuple().addValue(ids)
            .addValue(digests.stream().map(Digest::recipient).toArray(String[]::new))
            .addValue(digests.stream().map(Digest::kind).toArray(String[]::new))
            .addValue(digests.stream().map(Digest::items).toArray(Integer[]::new))
            .addValue(digests.stream().map(d -> d.parts().encode()).toArray(String[]::new)))
        .compose(v -> conn.preparedQuery(INSERT_DELIVERIES).execute(Tuple.tuple()
            .addValue(digests.stream().map(Digest::deliveryId).toArray(UUID[]::new)).addValue(ids)
            .addValue(digests.stream().map(Digest::destination).toArray(String[]::new))
            .addValue(settings.maxAttempts()).addValue(settings.graceSeconds())));
  }

  private static List<Dispatch> dispatches(List<Digest> digests) {
    return digests.stream().map(d -> new Dispatch(d.deliveryId(), "email", 0)).toList();
  }

  /** Fails unless PostgreSQL knows {@code zone} (Java and PostgreSQL ship their own time-zone data). */
  public Future<Void> checkZone(String zone) {
    return pool.preparedQuery("SELECT now() AT TIME ZONE $1").execute(Tuple.of(zone)).mapEmpty();
  }

  /** Cancels every held delivery (reason {@code why}): without the e-mail channel no digest can go. Answers how many. */
  public Future<Integer> cancelHeld(String why) {
    return pool.preparedQuery("UPDATE deliveries SET status = 'cancelled', reason = $1, updated_at = now() WHERE status = 'held'")
        .execute(Tuple.of(why)).map(io.vertx.sqlclient.SqlResult::rowCount);
  }
}
