package io.herald.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * Broadcasts: the record of each one and, for a persisted one, a notification in the inbox of
 * every subscriber holding one of its roles (every subscriber when it names none). All of it is
 * one transaction: the answer comes after the commit, and a broadcast is recorded with all its
 * inbox rows or with none. Subscribers are read a page at a time (keyset on user id) and each page
 * is written through {@link NotificationWriter#insertIn}, which locks the inbox rows in recipient
 * order and keeps sequence numbers and unread counters exact; pages go in ascending user id, so
 * across the whole transaction the locks are still taken in recipient order.
 */
public final class BroadcastStore {
  /** Subscribers per page: bounds the memory of one round and the size of each statement. */
  public static final int PAGE = 1000;
  private static final String AUDIENCE = "SELECT user_id FROM subscribers WHERE ($1::text IS NULL OR user_id > $1) "
      + "AND (cardinality($2::text[]) = 0 OR roles && $2::text[]) ORDER BY user_id LIMIT $3";
  private static final String INSERT = "INSERT INTO broadcasts (id, sender, message, level, title, category, roles, persist, "
      + "recipients, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

  private final Pool pool;
  private final NotificationWriter writer;

  public BroadcastStore(Pool pool, NotificationWriter writer) {
    this.pool = pool;
    this.writer = writer;
  }

  /**
   * One broadcast as sent: {@code sender} is the API key's name; {@code roles} empty means
   * everyone; {@code title} and {@code category} are those of the persisted notifications.
   */
  public record Broadcast(UUID id, String sender, String message, String level, String title, String category,
                          List<String> roles, boolean persist, OffsetDateTime createdAt) {
    /** The notification a persisted broadcast writes into {@code recipient}'s inbox. */
    Notification notificationFor(String recipient) {
      return new Notification(Ids.next(), recipient, 0, title, message, level, category, null, null,
          new JsonObject().put("broadcastId", id.toString()), "normal", List.of("inapp"), null, null, createdAt, null, null, null);
    }
  }

  /** A notification the broadcast wrote, with its recipient's unread count right after it. */
  public record Persisted(Notification notification, InboxCount count) {
  }

  /** How many inbox rows were written, and those of them to push (the recipients {@code push} accepted). */
  public record Recorded(int recipients, List<Persisted> toPush) {
  }

  /**
   * Records the broadcast and, when it persists, writes its notifications; completes after the
   * commit. Of the rows written, only those whose recipient {@code push} accepts are kept for the
   * caller to push, so memory is bounded by the page and by the users who may have a socket.
   */
  public Future<Recorded> record(Broadcast b, Predicate<String> push) {
    List<Persisted> toPush = new ArrayList<>();
    String[] roles = b.roles().toArray(new String[0]);
    return pool.withTransaction(conn -> (b.persist() ? page(conn, b, roles, null, 0, push, toPush) : Future.succeededFuture(0))
        .compose(written -> conn.preparedQuery(INSERT).execute(Tuple.tuple().addValue(b.id()).addValue(b.sender())
                .addValue(b.message()).addValue(b.level()).addValue(b.title()).addValue(b.category()).addValue(roles)
                .addValue(b.persist()).addValue(written).addValue(b.createdAt()))
            .map(done -> new Recorded(written, toPush))));
  }

  /** Writes the page of subscribers after {@code after}, then the next, until a short page. */
  private Future<Integer> page(SqlConnection conn, Broadcast b, String[] roles, String after, int written, Predicate<String> push,
                               List<Persisted> toPush) {
    return conn.preparedQuery(AUDIENCE).execute(Tuple.tuple().addValue(after).addValue(roles).addValue(PAGE)).compose(users -> {
      List<Notification> rows = new ArrayList<>(users.size());
      String last = null;
      for (Row r : users) {
        last = r.getString(0);
        rows.add(b.notificationFor(last));
      }
      if (rows.isEmpty()) {
        return Future.succeededFuture(written);
      }
      String next = last;
      boolean more = rows.size() == PAGE;
      return writer.insertIn(conn, List.of(rows)).compose(result -> {
        NotificationWriter.Written w = result.get(0);
        for (int i = 0; i < w.rows().size(); i++) {
          Notification n = w.rows().get(i);
          if (push.test(n.recipient())) {
            toPush.add(new Persisted(n, w.counts().get(i)));
          }
        }
        int total = written + w.rows().size();
        return more ? page(conn, b, roles, next, total, push, toPush) : Future.succeededFuture(total);
      });
    });
  }
}
