package io.herald.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;

/** The directory of running nodes ({@code nodes}): each node's heartbeat, and everyone's for /v1/stats. */
public final class NodeStore {
  private static final String BEAT = "INSERT INTO nodes (node_id, cluster_member, address, started_at, seen_at, sockets, draining, fanout) "
      + "VALUES ($1, $2, $3, $4, now(), $5, $6, $7) ON CONFLICT (node_id) DO UPDATE SET cluster_member = EXCLUDED.cluster_member, "
      + "address = EXCLUDED.address, seen_at = now(), sockets = EXCLUDED.sockets, draining = EXCLUDED.draining, fanout = EXCLUDED.fanout";
  private static final String GONE = "DELETE FROM nodes WHERE node_id = $1";
  /** Nodes heard from within {@code $1} seconds, and rows of nodes silent for an hour are cleared away. */
  private static final String LIVE = "WITH old AS (DELETE FROM nodes WHERE seen_at < now() - interval '1 hour') "
      + "SELECT node_id, cluster_member, address, started_at, seen_at, sockets, draining, fanout, "
      + "extract(epoch FROM now() - seen_at)::float8 AS silent FROM nodes WHERE seen_at >= now() - $1 * interval '1 second' "
      + "ORDER BY started_at, node_id";

  private final Pool pool;

  public NodeStore(Pool pool) {
    this.pool = pool;
  }

  /** What a node reports about itself. */
  public record Beat(String nodeId, String clusterMember, String address, OffsetDateTime startedAt, int sockets, boolean draining,
                     JsonObject fanout) {
  }

  public Future<Void> beat(Beat b) {
    return pool.preparedQuery(BEAT).execute(Tuple.tuple().addValue(b.nodeId()).addValue(b.clusterMember()).addValue(b.address())
        .addValue(b.startedAt()).addValue(b.sockets()).addValue(b.draining()).addValue(b.fanout())).mapEmpty();
  }

  public Future<Void> gone(String nodeId) {
    return pool.preparedQuery(GONE).execute(Tuple.of(nodeId)).mapEmpty();
  }

  /** Nodes heard from within {@code withinSeconds}, oldest first, as the stats API shows them. */
  public Future<JsonArray> live(int withinSeconds) {
    return pool.preparedQuery(LIVE).execute(Tuple.of(withinSeconds)).map(rows -> {
      JsonArray out = new JsonArray();
      for (Row r : rows) {
        out.add(new JsonObject().put("id", r.getString("node_id")).put("clusterMember", r.getString("cluster_member"))
            .put("address", r.getString("address")).put("startedAt", Notification.iso(r.getOffsetDateTime("started_at")))
            .put("seenAt", Notification.iso(r.getOffsetDateTime("seen_at"))).put("sockets", r.getInteger("sockets"))
            .put("draining", r.getBoolean("draining")).put("fanout", r.getJsonObject("fanout")));
      }
      return out;
    });
  }
}
