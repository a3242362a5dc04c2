package io.herald.ops;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.atomic.AtomicBoolean;

/** Whether this node should get traffic: Postgres answers, migrations are applied, not draining. */
public final class Readiness {
  private final Pool pool;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean draining = new AtomicBoolean();

  public Readiness(Pool pool) {
    this.pool = pool;
  }

  /** Migrations are applied and every verticle instance is deployed. */
  public void started() {
    started.set(true);
  }

  public void drain() {
    draining.set(true);
  }

  public boolean draining() {
    return draining.get();
  }

  /** Checks now; the JSON says which part is not ready. */
  public Future<JsonObject> check() {
    JsonObject checks = new JsonObject().put("migrations", started.get() ? "UP" : "DOWN").put("draining", draining.get());
    return pool.query("SELECT 1").execute()
        .map(rows -> checks.put("postgres", "UP"))
        .otherwise(err -> checks.put("postgres", "DOWN"))
        .map(c -> new JsonObject()
            .put("status", started.get() && !draining.get() && "UP".equals(c.getString("postgres")) ? "UP" : "DOWN")
            .put("checks", c));
  }
}
