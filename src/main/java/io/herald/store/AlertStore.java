package io.herald.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The {@code alerts} table and the figures the health monitor judges channels by. Every statement
 * takes the moment it works at as a parameter (never SQL {@code now()}), so a check can be run at
 * any time a test chooses.
 */
public final class AlertStore {
  /** Most entries kept in an alert's {@code notifications}: a long outage adds a few per cooldown. */
  static final int NOTIFICATIONS_KEPT = 200;

  /**
   * Attempts of the last 24 h per channel; $1 now, $2 an hour ago, $3 a day ago. {@code last_refused} and {@code last_sent}:
   * the latest attempt the provider refused for credentials, and the latest one it accepted.
   */
  private static final String ATTEMPTS = "SELECT d.channel, "
      + "count(*) FILTER (WHERE a.started_at > $2 AND a.outcome IN ('failed', 'dead')) AS failed, "
      + "count(*) FILTER (WHERE a.started_at > $2 AND a.outcome IN ('sent', 'failed', 'dead')) AS finished, "
      + "count(*) FILTER (WHERE a.started_at > $2 AND a.error_class = 'credentials') AS credentials, "
      + "coalesce(array_agg(DISTINCT a.http_status ORDER BY a.http_status) FILTER (WHERE a.started_at > $2 "
      + "AND a.error_class = 'credentials' AND a.http_status IS NOT NULL), '{}') AS credential_statuses, "
      + "count(*) FILTER (WHERE a.error_class IN ('permanent', 'credentials')) AS permanent, "
      + "max(a.started_at) FILTER (WHERE a.error_class = 'credentials') AS last_refused, "
      + "max(a.started_at) FILTER (WHERE a.outcome = 'sent') AS last_sent "
      + "FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id "
      + "WHERE a.started_at > $3 AND a.started_at <= $1 GROUP BY d.channel ORDER BY d.channel";

  /** Deliveries waiting per channel (see {@link StatsStore#WAITING_SINCE}); $1 now, $2 the backlog threshold (now minus backlogMinutes). */
  private static final String WAITING = "SELECT channel, count(*) AS due, count(*) FILTER (WHERE since <= $2) AS overdue, "
      + "min(since) AS oldest FROM (" + StatsStore.WAITING_SINCE + ") w WHERE since <= $1 GROUP BY channel";

  /** When the admins last heard of the row's rule on its channel (from it or an earlier alert), as the statement began. */
  private static final String LAST_TOLD = "(SELECT max(p.notified_at) FROM alerts p WHERE p.rule = a.rule "
      + "AND p.channel IS NOT DISTINCT FROM a.channel) AS last_told";

  private static final String ACTIVE = "SELECT rule, channel FROM alerts WHERE status = 'active'";

  private static final String RAISE = "INSERT INTO alerts AS a (id, rule, channel, severity, status, title, message, details, "
      + "opened_at, last_seen_at) VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, $8, $8) "
      + "ON CONFLICT (rule, (coalesce(channel, ''))) WHERE status = 'active' DO UPDATE SET severity = EXCLUDED.severity, "
      + "title = EXCLUDED.title, message = EXCLUDED.message, details = EXCLUDED.details, last_seen_at = EXCLUDED.last_seen_at "
      + "RETURNING a.*, " + LAST_TOLD + ", a.id = $1 AS opened";

  /** Resolves every active alert whose rule/channel key is not in $2. */
  private static final String RESOLVE = "UPDATE alerts a SET status = 'resolved', resolved_at = $1 WHERE status = 'active' "
      + "AND NOT (rule || '/' || coalesce(channel, '') = ANY($2::text[])) RETURNING a.*, a.notified_at AS last_told, false AS opened";

  /**
   * Resolved since $1 after the admins had heard of them, not yet told of the resolution, and not reserved by a check (or
   * reserved at or before $2: that reservation has expired).
   */
  private static final String UNTOLD_RESOLUTIONS = "SELECT a.*, a.notified_at AS last_told, false AS opened FROM alerts a "
      + "WHERE status = 'resolved' AND notified_at < resolved_at AND resolved_at > $1 "
      + "AND (notice_reserved_at IS NULL OR notice_reserved_at <= $2) ORDER BY resolved_at, id";

  /**
   * Takes the right to send a notice for the check of node $3 at $2: only while no other check holds a live reservation (one
   * taken after $5 is live) and notified_at is still $4, what the check read (two nodes that both think they hold the health
   * lease cannot both win, and a notice told meanwhile is not taken again).
   */
  private static final String RESERVE = "UPDATE alerts SET notice_reserved_at = $2, notice_reserved_by = $3 WHERE id = $1 "
      + "AND notified_at IS NOT DISTINCT FROM $4::timestamptz AND (notice_reserved_at IS NULL OR notice_reserved_at <= $5) "
      + "RETURNING id";

  /** The reservation of the check of node $2 at $3, cleared where it still stands. */
  private static final String MINE = "notice_reserved_by = $2 AND notice_reserved_at = $3::timestamptz";

  /**
   * Appends $4 to the notifications (keeping the newest entries) and clears the reservation of the check of node $2 at $3;
   * when $5 (told), sets notified_at to $3, or for a resolution ($6) to no earlier than resolved_at (a node whose clock is
   * behind must not leave the resolution looking untold).
   */
  private static final String RECORD = "UPDATE alerts SET notified_at = CASE WHEN NOT $5::boolean THEN notified_at "
      + "WHEN $6::boolean THEN greatest(notified_at, $3::timestamptz, resolved_at) ELSE greatest(notified_at, $3::timestamptz) END, "
      + "notice_reserved_at = CASE WHEN " + MINE + " THEN NULL ELSE notice_reserved_at END, "
      + "notice_reserved_by = CASE WHEN " + MINE + " THEN NULL ELSE notice_reserved_by END, notifications = "
      + "(SELECT coalesce(jsonb_agg(e ORDER BY i), '[]') FROM jsonb_array_elements(notifications || $4::jsonb) WITH ORDINALITY t(e, i) "
      + "WHERE i > jsonb_array_length(notifications || $4::jsonb) - " + NOTIFICATIONS_KEPT + ") WHERE id = $1";

  /** Gives back the reservations of the check of node $2 at $3 on the alerts $1, where they still stand. */
  private static final String RELEASE = "UPDATE alerts SET notice_reserved_at = NULL, notice_reserved_by = NULL "
      + "WHERE id = ANY($1::uuid[]) AND " + MINE;

  private static final String LIST = "SELECT a.*, a.notified_at AS last_told, false AS opened FROM alerts a "
      + "WHERE ($1::text IS NULL OR status = $1) ORDER BY opened_at DESC, id DESC LIMIT $2";

  private final Pool pool;

  public AlertStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * What a check judges by: each channel's figures ({@code channels}: attempts of the last hour and
   * day, deliveries waiting, {@code overdue} counting those due for longer than the backlog
   * threshold; only channels with something to count), the provider's last word on each channel
   * with attempts in 24 h ({@code lastWords}), and the keys of the alerts active before the check.
   */
  public record Figures(Map<String, ChannelHealth> channels, Map<String, LastWord> lastWords, Set<String> active) {
  }

  /**
   * When a channel's provider last refused Herald's credentials and last accepted a message, in the
   * last 24 h (null: not in that time).
   */
  public record LastWord(OffsetDateTime refused, OffsetDateTime sent) {
    /** Whether nothing went through after the last refusal (or nothing at all): a refusal may still stand. */
    public boolean unanswered() {
      return sent == null || refused != null && !sent.isAfter(refused);
    }
  }

  /** The figures at {@code now}, {@code backlog} being how long a delivery may be due before it counts as overdue. */
  public Future<Figures> health(Instant now, Duration backlog) {
    OffsetDateTime at = utc(now);
    Future<RowSet<Row>> attempts = pool.preparedQuery(ATTEMPTS).execute(Tuple.of(at, at.minusHours(1), at.minusDays(1)));
    Future<RowSet<Row>> waiting = pool.preparedQuery(WAITING).execute(Tuple.of(at, at.minus(backlog)));
    Future<RowSet<Row>> active = pool.query(ACTIVE).execute();
    return Future.all(attempts, waiting, active).map(done -> {
      Map<String, ChannelHealth> out = new LinkedHashMap<>();
      Map<String, LastWord> words = new LinkedHashMap<>();
      for (Row r : attempts.result()) {
        Integer[] statuses = r.getArrayOfIntegers("credential_statuses");
        out.put(r.getString("channel"), new ChannelHealth(r.getString("channel"), r.getLong("failed"), r.getLong("finished"),
            r.getLong("credentials"), statuses == null ? List.of() : List.of(statuses), r.getLong("permanent"), 0, 0, null));
        words.put(r.getString("channel"), new LastWord(r.getOffsetDateTime("last_refused"), r.getOffsetDateTime("last_sent")));
      }
      for (Row r : waiting.result()) {
        String channel = r.getString("channel");
        ChannelHealth h = out.getOrDefault(channel, ChannelHealth.quiet(channel));
        out.put(channel, new ChannelHealth(channel, h.failed(), h.finished(), h.credentials(), h.credentialStatuses(), h.permanent(),
            r.getLong("due"), r.getLong("overdue"), r.getOffsetDateTime("oldest")));
      }
      Set<String> keys = new HashSet<>();
      active.result().forEach(r -> keys.add(Finding.key(r.getString("rule"), r.getString("channel"))));
      return new Figures(out, words, keys);
    });
  }

  /** What a check found: the condition of one rule on one channel (null: the whole gateway). */
  public record Finding(String rule, String channel, String severity, String title, String message, JsonObject details) {
    /** Identifies the finding's alert among the active ones. */
    public String key() {
      return key(rule, channel);
    }

    public static String key(String rule, String channel) {
      return rule + "/" + (channel == null ? "" : channel);
    }
  }

  /** Opens the finding's alert at {@code now}, or refreshes the one already active (its figures, last seen). */
  public Future<Alert> raise(Finding f, Instant now) {
    Tuple args = Tuple.tuple().addValue(Ids.next()).addValue(f.rule()).addValue(f.channel()).addValue(f.severity())
        .addValue(f.title()).addValue(f.message()).addValue(f.details()).addValue(utc(now));
    return pool.preparedQuery(RAISE).execute(args).map(rows -> read(rows.iterator().next()));
  }

  /** Resolves at {@code now} every active alert whose key is not among {@code stillFound}; answers them. */
  public Future<List<Alert>> resolveAllBut(List<String> stillFound, Instant now) {
    return pool.preparedQuery(RESOLVE).execute(Tuple.tuple().addValue(utc(now)).addValue(stillFound.toArray(new String[0])))
        .map(AlertStore::readAll);
  }

  /**
   * Alerts resolved after {@code since} whose admins heard of them but not yet of the resolution,
   * leaving out those a check reserved after {@code reservedAfter} (its reservation is still live).
   */
  public Future<List<Alert>> untoldResolutions(Instant since, Instant reservedAfter) {
    return pool.preparedQuery(UNTOLD_RESOLUTIONS).execute(Tuple.of(utc(since), utc(reservedAfter))).map(AlertStore::readAll);
  }

  /**
   * Reserves the notice about {@code alert} for the check of {@code node} at {@code now}: answers
   * false when another check's reservation taken after {@code reservedAfter} still stands, or when
   * its {@code notified_at} is no longer what the check read (the admins were told meanwhile).
   */
  public Future<Boolean> reserve(Alert alert, String node, Instant now, Instant reservedAfter) {
    return pool.preparedQuery(RESERVE).execute(Tuple.tuple().addValue(alert.id()).addValue(utc(now)).addValue(node)
        .addValue(alert.notifiedAt()).addValue(utc(reservedAfter))).map(rows -> rows.rowCount() == 1);
  }

  /**
   * Records what the check of {@code node} at {@code now} sent about an alert ({@code sent},
   * appended to its notifications) and clears that check's reservation. When {@code told}, {@code
   * notified_at} becomes {@code now} (for a {@code resolution}, no earlier than the resolution);
   * otherwise it stays, and the next check tries again.
   */
  public Future<Void> record(Alert alert, String node, Instant now, boolean told, boolean resolution, JsonArray sent) {
    return pool.preparedQuery(RECORD).execute(Tuple.tuple().addValue(alert.id()).addValue(node).addValue(utc(now)).addValue(sent)
        .addValue(told).addValue(resolution)).mapEmpty();
  }

  /**
   * Gives back the reservations the check of {@code node} at {@code now} still holds on {@code
   * alerts} (none where it recorded, or never reserved): their notices are free for the next check.
   */
  public Future<Void> release(List<Alert> alerts, String node, Instant now) {
    UUID[] ids = alerts.stream().map(Alert::id).toArray(UUID[]::new);
    return pool.preparedQuery(RELEASE).execute(Tuple.tuple().addValue(ids).addValue(node).addValue(utc(now))).mapEmpty();
  }

  /** Alerts with {@code status} (null: any), newest first, at most {@code limit}. */
  public Future<List<Alert>> list(String status, int limit) {
    return pool.preparedQuery(LIST).execute(Tuple.of(status, limit)).map(AlertStore::readAll);
  }

  /** The active alerts, newest first, as GET /v1/alerts lists them (for GET /v1/stats). */
  public Future<JsonArray> activeJson() {
    return list("active", 500).map(alerts -> {
      JsonArray out = new JsonArray();
      alerts.forEach(a -> out.add(a.toJson()));
      return out;
    });
  }

  private static List<Alert> readAll(RowSet<Row> rows) {
    List<Alert> out = new ArrayList<>(rows.size());
    rows.forEach(r -> out.add(read(r)));
    return out;
  }

  private static Alert read(Row r) {
    return new Alert(r.getUUID("id"), r.getString("rule"), r.getString("channel"), r.getString("severity"), r.getString("status"),
        r.getString("title"), r.getString("message"), r.getJsonObject("details"), r.getOffsetDateTime("opened_at"),
        r.getOffsetDateTime("last_seen_at"), r.getOffsetDateTime("resolved_at"), r.getOffsetDateTime("notified_at"),
        r.getJsonArray("notifications"), r.getOffsetDateTime("last_told"), r.getBoolean("opened"));
  }

  private static OffsetDateTime utc(Instant t) {
    return OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
  }
}
