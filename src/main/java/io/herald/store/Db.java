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
    return build(vertx, cfg, size, options(cfg), "herald-" + cfg.schema());
  }

  /**
   * The delivery workers' pool: their commits (claims, outcomes, re-queues) do not wait for the
   * WAL to reach the disk ({@code synchronous_commit = off}). Nothing acknowledged depends on them:
   * the ingest commit that made the delivery row stays synchronous. Should PostgreSQL itself crash,
   * the last fraction of a second of worker updates may be lost; a lost claim or outcome leaves the
   * row pending or sending, and it is sent again (at least once, never lost). Without this, three
   * flushes per delivery (ingest, claim, outcome) queue behind each other and slow ingest down.
   */
  public static Pool workerPool(Vertx vertx, HeraldConfig.Postgres cfg, int size) {
    return build(vertx, cfg, size, options(cfg).addProperty("synchronous_commit", "off"), "herald-workers-" + cfg.schema());
  }

  private static PgConnectOptions options(HeraldConfig.Postgres cfg) {
    return PgConnectOptions.fromUri(cfg.uri())
        .addProperty("search_path", cfg.schema())
        .addProperty("application_name", "herald")
        .addProperty("client_min_messages", "warning")
        // statements take arrays whose sizes vary per call; a generic plan (chosen after five runs)
        // misjudges them badly, so each execution is planned for its own arguments
        .addProperty("plan_cache_mode", "force_custom_plan")
        .setCachePreparedStatements(true) // parse and plan each statement once per connection
        .setReconnectAttempts(2)
        .setReconnectInterval(500);
  }

  private static Pool build(Vertx vertx, HeraldConfig.Postgres cfg, int size, PgConnectOptions connect, String name) {
    PoolOptions pool = new PoolOptions().setMaxSize(size).setMaxWaitQueueSize(10_000).setConnectionTimeout(10)
        .setShared(false).setName(name);
    return PgBuilder.pool().with(pool).connectingTo(connect).using(vertx).build();
  }
}
