package io.herald.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import io.herald.PerClassGateway;
import io.herald.StandIn;
import io.herald.StandIn.Answer;
import io.herald.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Row;
import jakarta.mail.internet.MimeMessage;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Notifications through every external channel of a running gateway, against a real SMTP server
 * (GreenMail) and HTTP stand-ins that answer as providers do: what is sent where, what is never
 * sent, and what happens to each kind of failure.
 */
class DeliveryPipelineTest {
  static final String KEY = "whsec_MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3Bx";
  static final Map<String, AtomicInteger> SEEN = new ConcurrentHashMap<>();
  static final Set<String> HUNG = ConcurrentHashMap.newKeySet();

  /** SMS/WhatsApp stand-in scripted by the last digits of the number. */
  static final StandIn TWILIO = StandIn.start(r -> {
    String to = form(r.body(), "To");
    int n = SEEN.computeIfAbsent(to, k -> new AtomicInteger()).incrementAndGet();
    if (to.endsWith("0503")) {
      return Answer.json(503, "{\"message\":\"Service Unavailable\"}");
    }
    if (to.endsWith("0400")) {
      return Answer.json(400, "{\"code\":21211,\"message\":\"The 'To' number is not a valid phone number.\"}");
    }
    if (to.endsWith("0401")) {
      return Answer.json(401, "{\"code\":20003,\"message\":\"Authenticate\"}");
    }
    if (to.endsWith("0429") && n == 1) {
      return Answer.json(429, "{\"message\":\"Too Many Requests\"}").header("Retry-After", "2");
    }
    if (to.endsWith("0599") && n == 1) {
      return Answer.json(503, "{\"message\":\"flaky\"}");
    }
    if (to.endsWith("0777") && HUNG.add(to)) {
      return Answer.hang();
    }
    return Answer.json(201, "{\"sid\":\"SM" + Math.abs(to.hashCode()) + "x" + n + "\"}");
  });
  /** Webhook stand-in scripted by the notification title. */
  static final StandIn HOOK = StandIn.start(r -> r.body().contains("hook-503") ? Answer.status(503)
      : r.body().contains("hook-reset") ? Answer.reset()
      : r.body().contains("hook-hang") ? Answer.hang()
      : r.body().contains("hook-expiring") ? Answer.status(503).header("Retry-After", "30")
      : Answer.status(204));
  static final GreenMail SMTP = TestGateway.smtp();

  static TestGateway gw;

  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(config(), g -> gw = g);

  static JsonObject config() {
    JsonObject twilio = new JsonObject().put("enabled", true).put("provider", "twilio").put("baseUrl", TWILIO.url())
        .put("accountSid", "AC1").put("authToken", "secret-token").put("from", "+15550001111").put("timeoutSeconds", 2)
        .put("concurrency", 2);
    return new JsonObject()
        .put("channels", new JsonObject()
            .put("email", new JsonObject().put("enabled", true).put("from", "Herald <herald@test.example>").put("timeoutSeconds", 5)
                .put("smtp", new JsonObject().put("host", "127.0.0.1").put("port", SMTP.getSmtp().getPort())))
            .put("sms", twilio)
            .put("whatsapp", twilio.copy())
            .put("webhook", new JsonObject().put("enabled", true).put("url", HOOK.url() + "/hooks/herald").put("secret", KEY)
                .put("timeoutSeconds", 1)))
        .put("retry", new JsonObject().put("scanIntervalSeconds", 1).put("pendingGraceSeconds", 2).put("leaseSeconds", 10)
            .put("backoff", new JsonArray().add("1s")).put("maxAttempts", 3));
  }

  @AfterAll
  static void stopProviders() {
    TWILIO.close();
    HOOK.close();
    SMTP.stop();
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

  private static String user(String name) {
    return name + "-" + System.nanoTime();
  }

  private static void subscriber(String user, JsonObject body) {
    HttpResponse<Buffer> r = gw.request(HttpMethod.PUT, "/v1/subscribers/" + user, TestGateway.ADMIN_KEY, body);
    assertTrue(r.statusCode() == 201 || r.statusCode() == 200, r.bodyAsString());
  }

  private static JsonObject ingest(JsonObject body) {
    HttpResponse<Buffer> r = gw.post("/v1/notifications", TestGateway.INGEST_KEY, body);
    assertEquals(202, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  private static Row delivery(String notificationId, String channel) {
    var rows = gw.query("SELECT * FROM deliveries WHERE notification_id = '" + notificationId + "' AND channel = '" + channel + "'");
    assertEquals(1, rows.size(), "one " + channel + " delivery");
    return rows.iterator().next();
  }

  private static Row awaitStatus(String notificationId, String channel, String status) {
    TestGateway.eventually(() -> status.equals(delivery(notificationId, channel).getString("status")),
        channel + " delivery of " + notificationId + " " + status);
    return delivery(notificationId, channel);
  }

  private static List<Row> attempts(String deliveryId) {
    List<Row> out = new java.util.ArrayList<>();
    gw.query("SELECT * FROM delivery_attempts WHERE delivery_id = '" + deliveryId + "' ORDER BY attempt").forEach(out::add);
    return out;
  }

  @Test
  void everyChannelIsSentInItsProvidersFormat() throws Exception {
    String u = user("all");
    subscriber(u, new JsonObject().put("email", u + "@example.com").put("phone", "+15551230201").put("whatsapp", "+15559870201"));
    JsonObject answer = ingest(new JsonObject().put("recipient", u).put("title", "Parcel arrived").put("body", "Parcel #1 is here")
        .put("channels", new JsonArray().add("inapp").add("email").add("sms").add("whatsapp").add("webhook")));
    JsonArray deliveries = answer.getJsonArray("deliveries");
    assertEquals(4, deliveries.size(), answer.encode());
    deliveries.forEach(d -> assertEquals("pending", ((JsonObject) d).getString("status")));
    String id = answer.getString("id");
    for (String channel : List.of("email", "sms", "whatsapp", "webhook")) {
      Row row = awaitStatus(id, channel, "sent");
      assertEquals(1, row.getInteger("attempts"));
      assertNotNull(row.getOffsetDateTime("sent_at"));
      List<Row> tries = attempts(row.getUUID("id").toString());
      assertEquals(1, tries.size());
      assertEquals("sent", tries.get(0).getString("outcome"));
    }
    // operators see every delivery with its attempts on the notification
    JsonObject shown = gw.get("/v1/notifications/" + id, TestGateway.ADMIN_KEY).bodyAsJsonObject();
    assertEquals(4, shown.getJsonArray("deliveries").size(), shown.encode());
    for (Object d : shown.getJsonArray("deliveries")) {
      JsonObject delivery = (JsonObject) d;
      assertEquals("sent", delivery.getString("status"), delivery.encode());
      assertEquals(1, delivery.getInteger("attempts"));
      assertEquals("sent", delivery.getJsonArray("attemptLog").getJsonObject(0).getString("outcome"));
    }
    // SMS: Twilio's form with basic auth; WhatsApp: the same with whatsapp: prefixes
    StandIn.Request sms = TWILIO.requests.stream().filter(r -> form(r.body(), "To").equals("+15551230201")).findFirst().orElseThrow();
    assertEquals("/2010-04-01/Accounts/AC1/Messages.json", sms.path());
    assertEquals("+15550001111", form(sms.body(), "From"));
    assertTrue(form(sms.body(), "Body").contains("Parcel arrived"));
    assertEquals("Basic " + java.util.Base64.getEncoder().encodeToString("AC1:secret-token".getBytes()), sms.header("Authorization"));
    assertTrue(delivery(id, "sms").getString("provider_message_id").startsWith("SM"));
    StandIn.Request wa = TWILIO.requests.stream().filter(r -> form(r.body(), "To").equals("whatsapp:+15559870201")).findFirst()
        .orElseThrow();
    assertEquals("whatsapp:+15550001111", form(wa.body(), "From"));
    // e-mail: subject = title, to the subscriber's address
    MimeMessage mail = java.util.Arrays.stream(SMTP.getReceivedMessages())
        .filter(m -> {
          try {
            return m.getAllRecipients()[0].toString().equals(u + "@example.com");
          } catch (Exception e) {
            return false;
          }
        }).findFirst().orElseThrow();
    assertEquals("Parcel arrived", mail.getSubject());
    // webhook: Standard Webhooks envelope, id = the delivery id, signature verifies
    StandIn.Request hook = HOOK.containing(id).get(0);
    String deliveryId = delivery(id, "webhook").getUUID("id").toString();
    assertEquals(deliveryId, hook.header("webhook-id"));
    JsonObject envelope = new JsonObject(hook.body());
    assertEquals("notification", envelope.getString("type"));
    assertEquals(id, envelope.getJsonObject("data").getString("id"));
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(new javax.crypto.spec.SecretKeySpec(java.util.Base64.getDecoder().decode(KEY.substring(6)), "HmacSHA256"));
    String expected = java.util.Base64.getEncoder().encodeToString(mac.doFinal(
        (hook.header("webhook-id") + "." + hook.header("webhook-timestamp") + "." + hook.body()).getBytes(StandardCharsets.UTF_8)));
    assertTrue(List.of(hook.header("webhook-signature").split(" ")).contains("v1," + expected), hook.header("webhook-signature"));
  }

  @Test
  void theNotificationsOwnAddressWinsAndAMissingOneCancelsOnlyThatDelivery() {
    String u = user("override");
    subscriber(u, new JsonObject().put("email", "old-" + u + "@example.com").put("phone", "+15551110201"));
    String id = ingest(new JsonObject().put("recipient", u).put("title", "Override").put("email", "new-" + u + "@example.com")
        .put("phone", "+15552220201").put("channels", new JsonArray().add("email").add("sms"))).getString("id");
    assertEquals("new-" + u + "@example.com", awaitStatus(id, "email", "sent").getString("destination"));
    assertEquals("+15552220201", awaitStatus(id, "sms", "sent").getString("destination"));

    String nobody = user("nobody");
    JsonObject answer = ingest(new JsonObject().put("recipient", nobody).put("title", "Nowhere to go")
        .put("channels", new JsonArray().add("inapp").add("email").add("sms").add("webhook")));
    Map<String, JsonObject> byChannel = new java.util.HashMap<>();
    answer.getJsonArray("deliveries").forEach(d -> byChannel.put(((JsonObject) d).getString("channel"), (JsonObject) d));
    assertEquals("cancelled", byChannel.get("email").getString("status"));
    assertEquals("no_destination", byChannel.get("email").getString("reason"));
    assertEquals("no_destination", byChannel.get("sms").getString("reason"));
    assertEquals("pending", byChannel.get("webhook").getString("status"), "webhooks go to the configured URL");
    awaitStatus(answer.getString("id"), "webhook", "sent");
    assertEquals(1, gw.count("SELECT count(*) FROM notifications WHERE recipient = '" + nobody + "'"), "the in-app notification is kept");
  }

  @Test
  void anIdempotentReplayAnswersTheSameDeliveriesAndSendsNothingMore() {
    String u = user("replay");
    JsonObject body = new JsonObject().put("recipient", u).put("title", "Once only").put("idempotencyKey", "k-" + u)
        .put("channels", new JsonArray().add("webhook"));
    JsonObject first = ingest(body);
    awaitStatus(first.getString("id"), "webhook", "sent");
    HttpResponse<Buffer> again = gw.post("/v1/notifications", TestGateway.INGEST_KEY, body);
    assertEquals(200, again.statusCode());
    JsonObject replay = again.bodyAsJsonObject();
    assertEquals(first.getString("id"), replay.getString("id"));
    JsonObject d = replay.getJsonArray("deliveries").getJsonObject(0);
    assertEquals(first.getJsonArray("deliveries").getJsonObject(0).getString("id"), d.getString("id"));
    assertEquals("sent", d.getString("status"));
    assertEquals(1, HOOK.containing(first.getString("id")).size());
  }

  @Test
  void optOutsCancelDeliveriesAndTheProviderIsNeverCalled() {
    String u = user("optout");
    subscriber(u, new JsonObject().put("email", u + "@example.com").put("phone", "+15553330201")
        .put("preferences", new JsonObject().put("channels", new JsonObject().put("sms", false))
            .put("categories", new JsonObject().put("marketing", false))));
    String marketing = ingest(new JsonObject().put("recipient", u).put("title", "Sale!").put("category", "marketing")
        .put("channels", new JsonArray().add("email").add("sms"))).getString("id");
    String billing = ingest(new JsonObject().put("recipient", u).put("title", "Invoice").put("category", "billing")
        .put("channels", new JsonArray().add("email").add("sms"))).getString("id");
    awaitStatus(billing, "email", "sent");
    for (String[] c : new String[][] {{marketing, "email"}, {marketing, "sms"}, {billing, "sms"}}) {
      Row row = delivery(c[0], c[1]);
      assertEquals("cancelled", row.getString("status"));
      assertEquals("opted_out", row.getString("reason"));
      assertEquals(0, row.getInteger("attempts"));
    }
    assertTrue(TWILIO.requests.stream().noneMatch(r -> form(r.body(), "To").equals("+15553330201")), "SMS provider never called");
    assertEquals(1, java.util.Arrays.stream(SMTP.getReceivedMessages()).filter(m -> {
      try {
        return m.getAllRecipients()[0].toString().equals(u + "@example.com");
      } catch (Exception e) {
        return false;
      }
    }).count(), "only the billing e-mail went out");
  }

  @Test
  void aTemporaryFailureIsRetriedAfterTheBackoff() {
    String u = user("flaky");
    String id = ingest(new JsonObject().put("recipient", u).put("title", "Flaky").put("phone", "+15554440599")
        .put("channels", new JsonArray().add("sms"))).getString("id");
    Row row = awaitStatus(id, "sms", "sent");
    assertEquals(2, row.getInteger("attempts"));
    List<Row> tries = attempts(row.getUUID("id").toString());
    assertEquals("failed", tries.get(0).getString("outcome"));
    assertEquals("temporary", tries.get(0).getString("error_class"));
    assertEquals(503, tries.get(0).getInteger("http_status"));
    assertTrue(tries.get(0).getString("error").contains("503"), tries.get(0).getString("error"));
    assertEquals("sent", tries.get(1).getString("outcome"));
    List<StandIn.Request> calls = TWILIO.requests.stream().filter(r -> form(r.body(), "To").equals("+15554440599")).toList();
    assertEquals(2, calls.size());
    long gap = calls.get(1).receivedAtMillis() - calls.get(0).receivedAtMillis();
    assertTrue(gap >= 850, "second attempt only after the 1 s backoff (less 10 % jitter), was " + gap + " ms");
  }

  @Test
  void retryAfterFromA429IsHonoured() {
    String u = user("busy");
    String id = ingest(new JsonObject().put("recipient", u).put("title", "Busy").put("phone", "+15554440429")
        .put("channels", new JsonArray().add("sms"))).getString("id");
    awaitStatus(id, "sms", "sent");
    List<StandIn.Request> calls = TWILIO.requests.stream().filter(r -> form(r.body(), "To").equals("+15554440429")).toList();
    assertEquals(2, calls.size());
    long gap = calls.get(1).receivedAtMillis() - calls.get(0).receivedAtMillis();
    assertTrue(gap >= 1950, "Retry-After: 2 waits 2 s, not the 1 s backoff; was " + gap + " ms");
  }

  @Test
  void permanentFailuresGoStraightToTheDeadLetter() {
    String u = user("dead");
    String bad = ingest(new JsonObject().put("recipient", u).put("title", "Bad number").put("phone", "+15554440400")
        .put("channels", new JsonArray().add("sms"))).getString("id");
    String creds = ingest(new JsonObject().put("recipient", u).put("title", "Expired account").put("phone", "+15554440401")
        .put("channels", new JsonArray().add("sms"))).getString("id");
    Row badRow = awaitStatus(bad, "sms", "dead");
    assertEquals(1, badRow.getInteger("attempts"));
    assertEquals("permanent", badRow.getString("last_error_class"));
    assertEquals(400, badRow.getInteger("last_http_status"));
    Row credRow = awaitStatus(creds, "sms", "dead");
    assertEquals("credentials", credRow.getString("last_error_class"));
    assertEquals(1, TWILIO.requests.stream().filter(r -> form(r.body(), "To").equals("+15554440400")).count());
  }

  @Test
  void aProviderThatKeepsFailingEndsInTheDeadLetterAfterMaxAttempts() {
    String u = user("down");
    String id = ingest(new JsonObject().put("recipient", u).put("title", "Down").put("phone", "+15554440503")
        .put("channels", new JsonArray().add("sms"))).getString("id");
    Row row = awaitStatus(id, "sms", "dead");
    assertEquals(3, row.getInteger("attempts"));
    assertEquals("temporary", row.getString("last_error_class"));
    List<Row> tries = attempts(row.getUUID("id").toString());
    assertEquals(List.of("failed", "failed", "dead"), tries.stream().map(t -> t.getString("outcome")).toList());
    assertEquals(3, TWILIO.requests.stream().filter(r -> form(r.body(), "To").equals("+15554440503")).count());
  }

  @Test
  void aResetConnectionAndNoAnswerAtAllAreTemporary() {
    String u = user("net");
    String reset = ingest(new JsonObject().put("recipient", u).put("title", "hook-reset").put("channels", new JsonArray().add("webhook")))
        .getString("id");
    String hang = ingest(new JsonObject().put("recipient", u).put("title", "hook-hang").put("channels", new JsonArray().add("webhook")))
        .getString("id");
    for (String id : List.of(reset, hang)) {
      TestGateway.eventually(() -> !attempts(delivery(id, "webhook").getUUID("id").toString()).isEmpty()
          && attempts(delivery(id, "webhook").getUUID("id").toString()).get(0).getString("error_class") != null, "first attempt recorded");
      Row first = attempts(delivery(id, "webhook").getUUID("id").toString()).get(0);
      assertEquals("temporary", first.getString("error_class"), first.getString("error"));
    }
  }

  @Test
  void sendAtHoldsExternalDeliveriesUntilTheirTime() {
    String u = user("later");
    Instant at = Instant.now().plusSeconds(2);
    String id = ingest(new JsonObject().put("recipient", u).put("title", "Later").put("sendAt", at.toString())
        .put("channels", new JsonArray().add("webhook"))).getString("id");
    awaitStatus(id, "webhook", "sent");
    StandIn.Request hook = HOOK.containing(id).get(0);
    assertTrue(hook.receivedAtMillis() >= at.toEpochMilli(), "not sent before sendAt");
  }

  @Test
  void anExpiredNotificationIsCancelledNotSentLate() {
    String u = user("expiring");
    String id = ingest(new JsonObject().put("recipient", u).put("title", "hook-expiring")
        .put("expiresAt", Instant.now().plusMillis(1500).toString()).put("channels", new JsonArray().add("webhook"))).getString("id");
    Row row = awaitStatus(id, "webhook", "cancelled");
    assertEquals("expired", row.getString("reason"));
    assertEquals(1, HOOK.containing(id).size(), "tried once before expiry, never after");
  }

  @Test
  void aHangingProviderDoesNotSlowAnotherChannel() {
    String u = user("isolation");
    List<String> stuck = new java.util.ArrayList<>();
    for (int i = 0; i < 2; i++) { // sms concurrency is 2: both slots hang
      stuck.add(ingest(new JsonObject().put("recipient", u).put("title", "stuck " + i).put("phone", "+1555666" + i + "0777")
          .put("channels", new JsonArray().add("sms"))).getString("id"));
    }
    TestGateway.eventually(() -> stuck.stream().allMatch(id -> "sending".equals(delivery(id, "sms").getString("status"))),
        "both SMS slots taken by a provider that does not answer");
    String hook = ingest(new JsonObject().put("recipient", u).put("title", "meanwhile")
        .put("channels", new JsonArray().add("webhook"))).getString("id");
    awaitStatus(hook, "webhook", "sent");
    assertTrue(stuck.stream().anyMatch(id -> "sending".equals(delivery(id, "sms").getString("status"))),
        "the webhook went out while SMS calls were still hanging");
    for (String id : stuck) {
      assertFalse("dead".equals(awaitStatus(id, "sms", "sent").getString("status")));
    }
  }
}
