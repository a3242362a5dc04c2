package io.herald.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.FollowingClient;
import io.herald.JarProcess;
import io.herald.RedisServer;
import io.herald.StandIn;
import io.herald.TestGateway;
import io.herald.TestSocket;
import io.herald.config.HeraldConfig;
import io.herald.store.Db;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three nodes started from {@code target/herald.jar} on loopback: a Hazelcast cluster by TCP-IP
 * join, a private Redis for fan-out, one PostgreSQL schema, a stand-in webhook provider. Checks,
 * as clients would see it: pushes cross nodes exactly once; delivery work is shared; the node
 * holding the scheduler is killed with SIGKILL under load and clients that reconnect elsewhere
 * and resume have every acknowledged notification, its leased deliveries are sent by the others
 * and the scheduler moves; Redis is killed and restarted under load and nothing is lost; the
 * killed node rejoins; SIGTERM drains a node.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
  static final int NODES = 3;
  static final String ADMIN = TestGateway.ADMIN_KEY;

  final int[] http = new int[NODES];
  final int[] hazelcast = new int[NODES];
  final Process[] nodes = new Process[NODES];
  final Set<Integer> live = ConcurrentHashMap.newKeySet();
  final HttpClient httpClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
  final String schema = "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  Path dir;
  RedisServer redis;
  StandIn hook;
  volatile boolean hookHangs;
  Vertx vertx;
  Pool sql;
  final List<FollowingClient> clients = new ArrayList<>();
  final Map<String, Set<String>> acknowledged = new ConcurrentHashMap<>();

  @BeforeAll
  void startCluster() throws Exception {
    dir = Files.createTempDirectory("herald-cluster-it");
    redis = RedisServer.start(false);
    hook = StandIn.start(r -> hookHangs ? StandIn.Answer.hang() : StandIn.Answer.status(200));
    for (int i = 0; i < NODES; i++) {
      http[i] = TestGateway.freePort();
      hazelcast[i] = TestGateway.freePort();
    }
    for (int i = 0; i < NODES; i++) {
      start(i); // in parallel: each joins whoever is up
    }
    for (int i = 0; i < NODES; i++) {
      int n = i;
      TestGateway.eventually(() -> JarProcess.status(http[n], "/health/ready") == 200, "node " + n + " to become ready", 90);
    }
    for (int i = 0; i < NODES; i++) {
      awaitMembers(i, NODES);
    }
    vertx = Vertx.vertx();
    sql = Db.pool(vertx, new HeraldConfig.Postgres(TestGateway.PG_URI, schema, 2));
  }

  @AfterAll
  void stopCluster() throws Exception {
    clients.forEach(FollowingClient::stop);
    for (Process p : nodes) {
      if (p != null) {
        p.destroyForcibly();
        p.waitFor(20, TimeUnit.SECONDS);
      }
    }
    if (sql != null) {
      TestGateway.await(sql.close());
    }
    if (vertx != null) {
      TestGateway.await(vertx.close());
    }
    hook.close();
    redis.close();
    JarProcess.dropSchema(schema);
  }

  @Test
  @Order(1)
  void statsShowTheWholeCluster() {
    JsonObject stats = get(1, "/v1/stats");
    assertEquals(NODES, stats.getJsonObject("cluster").getJsonArray("members").size(), stats.encodePrettily());
    TestGateway.eventually(() -> get(1, "/v1/stats").getJsonArray("nodes").size() == NODES, "every node in /v1/stats");
    for (Object o : get(1, "/v1/stats").getJsonArray("nodes")) {
      JsonObject n = (JsonObject) o;
      assertTrue(n.getBoolean("inCluster"), n.encode());
      assertEquals("up", n.getJsonObject("fanout").getString("redis"), n.encode());
    }
  }

  @Test
  @Order(2)
  void notificationsAndBroadcastsReachSocketsOnEveryNodeExactlyOnce() throws Exception {
    // GIVEN users with sockets spread over the nodes, one user on all three, an ops holder on each
    Map<String, List<TestSocket>> sockets = new HashMap<>();
    for (int u = 0; u < 6; u++) {
      sockets.put("x" + u, List.of(socket(u % NODES, "x" + u)));
    }
    List<TestSocket> everywhere = new ArrayList<>();
    List<TestSocket> ops = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      everywhere.add(socket(i, "multi"));
      ops.add(socket(i, "op" + i, "ops"));
    }
    sockets.put("multi", everywhere);
    sockets.values().forEach(list -> list.forEach(s -> s.next("welcome")));
    ops.forEach(s -> s.next("welcome"));
    // WHEN each user is sent five notifications, each through a different node than the last
    Map<String, List<String>> sent = new HashMap<>();
    int k = 0;
    for (String user : sockets.keySet()) {
      for (int j = 0; j < 5; j++) {
        sent.computeIfAbsent(user, x -> new ArrayList<>()).add(ingest(k++ % NODES, user, "n" + j));
      }
    }
    // THEN every socket gets its user's five, in order, once
    for (var e : sockets.entrySet()) {
      for (TestSocket s : e.getValue()) {
        List<String> got = new ArrayList<>();
        for (int j = 0; j < 5; j++) {
          got.add(s.next("notification").getJsonObject("notification").getString("id"));
        }
        assertEquals(sent.get(e.getKey()), got, e.getKey());
        s.expectNone("notification", 300);
      }
    }
    // and a role broadcast sent through one node reaches the holders on all three once
    assertEquals(202, post(1, "/v1/broadcasts", new JsonObject().put("message", "to ops").put("roles", new JsonArray().add("ops")))
        .statusCode());
    for (TestSocket s : ops) {
      assertEquals("to ops", s.next("broadcast").getString("message"));
      s.expectNone("broadcast", 300);
    }
    sockets.values().forEach(list -> list.forEach(TestSocket::close));
    ops.forEach(TestSocket::close);
  }

  @Test
  @Order(3)
  void deliveryWorkIsSharedByTheNodesThroughTheEventBus() throws Exception {
    List<String> deliveries = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      deliveries.add(webhook(0, "w" + i));
    }
    TestGateway.eventually(() -> count("SELECT count(*) FROM deliveries WHERE status = 'sent' AND channel = 'webhook'") >= 60,
        "the 60 webhook deliveries to be sent", 60);
    long workers = count("SELECT count(DISTINCT node) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id "
        + "WHERE d.destination IS NOT NULL AND a.outcome = 'sent'");
    assertTrue(workers >= 2, "all 60 were ingested on node 0, yet only " + workers + " node(s) sent them");
  }

  @Test
  @Order(4)
  void killingTheSchedulerNodeUnderLoadLosesNothing() throws Exception {
    int victim = schedulerNode();
    String victimId = nodeId(victim);
    // GIVEN following clients on every node, each having seen a first notification
    for (int u = 0; u < 9; u++) {
      int first = u % NODES;
      AtomicInteger turn = new AtomicInteger(first);
      FollowingClient c = new FollowingClient(vertx, "f" + u, () -> nextLive(turn));
      clients.add(c);
      c.connect();
    }
    TestGateway.eventually(() -> clients.stream().allMatch(FollowingClient::connected), "every following client to connect");
    for (FollowingClient c : clients) {
      acknowledged.computeIfAbsent(c.user, x -> ConcurrentHashMap.newKeySet()).add(ingest(0, c.user, "hello"));
    }
    TestGateway.eventually(() -> clients.stream().allMatch(c -> c.received.size() == 1), "every client to see its first notification");
    long onVictim = clients.stream().filter(c -> c.node() == http[victim]).count();
    assertTrue(onVictim > 0, "some clients are on the node that will be killed");
    // and webhook deliveries hanging at the provider, some of them leased by the victim
    hookHangs = true;
    List<String> hung = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      hung.add(webhook((victim + 1) % NODES, "h" + i));
    }

    // WHEN it is killed with SIGKILL while notifications keep coming (and while its provider calls hang)
    Load load = new Load(6_000);
    load.start();
    Thread.sleep(2_000);
    TestGateway.eventually(() -> count("SELECT count(*) FROM deliveries WHERE status = 'sending' AND lease_owner = '" + victimId + "'") > 0,
        "the victim to hold a delivery lease");
    kill(victim);
    load.join();
    hookHangs = false;

    // THEN every acknowledged notification reached its client (after reconnecting and resuming)
    assertTrue(load.acked.get() > 100, "the load went on: " + load.acked.get() + " acknowledged, " + load.refused.get() + " refused");
    awaitEverythingReceived("after the node was killed");
    assertTrue(clients.stream().filter(c -> c.reconnects.get() > 0).count() >= onVictim, "clients of the dead node reconnected");
    assertTrue(clients.stream().noneMatch(c -> c.node() == http[victim]), "no client is on the dead node");
    // the deliveries it had leased are sent by the others once the lease ran out
    TestGateway.eventually(() -> count("SELECT count(*) FROM deliveries WHERE id = ANY('{" + String.join(",", hung)
        + "}'::uuid[]) AND status = 'sent'") == hung.size(), "every hung delivery to be sent in the end", 60);
    assertTrue(count("SELECT count(*) FROM delivery_attempts WHERE node = '" + victimId + "' AND outcome = 'lease_expired'") > 0,
        "the dead node's attempts are on record as lease_expired");
    assertTrue(count("SELECT count(*) FROM delivery_attempts a WHERE a.outcome = 'sent' AND a.node <> '" + victimId
        + "' AND EXISTS (SELECT 1 FROM delivery_attempts b WHERE b.delivery_id = a.delivery_id AND b.node = '" + victimId
        + "' AND b.outcome = 'lease_expired')") > 0, "another node sent what the dead one had leased");
    // and the scheduler moved to a live node, which releases scheduled notifications
    TestGateway.eventually(() -> {
      String owner = scalar("SELECT owner FROM job_leases WHERE name = 'scheduler' AND expires_at > now()");
      return owner != null && !owner.equals(victimId);
    }, "another node to take the scheduler over", 30);
    FollowingClient c0 = clients.get(0);
    String scheduled = ingestTo(nextLive(new AtomicInteger()), c0.user, "later", Instant.now().plusSeconds(1).toString());
    acknowledged.get(c0.user).add(scheduled);
    TestGateway.eventually(() -> c0.received.contains(scheduled), "a scheduled notification to be released after the takeover");
    for (int i = 0; i < NODES; i++) {
      if (live.contains(i)) {
        awaitMembers(i, NODES - 1);
      }
    }
  }

  @Test
  @Order(5)
  void redisKilledAndRestartedUnderLoadLosesNothing() throws Exception {
    Load load = new Load(5_000);
    load.start();
    Thread.sleep(1_500);
    redis.down();
    Thread.sleep(1_500);
    redis.up();
    load.join();
    assertTrue(load.acked.get() > 100, "the load went on: " + load.acked.get() + " acknowledged, " + load.refused.get() + " refused");
    awaitEverythingReceived("after Redis was restarted");
    for (int i : live) {
      JsonObject ready = get(i, "/health/ready");
      assertEquals("UP", ready.getJsonObject("checks").getString("redis"), ready.encode());
    }
  }

  @Test
  @Order(6)
  void theKilledNodeRejoinsAndSigtermDrainsANode() throws Exception {
    int back = -1;
    for (int i = 0; i < NODES; i++) {
      if (!live.contains(i)) {
        back = i;
      }
    }
    int rejoined = back;
    start(rejoined);
    TestGateway.eventually(() -> JarProcess.status(http[rejoined], "/health/ready") == 200, "the killed node to be ready again", 90);
    awaitMembers(rejoined, NODES);
    // WHEN a node gets SIGTERM while a socket is open on it
    int drained = (rejoined + 1) % NODES;
    TestSocket s = socket(drained, "drain-user");
    s.next("welcome");
    nodes[drained].destroy(); // SIGTERM
    live.remove(drained);
    // THEN the socket is closed with 1001 and told to reconnect, the process exits cleanly, the cluster shrinks
    TestSocket.Closed closed = s.awaitClose();
    assertEquals((short) 1001, closed.code());
    assertTrue(closed.reason().contains("reconnect"), closed.reason());
    assertTrue(nodes[drained].waitFor(60, TimeUnit.SECONDS), "the drained node exits");
    assertEquals(0, nodes[drained].exitValue());
    awaitMembers(rejoined, NODES - 1);
    assertEquals(0, count("SELECT count(*) FROM nodes WHERE address = '127.0.0.1:" + http[drained] + "'"), "its row is gone");
  }

  // ---- the cluster ----

  private void start(int i) throws Exception {
    JsonArray members = new JsonArray();
    for (int j = 0; j < NODES; j++) {
      members.add("127.0.0.1:" + hazelcast[j]);
    }
    JsonObject conf = new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", http[i]).put("instances", 1).put("shutdownTimeoutSeconds", 3))
        .put("postgres", new JsonObject().put("schema", schema).put("poolSize", 4))
        .put("redis", new JsonObject().put("uri", redis.uri()))
        .put("cluster", new JsonObject().put("enabled", true).put("host", "127.0.0.1").put("port", hazelcast[i]).put("members", members)
            .put("jobLeaseSeconds", 3))
        .put("auth", new JsonObject()
            .put("apiKeys", new JsonArray().add(new JsonObject().put("name", "it").put("key", ADMIN)
                .put("scopes", new JsonArray().add("ingest").add("broadcast").add("admin"))))
            .put("jwt", new JsonObject().put("secret", TestGateway.JWT_SECRET)))
        .put("channels", new JsonObject().put("webhook", new JsonObject().put("enabled", true).put("url", hook.url() + "/in")
            .put("secret", "whsec_MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3Bx").put("timeoutSeconds", 10)))
        // provider calls hang for longer than the kill takes, so the victim still holds leases when it dies
        .put("retry", new JsonObject().put("scanIntervalSeconds", 1).put("leaseSeconds", 12).put("pendingGraceSeconds", 1)
            .put("backoff", new JsonArray().add("1s")));
    Path nodeDir = Files.createDirectories(dir.resolve("node" + i));
    nodes[i] = JarProcess.start(nodeDir, conf, nodeDir.resolve("out.log"));
    live.add(i);
  }

  private void kill(int i) throws InterruptedException {
    live.remove(i);
    nodes[i].destroyForcibly();
    assertTrue(nodes[i].waitFor(20, TimeUnit.SECONDS));
  }

  private void awaitMembers(int i, int members) {
    TestGateway.eventually(() -> {
      JsonObject stats = get(i, "/v1/stats");
      return stats != null && stats.getJsonObject("cluster").getJsonArray("members").size() == members;
    }, "node " + i + " to see " + members + " cluster members", 60);
  }

  private int nextLive(AtomicInteger turn) {
    for (int tries = 0; tries < NODES; tries++) {
      int i = Math.floorMod(turn.getAndIncrement(), NODES);
      if (live.contains(i)) {
        return http[i];
      }
    }
    throw new IllegalStateException("no live node");
  }

  private int schedulerNode() {
    TestGateway.eventually(() -> scalar("SELECT owner FROM job_leases WHERE name = 'scheduler'") != null, "a scheduler lease");
    String owner = scalar("SELECT owner FROM job_leases WHERE name = 'scheduler'");
    String address = scalar("SELECT address FROM nodes WHERE node_id = '" + owner + "'");
    for (int i = 0; i < NODES; i++) {
      if (("127.0.0.1:" + http[i]).equals(address)) {
        return i;
      }
    }
    throw new AssertionError("the scheduler's holder " + owner + " is not one of the nodes (" + address + ")");
  }

  private String nodeId(int i) {
    return scalar("SELECT node_id FROM nodes WHERE address = '127.0.0.1:" + http[i] + "'");
  }

  private void awaitEverythingReceived(String when) {
    try {
      TestGateway.eventually(() -> clients.stream().allMatch(c -> c.received.containsAll(acknowledged.get(c.user))),
          "every acknowledged notification to reach its client " + when, 60);
    } catch (AssertionError e) {
      StringBuilder missing = new StringBuilder();
      for (FollowingClient c : clients) {
        Set<String> lost = new HashSet<>(acknowledged.get(c.user));
        lost.removeAll(c.received);
        missing.append(c.user).append(": ").append(lost.size()).append(" missing of ").append(acknowledged.get(c.user).size())
            .append(", on port ").append(c.node()).append(", reconnects ").append(c.reconnects.get()).append('\n');
      }
      throw new AssertionError(e.getMessage() + "\n" + missing + logs(), e);
    }
  }

  private String logs() {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < NODES; i++) {
      try {
        List<String> lines = Files.readAllLines(dir.resolve("node" + i).resolve("out.log"));
        out.append("--- node ").append(i).append(" (last 40 lines) ---\n");
        lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(l -> out.append(l).append('\n'));
      } catch (Exception e) {
        out.append("(no log for node ").append(i).append(")\n");
      }
    }
    return out.toString();
  }

  /** Steady ingest for {@code millis}: one notification every 10 ms to the following clients' users, through live nodes in turn. */
  final class Load extends Thread {
    final long millis;
    final AtomicInteger acked = new AtomicInteger();
    final AtomicInteger refused = new AtomicInteger();

    Load(long millis) {
      this.millis = millis;
    }

    @Override
    public void run() {
      long end = System.currentTimeMillis() + millis;
      AtomicInteger turn = new AtomicInteger();
      int k = 0;
      while (System.currentTimeMillis() < end) {
        FollowingClient c = clients.get(k++ % clients.size());
        try {
          int port = nextLive(turn);
          HttpResponse<String> r = send(port, "/v1/notifications", new JsonObject().put("recipient", c.user).put("title", "load " + k));
          if (r.statusCode() == 202) {
            acknowledged.get(c.user).add(new JsonObject(r.body()).getString("id"));
            acked.incrementAndGet();
          } else {
            refused.incrementAndGet();
          }
        } catch (Exception e) {
          refused.incrementAndGet(); // the node died mid-request: not acknowledged, so not owed
        }
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  // ---- HTTP, sockets, SQL ----

  private TestSocket socket(int i, String user, String... roles) {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(http[i])
        .setURI("/v1/ws?token=" + TestGateway.token(user, roles));
    return TestGateway.await(TestSocket.connect(vertx.createWebSocketClient(), options));
  }

  private String ingest(int i, String user, String title) throws Exception {
    return ingestTo(http[i], user, title, null);
  }

  private String ingestTo(int port, String user, String title, String sendAt) throws Exception {
    JsonObject body = new JsonObject().put("recipient", user).put("title", title);
    if (sendAt != null) {
      body.put("sendAt", sendAt);
    }
    HttpResponse<String> r = send(port, "/v1/notifications", body);
    assertEquals(202, r.statusCode(), r.body());
    return new JsonObject(r.body()).getString("id");
  }

  /** Ingests a webhook notification on node {@code i}; answers its delivery's id. */
  private String webhook(int i, String user) throws Exception {
    HttpResponse<String> r = send(http[i], "/v1/notifications", new JsonObject().put("recipient", user).put("title", "hook")
        .put("channels", new JsonArray().add("webhook")));
    assertEquals(202, r.statusCode(), r.body());
    return new JsonObject(r.body()).getJsonArray("deliveries").getJsonObject(0).getString("id");
  }

  private HttpResponse<String> post(int i, String path, JsonObject body) throws Exception {
    return send(http[i], path, body);
  }

  private HttpResponse<String> send(int port, String path, JsonObject body) throws Exception {
    return httpClient.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5))
        .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonObject get(int i, String path) {
    try {
      HttpResponse<String> r = httpClient.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http[i] + path))
          .timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + ADMIN).GET().build(), HttpResponse.BodyHandlers.ofString());
      return new JsonObject(r.body());
    } catch (Exception e) {
      return null;
    }
  }

  private long count(String statement) {
    return TestGateway.await(sql.query(statement).execute()).iterator().next().getLong(0);
  }

  private String scalar(String statement) {
    var rows = TestGateway.await(sql.query(statement).execute());
    if (rows.size() == 0) {
      return null;
    }
    Row r = rows.iterator().next();
    return r.getValue(0) == null ? null : String.valueOf(r.getValue(0));
  }
}
