package io.herald.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.herald.retry.DeliverySeed;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code retry-failed} run in-process against a gateway's schema: it re-queues failed and dead
 * deliveries straight in the database (pending, due now) and prints a summary line.
 */
class RetryFailedCommandTest {
  static TestGateway gw;
  @RegisterExtension
  // the gateway's own retry scanner runs once at start, before any row is seeded, and not again
  // while the test looks at the rows it seeded
  static final PerClassGateway GATEWAY = new PerClassGateway(new io.vertx.core.json.JsonObject().put("retry",
      new io.vertx.core.json.JsonObject().put("scanIntervalSeconds", 3600)), g -> gw = g);
  DeliverySeed seed;
  @TempDir
  Path dir;
  Path conf;


  private CliRun retryFailed(String... options) {
    String[] args = new String[options.length + 3];
    args[0] = "retry-failed";
    args[1] = "--conf";
    args[2] = conf.toString();
    System.arraycopy(options, 0, args, 3, options.length);
    return CliRun.of(args);
  }

  @BeforeEach
  void setUp() throws Exception {
    seed = new DeliverySeed(gw);
    seed.clear();
    conf = dir.resolve("herald.json");
    Files.writeString(conf, new JsonObject().put("postgres", new JsonObject().put("uri", TestGateway.PG_URI).put("schema", gw.schema))
        .encodePrettily());
  }

  private String state(DeliverySeed.D d) {
    Row r = seed.row(d.id);
    return r.getString("status") + "/" + r.getInteger("max_attempts") + "/" + r.getOffsetDateTime("updated_at").toInstant();
  }

  // A dry run prints what would be re-queued and the summary, and changes nothing.
  @Test
  void dryRunCountsAndChangesNothing() {
    DeliverySeed.D failed = seed.delivery(d -> { });
    DeliverySeed.D dead = seed.delivery(d -> d.status = "dead");
    DeliverySeed.D sent = seed.delivery(d -> d.status = "sent");
    String before = state(failed) + state(dead) + state(sent);
    CliRun r = retryFailed("--dry-run");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.lines().contains("2 found, 0 re-queued (dry run)"), r.out());
    assertFalse(r.out().contains(failed.id.toString()), "ids only with --verbose: " + r.out());
    assertEquals(before, state(failed) + state(dead) + state(sent));
  }

  // --verbose prints one line per delivery (id, channel, destination, attempts, last error), then the summary.
  @Test
  void verboseRequeuesAndPrintsEachDelivery() {
    DeliverySeed.D dead = seed.delivery(d -> {
      d.status = "dead";
      d.channel = "sms";
      d.destination = "+15551234567";
      d.attempts = 3;
      d.maxAttempts = 3;
      d.lastError = "Twilio 30003: unreachable\nhandset";
    });
    DeliverySeed.D failed = seed.delivery(d -> d.lastError = "421 try later");
    DeliverySeed.D cancelled = seed.delivery(d -> d.status = "cancelled");
    CliRun r = retryFailed("--verbose");
    assertEquals(0, r.code(), r.err());
    String deadLine = r.lines().stream().filter(l -> l.startsWith(dead.id.toString())).findFirst().orElseThrow(() ->
        new AssertionError(r.out()));
    assertEquals(dead.id + "  sms  +15551234567  attempts 3/4  Twilio 30003: unreachable handset", deadLine);
    assertTrue(r.lines().stream().anyMatch(l -> l.startsWith(failed.id + "  email  user@example.com  attempts 1/10  421 try later")),
        r.out());
    assertTrue(r.lines().contains("2 found, 2 re-queued"), r.out());
    assertTrue(r.out().contains("retry scanner"), "says who sends them: " + r.out());

    // pending and due now: the running gateway's scanner picks them up on its next scan
    for (DeliverySeed.D d : List.of(dead, failed)) {
      Row row = seed.row(d.id);
      assertEquals("pending", row.getString("status"));
      assertTrue(row.getDouble("wait_seconds") <= 0, "due now, waits " + row.getDouble("wait_seconds"));
    }
    assertEquals(4, seed.row(dead.id).getInteger("max_attempts"), "a dead delivery gets one more attempt");
    assertEquals("cancelled", seed.status(cancelled.id));

    CliRun again = retryFailed();
    assertEquals(0, again.code(), again.err());
    assertTrue(again.lines().contains("0 found, 0 re-queued"), again.out());
  }

  // --channel, --status, --max-retries and --limit narrow what is re-queued.
  @Test
  void optionsNarrowTheSelection() {
    DeliverySeed.D deadSms = seed.delivery(d -> {
      d.status = "dead";
      d.channel = "sms";
    });
    DeliverySeed.D failedSms = seed.delivery(d -> d.channel = "sms");
    DeliverySeed.D deadEmail = seed.delivery(d -> {
      d.status = "dead";
      d.attempts = 7;
      d.maxAttempts = 7;
    });
    DeliverySeed.D criticalEmail = seed.delivery(d -> {
      d.status = "dead";
      d.priority = 0;
      d.attempts = 2;
    });
    CliRun r = retryFailed("--channel", "sms", "--status", "dead");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.lines().contains("1 found, 1 re-queued"), r.out());
    assertEquals("pending", seed.status(deadSms.id));
    assertEquals("failed", seed.status(failedSms.id));

    CliRun limited = retryFailed("--limit", "1", "--verbose");
    assertEquals(0, limited.code(), limited.err());
    assertTrue(limited.lines().contains("1 found, 1 re-queued"), limited.out());
    assertTrue(limited.out().startsWith(criticalEmail.id.toString()), "critical first: " + limited.out());
    assertTrue(limited.out().contains("--limit"), "says the limit stopped it: " + limited.out());

    CliRun capped = retryFailed("--max-retries", "5");
    assertEquals(0, capped.code(), capped.err());
    assertTrue(capped.lines().contains("1 found, 1 re-queued"), capped.out());
    assertEquals("pending", seed.status(failedSms.id));
    assertEquals(5, seed.row(failedSms.id).getInteger("max_attempts"));
    assertEquals("dead", seed.status(deadEmail.id), "7 attempts is not fewer than --max-retries 5");
  }

  // Bad options exit 2 with one line naming the option; nothing is touched.
  @Test
  void badOptionsExitTwo() {
    DeliverySeed.D failed = seed.delivery(d -> { });
    for (String[] args : List.of(new String[] {"--status", "sent"}, new String[] {"--channel", "fax"}, new String[] {"--limit", "0"},
        new String[] {"--limit", "10001"}, new String[] {"--max-retries", "0"})) {
      CliRun r = retryFailed(args);
      assertEquals(2, r.code(), String.join(" ", args) + ": " + r.out() + r.err());
      assertTrue(r.err().startsWith("herald: " + args[0] + ": "), r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
    }
    assertEquals(2, retryFailed("--limit", "many").code(), "picocli refuses a non-number");
    assertEquals(2, retryFailed("--bogus").code());
    CliRun help = CliRun.of("retry-failed", "--help");
    assertEquals(0, help.code(), help.err());
    assertTrue(help.out().contains("--max-retries"), help.out());
    assertEquals("failed", seed.status(failed.id));
  }

  // An unreachable database exits 1 with one line.
  @Test
  void databaseErrorExitsOne() throws Exception {
    Path down = dir.resolve("down.json");
    Files.writeString(down, new JsonObject().put("postgres", new JsonObject()
        .put("uri", "postgresql://postgres@127.0.0.1:" + TestGateway.freePort() + "/postgres").put("schema", gw.schema)).encode());
    CliRun r = CliRun.of("retry-failed", "--conf", down.toString());
    assertEquals(1, r.code(), r.out() + r.err());
    assertTrue(r.err().startsWith("herald: retry-failed failed: "), r.err());
  }

  // A configuration error exits 2.
  @Test
  void badConfigurationExitsTwo() throws Exception {
    Path bad = dir.resolve("bad-" + UUID.randomUUID() + ".json");
    Files.writeString(bad, new JsonObject().put("postgres", new JsonObject().put("poolSize", -1)).encode());
    CliRun r = CliRun.of("retry-failed", "--conf", bad.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().startsWith("herald: configuration error: postgres.poolSize"), r.err());
  }
}
