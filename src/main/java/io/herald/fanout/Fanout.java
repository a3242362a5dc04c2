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

  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
