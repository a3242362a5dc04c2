package io.herald.ops;

import io.herald.fanout.Fanout;
import io.herald.push.ConnectionLimiter;
import io.herald.store.NodeStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** What this node is and how it is doing: for its heartbeat row and for /v1/stats. */
public final class NodeInfo {
  private final String nodeId;
  private final String address;
  private final OffsetDateTime startedAt = OffsetDateTime.now(ZoneOffset.UTC);
  private final HazelcastClusterManager cluster;
  private final Fanout fanout;
  private final ConnectionLimiter sockets;
  private final Readiness readiness;

  /** {@code cluster}: null when this node runs alone. */
  public NodeInfo(String nodeId, String address, HazelcastClusterManager cluster, Fanout fanout, ConnectionLimiter sockets,
                  Readiness readiness) {
    this.nodeId = nodeId;
    this.address = address;
    this.cluster = cluster;
    this.fanout = fanout;
    this.sockets = sockets;
    this.readiness = readiness;
  }

  public String nodeId() {
    return nodeId;
  }

  public NodeStore.Beat beat() {
    return new NodeStore.Beat(nodeId, cluster == null ? null : cluster.getNodeId(), address, startedAt, sockets.total(),
        readiness.draining(), fanout.state());
  }

  /** {@code {"enabled", "member", "members": [ids]}}: this node's view of the Hazelcast membership. */
  public JsonObject cluster() {
    if (cluster == null) {
      return new JsonObject().put("enabled", false);
    }
    return new JsonObject().put("enabled", true).put("member", cluster.getNodeId())
        .put("members", new JsonArray(cluster.getNodes().stream().sorted().toList()));
  }
}
