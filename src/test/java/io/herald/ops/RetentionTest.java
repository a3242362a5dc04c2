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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The retention job against rows seeded at known ages around every boundary, with a batch size of
 * 2 so that every rule takes several batches: exactly the expected rows go, with what hangs off
 * them, the unread count stays right, and the run is logged with its figures.
 */
class RetentionTest {
  static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  static final String USER = "retention-user";
  static TestGateway gw;
  /** Seeded rows by name. */
  static final Map<String, UUID> ids = new HashMap<>();
  private static long seq;

  @BeforeAll
  static void start() {
    // the gateway's own retention is off: only the run this test starts removes anything
    gw = TestGateway.start(new JsonObject().put("jobs", new JsonObject().put("retention", new JsonObject().put("enabled", false))));
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @Test
  void removesOldReadAndDeletedNotificationsAndOldAttemptsOnly() {
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
    notification("read 91 days ago, delivery dead", days(91), null, days(100));
    UUID deadDelivery = delivery("read 91 days ago, delivery dead", "sms", "dead");
    attempt(deadDelivery, 1, days(95));
    attempt(deadDelivery, 2, days(94));
    content("read 91 days ago, delivery dead");
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
    gw.query("INSERT INTO inbox (recipient, last_seq, unread, version) SELECT recipient, max(seq), "
        + "count(*) FILTER (WHERE read_at IS NULL AND deleted_at IS NULL), 1 FROM notifications GROUP BY recipient");
    assertEquals(2, unread(), "unread: the 400-day-old one and the one with deliveries");

    // WHEN the job runs with 90/7/30 days and batches of 2
    JobsVerticle jobs = jobs(new HeraldConfig.Retention(true, Cron.parse("17 3 * * *"), 90, 7, 30, 2));
    List<ILoggingEvent> logged = LogCapture.during(Level.INFO, List.of(JobsVerticle.class.getName()),
        () -> await(jobs.runNow("retention")));

    // THEN exactly these remain, with their deliveries, attempts and content
    assertEquals(names("read 89 days ago", "deleted 6 days ago", "unread, 400 days old", "read 91 days ago, delivery retrying",
        "read 91 days ago, delivery held for a digest", "unread, with finished and unfinished deliveries"), remaining());
    assertEquals(Set.of("read 91 days ago, delivery retrying/sms/failed", "read 91 days ago, delivery held for a digest/email/held",
        "unread, with finished and unfinished deliveries/email/sent", "unread, with finished and unfinished deliveries/sms/dead",
        "unread, with finished and unfinished deliveries/whatsapp/pending",
        "unread, with finished and unfinished deliveries/webhook/cancelled"), deliveries());
    assertEquals(Set.of("read 91 days ago, delivery retrying/sms/1", "unread, with finished and unfinished deliveries/email/2",
        "unread, with finished and unfinished deliveries/whatsapp/1"), attempts());
    assertEquals(1, gw.count("SELECT count(*) FROM notification_content"), "the removed notification's content went with it");
    assertEquals(2, unread(), "the unread count is unchanged");
    assertEquals(2, gw.count("SELECT count(*) FROM notifications WHERE read_at IS NULL AND deleted_at IS NULL"), "and still exact");
    assertEquals(2, gw.get("/v1/me/notifications/unread-count", TestGateway.token(USER)).bodyAsJsonObject().getInteger("count"));

    // and the run is logged: 5 read (2 + 2 + 1), 2 deleted (2 + 0), 4 attempts (2 + 2 + 0): 8 batches
    ILoggingEvent line = logged.stream().filter(e -> e.getFormattedMessage().startsWith("retention:")).findFirst().orElseThrow();
    assertEquals(Level.INFO, line.getLevel());
    assertTrue(line.getFormattedMessage().matches("retention: removed 5 read notifications, 2 deleted ones, 4 attempts in 8 batches "
        + "\\(\\d+ ms\\)"), line.getFormattedMessage());
    Map<String, String> figures = line.getKeyValuePairs().stream().collect(Collectors.toMap(kv -> kv.key, kv -> String.valueOf(kv.value)));
    assertEquals("retention", figures.get("job"));
    assertEquals("5", figures.get("read_notifications"));
    assertEquals("2", figures.get("deleted_notifications"));
    assertEquals("4", figures.get("attempts"));
    assertEquals("8", figures.get("batches"));
    assertTrue(figures.containsKey("duration_ms"), figures.toString());

    // a second run finds nothing more
    assertTrue(await(jobs.runNow("retention")).summary().startsWith("removed 0 read notifications, 0 deleted ones, 0 attempts in 3 batches"));
    await(gw.client.undeploy(jobs.deploymentID()));
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

  static void content(String notification) {
    await(gw.sql().preparedQuery("INSERT INTO notification_content (notification_id, channel, parts) VALUES ($1, 'email', $2)")
        .execute(Tuple.of(ids.get(notification), new JsonObject().put("subject", "s"))));
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
    for (Row r : gw.query("SELECT notification_id, channel, status FROM deliveries")) {
      out.add(name(r.getUUID(0)) + "/" + r.getString(1) + "/" + r.getString(2));
    }
    return out;
  }

  static Set<String> attempts() {
    Set<String> out = new TreeSet<>();
    for (Row r : gw.query("SELECT d.notification_id, d.channel, a.attempt FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id")) {
      out.add(name(r.getUUID(0)) + "/" + r.getString(1) + "/" + r.getInteger(2));
    }
    return out;
  }
}
