package io.herald.store;

import io.herald.config.HeraldConfig;
import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Every write that brings notifications into inboxes: ingest (several requests per transaction),
 * the release of scheduled notifications, and expiry. Each takes the recipients' {@code inbox}
 * rows first, in recipient order, hands out sequence numbers and keeps the unread counters.
 */
public final class NotificationWriter {
  /** For releases: advances the recipients' inbox rows by their rows and the counted ones, answering the new state. */
  private static final String NEXT = "INSERT INTO inbox (recipient, last_seq, unread, version) "
      + "SELECT r, n, u, n FROM unnest($1::text[], $2::bigint[], $3::int[]) AS t(r, n, u) ORDER BY r "
      + "ON CONFLICT (recipient) DO UPDATE SET last_seq = inbox.last_seq + excluded.last_seq, "
      + "unread = inbox.unread + excluded.unread, version = inbox.version + excluded.version "
      + "RETURNING recipient, last_seq, unread, version";
  /**
   * Advances each recipient's last sequence number and version by its row count (taking the row
   * locks), and its unread counter by the visible rows without an idempotency key (those cannot be
   * skipped; keyed rows are counted after the insert, once it is known which went in).
   */
  private static final String ADVANCE = "INSERT INTO inbox (recipient, last_seq, unread, version) "
      + "SELECT r, n, u, n FROM unnest($1::text[], $2::bigint[], $3::int[]) AS t(r, n, u) ORDER BY r "
      + "ON CONFLICT (recipient) DO UPDATE SET last_seq = inbox.last_seq + excluded.last_seq, "
      + "unread = inbox.unread + excluded.unread, version = inbox.version + excluded.version "
      + "RETURNING recipient, unread, version";
  /** Inserts the rows numbered from the advanced inbox rows: row k of n for a recipient gets last_seq - n + k. */
  private static final String INSERT = "INSERT INTO notifications (id, recipient, seq, title, body, level, category, action_url, "
      + "action_label, data, priority, channels, idempotency_key, idempotency_hash, created_at, send_at, scheduled, expires_at) "
      + "SELECT t.id, t.recipient, i.last_seq - c.n + row_number() OVER (PARTITION BY t.recipient ORDER BY t.ord), t.title, t.body, "
      + "t.level, t.category, t.action_url, t.action_label, t.data::jsonb, t.priority, string_to_array(t.channels, ','), "
      + "t.idempotency_key, t.idempotency_hash, t.created_at, t.send_at, t.send_at IS NOT NULL AND t.send_at > t.created_at, "
      + "t.expires_at "
      + "FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], "
      + "$10::text[], $11::text[], $12::text[], $13::text[], $14::timestamptz[], $15::timestamptz[], $16::timestamptz[]) "
      + "WITH ORDINALITY AS t(id, recipient, title, body, level, category, action_url, action_label, data, priority, channels, "
      + "idempotency_key, idempotency_hash, created_at, send_at, expires_at, ord) "
      + "JOIN inbox i ON i.recipient = t.recipient "
      + "JOIN (SELECT r, count(*) AS n FROM unnest($2::text[]) AS r GROUP BY r) c ON c.r = t.recipient "
      + "ON CONFLICT (recipient, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id, seq";
  /** Adds the keyed rows that went in and are in the inbox at once to the unread counters. */
  private static final String COUNT_KEYED = "UPDATE inbox SET unread = inbox.unread + s.k FROM (SELECT recipient, "
      + "count(*)::int AS k FROM notifications WHERE id = ANY($1::uuid[]) AND NOT scheduled "
      + "AND (expires_at IS NULL OR expires_at > created_at) GROUP BY recipient) s WHERE inbox.recipient = s.recipient "
      + "RETURNING inbox.recipient, inbox.unread";
  private static final String BY_KEYS = "SELECT " + NotificationStore.COLUMNS + " FROM notifications n "
      + "JOIN unnest($1::text[], $2::text[]) AS k(r, key) ON n.recipient = k.r AND n.idempotency_key = k.key";

  /**
   * The delivery rows of the notifications that went in (a clashing idempotency key skips its
   * row's deliveries too). The destination is the notification's own address, else the
   * subscriber's (WhatsApp falls back to the phone number); no destination or an opt-out of the
   * channel or the category writes the row as cancelled with the reason.
   *
   * <p>An e-mail the subscriber wants as a digest (their category's {@code {"digest": ...}} before
   * their e-mail channel's; never a critical one; only when the subscriber has an address, which
   * is where digests go) is written {@code held} with reason
   * {@code daily} or {@code weekly}, due at their next digest time ({@code digest_slot}, in their
   * time zone, after the notification's send time).
   *
   * <p>With a throttle ($7 > 0 deliveries per $8 seconds), a recipient's sendable deliveries of one
   * category beyond that many in the window (those already written and not held, then this
   * batch's in order) are cancelled as {@code throttled}, or with $9 (mode digest) held as
   * {@code throttled} for the next daily digest when the recipient can get one (a subscriber
   * e-mail address, e-mail not opted out; webhooks and critical ones are never folded). The recipient's inbox row, locked earlier in the
   * transaction, keeps two transactions from counting past each other. $10..$12: the default
   * digest zone, hour and day.
   *
   * <p>A pending row is due since its notification's send time, or its creation when it has none
   * ({@code due_since}); held and cancelled rows are not waiting to go out and have none.
   */
  private static final String DELIVERIES = "WITH x AS (SELECT t.*, n.recipient, n.category, n.priority, n.expires_at, "
      + "n.created_at AS made, n.send_at, d.dest, d.opted, d.held, NOT d.opted AND d.dest IS NOT NULL AND d.held IS NULL AS sendable, "
      + "s.email IS NOT NULL AND NOT coalesce(s.preferences -> 'channels' -> 'email' = 'false'::jsonb, false) AS digestible, "
      + "coalesce(s.time_zone, $10) AS zone, "
      + "coalesce((s.preferences -> 'digest' ->> 'hour')::int, $11) AS hour, "
      + "coalesce(array_position(ARRAY['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'], "
      + "s.preferences -> 'digest' ->> 'day'), $12) AS day "
      + "FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::timestamptz[]) WITH ORDINALITY "
      + "AS t(id, nid, channel, override, max_attempts, next_at, ord) "
      + "JOIN notifications n ON n.id = t.nid LEFT JOIN subscribers s ON s.user_id = n.recipient "
      + "CROSS JOIN LATERAL (SELECT CASE t.channel WHEN 'email' THEN coalesce(t.override, s.email) "
      + "WHEN 'sms' THEN coalesce(t.override, s.phone) WHEN 'whatsapp' THEN coalesce(t.override, s.whatsapp, s.phone) "
      + "ELSE t.override END AS dest, "
      + "coalesce(s.preferences -> 'channels' -> t.channel = 'false'::jsonb, false) "
      + "OR coalesce(s.preferences -> 'categories' -> n.category = 'false'::jsonb, false) AS opted, "
      + "CASE WHEN t.channel = 'email' AND n.priority <> 'critical' AND s.email IS NOT NULL "
      + "THEN coalesce(s.preferences -> 'categories' -> n.category "
      + "->> 'digest', s.preferences -> 'channels' -> 'email' ->> 'digest') END AS held) d), "
      + "y AS (SELECT x.*, count(*) FILTER (WHERE x.sendable) OVER (PARTITION BY x.recipient, x.category ORDER BY x.ord) AS nth FROM x), "
      + "z AS (SELECT y.*, y.sendable AND r.recent + y.nth > $7 AS over FROM y CROSS JOIN LATERAL (SELECT CASE WHEN $7 <= 0 "
      + "THEN -2147483648 ELSE (SELECT count(*) FROM notifications n2 JOIN deliveries d2 ON d2.notification_id = n2.id "
      + "WHERE n2.recipient = y.recipient AND n2.category IS NOT DISTINCT FROM y.category "
      + "AND n2.created_at > now() - $8 * interval '1 second' AND d2.status NOT IN ('cancelled', 'held', 'digested')) END AS recent) r), "
      + "w AS (SELECT z.*, CASE WHEN NOT z.opted AND z.dest IS NOT NULL AND z.held IS NOT NULL THEN z.held "
      + "WHEN z.over AND $9 AND z.channel <> 'webhook' AND z.priority <> 'critical' AND z.digestible "
      + "THEN 'throttled' END AS hold FROM z) "
      + "INSERT INTO deliveries (id, notification_id, channel, destination, status, reason, "
      + "priority, max_attempts, next_attempt_at, due_since, expires_at, created_at, updated_at) "
      + "SELECT w.id, w.nid, w.channel, w.dest, "
      + "CASE WHEN w.hold IS NOT NULL THEN 'held' WHEN NOT w.sendable OR w.over THEN 'cancelled' ELSE 'pending' END, "
      + "CASE WHEN w.hold IS NOT NULL THEN w.hold WHEN w.opted THEN 'opted_out' WHEN w.dest IS NULL THEN 'no_destination' "
      + "WHEN w.over THEN 'throttled' END, "
      + "array_position(ARRAY['critical', 'high', 'normal', 'low'], w.priority) - 1, w.max_attempts, "
      + "CASE WHEN w.hold IS NULL THEN w.next_at ELSE digest_slot(CASE WHEN w.hold = 'weekly' THEN 'weekly' ELSE 'daily' END, "
      + "w.zone, w.hour, w.day, greatest(w.next_at, now())) END, "
      + "CASE WHEN w.hold IS NULL AND w.sendable AND NOT w.over THEN greatest(w.made, w.send_at) END, w.expires_at, w.made, w.made FROM w "
      + "RETURNING id, notification_id, channel, status, reason";

  private final Pool pool;
  private final HeraldConfig.Throttle throttle;
  private final HeraldConfig.Digest digest;

  /** One ingest request: its notification rows and the delivery rows to write with them. */
  public record Request(List<Notification> rows, List<DeliveryPlan> deliveries) {
  }

  /** No throttle; digests at 08:00 UTC (Mondays for weekly ones) unless subscribers chose otherwise. */
  public NotificationWriter(Pool pool) {
    this(pool, new HeraldConfig.Throttle(0, java.time.Duration.ofHours(1), false),
        new HeraldConfig.Digest(8, 1, "UTC", 50, false, 60));
  }

  /** With the throttle and the default digest schedule as configured. */
  public NotificationWriter(Pool pool, HeraldConfig.Throttle throttle, HeraldConfig.Digest digest) {
    this.pool = pool;
    this.throttle = throttle;
    this.digest = digest;
  }

  /**
   * What one ingest request came to: its rows (new or found by idempotency key) with, for each new
   * one, the recipient's unread count right after it; or the recipient whose key clashed; or the
   * failure that kept it from being written (then nothing of it was).
   */
  public record Written(List<Notification> rows, List<Boolean> created, List<InboxCount> counts, List<DeliveryRef> deliveries,
                        String conflictRecipient, Throwable failure) {
    public boolean conflict() {
      return conflictRecipient != null;
    }
  }

  /** Thrown inside a shared transaction when one request must be rolled back alone. */
  static final class NeedsIsolation extends RuntimeException {
    final String recipient;

    NeedsIsolation(String recipient) {
      super("idempotency key clash for one request of the batch", null, false, false);
      this.recipient = recipient;
    }
  }

  /**
   * Writes several ingest requests in one transaction, answering per request. If one request
   * clashes with an idempotency key or trips a data error, every request is written again in its
   * own transaction, one after the other, so no request is half written and none fails for another.
   */
  public Future<List<Written>> insert(List<Request> requests) {
    return inTransaction(requests).recover(err -> {
      if (requests.size() > 1 && (err instanceof NeedsIsolation || isDataError(err))) {
        return oneByOne(requests, 0, new ArrayList<>());
      }
      // the database failed the whole batch: every request gets that failure
      return Future.succeededFuture(java.util.Collections.nCopies(requests.size(), outcomeOf(err)));
    });
  }

  private Future<List<Written>> oneByOne(List<Request> requests, int index, List<Written> done) {
    if (index == requests.size()) {
      return Future.succeededFuture(done);
    }
    return inTransaction(List.of(requests.get(index)))
        .map(list -> list.get(0))
        .otherwise(NotificationWriter::outcomeOf)
        .compose(written -> {
          done.add(written);
          return oneByOne(requests, index + 1, done);
        });
  }

  private static Written outcomeOf(Throwable err) {
    return err instanceof NeedsIsolation clash
        ? new Written(List.of(), List.of(), List.of(), List.of(), clash.recipient, null)
        : new Written(List.of(), List.of(), List.of(), List.of(), null, err);
  }

  /**
   * One transaction in two round trips: BEGIN and every statement of {@link #insertIn} are sent
   * at once (the client pipelines them on the connection), then COMMIT, or ROLLBACK when a key
   * clashed. A commit per round of requests, not per request, is what makes ingest fast.
   */
  private Future<List<Written>> inTransaction(List<Request> requests) {
    return pool.getConnection().compose(conn -> {
      Future<?> begin = conn.query("BEGIN").execute();
      Future<List<Written>> written = insertRequests(conn, requests);
      return Future.all(begin, written)
          .compose(ok -> conn.query("COMMIT").execute().map(written.result()))
          .recover(err -> conn.query("ROLLBACK").execute().transform(x -> Future.<List<Written>>failedFuture(
              begin.failed() ? begin.cause() : written.failed() ? written.cause() : err)))
          .eventually(conn::close);
    });
  }

  /**
   * The statements of an insert, sent without waiting for each other, inside a transaction the
   * caller owns (tests use it to hold one open): take and advance each recipient's inbox row (in
   * recipient order, so concurrent batches never deadlock; the lock is held to the end, so a
   * user's sequence numbers are used in commit order), insert the rows numbered from it, add the
   * visible new rows to the unread counters, and read back the rows behind any idempotency keys.
   */
  public Future<List<Written>> insertIn(SqlConnection conn, List<List<Notification>> requests) {
    return insertRequests(conn, requests.stream().map(rows -> new Request(rows, List.of())).toList());
  }

  /** The statements of {@link #insertIn} for requests with their delivery rows, in the caller's transaction. */
  public Future<List<Written>> insertRequests(SqlConnection conn, List<Request> requests) {
    List<Notification> all = new ArrayList<>();
    List<DeliveryPlan> plans = new ArrayList<>();
    requests.forEach(r -> {
      all.addAll(r.rows());
      plans.addAll(r.deliveries());
    });
    Map<String, int[]> perRecipient = new TreeMap<>(); // recipient → {rows, visible rows without a key}
    List<String> keyRecipients = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    List<UUID> keyed = new ArrayList<>();
    for (Notification n : all) {
      int[] c = perRecipient.computeIfAbsent(n.recipient(), k -> new int[2]);
      c[0]++;
      if (n.idempotencyKey() != null) {
        keyRecipients.add(n.recipient());
        keys.add(n.idempotencyKey());
        keyed.add(n.id());
      } else if (n.visibleOnArrival()) {
        c[1]++;
      }
    }
    Future<RowSet<Row>> advance = conn.preparedQuery(ADVANCE).execute(Tuple.tuple()
        .addValue(perRecipient.keySet().toArray(new String[0]))
        .addValue(perRecipient.values().stream().map(c -> (long) c[0]).toArray(Long[]::new))
        .addValue(perRecipient.values().stream().map(c -> c[1]).toArray(Integer[]::new)));
    Future<RowSet<Row>> insert = conn.preparedQuery(INSERT).execute(insertParams(all));
    Future<RowSet<Row>> countKeyed = keyed.isEmpty() ? Future.succeededFuture(null)
        : conn.preparedQuery(COUNT_KEYED).execute(Tuple.tuple().addValue(keyed.toArray(new UUID[0])));
    Future<RowSet<Row>> byKeys = keys.isEmpty() ? Future.succeededFuture(null)
        : conn.preparedQuery(BY_KEYS).execute(Tuple.tuple().addValue(keyRecipients.toArray(new String[0]))
            .addValue(keys.toArray(new String[0])));
    Future<RowSet<Row>> deliveries = plans.isEmpty() ? Future.succeededFuture(null)
        : conn.preparedQuery(DELIVERIES).execute(deliveryParams(plans));
    return Future.all(List.of(advance, insert, countKeyed, byKeys, deliveries))
        .compose(done -> resolve(requests.stream().map(Request::rows).toList(), perRecipient, advance.result(), insert.result(),
            countKeyed.result(), byKeys.result(), deliveries.result()));
  }

  /** Works out, per request, which rows are new (with their numbers and counts) and which were there already. */
  private static Future<List<Written>> resolve(List<List<Notification>> requests, Map<String, int[]> perRecipient,
                                              RowSet<Row> advanced, RowSet<Row> inserted, RowSet<Row> countedKeyed,
                                              RowSet<Row> byKeys, RowSet<Row> deliveries) {
    Map<UUID, List<DeliveryRef>> deliveriesOf = new HashMap<>();
    if (deliveries != null) {
      deliveries.forEach(r -> deliveriesOf.computeIfAbsent(r.getUUID(1), k -> new ArrayList<>())
          .add(new DeliveryRef(r.getUUID(0), r.getUUID(1), r.getString(2), r.getString(3), r.getString(4), 0)));
    }
    Map<UUID, Long> seqOf = new HashMap<>();
    inserted.forEach(r -> seqOf.put(r.getUUID(0), r.getLong(1)));
    Map<String, InboxCount> after = new HashMap<>(); // each recipient's counter after the whole batch
    advanced.forEach(r -> after.put(r.getString(0), new InboxCount(r.getInteger(1), r.getLong(2))));
    if (countedKeyed != null) {
      countedKeyed.forEach(r -> after.put(r.getString(0), new InboxCount(r.getInteger(1), after.get(r.getString(0)).version())));
    }
    Map<String, Integer> newVisible = new HashMap<>();
    for (List<Notification> request : requests) {
      for (Notification n : request) {
        if (seqOf.containsKey(n.id()) && n.visibleOnArrival()) {
          newVisible.merge(n.recipient(), 1, Integer::sum);
        }
      }
    }
    Map<String, Notification> existing = new HashMap<>();
    if (byKeys != null) {
      byKeys.forEach(r -> {
        Notification n = NotificationStore.read(r);
        existing.put(n.recipient() + "\u0000" + n.idempotencyKey(), n);
      });
    }
    Map<String, int[]> running = new HashMap<>(); // recipient → {rows so far, visible new rows so far}
    List<Written> out = new ArrayList<>();
    for (List<Notification> request : requests) {
      List<Notification> rows = new ArrayList<>();
      List<Boolean> created = new ArrayList<>();
      List<InboxCount> counts = new ArrayList<>();
      for (Notification n : request) {
        int[] r = running.computeIfAbsent(n.recipient(), k -> new int[2]);
        r[0]++;
        Long seq = seqOf.get(n.id());
        if (seq != null) {
          r[1] += n.visibleOnArrival() ? 1 : 0;
          InboxCount end = after.get(n.recipient());
          // the counters as they stood right after this row: before the batch plus the rows up to it
          int unreadBefore = end.unread() - newVisible.getOrDefault(n.recipient(), 0);
          long versionBefore = end.version() - perRecipient.get(n.recipient())[0];
          rows.add(n.withSeq(seq));
          created.add(true);
          counts.add(new InboxCount(unreadBefore + r[1], versionBefore + r[0]));
          continue;
        }
        Notification old = existing.get(n.recipient() + "\u0000" + n.idempotencyKey());
        if (old == null || !old.idempotencyHash().equals(n.idempotencyHash())) {
          return Future.failedFuture(new NeedsIsolation(n.recipient()));
        }
        rows.add(old);
        created.add(false);
        counts.add(null);
      }
      List<DeliveryRef> mine = new ArrayList<>();
      for (Notification n : rows) {
        mine.addAll(deliveriesOf.getOrDefault(n.id(), List.of()));
      }
      out.add(new Written(rows, created, counts, mine, null, null));
    }
    return Future.succeededFuture(out);
  }

  private Tuple deliveryParams(List<DeliveryPlan> plans) {
    return Tuple.tuple()
        .addValue(plans.stream().map(DeliveryPlan::id).toArray(UUID[]::new))
        .addValue(plans.stream().map(DeliveryPlan::notificationId).toArray(UUID[]::new))
        .addValue(plans.stream().map(DeliveryPlan::channel).toArray(String[]::new))
        .addValue(plans.stream().map(DeliveryPlan::destination).toArray(String[]::new))
        .addValue(plans.stream().map(DeliveryPlan::maxAttempts).toArray(Integer[]::new))
        .addValue(plans.stream().map(DeliveryPlan::nextAttemptAt).toArray(OffsetDateTime[]::new))
        .addValue(throttle.maxPerWindow())
        .addValue((int) throttle.window().getSeconds())
        .addValue(throttle.fold())
        .addValue(digest.timeZone())
        .addValue(digest.hour())
        .addValue(digest.day());
  }

  private static Tuple insertParams(List<Notification> rows) {
    int size = rows.size();
    UUID[] id = new UUID[size];
    String[] recipient = new String[size];
    String[][] text = new String[11][size];
    OffsetDateTime[][] times = new OffsetDateTime[3][size];
    for (int i = 0; i < size; i++) {
      Notification n = rows.get(i);
      id[i] = n.id();
      recipient[i] = n.recipient();
      text[0][i] = n.title();
      text[1][i] = n.body();
      text[2][i] = n.level();
      text[3][i] = n.category();
      text[4][i] = n.actionUrl();
      text[5][i] = n.actionLabel();
      text[6][i] = n.data() == null ? null : n.data().encode();
      text[7][i] = n.priority();
      text[8][i] = String.join(",", n.channels());
      text[9][i] = n.idempotencyKey();
      text[10][i] = n.idempotencyHash();
      times[0][i] = n.createdAt();
      times[1][i] = n.sendAt();
      times[2][i] = n.expiresAt();
    }
    Tuple t = Tuple.tuple().addValue(id).addValue(recipient);
    for (String[] column : text) {
      t.addValue(column);
    }
    for (OffsetDateTime[] column : times) {
      t.addValue(column);
    }
    return t;
  }

  /** Rows with their sequence numbers, whether each counts as unread, and each recipient's inbox state before them. */
  private record Numbering(List<Notification> rows, List<Boolean> counted, Map<String, InboxCount> before) {
  }

  /**
   * Hands out each recipient's next sequence numbers to {@code rows}, in order, and counts the
   * {@code counted} ones as unread (inbox rows locked in recipient order, held to the end).
   */
  private static Future<Numbering> number(SqlConnection conn, List<Notification> rows, List<Boolean> counted) {
    Map<String, int[]> added = new TreeMap<>(); // recipient → {rows, counted rows}
    for (int i = 0; i < rows.size(); i++) {
      int[] c = added.computeIfAbsent(rows.get(i).recipient(), k -> new int[2]);
      c[0]++;
      c[1] += counted.get(i) ? 1 : 0;
    }
    return conn.preparedQuery(NEXT)
        .execute(Tuple.tuple().addValue(added.keySet().toArray(new String[0]))
            .addValue(added.values().stream().map(c -> (long) c[0]).toArray(Long[]::new))
            .addValue(added.values().stream().map(c -> c[1]).toArray(Integer[]::new)))
        .map(result -> {
          Map<String, Long> nextSeq = new HashMap<>();
          Map<String, InboxCount> before = new HashMap<>();
          for (Row r : result) {
            int[] c = added.get(r.getString(0));
            nextSeq.put(r.getString(0), r.getLong(1) - c[0] + 1);
            before.put(r.getString(0), new InboxCount(r.getInteger(2) - c[1], r.getLong(3) - c[0]));
          }
          List<Notification> out = new ArrayList<>(rows.size());
          for (Notification n : rows) {
            out.add(n.withSeq(nextSeq.merge(n.recipient(), 1L, Long::sum) - 1));
          }
          return new Numbering(out, counted, before);
        });
  }

  /** Postgres data errors (class 22) and constraint violations (class 23) point at a request, not at the database. */
  public static boolean isDataError(Throwable err) {
    return err instanceof PgException pg && pg.getSqlState() != null
        && (pg.getSqlState().startsWith("22") || pg.getSqlState().startsWith("23"));
  }

  /** A notification whose send time came, now in its inbox, with the count right after it. */
  public record Released(Notification notification, InboxCount count) {
  }

  /**
   * Moves up to {@code limit} notifications whose send time has come into their inboxes: each gets
   * a fresh sequence number (under the inbox row lock, like an insert) so it sorts after everything
   * already seen and {@code resume} finds it. Safe on several nodes at once (SKIP LOCKED).
   */
  public Future<List<Released>> releaseDue(int limit) {
    // oldest due first, through the partial index on send_at; each user's rows keep send order
    return pool.withTransaction(conn -> conn.preparedQuery("SELECT " + NotificationStore.COLUMNS + ", "
            + "(expired OR expires_at <= now()) AS expired_now FROM notifications "
            + "WHERE scheduled AND send_at <= now() ORDER BY send_at LIMIT $1 FOR UPDATE SKIP LOCKED")
        .execute(Tuple.of(limit))
        .compose(rows -> {
          List<Row> sorted = new ArrayList<>();
          rows.forEach(sorted::add);
          sorted.sort(java.util.Comparator.comparing((Row r) -> r.getString("recipient"))
              .thenComparing(r -> r.getOffsetDateTime("send_at")).thenComparing(r -> r.getLong("seq")));
          List<Notification> due = new ArrayList<>();
          List<Boolean> counted = new ArrayList<>();
          sorted.forEach(r -> {
            due.add(NotificationStore.read(r));
            counted.add(!Boolean.TRUE.equals(r.getBoolean("expired_now")));
          });
          if (due.isEmpty()) {
            return Future.succeededFuture(List.<Released>of());
          }
          return number(conn, due, counted).compose(numbering -> conn.preparedQuery("UPDATE notifications SET seq = t.seq, "
                  + "scheduled = false, expired = NOT t.counted "
                  + "FROM unnest($1::uuid[], $2::bigint[], $3::bool[]) AS t(id, seq, counted) WHERE notifications.id = t.id")
              .execute(Tuple.tuple().addValue(numbering.rows().stream().map(Notification::id).toArray(UUID[]::new))
                  .addValue(numbering.rows().stream().map(Notification::seq).toArray(Long[]::new))
                  .addValue(counted.toArray(new Boolean[0])))
              .map(v -> {
                Map<String, int[]> running = new HashMap<>();
                List<Released> out = new ArrayList<>();
                for (int i = 0; i < numbering.rows().size(); i++) {
                  Notification n = numbering.rows().get(i);
                  int[] r = running.computeIfAbsent(n.recipient(), k -> new int[2]);
                  r[0]++;
                  r[1] += counted.get(i) ? 1 : 0;
                  InboxCount before = numbering.before().get(n.recipient());
                  if (counted.get(i)) {
                    out.add(new Released(n, new InboxCount(before.unread() + r[1], before.version() + r[0])));
                  }
                }
                return out;
              }));
        }));
  }

  /**
   * Marks the expired notifications of the users behind up to {@code limit} such rows as expired
   * and takes the unread ones off their counters; answers each such user's new count. Scheduled
   * rows are left to their release, which takes the row lock before the inbox lock: the sweep
   * takes the inbox lock first, and the two must never wait on each other.
   */
  public Future<Map<String, InboxCount>> expire(int limit) {
    return pool.withTransaction(conn -> conn.preparedQuery("SELECT recipient FROM notifications "
            + "WHERE NOT expired AND NOT scheduled AND expires_at <= now() ORDER BY expires_at LIMIT $1")
        .execute(Tuple.of(limit))
        .compose(rows -> {
          java.util.Set<String> users = new java.util.TreeSet<>();
          rows.forEach(r -> users.add(r.getString(0)));
          if (users.isEmpty()) {
            return Future.succeededFuture(Map.<String, InboxCount>of());
          }
          String[] sortedUsers = users.toArray(new String[0]);
          return conn.preparedQuery("SELECT recipient FROM inbox WHERE recipient = ANY($1::text[]) ORDER BY recipient FOR UPDATE")
              .execute(Tuple.tuple().addValue(sortedUsers))
              .compose(locked -> conn.preparedQuery("WITH gone AS (UPDATE notifications SET expired = true "
                      + "WHERE recipient = ANY($1::text[]) AND NOT expired AND NOT scheduled AND expires_at <= now() "
                      + "RETURNING recipient, (read_at IS NULL AND deleted_at IS NULL AND NOT scheduled) AS counted), "
                      + "per AS (SELECT recipient, count(*) FILTER (WHERE counted) AS k FROM gone GROUP BY recipient) "
                      + "UPDATE inbox SET unread = inbox.unread - per.k, version = inbox.version + 1 FROM per "
                      + "WHERE inbox.recipient = per.recipient RETURNING inbox.recipient, inbox.unread, inbox.version")
                  .execute(Tuple.tuple().addValue(sortedUsers)))
              .map(changed -> {
                Map<String, InboxCount> out = new HashMap<>();
                changed.forEach(r -> out.put(r.getString(0), new InboxCount(r.getInteger(1), r.getLong(2))));
                return out;
              });
        }));
  }
}
