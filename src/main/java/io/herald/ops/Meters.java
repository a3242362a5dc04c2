package io.herald.ops;

import io.herald.config.HeraldConfig;
import io.herald.delivery.ErrorClass;
import io.herald.fanout.Fanout;
import io.herald.fanout.PushMessage;
import io.herald.push.ConnectionLimiter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Herald's own meters (names start with {@code herald_}, times in seconds), registered once per
 * gateway in that gateway's registry and handed to the parts that record them, so recording is a
 * field read and an add: nothing is looked up by a built name on the hot paths. Label values come
 * from fixed sets (channels, statuses, outcomes, error classes, levels) or are capped (categories);
 * never user ids, notification ids or other free text. The README's "Metrics" section lists them.
 */
public final class Meters {
  /** The external channels, as the {@code channel} label spells them. */
  public static final List<String> CHANNELS = List.of("email", "sms", "whatsapp", "webhook");
  static final List<String> LEVELS = List.of("info", "success", "warning", "error");

  private final MeterRegistry registry;
  private final Ingest ingest;
  private final Push push;
  private final Queue queue;

  private Meters(MeterRegistry registry, int maxCategories, List<String> categories) {
    this.registry = registry;
    this.ingest = new Ingest(registry, maxCategories, categories);
    this.push = new Push(registry);
    this.queue = new Queue(registry);
  }

  /** Meters in {@code registry} (the gateway's own), category labels as {@code config} says. */
  public static Meters of(MeterRegistry registry, HeraldConfig.Metrics config) {
    return new Meters(registry, config.maxCategories(), config.categories());
  }

  /** Meters that record nothing ({@code metrics.enabled} false): a composite registry without members hands out no-op meters. */
  public static Meters off() {
    return new Meters(new CompositeMeterRegistry(), 0, List.of());
  }

  public MeterRegistry registry() {
    return registry;
  }

  public Ingest ingest() {
    return ingest;
  }

  public Push push() {
    return push;
  }

  public Queue queue() {
    return queue;
  }

  /** The meters of one channel's worker (registered on first call; the same ones after). */
  public Delivery delivery(String channel) {
    return new Delivery(registry, channel);
  }

  /** {@code herald_sockets_open}: sockets open on this node. */
  public void sockets(ConnectionLimiter limiter) {
    Gauge.builder("herald.sockets.open", limiter, ConnectionLimiter::total).description("WebSocket and SockJS sockets open on this node")
        .register(registry);
  }

  /** The Redis fan-out's link and counters ({@code herald_fanout_*}); nothing for the local fan-out. */
  public void fanout(Fanout fanout) {
    if ("local".equals(fanout.state().getString("mode"))) {
      return;
    }
    Gauge.builder("herald.fanout.redis.up", fanout, f -> "up".equals(f.state().getString("redis")) ? 1 : 0)
        .description("1 while this node's Redis fan-out link is up, else 0").register(registry);
    Gauge.builder("herald.fanout.channels", fanout, f -> state(f, "channels")).description("Redis channels this node is subscribed to")
        .register(registry);
    counter("herald.fanout.published", fanout, f -> state(f, "published"), "messages this node published on Redis");
    counter("herald.fanout.received", fanout, f -> state(f, "received"), "messages from other nodes received over Redis");
    counter("herald.fanout.reconnects", fanout, f -> state(f, "reconnects"), "times the Redis link came back after it was lost");
    counter("herald.fanout.skipped", fanout, f -> state(f, "skippedWhileDown"),
        "publications skipped while the Redis link was down (the other nodes catch up from the database)");
  }

  private void counter(String name, Fanout fanout, ToDoubleFunction<Fanout> read, String description) {
    FunctionCounter.builder(name, fanout, read).description(description).register(registry);
  }

  private static double state(Fanout fanout, String field) {
    JsonObject state = fanout.state();
    Number n = state.getNumber(field);
    return n == null ? Double.NaN : n.doubleValue();
  }

  /**
   * {@code herald_notifications_ingested_total{level,category}}: notifications written into
   * inboxes (ingest, bulk, events, persisted broadcasts; counted once, when written, even if
   * scheduled for later). Categories are chosen by applications, so only those listed in
   * {@code metrics.categories} (or, with no list, the first {@code maxCategories} distinct ones)
   * keep their name; the others count as {@value #OTHER}, and no category is {@value #NONE}. Those
   * two cannot be categories (a category starts with a letter or digit), so they never mix with one.
   */
  public static final class Ingest {
    /** The category label of notifications whose category keeps no name of its own. */
    public static final String OTHER = "_other";
    /** The category label of notifications without a category. */
    public static final String NONE = "_none";
    private final MeterRegistry registry;
    private final int maxCategories;
    /** Per category: a counter per level, in {@link #LEVELS} order. */
    private final Map<String, Counter[]> byCategory = new ConcurrentHashMap<>();
    private final Counter[] none;
    private final Counter[] other;
    private volatile boolean full;

    Ingest(MeterRegistry registry, int maxCategories, List<String> listed) {
      this.registry = registry;
      this.maxCategories = maxCategories;
      this.none = register(NONE);
      this.other = register(OTHER);
      listed.forEach(category -> byCategory.put(category, register(category)));
      this.full = maxCategories == 0 || !listed.isEmpty();
    }

    /** {@code count} notifications of one level and category went in. */
    public void ingested(String level, String category, int count) {
      if (count > 0) {
        counters(category)[level(level)].increment(count);
      }
    }

    private Counter[] counters(String category) {
      if (category == null) {
        return none;
      }
      Counter[] known = byCategory.get(category);
      if (known != null) {
        return known;
      }
      if (full) {
        return other;
      }
      synchronized (this) {
        known = byCategory.get(category);
        if (known != null) {
          return known;
        }
        if (byCategory.size() >= maxCategories) {
          full = true;
          return other;
        }
        Counter[] fresh = register(category);
        byCategory.put(category, fresh);
        return fresh;
      }
    }

    private Counter[] register(String category) {
      Counter[] out = new Counter[LEVELS.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = Counter.builder("herald.notifications.ingested").description("notifications written into inboxes")
            .tag("level", LEVELS.get(i)).tag("category", category).register(registry);
      }
      return out;
    }

    private static int level(String level) {
      return switch (level == null ? "info" : level) {
        case "success" -> 1;
        case "warning" -> 2;
        case "error" -> 3;
        default -> 0;
      };
    }
  }

  /**
   * One channel's worker: {@code herald_deliveries_total{channel,outcome,error_class}} per finished
   * attempt (sent/none; failed/temporary, to be retried; dead/temporary after the last attempt,
   * dead/permanent, dead/credentials) and {@code herald_delivery_duration_seconds{channel}}, the
   * provider call's time whatever its outcome.
   */
  public static final class Delivery {
    private final Counter sent;
    private final Counter failedTemporary;
    private final Counter deadTemporary;
    private final Counter deadPermanent;
    private final Counter deadCredentials;
    private final Timer duration;

    Delivery(MeterRegistry registry, String channel) {
      sent = outcome(registry, channel, "sent", "none");
      failedTemporary = outcome(registry, channel, "failed", "temporary");
      deadTemporary = outcome(registry, channel, "dead", "temporary");
      deadPermanent = outcome(registry, channel, "dead", "permanent");
      deadCredentials = outcome(registry, channel, "dead", "credentials");
      duration = Timer.builder("herald.delivery.duration").description("time of one delivery attempt's provider call")
          .tag("channel", channel).publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
          .maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
    }

    private static Counter outcome(MeterRegistry registry, String channel, String outcome, String errorClass) {
      return Counter.builder("herald.deliveries").description("finished delivery attempts").tag("channel", channel)
          .tag("outcome", outcome).tag("error_class", errorClass).register(registry);
    }

    public void sent(long nanos) {
      sent.increment();
      duration.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A failed attempt: {@code dead} when it was permanent or the last one allowed. */
    public void failed(ErrorClass errorClass, boolean dead, long nanos) {
      Counter c = !dead ? failedTemporary : switch (errorClass) {
        case TEMPORARY -> deadTemporary;
        case PERMANENT -> deadPermanent;
        case CREDENTIALS -> deadCredentials;
      };
      c.increment();
      duration.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Push: {@code herald_push_latency_seconds} from a notification's commit (or a broadcast's) to
   * its write on a socket; {@code herald_resumes_total} and {@code herald_resume_notifications},
   * how many notifications each {@code resume} sent back.
   */
  public static final class Push {
    private final Timer latency;
    private final Counter resumes;
    private final DistributionSummary resumed;

    Push(MeterRegistry registry) {
      latency = Timer.builder("herald.push.latency").description("from a notification's commit to its write on a socket")
          .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
          .maximumExpectedValue(Duration.ofSeconds(30)).register(registry);
      resumes = Counter.builder("herald.resumes").description("resume frames answered").register(registry);
      resumed = DistributionSummary.builder("herald.resume.notifications").description("notifications one resume sent back")
          .publishPercentileHistogram().minimumExpectedValue(1.0).maximumExpectedValue(10_000.0).register(registry);
    }

    /** A frame committed at {@code committedAtMicros} (wall clock; 0: unknown, nothing recorded) was written just now. */
    public void written(long committedAtMicros) {
      if (committedAtMicros > 0) {
        latency.record(Math.max(0, PushMessage.nowMicros() - committedAtMicros), TimeUnit.MICROSECONDS);
      }
    }

    public void resumed(int notifications) {
      resumes.increment();
      resumed.record(notifications);
    }
  }

  /**
   * {@code herald_queue_depth{channel,status}} and {@code herald_oldest_due_delivery_age_seconds{channel}},
   * read from the database every {@code metrics.queueIntervalSeconds} by {@link QueueGaugeVerticle}
   * (not per scrape). They are the cluster's figures: every node reports the same. NaN until the
   * first read and after a failed one.
   */
  public static final class Queue {
    /** The statuses the depth gauge covers: those a delivery waits in, and dead (waits for a person). */
    public static final List<String> STATUSES = List.of("pending", "sending", "failed", "held", "dead");

    private volatile double[][] depth = unknown(CHANNELS.size(), STATUSES.size());
    private volatile double[] oldest = unknown(1, CHANNELS.size())[0];

    Queue(MeterRegistry registry) {
      for (int c = 0; c < CHANNELS.size(); c++) {
        int channel = c;
        for (int s = 0; s < STATUSES.size(); s++) {
          int status = s;
          Gauge.builder("herald.queue.depth", this, q -> q.depth[channel][status])
              .description("deliveries per channel and status (cluster-wide, from the database)")
              .tag("channel", CHANNELS.get(c)).tag("status", STATUSES.get(s)).register(registry);
        }
        Gauge.builder("herald.oldest.due.delivery.age", this, q -> q.oldest[channel]).baseUnit("seconds")
            .description("how long the longest-waiting due delivery (pending or failed) has waited, 0 when none (cluster-wide)")
            .tag("channel", CHANNELS.get(c)).register(registry);
      }
    }

    /** New figures: counts by channel and status, and the oldest due delivery's wait in seconds by channel (absent: none). */
    public void update(Map<String, Map<String, Long>> counts, Map<String, Double> oldestSeconds) {
      double[][] d = new double[CHANNELS.size()][STATUSES.size()];
      double[] o = new double[CHANNELS.size()];
      for (int c = 0; c < CHANNELS.size(); c++) {
        Map<String, Long> byStatus = counts.getOrDefault(CHANNELS.get(c), Map.of());
        for (int s = 0; s < STATUSES.size(); s++) {
          d[c][s] = byStatus.getOrDefault(STATUSES.get(s), 0L);
        }
        o[c] = oldestSeconds.getOrDefault(CHANNELS.get(c), 0.0);
      }
      depth = d;
      oldest = o;
    }

    /** The figures could not be read: the gauges show NaN rather than stale numbers. */
    public void unknown() {
      depth = unknown(CHANNELS.size(), STATUSES.size());
      oldest = unknown(1, CHANNELS.size())[0];
    }

    private static double[][] unknown(int rows, int columns) {
      double[][] out = new double[rows][columns];
      for (double[] row : out) {
        java.util.Arrays.fill(row, Double.NaN);
      }
      return out;
    }
  }
}
