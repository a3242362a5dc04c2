package io.herald.ops;

import static io.herald.TestGateway.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.icegreen.greenmail.util.GreenMail;
import io.herald.LogCapture;
import io.herald.PerClassGateway;
import io.herald.StandIn;
import io.herald.StandIn.Answer;
import io.herald.TestGateway;
import io.herald.retry.DeliverySeed;
import io.herald.store.AlertStore;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Row;
import jakarta.mail.Multipart;
import jakarta.mail.internet.MimeMessage;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The health monitor against a real gateway: rows seeded into delivery_attempts and deliveries (and
 * one real failing delivery), checks run at chosen times, admin e-mail caught by GreenMail, the
 * admins' SMS (Twilio) and Slack-compatible webhook by a stand-in.
 */
class HealthMonitorTest {
  static final String OPS = "ops@example.com";
  static final String ONCALL = "+15550009999";
  /** An admin number the SMS provider refuses, quoting it back. */
  static final String REFUSED = "+15550000400";
  static final String KEY = "whsec_MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3Bx";

  static final GreenMail SMTP = TestGateway.smtp();
  /** Twilio (admin SMS), a customer's webhook receiver that refuses Herald's signature (401), and the admins' Slack hook. */
  static final StandIn PROVIDERS = StandIn.start(r -> r.path().startsWith("/customer") ? Answer.status(401)
      : r.path().startsWith("/2010-04-01") && form(r.body(), "To").equals(REFUSED)
          ? Answer.json(400, "{\"code\":21211,\"message\":\"The 'To' number " + REFUSED + " is not a valid phone number.\"}")
      : r.path().startsWith("/2010-04-01") ? Answer.json(201, "{\"sid\":\"SM1\"}")
      : Answer.status(200));

  static TestGateway gw;
  static DeliverySeed seed;

  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(config(), g -> {
    gw = g;
    seed = new DeliverySeed(g);
  });

  static JsonObject config() {
    return new JsonObject()
        .put("channels", new JsonObject()
            .put("email", new JsonObject().put("enabled", true).put("from", "Herald <herald@test.example>").put("timeoutSeconds", 5)
                .put("smtp", new JsonObject().put("host", "127.0.0.1").put("port", SMTP.getSmtp().getPort())))
            .put("sms", new JsonObject().put("enabled", true).put("provider", "twilio").put("baseUrl", PROVIDERS.url())
                .put("accountSid", "AC1").put("authToken", "secret-token").put("from", "+15550001111").put("timeoutSeconds", 2))
            .put("webhook", new JsonObject().put("enabled", true).put("url", PROVIDERS.url() + "/customer/hooks").put("secret", KEY)
                .put("timeoutSeconds", 2)))
        .put("retry", new JsonObject().put("leaseSeconds", 10))
        .put("alerts", new JsonObject().put("checkIntervalSeconds", 3600).put("cooldownMinutes", 60)
            .put("email", new JsonArray().add(OPS)).put("sms", new JsonArray().add(ONCALL).add(REFUSED))
            .put("webhook", PROVIDERS.url() + "/slack/T1/B2/x"));
  }

  @AfterAll
  static void stopProviders() {
    PROVIDERS.close();
    SMTP.stop();
  }

  Instant t;

  @BeforeEach
  void clean() throws Exception {
    gw.query("DELETE FROM alerts");
    gw.query("DELETE FROM deliveries");
    SMTP.purgeEmailFromAllMailboxes();
    PROVIDERS.requests.clear();
    t = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    // the gateway's monitor runs checks once it holds the health lease (taken at start)
    TestGateway.eventually(() -> await(gw.gateway().healthMonitor().check(t)), "the health lease");
  }

  // ---- the rules ----

  @Test
  void failuresPerHourAreCriticalFromTheThreshold() {
    // 19 failed attempts in the hour (and older ones) raise nothing; the 20th opens a critical alert
    attempts("whatsapp", 15, "failed", "temporary", 503, t.minusSeconds(60));
    attempts("whatsapp", 4, "dead", "temporary", null, t.minusSeconds(3000));
    attempts("whatsapp", 10, "failed", "temporary", 503, t.minus(Duration.ofMinutes(61)));
    attempts("whatsapp", 100, "sent", null, null, t.minusSeconds(120));
    check(t);
    assertEquals(0, alerts("active").size());
    attempts("whatsapp", 1, "failed", "temporary", 503, t.minusSeconds(10));
    check(t);
    JsonObject alert = only("failures_per_hour", "whatsapp");
    assertEquals("critical", alert.getString("severity"));
    assertEquals(20, alert.getJsonObject("details").getInteger("failed"));
    assertTrue(alert.getString("title").contains("20 failed attempts in the last hour"), alert.encode());
  }

  @Test
  void permanentFailuresAreAWarningFromFiveInADay() {
    // 4 permanent failures in 24 h (one more a day and a half ago) raise nothing; the 5th (a refused login counts) warns
    attempts("whatsapp", 3, "dead", "permanent", 400, t.minus(Duration.ofHours(20)));
    attempts("whatsapp", 1, "dead", "permanent", 400, t.minus(Duration.ofHours(36)));
    attempts("whatsapp", 1, "dead", "credentials", 403, t.minus(Duration.ofHours(2)));
    check(t);
    assertEquals(0, alerts("active").size());
    attempts("whatsapp", 1, "dead", "permanent", 400, t.minus(Duration.ofHours(23)));
    check(t);
    JsonObject alert = only("permanent_failures", "whatsapp");
    assertEquals("warning", alert.getString("severity"));
    assertEquals(5, alert.getJsonObject("details").getInteger("permanent"));
  }

  @Test
  void failureRateIsCriticalOnlyOverEnoughAttempts() {
    // 5 of 9 failed is 56 %, but 9 attempts are below failureRateMinAttempts (10); 5 of 10 is 50 %: critical
    attempts("whatsapp", 5, "failed", "temporary", 503, t.minusSeconds(600));
    attempts("whatsapp", 4, "sent", null, null, t.minusSeconds(600));
    check(t);
    assertEquals(0, alerts("active").size());
    attempts("whatsapp", 1, "sent", null, null, t.minusSeconds(60));
    check(t);
    JsonObject alert = only("failure_rate", "whatsapp");
    assertEquals("critical", alert.getString("severity"));
    assertTrue(alert.getString("title").contains("50 %"), alert.encode());
    // 4 of 10 on another channel is below the rate: nothing for it
    attempts("email", 4, "failed", "temporary", null, t.minusSeconds(60));
    attempts("email", 6, "sent", null, null, t.minusSeconds(60));
    check(t);
    assertEquals(1, alerts("active").size(), alerts("active").encode());
  }

  @Test
  void aProviderRefusingCredentialsIsACriticalAlertSentToAdmins() throws Exception {
    // a real webhook delivery refused with 401 goes dead at once; the next check opens a critical
    // "credentials or subscription" alert, e-mailed, sent by SMS and posted to the admins' webhook
    String id = gw.post("/v1/notifications", TestGateway.INGEST_KEY, new JsonObject().put("recipient", "u-cred").put("title", "Order 7")
        .put("body", "secret order details").put("channels", new JsonArray().add("webhook"))).bodyAsJsonObject().getString("id");
    TestGateway.eventually(() -> gw.count("SELECT count(*) FROM deliveries WHERE notification_id = '" + id + "' AND status = 'dead'") == 1,
        "the webhook delivery to go dead");
    List<String> logged = new ArrayList<>();
    LogCapture.during(Level.INFO, List.of(), () -> check(Instant.now())).forEach(e -> logged.add(LogCapture.line(e)));

    JsonObject alert = only("credentials", "webhook");
    assertEquals("critical", alert.getString("severity"));
    assertTrue(alert.getString("title").contains("credentials or subscription"), alert.encode());
    assertEquals(new JsonArray().add(401), alert.getJsonObject("details").getJsonArray("httpStatuses"));
    List<MimeMessage> mail = mailTo(OPS);
    assertEquals(1, mail.size());
    assertTrue(mail.get(0).getSubject().startsWith("[Herald] CRITICAL webhook:"), mail.get(0).getSubject());
    assertTrue(mail.get(0).getSubject().contains("credentials or subscription"), mail.get(0).getSubject());
    String text = text(mail.get(0));
    assertTrue(text.contains("Node:     " + gw.gateway().nodeId()), text);
    assertTrue(text.contains("HTTP 401"), text);
    assertFalse(text.contains("secret order details") || text.contains("u-cred"), "no message body or recipient: " + text);
    StandIn.Request sms = sms(ONCALL).get(0);
    assertTrue(form(sms.body(), "Body").startsWith("Herald CRITICAL webhook: the provider refused Herald's credentials or subscription "
        + "(credentials or subscription refused). Since "), sms.body());
    JsonObject hook = new JsonObject(slack().get(0).body());
    assertTrue(hook.getString("text").contains("credentials or subscription"), hook.encode());
    assertEquals("opened", hook.getString("event"));
    // each recipient's outcome is recorded; the refused number did not stop the alert counting as told
    JsonArray sent = row(alert).getJsonArray("notifications");
    assertEquals(4, sent.size(), sent.encode());
    assertEquals(List.of(true, true, false, true), sent.stream().map(e -> ((JsonObject) e).getBoolean("ok")).toList());
    assertEquals("permanent", sent.getJsonObject(2).getString("errorClass"));
    assertNotNull(alert.getString("notifiedAt"));
    // admins' addresses and numbers stay out of the log, even the one the provider quoted in its refusal
    assertTrue(logged.stream().anyMatch(l -> l.startsWith("WARN") && l.contains("credentials")), logged.toString());
    for (String line : logged.stream().filter(l -> l.contains(" io.herald.")).toList()) { // GreenMail logs its users itself
      assertFalse(line.contains(OPS) || line.contains(ONCALL) || line.contains(REFUSED), line);
    }
  }

  @Test
  void aDeliveryDueForLongerThanBacklogMinutesIsAWarning() {
    // never-tried deliveries due for 59 min raise nothing; one due for 61 min (however often the
    // scanner re-dispatched it) warns; a retry still waiting for its backoff is not due
    waiting(t.minus(Duration.ofMinutes(59)));
    seed.delivery(d -> {
      d.channel = "whatsapp";
      d.status = "failed";
      d.attempts = 2;
      d.createdAt = OffsetDateTime.ofInstant(t.minus(Duration.ofHours(5)), ZoneOffset.UTC);
      d.nextAttemptAt = OffsetDateTime.ofInstant(t.plus(Duration.ofMinutes(30)), ZoneOffset.UTC);
    });
    check(t);
    assertEquals(0, alerts("active").size());
    waiting(t.minus(Duration.ofMinutes(61)));
    check(t);
    JsonObject alert = only("backlog", "whatsapp");
    assertEquals("warning", alert.getString("severity"));
    assertTrue(alert.getString("title").contains("whatsapp: deliveries waiting for 1 h 1 min"), alert.encode());
    assertEquals(new JsonObject().put("overdue", 1).put("due", 2).put("oldestMinutes", 61).put("thresholdMinutes", 60),
        alert.getJsonObject("details"));
  }

  // ---- cooldown, resolution, flapping, routes ----

  @Test
  void noRepeatWithinTheCooldownAndAReminderAfterIt() throws Exception {
    // a warning about SMS goes by e-mail and webhook only (SMS carries critical alerts), once per cooldown
    attempts("sms", 5, "dead", "permanent", 400, t.minusSeconds(60));
    check(t);
    assertEquals(1, mailTo(OPS).size());
    assertEquals("[Herald] WARNING sms: 5 permanent failures in the last 24 hours", mailTo(OPS).get(0).getSubject());
    assertEquals(1, slack().size());
    assertEquals(List.of(), PROVIDERS.containing("Body="), "no SMS for a warning about the SMS channel");
    check(t.plus(Duration.ofMinutes(30)));
    check(t.plus(Duration.ofMinutes(59)));
    assertEquals(1, mailTo(OPS).size(), "nothing new within the cooldown");
    assertEquals(1, slack().size());
    JsonObject alert = only("permanent_failures", "sms");
    assertEquals(iso(t.plus(Duration.ofMinutes(59))), alert.getString("lastSeenAt"));
    assertEquals(iso(t), alert.getString("notifiedAt"));
    check(t.plus(Duration.ofMinutes(61)));
    assertEquals(2, mailTo(OPS).size(), "reminded once the cooldown is over");
    assertTrue(text(mailTo(OPS).get(1)).contains("still active"), text(mailTo(OPS).get(1)));
    assertEquals("reminder", new JsonObject(slack().get(1).body()).getString("event"));
  }

  @Test
  void aConditionThatClearsResolvesTheAlertAndSaysSo() throws Exception {
    attempts("sms", 5, "dead", "permanent", 400, t.minusSeconds(60));
    check(t);
    String id = only("permanent_failures", "sms").getString("id");
    check(t.plus(Duration.ofHours(24)));
    assertEquals(0, alerts("active").size());
    JsonObject resolved = alerts("resolved").getJsonObject(0);
    assertEquals(id, resolved.getString("id"));
    assertEquals(iso(t.plus(Duration.ofHours(24))), resolved.getString("resolvedAt"));
    assertEquals(2, mailTo(OPS).size());
    MimeMessage notice = mailTo(OPS).get(1);
    assertEquals("[Herald] RESOLVED sms: 5 permanent failures in the last 24 hours", notice.getSubject());
    assertTrue(text(notice).contains("Resolved: "), text(notice));
    JsonObject hook = new JsonObject(slack().get(1).body());
    assertEquals("resolved", hook.getString("event"));
    assertTrue(hook.getString("text").startsWith("Herald RESOLVED"), hook.encode());
    check(t.plus(Duration.ofHours(25)));
    assertEquals(2, mailTo(OPS).size(), "the resolution is told once");
  }

  @Test
  void anAlertThatFlapsIsNotAnnouncedAgainWithinTheCooldown() {
    // open (told), resolve (told), re-open within the cooldown of that notice (silent), resolve
    // unannounced (silent), re-open after the cooldown (told); the provider accepting a message resolves it
    attempts("whatsapp", 1, "dead", "credentials", 401, t.minusSeconds(60));
    check(t);
    attempts("whatsapp", 1, "sent", null, null, t.plus(Duration.ofMinutes(60)));
    check(t.plus(Duration.ofMinutes(61)));
    assertEquals(2, mailTo(OPS).size());
    attempts("whatsapp", 1, "dead", "credentials", 401, t.plus(Duration.ofMinutes(62)));
    check(t.plus(Duration.ofMinutes(63)));
    JsonObject reopened = only("credentials", "whatsapp");
    assertNull(reopened.getString("notifiedAt"));
    assertEquals(2, mailTo(OPS).size(), "back within the cooldown: not announced");
    attempts("whatsapp", 1, "sent", null, null, t.plus(Duration.ofMinutes(123)));
    check(t.plus(Duration.ofMinutes(124)));
    assertEquals(0, alerts("active").size());
    assertEquals(2, mailTo(OPS).size(), "never announced, so no resolution notice");
    attempts("whatsapp", 1, "dead", "credentials", 401, t.plus(Duration.ofMinutes(125)));
    check(t.plus(Duration.ofMinutes(126)));
    assertEquals(3, mailTo(OPS).size(), "back after the cooldown: announced");
    assertEquals(3, alerts("all").size());
  }

  @Test
  void aCredentialsAlertHoldsUntilTheProviderAcceptsAMessageAgain() throws Exception {
    // a refused delivery goes dead at once: with no traffic after it, the hour passing fixes nothing.
    // Only an attempt on that channel sent after the last refusal resolves the alert
    attempts("whatsapp", 1, "sent", null, null, t.minusSeconds(120));
    attempts("whatsapp", 1, "dead", "credentials", 401, t.minusSeconds(60));
    check(t);
    String id = only("credentials", "whatsapp").getString("id");
    check(t.plus(Duration.ofHours(2)));
    JsonObject still = only("credentials", "whatsapp");
    assertEquals(id, still.getString("id"));
    assertTrue(still.getString("message").contains("no whatsapp delivery has been sent since"), still.encode());
    assertEquals(iso(t.minusSeconds(60)), still.getJsonObject("details").getString("lastRefusedAt"));
    attempts("email", 1, "sent", null, null, t.plus(Duration.ofHours(29)));
    check(t.plus(Duration.ofHours(30))); // beyond the 24 h the figures cover, and another channel is fine
    assertEquals(id, only("credentials", "whatsapp").getString("id"));
    assertEquals(List.of("[Herald] CRITICAL whatsapp: the provider refused Herald's credentials or subscription",
        "[Herald] CRITICAL whatsapp: the provider refused Herald's credentials or subscription",
        "[Herald] CRITICAL whatsapp: the provider refused Herald's credentials or subscription"), subjects(),
        "opened, then reminded: never resolved");
    attempts("whatsapp", 1, "sent", null, null, t.plus(Duration.ofHours(31)));
    check(t.plus(Duration.ofHours(31)).plusSeconds(60));
    assertEquals(0, alerts("active").size());
    assertEquals("[Herald] RESOLVED whatsapp: the provider refused Herald's credentials or subscription", subjects().get(3));
  }

  // ---- all channels together ----

  @Test
  void failuresAcrossChannelsAreJudgedOnTheirTotals() throws Exception {
    // 12 SMS and 12 WhatsApp failures in the hour: neither channel reaches 20, the gateway does (24).
    // Once SMS alone reaches 20, its own alert takes over: the all-channels one resolves, in the same message
    attempts("sms", 12, "failed", "temporary", 503, t.minusSeconds(60));
    attempts("sms", 30, "sent", null, null, t.minusSeconds(60));
    attempts("whatsapp", 12, "failed", "temporary", 503, t.minusSeconds(60));
    attempts("whatsapp", 30, "sent", null, null, t.minusSeconds(60));
    check(t);
    JsonObject all = only("failures_per_hour", null);
    assertEquals("critical", all.getString("severity"));
    assertEquals("all channels: 24 failed attempts in the last hour", all.getString("title"));
    assertTrue(all.getString("message").startsWith("24 delivery attempts failed in the last hour across channels (sms 12, whatsapp 12), "
        + "of 84 finished"), all.getString("message"));
    assertEquals(new JsonObject().put("sms", 12).put("whatsapp", 12), all.getJsonObject("details").getJsonObject("byChannel"));
    assertEquals(List.of("[Herald] CRITICAL all channels: 24 failed attempts in the last hour"), subjects());
    assertTrue(text(mailTo(OPS).get(0)).contains("Channel:  (all)"), text(mailTo(OPS).get(0)));
    assertEquals(1, sms(ONCALL).size(), "critical: by SMS too");

    attempts("sms", 8, "failed", "temporary", 503, t.plusSeconds(60));
    check(t.plusSeconds(120));
    only("failures_per_hour", "sms");
    JsonObject resolved = alerts("resolved").getJsonObject(0);
    assertEquals(all.getString("id"), resolved.getString("id"));
    assertEquals(2, mailTo(OPS).size());
    assertEquals("[Herald] CRITICAL 2 alerts (1 opened, 1 resolved): sms: 20 failed attempts in the last hour, and 1 more",
        subjects().get(1));
  }

  @Test
  void aFailureRateAcrossChannelsIsJudgedOverTheirTotals() {
    // 5 of 5 failed on each of two channels: too few attempts to judge either (10), enough for all of them together
    attempts("sms", 5, "failed", "temporary", 503, t.minusSeconds(60));
    attempts("whatsapp", 5, "failed", "temporary", 503, t.minusSeconds(60));
    check(t);
    JsonObject all = only("failure_rate", null);
    assertEquals("all channels: 100 % of attempts failed in the last hour", all.getString("title"));
    assertEquals(10, all.getJsonObject("details").getInteger("finished"));
    // 5 permanent failures on each: each channel warns, and the gateway-wide warning is not added on top
    attempts("sms", 5, "dead", "permanent", 400, t.minus(Duration.ofHours(3)));
    attempts("whatsapp", 5, "dead", "permanent", 400, t.minus(Duration.ofHours(3)));
    check(t.plusSeconds(60));
    assertEquals(List.of("failure_rate/", "permanent_failures/sms", "permanent_failures/whatsapp"), alerts("active").stream()
        .map(a -> ((JsonObject) a).getString("rule") + "/" + (((JsonObject) a).getString("channel") == null ? ""
            : ((JsonObject) a).getString("channel"))).sorted().toList());
  }

  // ---- one message per check ----

  @Test
  void oneOutageOpeningFourAlertsIsOneMessagePerRouteAndOneLogLine() throws Exception {
    // 20 WhatsApp attempts refused with 401 open credentials, failure_rate, failures_per_hour and permanent_failures at once:
    // one e-mail and one webhook call tell of all four, one SMS per admin of the three critical ones; each alert keeps its own record
    attempts("whatsapp", 20, "dead", "credentials", 401, t.minusSeconds(60));
    List<String> logged = LogCapture.during(Level.INFO, List.of(), () -> check(t)).stream().map(LogCapture::line).toList();
    JsonArray active = alerts("active");
    assertEquals(4, active.size(), active.encode());
    assertEquals(1, mailTo(OPS).size());
    MimeMessage mail = mailTo(OPS).get(0);
    assertEquals("[Herald] CRITICAL 4 alerts (4 opened): whatsapp: the provider refused Herald's credentials or subscription, "
        + "and 3 more", mail.getSubject());
    String text = text(mail);
    for (Object a : active) {
      assertTrue(text.contains(((JsonObject) a).getString("title")), text);
      assertTrue(text.contains("Alert:    " + ((JsonObject) a).getString("id")), text);
    }
    assertEquals(1, sms(ONCALL).size());
    String line = form(sms(ONCALL).get(0).body(), "Body");
    assertTrue(line.startsWith("Herald 3 alerts (3 opened): CRITICAL whatsapp: the provider refused Herald's credentials or "
        + "subscription; CRITICAL whatsapp: 100 % of attempts failed in the last hour; CRITICAL whatsapp: 20 failed attempts in the "
        + "last hour. Checked "), line);
    assertEquals(1, slack().size());
    JsonObject hook = new JsonObject(slack().get(0).body());
    assertEquals(4, hook.getJsonArray("notices").size());
    assertEquals("several", hook.getString("event"));
    for (Object a : active) {
      JsonArray sent = row((JsonObject) a).getJsonArray("notifications");
      boolean critical = ((JsonObject) a).getString("severity").equals("critical");
      assertEquals(critical ? List.of("email", "sms", "sms", "webhook") : List.of("email", "webhook"),
          sent.stream().map(e -> ((JsonObject) e).getString("route")).toList());
      assertEquals(critical ? List.of(4, 3, 3, 4) : List.of(4, 4), sent.stream().map(e -> ((JsonObject) e).getInteger("alerts")).toList());
      assertEquals("opened", sent.getJsonObject(0).getString("event"));
      assertNotNull(((JsonObject) a).getString("notifiedAt"));
    }
    // the check's one line: what it opened and told, with figures
    assertEquals(1, logged.stream().filter(l -> l.contains("health check: ")).count(), logged.toString());
    assertTrue(logged.stream().anyMatch(l -> l.startsWith("INFO") && l.contains("health check: open 4, opened 4, resolved 0; "
        + "notices told 4, not told 0; messages 4, failed 1")), logged.toString());
    // a check with nothing new says so at DEBUG only
    List<String> quiet = LogCapture.during(Level.DEBUG, List.of(), () -> check(t.plusSeconds(60))).stream().map(LogCapture::line)
        .filter(l -> l.contains("health check: ")).toList();
    assertEquals(1, quiet.size(), quiet.toString());
    assertTrue(quiet.get(0).startsWith("DEBUG") && quiet.get(0).contains("open 4, opened 0, resolved 0; notices told 0,"), quiet.get(0));
    // the provider accepts a message again, the hour passes: the four resolutions are again one message per route
    attempts("whatsapp", 1, "sent", null, null, t.plus(Duration.ofHours(25)));
    check(t.plus(Duration.ofHours(25)).plusSeconds(60));
    assertEquals(0, alerts("active").size());
    assertEquals(2, mailTo(OPS).size());
    assertTrue(mailTo(OPS).get(1).getSubject().startsWith("[Herald] RESOLVED 4 alerts (4 resolved): "), mailTo(OPS).get(1).getSubject());
    assertEquals(2, sms(ONCALL).size());
  }

  @Test
  void anAlertAboutTheEmailChannelAlsoGoesBySmsAndWebhook() {
    // a warning would go by e-mail and webhook; being about e-mail, it also goes by SMS
    attempts("email", 5, "dead", "permanent", null, t.minusSeconds(60));
    check(t);
    JsonObject alert = only("permanent_failures", "email");
    assertEquals("warning", alert.getString("severity"));
    assertEquals(1, mailTo(OPS).size());
    String body = form(sms(ONCALL).get(0).body(), "Body");
    assertTrue(body.startsWith("Herald WARNING email: 5 permanent failures in the last 24 hours (permanent failures per day). Since "),
        body);
    assertTrue(new JsonObject(slack().get(0).body()).getString("text").contains("email: 5 permanent failures"));
    JsonArray sent = row(alert).getJsonArray("notifications");
    assertEquals(List.of("email", "sms", "sms", "webhook"), sent.stream().map(e -> ((JsonObject) e).getString("route")).toList());
  }

  // ---- GET /v1/alerts ----

  @Test
  void alertsApiListsNewestFirstFiltersAndRefusesBadInput() {
    attempts("whatsapp", 1, "dead", "credentials", 401, t.minusSeconds(60));
    check(t);
    attempts("sms", 5, "dead", "permanent", 400, t.minusSeconds(30));
    check(t.plus(Duration.ofMinutes(10)));
    attempts("whatsapp", 1, "sent", null, null, t.plus(Duration.ofHours(1)));
    check(t.plus(Duration.ofHours(2))); // the provider accepted a message again: resolved
    JsonArray active = alerts("active");
    assertEquals(1, active.size());
    assertEquals(active, list("/v1/alerts").getJsonArray("items"), "active by default");
    JsonObject item = active.getJsonObject(0);
    assertTrue(item.fieldNames().containsAll(Set.of("id", "rule", "channel", "severity", "status", "title", "message", "details",
        "openedAt", "lastSeenAt", "resolvedAt", "notifiedAt")), item.encode());
    assertEquals("permanent_failures", item.getString("rule"));
    assertEquals("active", item.getString("status"));
    assertEquals(iso(t.plus(Duration.ofMinutes(10))), item.getString("openedAt"));
    assertNull(item.getString("resolvedAt"));
    JsonArray resolved = alerts("resolved");
    assertEquals(List.of("credentials"), resolved.stream().map(a -> ((JsonObject) a).getString("rule")).toList());
    assertEquals(List.of("permanent_failures", "credentials"),
        alerts("all").stream().map(a -> ((JsonObject) a).getString("rule")).toList());
    assertEquals(List.of("permanent_failures"), list("/v1/alerts?status=all&limit=1").getJsonArray("items").stream()
        .map(a -> ((JsonObject) a).getString("rule")).toList());
    // the stats helper's list is the same items
    assertEquals(active, await(new AlertStore(gw.sql()).activeJson()));

    for (String query : List.of("status=open", "status=ACTIVE")) {
      refused("/v1/alerts?" + query, "status");
    }
    for (String query : List.of("limit=0", "limit=501", "limit=ten", "status=all&limit=-1")) {
      refused("/v1/alerts?" + query, "limit");
    }
    assertEquals(401, gw.get("/v1/alerts", null).statusCode());
    assertEquals(401, gw.get("/v1/alerts", "not-a-key-at-all").statusCode());
    assertEquals(403, gw.get("/v1/alerts", TestGateway.INGEST_KEY).statusCode());
  }

  // ---- helpers ----

  void check(Instant at) {
    assertTrue(await(gw.gateway().healthMonitor().check(at)), "this node holds the health lease");
  }

  /** {@code n} attempts of a new delivery of {@code channel}, the last started at {@code at}, one second apart. */
  void attempts(String channel, int n, String outcome, String errorClass, Integer httpStatus, Instant at) {
    DeliverySeed.D d = seed.delivery(x -> {
      x.channel = channel;
      x.status = outcome.equals("sent") ? "sent" : outcome;
      x.attempts = n;
      x.lastErrorClass = errorClass;
    });
    for (int i = 1; i <= n; i++) {
      seed.attempt(d.id, i, OffsetDateTime.ofInstant(at.minusSeconds(n - i), ZoneOffset.UTC), 120, outcome, errorClass,
          errorClass == null ? null : "refused", httpStatus);
    }
  }

  /** A WhatsApp delivery never tried, written at {@code created}. */
  void waiting(Instant created) {
    seed.delivery(d -> {
      d.channel = "whatsapp";
      d.status = "pending";
      d.attempts = 0;
      d.createdAt = OffsetDateTime.ofInstant(created, ZoneOffset.UTC);
      d.nextAttemptAt = d.createdAt.plusSeconds(10);
    });
  }

  static JsonObject list(String path) {
    HttpResponse<Buffer> r = gw.get(path, TestGateway.ADMIN_KEY);
    assertEquals(200, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  static JsonArray alerts(String status) {
    return list("/v1/alerts?status=" + status).getJsonArray("items");
  }

  /** The one active alert, which must be of {@code rule} on {@code channel}. */
  static JsonObject only(String rule, String channel) {
    JsonArray active = alerts("active");
    assertEquals(1, active.size(), active.encode());
    JsonObject a = active.getJsonObject(0);
    assertEquals(rule, a.getString("rule"));
    assertEquals(channel, a.getString("channel"));
    return a;
  }

  /** The subjects of the mail to {@link #OPS}, oldest first. */
  static List<String> subjects() throws Exception {
    List<String> out = new ArrayList<>();
    for (MimeMessage m : mailTo(OPS)) {
      out.add(m.getSubject());
    }
    return out;
  }

  static Row row(JsonObject alert) {
    return gw.query("SELECT notifications FROM alerts WHERE id = '" + alert.getString("id") + "'").iterator().next();
  }

  static void refused(String path, String field) {
    HttpResponse<Buffer> r = gw.get(path, TestGateway.ADMIN_KEY);
    assertEquals(400, r.statusCode(), path + ": " + r.bodyAsString());
    assertEquals(field, r.bodyAsJsonObject().getJsonObject("error").getString("field"), path);
  }

  static List<MimeMessage> mailTo(String address) {
    List<MimeMessage> out = new ArrayList<>();
    for (MimeMessage m : SMTP.getReceivedMessages()) {
      try {
        if (m.getAllRecipients()[0].toString().equals(address)) {
          out.add(m);
        }
      } catch (jakarta.mail.MessagingException e) {
        throw new AssertionError(e);
      }
    }
    return out;
  }

  static String text(MimeMessage m) throws Exception {
    Object content = m.getContent();
    if (content instanceof Multipart parts) {
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < parts.getCount(); i++) {
        out.append(parts.getBodyPart(i).getContent());
      }
      return out.toString();
    }
    return content.toString();
  }

  static List<StandIn.Request> sms(String to) {
    return PROVIDERS.requests.stream().filter(r -> r.path().startsWith("/2010-04-01") && form(r.body(), "To").equals(to)).toList();
  }

  static List<StandIn.Request> slack() {
    return PROVIDERS.requests.stream().filter(r -> r.path().startsWith("/slack")).toList();
  }

  static String iso(Instant at) {
    return io.herald.store.Notification.iso(OffsetDateTime.ofInstant(at, ZoneOffset.UTC));
  }

  static String form(String body, String field) {
    for (String pair : body.split("&")) {
      String[] kv = pair.split("=", 2);
      if (kv[0].equals(field)) {
        return URLDecoder.decode(kv[1], StandardCharsets.UTF_8);
      }
    }
    return "";
  }
}
