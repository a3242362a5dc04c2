package io.herald.push;

import io.herald.config.HeraldConfig;
import io.herald.fanout.PushFrame;
import io.herald.ops.Meters;
import io.herald.store.NotificationStore;
import java.util.ArrayDeque;
import java.util.Set;

/**
 * One authenticated push connection of one user. Lives on the event loop of the push verticle
 * instance that accepted it; nothing here is touched from another thread.
 *
 * <p>Slow consumers: when the socket's write queue (bounded by {@code push.writeQueueBytes}) is
 * full, further frames are still written up to the same number of bytes again; if the queue is
 * still full past that, or for longer than {@code push.slowConsumerSeconds}, the socket is closed
 * with {@link #SLOW_CONSUMER} so the client reconnects and resumes. Memory per socket stays bounded.
 */
public final class Session {
  public static final short GOING_AWAY = 1001;
  public static final short POLICY = 1008;
  public static final short TOO_BIG = 1009;
  public static final short SLOW_CONSUMER = 1013;
  static final int EARLY_FRAMES_MAX = 64;
  static final String SLOW = "slow consumer: write queue full; reconnect and resume";

  private final String userId;
  private final Set<String> roles;
  private final Transport transport;
  private final HeraldConfig.Push cfg;
  private final Feed feed;
  /** Frames and client requests that arrived before the welcome was written. */
  private final ArrayDeque<Runnable> beforeWelcome = new ArrayDeque<>();
  /** Work waiting for the write queue to drain; one drain handler serves them all. */
  private final ArrayDeque<Runnable> onDrain = new ArrayDeque<>();
  private boolean ready;
  private boolean closed;
  /** Version of the last unread count written; older counts are not written. */
  private long countVersion = -1;
  private PushFrame lastCount;
  /** The newest count that arrived before the welcome, written after it if it is newer. */
  private long earlyCountVersion = -1;
  private PushFrame earlyCount;
  /** Server frames (other than notifications and counts) that arrived before the welcome. */
  private final ArrayDeque<PushFrame> earlyFrames = new ArrayDeque<>();
  private long fullSince;
  private long bytesWhileFull;
  private long lastSeen = System.currentTimeMillis();
  private long windowStart;
  private int framesInWindow;

  Session(String userId, Set<String> roles, Transport transport, HeraldConfig.Push cfg, NotificationStore store, Meters.Push meters) {
    this.userId = userId;
    this.roles = roles;
    this.transport = transport;
    this.cfg = cfg;
    this.feed = new Feed(this, store, meters);
    transport.onDrain(this::drained);
  }

  public String userId() {
    return userId;
  }

  public Set<String> roles() {
    return roles;
  }

  Feed feed() {
    return feed;
  }

  boolean isClosed() {
    return closed;
  }

  boolean isReady() {
    return ready;
  }

  /** Writes the welcome, starts the ordered feed at the welcome's snapshot, then runs what waited for it. */
  void welcome(int unread, long lastSeq, long version) {
    if (closed || ready) {
      return;
    }
    transport.write(Frames.welcome(userId, unread));
    ready = true;
    countVersion = version;
    lastCount = Frames.unread(unread);
    if (earlyCount != null && earlyCountVersion > countVersion) {
      count(earlyCountVersion, earlyCount, false);
    }
    earlyCount = null;
    while (!earlyFrames.isEmpty() && !closed) {
      send(earlyFrames.poll());
    }
    feed.start(lastSeq);
    while (!beforeWelcome.isEmpty() && !closed) {
      beforeWelcome.poll().run();
    }
  }

  /** Runs {@code action} once the welcome is out (at once if it is); a client that floods before it is closed. */
  void afterWelcome(Runnable action) {
    if (ready) {
      action.run();
    } else if (beforeWelcome.size() >= EARLY_FRAMES_MAX) {
      close(POLICY, "too many frames before the welcome");
    } else {
      beforeWelcome.add(action);
    }
  }

  void send(PushFrame frame) {
    if (closed) {
      return;
    }
    if (!ready) {
      if (earlyFrames.size() >= EARLY_FRAMES_MAX) {
        close(SLOW_CONSUMER, SLOW);
      } else {
        earlyFrames.add(frame);
      }
      return;
    }
    if (transport.writeQueueFull()) {
      long now = System.currentTimeMillis();
      if (fullSince == 0) {
        fullSince = now;
        bytesWhileFull = 0;
      }
      bytesWhileFull += frame.utf8().length;
      if (bytesWhileFull > cfg.writeQueueBytes() || now - fullSince > cfg.slowConsumerSeconds() * 1000L) {
        close(SLOW_CONSUMER, SLOW);
        return;
      }
    }
    transport.write(frame);
  }

  /** Catches up with the user's inbox as read just now: its count, and the notifications after the last one sent. */
  void catchUp(NotificationStore.InboxState state) {
    count(state.count().version(), Frames.unread(state.count().unread()), false);
    feed.behind(state.lastSeq());
  }

  /**
   * Writes the user's unread count if it is newer than the last one written. With {@code force}
   * (the end of a resume) a count is written in any case: this one if it is not older, else the
   * newest already written again, so the badge never goes back.
   */
  void count(long version, PushFrame frame, boolean force) {
    if (!ready) {
      if (version > earlyCountVersion) {
        earlyCountVersion = version;
        earlyCount = frame;
      }
      return;
    }
    if (version > countVersion || (force && version == countVersion)) {
      countVersion = version;
      lastCount = frame;
      send(frame);
    } else if (force) {
      send(lastCount != null ? lastCount : frame);
    }
  }

  boolean writeQueueFull() {
    return transport.writeQueueFull();
  }

  /** Runs {@code action} once the socket can take more (at once if it can now). */
  void whenWritable(Runnable action) {
    if (closed) {
      return;
    }
    if (!transport.writeQueueFull()) {
      action.run();
    } else {
      if (fullSince == 0) {
        fullSince = System.currentTimeMillis();
        bytesWhileFull = 0;
      }
      onDrain.add(action);
    }
  }

  private void drained() {
    fullSince = 0;
    while (!onDrain.isEmpty() && !closed && !transport.writeQueueFull()) {
      onDrain.poll().run();
    }
  }

  /** Counts a client frame; false when the client sends faster than {@code limitPerSecond}. */
  boolean admitFrame(int limitPerSecond) {
    long now = System.currentTimeMillis();
    lastSeen = now;
    if (now - windowStart >= 1000) {
      windowStart = now;
      framesInWindow = 0;
    }
    return ++framesInWindow <= limitPerSecond;
  }

  void seen() {
    lastSeen = System.currentTimeMillis();
  }

  /** Heartbeat tick: closes a silent socket, pings a live one. */
  void heartbeat(long now) {
    if (closed) {
      return;
    }
    if (now - lastSeen > cfg.pingIntervalSeconds() * 2000L + 5000L && transport.kind().equals("websocket")) {
      close(POLICY, "heartbeat timeout: no frame or pong within two ping intervals");
    } else {
      transport.ping();
    }
  }

  /** Closes the socket if its write queue has stayed full too long (checked every second). */
  void checkStuck(long now) {
    if (!closed && fullSince != 0 && now - fullSince > cfg.slowConsumerSeconds() * 1000L) {
      close(SLOW_CONSUMER, SLOW);
    }
  }

  void close(short code, String reason) {
    if (!closed) {
      closed();
      transport.close(code, reason);
    }
  }

  /** Marks the session closed after the peer went away (no close frame to send). */
  void closed() {
    closed = true;
    beforeWelcome.clear();
    earlyFrames.clear();
    onDrain.clear();
  }
}
