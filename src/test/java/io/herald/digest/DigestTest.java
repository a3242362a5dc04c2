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
    var r = gw.request(HttpMethod.PUT, "/v1/subscribers/" + user, TestGateway.ADMIN_KEY, new JsonObject()
        .put("email", user + "@example.com").put("timeZone", "Asia/Tokyo").put("preferences", preferences));
    assertEquals(201, r.statusCode(), r.bodyAsString());
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
    subscriber("fay", new JsonObject().put("digest", new JsonObject().put("unreadSummary", false)));
    for (int i = 1; i <= 3; i++) {
      assertEquals("pending", emailStatus(post("fay", "Deal " + i, "promo", "normal")));
    }
    JsonObject fourth = post("fay", "Deal 4", "promo", "normal");
    assertEquals("held/throttled", emailStatus(fourth));
    TestGateway.eventually(() -> mailTo("fay").size() == 3, "the three within the limit");
    Instant slot = nextDaily(8);
    var detail = gw.get("/v1/notifications/" + fourth.getString("id"), TestGateway.ADMIN_KEY).bodyAsJsonObject();
    assertEquals(slot, Instant.parse(detail.getJsonArray("deliveries").getJsonObject(0).getString("nextAttemptAt")),
        "the default digest hour (8) in the subscriber's zone");
    assertEquals(1, runAt(slot).digests());
    TestGateway.eventually(() -> mailTo("fay").size() == 4, "the digest");
    assertTrue(GreenMailUtil.getWholeMessage(mailTo("fay").stream().filter(m -> subject(m).startsWith("Your digest")).findFirst()
        .orElseThrow()).contains("Deal 4"));
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
