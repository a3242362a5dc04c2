package io.herald.delivery;

import io.herald.config.HeraldConfig;
import io.vertx.core.Vertx;

/** Placeholder until the senders land. */
public final class Senders {
  private Senders() {
  }

  public static Sender create(Vertx vertx, HeraldConfig.Channel channel) {
    throw new UnsupportedOperationException("no sender for " + channel.name() + " yet");
  }
}
