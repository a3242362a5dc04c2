package io.herald.ops;

import io.herald.fanout.Fanout;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether this node should get traffic: Postgres answers, migrations are applied, not draining.
 * The fan-out's state is shown but does not count: with Redis down a node still serves its own
 * sockets and the API, and what other nodes could not push reaches clients when Redis is back.
 */
public final class Readiness {
  private final Pool pool;
  private Fanout fanout;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean draining = new AtomicBoolean();

  public Readiness(Pool pool) {
    this.pool = pool;
  }

  /** The fan-out whose state the check shows. */
  public void show(Fanout fanout) {
    this.fanout = fanout;
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
    JsonObject link = fanout == null ? null : fanout.state();
    if (link != null && !"local".equals(link.getString("mode"))) {
      checks.put("redis", "up".equals(link.getString("redis")) ? "UP" : "DOWN");
    }
    return pool.query("SELECT 1").execute()
        .map(rows -> checks.put("postgres", "UP"))
        .otherwise(err -> checks.put("postgres", "DOWN"))
        .map(c -> new JsonObject()
            .put("status", started.get() && !draining.get() && "UP".equals(c.getString("postgres")) ? "UP" : "DOWN")
            .put("checks", c));
  }
}
