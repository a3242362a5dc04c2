package io.herald.digest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import jakarta.mail.internet.MimeMessage;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Digests against a real SMTP server: held e-mails go out as one message at the subscriber's hour in
 * their time zone (the job is run with the clock the test chooses), the throttle folds the excess
 * into the digest, and users who stayed away get their unread notifications summarised.
 */
class DigestTest {
  static final GreenMail SMTP = TestGateway.smtp();
  static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
  static TestGateway gw;

  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(new JsonObject()
      .put("channels", new JsonObject().put("email", new JsonObject().put("enabled", true).put("timeoutSeconds", 5)
          .put("smtp", new JsonObject().put("host", "127.0.0.1").put("port", SMTP.getSmtp().getPort()))))
      .put("throttle", new JsonObject().put("maxPerWindow", 3).put("window", "1h").put("mode", "digest"))
      // the job also runs every second on the real clock: every digest time here is hours away from it
      .put("digest", new JsonObject().put("unreadSummary", true).put("checkIntervalSeconds", 1)), g -> gw = g);

  @AfterAll
  static void stop() {
    SMTP.stop();
  }

  /** An hour of the day in Tokyo three hours from now, and the next time it strikes. */
  static int laterHour() {
    return (ZonedDateTime.now(TOKYO).getHour() + 3) % 24;
  }

  static Instant nextDaily(int hour) {
    ZonedDateTime now = ZonedDateTime.now(TOKYO);
    ZonedDateTime slot = now.truncatedTo(ChronoUnit.DAYS).withHour(hour);
    return (slot.isAfter(now) ? slot : slot.plusDays(1)).toInstant();
  }

  static void subscriber(String user, JsonObject preferences) {
    subscriber(user, preferences, 201);
  }

  static void subscriber(String user, JsonObject preferences, int status) {
    var r = gw.request(HttpMethod.PUT, "/v1/subscribers/" + user, TestGateway.ADMIN_KEY, new JsonObject()
        .put("email", user + "@example.com").put("timeZone", "Asia/Tokyo").put("preferences", preferences));
    assertEquals(status, r.statusCode(), r.bodyAsString());
  }

  static JsonObject post(String user, String title, String category, String priority) {
    var r = gw.post("/v1/notifications", TestGateway.INGEST_KEY, new JsonObject().put("recipient", user).put("title", title)
        .put("body", "about " + title).put("category", category).put("priority", priority)
        .put("channels", new JsonArray().add("inapp").add("email")));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  static String emailStatus(JsonObject answer) {
    JsonObject d = answer.getJsonArray("deliveries").getJsonObject(0);
    return d.getString("status") + (d.getString("reason") == null ? "" : "/" + d.getString("reason"));
  }

  static List<MimeMessage> mailTo(String user) {
    return Arrays.stream(SMTP.getReceivedMessages()).filter(m -> GreenMailUtil.getAddressList(mailRecipients(m))
        .contains(user + "@example.com")).toList();
  }

  private static jakarta.mail.Address[] mailRecipients(MimeMessage m) {
    try {
      return m.getAllRecipients();
    } catch (jakarta.mail.MessagingException e) {
      throw new IllegalStateException(e);
    }
  }

  static DigestVerticle.Run runAt(Instant now) {
    return TestGateway.await(gw.gateway().digests().run(now));
  }

  @Test
  void threeHeldEmailsGoOutAsOneDigestAtTheSubscribersHour() throws Exception {
    int hour = laterHour();
    subscriber("dana", new JsonObject().put("categories", new JsonObject().put("news", new JsonObject().put("digest", "daily")))
        .put("digest", new JsonObject().put("hour", hour).put("unreadSummary", false)));
    JsonObject first = post("dana", "Launch", "news", "normal");
    assertEquals("held/daily", emailStatus(first));
    assertEquals("held/daily", emailStatus(post("dana", "Roadmap", "news", "normal")));
    assertEquals("held/daily", emailStatus(post("dana", "Hiring <now>", "news", "high")));
    assertEquals("pending", emailStatus(post("dana", "Invoice", "billing", "normal")), "another category goes at once");
    assertEquals("pending", emailStatus(post("dana", "Outage", "news", "critical")), "a critical one is never held");
    TestGateway.eventually(() -> mailTo("dana").size() == 2, "the two immediate e-mails");

    Instant slot = nextDaily(hour);
    var detail = gw.get("/v1/notifications/" + first.getString("id"), TestGateway.ADMIN_KEY).bodyAsJsonObject();
    JsonObject held = detail.getJsonArray("deliveries").getJsonObject(0);
    assertEquals("held", held.getString("status"));
    assertEquals(slot, Instant.parse(held.getString("nextAttemptAt")), "due at " + hour + ":00 Tokyo time");

    assertEquals(0, runAt(slot.minusSeconds(60)).digests(), "a minute early: nothing");
    DigestVerticle.Run run = runAt(slot);
    assertEquals(1, run.digests());
    assertEquals(3, run.digested());
    TestGateway.eventually(() -> mailTo("dana").size() == 3, "the digest e-mail");
    MimeMessage digest = mailTo("dana").stream().filter(m -> subject(m).startsWith("Your digest")).findFirst().orElseThrow();
    assertEquals("Your digest: 3 notifications", digest.getSubject());
    String raw = GreenMailUtil.getWholeMessage(digest);
    assertTrue(raw.contains("Launch") && raw.contains("Roadmap") && raw.contains("about Launch"), raw);
    assertTrue(raw.contains("Hiring &lt;now&gt;"), "escaped in the HTML part: " + raw);

    detail = gw.get("/v1/notifications/" + first.getString("id"), TestGateway.ADMIN_KEY).bodyAsJsonObject();
    held = detail.getJsonArray("deliveries").getJsonObject(0);
    assertEquals("digested", held.getString("status"));
    String digestId = held.getString("digestId");
    assertNotNull(digestId);
    TestGateway.eventually(() -> gw.count("SELECT count(*) FROM deliveries WHERE digest_id = '" + digestId
        + "' AND notification_id IS NULL AND status = 'sent'") == 1, "the digest's own delivery sent");
    assertEquals(1, gw.count("SELECT count(*) FROM deliveries WHERE digest_id = '" + digestId + "' AND notification_id IS NULL "
        + "AND due_since = created_at"), "it was due from when the digest was put together");
    var listed = gw.get("/v1/deliveries?status=sent&channel=email&limit=50", TestGateway.ADMIN_KEY).bodyAsJsonObject();
    assertTrue(listed.getJsonArray("items").stream().map(JsonObject.class::cast)
        .anyMatch(d -> digestId.equals(d.getString("digestId")) && "dana".equals(d.getString("recipient"))
            && d.getString("notificationId") == null), "operators see the digest's e-mail: " + listed.encode());
    assertEquals(0, runAt(slot).digests(), "sent once");
  }

  private static String subject(MimeMessage m) {
    try {
      return m.getSubject();
    } catch (jakarta.mail.MessagingException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aWeeklyDigestWaitsForTheChosenDayAndLeavesOutWhatTheUserDeleted() {
    int hour = laterHour();
    subscriber("eli", new JsonObject().put("channels", new JsonObject().put("email", new JsonObject().put("digest", "weekly")))
        .put("digest", new JsonObject().put("hour", hour).put("day", "thursday").put("unreadSummary", false)));
    JsonObject kept = post("eli", "Kept", "news", "normal");
    JsonObject gone = post("eli", "Gone", "news", "normal");
    assertEquals("held/weekly", emailStatus(kept));
    ZonedDateTime now = ZonedDateTime.now(TOKYO);
    ZonedDateTime thursday = now.truncatedTo(ChronoUnit.DAYS).with(TemporalAdjusters.nextOrSame(DayOfWeek.THURSDAY)).withHour(hour);
    Instant slot = (thursday.isAfter(now) ? thursday : thursday.plusWeeks(1)).toInstant();
    var detail = gw.get("/v1/notifications/" + kept.getString("id"), TestGateway.ADMIN_KEY).bodyAsJsonObject();
    assertEquals(slot, Instant.parse(detail.getJsonArray("deliveries").getJsonObject(0).getString("nextAttemptAt")));

    String token = TestGateway.token("eli");
    assertEquals(200, gw.request(HttpMethod.DELETE, "/v1/me/notifications/" + gone.getString("id"), token, null).statusCode());
    DigestVerticle.Run run = runAt(slot);
    assertEquals(1, run.digested());
    TestGateway.eventually(() -> mailTo("eli").size() == 1, "the weekly digest");
    assertEquals("Your digest: 1 notification", subject(mailTo("eli").get(0)));
    Row row = gw.query("SELECT status, reason FROM deliveries WHERE notification_id = '" + gone.getString("id") + "'").iterator().next();
    assertEquals("cancelled/deleted", row.getString(0) + "/" + row.getString(1));
  }

  @Test
  void theThrottleFoldsTheExcessIntoTheNextDailyDigest() {
    int hour = laterHour();
    subscriber("fay", new JsonObject().put("digest", new JsonObject().put("hour", hour).put("unreadSummary", false)));
    for (int i = 1; i <= 3; i++) {
      assertEquals("pending", emailStatus(post("fay", "Deal " + i, "promo", "normal")));
    }
    JsonObject fourth = post("fay", "Deal 4", "promo", "normal");
    assertEquals("held/throttled", emailStatus(fourth));
    TestGateway.eventually(() -> mailTo("fay").size() == 3, "the three within the limit");
    Instant slot = nextDaily(hour);
    var detail = gw.get("/v1/notifications/" + fourth.getString("id"), TestGateway.ADMIN_KEY).bodyAsJsonObject();
    assertEquals(slot, Instant.parse(detail.getJsonArray("deliveries").getJsonObject(0).getString("nextAttemptAt")),
        "the subscriber's next daily digest");
    assertEquals(1, runAt(slot).digests());
    TestGateway.eventually(() -> mailTo("fay").size() == 4, "the digest");
    assertTrue(GreenMailUtil.getWholeMessage(mailTo("fay").stream().filter(m -> subject(m).startsWith("Your digest")).findFirst()
        .orElseThrow()).contains("Deal 4"));
  }

  @Test
  void twoNodesAtOnceSendOneDigestAndAnOptOutSinceTheHoldIsRespected() {
    int hour = laterHour();
    JsonObject daily = new JsonObject().put("categories", new JsonObject().put("news", new JsonObject().put("digest", "daily")))
        .put("digest", new JsonObject().put("hour", hour).put("unreadSummary", false));
    subscriber("kim", daily);
    subscriber("lea", daily);
    for (int i = 0; i < 3; i++) {
      post("kim", "Kim " + i, "news", "normal");
      post("lea", "Lea " + i, "news", "normal");
    }
    // lea turns the category off while her e-mails wait
    JsonObject off = daily.copy();
    off.getJsonObject("categories").put("news", false);
    subscriber("lea", off, 200);
    Instant slot = nextDaily(hour);
    // two runs at once, as two nodes would: kim's three items go in one digest, sent once
    var both = TestGateway.await(io.vertx.core.Future.all(gw.gateway().digests().run(slot), gw.gateway().digests().run(slot)));
    DigestVerticle.Run a = both.resultAt(0);
    DigestVerticle.Run b = both.resultAt(1);
    assertEquals(1, a.digests() + b.digests(), a + " " + b);
    assertEquals(3, a.digested() + b.digested());
    TestGateway.eventually(() -> mailTo("kim").size() == 1, "kim's digest");
    assertEquals("Your digest: 3 notifications", subject(mailTo("kim").get(0)));
    assertEquals(3, gw.count("SELECT count(*) FROM deliveries d JOIN notifications n ON n.id = d.notification_id "
        + "WHERE n.recipient = 'lea' AND d.status = 'cancelled' AND d.reason = 'opted_out'"));
    assertTrue(mailTo("lea").isEmpty());
  }

  @Test
  void aTemplateNamedHeraldDigestWritesTheDigestInTheRecipientsLocale() {
    JsonObject template = new JsonObject().put("name", DigestComposer.DIGEST_TEMPLATE)
        .put("channels", new JsonObject().put("inapp", new JsonObject().put("title", "Digest"))
            .put("email", new JsonObject().put("subject", "{{count}} updates").put("text", "{{#items}}- {{title}}\n{{/items}}")))
        .put("locales", new JsonObject().put("de", new JsonObject()
            .put("email", new JsonObject().put("subject", "{{count}} Neuigkeiten").put("text", "{{#items}}- {{title}}\n{{/items}}"))))
        .put("sampleData", new JsonObject().put("count", 2).put("items", new JsonArray().add(new JsonObject().put("title", "x"))));
    var saved = gw.post("/v1/templates", TestGateway.ADMIN_KEY, template);
    assertEquals(201, saved.statusCode(), saved.bodyAsString());
    try {
      int hour = laterHour();
      var r = gw.request(HttpMethod.PUT, "/v1/subscribers/max", TestGateway.ADMIN_KEY, new JsonObject().put("email", "max@example.com")
          .put("locale", "de-AT").put("timeZone", "Asia/Tokyo").put("preferences", new JsonObject()
              .put("channels", new JsonObject().put("email", new JsonObject().put("digest", "daily")))
              .put("digest", new JsonObject().put("hour", hour).put("unreadSummary", false))));
      assertEquals(201, r.statusCode(), r.bodyAsString());
      post("max", "Erstens", "news", "normal");
      post("max", "Zweitens", "news", "normal");
      assertEquals(1, runAt(nextDaily(hour)).digests());
      TestGateway.eventually(() -> mailTo("max").size() == 1, "max's digest");
      assertEquals("2 Neuigkeiten", subject(mailTo("max").get(0)));
      String raw = GreenMailUtil.getWholeMessage(mailTo("max").get(0));
      assertTrue(raw.indexOf("- Zweitens") >= 0 && raw.indexOf("- Zweitens") < raw.indexOf("- Erstens"), "newest first: " + raw);
    } finally {
      gw.request(HttpMethod.DELETE, "/v1/templates/" + DigestComposer.DIGEST_TEMPLATE, TestGateway.ADMIN_KEY, null);
    }
  }

  @Test
  void digestTimesFollowTheSubscribersClockAcrossDaylightSavingChanges() {
    // 2 a.m. does not exist in New York on 8 March 2026: the digest goes at 3 a.m. EDT (07:00 UTC)
    assertEquals(Instant.parse("2026-03-08T07:00:00Z"), slot("daily", "America/New_York", 2, "2026-03-08T04:00:00Z"));
    // 1 a.m. happens twice on 1 November 2026: once, the second time (06:00 UTC), then 1 a.m. EST the next day
    assertEquals(Instant.parse("2026-11-01T06:00:00Z"), slot("daily", "America/New_York", 1, "2026-11-01T04:00:00Z"));
    assertEquals(Instant.parse("2026-11-02T06:00:00Z"), slot("daily", "America/New_York", 1, "2026-11-01T06:00:00Z"));
    // weekly, Mondays at 8 in Paris: the week clocks go forward, 8 a.m. CEST
    assertEquals(Instant.parse("2026-03-30T06:00:00Z"), slot("weekly", "Europe/Paris", 8, "2026-03-25T12:00:00Z"));
  }

  private static Instant slot(String kind, String zone, int hour, String after) {
    return gw.query("SELECT digest_slot('" + kind + "', '" + zone + "', " + hour + ", 1, '" + after + "')").iterator().next()
        .getOffsetDateTime(0).toInstant();
  }

  @Test
  void usersWhoStayedAwayGetTheirUnreadSummarisedOnceADay() {
    int hour = laterHour();
    JsonObject prefs = new JsonObject().put("digest", new JsonObject().put("hour", hour));
    subscriber("gus", prefs);
    subscriber("hal", prefs);
    subscriber("ivy", new JsonObject().put("digest", new JsonObject().put("hour", hour).put("unreadSummary", false)));
    for (String user : List.of("gus", "hal", "ivy")) {
      gw.notify(user, "Comment on your post");
      gw.notify(user, "New follower");
    }
    // hal has the app open
    io.herald.TestSocket socket = gw.socket(TestGateway.token("hal"));
    socket.next("welcome");
    TestGateway.eventually(() -> gw.count("SELECT count(*) FROM inbox WHERE recipient = 'hal' AND seen_at IS NOT NULL") == 1,
        "hal marked as seen");

    Instant slot = nextDaily(hour);
    assertEquals(0, runAt(slot.minusSeconds(60)).summaries());
    assertEquals(1, runAt(slot).summaries(), "gus only: hal was here, ivy said no");
    TestGateway.eventually(() -> mailTo("gus").size() == 1, "gus's summary");
    MimeMessage summary = mailTo("gus").get(0);
    assertEquals("You have 2 unread notifications", subject(summary));
    assertTrue(GreenMailUtil.getWholeMessage(summary).contains("New follower"));
    assertTrue(mailTo("hal").isEmpty() && mailTo("ivy").isEmpty());
    assertEquals(0, runAt(slot).summaries(), "once per day");
    assertEquals(0, runAt(slot.plusSeconds(86_400)).summaries(), "the next day: nothing new since, so no repeat");
    socket.close();
  }
}
