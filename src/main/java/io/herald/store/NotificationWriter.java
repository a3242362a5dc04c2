package io.herald.store;

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
  private static final String NEXT = "INSERT INTO inbox (recipient, last_seq, unread, version) "
      + "SELECT r, n, u, n FROM unnest($1::text[], $2::bigint[], $3::int[]) AS t(r, n, u) ORDER BY r "
      + "ON CONFLICT (recipient) DO UPDATE SET last_seq = inbox.last_seq + excluded.last_seq, "
      + "unread = inbox.unread + excluded.unread, version = inbox.version + excluded.version "
      + "RETURNING recipient, last_seq, unread, version";
  private static final String UNCOUNT = "UPDATE inbox SET unread = unread - t.k FROM unnest($1::text[], $2::int[]) AS t(r, k) "
      + "WHERE inbox.recipient = t.r";
  private static final String INSERT = "INSERT INTO notifications (id, recipient, seq, title, body, level, category, action_url, "
      + "action_label, data, priority, channels, idempotency_key, idempotency_hash, created_at, send_at, scheduled, expires_at) "
      + "SELECT id, recipient, seq, title, body, level, category, action_url, action_label, data::jsonb, priority, "
      + "string_to_array(channels, ','), idempotency_key, idempotency_hash, created_at, send_at, "
      + "send_at IS NOT NULL AND send_at > created_at, expires_at "
      + "FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], "
      + "$9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::timestamptz[], $16::timestamptz[], "
      + "$17::timestamptz[]) AS t(id, recipient, seq, title, body, level, category, action_url, action_label, data, priority, "
      + "channels, idempotency_key, idempotency_hash, created_at, send_at, expires_at) "
      + "ON CONFLICT (recipient, idempotency_key) DO NOTHING RETURNING id";
  private static final String BY_KEYS = "SELECT " + NotificationStore.COLUMNS + " FROM notifications n "
      + "JOIN unnest($1::text[], $2::text[]) AS k(r, key) ON n.recipient = k.r AND n.idempotency_key = k.key";

  private final Pool pool;

  public NotificationWriter(Pool pool) {
    this.pool = pool;
  }

  /**
   * What one ingest request came to: its rows (new or found by idempotency key) with, for each new
   * one, the recipient's unread count right after it; or the recipient whose key clashed; or the
   * failure that kept it from being written (then nothing of it was).
   */
  public record Written(List<Notification> rows, List<Boolean> created, List<InboxCount> counts, String conflictRecipient,
                        Throwable failure) {
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
  public Future<List<Written>> insert(List<List<Notification>> requests) {
    return pool.withTransaction(conn -> insertIn(conn, requests))
        .recover(err -> {
          if (requests.size() > 1 && (err instanceof NeedsIsolation || isDataError(err))) {
            return oneByOne(requests, 0, new ArrayList<>());
          }
          return Future.succeededFuture(List.of(outcomeOf(err)));
        });
  }

  private Future<List<Written>> oneByOne(List<List<Notification>> requests, int index, List<Written> done) {
    if (index == requests.size()) {
      return Future.succeededFuture(done);
    }
    return pool.withTransaction(conn -> insertIn(conn, List.of(requests.get(index))))
        .map(list -> list.get(0))
        .otherwise(NotificationWriter::outcomeOf)
        .compose(written -> {
          done.add(written);
          return oneByOne(requests, index + 1, done);
        });
  }

  private static Written outcomeOf(Throwable err) {
    return err instanceof NeedsIsolation clash
        ? new Written(List.of(), List.of(), List.of(), clash.recipient, null)
        : new Written(List.of(), List.of(), List.of(), null, err);
  }

  /** Runs the insert on a connection inside a transaction the caller owns (tests use it to hold one open). */
  public Future<List<Written>> insertIn(SqlConnection conn, List<List<Notification>> requests) {
    List<Notification> all = new ArrayList<>();
    requests.forEach(all::addAll);
    List<Boolean> counted = all.stream().map(Notification::visibleOnArrival).toList();
    return number(conn, all, counted).compose(numbering -> {
      List<List<Notification>> numbered = new ArrayList<>();
      int i = 0;
      for (List<Notification> request : requests) {
        numbered.add(numbering.rows().subList(i, i + request.size()));
        i += request.size();
      }
      return conn.preparedQuery(INSERT).execute(insertParams(numbering.rows()))
          .compose(inserted -> resolve(conn, numbered, ids(inserted)))
          .compose(written -> count(conn, numbering, written));
    });
  }

  /** Rows with their sequence numbers, whether each counts as unread, and each recipient's inbox state before them. */
  private record Numbering(List<Notification> rows, List<Boolean> counted, Map<String, InboxCount> before) {
  }

  /**
   * Hands out each recipient's next sequence numbers to {@code rows}, in order, and counts the ones
   * visible at once as unread. The inbox rows stay locked until the transaction ends (taken in
   * recipient order: no deadlocks), so a user's numbers are used in commit order.
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

  /** Gives each new row the count right after it, and takes back the count of rows that were not inserted. */
  private static Future<List<Written>> count(SqlConnection conn, Numbering numbering, List<Written> written) {
    Map<String, int[]> running = new HashMap<>(); // recipient → {visible rows so far, rows so far}
    Map<String, Integer> skipped = new TreeMap<>();
    Set<UUID> created = new HashSet<>();
    written.forEach(w -> {
      for (int i = 0; i < w.rows().size(); i++) {
        if (w.created().get(i)) {
          created.add(w.rows().get(i).id());
        }
      }
    });
    Map<UUID, InboxCount> countOf = new HashMap<>();
    for (int i = 0; i < numbering.rows().size(); i++) {
      Notification n = numbering.rows().get(i);
      boolean counts = numbering.counted().get(i);
      int[] r = running.computeIfAbsent(n.recipient(), k -> new int[2]);
      r[1]++;
      if (created.contains(n.id())) {
        r[0] += counts ? 1 : 0;
        InboxCount before = numbering.before().get(n.recipient());
        countOf.put(n.id(), new InboxCount(before.unread() + r[0], before.version() + r[1]));
      } else if (counts) {
        skipped.merge(n.recipient(), 1, Integer::sum);
      }
    }
    List<Written> out = new ArrayList<>(written.size());
    for (Written w : written) {
      List<InboxCount> counts = new ArrayList<>(w.rows().size());
      for (int i = 0; i < w.rows().size(); i++) {
        counts.add(w.created().get(i) ? countOf.get(w.rows().get(i).id()) : null);
      }
      out.add(new Written(w.rows(), w.created(), counts, null, null));
    }
    if (skipped.isEmpty()) {
      return Future.succeededFuture(out);
    }
    return conn.preparedQuery(UNCOUNT)
        .execute(Tuple.tuple().addValue(skipped.keySet().toArray(new String[0])).addValue(skipped.values().toArray(new Integer[0])))
        .map(v -> out);
  }

  private Future<List<Written>> resolve(SqlConnection conn, List<List<Notification>> requests, Set<UUID> inserted) {
    List<String> recipients = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    for (List<Notification> request : requests) {
      for (Notification n : request) {
        if (!inserted.contains(n.id())) {
          recipients.add(n.recipient());
          keys.add(n.idempotencyKey());
        }
      }
    }
    Future<Map<String, Notification>> existing = recipients.isEmpty()
        ? Future.succeededFuture(Map.of())
        : conn.preparedQuery(BY_KEYS).execute(Tuple.tuple().addValue(recipients.toArray(new String[0])).addValue(keys.toArray(new String[0])))
            .map(rows -> {
              Map<String, Notification> out = new HashMap<>();
              for (Row r : rows) {
                Notification n = NotificationStore.read(r);
                out.put(n.recipient() + "\u0000" + n.idempotencyKey(), n);
              }
              return out;
            });
    return existing.compose(found -> {
      List<Written> out = new ArrayList<>();
      for (List<Notification> request : requests) {
        List<Notification> rows = new ArrayList<>();
        List<Boolean> created = new ArrayList<>();
        for (Notification n : request) {
          if (inserted.contains(n.id())) {
            rows.add(n);
            created.add(true);
            continue;
          }
          Notification old = found.get(n.recipient() + "\u0000" + n.idempotencyKey());
          if (old == null || !old.idempotencyHash().equals(n.idempotencyHash())) {
            return Future.failedFuture(new NeedsIsolation(n.recipient()));
          }
          rows.add(old);
          created.add(false);
        }
        out.add(new Written(rows, created, List.of(), null, null));
      }
      return Future.succeededFuture(out);
    });
  }

  private static Tuple insertParams(List<Notification> rows) {
    int size = rows.size();
    UUID[] id = new UUID[size];
    String[] recipient = new String[size];
    Long[] seq = new Long[size];
    String[][] text = new String[11][size];
    OffsetDateTime[][] times = new OffsetDateTime[3][size];
    for (int i = 0; i < size; i++) {
      Notification n = rows.get(i);
      id[i] = n.id();
      recipient[i] = n.recipient();
      seq[i] = n.seq();
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
    Tuple t = Tuple.tuple().addValue(id).addValue(recipient).addValue(seq);
    for (String[] column : text) {
      t.addValue(column);
    }
    for (OffsetDateTime[] column : times) {
      t.addValue(column);
    }
    return t;
  }

  private static Set<UUID> ids(RowSet<Row> rows) {
    Set<UUID> out = new HashSet<>();
    for (Row r : rows) {
      out.add(r.getUUID(0));
    }
    return out;
  }

  /** Postgres data errors (class 22) and constraint violations (class 23) point at a request, not at the database. */
  static boolean isDataError(Throwable err) {
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
    return pool.withTransaction(conn -> conn.preparedQuery("SELECT " + NotificationStore.COLUMNS + ", "
            + "(expired OR expires_at <= now()) AS expired_now FROM notifications "
            + "WHERE scheduled AND send_at <= now() ORDER BY recipient, send_at, seq LIMIT $1 FOR UPDATE SKIP LOCKED")
        .execute(Tuple.of(limit))
        .compose(rows -> {
          List<Notification> due = new ArrayList<>();
          List<Boolean> counted = new ArrayList<>();
          rows.forEach(r -> {
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
   * Marks up to {@code limit} users' expired notifications as expired and takes the unread ones off
   * their counters; answers each such user's new count.
   */
  public Future<Map<String, InboxCount>> expire(int limit) {
    return pool.withTransaction(conn -> conn.preparedQuery("SELECT DISTINCT recipient FROM notifications "
            + "WHERE NOT expired AND expires_at <= now() LIMIT $1")
        .execute(Tuple.of(limit))
        .compose(rows -> {
          List<String> users = new ArrayList<>();
          rows.forEach(r -> users.add(r.getString(0)));
          if (users.isEmpty()) {
            return Future.succeededFuture(Map.<String, InboxCount>of());
          }
          String[] sorted = users.stream().sorted().toArray(String[]::new);
          return conn.preparedQuery("SELECT recipient FROM inbox WHERE recipient = ANY($1::text[]) ORDER BY recipient FOR UPDATE")
              .execute(Tuple.tuple().addValue(sorted))
              .compose(locked -> conn.preparedQuery("WITH gone AS (UPDATE notifications SET expired = true "
                      + "WHERE recipient = ANY($1::text[]) AND NOT expired AND expires_at <= now() "
                      + "RETURNING recipient, (read_at IS NULL AND deleted_at IS NULL AND NOT scheduled) AS counted), "
                      + "per AS (SELECT recipient, count(*) FILTER (WHERE counted) AS k FROM gone GROUP BY recipient) "
                      + "UPDATE inbox SET unread = inbox.unread - per.k, version = inbox.version + 1 FROM per "
                      + "WHERE inbox.recipient = per.recipient RETURNING inbox.recipient, inbox.unread, inbox.version")
                  .execute(Tuple.tuple().addValue(sorted)))
              .map(changed -> {
                Map<String, InboxCount> out = new HashMap<>();
                changed.forEach(r -> out.put(r.getString(0), new InboxCount(r.getInteger(1), r.getLong(2))));
                return out;
              });
        }));
  }
}
