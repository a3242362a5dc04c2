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
 * 2 so that every rule takes several batches: exactly the expected rows go (notifications,
 * attempts, digests, resolved alerts), with what hangs off them, nothing still to be sent or
 * waiting for a person, the unread count stays right, and the run is logged with its figures.
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

    // WHEN the job runs with 90/7/30/30/90 days and batches of 2
    JobsVerticle jobs = jobs(new HeraldConfig.Retention(true, Cron.parse("17 3 * * *"), 90, 7, 30, 30, 90, 2));
    List<ILoggingEvent> logged = LogCapture.during(Level.INFO, List.of(JobsVerticle.class.getName()),
        () -> await(jobs.runNow("retention")));

    // THEN exactly these remain, with their deliveries, attempts and content
    assertEquals(names("read 89 days ago", "deleted 6 days ago", "unread, 400 days old", "read 91 days ago, delivery retrying",
        "read 91 days ago, delivery held for a digest", "read 91 days ago, delivery sending", "read 91 days ago, delivery pending",
        "deleted 8 days ago, delivery pending", "unread, with finished and unfinished deliveries",
        "unread, digested into the 31-day-old digest"), remaining());
    assertEquals(Set.of("read 91 days ago, delivery retrying/sms/failed", "read 91 days ago, delivery held for a digest/email/held",
        "read 91 days ago, delivery sending/webhook/sending", "read 91 days ago, delivery pending/sms/pending",
        "deleted 8 days ago, delivery pending/email/pending",
        "unread, with finished and unfinished deliveries/email/sent", "unread, with finished and unfinished deliveries/sms/dead",
        "unread, with finished and unfinished deliveries/whatsapp/pending",
        "unread, with finished and unfinished deliveries/webhook/cancelled",
        "unread, digested into the 31-day-old digest/email/digested"), deliveries());
    // the dead delivery keeps its whole history, however old: it waits in the dead letter for a person
    assertEquals(Set.of("read 91 days ago, delivery retrying/sms/1", "read 91 days ago, delivery sending/webhook/1",
        "unread, with finished and unfinished deliveries/email/2", "unread, with finished and unfinished deliveries/sms/1",
        "unread, with finished and unfinished deliveries/sms/2", "unread, with finished and unfinished deliveries/whatsapp/1"), attempts());
    assertEquals(1, gw.count("SELECT count(*) FROM notification_content"), "the removed notification's content went with it");
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

    // and the run is logged: 5 read (2 + 2 + 1), 2 deleted (2 + 0), 2 attempts (2 + 0), 3 digests (2 + 1), 2 alerts (2 + 0): 11 batches
    ILoggingEvent line = logged.stream().filter(e -> e.getFormattedMessage().startsWith("retention:")).findFirst().orElseThrow();
    assertEquals(Level.INFO, line.getLevel());
    assertTrue(line.getFormattedMessage().matches("retention: removed 5 read notifications, 2 deleted ones, 2 attempts, 3 digests, "
        + "2 resolved alerts in 11 batches \\(\\d+ ms\\)"), line.getFormattedMessage());
    Map<String, String> figures = line.getKeyValuePairs().stream().collect(Collectors.toMap(kv -> kv.key, kv -> String.valueOf(kv.value)));
    assertEquals("retention", figures.get("job"));
    assertEquals("5", figures.get("read_notifications"));
    assertEquals("2", figures.get("deleted_notifications"));
    assertEquals("2", figures.get("attempts"));
    assertEquals("3", figures.get("digests"));
    assertEquals("2", figures.get("resolved_alerts"));
    assertEquals("11", figures.get("batches"));
    assertTrue(figures.containsKey("duration_ms"), figures.toString());

    // a second run finds nothing more
    String again = await(jobs.runNow("retention")).summary();
    assertTrue(again.startsWith("removed 0 read notifications, 0 deleted ones, 0 attempts, 0 digests, 0 resolved alerts in 5 batches"), again);
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
