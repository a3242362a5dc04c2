package io.herald.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * When each scheduled job last ran ({@code job_runs}), shared by every node: a job's next run is
 * its first cron time after {@code due_after}. Kept in the database rather than in memory so that
 * a run missed while no node held the jobs lease is made up by whichever node takes it next.
 * Times are passed in (the caller's clock), never taken from the database's {@code now()}.
 */
public final class JobRunStore {
  /** The job's {@code due_after}; a job seen for the first time starts counting from {@code now}. */
  private static final String DUE_AFTER = "WITH fresh AS (INSERT INTO job_runs (name, due_after) VALUES ($1, $2) "
      + "ON CONFLICT (name) DO NOTHING RETURNING due_after) "
      + "SELECT due_after FROM fresh UNION ALL SELECT due_after FROM job_runs WHERE name = $1";
  /** Claims a run: only the node that still sees the {@code due_after} it read wins. */
  private static final String CLAIM = "UPDATE job_runs SET due_after = $3, started_at = $3, finished_at = NULL, outcome = NULL, "
      + "summary = NULL WHERE name = $1 AND due_after = $2";
  private static final String FINISH = "UPDATE job_runs SET finished_at = $3, outcome = $4, summary = $5 WHERE name = $1 AND started_at = $2";

  private final Pool pool;

  public JobRunStore(Pool pool) {
    this.pool = pool;
  }

  /** When the job's next run is counted from. */
  public Future<Instant> dueAfter(String job, Instant now) {
    return pool.preparedQuery(DUE_AFTER).execute(Tuple.of(job, at(now)))
        .map(rows -> rows.iterator().next().getOffsetDateTime(0).toInstant());
  }

  /** Whether this caller won the run due after {@code dueAfter}; the next one is then counted from {@code start}. */
  public Future<Boolean> claim(String job, Instant dueAfter, Instant start) {
    return pool.preparedQuery(CLAIM).execute(Tuple.of(job, at(dueAfter), at(start))).map(rows -> rows.rowCount() == 1);
  }

  /** Records how the run claimed at {@code start} ended. */
  public Future<Void> finish(String job, Instant start, Instant end, boolean ok, String summary) {
    return pool.preparedQuery(FINISH).execute(Tuple.of(job, at(start), at(end), ok ? "ok" : "failed", summary)).mapEmpty();
  }

  private static OffsetDateTime at(Instant instant) {
    return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }
}
