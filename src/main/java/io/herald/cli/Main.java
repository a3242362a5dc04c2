package io.herald.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar herald.jar [serve|migrate|token|bench] ...}; with no command, serves. */
@Command(name = "herald", mixinStandardHelpOptions = true, version = "Herald 0.1.0",
    description = "Notification gateway: ingest over HTTP, persist in PostgreSQL, push over WebSocket and SockJS.",
    subcommands = {ServeCommand.class, MigrateCommand.class, TokenCommand.class, BenchCommand.class})
public final class Main implements Runnable {
  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler((ex, line, parsed) -> {
      if (ex instanceof io.herald.config.ConfigException) {
        System.err.println("herald: configuration error: " + ex.getMessage());
        return 2;
      }
      System.err.println("herald: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
      return 1;
    });
    boolean hasCommand = args.length > 0 && !args[0].startsWith("-") || java.util.Arrays.asList(args).contains("--help")
        || java.util.Arrays.asList(args).contains("-h") || java.util.Arrays.asList(args).contains("-V")
        || java.util.Arrays.asList(args).contains("--version");
    String[] effective = hasCommand ? args : prepend("serve", args);
    int code = cli.execute(effective);
    if (code != 0 || !"serve".equals(effective[0])) {
      System.exit(code);
    }
  }

  private static String[] prepend(String first, String[] rest) {
    String[] out = new String[rest.length + 1];
    out[0] = first;
    System.arraycopy(rest, 0, out, 1, rest.length);
    return out;
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
