package io.herald.ops;

import io.herald.auth.Authenticator;
import io.herald.store.NodeStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /v1/stats} (scope {@code admin}): the node answering, the cluster as it sees it, and
 * every node heard from recently with its open sockets and fan-out state.
 */
public final class StatsApi {
  /** A node silent for this long (three missed heartbeats) is left out: it died or was cut off. */
  static final int LIVE_SECONDS = (int) (3 * HeartbeatVerticle.EVERY_MS / 1000);

  private final Authenticator auth;
  private final NodeStore nodes;
  private final NodeInfo self;

  public StatsApi(Authenticator auth, NodeStore nodes, NodeInfo self) {
    this.auth = auth;
    this.nodes = nodes;
    this.self = self;
  }

  public void mount(Router router) {
    router.get("/v1/stats").handler(this::stats);
  }

  private void stats(RoutingContext ctx) {
    auth.requireScope(ctx, "admin");
    JsonObject cluster = self.cluster();
    nodes.live(LIVE_SECONDS).onSuccess(list -> {
      JsonArray members = cluster.getJsonArray("members");
      int sockets = 0;
      for (int i = 0; i < list.size(); i++) {
        JsonObject n = list.getJsonObject(i);
        n.put("self", self.nodeId().equals(n.getString("id")));
        if (members != null) {
          n.put("inCluster", members.contains(n.getString("clusterMember")));
        }
        sockets += n.getInteger("sockets");
      }
      ctx.response().putHeader("Content-Type", "application/json").end(new JsonObject()
          .put("node", self.nodeId()).put("cluster", cluster).put("nodes", list).put("sockets", sockets).encode());
    }).onFailure(ctx::fail);
  }
}
