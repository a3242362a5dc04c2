package io.herald.cli;

import io.herald.auth.Authenticator;
import io.herald.config.HeraldConfig;
import io.herald.fanout.Fanout;
import io.herald.fanout.LocalFanout;
import io.herald.ops.Readiness;
import io.herald.ops.SchedulerVerticle;
import io.herald.push.ConnectionLimiter;
import io.herald.push.PushVerticle;
import io.herald.delivery.DeliveryVerticle;
import io.herald.delivery.Senders;
import io.herald.digest.DigestVerticle;
import io.herald.store.DigestStore;
import io.herald.retry.RetryScannerVerticle;
import io.herald.ingest.EventExpanderVerticle;
import io.herald.store.Db;
import io.herald.store.EventStore;
import io.herald.store.TemplateStore;
import io.herald.store.DeliveryStore;
import io.herald.store.SubscriberStore;
import io.herald.store.Migrations;
import io.herald.store.NotificationStore;
import io.herald.store.NotificationWriter;
import io.herald.Addresses;
import io.herald.cluster.NodeVertx;
import io.herald.fanout.RedisFanout;
import io.herald.ops.HealthMonitorVerticle;
import io.herald.ops.HeartbeatVerticle;
import io.herald.ops.JobLease;
import io.herald.ops.JobsVerticle;
import io.herald.ops.NodeInfo;
import io.herald.store.AlertStore;
import io.herald.ops.Meters;
import io.herald.ops.QueueGaugeVerticle;
import io.herald.store.StatsStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.herald.store.LeaseStore;
import io.herald.store.NodeStore;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running gateway on one node: Vert.x, the Postgres pool, migrations, and the deployed
 * verticles. {@link #stop()} drains: readiness goes false, sockets are closed with 1001, in-flight
 * requests finish, then everything closes.
 */
public final class Gateway {
  private static final Logger log = LoggerFactory.getLogger(Gateway.class);
  /** Connections for the delivery workers and the scanner: a claim and an outcome statement per channel, at most, are in flight. */
  static final int WORKER_POOL_SIZE = 4;

  private final HeraldConfig config;
  private final Vertx vertx;
  private final Pool pool;
  private final Pool workerPool;
  private final Readiness readiness;
  private final Fanout fanout;
  private final ConnectionLimiter limiter;
  private final java.util.List<String> deployments = new java.util.ArrayList<>();
  /** Names this process in delivery leases, attempt records, job leases and the nodes table. */
  private final String nodeId = nodeName();
  private final NodeInfo node;
  /** Herald's meters, in this gateway's own registry (no-ops with {@code metrics.enabled} false). */
  private final Meters meters;
  private DigestVerticle digests;
  private HealthMonitorVerticle healthMonitor;
  private JobsVerticle jobs;
  private String heartbeat;

  private Gateway(HeraldConfig config, NodeVertx.Started started, PrometheusMeterRegistry registry) {
    this.config = config;
    this.vertx = started.vertx();
    this.pool = Db.pool(vertx, config.postgres());
    this.workerPool = Db.workerPool(vertx, config.postgres(), WORKER_POOL_SIZE);
    this.readiness = new Readiness(pool);
    this.limiter = new ConnectionLimiter(config.push().maxConnectionsPerUser());
    // every push verticle instance reports the sockets a broadcast reached
    LocalFanout local = new LocalFanout(vertx, limiter::connected, instances(config));
    DeliveryOptions localOnly = new DeliveryOptions().setLocalOnly(true);
    this.fanout = config.redis().enabled()
        ? new RedisFanout(vertx, config.redis(), nodeId, local, () -> vertx.eventBus().publish(Addresses.PUSH_RESYNC, null, localOnly))
        : local;
    readiness.show(fanout);
    String address = (config.cluster().enabled() ? config.cluster().host() : config.http().host()) + ":" + config.http().port();
    this.node = new NodeInfo(nodeId, address, started.cluster(), fanout, limiter, readiness);
    this.meters = registry == null ? Meters.off() : Meters.of(registry, config.metrics());
    meters.sockets(limiter);
    meters.fanout(fanout);
  }

  /** Starts a node: plain, or clustered with {@code cluster.enabled} (which needs {@code redis.uri} for pushes between nodes). */
  public static Future<Gateway> start(HeraldConfig config) {
    if (config.cluster().enabled() && !config.redis().enabled()) {
      return Future.failedFuture(new io.herald.config.ConfigException("redis.uri",
          "clustered mode needs Redis: it carries pushes to the node that holds each user's sockets"));
    }
    // a context-free promise: on failure the event loops are shut down before the caller hears of it
    Promise<Gateway> started = Promise.promise();
    // one registry per gateway, never the global one: several gateways in one JVM each scrape their own
    PrometheusMeterRegistry registry = config.metrics().enabled() ? new PrometheusMeterRegistry(PrometheusConfig.DEFAULT) : null;
    NodeVertx.start(config, registry).onFailure(started::fail).onSuccess(node -> {
      Gateway gateway = new Gateway(config, node, registry);
      gateway.deploy().onComplete(result -> {
        if (result.succeeded()) {
          started.complete(gateway);
        } else {
          gateway.close(Future.succeededFuture()).onComplete(closed -> started.fail(result.cause()));
        }
      });
    });
    return started.future();
  }

  private Future<Void> deploy() {
    int instances = instances(config);
    // One ingest transaction at a time per instance: requests that arrive meanwhile join the next
    // one. Fewer, larger transactions beat many small ones on a small machine (see BENCHMARKS.md).
    int perInstance = 1;
    NotificationStore store = new NotificationStore(pool);
    NotificationWriter writer = new NotificationWriter(pool, config.throttle(), config.digest());
    DeliveryStore deliveries = new DeliveryStore(workerPool);
    PushVerticle.Shared shared = new PushVerticle.Shared(config, new Authenticator(config.auth(), Clock.systemUTC()), store, writer,
        deliveries, new SubscriberStore(pool, config.digest()), fanout, limiter, readiness, node, meters, perInstance);
    return Migrations.apply(pool, config.postgres().schema())
        .onSuccess(applied -> {
          if (!applied.isEmpty()) {
            log.info("schema {}: applied {}", config.postgres().schema(), applied);
          }
        })
        .compose(applied -> digestChecks(new DigestStore(pool)))
        .compose(v -> fanout instanceof RedisFanout redis ? redis.start() : Future.succeededFuture())
        .compose(applied -> vertx.deployVerticle(() -> new PushVerticle(shared), new DeploymentOptions().setInstances(instances)))
        .compose(id -> {
          deployments.add(id);
          JobLease lease = new JobLease(new LeaseStore(pool), "scheduler", nodeId, config.cluster().jobLeaseSeconds());
          return vertx.deployVerticle(new SchedulerVerticle(writer, deliveries, fanout, config.retry().pendingGraceSeconds(), lease));
        })
        .compose(id -> {
          deployments.add(id);
          jobs = io.herald.ops.JobsVerticle.create(config, pool, nodeId, Clock.systemUTC());
          return vertx.deployVerticle(jobs);
        })
        .compose(id -> {
          deployments.add(id);
          return vertx.deployVerticle(new EventExpanderVerticle(config, pool, new EventStore(pool), new TemplateStore(pool), writer,
              fanout, nodeId, meters.ingest()));
        })
        .compose(id -> {
          deployments.add(id);
          return deployDelivery(deliveries);
        })
        .compose(id -> {
          deployments.add(id);
          if (!config.channels().get("email").enabled()) {
            return Future.succeededFuture(null); // digests are e-mails: nothing is ever held without the channel
          }
          digests = new DigestVerticle(config, new DigestStore(pool), new TemplateStore(pool), Clock.systemUTC());
          return vertx.deployVerticle(digests);
        })
        .compose(id -> {
          if (id != null) {
            deployments.add(id);
          }
          if (!config.alerts().enabled()) {
            return Future.succeededFuture(null);
          }
          JobLease lease = new JobLease(new LeaseStore(pool), "health", nodeId, config.cluster().jobLeaseSeconds());
          healthMonitor = new HealthMonitorVerticle(config, new AlertStore(pool), lease, nodeId, Clock.systemUTC());
          return vertx.deployVerticle(healthMonitor);
        })
        .compose(id -> {
          if (id != null) {
            deployments.add(id);
          }
          return vertx.deployVerticle(new HeartbeatVerticle(new NodeStore(pool), node));
        })
        .compose(id -> {
          heartbeat = id;
          return !config.metrics().enabled() ? Future.succeededFuture((String) null) : vertx.deployVerticle(new QueueGaugeVerticle(
              new StatsStore(pool), meters.queue(), config.metrics().queueIntervalSeconds(), Clock.systemUTC()));
        })
        .onSuccess(id -> {
          if (id != null) {
            deployments.add(id);
          }
          readiness.started();
          if (node.cluster().getBoolean("enabled")) {
            log.info("node {} joined the cluster as member {} ({} members)", nodeId, node.cluster().getString("member"),
                node.cluster().getJsonArray("members").size());
          }
        })
        .mapEmpty();
  }

  /**
   * The default digest time zone must be one PostgreSQL knows (it computes digest times); with the
   * e-mail channel off, e-mails held for digests from an earlier run can never go and are cancelled.
   */
  private Future<Void> digestChecks(DigestStore digestStore) {
    String zone = config.digest().timeZone();
    return digestStore.checkZone(zone)
        .recover(err -> Future.failedFuture(new io.herald.config.ConfigException("digest.timeZone",
            "PostgreSQL does not know the time zone '" + zone + "' (" + err.getMessage() + ")")))
        .compose(v -> config.channels().get("email").enabled() ? Future.succeededFuture()
            : digestStore.cancelHeld("channel_disabled").map(n -> {
              if (n > 0) {
                log.warn("the e-mail channel is off: cancelled {} e-mails held for digests (reason channel_disabled)", n);
              }
              return null;
            }));
  }

  /** One worker per enabled external channel, then the retry scanner (after the workers, so its first dispatches land). */
  private Future<String> deployDelivery(DeliveryStore deliveries) {
    Future<String> chain = Future.succeededFuture();
    for (HeraldConfig.Channel channel : config.externalChannels()) {
      chain = chain.compose(x -> vertx.deployVerticle(new DeliveryVerticle(channel, config.retry(), deliveries, nodeId,
              v -> Senders.create(v, channel), Clock.systemUTC(), config.http().shutdownTimeoutSeconds(), meters.delivery(channel.name())))
          .onSuccess(deployments::add));
    }
    return chain.compose(x -> vertx.deployVerticle(new RetryScannerVerticle(config.retry(), deliveries)));
  }

  public static int instances(HeraldConfig config) {
    return config.http().instances() > 0 ? config.http().instances() : Runtime.getRuntime().availableProcessors();
  }

  private static String nodeName() {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      host = "node";
    }
    return host + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
  }

  public String nodeId() {
    return nodeId;
  }

  public Vertx vertx() {
    return vertx;
  }

  public Pool pool() {
    return pool;
  }

  public HeraldConfig config() {
    return config;
  }

  /** The digest sender (null when the e-mail channel is off); tests run it at the hour they choose. */
  public DigestVerticle digests() {
    return digests;
  }

  /** The health monitor (null when {@code alerts.enabled} is off); tests run its checks at the time they choose. */
  public HealthMonitorVerticle healthMonitor() {
    return healthMonitor;
  }

  /** The scheduled jobs (retention); tests and operators run one at once with {@code runNow}. */
  public JobsVerticle jobs() {
    return jobs;
  }

  public int openSockets() {
    return limiter.total();
  }

  /**
   * Graceful stop (drain): not ready; sockets closed with 1001 and a reconnect hint; in-flight
   * requests finished; channel workers stop taking work (so the cluster routes it elsewhere),
   * finish their sends and give back the leases of any still running; singleton jobs handed over;
   * this node's row removed; then Redis, the pools, and the cluster left.
   */
  public Future<Void> stop() {
    readiness.drain();
    Future<Void> undeploy = Future.all(deployments.stream().map(vertx::undeploy).toList())
        .compose(v -> heartbeat == null ? Future.succeededFuture() : vertx.undeploy(heartbeat)).mapEmpty();
    return close(undeploy.recover(err -> {
      log.warn("draining did not finish cleanly: {}", err.getMessage());
      return Future.succeededFuture();
    }));
  }

  /**
   * Closes the fan-out, the pool and Vert.x after {@code before}. Vert.x is closed from a plain
   * thread and the result reported through a context-free promise: a future bound to one of the
   * event loops being shut down could not deliver its own completion.
   */
  private Future<Void> close(Future<?> before) {
    Promise<Void> done = Promise.promise();
    before.eventually(fanout::close).eventually(pool::close).eventually(workerPool::close).onComplete(ignored -> new Thread(() ->
        vertx.close().onComplete(result -> done.complete()), "herald-close").start());
    return done.future();
  }
}
