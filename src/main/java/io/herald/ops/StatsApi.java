package io.herald.ops;

import io.herald.auth.Authenticator;
import io.herald.store.AlertStore;
import io.herald.store.NodeStore;
import io.herald.store.Notification;
import io.herald.store.StatsStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * {@code GET /v1/stats} (scope {@code admin}): the node answering, the cluster as it sees it, and
 * every node heard from recently with its open sockets and fan-out state; then the cluster's
 * delivery figures from the database (see {@link StatsStore#overview}): windows, queue, oldest
 * waiting delivery, dead letter, and the last hour minute by minute; and the active alerts.
 */
public final class StatsApi {
  /** A node silent for this long (three missed heartbeats) is left out: it died or was cut off. */
  static final int LIVE_SECONDS = (int) (3 * HeartbeatVerticle.EVERY_MS / 1000);

  private final Authenticator auth;
  private final NodeStore nodes;
  private final NodeInfo self;
  private final StatsStore stats;
  private final List<String> channels;
  private final Clock clock;
  private final AlertStore alerts;

  /** {@code channels}: the enabled external channels, listed (with zeros) even before they have any rows. */
  public StatsApi(Authenticator auth, NodeStore nodes, NodeInfo self, StatsStore stats, List<String> channels, Clock clock,
      AlertStore alerts) {
    this.auth = auth;
    this.nodes = nodes;
    this.self = self;
    this.stats = stats;
    this.channels = channels;
    this.clock = clock;
    this.alerts = alerts;
  }

  public void mount(Router router) {
    router.get("/v1/stats").handler(this::stats);
  }

  private void stats(RoutingContext ctx) {
    auth.requireScope(ctx, "admin");
    JsonObject cluster = self.cluster();
    OffsetDateTime now = OffsetDateTime.now(clock);
    Future<JsonArray> live = nodes.live(LIVE_SECONDS);
    Future<JsonObject> figures = stats.overview(now, channels);
    Future<JsonArray> active = alerts.activeJson();
    Future.all(live, figures, active).onSuccess(all -> {
      JsonArray list = live.result();
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
      JsonObject body = new JsonObject().put("node", self.nodeId()).put("cluster", cluster).put("nodes", list).put("sockets", sockets)
          .put("at", Notification.iso(now));
      body.mergeIn(figures.result());
      // what each admin was sent is in GET /v1/alerts; the overview needs the alerts themselves
      active.result().forEach(a -> ((JsonObject) a).remove("notifications"));
      body.put("alerts", active.result());
      ctx.response().putHeader("Content-Type", "application/json").end(body.encode());
    }).onFailure(ctx::fail);
  }
}
