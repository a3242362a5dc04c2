package io.herald.cli;

import io.herald.bench.BroadcastBench;
import io.herald.bench.ConnectionsBench;
import io.herald.bench.DeliveryBench;
import io.herald.bench.E2eBench;
import io.herald.bench.FanoutBench;
import io.herald.bench.IngestBench;
import io.herald.bench.Runner;
import io.herald.bench.ScanBench;
import io.herald.bench.Target;
import io.herald.config.ConfigException;
import io.herald.config.HeraldConfig;
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
    subcommands = {BenchCommand.Ingest.class, BenchCommand.Connections.class, BenchCommand.Fanout.class, BenchCommand.E2e.class,
        BenchCommand.Delivery.class, BenchCommand.Scan.class, BenchCommand.Broadcast.class})
final class BenchCommand implements Runnable {
  @Override
  public void run() {
    throw new IllegalArgumentException("bench: name a scenario: ingest, connections, fanout, e2e, delivery, scan or broadcast (bench --help)");
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
    @Option(names = "--nodes", split = ",", paramLabel = "URL,..", description = "a cluster's nodes (instead of --url): user i's socket on node i mod N") List<String> nodes = List.of();
    @Option(names = "--cross-node", description = "with --nodes: ingest each notification on another node than its recipient's socket") boolean crossNode;

    @Override
    public Integer call() {
      if (rate < 1) {
        throw new IllegalArgumentException("--rate must be at least 1");
      }
      if (crossNode && nodes.size() < 2) {
        throw new IllegalArgumentException("--cross-node needs --nodes with at least two URLs");
      }
      List<io.herald.bench.Target> targets = nodes.stream().map(u -> io.herald.bench.Target.parse(u, common.key, common.secret)).toList();
      E2eBench.Params p = new E2eBench.Params(common.target(), rate, duration, warmup, users, firstUser, sources, prefix, pool, welcomeTimeout,
          targets, crossNode);
      return Runner.run(common.eventLoops, loops -> E2eBench.run(loops, p));
    }
  }

  @Command(name = "delivery", mixinStandardHelpOptions = true, description = "Deliveries through an external channel to a stand-in provider in this process: "
      + "deliveries/s (throughput) or ingest-call-to-provider latency (latency). The gateway's channel must point at 127.0.0.1:--provider-port.")
  static final class Delivery implements Callable<Integer> {
    @Mixin Common common;
    @Option(names = "--channel", defaultValue = "webhook", description = "webhook, sms, whatsapp or email (default ${DEFAULT-VALUE})") String channel;
    @Option(names = "--mode", defaultValue = "throughput", description = "throughput or latency (default ${DEFAULT-VALUE})") String mode;
    @Option(names = "--provider-port", defaultValue = "18091", description = "port of the stand-in provider (default ${DEFAULT-VALUE})") int providerPort;
    @Option(names = "--batch", defaultValue = "100", description = "throughput: recipients per request, 1-1000 (default ${DEFAULT-VALUE})") int batch;
    @Option(names = "--concurrency", defaultValue = "8", description = "throughput: ingest requests in flight (default ${DEFAULT-VALUE})") int concurrency;
    @Option(names = "--count", defaultValue = "50000", description = "throughput: deliveries to send (default ${DEFAULT-VALUE})") long count;
    @Option(names = "--max-backlog", defaultValue = "10000", description = "throughput: pause ingest while this many acknowledged deliveries have not reached the provider; "
        + "keep it under the worker's queue of 20,000 (default ${DEFAULT-VALUE})") int maxBacklog;
    @Option(names = "--rate", defaultValue = "500", description = "latency: notifications per second (default ${DEFAULT-VALUE})") int rate;
    @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class, description = "latency: measured time (default ${DEFAULT-VALUE})") Duration duration;
    @Option(names = "--warmup", defaultValue = "5s", converter = DurationConverter.class, description = "unmeasured lead-in; throughput: per-second samples before it are left out (default ${DEFAULT-VALUE})") Duration warmup;
    @Option(names = "--grace", defaultValue = "40s", converter = DurationConverter.class, description = "after the last ingest, stop waiting once nothing arrived for this long; longer than the gateway's retry.scanIntervalSeconds, which re-sends dispatches a full worker queue dropped (default ${DEFAULT-VALUE})") Duration grace;
    @Option(names = "--users", defaultValue = "100000", description = "distinct recipients cycled through (default ${DEFAULT-VALUE})") int users;
    @Option(names = "--prefix", defaultValue = "bench-d", description = "user id prefix (default ${DEFAULT-VALUE})") String prefix;
    @Option(names = "--pool", defaultValue = "64", description = "latency: HTTP connections at most (default ${DEFAULT-VALUE})") int pool;
    @Option(names = "--hold", defaultValue = "0s", converter = DurationConverter.class, description = "throughput: send every notification with sendAt this far ahead, so all are written before any is delivered (use with --max-backlog above --count and --warmup about --hold) (default ${DEFAULT-VALUE})") Duration hold;

    @Override
    public Integer call() {
      if (!List.of("webhook", "sms", "whatsapp", "email").contains(channel)) {
        throw new IllegalArgumentException("--channel must be webhook, sms, whatsapp or email");
      }
      DeliveryBench.Mode m = switch (mode.toLowerCase()) {
        case "throughput" -> DeliveryBench.Mode.THROUGHPUT;
        case "latency" -> DeliveryBench.Mode.LATENCY;
        default -> throw new IllegalArgumentException("--mode must be throughput or latency");
      };
      if (batch < 1 || batch > 1000 || concurrency < 1 || count < 1 || rate < 1) {
        throw new IllegalArgumentException("--batch must be 1-1000; --concurrency, --count and --rate at least 1");
      }
      DeliveryBench.Params p = new DeliveryBench.Params(common.target(), channel, m, providerPort, batch, concurrency, count, maxBacklog, rate, duration,
          warmup, grace, users, prefix, pool, hold);
      return Runner.run(common.eventLoops, loops -> DeliveryBench.run(loops, p));
    }
  }

  @Command(name = "broadcast", mixinStandardHelpOptions = true, description = "Open N push sockets, send broadcasts to everyone one at a time: "
      + "time until the last socket has each. The key needs the broadcast scope.")
  static final class Broadcast implements Callable<Integer> {
    @Mixin Common common;
    @Option(names = "--sockets", defaultValue = "10000", description = "sockets (one user each) (default ${DEFAULT-VALUE})") int sockets;
    @Option(names = "--rounds", defaultValue = "10", description = "broadcasts, one at a time (default ${DEFAULT-VALUE})") int rounds;
    @Option(names = "--sources", split = ",", paramLabel = "ADDR,..", description = "local addresses to bind sockets to, round-robin") List<String> sources = List.of();
    @Option(names = "--prefix", defaultValue = "bench-b", description = "user id prefix (default ${DEFAULT-VALUE})") String prefix;
    @Option(names = "--connect-concurrency", defaultValue = "256", description = "handshakes in flight (default ${DEFAULT-VALUE})") int connectConcurrency;
    @Option(names = "--welcome-timeout", defaultValue = "30s", converter = DurationConverter.class, description = "give up on a socket with no welcome frame after this (default ${DEFAULT-VALUE})") Duration welcomeTimeout;
    @Option(names = "--round-timeout", defaultValue = "30s", converter = DurationConverter.class, description = "stop waiting for a round's last socket after this (default ${DEFAULT-VALUE})") Duration roundTimeout;

    @Override
    public Integer call() {
      if (sockets < 1 || rounds < 1) {
        throw new IllegalArgumentException("--sockets and --rounds must be at least 1");
      }
      BroadcastBench.Params p = new BroadcastBench.Params(common.target(), sockets, sources, rounds, prefix, connectConcurrency,
          welcomeTimeout, roundTimeout);
      return Runner.run(common.eventLoops, loops -> BroadcastBench.run(loops, p));
    }
  }

  @Command(name = "scan", mixinStandardHelpOptions = true, description = "Seed N due failed deliveries and time one retry-scanner pass over them "
      + "(talks to PostgreSQL from --conf; no gateway needed).")
  static final class Scan implements Callable<Integer> {
    @Mixin ConfigOption conf;
    @Option(names = "--count", defaultValue = "100000", description = "due deliveries to seed (default ${DEFAULT-VALUE})") int count;
    @Option(names = "--schema", description = "schema to work in (default: postgres.schema of the configuration)") String schema;
    @Option(names = "--event-loops", paramLabel = "N", defaultValue = "0", description = "bench event loops (default: cores, at least 2)") int eventLoops;

    @Override
    public Integer call() {
      if (count < 1) {
        throw new IllegalArgumentException("--count must be at least 1");
      }
      HeraldConfig config = conf.load();
      HeraldConfig.Postgres pg = config.postgres();
      if (schema != null) {
        pg = new HeraldConfig.Postgres(pg.uri(), schema, pg.poolSize());
      }
      ScanBench.Params p = new ScanBench.Params(pg, config.retry(), count);
      return Runner.run(eventLoops, loops -> ScanBench.run(loops, p));
    }
  }
}
