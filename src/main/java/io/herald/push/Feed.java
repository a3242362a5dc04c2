package io.herald.push;

import io.herald.ops.Meters;
import io.herald.store.Notification;
import io.herald.store.NotificationStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one session's notifications in the recipient's sequence order, without gaps. A user's
 * sequence numbers are handed out under a row lock, so their order is commit order: when a live
 * notification arrives with a number beyond the next expected one (another instance published
 * sooner, or a resume is still streaming), everything in between is already committed and is
 * read from the database and written first. Numbers at or below the last one written are
 * dropped. So the last notification a client saw is always a safe {@code resume} cursor.
 * Event-loop confined, like its session.
 */
final class Feed {
  private static final Logger log = LoggerFactory.getLogger(Feed.class);
  static final int PAGE = 200;

  private final Session session;
  private final NotificationStore store;
  private final Meters.Push meters;
  private final List<Promise<Void>> waiting = new ArrayList<>();
  private boolean started;
  private boolean filling;
  /** Bumped by every resume: reads and writes of an earlier pass are dropped, so a resume never skips rows. */
  private int epoch;
  private long lastSeq;
  private long target;
  private long pendingUpTo;
  /** The newest count that came with a notification still to be written. */
  private long pendingVersion = -1;
  private io.herald.fanout.PushFrame pendingCount;
  /**
   * The newest live notification that had to wait for a read (a gap before it, or a pass under
   * way) and its commit time: its latency is recorded when the read writes it. Older ones waiting
   * with it are not recorded; the gap path is rare, a sample of it is enough.
   */
  private long pendingLiveSeq;
  private long pendingLiveAt;
  /** Notifications written since the last resume started (what that resume sent back). */
  private int resumed;

  Feed(Session session, NotificationStore store, Meters.Push meters) {
    this.session = session;
    this.store = store;
    this.meters = meters;
  }

  /** Starts after the welcome: {@code seq} is the user's last sequence number in the welcome's snapshot. */
  void start(long seq) {
    if (!started) {
      started = true;
      lastSeq = seq;
    }
    if (!filling && pendingUpTo > lastSeq) {
      fill(pendingUpTo);
    }
  }

  /**
   * A notification committed (at {@code committedAtMicros}, wall clock) and published just now,
   * with the user's count right after it. Its push latency is recorded for each socket it is
   * written to: a user has a few sockets at most.
   */
  void live(long seq, io.herald.fanout.PushFrame frame, long version, io.herald.fanout.PushFrame count, long committedAtMicros) {
    if (seq <= lastSeq && started) {
      session.count(version, count, false);
      return;
    }
    if (started && !filling && seq == lastSeq + 1) {
      session.send(frame);
      meters.written(committedAtMicros);
      lastSeq = seq;
      session.count(version, count, false);
      return;
    }
    if (seq > pendingLiveSeq) {
      pendingLiveSeq = seq;
      pendingLiveAt = committedAtMicros;
    }
    pendingUpTo = Math.max(pendingUpTo, seq);
    if (version > pendingVersion) {
      pendingVersion = version;
      pendingCount = count;
    }
    if (started && !filling) {
      fill(pendingUpTo);
    }
  }

  /** The user's notifications go up to {@code seq} (read from the database): writes any not written yet. */
  void behind(long seq) {
    pendingUpTo = Math.max(pendingUpTo, seq);
    if (started && !filling && pendingUpTo > lastSeq) {
      fill(pendingUpTo);
    }
  }

  /**
   * Everything after {@code seq}, oldest first; completes once caught up with what is committed,
   * with how many notifications it wrote.
   */
  Future<Integer> resume(long seq) {
    Promise<Void> done = Promise.promise();
    waiting.add(done);
    resumed = 0;
    lastSeq = seq;
    started = true;
    epoch++;
    fill(Long.MAX_VALUE);
    return done.future().map(v -> resumed);
  }

  private void fill(long upTo) {
    filling = true;
    target = upTo;
    page();
  }

  private void page() {
    if (session.isClosed()) {
      finish(null);
      return;
    }
    int pass = epoch;
    store.range(session.userId(), lastSeq, target, PAGE).onComplete(result -> {
      if (pass != epoch) {
        return; // a resume started a new pass meanwhile
      }
      if (result.failed()) {
        // the socket cannot be caught up: the client reconnects and resumes rather than miss rows
        log.warn("could not read notifications to catch a socket up: {}", result.cause().getMessage());
        finish(result.cause());
        session.close((short) 1011, "internal error; reconnect and resume");
        return;
      }
      write(result.result(), 0, pass);
    });
  }

  /** Writes rows one at a time, waiting whenever the socket's queue is full. */
  private void write(List<Notification> rows, int from, int pass) {
    if (pass != epoch) {
      return;
    }
    for (int i = from; i < rows.size(); i++) {
      if (session.isClosed()) {
        finish(null);
        return;
      }
      if (session.writeQueueFull()) {
        int next = i;
        session.whenWritable(() -> write(rows, next, pass));
        return;
      }
      Notification n = rows.get(i);
      if (n.seq() > lastSeq) {
        session.send(Frames.notification(n));
        lastSeq = n.seq();
        if (!waiting.isEmpty()) {
          resumed++;
        }
        if (n.seq() == pendingLiveSeq) {
          meters.written(pendingLiveAt);
        }
      }
    }
    if (rows.size() == PAGE) {
      page();
      return;
    }
    if (target != Long.MAX_VALUE) {
      lastSeq = Math.max(lastSeq, target); // nothing visible left up to the target (deleted, scheduled, skipped numbers)
    }
    if (pendingUpTo > lastSeq) {
      target = Math.max(pendingUpTo, target == Long.MAX_VALUE ? 0 : target);
      page();
      return;
    }
    finish(null);
  }

  private void finish(Throwable error) {
    filling = false;
    if (pendingCount != null && error == null) {
      session.count(pendingVersion, pendingCount, false);
      pendingCount = null;
    }
    List<Promise<Void>> done = new ArrayList<>(waiting);
    waiting.clear();
    for (Promise<Void> p : done) {
      if (error == null) {
        p.tryComplete();
      } else {
        p.tryFail(error);
      }
    }
  }
}
