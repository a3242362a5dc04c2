package io.herald.store;

import io.herald.config.HeraldConfig;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

/** Opens the PostgreSQL pool; every connection works in the configured schema. */
public final class Db {
  private Db() {
  }

  public static Pool pool(Vertx vertx, HeraldConfig.Postgres cfg) {
    return pool(vertx, cfg, cfg.poolSize());
  }

  public static Pool pool(Vertx vertx, HeraldConfig.Postgres cfg, int size) {
    PgConnectOptions connect = PgConnectOptions.fromUri(cfg.uri())
        .addProperty("search_path", cfg.schema())
        .addProperty("application_name", "herald")
        .addProperty("client_min_messages", "warning")
        // statements take arrays whose sizes vary per call; a generic plan (chosen after five runs)
        // misjudges them badly, so each execution is planned for its own arguments
        .addProperty("plan_cache_mode", "force_custom_plan")
        .setCachePreparedStatements(true) // parse and plan each statement once per connection
        .setReconnectAttempts(2)
        .setReconnectInterval(500);
    PoolOptions pool = new PoolOptions().setMaxSize(size).setMaxWaitQueueSize(10_000).setConnectionTimeout(10)
        .setShared(false).setName("herald-" + cfg.schema());
    return PgBuilder.pool().with(pool).connectingTo(connect).using(vertx).build();
  }
}
