package io.herald.ops;

import static io.herald.TestGateway.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.herald.JarProcess;
import io.herald.StandIn;
import io.herald.TestGateway;
import io.herald.TestSocket;
import io.herald.TestSocketAccess;
import io.herald.auth.Jwt;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.parsetools.RecordParser;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full run of the gateway in its own JVM, with the real logback.xml and HERALD_LOG_FORMAT=json:
 * every channel against a real stand-in, successes and every kind of failure, bad credentials, a
 * socket, an event and a broadcast. Its output must be one JSON object per line, nothing at INFO
 * or above may show a secret, a token or anyone's data (addresses, numbers, user ids, titles,
 * bodies), and the lines about failed deliveries must name the delivery and its notification.
 */
class LogHygieneTest {
  static final String ADMIN_KEY = "lh-admin-KEY-4bd1e07c2a";
  static final String INGEST_KEY = "lh-ingest-KEY-93fa61d0e5";
  static final String WRONG_KEY = "lh-wrong-KEY-7c0ffee123";
  static final String JWT_SECRET = "lh-jwt-SECRET-5e2b8a91c4d7f360";
  static final String SMTP_USER = "herald-smtp";
  static final String SMTP_PASSWORD = "smtp-SECRET-pass-5150";
  static final String SMS_TOKEN = "sms-SECRET-token-8642";
  static final String WHATSAPP_TOKEN = "wa-SECRET-token-9753";
  static final String HOOK_QUERY_TOKEN = "hook-query-SECRET-7733";
  static final byte[] HOOK_KEY = "lh-webhook-key-bytes-0123456789".getBytes(StandardCharsets.UTF_8);
  static final String HOOK_SECRET = "whsec_" + Base64.getEncoder().encodeToString(HOOK_KEY);

  static final String ADA = "lh-user-ada-1815";
  static final String ROSA = "lh-user-rosa-1913";
  static final String GRACE = "lh-user-grace-1906";
  static final String INLINE = "lh-user-inline-2001";
  static final String ADA_EMAIL = "ada.lovelace@example.org";
  static final String ROSA_EMAIL = "rosa.parks@example.org";
  static final String GRACE_EMAIL = "grace.hopper@example.net";
  static final String INLINE_EMAIL = "inline.person@example.com";
  /** Numbers the provider stand-in answers 201, 400, 401 and 500 for. */
  static final String PHONE_OK = "+15550100001";
  static final String PHONE_400 = "+15550100400";
  static final String PHONE_401 = "+15550100401";
  static final String PHONE_500 = "+15550100500";
  /** The admins the health monitor tells of alerts (the 401 above opens a credentials alert). */
  static final String ADMIN_EMAIL = "ops.admin@example.com";
  static final String ADMIN_PHONE = "+15550100777";
  static final String ADMIN_HOOK_SECRET = "ADMIN-hook-SECRET-5151";
  static final String TITLE_OK = "Quarterly TITLE-zebra-1234";
  static final String BODY_OK = "BODY-walrus-5678 the secret plans";
  static final String TITLE_DEAD = "Overdue TITLE-lynx-4321";
  static final String BODY_DEAD = "BODY-badger-8765 your account";
  static final String TITLE_RETRY = "Reminder TITLE-falcon-2468 hook-fail";
  static final String BODY_RETRY = "BODY-otter-1357 meeting notes";
  static final String TITLE_INLINE = "Receipt TITLE-heron-9753";
  static final String BROADCAST = "BROADCAST-marmot-1122 maintenance tonight";
  static final String EVENT_NAME = "PERSON-name-Ostrogradsky";
  static final String EVENT_SECRET = "EVENT-body-quokka-3344";

  @TempDir
  Path dir;

  // A realistic run leaves JSON lines only, no secret or personal data at INFO+, and ids on every delivery failure line.
  @Test
  void aFullRunLogsJsonWithoutSecretsOrPersonalData() throws Exception {
    String schema = "lh_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    int port = TestGateway.freePort();
    Vertx vertx = Vertx.vertx();
    GreenMail mail = new GreenMail(new ServerSetup(TestGateway.freePort(), "127.0.0.1", "smtp"))
        .withConfiguration(GreenMailConfiguration.aConfig().withUser(SMTP_USER, SMTP_PASSWORD));
    mail.start();
    RejectingSmtp smtp = new RejectingSmtp(vertx, mail.getSmtp().getPort(), ROSA_EMAIL);
    StandIn twilio = StandIn.start(LogHygieneTest::twilioAnswer);
    StandIn hook = StandIn.start(r -> r.body().contains("hook-fail")
        ? StandIn.Answer.json(500, "{\"error\": \"could not process " + r.body().replace("\"", "'") + "\"}")
        : StandIn.Answer.status(204));
    Path out = dir.resolve("stdout.log");
    Path err = dir.resolve("stderr.log");
    Process process = start(config(schema, port, smtp.port(), twilio.url(), hook.url()), out, err);
    WebClient http = WebClient.create(vertx);
    Api api = new Api(http, port);
    try {
      TestGateway.eventually(() -> JarProcess.status(port, "/health/ready") == 200 || !process.isAlive(), "the gateway to start", 60);
      assertTrue(process.isAlive(), "the gateway stopped at start-up");

      // subscribers with addresses and numbers
      assertEquals(201, api.call(HttpMethod.PUT, "/v1/subscribers/" + ADA, ADMIN_KEY,
          new JsonObject().put("email", ADA_EMAIL).put("phone", PHONE_OK).put("whatsapp", PHONE_OK)).statusCode());
      assertEquals(201, api.call(HttpMethod.PUT, "/v1/subscribers/" + ROSA, INGEST_KEY,
          new JsonObject().put("email", ROSA_EMAIL).put("phone", PHONE_400).put("whatsapp", PHONE_401)).statusCode());
      assertEquals(201, api.call(HttpMethod.PUT, "/v1/subscribers/" + GRACE, ADMIN_KEY,
          new JsonObject().put("email", GRACE_EMAIL).put("phone", PHONE_500)).statusCode());

      // a socket opens and hears its welcome
      String adaToken = token(JWT_SECRET, ADA);
      TestSocket socket = await(TestSocketAccess.connect(vertx, new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
          .setURI("/v1/ws?token=" + adaToken).setHeaders(MultiMap.caseInsensitiveMultiMap().add("Origin", "http://app.example"))
          .setAllowOriginHeader(true)));
      socket.next("welcome");

      // every channel succeeds; then SMTP refuses the recipient, the provider answers 400 and 401; then 500s
      String ok = api.notify(new JsonObject().put("recipient", ADA).put("title", TITLE_OK).put("body", BODY_OK)
          .put("channels", new JsonArray().add("inapp").add("email").add("sms").add("whatsapp").add("webhook")));
      socket.next("notification");
      String dead = api.notify(new JsonObject().put("recipient", ROSA).put("title", TITLE_DEAD).put("body", BODY_DEAD)
          .put("channels", new JsonArray().add("email").add("sms").add("whatsapp")));
      String retried = api.notify(new JsonObject().put("recipient", GRACE).put("title", TITLE_RETRY).put("body", BODY_RETRY)
          .put("channels", new JsonArray().add("sms").add("webhook")));
      String inline = api.notify(new JsonObject().put("recipient", INLINE).put("title", TITLE_INLINE).put("email", INLINE_EMAIL)
          .put("phone", PHONE_OK).put("channels", new JsonArray().add("email").add("sms")));

      // bad credentials: a wrong API key, a real-looking JWT signed with another secret (API and handshake)
      String forged = token("another-secret-0123456789abcdef", ADA);
      assertEquals(401, api.call(HttpMethod.POST, "/v1/notifications", WRONG_KEY, new JsonObject().put("recipient", ADA)
          .put("title", TITLE_OK)).statusCode());
      assertEquals(401, api.call(HttpMethod.GET, "/v1/me/notifications", forged, null).statusCode());
      assertEquals(401, handshake(vertx, port, forged));

      // an event rendered from a template, and a broadcast
      assertEquals(201, api.call(HttpMethod.POST, "/v1/templates", ADMIN_KEY, new JsonObject().put("name", "lh.welcome")
          .put("channels", new JsonObject()
              .put("inapp", new JsonObject().put("title", "Welcome {{name}}").put("body", "{{note}}"))
              .put("email", new JsonObject().put("subject", "Hello {{name}}").put("text", "{{note}}")))).statusCode());
      HttpResponse<Buffer> event = api.call(HttpMethod.POST, "/v1/events", INGEST_KEY, new JsonObject().put("type", "lh.welcome")
          .put("data", new JsonObject().put("name", EVENT_NAME).put("note", EVENT_SECRET)).put("recipients", new JsonArray().add(ADA)));
      assertEquals(202, event.statusCode(), event.bodyAsString());
      String eventId = event.bodyAsJsonObject().getString("id");
      assertEquals(202, api.call(HttpMethod.POST, "/v1/broadcasts", ADMIN_KEY, new JsonObject().put("message", BROADCAST)
          .put("persist", true)).statusCode());
      socket.next("broadcast");

      // wait for every outcome, then the socket goes away and the process is stopped gracefully
      Map<String, String> expected = Map.of(ok, "sent,sent,sent,sent", dead, "dead,dead,dead", retried, "failed,failed",
          inline, "sent,sent");
      Map<String, JsonArray> deliveries = new HashMap<>();
      TestGateway.eventually(() -> {
        expected.forEach((id, statuses) -> deliveries.put(id, api.deliveries(id)));
        return expected.entrySet().stream().allMatch(e -> statuses(deliveries.get(e.getKey())).equals(e.getValue()));
      }, "every delivery to reach its outcome", 20);
      TestGateway.eventually(() -> "done".equals(api.call(HttpMethod.GET, "/v1/events/" + eventId, INGEST_KEY, null)
          .bodyAsJsonObject().getString("status")), "the event to be expanded");
      // the provider's 401 opened a credentials alert, and the admins were told of it
      TestGateway.eventually(() -> api.call(HttpMethod.GET, "/v1/alerts", ADMIN_KEY, null).bodyAsJsonObject().getJsonArray("items")
          .stream().map(JsonObject.class::cast).anyMatch(a -> "credentials".equals(a.getString("rule")) && a.getString("notifiedAt") != null),
          "the credentials alert to be sent to the admins", 20);
      socket.close();
      process.destroy(); // SIGTERM: a graceful stop
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the gateway stops");
      assertEquals(0, process.exitValue());

      List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
      List<JsonObject> events = new ArrayList<>();
      for (int i = 0; i < lines.size(); i++) {
        try {
          events.add(new JsonObject(lines.get(i)));
        } catch (RuntimeException e) {
          fail("stdout line " + (i + 1) + " is not JSON: " + lines.get(i));
        }
      }
      assertTrue(events.stream().anyMatch(e -> e.getString("formattedMessage", "").startsWith("Herald is ready")), "the run was logged");

      List<String> forbidden = List.of(ADMIN_KEY, INGEST_KEY, WRONG_KEY, JWT_SECRET, SMTP_PASSWORD, SMS_TOKEN, WHATSAPP_TOKEN,
          HOOK_QUERY_TOKEN, HOOK_SECRET, HOOK_SECRET.substring("whsec_".length()), adaToken, forged, adaToken.split("\\.")[2],
          forged.split("\\.")[2], ADA_EMAIL, ROSA_EMAIL, GRACE_EMAIL, INLINE_EMAIL, "5550100001", "5550100400", "5550100401",
          "5550100500", ADA, ROSA, GRACE, INLINE, TITLE_OK, BODY_OK, TITLE_DEAD, BODY_DEAD, TITLE_RETRY, BODY_RETRY, TITLE_INLINE,
          "TITLE-", "BODY-", BROADCAST, "BROADCAST-", EVENT_NAME, EVENT_SECRET, ADMIN_EMAIL, "5550100777", ADMIN_HOOK_SECRET, "/services/T000");
      for (int i = 0; i < lines.size(); i++) {
        JsonObject e = events.get(i);
        if (List.of("INFO", "WARN", "ERROR").contains(e.getString("level"))) {
          String decoded = e.encode(); // unescaped: logback writes "/" as "\/"
          for (String text : forbidden) {
            if (lines.get(i).contains(text) || decoded.contains(text)) {
              fail("stdout line " + (i + 1) + " shows '" + text + "': " + lines.get(i));
            }
          }
        }
      }
      for (String line : Files.readAllLines(err, StandardCharsets.UTF_8)) {
        forbidden.stream().filter(line::contains).findFirst().ifPresent(text -> fail("stderr shows '" + text + "': " + line));
      }

      // each failed attempt has its line, naming the delivery and its notification (dead at WARN, retried at INFO)
      for (String id : List.of(dead, retried)) {
        for (Object d : deliveries.get(id)) {
          JsonObject delivery = (JsonObject) d;
          String level = id.equals(dead) ? "WARN" : "INFO";
          assertTrue(events.stream().anyMatch(e -> level.equals(e.getString("level"))
                  && delivery.getString("id").equals(kv(e, "delivery_id")) && id.equals(kv(e, "notification_id"))
                  && delivery.getString("channel").equals(kv(e, "channel"))),
              "a " + level + " line with delivery_id " + delivery.getString("id") + " and notification_id " + id + " in\n"
                  + String.join("\n", lines));
        }
      }
      assertTrue(events.stream().anyMatch(e -> "WARN".equals(e.getString("level")) && "credentials".equals(kv(e, "error_class"))
          && e.getString("formattedMessage").contains("HTTP 401")), "the 401 is logged as a credentials failure");
    } catch (Throwable t) {
      throw new AssertionError(t.getMessage() + "\n--- gateway stdout ---\n" + Files.readString(out) + "\n--- stderr ---\n"
          + Files.readString(err), t);
    } finally {
      process.destroyForcibly();
      http.close();
      twilio.close();
      hook.close();
      smtp.close();
      mail.stop();
      await(vertx.close());
      JarProcess.dropSchema(schema);
    }
  }

  /** Twilio's Messages API as it answers for our numbers: errors repeat the number, as Twilio's do. */
  static StandIn.Answer twilioAnswer(StandIn.Request r) {
    String body = java.net.URLDecoder.decode(r.body(), StandardCharsets.UTF_8);
    if (body.contains(PHONE_400)) {
      return StandIn.Answer.json(400, "{\"code\": 21211, \"message\": \"The 'To' number " + PHONE_400 + " is not a valid phone number.\"}");
    }
    if (body.contains(PHONE_401)) {
      return StandIn.Answer.json(401, "{\"code\": 20003, \"message\": \"Authenticate failed for " + body.replace("\"", "'") + "\"}");
    }
    if (body.contains(PHONE_500)) {
      return StandIn.Answer.json(500, "{\"message\": \"internal error while sending " + body.replace("\"", "'") + "\"}");
    }
    return StandIn.Answer.json(201, "{\"sid\": \"SM" + UUID.randomUUID().toString().replace("-", "") + "\"}");
  }

  private static JsonObject config(String schema, int port, int smtpPort, String twilio, String hook) {
    JsonObject provider = new JsonObject().put("enabled", true).put("provider", "twilio").put("baseUrl", twilio)
        .put("accountSid", "AC0123456789").put("timeoutSeconds", 5);
    return new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", port).put("instances", 1).put("shutdownTimeoutSeconds", 5))
        .put("postgres", new JsonObject().put("uri", TestGateway.PG_URI).put("schema", schema).put("poolSize", 4))
        .put("auth", new JsonObject()
            .put("apiKeys", new JsonArray()
                .add(new JsonObject().put("name", "admin").put("key", ADMIN_KEY).put("scopes", new JsonArray().add("ingest").add("broadcast").add("admin")))
                .add(new JsonObject().put("name", "app").put("key", INGEST_KEY).put("scopes", new JsonArray().add("ingest"))))
            .put("jwt", new JsonObject().put("algorithm", "HS256").put("secret", JWT_SECRET))
            .put("allowedOrigins", new JsonArray().add("http://app.example")))
        .put("channels", new JsonObject()
            .put("email", new JsonObject().put("enabled", true).put("from", "Herald <herald@example.com>").put("timeoutSeconds", 5)
                .put("smtp", new JsonObject().put("host", "127.0.0.1").put("port", smtpPort).put("username", SMTP_USER)
                    .put("password", SMTP_PASSWORD)))
            .put("sms", provider.copy().put("authToken", SMS_TOKEN).put("from", "+15550109999"))
            .put("whatsapp", provider.copy().put("authToken", WHATSAPP_TOKEN).put("from", "+15550108888"))
            .put("webhook", new JsonObject().put("enabled", true).put("url", hook + "/herald?token=" + HOOK_QUERY_TOKEN)
                .put("secret", HOOK_SECRET).put("timeoutSeconds", 5)))
        .put("retry", new JsonObject().put("backoff", new JsonArray().add("1h")).put("leaseSeconds", 10))
        .put("alerts", new JsonObject().put("checkIntervalSeconds", 1).put("email", new JsonArray().add(ADMIN_EMAIL))
            .put("sms", new JsonArray().add(ADMIN_PHONE)).put("webhook", hook + "/services/T000/B000/" + ADMIN_HOOK_SECRET));
  }

  /** {@code java -cp <this test's class path> io.herald.cli.Main serve}, with the main logback.xml (not the tests') and JSON logs. */
  private Process start(JsonObject conf, Path out, Path err) throws Exception {
    Path file = dir.resolve("herald.json");
    Files.writeString(file, conf.encodePrettily());
    Path logback = Path.of(io.herald.cli.Main.class.getResource("/logback.xml").toURI());
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dlogback.configurationFile=" + logback, "-cp", System.getProperty("java.class.path"), "io.herald.cli.Main", "serve",
        "--conf", file.toString())
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("HERALD_"));
    builder.environment().put("HERALD_LOG_FORMAT", "json");
    builder.environment().put("HERALD_LOG_LEVEL", "INFO");
    return builder.start();
  }

  static String token(String secret, String user) {
    long now = Instant.now().getEpochSecond();
    return Jwt.sign("HS256", secret, null, new JsonObject().put("sub", user).put("roles", new JsonArray().add("staff"))
        .put("iat", now).put("exp", now + 3600));
  }

  /** The status a WebSocket handshake with {@code token} is refused with (101 if it is not). */
  private static int handshake(Vertx vertx, int port, String token) {
    try {
      TestSocket s = await(TestSocketAccess.connect(vertx, new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
          .setURI("/v1/ws?token=" + token).setHeaders(MultiMap.caseInsensitiveMultiMap().add("Origin", "http://app.example"))
          .setAllowOriginHeader(true)));
      s.close();
      return 101;
    } catch (RuntimeException e) {
      if (e.getCause() instanceof UpgradeRejectedException rejected) {
        return rejected.getStatus();
      }
      throw e;
    }
  }

  /** The value of key-value pair {@code key} on a JSON log line ({@code "kvpList": [{"k": "v"}, ...]}), or null. */
  static String kv(JsonObject event, String key) {
    JsonArray pairs = event.getJsonArray("kvpList");
    if (pairs == null) {
      return null;
    }
    for (Object pair : pairs) {
      if (pair instanceof JsonObject p && p.containsKey(key)) {
        return String.valueOf(p.getValue(key));
      }
    }
    return null;
  }

  private static String statuses(JsonArray deliveries) {
    List<String> out = new ArrayList<>();
    deliveries.forEach(d -> out.add(((JsonObject) d).getString("status")));
    return String.join(",", out);
  }

  /** The HTTP API of the gateway under test. */
  private record Api(WebClient http, int port) {
    HttpResponse<Buffer> call(HttpMethod method, String path, String bearer, JsonObject body) {
      var request = http.request(method, port, "127.0.0.1", path).putHeader("Authorization", "Bearer " + bearer);
      return await(body == null ? request.send() : request.sendJsonObject(body));
    }

    String notify(JsonObject body) {
      HttpResponse<Buffer> r = call(HttpMethod.POST, "/v1/notifications", INGEST_KEY, body);
      assertEquals(202, r.statusCode(), r.bodyAsString());
      return r.bodyAsJsonObject().getString("id");
    }

    JsonArray deliveries(String notification) {
      return call(HttpMethod.GET, "/v1/notifications/" + notification, ADMIN_KEY, null).bodyAsJsonObject().getJsonArray("deliveries");
    }
  }

  /**
   * An SMTP front for GreenMail (which accepts every recipient): passes the dialogue through line by
   * line, but refuses one address at RCPT with a reply that repeats it, as real servers do. GreenMail
   * does not offer PIPELINING, so every command waits for its answer and the dialogue stays in step.
   */
  static final class RejectingSmtp implements AutoCloseable {
    private final NetClient client;
    private final NetServer server;

    RejectingSmtp(Vertx vertx, int target, String refused) {
      client = vertx.createNetClient();
      server = vertx.createNetServer().connectHandler(in -> {
        in.pause();
        client.connect(target, "127.0.0.1").onFailure(e -> in.close()).onSuccess(upstream -> {
          upstream.handler(in::write);
          upstream.closeHandler(v -> in.close());
          in.closeHandler(v -> upstream.close());
          in.handler(RecordParser.newDelimited("\r\n", line -> {
            String text = line.toString();
            if (text.regionMatches(true, 0, "RCPT TO:", 0, 8) && text.contains(refused)) {
              in.write("550 5.1.1 <" + refused + ">: Recipient address rejected: User unknown in virtual mailbox table\r\n");
            } else {
              upstream.write(line.copy().appendString("\r\n"));
            }
          }));
          in.resume();
        });
      });
      await(server.listen(0, "127.0.0.1"));
    }

    int port() {
      return server.actualPort();
    }

    @Override
    public void close() {
      await(server.close());
      await(client.close());
    }
  }
}
