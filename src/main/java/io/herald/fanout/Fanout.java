package io.herald.fanout;

import io.vertx.core.Future;

/**
 * Gets push messages to the sockets they are for, wherever those sockets are. {@link LocalFanout}
 * serves one node; a Redis implementation (cluster issue) publishes through Redis so every node
 * holding a socket of the user receives it.
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

  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
