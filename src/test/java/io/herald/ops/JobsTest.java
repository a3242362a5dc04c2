package io.herald.ops;

import static io.herald.TestGateway.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.herald.LogCapture;
import io.herald.TestGateway;
import io.herald.config.Cron;
import io.herald.store.JobRunStore;
import io.herald.store.LeaseStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Scheduling: a job runs at its cron times on the clock it is given, once per due time, once after
 * a missed period, never twice at once, only on the node holding the jobs lease; a failed run
 * waits for the next time. Each test uses its own lease and job names on one gateway's schema.
 */
class JobsTest {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    gw = TestGateway.start();
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  /** A clock the test moves. */
  static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(String now) {
      this.now = Instant.parse(now);
    }

    void set(String instant) {
      now = Instant.parse(instant);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  static final Function<BooleanSupplier, Future<JobsVerticle.Outcome>> NOTHING =
      keepGoing -> Future.succeededFuture(new JobsVerticle.Outcome("did nothing", Map.of()));

  /** A jobs verticle on its own node, deployed on the test's Vert.x; ticks come from the test (the timer's period is an hour). */
  static JobsVerticle deploy(String lease, String node, Clock clock, JobsVerticle.Job... jobs) {
    JobsVerticle v = new JobsVerticle(List.of(jobs), ZoneOffset.UTC, new JobLease(new LeaseStore(gw.sql()), lease, node, 3),
        new JobRunStore(gw.sql()), clock, 3_600_000);
    await(gw.client.deployVerticle(v));
    return v;
  }

  static JobsVerticle.Job counting(String name, AtomicInteger runs) {
    return new JobsVerticle.Job(name, Cron.parse("17 3 * * *"), keepGoing -> {
      runs.incrementAndGet();
      return NOTHING.apply(keepGoing);
    });
  }

  static Row runRow(String job) {
    return gw.query("SELECT due_after, outcome, summary FROM job_runs WHERE name = '" + job + "'").iterator().next();
  }

  @Test
  void runsAtItsTimeOnceAndOnceAfterAMissedPeriod() {
    MutableClock clock = new MutableClock("2025-01-06T03:10:00Z");
    AtomicInteger runs = new AtomicInteger();
    JobsVerticle node = deploy("lease-a", "node-a", clock, counting("daily-a", runs));
    TestGateway.eventually(() -> await(node.tick()), "node-a to hold the jobs lease");
    assertEquals(0, runs.get(), "a job seen for the first time waits for its next time");

    clock.set("2025-01-06T03:16:59Z");
    assertTrue(await(node.tick()));
    assertEquals(0, runs.get(), "not before its time");

    clock.set("2025-01-06T03:17:00Z");
    assertTrue(await(node.tick()));
    assertEquals(1, runs.get(), "at its time");
    assertTrue(await(node.tick()));
    clock.set("2025-01-06T03:17:40Z");
    assertTrue(await(node.tick()));
    assertEquals(1, runs.get(), "once for that time");
    assertEquals("ok", runRow("daily-a").getString("outcome"));

    // three days without a run (no node held the lease): made up once, not three times
    clock.set("2025-01-09T10:00:00Z");
    assertTrue(await(node.tick()));
    assertTrue(await(node.tick()));
    assertEquals(2, runs.get(), "one run for the missed times");
    clock.set("2025-01-10T03:16:00Z");
    assertTrue(await(node.tick()));
    assertEquals(2, runs.get());
    clock.set("2025-01-10T03:17:00Z");
    assertTrue(await(node.tick()));
    assertEquals(3, runs.get(), "then on schedule again");
    await(gw.client.undeploy(node.deploymentID()));
  }

  @Test
  void onlyTheLeaseHolderRunsItAndAnotherTakesOver() {
    MutableClock clock = new MutableClock("2025-02-03T03:00:00Z");
    AtomicInteger onA = new AtomicInteger();
    AtomicInteger onB = new AtomicInteger();
    JobsVerticle a = deploy("lease-b", "node-a", clock, counting("daily-b", onA));
    TestGateway.eventually(() -> await(a.tick()), "node-a to hold the jobs lease");
    JobsVerticle b = deploy("lease-b", "node-b", clock, counting("daily-b", onB));

    clock.set("2025-02-03T03:17:00Z");
    assertFalse(await(b.tick()), "node-b does not hold the lease: it looks at nothing");
    assertTrue(await(a.tick()));
    assertFalse(await(b.tick()));
    assertEquals(1, onA.get());
    assertEquals(0, onB.get());

    // node-a stops (gives the lease up); a day and a half later node-b holds it and makes the missed run up, once
    await(gw.client.undeploy(a.deploymentID()));
    clock.set("2025-02-05T15:00:00Z");
    TestGateway.eventually(() -> await(b.tick()), "node-b to take the jobs lease");
    assertTrue(await(b.tick()));
    assertEquals(1, onB.get());
    assertEquals(1, onA.get());
    await(gw.client.undeploy(b.deploymentID()));
  }

  @Test
  void neverTwoRunsAtOnce() {
    // a run started by hand is still going when the job's time comes: the scheduled run waits until it has ended
    MutableClock clock = new MutableClock("2025-03-03T03:00:00Z");
    AtomicInteger started = new AtomicInteger();
    AtomicReference<Promise<JobsVerticle.Outcome>> running = new AtomicReference<>();
    JobsVerticle node = deploy("lease-c", "node-a", clock, new JobsVerticle.Job("slow-c", Cron.parse("17 3 * * *"), keepGoing -> {
      Promise<JobsVerticle.Outcome> run = Promise.promise();
      running.set(run);
      started.incrementAndGet();
      return run.future();
    }));
    TestGateway.eventually(() -> await(node.tick()), "node-a to hold the jobs lease");
    Future<JobsVerticle.Outcome> byHand = node.runNow("slow-c");
    TestGateway.eventually(() -> started.get() == 1, "the run by hand to start");
    RuntimeException twice = assertThrows(RuntimeException.class, () -> await(node.runNow("slow-c")));
    assertEquals("job slow-c is running already", twice.getMessage());

    clock.set("2025-03-03T03:17:00Z");
    assertTrue(await(node.tick()));
    assertEquals(1, started.get(), "the scheduled run does not start while one runs");
    running.get().complete(new JobsVerticle.Outcome("done", Map.of()));
    assertEquals("done", await(byHand).summary());

    Future<Boolean> tick = node.tick();
    TestGateway.eventually(() -> started.get() == 2, "the scheduled run once the other has ended");
    running.get().complete(new JobsVerticle.Outcome("done", Map.of()));
    assertTrue(await(tick));
    assertEquals(2, started.get());
    await(gw.client.undeploy(node.deploymentID()));
  }

  @Test
  void aFailedRunIsLoggedAndWaitsForTheNextTime() {
    MutableClock clock = new MutableClock("2025-04-07T03:00:00Z");
    AtomicInteger runs = new AtomicInteger();
    JobsVerticle node = deploy("lease-d", "node-a", clock, new JobsVerticle.Job("failing-d", Cron.parse("17 3 * * *"), keepGoing -> {
      runs.incrementAndGet();
      return Future.failedFuture(new IllegalStateException("the database went away"));
    }));
    TestGateway.eventually(() -> await(node.tick()), "node-a to hold the jobs lease");
    clock.set("2025-04-07T03:17:00Z");
    List<ILoggingEvent> logged = LogCapture.during(Level.INFO, List.of(JobsVerticle.class.getName()), () -> assertTrue(await(node.tick())));
    ILoggingEvent warn = logged.stream().filter(e -> e.getLevel() == Level.WARN).findFirst().orElseThrow();
    assertTrue(warn.getFormattedMessage().matches("failing-d failed after \\d+ ms: the database went away; it runs again at its next "
        + "time, 2025-04-08T03:17:00Z"), warn.getFormattedMessage());
    assertTrue(warn.getKeyValuePairs().stream().anyMatch(kv -> kv.key.equals("job") && kv.value.equals("failing-d")),
        LogCapture.line(warn));
    assertEquals("failed", runRow("failing-d").getString("outcome"));

    clock.set("2025-04-07T09:00:00Z");
    assertTrue(await(node.tick()));
    assertEquals(1, runs.get(), "not again before its next time");
    clock.set("2025-04-08T03:17:00Z");
    assertTrue(await(node.tick()));
    assertEquals(2, runs.get());
    await(gw.client.undeploy(node.deploymentID()));
  }

  @Test
  void theGatewayRunsRetentionUnderTheJobsLease() {
    // deployed by the gateway, holding the "jobs" lease, and runnable on demand
    TestGateway.eventually(() -> gw.gateway().nodeId().equals(await(new LeaseStore(gw.sql()).holder("jobs"))), "the gateway to hold jobs");
    JobsVerticle.Outcome outcome = await(gw.gateway().jobs().runNow("retention"));
    assertTrue(outcome.summary().startsWith("removed 0 read notifications, 0 deleted ones, 0 attempts, 0 digests, 0 resolved alerts in 5 batches"), outcome.summary());
    assertEquals(Boolean.TRUE, outcome.figures().get("complete"));
    RuntimeException unknown = assertThrows(RuntimeException.class, () -> await(gw.gateway().jobs().runNow("digest")));
    assertEquals("no job digest (known: [retention])", unknown.getMessage());
  }
}
