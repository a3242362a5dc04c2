package io.herald.cli;

import io.herald.config.HeraldConfig;
import io.herald.store.Db;
import io.herald.store.Migrations;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code migrate}: applies pending migrations to the configured schema and exits. */
@Command(name = "migrate", description = "Apply database migrations to the configured schema and exit.")
final class MigrateCommand implements Callable<Integer> {
  @Mixin
  ConfigOption conf;

  @Override
  public Integer call() throws Exception {
    HeraldConfig config = conf.load();
    Vertx vertx = Vertx.vertx();
    Pool pool = Db.pool(vertx, config.postgres(), 1);
    try {
      List<String> applied = Migrations.apply(pool, config.postgres().schema()).toCompletionStage().toCompletableFuture()
          .get(120, TimeUnit.SECONDS);
      System.out.println(applied.isEmpty()
          ? "schema " + config.postgres().schema() + " is up to date"
          : "schema " + config.postgres().schema() + ": applied " + String.join(", ", applied));
      return 0;
    } catch (java.util.concurrent.ExecutionException e) {
      System.err.println("herald: migrate failed: " + e.getCause().getMessage());
      return 1;
    } finally {
      pool.close();
      vertx.close();
    }
  }
}
