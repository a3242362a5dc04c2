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
 * outcomes, and the deliveries they ended, over the last hour and day (by when each attempt
 * started), notifications created, the queue by channel, status and priority, the delivery that
 * has waited longest, the dead letter, and a per-minute series for the last hour. Every query takes {@code now}, so a window is exactly
 * what it says whatever the clocks (tests seed rows at known ages).
 */
public final class StatsStore {
  /** Statuses of deliveries waiting to go out. */
  public static final List<String> WAITING = List.of("pending", "sending", "failed", "held");
  /** Priorities as stored (0 .. 3) by name. */
  public static final List<String> PRIORITIES = List.of("critical", "high", "normal", "low");
  static final String[] OUTCOMES = {"sent", "failed", "dead"};
  /** An attempt {@code a} that ended its delivery {@code d}. */
  private static final String ENDED = "a.attempt = d.attempts AND (d.status = 'sent' AND a.outcome = 'sent' "
      + "OR d.status = 'dead' AND a.outcome IN ('dead', 'lease_expired'))";

  /**
   * Attempts started in the last 24 h (with those of the last hour apart) by channel and outcome;
   * and of them, those that ended their delivery ({@code ended_day}, {@code ended_hour}): the
   * delivery is now sent or dead and this was its last attempt (sent; dead, or abandoned by a
   * stopped node when no attempt was left). A delivery is counted once, by the state it ended in,
   * in the window of the attempt that ended it.
   */
  private static final String ATTEMPTS = "SELECT d.channel, a.outcome, count(*) AS day, "
      + "count(*) FILTER (WHERE a.started_at > $1::timestamptz - interval '1 hour') AS hour, "
      + "count(*) FILTER (WHERE " + ENDED + ") AS ended_day, "
      + "count(*) FILTER (WHERE " + ENDED + " AND a.started_at > $1::timestamptz - interval '1 hour') AS ended_hour "
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
  private static final String NOT_EXPIRED = "(expires_at IS NULL OR expires_at > $1::timestamptz)";
  /** Pending and failed rows, waiting since they became due. */
  private static final String DUE = "SELECT id, channel, status, due_since AS since FROM deliveries "
      + "WHERE status IN ('pending', 'failed') AND " + NOT_EXPIRED;
  /** Sends whose lease ran out: a stopped node's, waiting since then until the scanner takes them back. */
  private static final String ABANDONED = "SELECT id, channel, status, lease_until AS since FROM deliveries "
      + "WHERE status = 'sending' AND lease_until <= $1::timestamptz AND " + NOT_EXPIRED;
  /**
   * Every delivery waiting to go out at $1 ({@code id, channel, status, since}), not expired: those
   * pending or failed, {@code since} when they became due ({@code due_since}: written from the
   * notification's send time or creation, a failed attempt's retry time, an operator's retry; the
   * retry scanner's re-dispatches, which move next_attempt_at on, leave it), and those still
   * {@code sending} whose lease ran out. Callers keep the rows with {@code since <= $1}: a row due
   * later is not waiting yet. One definition for {@code /v1/stats}, the queue gauges and the health
   * monitor's backlog rule; columns only, no join.
   */
  static final String WAITING_SINCE = DUE + " UNION ALL " + ABANDONED;
  /**
   * Of each channel of $2, the delivery of {@link #WAITING_SINCE} due longest (none when nothing is
   * due): the first entry of {@code deliveries_waiting} and of {@code deliveries_leases} for the
   * channel, so a backlog of any size costs a few index lookups. (Written per branch: over the
   * UNION ALL as a whole, the planner sorts every waiting row. Each branch orders by its time
   * alone: a tie-break on id would sort every row sharing that time, and a large multi-recipient
   * ingest writes thousands with the same one.)
   */
  private static final String FIRST_BY_CHANNEL = "SELECT w.* FROM unnest($2::text[]) AS c(channel) CROSS JOIN LATERAL "
      + "((" + DUE + " AND channel = c.channel AND due_since <= $1::timestamptz ORDER BY due_since LIMIT 1) UNION ALL "
      + "(" + ABANDONED + " AND channel = c.channel ORDER BY lease_until LIMIT 1) ORDER BY since, id LIMIT 1) w";
  /** The due delivery that has waited longest. */
  private static final String OLDEST = "SELECT id, channel, status, since FROM (" + FIRST_BY_CHANNEL + ") f ORDER BY since, id LIMIT 1";
  /** For the metrics gauges: deliveries by channel and status (waiting ones and the dead letter). */
  private static final String DEPTH = "SELECT channel, status, count(*) AS n FROM deliveries "
      + "WHERE status IN ('pending', 'sending', 'failed', 'held', 'dead') GROUP BY channel, status";
  private static final String OLDEST_BY_CHANNEL = "SELECT channel, extract(epoch FROM $1::timestamptz - since)::float8 AS age "
      + "FROM (" + FIRST_BY_CHANNEL + ") f";

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
    Tuple atByChannel = Tuple.tuple().addValue(now).addValue(DeliveryView.CHANNELS.toArray(new String[0]));
    return pool.withConnection(conn -> {
      Future<RowSet<Row>> attempts = run(conn, ATTEMPTS, at);
      Future<RowSet<Row>> ingested = run(conn, INGESTED, at);
      Future<RowSet<Row>> series = run(conn, SERIES, at);
      Future<RowSet<Row>> queue = conn.query(QUEUE).execute();
      Future<RowSet<Row>> dead = conn.query(DEAD).execute();
      Future<RowSet<Row>> oldest = run(conn, OLDEST, atByChannel);
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
   * One window, in all and per channel: attempts started in it (still sending and abandoned ones
   * too), those that ended sent, failed (to be retried) or dead, and their rate sent / (sent +
   * failed + dead) as {@code attemptSuccessRate}; the deliveries that ended in it, delivered or
   * dead, and their rate delivered / (delivered + dead), which is {@code successRate} (a delivery
   * sent on its second attempt is one success, not one in two). Rates are null when nothing ended.
   */
  private static JsonObject window(RowSet<Row> rows, String column, Set<String> names) {
    // channel → {attempts, sent, failed, dead (attempts), delivered, dead (deliveries)}
    Map<String, long[]> byChannel = new HashMap<>();
    long[] total = new long[6];
    for (String name : names) {
      byChannel.put(name, new long[6]);
    }
    for (Row r : rows) {
      long n = r.getLong(column);
      long ended = r.getLong("ended_" + column);
      long[] c = byChannel.computeIfAbsent(r.getString("channel"), k -> new long[6]);
      int outcome = List.of(OUTCOMES).indexOf(r.getString("outcome")) + 1; // 0: neither (sending, lease_expired)
      int end = outcome == 1 ? 4 : 5; // what ended the delivery: sent, or dead / lease_expired
      for (long[] f : List.of(c, total)) {
        f[0] += n;
        if (outcome > 0) {
          f[outcome] += n;
        }
        f[end] += ended;
      }
    }
    JsonObject channels = new JsonObject();
    for (String name : names) {
      channels.put(name, figures(byChannel.get(name)));
    }
    return figures(total).put("channels", channels);
  }

  private static JsonObject figures(long[] f) {
    Double perDelivery = rate(f[4], f[4] + f[5]);
    return new JsonObject().put("attempts", f[0]).put("sent", f[1]).put("failed", f[2]).put("dead", f[3])
        .put("attemptSuccessRate", rate(f[1], f[1] + f[2] + f[3]))
        .put("deliveries", new JsonObject().put("delivered", f[4]).put("dead", f[5]).put("successRate", perDelivery))
        .put("successRate", perDelivery);
  }

  /** {@code part / whole} to four decimals, null when {@code whole} is 0. */
  private static Double rate(long part, long whole) {
    return whole == 0 ? null : Math.round(part * 10_000.0 / whole) / 10_000.0;
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
      Future<RowSet<Row>> oldest = run(conn, OLDEST_BY_CHANNEL,
          Tuple.tuple().addValue(now).addValue(DeliveryView.CHANNELS.toArray(new String[0])));
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
