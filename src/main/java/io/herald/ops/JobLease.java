package io.herald.ops;

import io.herald.store.LeaseStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this node runs a singleton job (the scheduler, the health monitor) right now: it does
 * while it holds the job's lease in PostgreSQL. The lease is taken or renewed every third of its
 * length; a node that stops renewing (it died, or lost the database) loses it when it expires and
 * another node takes it at its next try, so a job moves within {@code 4/3 × seconds}.
 *
 * <p>The lease lives in the system of record rather than in Hazelcast: every node reaches
 * PostgreSQL anyway, the lock survives a split cluster (only one side can hold the row), it needs
 * no CP subsystem (whose sessions outlive a dead member by minutes by default), and a single node
 * runs the same code. This node counts itself the holder only until its last successful renewal
 * (measured from when the renewal was sent, on its own monotonic clock) plus the lease length, so
 * it stops before the database would let anyone else in.
 */
public final class JobLease {
  private static final Logger log = LoggerFactory.getLogger(JobLease.class);

  private final LeaseStore store;
  private final String name;
  private final String owner;
  private final int seconds;
  private Vertx vertx;
  private long timer = -1;
  private long heldUntilNanos;
  private boolean held;
  private boolean trying;
  private boolean stopped;

  public JobLease(LeaseStore store, String name, String owner, int seconds) {
    this.store = store;
    this.name = name;
    this.owner = owner;
    this.seconds = seconds;
  }

  /** Starts trying for the lease at once and every third of its length, on the caller's context. */
  public void start(Vertx vertx) {
    this.vertx = vertx;
    timer = vertx.setPeriodic(0, Math.max(500, seconds * 1000L / 3), id -> renew());
  }

  /** Whether this node holds the lease now. */
  public boolean held() {
    if (held && System.nanoTime() - heldUntilNanos >= 0) {
      lost("it could not be renewed in time");
    }
    return held;
  }

  private void renew() {
    if (trying || stopped) {
      return;
    }
    trying = true;
    long sent = System.nanoTime();
    store.take(name, owner, seconds).onComplete(result -> {
      trying = false;
      if (stopped) {
        return;
      }
      if (result.succeeded() && result.result()) {
        heldUntilNanos = sent + seconds * 1_000_000_000L;
        if (!held) {
          held = true;
          log.atInfo().addKeyValue("job", name).log("this node ({}) now runs the {} job (lease of {} s)", owner, name, seconds);
        }
      } else if (result.succeeded()) {
        if (held) {
          lost("another node holds it");
        }
      } else if (held) {
        log.atWarn().addKeyValue("job", name).log("could not renew the {} lease: {}", name, result.cause().getMessage());
        held(); // gives it up once the lease may have run out
      }
    });
  }

  private void lost(String why) {
    held = false;
    log.atWarn().addKeyValue("job", name).log("this node ({}) stopped running the {} job: {}", owner, name, why);
  }

  /** Stops renewing and gives the lease up, so another node can take it at its next try. */
  public Future<Void> release() {
    stopped = true;
    if (vertx != null) {
      vertx.cancelTimer(timer);
    }
    boolean had = held;
    held = false;
    return had ? store.release(name, owner).otherwiseEmpty() : Future.succeededFuture();
  }
}
