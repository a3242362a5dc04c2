package io.herald.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import io.herald.TestGateway;
import io.herald.cli.Gateway;
import io.herald.config.ConfigException;
import io.herald.config.ConfigLoader;
import io.herald.config.HeraldConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How Herald's cluster.* keys shape the Hazelcast configuration read from conf/cluster.xml. */
class NodeVertxTest {
  static HeraldConfig.Cluster cluster(JsonObject c) {
    return ConfigLoader.fromJson(new JsonObject().put("cluster", c.put("enabled", true))
        .put("redis", new JsonObject().put("uri", "redis://127.0.0.1:6379"))).cluster();
  }

  @Test
  void tcpIpJoinUsesTheConfiguredMembersPortAndAddress() {
    Config hz = NodeVertx.hazelcast(cluster(new JsonObject().put("host", "10.0.0.5").put("port", 5801)
        .put("members", new JsonArray().add("10.0.0.6:5801").add("10.0.0.7:5801"))));
    assertEquals(5801, hz.getNetworkConfig().getPort());
    assertFalse(hz.getNetworkConfig().isPortAutoIncrement(), "a member is exactly host:port");
    assertEquals("10.0.0.5", hz.getProperty("hazelcast.local.localAddress"));
    var join = hz.getNetworkConfig().getJoin();
    assertTrue(join.getTcpIpConfig().isEnabled());
    assertEquals(List.of("10.0.0.6:5801", "10.0.0.7:5801", "10.0.0.5:5801"), join.getTcpIpConfig().getMembers());
    assertFalse(join.getMulticastConfig().isEnabled(), "never multicast");
    assertFalse(join.getKubernetesConfig().isEnabled());
    assertEquals("herald", hz.getClusterName(), "the rest comes from conf/cluster.xml");
    assertTrue(hz.getMultiMapConfigs().containsKey("__vertx.subs"), "the Vert.x cluster manager's structures are configured");
  }

  @Test
  void theKubernetesProfileDiscoversPeersThroughTheHeadlessService() {
    Config hz = NodeVertx.hazelcast(cluster(new JsonObject().put("kubernetesService", "herald-hazelcast.prod.svc.cluster.local")));
    var join = hz.getNetworkConfig().getJoin();
    assertFalse(join.getTcpIpConfig().isEnabled());
    assertTrue(join.getKubernetesConfig().isEnabled());
    assertEquals("herald-hazelcast.prod.svc.cluster.local", join.getKubernetesConfig().getProperty("service-dns"));
    assertEquals("5701", join.getKubernetesConfig().getProperty("service-port"));
  }

  @Test
  void aMissingHazelcastFileIsRefusedByName() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> NodeVertx.hazelcast(cluster(new JsonObject().put("hazelcastConfig", "/nowhere/cluster.xml"))));
    assertEquals("cluster.hazelcastConfig", e.key());
  }

  @Test
  void clusteredModeWithoutRedisIsRefusedNamingRedisUri() {
    HeraldConfig config = ConfigLoader.fromJson(new JsonObject().put("cluster", new JsonObject().put("enabled", true))
        .put("postgres", new JsonObject().put("schema", "t_never_created")));
    Throwable e = assertThrows(RuntimeException.class, () -> TestGateway.await(Gateway.start(config)));
    Throwable cause = e instanceof ConfigException ? e : e.getCause();
    assertTrue(cause instanceof ConfigException, String.valueOf(e));
    assertEquals("redis.uri", ((ConfigException) cause).key());
  }
}
