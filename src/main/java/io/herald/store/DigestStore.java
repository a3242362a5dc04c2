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
  /** Their due held rows, locked, with what the digest needs to know about each and about the subscriber. */
  private static final String LOCK_HELD = "SELECT d.id AS delivery_id, d.channel AS delivery_channel, d.destination, "
      + "n.deleted_at IS NOT NULL AS deleted, (n.expired OR n.expires_at <= $2) AS expired, s.email AS subscriber_email, "
      + "s.locale AS subscriber_locale, " + ITEM_COLUMNS + " "
      + "FROM deliveries d JOIN notifications n ON n.id = d.notification_id LEFT JOIN subscribers s ON s.user_id = n.recipient "
      + "WHERE d.status = 'held' AND d.next_attempt_at <= $2 AND n.recipient = ANY($1::text[]) "
      + "ORDER BY n.recipient, n.created_at, n.id FOR UPDATE OF d SKIP LOCKED";
  /** Subscribers whose daily unread summary is due by $1, locked; $2 limit, $3 default zone, $4 default hour. */
  private static final String LOCK_SUMMARIES = "SELECT s.user_id, s.email, s.locale, i.unread, i.seen_at, "
      + "coalesce((s.preferences -> 'digest' ->> 'unreadSummary')::boolean, true) AS wanted, "
      + "digest_slot('daily', coalesce(s.time_zone, $3), coalesce((s.preferences -> 'digest' ->> 'hour')::int, $4), 1, $1) AS next "
      + "FROM subscribers s LEFT JOIN inbox i ON i.recipient = s.user_id "
      + "WHERE s.summary_at <= $1 ORDER BY s.summary_at LIMIT $2 FOR UPDATE OF s SKIP LOCKED";
  /** Each user's newest unread notifications in the inbox at $2, at most $3 each. */
  private static final String UNREAD = "SELECT " + ITEM_COLUMNS + " FROM unnest($1::text[]) u(r) CROSS JOIN LATERAL "
      + "(SELECT * FROM notifications x WHERE x.recipient = u.r AND x.read_at IS NULL AND x.deleted_at IS NULL "
      + "AND NOT x.scheduled AND NOT x.expired AND (x.expires_at IS NULL OR x.expires_at > $2) ORDER BY x.seq DESC LIMIT $3) n";
  private static final String INSERT_DIGESTS = "INSERT INTO digests (id, recipient, kind, items, parts, created_at) "
      + "SELECT id, r, k, i, p::jsonb, now() FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[]) AS t(id, r, k, i, p)";
  private static final String INSERT_DELIVERIES = "INSERT INTO deliveries (id, digest_id, channel, destination, status, priority, "
      + "max_attempts, next_attempt_at, created_at, updated_at) SELECT id, g, 'email', dest, 'pending', 2, $4, "
      + "now() + $5 * interval '1 second', now(), now() FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS t(id, g, dest)";
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
   * due at {@code now}. Items the user deleted or that expired are left out (their rows
   * cancelled, reason {@code deleted} or {@code expired}); without an e-mail address (the
   * subscriber's, else the last held e-mail's own) every row is cancelled {@code no_destination}.
   * {@code compose} turns a digest into its e-mail parts {subject, text, html}.
   */
  public Future<Outcome> digestHeld(Instant now, int recipients, Settings settings, Function<Pending, JsonObject> compose) {
    OffsetDateTime at = now.atOffset(ZoneOffset.UTC);
    return pool.preparedQuery(DUE_RECIPIENTS).execute(Tuple.of(at, recipients)).compose(due -> {
      Set<String> users = new LinkedHashSet<>();
      due.forEach(r -> users.add(r.getString(0)));
      if (users.isEmpty()) {
        return Future.succeededFuture(new Outcome(0, 0, 0, List.of(), false));
      }
      return pool.withTransaction(conn -> conn.preparedQuery(LOCK_HELD)
          .execute(Tuple.tuple().addValue(users.toArray(new String[0])).addValue(at))
          .compose(rows -> {
            Map<String, List<Row>> byUser = new LinkedHashMap<>();
            rows.forEach(r -> byUser.computeIfAbsent(r.getString("recipient"), k -> new ArrayList<>()).add(r));
            List<Digest> digests = new ArrayList<>();
            List<UUID> digested = new ArrayList<>();
            List<UUID> digestOf = new ArrayList<>();
            List<UUID> cancelled = new ArrayList<>();
            List<String> why = new ArrayList<>();
            byUser.forEach((user, held) -> {
              String destination = held.get(0).getString("subscriber_email");
              List<Row> kept = new ArrayList<>();
              for (Row r : held) {
                if (r.getBoolean("deleted") || Boolean.TRUE.equals(r.getBoolean("expired"))) {
                  cancelled.add(r.getUUID("delivery_id"));
                  why.add(r.getBoolean("deleted") ? "deleted" : "expired");
                } else {
                  kept.add(r);
                  if ("email".equals(r.getString("delivery_channel")) && r.getString("destination") != null
                      && held.get(0).getString("subscriber_email") == null) {
                    destination = r.getString("destination");
                  }
                }
              }
              if (kept.isEmpty()) {
                return;
              }
              if (destination == null) {
                kept.forEach(r -> {
                  cancelled.add(r.getUUID("delivery_id"));
                  why.add("no_destination");
                });
                return;
              }
              // one row per notification: a throttled SMS and its e-mail fold into one item
              Map<UUID, Notification> items = new LinkedHashMap<>();
              kept.forEach(r -> items.putIfAbsent(r.getUUID("id"), NotificationStore.read(r)));
              List<Notification> list = new ArrayList<>(items.values());
              List<Notification> shown = list.subList(Math.max(0, list.size() - settings.maxItems()), list.size());
              JsonObject parts = compose.apply(new Pending(user, held.get(0).getString("subscriber_locale"), "digest", shown,
                  list.size()));
              Digest digest = new Digest(user, "digest", destination, list.size(), parts);
              digests.add(digest);
              kept.forEach(r -> {
                digested.add(r.getUUID("delivery_id"));
                digestOf.add(digest.id());
              });
            });
            return write(conn, digests, settings)
                .compose(v -> digested.isEmpty() ? Future.succeededFuture() : conn.preparedQuery(MARK_DIGESTED)
                    .execute(Tuple.tuple().addValue(digested.toArray(new UUID[0])).addValue(digestOf.toArray(new UUID[0]))))
                .compose(v -> cancelled.isEmpty() ? Future.succeededFuture() : conn.preparedQuery(CANCEL)
                    .execute(Tuple.tuple().addValue(cancelled.toArray(new UUID[0])).addValue(why.toArray(new String[0]))))
                // another pass only when this one took rows: rows another node holds are its to send
                .map(v -> new Outcome(digests.size(), digested.size(), cancelled.size(), dispatches(digests),
                    due.size() == recipients && rows.size() > 0));
          }));
    });
  }

  /**
   * Looks at up to {@code limit} subscribers whose unread summary is due at {@code now}: one who
   * wants summaries, has an e-mail address, has opened no socket in the 24 hours before and has
   * unread notifications, at least one of them from those 24 hours, gets a summary of the newest
   * {@code maxItems}. Every one looked at is moved on to their next digest hour.
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
                rows.forEach(r -> unread.computeIfAbsent(r.getString("recipient"), k -> new ArrayList<>()).add(0, NotificationStore.read(r)));
                List<Digest> digests = new ArrayList<>();
                unread.forEach((user, items) -> {
                  // nothing new since the last summary: the same list again would be noise
                  if (items.get(items.size() - 1).createdAt().isBefore(dayBefore)) {
                    return;
                  }
                  Row s = eligible.get(user);
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
}
