package io.herald.cli;

import io.herald.bench.ConnectionsBench;
import io.herald.bench.E2eBench;
import io.herald.bench.FanoutBench;
import io.herald.bench.IngestBench;
import io.herald.bench.Runner;
import io.herald.bench.Target;
import io.herald.config.ConfigException;
import io.herald.config.Durations;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** {@code bench}: the load tool, run against a gateway that is already running (see BENCHMARKS.md). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Run the load tool against a running gateway (see BENCHMARKS.md).",
    subcommands = {BenchCommand.Ingest.class, BenchCommand.Connections.class, BenchCommand.Fanout.class, BenchCommand.E2e.class})
final class BenchCommand implements Runnable {
  @Override
  public void run() {
    throw new IllegalArgumentException("bench: name a scenario: ingest, connections, fanout or e2e (bench --help)");
  }

  /** Options every scenario takes. */
  static final class Common {
    @Option(names = "--url", paramLabel = "URL", defaultValue = "http://127.0.0.1:8080", description = "the gateway (default ${DEFAULT-VALUE})")
    String url;

    @Option(names = "--key", paramLabel = "KEY", description = "API key with the ingest scope")
    String key;

    @Option(names = "--secret", paramLabel = "SECRET", description = "the gateway's auth.jwt.secret (HS256), to sign user tokens")
    String secret;

    @Option(names = "--event-loops", paramLabel = "N", defaultValue = "0", description = "bench event loops (default: cores, at least 2)")
    int eventLoops;

    Target target() {
      return Target.parse(url, key, secret);
    }
  }

  /** Durations as in the configuration: 500ms, 30s, 5m. */
  static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return Durations.parse("duration", value);
      } catch (ConfigException e) {
        throw new TypeConversionException("'" + value + "' is not a duration (use e.g. 500ms, 30s, 5m)");
      }
    }
  }

  @Command(name = "ingest", mixinStandardHelpOptions = true, description = "Closed-loop POST /v1/notifications: notifications persisted/s and response times.")
  static final class Ingest implements Callable<Integer> {
    @Mixin Common common;
    @Option(names = "--concurrency", defaultValue = "64", description = "requests in flight (default ${DEFAULT-VALUE})") int concurrency;
    @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class, description = "measured time (default ${DEFAULT-VALUE})") Duration duration;
    @Option(names = "--warmup", defaultValue = "5s", converter = DurationConverter.class, description = "unmeasured lead-in (default ${DEFAULT-VALUE})") Duration warmup;
    @Option(names = "--recipients", defaultValue = "1", description = "recipients per request, 1-1000 (default ${DEFAULT-VALUE})") int recipients;
    @Option(names = "--users", defaultValue = "100000", description = "distinct recipients cycled through (default ${DEFAULT-VALUE})") int users;
    @Option(names = "--prefix", defaultValue = "bench-u", description = "user id prefix (default ${DEFAULT-VALUE})") String prefix;

    @Override
    public Integer call() {
      IngestBench.Params p = new IngestBench.Params(common.target(), concurrency, duration, warmup, recipients, users, prefix);
      return Runner.run(common.eventLoops, loops -> IngestBench.run(loops, p));
    }
  }

  @Command(name = "connections", mixinStandardHelpOptions = true, description = "Open many idle push sockets, hold them, report how many opened and why others failed.")
  static final class Connections implements Callable<Integer> {
    @Mixin Common common;
    @Option(names = "--count", required = true, description = "sockets to open") int count;
    @Option(names = "--sources", split = ",", paramLabel = "ADDR,..", description = "local addresses to bind to, round-robin (e.g. 127.0.0.2,127.0.0.3)") List<String> sources = List.of();
    @Option(names = "--per-user", defaultValue = "1", description = "sockets per user, within push.maxConnectionsPerUser (default ${DEFAULT-VALUE})") int perUser;
    @Option(names = "--first-user", defaultValue = "0", description = "number of the first user, so several processes use distinct users (default ${DEFAULT-VALUE})") int firstUser;
    @Option(names = "--prefix", defaultValue = "bench-c", description = "user id prefix (default ${DEFAULT-VALUE})") String prefix;
    @Option(names = "--hold", defaultValue = "30s", converter = DurationConverter.class, description = "how long to keep them open (default ${DEFAULT-VALUE})") Duration hold;
    @Option(names = "--connect-concurrency", defaultValue = "256", description = "handshakes in flight (default ${DEFAULT-VALUE})") int connectConcurrency;
    @Option(names = "--welcome-timeout", defaultValue = "30s", converter = DurationConverter.class, description = "give up on a socket with no welcome frame after this (default ${DEFAULT-VALUE})") Duration welcomeTimeout;
    @Option(names = "--ready-file", paramLabel = "FILE", description = "written once every socket is open or failed (for measuring scripts)") String readyFile;

    @Override
    public Integer call() {
      ConnectionsBench.Params p = new ConnectionsBench.Params(common.target(), count, sources, perUser, firstUser, prefix, hold,
          connectConcurrency, welcomeTimeout, readyFile);
      return Runner.run(common.eventLoops, loops -> ConnectionsBench.run(loops, p));
    }
  }

  @Command(name = "fanout", mixinStandardHelpOptions = true, description = "Sockets for N users receive multi-recipient notifications ingested in a closed loop: deliveries/s.")
  static final class Fanout implements Callable<Integer> {
    @Mixin Common common;
    @Option(names = "--role", defaultValue = "both", description = "receive, send or both (default ${DEFAULT-VALUE})") String role;
    @Option(names = "--users", defaultValue = "15000", description = "users (one socket each) (default ${DEFAULT-VALUE})") int users;
    @Option(names = "--first-user", defaultValue = "0", description = "number of the first user (default ${DEFAULT-VALUE})") int firstUser;
    @Option(names = "--sources", split = ",", paramLabel = "ADDR,..", description = "local addresses to bind sockets to, round-robin") List<String> sources = List.of();
    @Option(names = "--batch", defaultValue = "100", description = "recipients per request, 1-1000 (default ${DEFAULT-VALUE})") int batch;
    @Option(names = "--concurrency", defaultValue = "16", description = "ingest requests in flight (default ${DEFAULT-VALUE})") int concurrency;
    @Option(names = "--duration", defaultValue = "20s", converter = DurationConverter.class, description = "measured time (default ${DEFAULT-VALUE})") Duration duration;
    @Option(names = "--warmup", defaultValue = "3s", converter = DurationConverter.class, description = "unmeasured lead-in (default ${DEFAULT-VALUE})") Duration warmup;
    @Option(names = "--prefix", defaultValue = "bench-f", description = "user id prefix (default ${DEFAULT-VALUE})") String prefix;
    @Option(names = "--connect-concurrency", defaultValue = "256", description = "handshakes in flight (default ${DEFAULT-VALUE})") int connectConcurrency;
    @Option(names = "--welcome-timeout", defaultValue = "30s", converter = DurationConverter.class, description = "give up on a socket with no welcome frame after this (default ${DEFAULT-VALUE})") Duration welcomeTimeout;
    @Option(names = "--ready-file", paramLabel = "FILE", description = "written once the receiving sockets are open") String readyFile;

    @Override
    public Integer call() {
      FanoutBench.Role r = switch (role.toLowerCase()) {
        case "receive" -> FanoutBench.Role.RECEIVE;
        case "send" -> FanoutBench.Role.SEND;
        case "both" -> FanoutBench.Role.BOTH;
        default -> throw new IllegalArgumentException("--role must be receive, send or both");
      };
      FanoutBench.Params p = new FanoutBench.Params(common.target(), r, users, firstUser, sources, batch, concurrency, duration, warmup,
          prefix, connectConcurrency, welcomeTimeout, readyFile);
      return Runner.run(common.eventLoops, loops -> FanoutBench.run(loops, p));
    }
  }

  @Command(name = "e2e", mixinStandardHelpOptions = true, description = "Open-loop ingest at a fixed rate to users holding sockets: ingest-call-to-socket latency.")
  static final class E2e implements Callable<Integer> {
    @Mixin Common common;
    @Option(names = "--rate", defaultValue = "500", description = "notifications per second (default ${DEFAULT-VALUE})") int rate;
    @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class, description = "measured time (default ${DEFAULT-VALUE})") Duration duration;
    @Option(names = "--warmup", defaultValue = "5s", converter = DurationConverter.class, description = "unmeasured lead-in (default ${DEFAULT-VALUE})") Duration warmup;
    @Option(names = "--users", defaultValue = "50", description = "receiving users, one socket each (default ${DEFAULT-VALUE})") int users;
    @Option(names = "--first-user", defaultValue = "0", description = "number of the first user (default ${DEFAULT-VALUE})") int firstUser;
    @Option(names = "--sources", split = ",", paramLabel = "ADDR,..", description = "local addresses to bind sockets to, round-robin") List<String> sources = List.of();
    @Option(names = "--prefix", defaultValue = "bench-e", description = "user id prefix (default ${DEFAULT-VALUE})") String prefix;
    @Option(names = "--pool", defaultValue = "64", description = "HTTP connections at most (default ${DEFAULT-VALUE})") int pool;
    @Option(names = "--welcome-timeout", defaultValue = "30s", converter = DurationConverter.class, description = "give up on a socket with no welcome frame after this (default ${DEFAULT-VALUE})") Duration welcomeTimeout;

    @Override
    public Integer call() {
      if (rate < 1) {
        throw new IllegalArgumentException("--rate must be at least 1");
      }
      E2eBench.Params p = new E2eBench.Params(common.target(), rate, duration, warmup, users, firstUser, sources, prefix, pool, welcomeTimeout);
      return Runner.run(common.eventLoops, loops -> E2eBench.run(loops, p));
    }
  }
}
