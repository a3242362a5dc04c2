package io.herald.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.TestGateway;
import io.herald.auth.Jwt;
import io.herald.auth.Principal;
import io.herald.config.HeraldConfig;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: migrate, token, configuration errors, the default command. */
class CommandLineTest {
  @TempDir
  Path dir;

  private Path conf(JsonObject json) throws Exception {
    Path file = dir.resolve("herald-" + UUID.randomUUID() + ".json");
    Files.writeString(file, json.encodePrettily());
    return file;
  }

  // `migrate` applies the migrations into the configured schema, then says it is up to date.
  @Test
  void migrateAppliesThenReportsUpToDate() throws Exception {
    String schema = "c_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    Path file = conf(new JsonObject().put("postgres", new JsonObject().put("schema", schema)));
    try (TestGatewaySchema ignored = new TestGatewaySchema(schema)) {
      CliRun first = CliRun.of("migrate", "--conf", file.toString());
      assertEquals(0, first.code(), first.err());
      assertTrue(first.out().contains("applied V001__notifications"), first.out());
      CliRun second = CliRun.of("migrate", "--conf", file.toString());
      assertEquals(0, second.code(), second.err());
      assertTrue(second.out().contains("up to date"), second.out());
    }
  }

  // `token` prints a JWT that the gateway's own verifier accepts, with the roles asked for.
  @Test
  void tokenPrintsAVerifiableJwt() throws Exception {
    Path file = conf(new JsonObject().put("auth", new JsonObject().put("jwt", new JsonObject().put("secret", "a-secret-for-tokens")
        .put("issuer", "herald-test"))));
    CliRun r = CliRun.of("token", "--conf", file.toString(), "--user", "alice", "--roles", "admin,staff");
    assertEquals(0, r.code(), r.err());
    HeraldConfig.Jwt cfg = new HeraldConfig.Jwt("HS256", "a-secret-for-tokens", null, "herald-test", null, 0);
    Principal p = new Jwt(cfg, Clock.systemUTC()).verify(r.out().trim());
    assertEquals("alice", p.name());
    assertEquals(Set.of("admin", "staff"), p.roles());
  }

  // A bad value stops the command with one line naming the key, exit code 2.
  @Test
  void badConfigurationIsOneLineNamingTheKey() throws Exception {
    Path file = conf(new JsonObject().put("http", new JsonObject().put("port", 70000)));
    CliRun r = CliRun.of("migrate", "--conf", file.toString());
    assertEquals(2, r.code());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().startsWith("herald: configuration error: http.port:"), r.err());
  }

  // No command, or only --conf, means serve.
  @Test
  void serveIsTheDefaultCommand() {
    assertArrayEquals(new String[] {"serve"}, Main.withDefaultCommand(new String[0]));
    assertArrayEquals(new String[] {"serve", "--conf", "x.json"}, Main.withDefaultCommand(new String[] {"--conf", "x.json"}));
    assertArrayEquals(new String[] {"migrate"}, Main.withDefaultCommand(new String[] {"migrate"}));
  }

  /** Drops the schema afterwards. */
  private static final class TestGatewaySchema implements AutoCloseable {
    private final String schema;

    TestGatewaySchema(String schema) {
      this.schema = schema;
    }

    @Override
    public void close() {
      io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
      try {
        var pool = io.herald.store.Db.pool(vertx, new HeraldConfig.Postgres(TestGateway.PG_URI, schema, 1));
        TestGateway.await(pool.query("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE").execute());
        TestGateway.await(pool.close());
      } finally {
        TestGateway.await(vertx.close());
      }
    }
  }
}
