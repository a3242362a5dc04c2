package io.herald.delivery;

import io.vertx.core.Future;

/**
 * Talks to one channel's provider. {@link #send} completes with the provider's message id (null
 * when the provider gives none) or fails with what went wrong, unwrapped: the
 * {@link ErrorClassifier} decides from the exception whether to retry. Implementations keep no
 * per-delivery state and never block.
 */
public interface Sender {
  Future<String> send(DeliveryJob job);

  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
