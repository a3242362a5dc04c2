package io.herald.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.XmlConfigBuilder;
import io.herald.config.ConfigException;
import io.herald.config.HeraldConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.Match;
import io.vertx.micrometer.MatchType;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

/**
 * This node's Vert.x: plain (one node, local event bus) or, with {@code cluster.enabled},
 * clustered through Hazelcast. The Hazelcast settings come from {@code cluster.hazelcastConfig}
 * (the {@code conf/cluster.xml} shipped with Herald, or the copy built into the jar when that file
 * is not there), with the membership parts taken from Herald's own configuration so one file
 * serves every node: the port, the address announced, and either TCP-IP join to
 * {@code cluster.members} or, in Kubernetes, DNS discovery through {@code cluster.kubernetesService}.
 */
public final class NodeVertx {
  static final String DEFAULT_FILE = "conf/cluster.xml";

  private NodeVertx() {
  }

  /** The running Vert.x, and the cluster manager when clustered (null otherwise). */
  public record Started(Vertx vertx, HazelcastClusterManager cluster) {
  }

  /** {@code metrics}: the registry Vert.x reports its own meters to (null: no Vert.x metrics). */
  public static Future<Started> start(HeraldConfig config, MeterRegistry metrics) {
    VertxOptions options = new VertxOptions().setPreferNativeTransport(true);
    VertxBuilder builder = Vertx.builder();
    if (metrics != null) {
      options.setMetricsOptions(metricsOptions());
      builder.withMetrics(new MicrometerMetricsFactory(metrics));
    }
    if (!config.cluster().enabled()) {
      return Future.succeededFuture(new Started(builder.with(options).build(), null));
    }
    HeraldConfig.Cluster c = config.cluster();
    Config hazelcast;
    try {
      hazelcast = hazelcast(c);
    } catch (ConfigException e) {
      return Future.failedFuture(e);
    }
    // the event bus carries delivery work between nodes; peers reach it at cluster.host
    options.getEventBusOptions().setHost(c.host()).setPort(c.eventBusPort()).setClusterPublicHost(c.host());
    HazelcastClusterManager manager = new HazelcastClusterManager(hazelcast);
    return builder.with(options).withClusterManager(manager).buildClustered().map(v -> new Started(v, manager));
  }

  /**
   * Vert.x's own meters (HTTP server and client, event bus, pools, TCP clients, JVM) with bounded
   * labels only: no path or remote address labels; event-bus addresses are Herald's fixed set;
   * an HTTP method outside the standard ones (a client may send any token) is reported as
   * {@code other}. The registry name is unique: Vert.x keeps registries in a process-wide map by
   * name, and several gateways in one JVM (tests) must not share one.
   */
  static MicrometerMetricsOptions metricsOptions() {
    Match otherMethods = new Match().setDomain(MetricsDomain.HTTP_SERVER).setLabel(Label.HTTP_METHOD.toString())
        .setType(MatchType.REGEX).setValue("(?!(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$).*").setAlias("other");
    return new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true)
        .setRegistryName("herald-" + java.util.UUID.randomUUID())
        .setLabels(EnumSet.of(Label.HTTP_METHOD, Label.HTTP_CODE, Label.POOL_TYPE, Label.POOL_NAME, Label.EB_SIDE, Label.EB_ADDRESS))
        .setLabelMatches(List.of(otherMethods));
  }

  /** The Hazelcast configuration: the file's, with membership from {@code cluster.*}. */
  static Config hazelcast(HeraldConfig.Cluster c) {
    Config hz = load(c.hazelcastConfig());
    hz.getNetworkConfig().setPort(c.port()).setPortAutoIncrement(false);
    if (!c.host().equals("0.0.0.0")) {
      hz.setProperty("hazelcast.local.localAddress", c.host());
    }
    JoinConfig join = hz.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    if (c.kubernetesService() != null) {
      join.getTcpIpConfig().setEnabled(false);
      join.getKubernetesConfig().setEnabled(true).setProperty("service-dns", c.kubernetesService())
          .setProperty("service-port", String.valueOf(c.port()));
    } else {
      List<String> members = new ArrayList<>(c.members());
      members.add(c.host() + ":" + c.port());
      join.getKubernetesConfig().setEnabled(false);
      join.getTcpIpConfig().setEnabled(true).setMembers(members);
    }
    return hz;
  }

  private static Config load(String file) {
    Path path = Path.of(file);
    if (Files.isRegularFile(path)) {
      try (InputStream in = Files.newInputStream(path)) {
        return new XmlConfigBuilder(in).build();
      } catch (IOException | RuntimeException e) {
        throw new ConfigException("cluster.hazelcastConfig", "cannot read " + file + ": " + e.getMessage());
      }
    }
    if (!file.equals(DEFAULT_FILE)) {
      throw new ConfigException("cluster.hazelcastConfig", "no such file: " + file);
    }
    try (InputStream in = NodeVertx.class.getResourceAsStream("/cluster.xml")) {
      if (in == null) {
        throw new ConfigException("cluster.hazelcastConfig", DEFAULT_FILE + " is missing and the jar has no built-in copy");
      }
      return new XmlConfigBuilder(in).build();
    } catch (IOException e) {
      throw new ConfigException("cluster.hazelcastConfig", e.getMessage());
    }
  }
}
