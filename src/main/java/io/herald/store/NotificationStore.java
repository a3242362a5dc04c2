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

/** Reading inboxes and the changes users make to them (read, unread, delete); see {@link NotificationWriter} for what arrives. */
public final class NotificationStore {
  static final String COLUMNS = "id, recipient, seq, title, body, level, category, action_url, action_label, data, priority, "
      + "channels, idempotency_key, idempotency_hash, created_at, read_at, send_at, expires_at";
  /** {@link #COLUMNS} qualified by a table alias, for joins. */
  static String columns(String alias) {
    return java.util.Arrays.stream(COLUMNS.split(",\\s*")).map(c -> alias + "." + c)
        .collect(java.util.stream.Collectors.joining(", "));
  }

  /** In the inbox now: not deleted, not waiting for its send time, not expired. */
  private static final String VISIBLE = "deleted_at IS NULL AND NOT scheduled AND NOT expired "
      + "AND (expires_at IS NULL OR expires_at > now())";

  private final Pool pool;

  public NotificationStore(Pool pool) {
    this.pool = pool;
  }

  public Pool pool() {
    return pool;
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
    return inboxStates(List.of(recipient)).map(m -> m.getOrDefault(recipient, InboxState.EMPTY).count().unread());
  }

  /** A recipient's unread count (with its version) and last sequence number, read in one snapshot. */
  public record InboxState(InboxCount count, long lastSeq) {
    public static final InboxState EMPTY = new InboxState(new InboxCount(0, 0), 0);
  }

  /** Inbox states for several recipients in one query; recipients who never had a notification are absent. */
  public Future<Map<String, InboxState>> inboxStates(Collection<String> recipients) {
    return pool.preparedQuery("SELECT recipient, last_seq, unread, version FROM inbox WHERE recipient = ANY($1::text[])")
        .execute(Tuple.tuple().addValue(recipients.toArray(new String[0])))
        .map(rows -> {
          Map<String, InboxState> out = new LinkedHashMap<>();
          rows.forEach(r -> out.put(r.getString(0), new InboxState(new InboxCount(r.getInteger(2), r.getLong(3)), r.getLong(1))));
          return out;
        });
  }

  /** The result of a change to some of a user's notifications: the ids it found, and the count after it. */
  public record Change(List<UUID> found, InboxCount count) {
  }

  /** Marks read; {@code found} are the ids that are in the recipient's inbox. */
  public Future<Change> markRead(String recipient, Collection<UUID> ids) {
    return change(recipient, ids, "read_at = COALESCE(n.read_at, now())", "t.read_at IS NULL AND NOT t.expired", -1);
  }

  public Future<Change> markUnread(String recipient, Collection<UUID> ids) {
    return change(recipient, ids, "read_at = NULL", "t.read_at IS NOT NULL AND NOT t.expired", +1);
  }

  public Future<Change> delete(String recipient, Collection<UUID> ids) {
    return change(recipient, ids, "deleted_at = now()", "t.read_at IS NULL AND NOT t.expired", -1);
  }

  /** Client {@code ack}: the notification reached a device (the count does not change). */
  public Future<Void> markDelivered(String recipient, Collection<UUID> ids) {
    return pool.preparedQuery("UPDATE notifications SET delivered_at = COALESCE(delivered_at, now()) WHERE recipient = $1 "
            + "AND id = ANY($2::uuid[]) AND NOT scheduled")
        .execute(Tuple.tuple().addValue(recipient).addValue(ids.toArray(new UUID[0]))).mapEmpty();
  }

  /** Marks every unread notification read; the count goes to zero. */
  public Future<Change> markAllRead(String recipient) {
    return pool.withTransaction(conn -> lockInbox(conn, recipient)
        .compose(v -> conn.preparedQuery("UPDATE notifications SET read_at = now() WHERE recipient = $1 AND read_at IS NULL "
            + "AND deleted_at IS NULL AND NOT scheduled AND NOT expired RETURNING id").execute(Tuple.of(recipient)))
        .compose(updated -> adjust(conn, recipient, -updated.rowCount()).map(count -> new Change(new ArrayList<>(ids(updated)), count))));
  }

  /**
   * Applies {@code assignment} to the recipient's notifications among {@code ids} that are in the
   * inbox, and moves the counter by {@code delta} for each row that matched {@code counts} before
   * the change. The inbox row is locked first, as every writer does.
   */
  private Future<Change> change(String recipient, Collection<UUID> ids, String assignment, String counts, int delta) {
    String sql = "WITH t AS (SELECT id, read_at, expired FROM notifications WHERE recipient = $1 AND id = ANY($2::uuid[]) AND "
        + VISIBLE + " FOR UPDATE) "
        + "UPDATE notifications n SET " + assignment + " FROM t WHERE n.id = t.id RETURNING n.id, " + counts;
    return pool.withTransaction(conn -> lockInbox(conn, recipient)
        .compose(v -> conn.preparedQuery(sql).execute(Tuple.tuple().addValue(recipient).addValue(ids.toArray(new UUID[0]))))
        .compose(rows -> {
          List<UUID> found = new ArrayList<>();
          int moved = 0;
          for (Row r : rows) {
            found.add(r.getUUID(0));
            moved += Boolean.TRUE.equals(r.getBoolean(1)) ? 1 : 0;
          }
          return adjust(conn, recipient, delta * moved).map(count -> new Change(found, count));
        }));
  }

  private static Future<Void> lockInbox(SqlConnection conn, String recipient) {
    return conn.preparedQuery("SELECT 1 FROM inbox WHERE recipient = $1 FOR UPDATE").execute(Tuple.of(recipient)).mapEmpty();
  }

  /** Moves the counter (a new version even when it does not move, so every socket hears the answer). */
  private static Future<InboxCount> adjust(SqlConnection conn, String recipient, int delta) {
    return conn.preparedQuery("UPDATE inbox SET unread = unread + $2, version = version + 1 WHERE recipient = $1 "
            + "RETURNING unread, version")
        .execute(Tuple.of(recipient, delta))
        .map(rows -> rows.size() == 0 ? new InboxCount(0, 0)
            : new InboxCount(rows.iterator().next().getInteger(0), rows.iterator().next().getLong(1)));
  }

  private static List<UUID> ids(RowSet<Row> rows) {
    List<UUID> out = new ArrayList<>();
    rows.forEach(r -> out.add(r.getUUID(0)));
    return out;
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

  /**
   * Records that these users had a socket open now (their inbox row is made if they have none yet,
   * locked in user order like every inbox write, so no two writers wait on each other in a cycle).
   */
  public Future<Void> markSeen(List<String> users) {
    return pool.preparedQuery("INSERT INTO inbox (recipient, last_seq, unread, version, seen_at) "
            + "SELECT r, 0, 0, 0, now() FROM unnest($1::text[]) AS r ORDER BY r "
            + "ON CONFLICT (recipient) DO UPDATE SET seen_at = excluded.seen_at")
        .execute(Tuple.tuple().addValue(users.toArray(new String[0]))).mapEmpty();
  }
}
