package io.herald.fanout;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * Gets push messages to the sockets they are for, wherever those sockets are. {@link LocalFanout}
 * serves one node; {@link RedisFanout} also publishes through Redis so every node holding a socket
 * of the user receives it.
 */
public interface Fanout {
  /** Delivers to the matching sockets; completes when handed on, not when written to sockets. */
  Future<Void> publish(PushMessage message);

  /**
   * Delivers a broadcast ({@link PushMessage#broadcast}) to every matching socket on every node;
   * answers how many sockets on this node it was written to. A Redis implementation publishes it
   * once on the channel of each of its roles (or an everyone channel) and each node drops repeats
   * of the same broadcast id, so a socket holding several of the roles gets it once.
   */
  Future<Integer> broadcast(PushMessage message);

  /**
   * Whether a message for this user could reach a socket now. False only when it certainly could
   * not, which lets a caller skip building (and holding) frames for offline users; a fan-out that
   * cannot know (another node may hold the user's socket) answers true.
   */
  default boolean mayReach(String userId) {
    return true;
  }

  /**
   * A socket of {@code userId} (holding {@code roles}) opened on this node: from now on messages for
   * it must reach this node. Completes once they will (a Redis fan-out has subscribed), so a
   * snapshot read after it misses nothing published later; it never fails.
   */
  default Future<Void> watch(String userId, Set<String> roles) {
    return Future.succeededFuture();
  }

  /** That socket closed. */
  default void unwatch(String userId, Set<String> roles) {
  }

  /** For stats and health: how this fan-out is doing ({@code mode}, and for Redis its link state and counters). */
  default JsonObject state() {
    return new JsonObject().put("mode", "local");
  }

  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
