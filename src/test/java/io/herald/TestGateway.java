package io.herald;

import io.herald.auth.Jwt;
import io.herald.cli.Gateway;
import io.herald.config.ConfigLoader;
import io.herald.config.HeraldConfig;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real gateway for one test class: its own schema (dropped on close), a free port, known keys
 * and JWT secret, plus HTTP, WebSocket and SQL helpers that block with a deadline.
 */
public final class TestGateway implements AutoCloseable {
  public static final String ADMIN_KEY = "test-admin-key-0123456789";
  public static final String INGEST_KEY = "test-ingest-key-0123456789";
  public static final String JWT_SECRET = "test-jwt-secret-0123456789abcdef";
  public static final String PG_URI = "postgresql://postgres@127.0.0.1:5432/postgres";

  public final String schema;
  public final int port;
  public final Vertx client;
  public final WebClient http;
  private final JsonObject overrides;
  /** Whether closing this gateway drops the schema (false for a peer: another node on the same schema). */
  private final boolean ownsSchema;
  private Gateway gateway;
  private Pool sql;

  private TestGateway(JsonObject overrides, String schema, int port) {
    this(overrides, schema, port, true);
  }

  private TestGateway(JsonObject overrides, String schema, int port, boolean ownsSchema) {
    this.overrides = overrides;
    this.ownsSchema = ownsSchema;
    this.schema = schema;
    this.port = port;
    this.client = Vertx.vertx();
    this.http = WebClient.create(client);
  }

  public static TestGateway start() {
    return start(new JsonObject());
  }

  /** Starts with the test defaults merged with {@code extra} (deep merge). */
  public static TestGateway start(JsonObject extra) {
    String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    int port = freePort();
    JsonObject conf = new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", port).put("instances", 2).put("shutdownTimeoutSeconds", 5))
        .put("postgres", new JsonObject().put("uri", PG_URI).put("schema", schema).put("poolSize", 4))
        .put("auth", new JsonObject()
            .put("apiKeys", new JsonArray()
                .add(new JsonObject().put("name", "admin").put("key", ADMIN_KEY).put("scopes", new JsonArray().add("ingest").add("broadcast").add("admin")))
                .add(new JsonObject().put("name", "ingest").put("key", INGEST_KEY).put("scopes", new JsonArray().add("ingest"))))
            .put("jwt", new JsonObject().put("algorithm", "HS256").put("secret", JWT_SECRET))
            .put("allowedOrigins", new JsonArray().add("http://app.example")));
    conf = conf.mergeIn(extra, true);
    TestGateway t = new TestGateway(conf, schema, port);
    t.boot();
    return t;
  }

  /**
   * Another node of the same gateway: the same configuration and schema (merged with {@code extra}),
   * its own port. Closing it leaves the schema to this gateway.
   */
  public TestGateway peer(JsonObject extra) {
    int peerPort = freePort();
    JsonObject conf = overrides.copy().mergeIn(extra, true);
    conf.getJsonObject("http").put("port", peerPort);
    TestGateway t = new TestGateway(conf, schema, peerPort, false);
    t.boot();
    return t;
  }

  public HeraldConfig config() {
    return ConfigLoader.fromJson(overrides);
  }

  private void boot() {
    gateway = await(Gateway.start(config()));
  }

  public Gateway gateway() {
    return gateway;
  }

  /** Stops the gateway gracefully and starts a new one on the same schema and port. */
  public void restart() {
    await(gateway.stop());
    boot();
  }

  public void stop() {
    if (gateway != null) {
      await(gateway.stop());
      gateway = null;
    }
  }

  /** Starts the gateway again after {@link #stop()}: the same configuration, schema and port. */
  public void startAgain() {
    if (gateway == null) {
      boot();
    }
  }

  @Override
  public void close() {
    try {
      stop();
    } finally {
      if (ownsSchema) {
        query("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
      }
      if (sql != null) {
        await(sql.close());
      }
      await(client.close());
    }
  }

  // ---- HTTP ----

  public HttpResponse<Buffer> request(HttpMethod method, String path, String bearer, Object body) {
    var req = http.request(method, port, "127.0.0.1", path);
    if (bearer != null) {
      req.putHeader("Authorization", "Bearer " + bearer);
    }
    if (body == null) {
      return await(req.send());
    }
    req.putHeader("Content-Type", "application/json");
    Buffer buffer = body instanceof Buffer b ? b : body instanceof String s ? Buffer.buffer(s) : ((JsonObject) body).toBuffer();
    return await(req.sendBuffer(buffer));
  }

  public HttpResponse<Buffer> post(String path, String bearer, Object body) {
    return request(HttpMethod.POST, path, bearer, body);
  }

  public HttpResponse<Buffer> get(String path, String bearer) {
    return request(HttpMethod.GET, path, bearer, null);
  }

  /** Ingests a notification for one user and returns its id (asserting 202). */
  public String notify(String user, String title) {
    HttpResponse<Buffer> r = post("/v1/notifications", INGEST_KEY, new JsonObject().put("recipient", user).put("title", title));
    if (r.statusCode() != 202) {
      throw new AssertionError("ingest answered " + r.statusCode() + ": " + r.bodyAsString());
    }
    return r.bodyAsJsonObject().getString("id");
  }

  public static String token(String user, String... roles) {
    long now = Instant.now().getEpochSecond();
    return Jwt.sign("HS256", JWT_SECRET, null, new JsonObject().put("sub", user).put("roles", new JsonArray(List.of(roles)))
        .put("iat", now).put("exp", now + 3600));
  }

  // ---- WebSocket ----

  public static final String ORIGIN = "http://app.example";

  /** A WebSocket from an allowed browser origin, the token in the query string. */
  public TestSocket socket(String token) {
    return socket("/v1/ws?token=" + token, MultiMap.caseInsensitiveMultiMap().add("Origin", ORIGIN));
  }

  public TestSocket socket(String uri, MultiMap headers) {
    // allowOriginHeader false makes the Vert.x client strip every Origin header, the caller's too;
    // true keeps the caller's and adds none of its own only when the caller gave one
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri)
        .setHeaders(headers).setAllowOriginHeader(headers.contains("Origin"));
    return await(TestSocket.connect(client, options));
  }

  /** Attempts a WebSocket handshake and returns the HTTP status it was refused with (or 101). */
  public int handshakeStatus(String uri, MultiMap headers) {
    try {
      TestSocket s = socket(uri, headers);
      s.close();
      return 101;
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      if (cause instanceof io.vertx.core.http.UpgradeRejectedException rejected) {
        return rejected.getStatus();
      }
      throw e;
    }
  }

  // ---- SQL ----

  public synchronized Pool sql() {
    if (sql == null) {
      sql = PgBuilder.pool().with(new PoolOptions().setMaxSize(2))
          .connectingTo(PgConnectOptions.fromUri(PG_URI).addProperty("search_path", schema)).using(client).build();
    }
    return sql;
  }

  public RowSet<Row> query(String statement) {
    return await(sql().query(statement).execute());
  }

  public long count(String statement) {
    return query(statement).iterator().next().getLong(0);
  }

  // ---- utilities ----

  public static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new RuntimeException(e.getCause().getMessage(), e.getCause());
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  /** A real SMTP server (GreenMail) on a free local port, started; the caller stops it. */
  public static com.icegreen.greenmail.util.GreenMail smtp() {
    var mail = new com.icegreen.greenmail.util.GreenMail(new com.icegreen.greenmail.util.ServerSetup(freePort(), "127.0.0.1", "smtp"));
    mail.start();
    return mail;
  }

  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Polls {@code condition} until it holds or the deadline passes. */
  public static void eventually(java.util.function.BooleanSupplier condition, String what) {
    eventually(condition, what, 10);
  }

  /** Waits up to {@code seconds} for {@code condition}. */
  public static void eventually(java.util.function.BooleanSupplier condition, String what, int seconds) {
    long deadline = System.currentTimeMillis() + seconds * 1000L;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
