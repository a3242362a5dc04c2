package io.herald.cli;

import io.herald.config.ConfigException;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar herald.jar [serve|migrate|retry-failed|token|bench] ...}; with no command, serves. */
@Command(name = "herald", mixinStandardHelpOptions = true, version = "Herald 0.1.0",
    description = "Notification gateway: ingest over HTTP, persist in PostgreSQL, push over WebSocket and SockJS.",
    subcommands = {ServeCommand.class, MigrateCommand.class, RetryFailedCommand.class, TokenCommand.class, BenchCommand.class})
public final class Main implements Runnable {
  private static final List<String> TOP_LEVEL_FLAGS = List.of("-h", "--help", "-V", "--version");

  public static void main(String[] args) {
    try {
      LogSettings.apply(System.getenv()); // before the first logger is made
    } catch (ConfigException e) {
      System.err.println("herald: configuration error: " + e.getMessage());
      System.exit(2);
    }
    String[] effective = withDefaultCommand(args);
    int code = commandLine().execute(effective);
    if (code != 0 || !"serve".equals(effective[0])) {
      System.exit(code);
    }
  }

  /** The command line with Herald's error reporting: one line, exit 2 for configuration errors. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler((ex, line, parsed) -> {
      if (ex instanceof ConfigException) {
        System.err.println("herald: configuration error: " + ex.getMessage());
        return 2;
      }
      System.err.println("herald: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
      return 1;
    });
    return cli;
  }

  /** No command (or only options such as --conf) means {@code serve}. */
  static String[] withDefaultCommand(String[] args) {
    boolean hasCommand = args.length > 0 && !args[0].startsWith("-") || Arrays.stream(args).anyMatch(TOP_LEVEL_FLAGS::contains);
    if (hasCommand) {
      return args;
    }
    String[] out = new String[args.length + 1];
    out[0] = "serve";
    System.arraycopy(args, 0, out, 1, args.length);
    return out;
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
