package io.herald.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

/** Named leases in {@code job_leases}: who runs a singleton job, and until when. */
public final class LeaseStore {
  /** Takes the lease when it is free or expired, or renews it for its holder; a row back means {@code owner} holds it. */
  private static final String TAKE = "INSERT INTO job_leases (name, owner, expires_at) VALUES ($1, $2, now() + $3 * interval '1 second') "
      + "ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at, "
      + "taken_at = CASE WHEN job_leases.owner = EXCLUDED.owner THEN job_leases.taken_at ELSE now() END "
      + "WHERE job_leases.owner = EXCLUDED.owner OR job_leases.expires_at < now() RETURNING owner";
  private static final String RELEASE = "DELETE FROM job_leases WHERE name = $1 AND owner = $2";
  private static final String HOLDER = "SELECT owner FROM job_leases WHERE name = $1 AND expires_at >= now()";

  private final Pool pool;

  public LeaseStore(Pool pool) {
    this.pool = pool;
  }

  /** Whether {@code owner} holds lease {@code name} for the next {@code seconds} (taken or renewed now). */
  public Future<Boolean> take(String name, String owner, int seconds) {
    return pool.preparedQuery(TAKE).execute(Tuple.of(name, owner, seconds)).map(rows -> rows.size() == 1);
  }

  /** Gives the lease up at once (a clean stop), so another node need not wait for it to expire. */
  public Future<Void> release(String name, String owner) {
    return pool.preparedQuery(RELEASE).execute(Tuple.of(name, owner)).mapEmpty();
  }

  /** The node holding lease {@code name} now, or null. */
  public Future<String> holder(String name) {
    return pool.preparedQuery(HOLDER).execute(Tuple.of(name))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString(0));
  }
}
