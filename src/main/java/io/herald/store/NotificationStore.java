package io.herald.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/** The inbox: every SQL statement about notifications. */
public final class NotificationStore {
  private static final String COLUMNS = "id, recipient, seq, title, body, level, category, action_url, action_label, data, priority, "
      + "channels, idempotency_key, idempotency_hash, created_at, read_at, send_at, expires_at";
  /** In the inbox now: not deleted, not waiting for its send time, not expired. */
  private static final String VISIBLE = "deleted_at IS NULL AND NOT scheduled AND (expires_at IS NULL OR expires_at > now())";

  private static final String NEXT_SEQ = "INSERT INTO inbox (recipient, last_seq) "
      + "SELECT r, n FROM unnest($1::text[], $2::bigint[]) AS t(r, n) ORDER BY r "
      + "ON CONFLICT (recipient) DO UPDATE SET last_seq = inbox.last_seq + excluded.last_seq RETURNING recipient, last_seq";
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
  private static final String BY_KEYS = "SELECT " + COLUMNS + " FROM notifications n "
      + "JOIN unnest($1::text[], $2::text[]) AS k(r, key) ON n.recipient = k.r AND n.idempotency_key = k.key";

  private final Pool pool;

  public NotificationStore(Pool pool) {
    this.pool = pool;
  }

  public Pool pool() {
    return pool;
  }

  /**
   * What one ingest request came to: its rows (new or found by idempotency key), or the recipient
   * whose key clashed, or the failure that kept it from being written (nothing of it was).
   */
  public record Written(List<Notification> rows, List<Boolean> created, String conflictRecipient, Throwable failure) {
    static Written ok(List<Notification> rows, List<Boolean> created) {
      return new Written(rows, created, null, null);
    }

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
   * clashes with an idempotency key or trips a data error, every request is retried in its own
   * transaction so no request is half written and no other request is failed for it.
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

  /** Each request in its own transaction, one after the other; each gets its own outcome. */
  private Future<List<Written>> oneByOne(List<List<Notification>> requests, int index, List<Written> done) {
    if (index == requests.size()) {
      return Future.succeededFuture(done);
    }
    return pool.withTransaction(conn -> insertIn(conn, List.of(requests.get(index))))
        .map(list -> list.get(0))
        .otherwise(NotificationStore::outcomeOf)
        .compose(written -> {
          done.add(written);
          return oneByOne(requests, index + 1, done);
        });
  }

  private static Written outcomeOf(Throwable err) {
    return err instanceof NeedsIsolation clash
        ? new Written(List.of(), List.of(), clash.recipient, null)
        : new Written(List.of(), List.of(), null, err);
  }

  /** Runs the insert on a connection inside a transaction the caller owns (also used by tests to hold one open). */
  public Future<List<Written>> insertIn(SqlConnection conn, List<List<Notification>> requests) {
    List<Notification> all = new ArrayList<>();
    requests.forEach(all::addAll);
    return renumber(conn, all).compose(flat -> {
      List<List<Notification>> numbered = new ArrayList<>();
      int i = 0;
      for (List<Notification> request : requests) {
        numbered.add(flat.subList(i, i + request.size()));
        i += request.size();
      }
      return conn.preparedQuery(INSERT).execute(insertParams(numbered))
          .compose(inserted -> resolve(conn, numbered, ids(inserted)));
    });
  }

  /**
   * Hands out the next sequence numbers of each recipient's inbox to {@code rows}, in order. The
   * inbox rows stay locked until the transaction ends (taken in recipient order: no deadlocks), so
   * a user's numbers are used in commit order.
   */
  private static Future<List<Notification>> renumber(SqlConnection conn, List<Notification> rows) {
    Map<String, Long> counts = new TreeMap<>();
    for (Notification n : rows) {
      counts.merge(n.recipient(), 1L, Long::sum);
    }
    return conn.preparedQuery(NEXT_SEQ)
        .execute(Tuple.tuple().addValue(counts.keySet().toArray(new String[0])).addValue(counts.values().toArray(new Long[0])))
        .map(seqRows -> {
          Map<String, Long> next = new HashMap<>();
          for (Row r : seqRows) {
            next.put(r.getString(0), r.getLong(1) - counts.get(r.getString(0)) + 1);
          }
          List<Notification> out = new ArrayList<>(rows.size());
          for (Notification n : rows) {
            out.add(n.withSeq(next.merge(n.recipient(), 1L, Long::sum) - 1));
          }
          return out;
        });
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
                Notification n = read(r);
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
          if (old == null || !old.idempotencyHash().equals(n.idempotencyHash()) || old.id().equals(n.id())) {
            return Future.failedFuture(new NeedsIsolation(n.recipient()));
          }
          rows.add(old);
          created.add(false);
        }
        out.add(Written.ok(rows, created));
      }
      return Future.succeededFuture(out);
    });
  }

  private static Tuple insertParams(List<List<Notification>> requests) {
    int size = requests.stream().mapToInt(List::size).sum();
    UUID[] id = new UUID[size];
    String[] recipient = new String[size];
    Long[] seq = new Long[size];
    String[][] text = new String[11][size];
    OffsetDateTime[][] times = new OffsetDateTime[3][size];
    int i = 0;
    for (List<Notification> request : requests) {
      for (Notification n : request) {
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
        i++;
      }
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

  /**
   * Moves up to {@code limit} notifications whose send time has come into their inboxes: each gets
   * a fresh sequence number (under the inbox row lock, like an insert) so it sorts after everything
   * already seen and {@code resume} finds it. Safe on several nodes at once (SKIP LOCKED).
   */
  public Future<List<Notification>> releaseDue(int limit) {
    return pool.withTransaction(conn -> conn.preparedQuery("SELECT " + COLUMNS + " FROM notifications WHERE scheduled "
            + "AND send_at <= now() ORDER BY recipient, send_at, seq LIMIT $1 FOR UPDATE SKIP LOCKED")
        .execute(Tuple.of(limit))
        .compose(rows -> {
          List<Notification> due = new ArrayList<>();
          rows.forEach(r -> due.add(read(r)));
          if (due.isEmpty()) {
            return Future.succeededFuture(due);
          }
          return renumber(conn, due).compose(numbered -> conn.preparedQuery("UPDATE notifications SET seq = t.seq, scheduled = false "
                  + "FROM unnest($1::uuid[], $2::bigint[]) AS t(id, seq) WHERE notifications.id = t.id")
              .execute(Tuple.tuple().addValue(numbered.stream().map(Notification::id).toArray(UUID[]::new))
                  .addValue(numbered.stream().map(Notification::seq).toArray(Long[]::new)))
              .map(v -> numbered));
        }));
  }

  /** Recipients with an unread notification that expired in {@code (from, to]}: their counts went down. */
  public Future<List<String>> expiredBetween(OffsetDateTime from, OffsetDateTime to) {
    return pool.preparedQuery("SELECT DISTINCT recipient FROM notifications WHERE expires_at > $1 AND expires_at <= $2 "
            + "AND read_at IS NULL AND deleted_at IS NULL LIMIT 10000")
        .execute(Tuple.of(from, to))
        .map(rows -> {
          List<String> out = new ArrayList<>();
          rows.forEach(r -> out.add(r.getString(0)));
          return out;
        });
  }

  /** Filters for listing an inbox. Null means "any". */
  public record Filter(Boolean unreadOnly, String category, String level) {
    public static final Filter NONE = new Filter(null, null, null);
  }

  public record Page(List<Notification> items, UUID next) {
    public JsonObject toJson() {
      io.vertx.core.json.JsonArray list = new io.vertx.core.json.JsonArray();
      items.forEach(n -> list.add(n.toJson()));
      return new JsonObject().put("items", list).put("next", next == null ? null : next.toString());
    }
  }

  /** The recipient's sequence number of {@code id}, empty if it is not theirs (or purged). */
  public Future<Long> seqOf(String recipient, UUID id) {
    return pool.preparedQuery("SELECT seq FROM notifications WHERE recipient = $1 AND id = $2")
        .execute(Tuple.of(recipient, id))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getLong(0));
  }

  /** Newest first, {@code limit} items older than the cursor's sequence number. */
  public Future<Page> list(String recipient, Filter filter, Long beforeSeq, int limit) {
    String sql = "SELECT " + COLUMNS + " FROM notifications WHERE recipient = $1 AND " + VISIBLE
        + " AND ($2::bool IS NULL OR NOT $2 OR read_at IS NULL) AND ($3::text IS NULL OR category = $3)"
        + " AND ($4::text IS NULL OR level = $4) AND ($5::bigint IS NULL OR seq < $5) ORDER BY seq DESC LIMIT $6";
    return pool.preparedQuery(sql)
        .execute(Tuple.of(recipient, filter.unreadOnly(), filter.category(), filter.level(), beforeSeq, limit + 1))
        .map(rows -> {
          List<Notification> items = new ArrayList<>();
          rows.forEach(r -> items.add(read(r)));
          UUID next = null;
          if (items.size() > limit) {
            items.remove(items.size() - 1);
            next = items.get(items.size() - 1).id();
          }
          return new Page(items, next);
        });
  }

  /** Oldest first, what the recipient has with a sequence number above {@code afterSeq} and at most {@code upToSeq}. */
  public Future<List<Notification>> range(String recipient, long afterSeq, long upToSeq, int limit) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM notifications WHERE recipient = $1 AND seq > $2 AND seq <= $3 AND "
            + VISIBLE + " ORDER BY seq LIMIT $4")
        .execute(Tuple.of(recipient, afterSeq, upToSeq, limit))
        .map(rows -> {
          List<Notification> items = new ArrayList<>();
          rows.forEach(r -> items.add(read(r)));
          return items;
        });
  }

  public Future<Notification> get(UUID id) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM notifications WHERE id = $1").execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? null : read(rows.iterator().next()));
  }

  public Future<Integer> unreadCount(String recipient) {
    return inboxStates(List.of(recipient)).map(m -> m.getOrDefault(recipient, InboxState.EMPTY).unread());
  }

  /** A recipient's unread count and last sequence number, read in one snapshot. */
  public record InboxState(int unread, long lastSeq) {
    public static final InboxState EMPTY = new InboxState(0, 0);
  }

  /** Inbox states for several recipients in one query; recipients who never had a notification are absent. */
  public Future<Map<String, InboxState>> inboxStates(Collection<String> recipients) {
    return pool.preparedQuery("SELECT i.recipient, i.last_seq, (SELECT count(*) FROM notifications n WHERE n.recipient = i.recipient "
            + "AND n.read_at IS NULL AND " + VISIBLE + ") FROM inbox i WHERE i.recipient = ANY($1::text[])")
        .execute(Tuple.tuple().addValue(recipients.toArray(new String[0])))
        .map(rows -> {
          Map<String, InboxState> out = new LinkedHashMap<>();
          rows.forEach(r -> out.put(r.getString(0), new InboxState(r.getLong(2).intValue(), r.getLong(1))));
          return out;
        });
  }

  /** Marks read; answers the ids that exist in the recipient's inbox. */
  public Future<List<UUID>> markRead(String recipient, Collection<UUID> ids) {
    return update("UPDATE notifications SET read_at = COALESCE(read_at, now()) WHERE recipient = $1 AND id = ANY($2::uuid[]) "
        + "AND deleted_at IS NULL RETURNING id", recipient, ids);
  }

  public Future<List<UUID>> markUnread(String recipient, Collection<UUID> ids) {
    return update("UPDATE notifications SET read_at = NULL WHERE recipient = $1 AND id = ANY($2::uuid[]) "
        + "AND deleted_at IS NULL RETURNING id", recipient, ids);
  }

  public Future<List<UUID>> delete(String recipient, Collection<UUID> ids) {
    return update("UPDATE notifications SET deleted_at = now() WHERE recipient = $1 AND id = ANY($2::uuid[]) "
        + "AND deleted_at IS NULL RETURNING id", recipient, ids);
  }

  /** Client {@code ack}: the notification reached a device. */
  public Future<List<UUID>> markDelivered(String recipient, Collection<UUID> ids) {
    return update("UPDATE notifications SET delivered_at = COALESCE(delivered_at, now()) WHERE recipient = $1 "
        + "AND id = ANY($2::uuid[]) RETURNING id", recipient, ids);
  }

  public Future<Integer> markAllRead(String recipient) {
    return pool.preparedQuery("UPDATE notifications SET read_at = now() WHERE recipient = $1 AND read_at IS NULL AND " + VISIBLE)
        .execute(Tuple.of(recipient)).map(RowSet::rowCount);
  }

  private Future<List<UUID>> update(String sql, String recipient, Collection<UUID> ids) {
    return pool.preparedQuery(sql).execute(Tuple.tuple().addValue(recipient).addValue(ids.toArray(new UUID[0])))
        .map(rows -> new ArrayList<>(ids(rows)));
  }

  static Notification read(Row r) {
    String[] channels = r.getArrayOfStrings("channels");
    Object data = r.getValue("data");
    return new Notification(r.getUUID("id"), r.getString("recipient"), r.getLong("seq"), r.getString("title"), r.getString("body"),
        r.getString("level"), r.getString("category"), r.getString("action_url"), r.getString("action_label"),
        data instanceof JsonObject o ? o : null, r.getString("priority"),
        channels == null ? List.of() : Arrays.asList(channels), r.getString("idempotency_key"), r.getString("idempotency_hash"),
        r.getOffsetDateTime("created_at"), r.getOffsetDateTime("read_at"), r.getOffsetDateTime("send_at"),
        r.getOffsetDateTime("expires_at"));
  }
}
