package io.herald.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.TestGateway;
import io.herald.config.HeraldConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Migrations against the real PostgreSQL, each test in a schema of its own. */
class MigrationsTest {
  private Vertx vertx;
  private String schema;
  private final List<Pool> pools = new ArrayList<>();

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    schema = "m_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  @AfterEach
  void tearDown() {
    Pool admin = pool();
    TestGateway.await(admin.query("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE").execute());
    pools.forEach(p -> TestGateway.await(p.close()));
    TestGateway.await(vertx.close());
  }

  private Pool pool() {
    Pool p = Db.pool(vertx, new HeraldConfig.Postgres(TestGateway.PG_URI, schema, 2));
    pools.add(p);
    return p;
  }

  // Creates the missing schema, applies every bundled file once and records it; a second run does nothing.
  @Test
  void appliesInOrderIntoAFreshSchemaAndOnlyOnce() {
    List<String> applied = TestGateway.await(Migrations.apply(pool(), schema));
    List<String> bundled = Migrations.bundled().stream().map(Migrations.Migration::version).toList();
    assertEquals(bundled, applied);
    Pool p = pool();
    long recorded = TestGateway.await(p.query("SELECT count(*) FROM \"" + schema + "\".schema_migrations").execute())
        .iterator().next().getLong(0);
    assertEquals(bundled.size(), recorded);
    long tables = TestGateway.await(p.query("SELECT count(*) FROM information_schema.tables WHERE table_schema = '" + schema
        + "' AND table_name IN ('notifications', 'inbox')").execute()).iterator().next().getLong(0);
    assertEquals(2, tables);
    assertEquals(List.of(), TestGateway.await(Migrations.apply(pool(), schema)));
    assertTrue(TestGateway.await(Migrations.upToDate(p)));
  }

  // Four nodes starting at once: the advisory lock lets exactly one apply; none fails.
  @Test
  void concurrentStartsApplyOnce() {
    List<Future<List<String>>> runs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      runs.add(Migrations.apply(pool(), schema));
    }
    TestGateway.await(Future.all(runs));
    long appliers = runs.stream().filter(f -> !f.result().isEmpty()).count();
    assertEquals(1, appliers, "exactly one start applies the migrations");
    long recorded = TestGateway.await(pool().query("SELECT count(*) FROM \"" + schema + "\".schema_migrations").execute())
        .iterator().next().getLong(0);
    assertEquals(Migrations.bundled().size(), recorded);
  }

  // A migration edited after it shipped stops start-up with a message naming it.
  @Test
  void refusesAChangedMigration() {
    TestGateway.await(Migrations.apply(pool(), schema));
    String first = Migrations.bundled().get(0).version();
    TestGateway.await(pool().query("UPDATE \"" + schema + "\".schema_migrations SET checksum = 'edited' WHERE version = '" + first + "'")
        .execute());
    RuntimeException e = assertThrows(RuntimeException.class, () -> TestGateway.await(Migrations.apply(pool(), schema)));
    assertTrue(e.getMessage().contains(first), e.getMessage());
  }
}
