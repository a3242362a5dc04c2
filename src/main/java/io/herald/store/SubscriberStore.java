package io.herald.store;

import io.herald.config.HeraldConfig;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.Arrays;
import java.util.List;

/** Subscribers: written whole by {@code PUT /v1/subscribers/{id}}, read by ingest (in SQL) and the API. */
public final class SubscriberStore {
  private static final String COLUMNS = "user_id, email, phone, whatsapp, locale, time_zone, roles, preferences, created_at, updated_at";

  private final Pool pool;
  private final HeraldConfig.Digest digest;

  /** {@code digest}: the default hour and time zone of the unread summaries. */
  public SubscriberStore(Pool pool, HeraldConfig.Digest digest) {
    this.pool = pool;
    this.digest = digest;
  }

  /** The subscriber as it now stands, and whether the call created it. */
  public record Saved(Subscriber subscriber, boolean created) {
  }

  /**
   * Creates or replaces the subscriber (every field; absent ones become empty). Their next unread
   * summary is looked at on their digest hour, in their time zone: one PostgreSQL does not know
   * fails the statement as a data error (22023), which the API answers as a bad {@code timeZone}.
   */
  public Future<Saved> put(String userId, String email, String phone, String whatsapp, String locale, String timeZone,
                           List<String> roles, JsonObject preferences) {
    return pool.preparedQuery("INSERT INTO subscribers (user_id, email, phone, whatsapp, locale, time_zone, roles, preferences, "
            + "summary_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, digest_slot('daily', coalesce($6, $9), "
            + "coalesce(($8::jsonb -> 'digest' ->> 'hour')::int, $10), 1, now())) "
            + "ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, "
            + "phone = excluded.phone, whatsapp = excluded.whatsapp, locale = excluded.locale, time_zone = excluded.time_zone, "
            + "roles = excluded.roles, preferences = excluded.preferences, summary_at = excluded.summary_at, updated_at = now() "
            + "RETURNING " + COLUMNS + ", xmax = 0 AS created")
        .execute(Tuple.tuple().addValue(userId).addValue(email).addValue(phone).addValue(whatsapp).addValue(locale)
            .addValue(timeZone).addValue(roles.toArray(new String[0])).addValue(preferences).addValue(digest.timeZone())
            .addValue(digest.hour()))
        .map(rows -> {
          Row r = rows.iterator().next();
          return new Saved(read(r), r.getBoolean("created"));
        });
  }

  /** The subscriber, or null. */
  public Future<Subscriber> get(String userId) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM subscribers WHERE user_id = $1").execute(Tuple.of(userId))
        .map(rows -> rows.size() == 0 ? null : read(rows.iterator().next()));
  }

  /** Forgets the subscriber; true if there was one. Their notifications stay. */
  public Future<Boolean> delete(String userId) {
    return pool.preparedQuery("DELETE FROM subscribers WHERE user_id = $1").execute(Tuple.of(userId)).map(rows -> rows.rowCount() > 0);
  }

  private static Subscriber read(Row r) {
    Object prefs = r.getValue("preferences");
    return new Subscriber(r.getString("user_id"), r.getString("email"), r.getString("phone"), r.getString("whatsapp"),
        r.getString("locale"), r.getString("time_zone"), Arrays.asList(r.getArrayOfStrings("roles")),
        prefs instanceof JsonObject o ? o : new JsonObject(String.valueOf(prefs)), r.getOffsetDateTime("created_at"),
        r.getOffsetDateTime("updated_at"));
  }
}
