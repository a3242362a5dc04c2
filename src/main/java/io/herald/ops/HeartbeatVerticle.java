package io.herald.ops;

import io.herald.store.NodeStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes this node's row in {@code nodes} every {@link #EVERY_MS} (sockets, draining, fan-out state), and removes it on a clean stop. */
public final class HeartbeatVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(HeartbeatVerticle.class);
  public static final long EVERY_MS = 5_000;

  private final NodeStore store;
  private final NodeInfo node;
  private boolean failing;

  public HeartbeatVerticle(NodeStore store, NodeInfo node) {
    this.store = store;
    this.node = node;
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(EVERY_MS, id -> beat());
    return store.beat(node.beat()).onFailure(err -> log.warn("could not record this node in nodes: {}", err.getMessage()))
        .otherwiseEmpty();
  }

  private void beat() {
    store.beat(node.beat()).onComplete(r -> {
      if (r.failed() && !failing) {
        log.warn("could not record this node's heartbeat: {}", r.cause().getMessage());
      }
      failing = r.failed();
    });
  }

  @Override
  public Future<?> stop() {
    return store.gone(node.nodeId()).otherwiseEmpty();
  }
}
