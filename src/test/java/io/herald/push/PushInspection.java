package io.herald.push;

import io.herald.TestGateway;
import io.vertx.core.Context;
import io.vertx.core.Deployable;
import io.vertx.core.VerticleBase;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.deployment.DeploymentContext;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * In-process inspection of a test gateway's push instances (for preconditions, not the behaviour
 * under test): how many sessions each one holds, each read on that instance's own event loop.
 */
final class PushInspection {
  private PushInspection() {
  }

  static List<Integer> sessionsPerInstance(TestGateway g) throws Exception {
    Field sessions = PushVerticle.class.getDeclaredField("sessions");
    sessions.setAccessible(true);
    Field context = VerticleBase.class.getDeclaredField("context");
    context.setAccessible(true);
    List<Integer> out = new ArrayList<>();
    for (DeploymentContext d : ((VertxInternal) g.gateway().vertx()).deploymentManager().deployments()) {
      for (Deployable instance : d.deployment().instances()) {
        if (instance instanceof PushVerticle verticle) {
          SessionRegistry registry = (SessionRegistry) sessions.get(verticle);
          CompletableFuture<Integer> size = new CompletableFuture<>();
          ((Context) context.get(verticle)).runOnContext(v -> size.complete(registry.size()));
          out.add(size.get(10, TimeUnit.SECONDS));
        }
      }
    }
    return out;
  }
}
