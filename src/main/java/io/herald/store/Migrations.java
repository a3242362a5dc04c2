package io.herald.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the SQL files listed in {@code db/migrations.txt}, in order, each in its own transaction,
 * into the configured schema (created if missing). A session advisory lock makes concurrent
 * start-ups of several nodes safe: one applies, the others wait and then find nothing to do.
 */
public final class Migrations {
  private static final Logger log = LoggerFactory.getLogger(Migrations.class);

  public record Migration(String version, String sql, String checksum) {
  }

  private Migrations() {
  }

  public static List<Migration> bundled() {
    List<Migration> out = new ArrayList<>();
    for (String line : resource("db/migrations.txt").split("\n")) {
      String name = line.trim();
      if (name.isEmpty() || name.startsWith("#")) {
        continue;
      }
      String sql = resource("db/" + name);
      out.add(new Migration(name.replaceFirst("\\.sql$", ""), sql, sha256(sql)));
    }
    return out;
  }

  /** Applies what is missing; the result lists the versions applied by this call. */
  public static Future<List<String>> apply(Pool pool, String schema) {
    List<Migration> all = bundled();
    return pool.getConnection().compose(conn -> conn.preparedQuery("SELECT pg_advisory_lock(hashtext($1))")
        .execute(Tuple.of("herald.migrations:" + schema))
        .compose(locked -> applyLocked(conn, schema, all))
        .eventually(() -> conn.preparedQuery("SELECT pg_advisory_unlock(hashtext($1))")
            .execute(Tuple.of("herald.migrations:" + schema)).eventually(conn::close)));
  }

  /** True when every bundled migration is recorded as applied. */
  public static Future<Boolean> upToDate(Pool pool) {
    return pool.query("SELECT version FROM schema_migrations").execute()
        .map(rows -> {
          List<String> done = new ArrayList<>();
          rows.forEach(r -> done.add(r.getString(0)));
          return bundled().stream().allMatch(m -> done.contains(m.version()));
        })
        .recover(err -> Future.succeededFuture(false));
  }

  private static Future<List<String>> applyLocked(SqlConnection conn, String schema, List<Migration> all) {
    return conn.query("CREATE SCHEMA IF NOT EXISTS \"" + schema + "\"").execute()
        .compose(v -> conn.query("CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, "
            + "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())").execute())
        .compose(v -> conn.query("SELECT version, checksum FROM schema_migrations").execute())
        .compose(rows -> {
          Map<String, String> applied = new HashMap<>();
          for (Row r : rows) {
            applied.put(r.getString(0), r.getString(1));
          }
          Future<List<String>> chain = Future.succeededFuture(new ArrayList<>());
          for (Migration m : all) {
            String known = applied.get(m.version());
            if (known != null) {
              if (!known.equals(m.checksum())) {
                return Future.failedFuture(new IllegalStateException("migration " + m.version()
                    + " was changed after it was applied to schema " + schema + "; add a new migration instead"));
              }
              continue;
            }
            chain = chain.compose(done -> applyOne(conn, m).map(v -> {
              done.add(m.version());
              return done;
            }));
          }
          return chain;
        });
  }

  private static Future<Void> applyOne(SqlConnection conn, Migration m) {
    return conn.begin().compose(tx -> conn.query(m.sql()).execute()
        .compose(v -> conn.preparedQuery("INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)")
            .execute(Tuple.of(m.version(), m.checksum())))
        .compose(v -> tx.commit())
        .onSuccess(v -> log.info("applied migration {}", m.version()))
        .recover(err -> tx.rollback().transform(x -> Future.failedFuture(
            new IllegalStateException("migration " + m.version() + " failed: " + err.getMessage(), err)))));
  }

  private static String resource(String path) {
    try (InputStream in = Migrations.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
