package io.herald.bench;

import io.vertx.core.Vertx;
import java.util.function.Supplier;

/** A progress line on stderr every few seconds while a phase runs (stdout keeps the summary clean). */
public final class Progress {
  private final Vertx vertx;
  private final long timer;

  private Progress(Vertx vertx, long timer) {
    this.vertx = vertx;
    this.timer = timer;
  }

  public static Progress every(Vertx vertx, long seconds, String phase, Supplier<String> status) {
    long start = System.nanoTime();
    long timer = vertx.setPeriodic(seconds * 1000, id ->
        say(String.format("[%s +%ds] %s", phase, Math.round((System.nanoTime() - start) / 1e9), status.get())));
    return new Progress(vertx, timer);
  }

  public void stop() {
    vertx.cancelTimer(timer);
  }

  public static void say(String line) {
    System.err.println(line);
    System.err.flush();
  }
}
