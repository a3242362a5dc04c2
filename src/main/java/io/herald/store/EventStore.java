package io.herald.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/** Domain events: accepted (with idempotency), leased for expansion, walked page by page. */
public final class EventStore {
  private static final String COLUMNS = "id, type, data, recipients, roles, actor, channels, priority, template_version, "
      + "idempotency_key, idempotency_hash, status, phase, cursor, notified, error, created_at, finished_at, attempts";

  private final Pool pool;

  public EventStore(Pool pool) {
    this.pool = pool;
  }

  /** One event as stored. {@code channels} null: the template's. */
  public record Event(UUID id, String type, JsonObject data, List<String> recipients, List<String> roles, String actor,
                      List<String> channels, String priority, int templateVersion, String idempotencyKey, String idempotencyHash,
                      String status, int phase, String cursor, int notified, String error, OffsetDateTime createdAt,
                      OffsetDateTime finishedAt, int attempts) {
    public JsonObject toJson() {
      return new JsonObject().put("id", id.toString()).put("type", type).put("status", status).put("notified", notified)
          .put("recipients", recipients.size()).put("roles", new JsonArray(roles)).put("actor", actor)
          .put("channels", channels == null ? null : new JsonArray(channels)).put("templateVersion", templateVersion)
          .put("error", error).put("createdAt", Notification.iso(createdAt)).put("finishedAt", Notification.iso(finishedAt));
    }
  }

  /** The outcome of accepting an event: the stored one, and whether this call created it, or the key clashed. */
  public record Accepted(Event event, boolean created, boolean conflict) {
  }

  /** A recipient of an event and the locale to render for. */
  public record Recipient(String userId, String locale) {
  }

  /**
   * Stores a new event posted by {@code source} (the API key's name), or answers the one that key
   * already stands for with {@code source} (then {@code conflict} says whether its content differs).
   */
  public Future<Accepted> insert(Event e, String source) {
    return pool.preparedQuery("INSERT INTO events (id, type, data, recipients, roles, actor, channels, priority, template_version, "
            + "idempotency_key, idempotency_hash, status, created_at, updated_at, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
            + "$10, $11, 'pending', $12, $12, $13) ON CONFLICT (source, idempotency_key) WHERE idempotency_key IS NOT NULL "
            + "DO NOTHING RETURNING " + COLUMNS)
        .execute(Tuple.tuple().addValue(e.id()).addValue(e.type()).addValue(e.data()).addValue(e.recipients().toArray(new String[0]))
            .addValue(e.roles().toArray(new String[0])).addValue(e.actor())
            .addValue(e.channels() == null ? null : e.channels().toArray(new String[0])).addValue(e.priority())
            .addValue(e.templateVersion()).addValue(e.idempotencyKey()).addValue(e.idempotencyHash()).addValue(e.createdAt())
            .addValue(source))
        .compose(rows -> rows.size() > 0 ? Future.succeededFuture(new Accepted(read(rows.iterator().next()), true, false))
            : byKey(source, e.idempotencyKey(), e.idempotencyHash()));
  }

  /** The event {@code source} already posted with {@code key}, compared with {@code hash}; null when there is none. */
  public Future<Accepted> byKey(String source, String key, String hash) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM events WHERE source = $1 AND idempotency_key = $2")
        .execute(Tuple.of(source, key))
        .map(found -> {
          if (found.size() == 0) {
            return null;
          }
          Event old = read(found.iterator().next());
          return new Accepted(old, false, !old.idempotencyHash().equals(hash));
        });
  }

  public Future<Event> get(UUID id) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM events WHERE id = $1").execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? null : read(rows.iterator().next()));
  }

  /** Takes the oldest event waiting for expansion (or abandoned by a stopped node) for {@code owner}; null when none. */
  public Future<Event> lease(String owner, int leaseSeconds) {
    return pool.preparedQuery("UPDATE events SET status = 'processing', lease_owner = $1, lease_until = now() + $2 * interval '1 second', "
            + "attempts = attempts + 1, updated_at = now() WHERE id = (SELECT id FROM events WHERE status = 'pending' OR (status = 'processing' "
            + "AND lease_until < now()) ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING " + COLUMNS)
        .execute(Tuple.of(owner, leaseSeconds))
        .map(rows -> rows.size() == 0 ? null : read(rows.iterator().next()));
  }

  /**
   * Locks the event for one page and answers where its expansion stands (phase, cursor), or fails
   * when another node has taken it over.
   */
  public Future<Event> lockOwned(SqlConnection conn, UUID id, String owner) {
    return conn.preparedQuery("SELECT " + COLUMNS + " FROM events WHERE id = $1 AND status = 'processing' AND lease_owner = $2 FOR UPDATE")
        .execute(Tuple.of(id, owner))
        .compose(rows -> rows.size() == 0 ? Future.failedFuture(new IllegalStateException("event " + id + " is no longer ours"))
            : Future.succeededFuture(read(rows.iterator().next())));
  }

  /**
   * The next recipients after {@code cursor} in {@code phase}: 0 the explicit recipients, 1 the
   * subscribers holding one of the roles who were not explicit; never the actor; user-id order.
   */
  public Future<List<Recipient>> page(SqlConnection conn, Event e, int phase, String cursor, int limit) {
    Future<io.vertx.sqlclient.RowSet<Row>> rows = phase == 0
        ? conn.preparedQuery("SELECT r, s.locale FROM unnest($1::text[]) AS r LEFT JOIN subscribers s ON s.user_id = r "
                + "WHERE ($2::text IS NULL OR r > $2) AND r IS DISTINCT FROM $3 ORDER BY r LIMIT $4")
            .execute(Tuple.tuple().addValue(e.recipients().toArray(new String[0])).addValue(cursor).addValue(e.actor()).addValue(limit))
        : conn.preparedQuery("SELECT user_id, locale FROM subscribers WHERE roles && $1::text[] AND ($2::text IS NULL OR user_id > $2) "
                + "AND user_id IS DISTINCT FROM $3 AND NOT (user_id = ANY($4::text[])) ORDER BY user_id LIMIT $5")
            .execute(Tuple.tuple().addValue(e.roles().toArray(new String[0])).addValue(cursor).addValue(e.actor())
                .addValue(e.recipients().toArray(new String[0])).addValue(limit));
    return rows.map(set -> {
      List<Recipient> out = new ArrayList<>(set.size());
      set.forEach(r -> out.add(new Recipient(r.getString(0), r.getString(1))));
      return out;
    });
  }

  /** A notification's rendered texts for one external channel. */
  public record Content(UUID notificationId, String channel, JsonObject parts) {
  }

  /** Writes rendered channel texts with their notifications (the delivery worker reads them with its claim). */
  public Future<Void> writeContent(SqlConnection conn, List<Content> contents) {
    if (contents.isEmpty()) {
      return Future.succeededFuture();
    }
    return conn.preparedQuery("INSERT INTO notification_content (notification_id, channel, parts) "
            + "SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[])")
        .execute(Tuple.tuple().addValue(contents.stream().map(Content::notificationId).toArray(UUID[]::new))
            .addValue(contents.stream().map(Content::channel).toArray(String[]::new))
            .addValue(contents.stream().map(Content::parts).toArray(JsonObject[]::new)))
        .mapEmpty();
  }

  /** Records a written page: where the walk stands and how many notifications it made; extends the lease. */
  public Future<Void> advance(SqlConnection conn, UUID id, int phase, String cursor, int written, int leaseSeconds) {
    return conn.preparedQuery("UPDATE events SET phase = $2, cursor = $3, notified = notified + $4, "
            + "lease_until = now() + $5 * interval '1 second', updated_at = now() WHERE id = $1")
        .execute(Tuple.of(id, phase, cursor, written, leaseSeconds)).mapEmpty();
  }

  /** Notes why an expansion attempt stopped (it will be tried again once its lease runs out). */
  public Future<Void> noteError(UUID id, String error) {
    return pool.preparedQuery("UPDATE events SET error = $2, updated_at = now() WHERE id = $1").execute(Tuple.of(id, error)).mapEmpty();
  }

  /** Ends an expansion: done, or failed with the reason. */
  public Future<Void> finish(UUID id, String owner, String status, String error) {
    return pool.preparedQuery("UPDATE events SET status = $3, error = $4, lease_owner = NULL, lease_until = NULL, finished_at = now(), "
            + "updated_at = now() WHERE id = $1 AND lease_owner = $2")
        .execute(Tuple.of(id, owner, status, error)).mapEmpty();
  }

  private static Event read(Row r) {
    String[] channels = r.getArrayOfStrings("channels");
    Object data = r.getValue("data");
    return new Event(r.getUUID("id"), r.getString("type"), data instanceof JsonObject o ? o : new JsonObject(),
        Arrays.asList(r.getArrayOfStrings("recipients")), Arrays.asList(r.getArrayOfStrings("roles")), r.getString("actor"),
        channels == null ? null : Arrays.asList(channels), r.getString("priority"), r.getInteger("template_version"),
        r.getString("idempotency_key"), r.getString("idempotency_hash"), r.getString("status"), r.getInteger("phase"),
        r.getString("cursor"), r.getInteger("notified"), r.getString("error"), r.getOffsetDateTime("created_at"),
        r.getOffsetDateTime("finished_at"), r.getInteger("attempts"));
  }
}
