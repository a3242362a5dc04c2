package io.herald.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

/**
 * Runs one scenario on a Vert.x of its own: spreads it over {@code eventLoops} loops, waits on
 * the calling (main, non-event-loop) thread for the report, prints it, and closes Vert.x.
 */
public final class Runner {
  private Runner() {
  }

  /** Exit code 0 when the scenario produced a report, 1 when it could not run. */
  public static int run(int eventLoops, Function<Loops, Future<Report>> scenario) {
    int loops = eventLoops > 0 ? eventLoops : Math.max(2, Runtime.getRuntime().availableProcessors());
    Vertx vertx = Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(loops).setPreferNativeTransport(true)).build();
    try {
      Report report = Loops.of(vertx, loops).compose(scenario).toCompletionStage().toCompletableFuture().get();
      report.print(System.out);
      return 0;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      System.err.println("herald bench: " + (cause.getMessage() == null ? cause.toString() : cause.getMessage()));
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } finally {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get();
      } catch (Exception ignored) {
        // exiting anyway
      }
    }
  }
}
