package io.herald.ingest;

import io.herald.HeraldException;
import io.herald.store.Notification;
import io.herald.store.NotificationWriter;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Lets concurrent ingest requests share a transaction. A request is written at once when a
 * transaction slot is free; while all slots are busy, requests queue and the next transaction
 * takes every queued request (up to {@link #MAX_ROWS} rows) as one multi-row insert. Each caller
 * is answered only after the shared commit. Event-loop confined; one per HTTP verticle instance.
 */
final class IngestBatcher {
  static final int MAX_ROWS = 2000;
  static final int MAX_QUEUED_ROWS = 20_000;
  /** What queued requests may hold in memory per instance (bodies and rows, estimated) before 503s. */
  static final long MAX_QUEUED_BYTES = 32L << 20;
  private static final int ROW_OVERHEAD_BYTES = 512;

  private record Job(NotificationWriter.Request request, long bytes, Promise<NotificationWriter.Written> promise) {
  }

  private final NotificationWriter writer;
  private final int maxInFlight;
  private final ArrayDeque<Job> queue = new ArrayDeque<>();
  private int queuedRows;
  private long queuedBytes;
  private int inFlight;

  IngestBatcher(NotificationWriter writer, int maxInFlight) {
    this.writer = writer;
    this.maxInFlight = Math.max(1, maxInFlight);
  }

  /** Queues a request's rows and deliveries ({@code bodyBytes}: the size of its body, for the memory bound). */
  Future<NotificationWriter.Written> submit(NotificationWriter.Request request, long bodyBytes) {
    List<Notification> rows = request.rows();
    long bytes = bodyBytes + (long) (rows.size() + request.deliveries().size()) * ROW_OVERHEAD_BYTES;
    if (!queue.isEmpty() && (queuedRows + rows.size() > MAX_QUEUED_ROWS || queuedBytes + bytes > MAX_QUEUED_BYTES)) {
      return Future.failedFuture(HeraldException.unavailable("ingest queue full; retry shortly"));
    }
    Promise<NotificationWriter.Written> promise = Promise.promise();
    queue.add(new Job(request, bytes, promise));
    queuedRows += rows.size();
    queuedBytes += bytes;
    pump();
    return promise.future();
  }

  private void pump() {
    while (inFlight < maxInFlight && !queue.isEmpty()) {
      List<Job> batch = new ArrayList<>();
      int rows = 0;
      while (!queue.isEmpty() && (batch.isEmpty() || rows + queue.peek().request().rows().size() <= MAX_ROWS)) {
        Job job = queue.poll();
        rows += job.request().rows().size();
        queuedBytes -= job.bytes();
        batch.add(job);
      }
      queuedRows -= rows;
      inFlight++;
      writer.insert(batch.stream().map(Job::request).toList()).onComplete(result -> {
        inFlight--;
        for (int i = 0; i < batch.size(); i++) {
          if (result.succeeded() && i < result.result().size()) {
            batch.get(i).promise().complete(result.result().get(i));
          } else {
            batch.get(i).promise().fail(result.failed() ? result.cause() : new IllegalStateException("no outcome for a request"));
          }
        }
        pump();
      });
    }
  }
}
