package io.herald.ops;

import static io.herald.TestGateway.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.herald.LogCapture;
import io.herald.TestGateway;
import io.herald.config.Cron;
import io.herald.config.HeraldConfig;
import io.herald.store.JobRunStore;
import io.herald.store.LeaseStore;
import io.herald.store.RetentionStore;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The retention job against rows seeded at known ages around every boundary, with a batch size of
 * 2 so that every rule takes several batches: exactly the expected rows go (notifications,
 * attempts, digests, resolved alerts), with what hangs off them, nothing still to be sent or
 * waiting for a person (a dead delivery keeps its notification until an operator acts), the unread
 * count stays right, and the run is logged with its figures. Then many kept rows on tied
 * timestamps: each rule looks at every old row once and removes exactly the removable ones.
 */
class RetentionTest {
  static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  static final String USER = "retention-user";
  static TestGateway gw;
  /** Seeded rows by name. */
  static final Map<String, UUID> ids = new HashMap<>();
  private static long seq;

  /** The gateway's own retention off: only the runs a test starts remove anything. */
  static JsonObject retentionOff() {
    return new JsonObject().put("jobs", new JsonObject().put("retention", new JsonObject().put("enabled", false)));
  }

  @BeforeAll
  static void start() {
    gw = TestGateway.start(retentionOff());
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @Test
  void removesOldReadAndDeletedNotificationsOldAttemptsDigestsAndResolvedAlertsOnly() {
    // GIVEN notifications read or deleted on either side of each age, unread ones, and ones with deliveries still to be sent
    notification("read 91 days ago", days(91), null, days(100));
    notification("read 89 days ago", days(89), null, days(100));
    notification("deleted 8 days ago", null, days(8), days(20));
    notification("deleted 6 days ago", null, days(6), days(20));
    notification("unread, 400 days old", null, null, days(400));
    notification("read 91 days ago, delivery retrying", days(91), null, days(100));
    attempt(delivery("read 91 days ago, delivery retrying", "sms", "failed"), 1, days(91));
    notification("read 91 days ago, delivery held for a digest", days(91), null, days(100));
    delivery("read 91 days ago, delivery held for a digest", "email", "held");
    notification("read 91 days ago, delivery sending", days(91), null, days(100));
    attempt(delivery("read 91 days ago, delivery sending", "webhook", "sending"), 1, days(91));
    notification("read 91 days ago, delivery pending", days(91), null, days(100));
    delivery("read 91 days ago, delivery pending", "sms", "pending");
    notification("deleted 8 days ago, delivery pending", null, days(8), days(20));
    delivery("deleted 8 days ago, delivery pending", "email", "pending");
    // a dead delivery waits in the dead letter for a person: its notification stays, however long ago read or deleted
    notification("read 91 days ago, delivery dead", days(91), null, days(100));
    UUID deadDelivery = delivery("read 91 days ago, delivery dead", "sms", "dead");
    attempt(deadDelivery, 1, days(95));
    attempt(deadDelivery, 2, days(94));
    content("read 91 days ago, delivery dead");
    notification("deleted 8 days ago, delivery dead", null, days(8), days(20));
    delivery("deleted 8 days ago, delivery dead", "sms", "dead");
    notification("read 120 days ago, delivery sent", days(120), null, days(121));
    delivery("read 120 days ago, delivery sent", "email", "sent");
    notification("read 200 days ago", days(200), null, days(201));
    notification("read 95 days ago, deleted 2 days ago", days(95), days(2), days(100));
    notification("read 40 days ago, deleted 30 days ago", days(40), days(30), days(41));
    notification("unread, with finished and unfinished deliveries", null, null, days(60));
    UUID sent = delivery("unread, with finished and unfinished deliveries", "email", "sent");
    attempt(sent, 1, days(31));
    attempt(sent, 2, days(29));
    UUID dead = delivery("unread, with finished and unfinished deliveries", "sms", "dead");
    attempt(dead, 1, days(40));
    attempt(dead, 2, days(35));
    attempt(delivery("unread, with finished and unfinished deliveries", "whatsapp", "pending"), 1, days(60));
    attempt(delivery("unread, with finished and unfinished deliveries", "webhook", "cancelled"), 1, days(31));
    content("read 89 days ago");
    content("read 200 days ago");
    // digests on either side of 30 days, with their e-mail in every state, and two users' unread summaries
    digest("digest 31 days old, sent", "digest", days(31), "sent");
    attempt(ids.get("digest 31 days old, sent/email"), 1, days(29));
    notification("unread, digested into the 31-day-old digest", null, null, days(32));
    digested("unread, digested into the 31-day-old digest", "digest 31 days old, sent");
    digest("digest 29 days old, sent", "digest", days(29), "sent");
    digest("digest 40 days old, cancelled", "digest", days(40), "cancelled");
    digest("digest 40 days old, pending", "digest", days(40), "pending");
    digest("digest 40 days old, sending", "digest", days(40), "sending");
    digest("digest 40 days old, failed", "digest", days(40), "failed");
    digest("digest 40 days old, dead", "digest", days(40), "dead");
    attempt(ids.get("digest 40 days old, dead/email"), 1, days(40));
    digest("summary 50 days old", "unread", days(50), "sent");
    digest("summary 35 days old, the newest", "unread", days(35), "sent");
    digest("other user's only summary, 60 days old", "unread", days(60), "sent");
    gw.query("UPDATE digests SET recipient = 'someone-else' WHERE id = '" + ids.get("other user's only summary, 60 days old") + "'");
    // alerts resolved on either side of 90 days, and one active for a year
    alert("resolved 91 days ago", days(91));
    alert("resolved 200 days ago", days(200));
    alert("resolved 89 days ago", days(89));
    alert("active for 400 days", null);
    gw.query("INSERT INTO inbox (recipient, last_seq, unread, version) SELECT recipient, max(seq), "
        + "count(*) FILTER (WHERE read_at IS NULL AND deleted_at IS NULL), 1 FROM notifications GROUP BY recipient");
    assertEquals(3, unread(), "unread: the 400-day-old one, the one with deliveries and the digested one");
    assertEquals(4, dead(), "the dead letter: two read or deleted notifications', the unread one's and a digest's");

    // WHEN the job runs with 90/7/30/30/90 days and batches of 2
    JobsVerticle jobs = jobs(new HeraldConfig.Retention(true, Cron.parse("17 3 * * *"), 90, 7, 30, 30, 90, 2));
    List<ILoggingEvent> logged = LogCapture.during(Level.INFO, List.of(JobsVerticle.class.getName()),
        () -> await(jobs.runNow("retention")));

    // THEN exactly these remain, with their deliveries, attempts and content
    assertEquals(names("read 89 days ago", "deleted 6 days ago", "unread, 400 days old", "read 91 days ago, delivery retrying",
        "read 91 days ago, delivery held for a digest", "read 91 days ago, delivery sending", "read 91 days ago, delivery pending",
        "deleted 8 days ago, delivery pending", "read 91 days ago, delivery dead", "deleted 8 days ago, delivery dead",
        "unread, with finished and unfinished deliveries", "unread, digested into the 31-day-old digest"), remaining());
    assertEquals(Set.of("read 91 days ago, delivery retrying/sms/failed", "read 91 days ago, delivery held for a digest/email/held",
        "read 91 days ago, delivery sending/webhook/sending", "read 91 days ago, delivery pending/sms/pending",
        "deleted 8 days ago, delivery pending/email/pending", "read 91 days ago, delivery dead/sms/dead",
        "deleted 8 days ago, delivery dead/sms/dead",
        "unread, with finished and unfinished deliveries/email/sent", "unread, with finished and unfinished deliveries/sms/dead",
        "unread, with finished and unfinished deliveries/whatsapp/pending",
        "unread, with finished and unfinished deliveries/webhook/cancelled",
        "unread, digested into the 31-day-old digest/email/digested"), deliveries());
    // the dead delivery keeps its whole history, however old: it waits in the dead letter for a person
    assertEquals(Set.of("read 91 days ago, delivery retrying/sms/1", "read 91 days ago, delivery sending/webhook/1",
        "read 91 days ago, delivery dead/sms/1", "read 91 days ago, delivery dead/sms/2",
        "unread, with finished and unfinished deliveries/email/2", "unread, with finished and unfinished deliveries/sms/1",
        "unread, with finished and unfinished deliveries/sms/2", "unread, with finished and unfinished deliveries/whatsapp/1"), attempts());
    assertEquals(2, gw.count("SELECT count(*) FROM notification_content"), "the removed notification's content went with it");
    assertEquals(4, dead(), "nothing left the dead letter");
    assertEquals(3, unread(), "the unread count is unchanged");
    assertEquals(3, gw.count("SELECT count(*) FROM notifications WHERE read_at IS NULL AND deleted_at IS NULL"), "and still exact");
    assertEquals(3, gw.get("/v1/me/notifications/unread-count", TestGateway.token(USER)).bodyAsJsonObject().getInteger("count"));

    // digests: the old ones whose e-mail is done go with it and its attempts; none still to be sent or dead; each user's newest summary stays
    assertEquals(names("digest 29 days old, sent", "digest 40 days old, pending", "digest 40 days old, sending", "digest 40 days old, failed",
        "digest 40 days old, dead", "summary 35 days old, the newest", "other user's only summary, 60 days old"), digests());
    assertEquals(Set.of("digest 29 days old, sent/sent", "digest 40 days old, pending/pending", "digest 40 days old, sending/sending",
        "digest 40 days old, failed/failed", "digest 40 days old, dead/dead", "summary 35 days old, the newest/sent",
        "other user's only summary, 60 days old/sent"), digestDeliveries());
    assertEquals(Set.of("digest 40 days old, dead/1"), digestAttempts(), "the 31-day-old digest's 29-day-old attempt went with it");
    // the item it took in keeps its delivery, digested, no longer pointing at the removed digest
    Row item = gw.query("SELECT status, digest_id FROM deliveries WHERE id = '" + ids.get("unread, digested into the 31-day-old digest/email")
        + "'").iterator().next();
    assertEquals("digested", item.getString("status"));
    assertEquals(null, item.getUUID("digest_id"));

    // alerts: resolved more than 90 days ago go; the active one stays however old
    assertEquals(names("resolved 89 days ago", "active for 400 days"), alerts());

    // and the run is logged. Each rule looks at each old row once, 2 at a time, until a batch looks at fewer than 2: 4 read
    // notifications removed of 9 looked at (5 batches), 2 deleted of 4 (3), 2 attempts of 10 (6), 3 digests of 9 (5), 2 alerts (2)
    ILoggingEvent line = logged.stream().filter(e -> e.getFormattedMessage().startsWith("retention:")).findFirst().orElseThrow();
    assertEquals(Level.INFO, line.getLevel());
    assertTrue(line.getFormattedMessage().matches("retention: removed 4 read notifications, 2 deleted ones, 2 attempts, 3 digests, "
        + "2 resolved alerts in 21 batches \\(\\d+ ms\\)"), line.getFormattedMessage());
    Map<String, String> figures = line.getKeyValuePairs().stream().collect(Collectors.toMap(kv -> kv.key, kv -> String.valueOf(kv.value)));
    assertEquals("retention", figures.get("job"));
    assertEquals("4", figures.get("read_notifications"));
    assertEquals("2", figures.get("deleted_notifications"));
    assertEquals("2", figures.get("attempts"));
    assertEquals("3", figures.get("digests"));
    assertEquals("2", figures.get("resolved_alerts"));
    assertEquals("21", figures.get("batches"));
    assertTrue(figures.containsKey("duration_ms"), figures.toString());

    // a second run finds nothing more (it looks at the 5 + 2 + 8 + 6 kept rows again)
    String again = await(jobs.runNow("retention")).summary();
    assertTrue(again.startsWith("removed 0 read notifications, 0 deleted ones, 0 attempts, 0 digests, 0 resolved alerts in 15 batches"), again);

    // once an operator cancels the dead delivery, the next run removes its notification, with the delivery and its history
    assertEquals(200, gw.post("/v1/deliveries/" + deadDelivery + "/cancel", TestGateway.ADMIN_KEY, null).statusCode());
    assertEquals(3, dead());
    String third = await(jobs.runNow("retention")).summary();
    assertTrue(third.startsWith("removed 1 read notifications, 0 deleted ones, 0 attempts, 0 digests, 0 resolved alerts in 14 batches"), third);
    assertEquals(0, gw.count("SELECT count(*) FROM deliveries WHERE id = '" + deadDelivery + "'"));
    assertEquals(0, gw.count("SELECT count(*) FROM delivery_attempts WHERE delivery_id = '" + deadDelivery + "'"));
    assertEquals(1, gw.count("SELECT count(*) FROM notification_content"), "its content went with it");
    assertEquals(names("deleted 8 days ago, delivery dead"), remaining().stream().filter(n -> n.contains("dead"))
        .collect(Collectors.toCollection(TreeSet::new)), "the deleted one whose delivery is still dead stays");
    assertEquals(3, dead());
    await(gw.client.undeploy(jobs.deploymentID()));
  }

  // Many old rows the rules keep, mixed with ones they remove, on only 3 distinct timestamps, in batches of 7 that cut through
  // the ties: every rule looks at each old row exactly once (the batch count says so) and removes exactly the removable ones.
  @Test
  void aRunOverManyKeptRowsWithTiedTimestampsRemovesExactlyTheRemovableOnes() {
    try (TestGateway walk = TestGateway.start(retentionOff())) {
      // GIVEN for each rule 60 rows kept (dead deliveries, dead e-mails, newest summaries) and 25 removable, all 100 days old
      Instant at = NOW.minus(days(100));
      walkRows(walk, "kept", true, 60, at, 3, "dead");
      walkRows(walk, "gone", false, 25, at, 3, "dead");
      assertEquals(30 + 12, walk.count("SELECT count(*) FROM notifications WHERE read_at IS NOT NULL"));
      assertEquals(30 + 13, walk.count("SELECT count(*) FROM notifications WHERE deleted_at IS NOT NULL"));
      assertEquals(3, walk.count("SELECT count(DISTINCT coalesce(read_at, deleted_at)) FROM notifications WHERE recipient LIKE 'walk-%'"));
      assertEquals(60 + 25, walk.count("SELECT count(*) FROM delivery_attempts"));
      assertEquals(60 + 25, walk.count("SELECT count(*) FROM digests"));

      // WHEN the job runs with batches of 7
      HeraldConfig.Retention config = new HeraldConfig.Retention(true, Cron.parse("17 3 * * *"), 90, 7, 30, 30, 90, 7);
      Retention retention = new Retention(new RetentionStore(walk.sql()), config, Clock.fixed(NOW, ZoneOffset.UTC));
      JobsVerticle.Outcome outcome = await(retention.run(() -> true));

      // THEN every removable row went (with what hangs off it), every kept one stayed
      assertEquals(0, walk.count("SELECT count(*) FROM notifications WHERE recipient = 'walk-gone'"));
      assertEquals(60, walk.count("SELECT count(*) FROM notifications n JOIN deliveries d ON d.notification_id = n.id "
          + "WHERE n.recipient = 'walk-kept' AND d.status = 'dead'"));
      assertEquals(0, walk.count("SELECT count(*) FROM deliveries WHERE notification_id IS NOT NULL AND status = 'sent' "
          + "AND notification_id NOT IN (SELECT id FROM notifications WHERE recipient LIKE 'walk-holder-%')"));
      assertEquals(60, walk.count(attemptsOf("kept")));
      assertEquals(0, walk.count(attemptsOf("gone")));
      assertEquals(60, walk.count("SELECT count(*) FROM digests g JOIN deliveries d ON d.digest_id = g.id WHERE g.parts->>'subject' = 'kept'"));
      assertEquals(0, walk.count("SELECT count(*) FROM digests WHERE parts->>'subject' = 'gone'"));
      assertEquals(0, walk.count("SELECT count(*) FROM deliveries WHERE notification_id IS NULL AND status = 'sent' AND digest_id IN "
          + "(SELECT id FROM digests WHERE kind = 'digest')"));
      // looked at: 42 read notifications (6 full batches, then one of 0), 43 deleted ones (6, then 1), 85 attempts and 85 digests
      // (12 full batches, then 1, each), no alerts (one batch of 0)
      assertEquals(Map.of("read_notifications", 12, "deleted_notifications", 13, "attempts", 25, "digests", 25, "resolved_alerts", 0,
          "batches", 7 + 7 + 13 + 13 + 1, "complete", true), outcome.figures());

      // and a second run looks at the kept ones once more, removing nothing: 30, 30, 60 and 60 rows
      JobsVerticle.Outcome again = await(retention.run(() -> true));
      assertTrue(again.summary().startsWith("removed 0 read notifications, 0 deleted ones, 0 attempts, 0 digests, 0 resolved alerts in "
          + (5 + 5 + 9 + 9 + 1) + " batches"), again.summary());
    }
  }

  /**
   * Not a test: how long a run takes over many kept rows, the figure in README.md ("Scheduled jobs"). Runs only with
   * {@code -Dherald.bench.retention=true} (sizes: {@code -Dherald.bench.kept}, {@code -Dherald.bench.gone}); prints to
   * target/surefire-reports/io.herald.ops.RetentionTest-output.txt.
   */
  @Test
  @EnabledIfSystemProperty(named = "herald.bench.retention", matches = "true")
  void benchmarkOfARunOverManyKeptRows() throws Exception {
    int kept = Integer.getInteger("herald.bench.kept", 100_000);
    int gone = Integer.getInteger("herald.bench.gone", 10_000);
    try (TestGateway bench = TestGateway.start(retentionOff())) {
      // the kept rows are the oldest, at the front of every index the rules walk; the kept notifications' deliveries are failed
      // (retrying, never due here), which every version of the rules keeps
      walkRows(bench, "kept", true, kept, NOW.minus(days(200)), 1000, "failed");
      HeraldConfig.Retention config = new HeraldConfig.Retention(true, Cron.parse("17 3 * * *"), 90, 7, 30, 30, 90, 1000);
      List<Long> millis = new ArrayList<>();
      for (int run = 1; run <= 3; run++) {
        walkRows(bench, "gone" + run, false, gone, NOW.minus(days(100)), 1000, "failed");
        bench.query("VACUUM (ANALYZE) notifications, deliveries, delivery_attempts, digests");
        Retention retention = new Retention(new RetentionStore(bench.sql()), config, Clock.fixed(NOW, ZoneOffset.UTC));
        long start = System.nanoTime();
        JobsVerticle.Outcome outcome = retention.run(() -> true).toCompletionStage().toCompletableFuture().get(30, TimeUnit.MINUTES);
        millis.add((System.nanoTime() - start) / 1_000_000);
        System.out.println("retention benchmark, run " + run + " (" + kept + " kept and " + gone + " removable rows per rule): "
            + millis.get(run - 1) + " ms: " + outcome.summary());
        assertEquals(0, bench.count("SELECT count(*) FROM digests WHERE parts->>'subject' = 'gone" + run + "'"), "the run finished its work");
      }
      Collections.sort(millis);
      System.out.println("retention benchmark: median " + millis.get(1) + " ms of " + millis);
    }
  }

  /**
   * For each rule, {@code n} old rows labelled {@code label}, which the rules keep ({@code kept}) or remove, on {@code ties}
   * distinct timestamps a second apart from {@code at} on: notifications (even ones read then, odd ones deleted) with an SMS
   * delivery ({@code keptStatus}, or sent); attempts, ten per delivery, all of a delivery at the same time, of one SMS delivery
   * (dead, or sent) of unread notifications; digests (kept: half with a dead e-mail, half each its recipient's only unread
   * summary; removed: digests with a sent e-mail). Nothing seeded is ever due: the gateway's scanners leave it alone.
   */
  static void walkRows(TestGateway g, String label, boolean kept, int n, Instant at, int ties, String keptStatus) {
    String never = "now() + interval '10 years'";
    String newDeliveries = "INSERT INTO deliveries (id, notification_id, digest_id, channel, destination, status, priority, attempts, "
        + "max_attempts, next_attempt_at, created_at, updated_at) SELECT gen_random_uuid(), ";
    g.query("INSERT INTO notifications (id, recipient, seq, level, title, priority, channels, created_at, read_at, deleted_at, scheduled) "
        + "SELECT gen_random_uuid(), 'walk-" + label + "', i, 'info', '" + label + "', 'normal', '{sms}', t - interval '1 day', "
        + "CASE WHEN i % 2 = 0 THEN t END, CASE WHEN i % 2 = 1 THEN t END, false "
        + "FROM (SELECT i, " + stamp(at, "i", ties) + " AS t FROM generate_series(1, " + n + ") i) s");
    g.query(newDeliveries + "id, NULL, 'sms', 'x', '" + (kept ? keptStatus : "sent") + "', 2, 1, 10, " + never + ", created_at, created_at "
        + "FROM notifications WHERE recipient = 'walk-" + label + "'");
    g.query("INSERT INTO notifications (id, recipient, seq, level, title, priority, channels, created_at, scheduled) "
        + "SELECT gen_random_uuid(), 'walk-holder-" + label + "', h, 'info', 'holder', 'normal', '{sms}', '" + at + "', false "
        + "FROM generate_series(0, " + (n - 1) / 10 + ") h");
    g.query(newDeliveries + "id, NULL, 'sms', 'x', '" + (kept ? "dead" : "sent") + "', 2, 1, 10, " + never + ", created_at, created_at "
        + "FROM notifications WHERE recipient = 'walk-holder-" + label + "'");
    g.query("INSERT INTO delivery_attempts (delivery_id, attempt, started_at, outcome) SELECT d.id, i % 10 + 1, "
        + stamp(at, "i / 10", ties) + ", 'failed' FROM generate_series(0, " + (n - 1) + ") i "
        + "JOIN notifications h ON h.recipient = 'walk-holder-" + label + "' AND h.seq = i / 10 JOIN deliveries d ON d.notification_id = h.id");
    String summary = kept ? "i % 2 = 0" : "false";
    g.query("INSERT INTO digests (id, recipient, kind, items, parts, created_at) SELECT gen_random_uuid(), "
        + "CASE WHEN " + summary + " THEN 'walk-" + label + "-' || i ELSE 'walk' END, CASE WHEN " + summary + " THEN 'unread' ELSE 'digest' END, "
        + "1, jsonb_build_object('subject', '" + label + "'), " + stamp(at, "i", ties) + " FROM generate_series(1, " + n + ") i");
    g.query(newDeliveries + "NULL, id, 'email', 'x', " + (kept ? "CASE kind WHEN 'digest' THEN 'dead' ELSE 'sent' END" : "'sent'")
        + ", 2, 1, 10, " + never + ", created_at, created_at FROM digests WHERE parts->>'subject' = '" + label + "'");
  }

  /** {@code at} plus ({@code i} modulo {@code ties}) seconds, in SQL. */
  private static String stamp(Instant at, String i, int ties) {
    return "'" + at + "'::timestamptz + ((" + i + ") % " + ties + ") * interval '1 second'";
  }

  /** Counts the attempts seeded by {@link #walkRows} with {@code label} that are left. */
  private static String attemptsOf(String label) {
    return "SELECT count(*) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id JOIN notifications n ON n.id = d.notification_id "
        + "WHERE n.recipient = 'walk-holder-" + label + "'";
  }

  /** A jobs verticle with only the retention job, on the fixed clock {@link #NOW}. */
  static JobsVerticle jobs(HeraldConfig.Retention config) {
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    JobsVerticle v = new JobsVerticle(List.of(new JobsVerticle.Job("retention", config.cron(),
        new Retention(new RetentionStore(gw.sql()), config, clock)::run)), ZoneOffset.UTC,
        new JobLease(new LeaseStore(gw.sql()), "retention-test", "test-node", 3), new JobRunStore(gw.sql()), clock, 3_600_000);
    await(gw.client.deployVerticle(v));
    return v;
  }

  static Duration days(long n) {
    return Duration.ofDays(n);
  }

  static OffsetDateTime ago(Duration d) {
    return d == null ? null : OffsetDateTime.ofInstant(NOW.minus(d), ZoneOffset.UTC);
  }

  static void notification(String name, Duration readAgo, Duration deletedAgo, Duration createdAgo) {
    UUID id = UUID.randomUUID();
    ids.put(name, id);
    await(gw.sql().preparedQuery("INSERT INTO notifications (id, recipient, seq, level, title, priority, channels, created_at, read_at, "
            + "deleted_at, scheduled) VALUES ($1, $2, $3, 'info', $4, 'normal', '{inapp}', $5, $6, $7, false)")
        .execute(Tuple.tuple().addValue(id).addValue(USER).addValue(++seq).addValue(name).addValue(ago(createdAgo))
            .addValue(ago(readAgo)).addValue(ago(deletedAgo))));
  }

  static UUID delivery(String notification, String channel, String status) {
    UUID id = UUID.randomUUID();
    ids.put(notification + "/" + channel, id);
    await(gw.sql().preparedQuery("INSERT INTO deliveries (id, notification_id, channel, destination, status, priority, attempts, "
            + "max_attempts, next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, 'somewhere', $4, 2, 1, 10, $5, $5, $5)")
        .execute(Tuple.tuple().addValue(id).addValue(ids.get(notification)).addValue(channel).addValue(status).addValue(ago(days(1)))));
    return id;
  }

  static void attempt(UUID delivery, int attempt, Duration startedAgo) {
    await(gw.sql().preparedQuery("INSERT INTO delivery_attempts (delivery_id, attempt, started_at, outcome) VALUES ($1, $2, $3, 'failed')")
        .execute(Tuple.of(delivery, attempt, ago(startedAgo))));
  }

  /** A digest of {@code USER} written {@code createdAgo}, with its own e-mail delivery in {@code status}. */
  static void digest(String name, String kind, Duration createdAgo, String status) {
    UUID id = UUID.randomUUID();
    ids.put(name, id);
    gw.query("INSERT INTO digests (id, recipient, kind, items, parts, created_at) VALUES ('" + id + "', '" + USER + "', '" + kind
        + "', 1, '{\"subject\": \"s\"}', '" + ago(createdAgo) + "')");
    UUID delivery = UUID.randomUUID();
    ids.put(name + "/email", delivery);
    gw.query("INSERT INTO deliveries (id, digest_id, channel, destination, status, priority, attempts, max_attempts, next_attempt_at, "
        + "created_at, updated_at) VALUES ('" + delivery + "', '" + id + "', 'email', 'somewhere', '" + status + "', 2, 1, 10, "
        + "'" + ago(createdAgo) + "', '" + ago(createdAgo) + "', '" + ago(createdAgo) + "')");
  }

  /** The notification's e-mail, held and then taken into digest {@code digest}. */
  static void digested(String notification, String digest) {
    UUID id = delivery(notification, "email", "digested");
    gw.query("UPDATE deliveries SET digest_id = '" + ids.get(digest) + "' WHERE id = '" + id + "'");
  }

  /** An alert resolved {@code resolvedAgo} (null: still active), opened a day before. */
  static void alert(String name, Duration resolvedAgo) {
    UUID id = UUID.randomUUID();
    ids.put(name, id);
    Duration opened = (resolvedAgo == null ? days(400) : resolvedAgo.plusDays(1));
    gw.query("INSERT INTO alerts (id, rule, channel, severity, status, title, message, opened_at, last_seen_at, resolved_at) VALUES ('"
        + id + "', 'backlog', '" + name + "', 'warning', '" + (resolvedAgo == null ? "active" : "resolved") + "', 't', 'm', '"
        + ago(opened) + "', '" + ago(opened) + "', " + (resolvedAgo == null ? "NULL" : "'" + ago(resolvedAgo) + "'") + ")");
  }

  static void content(String notification) {
    await(gw.sql().preparedQuery("INSERT INTO notification_content (notification_id, channel, parts) VALUES ($1, 'email', $2)")
        .execute(Tuple.of(ids.get(notification), new JsonObject().put("subject", "s"))));
  }

  /** The dead letter's size, as an operator reads it in {@code GET /v1/stats}. */
  static long dead() {
    return gw.get("/v1/stats", TestGateway.ADMIN_KEY).bodyAsJsonObject().getLong("dead");
  }

  static int unread() {
    return (int) gw.count("SELECT unread FROM inbox WHERE recipient = '" + USER + "'");
  }

  static Set<String> names(String... names) {
    return new TreeSet<>(List.of(names));
  }

  static String name(UUID id) {
    return ids.entrySet().stream().filter(e -> e.getValue().equals(id)).map(Map.Entry::getKey).findFirst().orElse(id.toString());
  }

  static Set<String> remaining() {
    Set<String> out = new TreeSet<>();
    gw.query("SELECT id FROM notifications").forEach(r -> out.add(name(r.getUUID(0))));
    return out;
  }

  static Set<String> deliveries() {
    Set<String> out = new TreeSet<>();
    for (Row r : gw.query("SELECT notification_id, channel, status FROM deliveries WHERE notification_id IS NOT NULL")) {
      out.add(name(r.getUUID(0)) + "/" + r.getString(1) + "/" + r.getString(2));
    }
    return out;
  }

  static Set<String> attempts() {
    Set<String> out = new TreeSet<>();
    for (Row r : gw.query("SELECT d.notification_id, d.channel, a.attempt FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id "
        + "WHERE d.notification_id IS NOT NULL")) {
      out.add(name(r.getUUID(0)) + "/" + r.getString(1) + "/" + r.getInteger(2));
    }
    return out;
  }

  static Set<String> digests() {
    Set<String> out = new TreeSet<>();
    gw.query("SELECT id FROM digests").forEach(r -> out.add(name(r.getUUID(0))));
    return out;
  }

  /** The digests' own e-mails, by digest and status. */
  static Set<String> digestDeliveries() {
    Set<String> out = new TreeSet<>();
    gw.query("SELECT digest_id, status FROM deliveries WHERE notification_id IS NULL").forEach(r -> out.add(name(r.getUUID(0)) + "/" + r.getString(1)));
    return out;
  }

  static Set<String> digestAttempts() {
    Set<String> out = new TreeSet<>();
    gw.query("SELECT d.digest_id, a.attempt FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.notification_id IS NULL")
        .forEach(r -> out.add(name(r.getUUID(0)) + "/" + r.getInteger(1)));
    return out;
  }

  static Set<String> alerts() {
    Set<String> out = new TreeSet<>();
    gw.query("SELECT id FROM alerts").forEach(r -> out.add(name(r.getUUID(0))));
    return out;
  }
}
