package io.herald.fanout;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Counts the sockets one broadcast was written to on this node. Each push verticle instance that
 * receives the broadcast reports how many of its sockets it wrote to; once every instance has
 * reported (or the caller gives up waiting) the total is handed to {@code done}, exactly once.
 * Reported from several event loops, hence atomic. Node-local: never crosses the cluster.
 */
public final class Reach {
  private final AtomicInteger sockets = new AtomicInteger();
  private final AtomicInteger waiting;
  private final AtomicBoolean finished = new AtomicBoolean();
  private final IntConsumer done;

  /** {@code receivers}: how many push verticle instances will report. */
  public Reach(int receivers, IntConsumer done) {
    this.waiting = new AtomicInteger(receivers);
    this.done = done;
    if (receivers <= 0) {
      finish();
    }
  }

  /** One push verticle instance wrote the broadcast to {@code written} of its sockets. */
  public void report(int written) {
    sockets.addAndGet(written);
    if (waiting.decrementAndGet() == 0) {
      finish();
    }
  }

  /** Stops waiting for instances that have not reported (undeployed, or stuck): the count so far stands. */
  public void giveUp() {
    finish();
  }

  private void finish() {
    if (finished.compareAndSet(false, true)) {
      done.accept(sockets.get());
    }
  }
}
