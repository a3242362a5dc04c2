package io.herald.ops;

import io.herald.config.Cron;
import io.herald.config.HeraldConfig;
import io.herald.store.JobRunStore;
import io.herald.store.LeaseStore;
import io.herald.store.RetentionStore;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * Runs scheduled jobs at the times of their cron expressions, on the one node of a cluster that
 * holds the {@code jobs} {@link JobLease}. Every few seconds the holder looks at each job: its next
 * time is the cron's first time after the job's {@code due_after} in {@code job_runs}; once that
 * has come, the node claims the run (moving {@code due_after} to now, a guarded UPDATE) and runs
 * it. Runs missed while no node held the lease are therefore made up once, not once each; a job
 * never runs twice at once (one run at a time on the holder, and each run claimed in the
 * database); a failed run is logged and waits for the job's next time. Each run is logged with its
 * figures as key-value pairs.
 */
public final class JobsVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(JobsVerticle.class);
  /** How often due jobs are looked for: cron times are whole minutes. */
  static final long TICK_MILLIS = 5_000;
  /** How long a stop waits for a running job before giving up the lease anyway (the job stops at its next step). */
  static final long STOP_WAIT_MILLIS = 10_000;

  /**
   * A scheduled job. {@code work} gets a check to call between steps: once it answers false (this
   * node stopped or lost the lease), the work should stop where it is and succeed.
   */
  public record Job(String name, Cron cron, Function<BooleanSupplier, Future<Outcome>> work) {
  }

  /** What a run did: one line ({@code removed 3 read notifications, ...}) and the same figures by name. */
  public record Outcome(String summary, Map<String, Object> figures) {
  }

  private static final class State {
    Instant dueAfter;
    boolean busy;
  }

  private final List<Job> jobs;
  private final Map<String, State> states = new LinkedHashMap<>();
  private final ZoneId zone;
  private final JobLease lease;
  private final JobRunStore runs;
  private final Clock clock;
  private final long tickMillis;
  private Context context;
  private long timer = -1;
  private boolean stopping;
  private Promise<Void> idle;

  public JobsVerticle(List<Job> jobs, ZoneId zone, JobLease lease, JobRunStore runs, Clock clock, long tickMillis) {
    this.jobs = List.copyOf(jobs);
    this.zone = zone;
    this.lease = lease;
    this.runs = runs;
    this.clock = clock;
    this.tickMillis = tickMillis;
    jobs.forEach(job -> states.put(job.name(), new State()));
  }

  /** The gateway's jobs: retention when enabled, in {@code jobs.timeZone}, under the {@code jobs} lease. */
  public static JobsVerticle create(HeraldConfig config, Pool pool, String nodeId, Clock clock) {
    List<Job> jobs = new ArrayList<>();
    HeraldConfig.Retention retention = config.jobs().retention();
    if (retention.enabled()) {
      jobs.add(new Job("retention", retention.cron(), new Retention(new RetentionStore(pool), retention, clock)::run));
    }
    JobLease lease = new JobLease(new LeaseStore(pool), "jobs", nodeId, config.cluster().jobLeaseSeconds());
    return new JobsVerticle(jobs, ZoneId.of(config.jobs().timeZone()), lease, new JobRunStore(pool), clock, TICK_MILLIS);
  }

  @Override
  public Future<?> start() {
    context = vertx.getOrCreateContext();
    lease.start(vertx);
    timer = vertx.setPeriodic(tickMillis, id -> tick());
    return Future.succeededFuture();
  }

  /** Lets a running job stop at its next step (waiting at most {@link #STOP_WAIT_MILLIS}), then gives the lease up. */
  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(timer);
    idle = Promise.promise();
    checkIdle();
    long wait = vertx.setTimer(STOP_WAIT_MILLIS, id -> idle.tryComplete());
    return idle.future().eventually(() -> {
      vertx.cancelTimer(wait);
      return lease.release();
    });
  }

  /**
   * Looks at every job once and runs those that are due; completes when the runs it started have
   * ended, with whether this node holds the lease (false: it looked at nothing). The timer calls
   * this every few seconds; tests call it with the clock where they want it.
   */
  Future<Boolean> tick() {
    Promise<Boolean> done = Promise.promise();
    context.runOnContext(v -> {
      if (stopping || !lease.held()) {
        states.values().forEach(s -> s.dueAfter = null); // another node may run them meanwhile: read again when back
        done.complete(false);
        return;
      }
      List<Future<Void>> checks = new ArrayList<>();
      for (Job job : jobs) {
        State state = states.get(job.name());
        if (!state.busy) {
          checks.add(check(job, state));
        }
      }
      Future.join(checks).onComplete(all -> done.complete(true));
    });
    return done.future();
  }

  /** Runs job {@code name} now, outside its schedule (operators, tests); fails if it is running already. */
  public Future<Outcome> runNow(String name) {
    Promise<Outcome> done = Promise.promise();
    context.runOnContext(v -> {
      Job job = jobs.stream().filter(j -> j.name().equals(name)).findFirst().orElse(null);
      State state = states.get(name);
      if (job == null) {
        done.fail(new IllegalArgumentException("no job " + name + " (known: " + states.keySet() + ")"));
      } else if (state.busy) {
        done.fail(new IllegalStateException("job " + name + " is running already"));
      } else {
        state.busy = true;
        run(job, now(), false).onComplete(result -> {
          state.busy = false;
          checkIdle();
          done.handle(result);
        });
      }
    });
    return done.future();
  }

  private Future<Void> check(Job job, State state) {
    state.busy = true;
    Instant now = now();
    Future<Instant> dueAfter = state.dueAfter != null ? Future.succeededFuture(state.dueAfter) : runs.dueAfter(job.name(), now);
    return dueAfter.compose(after -> {
      state.dueAfter = after;
      if (now.isBefore(job.cron().next(after, zone))) {
        return Future.<Void>succeededFuture();
      }
      return runs.claim(job.name(), after, now).compose(won -> {
        state.dueAfter = won ? now : null; // lost: another node ran it; read again next time
        return won ? run(job, now, true).<Void>mapEmpty().otherwiseEmpty() : Future.<Void>succeededFuture();
      });
    }).onFailure(err -> {
      state.dueAfter = null;
      log.atWarn().addKeyValue("job", job.name()).log("could not read the schedule of the {} job, trying again in {} s: {}", job.name(),
          tickMillis / 1000, err.getMessage());
    }).eventually(() -> {
      state.busy = false;
      checkIdle();
      return Future.succeededFuture();
    }).otherwiseEmpty();
  }

  /** One run, logged; {@code claimed}: a scheduled run, whose end is recorded in {@code job_runs}. */
  private Future<Outcome> run(Job job, Instant start, boolean claimed) {
    long started = System.nanoTime();
    BooleanSupplier keepGoing = () -> !stopping && (!claimed || lease.held());
    Future<Outcome> work;
    try {
      work = job.work().apply(keepGoing);
    } catch (RuntimeException e) {
      work = Future.failedFuture(e);
    }
    return work.transform(result -> {
      long ms = (System.nanoTime() - started) / 1_000_000;
      String summary;
      if (result.succeeded()) {
        summary = result.result().summary() + " (" + ms + " ms)";
        LoggingEventBuilder line = log.atInfo().addKeyValue("job", job.name());
        result.result().figures().forEach(line::addKeyValue);
        line.addKeyValue("duration_ms", ms).log("{}: {}", job.name(), summary);
      } else {
        summary = "failed after " + ms + " ms: " + result.cause().getMessage();
        log.atWarn().addKeyValue("job", job.name()).addKeyValue("duration_ms", ms).log("{} {}; it runs again at its next time, {}",
            job.name(), summary, job.cron().next(now(), zone));
      }
      Future<Void> recorded = claimed ? runs.finish(job.name(), start, now(), result.succeeded(), summary)
          .onFailure(err -> log.atWarn().addKeyValue("job", job.name()).log("could not record the end of the {} run: {}", job.name(),
              err.getMessage())).otherwiseEmpty() : Future.succeededFuture();
      return recorded.transform(v -> result.succeeded() ? Future.succeededFuture(result.result()) : Future.failedFuture(result.cause()));
    });
  }

  /** The clock's time to the microsecond, as PostgreSQL stores it (so a claim finds the value it read). */
  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MICROS);
  }

  private void checkIdle() {
    if (idle != null && states.values().stream().noneMatch(s -> s.busy)) {
      idle.tryComplete();
    }
  }
}
