package io.herald;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/** The packaged jar as a real process, for the *IT tests; plus a short-lived pool on its schema. */
public final class JarProcess {
  private JarProcess() {
  }

  /** Starts {@code java -jar target/herald.jar --conf <dir>/herald.json}, output (both streams) to {@code log}. */
  public static Process start(Path dir, JsonObject conf, Path log) throws Exception {
    Path file = dir.resolve("herald.json");
    Files.writeString(file, conf.encodePrettily());
    return new ProcessBuilder("java", "-jar", "target/herald.jar", "--conf", file.toString())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
  }

  /** The HTTP status of a GET, or -1 when nothing answers. */
  public static int status(int port, String path) {
    try {
      HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + path).openConnection();
      c.setConnectTimeout(1000);
      c.setReadTimeout(2000);
      return c.getResponseCode();
    } catch (Exception e) {
      return -1;
    }
  }

  /** Runs {@code work} with a one-connection pool on {@code schema}, then closes it. */
  public static <T> T withSchema(String schema, Function<Pool, io.vertx.core.Future<T>> work) {
    Vertx vertx = Vertx.vertx();
    try {
      Pool pool = io.herald.store.Db.pool(vertx, new io.herald.config.HeraldConfig.Postgres(TestGateway.PG_URI, schema, 1));
      try {
        return TestGateway.await(work.apply(pool));
      } finally {
        TestGateway.await(pool.close());
      }
    } finally {
      TestGateway.await(vertx.close());
    }
  }

  public static void dropSchema(String schema) {
    withSchema(schema, pool -> pool.query("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE").execute());
  }
}
