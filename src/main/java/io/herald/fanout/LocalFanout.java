package io.herald.fanout;

import io.herald.Addresses;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;
import java.util.function.Predicate;

/**
 * Fan-out within one process: each push verticle instance consumes {@link Addresses#PUSH_LOCAL}
 * and writes to its own sockets. The message object is handed over as is (no copy, no
 * re-serialisation): frames are immutable. A message for a user with no socket on this node is
 * not sent at all (their next welcome or resume reads the database).
 */
public final class LocalFanout implements Fanout {
  static final String CODEC = "herald-push-message";
  private static final DeliveryOptions OPTIONS = new DeliveryOptions().setCodecName(CODEC).setLocalOnly(true);
  /** How long a broadcast waits for every push instance to report its count (one being undeployed never does). */
  static final long REACH_TIMEOUT_MS = 5_000;

  private final Vertx vertx;
  private final Predicate<String> connected;
  private final int receivers;

  /** For one push verticle instance; see {@link #LocalFanout(Vertx, Predicate, int)}. */
  public LocalFanout(Vertx vertx, Predicate<String> connected) {
    this(vertx, connected, 1);
  }

  /**
   * {@code connected}: whether a user has (or is opening) a socket on this node; {@code receivers}:
   * how many push verticle instances consume {@link Addresses#PUSH_LOCAL} (each reports the sockets
   * a broadcast reached).
   */
  public LocalFanout(Vertx vertx, Predicate<String> connected, int receivers) {
    this.vertx = vertx;
    this.connected = connected;
    this.receivers = receivers;
    registerCodec(vertx);
  }

  /** Idempotent: lets push verticles receive PushMessage objects over the local event bus. */
  public static synchronized void registerCodec(Vertx vertx) {
    try {
      vertx.eventBus().registerCodec(new SameObjectCodec());
    } catch (IllegalStateException alreadyRegistered) {
      // registered by an earlier call on this Vert.x instance
    }
  }

  @Override
  public Future<Void> publish(PushMessage message) {
    if (message.target() == PushMessage.Target.USER && !connected.test(message.key())) {
      return Future.succeededFuture();
    }
    vertx.eventBus().publish(Addresses.PUSH_LOCAL, message, OPTIONS);
    return Future.succeededFuture();
  }

  /**
   * Hands the broadcast to every push instance (the same frame object to each) and answers, on the
   * caller's context, the sockets they wrote it to once all have reported, or after
   * {@link #REACH_TIMEOUT_MS} with what was reported by then.
   */
  @Override
  public Future<Integer> broadcast(PushMessage message) {
    if (message.target() == PushMessage.Target.USER) {
      return Future.failedFuture(new IllegalArgumentException("not a broadcast: " + message.target()));
    }
    Context context = vertx.getOrCreateContext();
    Promise<Integer> reached = Promise.promise();
    long[] timer = {-1};
    Reach reach = new Reach(receivers, sockets -> context.runOnContext(v -> {
      vertx.cancelTimer(timer[0]);
      reached.tryComplete(sockets);
    }));
    timer[0] = vertx.setTimer(REACH_TIMEOUT_MS, id -> reach.giveUp());
    vertx.eventBus().publish(Addresses.PUSH_LOCAL, message.withReach(reach), OPTIONS);
    return reached.future();
  }

  @Override
  public boolean mayReach(String userId) {
    return connected.test(userId);
  }

  /** Local-only codec: hands the same immutable object to every consumer. */
  private static final class SameObjectCodec implements MessageCodec<PushMessage, PushMessage> {
    @Override
    public void encodeToWire(io.vertx.core.buffer.Buffer buffer, PushMessage message) {
      throw new UnsupportedOperationException("push messages stay on this node; use Fanout to cross nodes");
    }

    @Override
    public PushMessage decodeFromWire(int pos, io.vertx.core.buffer.Buffer buffer) {
      throw new UnsupportedOperationException("push messages stay on this node");
    }

    @Override
    public PushMessage transform(PushMessage message) {
      return message;
    }

    @Override
    public String name() {
      return CODEC;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }
}
