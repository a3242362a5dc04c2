package io.herald.bench;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One context per event loop of the bench's Vert.x, so load can be spread over every loop.
 * (Calls from the main thread all land on one "sticky" event loop otherwise.) Each context is
 * that of an instance of an empty verticle, which Vert.x puts on the event loops round-robin.
 */
public record Loops(Vertx vertx, List<Context> contexts) {
  public static Future<Loops> of(Vertx vertx, int count) {
    List<Context> contexts = new CopyOnWriteArrayList<>();
    return vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        contexts.add(context);
        return Future.succeededFuture();
      }
    }, new DeploymentOptions().setInstances(count)).map(id -> new Loops(vertx, List.copyOf(contexts)));
  }

  /** The context for the {@code i}-th piece of work, round-robin. */
  public Context get(long i) {
    return contexts.get((int) (i % contexts.size()));
  }
}
