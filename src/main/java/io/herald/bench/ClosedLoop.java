package io.herald.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongFunction;

/**
 * Closed-loop ingest: {@code concurrency} workers each post, wait for the answer, and post
 * again, until the time is up. Workers are spread over the event loops. What completes during
 * the warm-up is thrown away; what completes in the measured window goes into a {@link Window}.
 */
public final class ClosedLoop {
  /** What completed inside one window of time. */
  public static final class Window {
    /** Response times of successful requests. */
    public final LatencyRecorder latency = new LatencyRecorder();
    public final LongAdder ok = new LongAdder();
    public final LongAdder rows = new LongAdder();
    public final Tally failures = new Tally();
    volatile long startNanos;
    volatile long endNanos;

    public double seconds() {
      return (endNanos - startNanos) / 1e9;
    }
  }

  private final Vertx vertx;
  private final Loops loops;
  private final IngestClient client;
  private final int concurrency;
  private final LongFunction<Buffer> body;
  private final int rowsPerRequest;
  private final AtomicLong sequence = new AtomicLong();
  private final Window measured = new Window();
  private final AtomicLong rowsTotal = new AtomicLong();
  private volatile Window current = new Window();
  private volatile boolean stopping;
  private Runnable onMeasureStart = () -> { };
  private Runnable onMeasureEnd = () -> { };

  /** {@code body} makes the n-th request's body; each request writes {@code rowsPerRequest} notifications. */
  public ClosedLoop(Loops loops, IngestClient client, int concurrency, LongFunction<Buffer> body, int rowsPerRequest) {
    this.vertx = loops.vertx();
    this.loops = loops;
    this.client = client;
    this.concurrency = concurrency;
    this.body = body;
    this.rowsPerRequest = rowsPerRequest;
  }

  /** Runs warm-up then the measured window; completes once every worker has stopped. */
  public Future<Window> run(Duration warmup, Duration duration) {
    List<Future<Void>> workers = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      Promise<Void> done = Promise.promise();
      loops.get(i).runOnContext(v -> next(done));
      workers.add(done.future());
    }
    vertx.setTimer(Math.max(1, warmup.toMillis()), id -> {
      measured.startNanos = System.nanoTime();
      current = measured;
      onMeasureStart.run();
      vertx.setTimer(Math.max(1, duration.toMillis()), id2 -> {
        measured.endNanos = System.nanoTime();
        current = new Window();
        stopping = true;
        onMeasureEnd.run();
      });
    });
    return Future.all(workers).map(all -> measured);
  }

  /** Called when the measured window opens and closes (to measure something else over the same window). */
  public ClosedLoop onMeasured(Runnable start, Runnable end) {
    this.onMeasureStart = start;
    this.onMeasureEnd = end;
    return this;
  }

  /** The window being filled now (warm-up or measured), for progress lines. */
  public Window current() {
    return current;
  }

  /** Notifications acknowledged since the start, warm-up and drain included. */
  public long rowsTotal() {
    return rowsTotal.get();
  }

  private void next(Promise<Void> done) {
    if (stopping) {
      done.complete();
      return;
    }
    client.post(body.apply(sequence.getAndIncrement())).onComplete(result -> {
      IngestClient.Outcome outcome = result.result();
      Window window = current;
      if (outcome.ok()) {
        window.latency.record(outcome.nanos());
        window.ok.increment();
        window.rows.add(rowsPerRequest);
        rowsTotal.addAndGet(rowsPerRequest);
        next(done);
      } else {
        window.failures.add(outcome.failure());
        // no answer at all (refused, reset): back off a little instead of spinning
        if (outcome.status() == 0) {
          vertx.setTimer(10, id -> next(done));
        } else {
          next(done);
        }
      }
    });
  }
}
