package io.herald.cli;

import picocli.CommandLine.Command;

/** {@code bench}: the load tool (see BENCHMARKS.md). */
@Command(name = "bench", description = "Run the load tool against a running gateway (see BENCHMARKS.md).")
final class BenchCommand implements Runnable {
  @Override
  public void run() {
    throw new IllegalStateException("bench: not built yet");
  }
}
