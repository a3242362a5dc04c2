package io.herald.store;

import io.herald.template.Template;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * Templates and their versions. Every save writes a new {@code template_versions} row in the same
 * transaction that moves {@code templates.version} on; versions are never changed or removed, so a
 * notification that recorded name and version can always fetch what it was made from, even after
 * the template was edited or deleted.
 */
public final class TemplateStore {
  private static final String SELECT = "SELECT v.name, v.version, v.level, v.category, v.body, t.created_at, "
      + "v.created_at AS updated_at FROM template_versions v JOIN templates t ON t.name = v.name ";

  private final Pool pool;

  public TemplateStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * Saves {@code template} as a new name (version 1), or as the next version of a name that was
   * deleted; null when a template of that name exists.
   */
  public Future<Template> create(Template template) {
    return pool.withTransaction(conn -> conn.preparedQuery("INSERT INTO templates (name, version) VALUES ($1, 1) "
            + "ON CONFLICT (name) DO UPDATE SET version = templates.version + 1, deleted_at = NULL, created_at = now(), "
            + "updated_at = now() WHERE templates.deleted_at IS NOT NULL RETURNING version")
        .execute(Tuple.of(template.name()))
        .compose(rows -> rows.size() == 0 ? Future.succeededFuture(null) : insertVersion(conn, template, rows)));
  }

  /** Saves {@code template} as the next version of its name; null when there is no such template (or it was deleted). */
  public Future<Template> replace(Template template) {
    return pool.withTransaction(conn -> conn.preparedQuery("UPDATE templates SET version = version + 1, updated_at = now() "
            + "WHERE name = $1 AND deleted_at IS NULL RETURNING version")
        .execute(Tuple.of(template.name()))
        .compose(rows -> rows.size() == 0 ? Future.succeededFuture(null) : insertVersion(conn, template, rows)));
  }

  private static Future<Template> insertVersion(SqlConnection conn, Template template, RowSet<Row> bumped) {
    int version = bumped.iterator().next().getInteger("version");
    return conn.preparedQuery("INSERT INTO template_versions (name, version, level, category, body) VALUES ($1, $2, $3, $4, $5::jsonb)")
        .execute(Tuple.of(template.name(), version, template.level(), template.category(), template.body()))
        .compose(v -> conn.preparedQuery(SELECT + "WHERE v.name = $1 AND v.version = $2").execute(Tuple.of(template.name(), version)))
        .map(rows -> template.saved(version, rows.iterator().next().getOffsetDateTime("created_at"),
            rows.iterator().next().getOffsetDateTime("updated_at")));
  }

  /** The current version of {@code name}; null when there is none or it was deleted. */
  public Future<Template> current(String name) {
    return pool.preparedQuery(SELECT + "WHERE t.name = $1 AND v.version = t.version AND t.deleted_at IS NULL")
        .execute(Tuple.of(name)).map(TemplateStore::first);
  }

  /**
   * Version {@code version} of {@code name} as it was saved, also after later edits or deletion;
   * null when it never existed.
   */
  public Future<Template> version(String name, int version) {
    return pool.preparedQuery(SELECT + "WHERE v.name = $1 AND v.version = $2").execute(Tuple.of(name, version))
        .map(TemplateStore::first);
  }

  /** Current templates in name order, at most {@code limit} after the name {@code after} (null: from the start). */
  public Future<List<Template>> list(String after, int limit) {
    return pool.preparedQuery(SELECT + "WHERE v.version = t.version AND t.deleted_at IS NULL "
            + "AND ($1::text IS NULL OR t.name > $1) ORDER BY t.name LIMIT $2")
        .execute(Tuple.of(after, limit))
        .map(rows -> {
          List<Template> out = new ArrayList<>();
          rows.forEach(r -> out.add(read(r)));
          return out;
        });
  }

  /** Deletes the template (its versions stay); false when there was none. */
  public Future<Boolean> delete(String name) {
    return pool.preparedQuery("UPDATE templates SET deleted_at = now() WHERE name = $1 AND deleted_at IS NULL")
        .execute(Tuple.of(name)).map(rows -> rows.rowCount() > 0);
  }

  private static Template first(RowSet<Row> rows) {
    return rows.size() == 0 ? null : read(rows.iterator().next());
  }

  private static Template read(Row r) {
    Object body = r.getValue("body");
    return Template.stored(r.getString("name"), r.getInteger("version"), r.getString("level"), r.getString("category"),
        body instanceof JsonObject o ? o : new JsonObject(String.valueOf(body)), r.getOffsetDateTime("created_at"),
        r.getOffsetDateTime("updated_at"));
  }
}
