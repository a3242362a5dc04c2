package io.herald.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Operational figures over the whole cluster, read from the tables: delivery attempts and their
 * outcomes over the last hour and day (by when each attempt started), notifications created, the
 * queue by channel, status and priority, the delivery that has waited longest, the dead letter,
 * and a per-minute series for the last hour. Every query takes {@code now}, so a window is exactly
 * what it says whatever the clocks (tests seed rows at known ages).
 */
public final class StatsStore {
  /** Statuses of deliveries waiting to go out. */
  public static final List<String> WAITING = List.of("pending", "sending", "failed", "held");
  /** Priorities as stored (0 .. 3) by name. */
  public static final List<String> PRIORITIES = List.of("critical", "high", "normal", "low");
  static final String[] OUTCOMES = {"sent", "failed", "dead"};

  /** Attempts started in the last 24 h (with those of the last hour apart) by channel and outcome. */
  private static final String ATTEMPTS = "SELECT d.channel, a.outcome, count(*) AS day, "
      + "count(*) FILTER (WHERE a.started_at > $1::timestamptz - interval '1 hour') AS hour "
      + "FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id "
      + "WHERE a.started_at > $1::timestamptz - interval '24 hours' GROUP BY d.channel, a.outcome";
  private static final String INGESTED = "SELECT count(*) AS day, "
      + "count(*) FILTER (WHERE created_at > $1::timestamptz - interval '1 hour') AS hour "
      + "FROM notifications WHERE created_at > $1::timestamptz - interval '24 hours'";
  /** One row per minute of the last hour (the current minute last), with zeros where nothing happened. */
  private static final String SERIES = "WITH m AS (SELECT generate_series(date_trunc('minute', $1::timestamptz) - interval '59 minutes', "
      + "date_trunc('minute', $1::timestamptz), interval '1 minute') AS at), "
      + "i AS (SELECT date_trunc('minute', created_at) AS at, count(*) AS n FROM notifications "
      + "WHERE created_at >= date_trunc('minute', $1::timestamptz) - interval '59 minutes' GROUP BY 1), "
      + "a AS (SELECT date_trunc('minute', started_at) AS at, count(*) FILTER (WHERE outcome = 'sent') AS sent, "
      + "count(*) FILTER (WHERE outcome IN ('failed', 'dead')) AS failed FROM delivery_attempts "
      + "WHERE started_at >= date_trunc('minute', $1::timestamptz) - interval '59 minutes' GROUP BY 1) "
      + "SELECT m.at, coalesce(i.n, 0) AS ingested, coalesce(a.sent, 0) AS sent, coalesce(a.failed, 0) AS failed "
      + "FROM m LEFT JOIN i ON i.at = m.at LEFT JOIN a ON a.at = m.at ORDER BY m.at";
  private static final String QUEUE = "SELECT channel, status, priority, count(*) AS n FROM deliveries "
      + "WHERE status IN ('pending', 'sending', 'failed', 'held') GROUP BY channel, status, priority";
  private static final String DEAD = "SELECT channel, count(*) AS n FROM deliveries WHERE status = 'dead' GROUP BY channel";
  /**
   * Every waiting delivery (pending or failed, not expired at $1) with {@code since}, when it became
   * due. A delivery never tried has been due since it was written (or since its notification's
   * sendAt); counting from there, not from next_attempt_at, keeps the age true while the retry
   * scanner keeps re-dispatching a row no worker takes (each re-dispatch moves next_attempt_at on).
   * A delivery tried before is due since the retry time its backoff set (which re-dispatches move
   * too, so its age is a lower bound). One definition for {@code /v1/stats}, the queue gauges and
   * the health monitor's backlog rule.
   */
  static final String WAITING_SINCE = "SELECT d.id, d.channel, d.status, CASE WHEN d.attempts = 0 THEN greatest(d.created_at, n.send_at) "
      + "ELSE d.next_attempt_at END AS since FROM deliveries d LEFT JOIN notifications n ON n.id = d.notification_id "
      + "WHERE d.status IN ('pending', 'failed') AND (d.expires_at IS NULL OR d.expires_at > $1::timestamptz)";
  /** The due delivery that has waited longest. */
  private static final String OLDEST = "SELECT id, channel, status, since FROM (" + WAITING_SINCE + ") w WHERE since <= $1::timestamptz "
      + "ORDER BY since, id LIMIT 1";
  /** For the metrics gauges: deliveries by channel and status (waiting ones and the dead letter). */
  private static final String DEPTH = "SELECT channel, status, count(*) AS n FROM deliveries "
      + "WHERE status IN ('pending', 'sending', 'failed', 'held', 'dead') GROUP BY channel, status";
  private static final String OLDEST_BY_CHANNEL = "SELECT channel, extract(epoch FROM $1::timestamptz - min(since))::float8 AS age "
      + "FROM (" + WAITING_SINCE + ") w WHERE since <= $1::timestamptz GROUP BY channel";

  private final Pool pool;

  public StatsStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * {@code windows}, {@code queue}, {@code oldestWaiting}, {@code dead}, {@code deadByChannel} and
   * {@code series} as {@code GET /v1/stats} shows them (see the README), at {@code now}. Every
   * channel of {@code channels} is listed (with zeros), and any other that has rows. The queries
   * go out together on one connection.
   */
  public Future<JsonObject> overview(OffsetDateTime now, Collection<String> channels) {
    Tuple at = Tuple.tuple().addValue(now);
    return pool.withConnection(conn -> {
      Future<RowSet<Row>> attempts = run(conn, ATTEMPTS, at);
      Future<RowSet<Row>> ingested = run(conn, INGESTED, at);
      Future<RowSet<Row>> series = run(conn, SERIES, at);
      Future<RowSet<Row>> queue = conn.query(QUEUE).execute();
      Future<RowSet<Row>> dead = conn.query(DEAD).execute();
      Future<RowSet<Row>> oldest = run(conn, OLDEST, at);
      return Future.all(List.of(attempts, ingested, series, queue, dead, oldest)).map(all -> {
        Set<String> names = new LinkedHashSet<>(channels);
        attempts.result().forEach(r -> names.add(r.getString("channel")));
        queue.result().forEach(r -> names.add(r.getString("channel")));
        dead.result().forEach(r -> names.add(r.getString("channel")));
        Row counted = ingested.result().iterator().next();
        JsonObject deadByChannel = new JsonObject();
        long deadTotal = 0;
        for (String name : names) {
          deadByChannel.put(name, 0L);
        }
        for (Row r : dead.result()) {
          deadByChannel.put(r.getString("channel"), r.getLong("n"));
          deadTotal += r.getLong("n");
        }
        return new JsonObject()
            .put("windows", new JsonObject()
                .put("lastHour", window(attempts.result(), "hour", names).put("ingested", counted.getLong("hour")))
                .put("last24h", window(attempts.result(), "day", names).put("ingested", counted.getLong("day"))))
            .put("queue", queue(queue.result(), names))
            .put("oldestWaiting", oldest(oldest.result(), now))
            .put("dead", deadTotal)
            .put("deadByChannel", deadByChannel)
            .put("series", series(series.result()));
      });
    });
  }

  private static Future<RowSet<Row>> run(SqlConnection conn, String sql, Tuple args) {
    return conn.preparedQuery(sql).execute(args);
  }

  /**
   * One window: attempts started in it (still sending and abandoned ones too), those that ended
   * sent, failed (to be retried) or dead, and the success rate sent / (sent + failed + dead), null
   * when none ended; in all and per channel.
   */
  private static JsonObject window(RowSet<Row> rows, String column, Set<String> names) {
    Map<String, long[]> byChannel = new HashMap<>(); // channel → {attempts, sent, failed, dead}
    long[] total = new long[4];
    for (String name : names) {
      byChannel.put(name, new long[4]);
    }
    for (Row r : rows) {
      long n = r.getLong(column);
      long[] c = byChannel.computeIfAbsent(r.getString("channel"), k -> new long[4]);
      int outcome = List.of(OUTCOMES).indexOf(r.getString("outcome")) + 1; // 0: neither (sending, lease_expired)
      c[0] += n;
      total[0] += n;
      if (outcome > 0) {
        c[outcome] += n;
        total[outcome] += n;
      }
    }
    JsonObject channels = new JsonObject();
    for (String name : names) {
      channels.put(name, figures(byChannel.get(name)));
    }
    return figures(total).put("channels", channels);
  }

  private static JsonObject figures(long[] f) {
    long ended = f[1] + f[2] + f[3];
    Double rate = ended == 0 ? null : Math.round(f[1] * 10_000.0 / ended) / 10_000.0;
    return new JsonObject().put("attempts", f[0]).put("sent", f[1]).put("failed", f[2]).put("dead", f[3]).put("successRate", rate);
  }

  /** Waiting deliveries per channel by status and by priority, and their total. */
  private static JsonObject queue(RowSet<Row> rows, Set<String> names) {
    JsonObject channels = new JsonObject();
    for (String name : names) {
      JsonObject c = new JsonObject();
      WAITING.forEach(s -> c.put(s, 0L));
      JsonObject byPriority = new JsonObject();
      PRIORITIES.forEach(p -> byPriority.put(p, 0L));
      channels.put(name, c.put("byPriority", byPriority));
    }
    long total = 0;
    for (Row r : rows) {
      long n = r.getLong("n");
      JsonObject c = channels.getJsonObject(r.getString("channel"));
      c.put(r.getString("status"), c.getLong(r.getString("status")) + n);
      int priority = r.getInteger("priority");
      String p = priority >= 0 && priority < PRIORITIES.size() ? PRIORITIES.get(priority) : String.valueOf(priority);
      JsonObject byPriority = c.getJsonObject("byPriority");
      byPriority.put(p, byPriority.getLong(p, 0L) + n);
      total += n;
    }
    return new JsonObject().put("channels", channels).put("total", total);
  }

  private static JsonObject oldest(RowSet<Row> rows, OffsetDateTime now) {
    if (rows.size() == 0) {
      return null;
    }
    Row r = rows.iterator().next();
    OffsetDateTime due = r.getOffsetDateTime("since");
    long micros = java.time.Duration.between(due, now).toNanos() / 1000;
    return new JsonObject().put("id", r.getUUID("id").toString()).put("channel", r.getString("channel"))
        .put("status", r.getString("status")).put("dueAt", Notification.iso(due)).put("waitingSeconds", micros / 1_000_000.0);
  }

  private static JsonArray series(RowSet<Row> rows) {
    JsonArray out = new JsonArray();
    for (Row r : rows) {
      out.add(new JsonObject().put("at", DateTimeFormatter.ISO_INSTANT.format(r.getOffsetDateTime("at").withOffsetSameInstant(ZoneOffset.UTC)))
          .put("ingested", r.getLong("ingested")).put("sent", r.getLong("sent")).put("failed", r.getLong("failed")));
    }
    return out;
  }

  /** What the queue gauges show: deliveries by channel and status, and each channel's oldest due wait in seconds. */
  public record Depth(Map<String, Map<String, Long>> counts, Map<String, Double> oldestSeconds) {
  }

  /** The figures behind the queue gauges, at {@code now}. */
  public Future<Depth> depth(OffsetDateTime now) {
    return pool.withConnection(conn -> {
      Future<RowSet<Row>> counts = conn.query(DEPTH).execute();
      Future<RowSet<Row>> oldest = run(conn, OLDEST_BY_CHANNEL, Tuple.tuple().addValue(now));
      return Future.all(counts, oldest).map(all -> {
        Map<String, Map<String, Long>> byChannel = new HashMap<>();
        counts.result().forEach(r -> byChannel.computeIfAbsent(r.getString("channel"), k -> new HashMap<>())
            .put(r.getString("status"), r.getLong("n")));
        Map<String, Double> ages = new HashMap<>();
        oldest.result().forEach(r -> ages.put(r.getString("channel"), Math.max(0, r.getDouble("age"))));
        return new Depth(byChannel, ages);
      });
    });
  }
}
