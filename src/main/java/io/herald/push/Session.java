package io.herald.push;

import io.herald.config.HeraldConfig;
import io.herald.fanout.PushFrame;
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
  public static final short SLOW_CONSUMER = 1013;
  static final int EARLY_FRAMES_MAX = 256;

  private final String userId;
  private final Set<String> roles;
  private final Transport transport;
  private final HeraldConfig.Push cfg;
  private final ArrayDeque<PushFrame> early = new ArrayDeque<>();
  private boolean ready;
  private boolean closed;
  private long fullSince;
  private long bytesWhileFull;
  private long lastSeen = System.currentTimeMillis();
  private long windowStart;
  private int framesInWindow;

  Session(String userId, Set<String> roles, Transport transport, HeraldConfig.Push cfg) {
    this.userId = userId;
    this.roles = roles;
    this.transport = transport;
    this.cfg = cfg;
  }

  public String userId() {
    return userId;
  }

  public Set<String> roles() {
    return roles;
  }

  String kind() {
    return transport.kind();
  }

  boolean isClosed() {
    return closed;
  }

  /** Writes the welcome frame, then whatever arrived for this user while it was being prepared. */
  void welcome(PushFrame welcome) {
    if (closed) {
      return;
    }
    transport.write(welcome);
    ready = true;
    while (!early.isEmpty() && !closed) {
      send(early.poll());
    }
  }

  void send(PushFrame frame) {
    if (closed) {
      return;
    }
    if (!ready) {
      if (early.size() >= EARLY_FRAMES_MAX) {
        close(SLOW_CONSUMER, "slow consumer: too many frames before the welcome; reconnect and resume");
      } else {
        early.add(frame);
      }
      return;
    }
    if (transport.writeQueueFull()) {
      long now = System.currentTimeMillis();
      if (fullSince == 0) {
        fullSince = now;
        bytesWhileFull = 0;
        transport.onDrain(() -> fullSince = 0);
      }
      bytesWhileFull += frame.utf8().length;
      if (bytesWhileFull > cfg.writeQueueBytes() || now - fullSince > cfg.slowConsumerSeconds() * 1000L) {
        close(SLOW_CONSUMER, "slow consumer: write queue full; reconnect and resume");
        return;
      }
    }
    transport.write(frame);
  }

  /** Runs {@code action} once the socket can take more (at once if it can now). */
  void whenWritable(Runnable action) {
    if (closed) {
      return;
    }
    if (!transport.writeQueueFull()) {
      action.run();
    } else {
      transport.onDrain(() -> {
        fullSince = 0;
        action.run();
      });
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

  /** Heartbeat tick: closes a silent or stuck socket, pings a live one. */
  void heartbeat(long now) {
    if (closed) {
      return;
    }
    if (now - lastSeen > cfg.pingIntervalSeconds() * 2000L + 5000L && transport.kind().equals("websocket")) {
      close(POLICY, "heartbeat timeout: no frame or pong within two ping intervals");
    } else if (fullSince != 0 && now - fullSince > cfg.slowConsumerSeconds() * 1000L) {
      close(SLOW_CONSUMER, "slow consumer: write queue full; reconnect and resume");
    } else {
      transport.ping();
    }
  }

  void close(short code, String reason) {
    if (!closed) {
      closed = true;
      early.clear();
      transport.close(code, reason);
    }
  }

  /** Marks the session closed after the peer went away (no close frame to send). */
  void closed() {
    closed = true;
    early.clear();
  }
}
