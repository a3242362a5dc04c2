package io.herald.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.JarProcess;
import io.herald.StandIn;
import io.herald.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway killed with SIGKILL while a webhook call is in flight, then started again: the
 * delivery is sent after the restart, with the same webhook-id, and the abandoned attempt is on
 * record. Nothing acknowledged is lost.
 */
class CrashRecoveryIT {
  @TempDir
  Path dir;

  @Test
  void aDeliveryInFlightWhenTheNodeIsKilledIsSentAfterRestart() throws Exception {
    AtomicBoolean first = new AtomicBoolean(true);
    StandIn hook = StandIn.start(r -> first.getAndSet(false) ? StandIn.Answer.hang() : StandIn.Answer.status(200));
    int port = TestGateway.freePort();
    String schema = "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    JsonObject conf = new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", port))
        .put("postgres", new JsonObject().put("schema", schema))
        .put("auth", new JsonObject()
            .put("apiKeys", new JsonArray().add(new JsonObject().put("name", "it").put("key", TestGateway.INGEST_KEY)
                .put("scopes", new JsonArray().add("ingest"))))
            .put("jwt", new JsonObject().put("secret", TestGateway.JWT_SECRET)))
        .put("channels", new JsonObject().put("webhook", new JsonObject().put("enabled", true).put("url", hook.url() + "/in")
            .put("secret", "whsec_MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3Bx").put("timeoutSeconds", 2)))
        .put("retry", new JsonObject().put("scanIntervalSeconds", 1).put("leaseSeconds", 4).put("pendingGraceSeconds", 1));
    Path log = dir.resolve("out.log");
    Process process = JarProcess.start(dir, conf, log);
    try {
      TestGateway.eventually(() -> JarProcess.status(port, "/health/ready") == 200, "the gateway to become ready");
      HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
              + "/v1/notifications")).header("Authorization", "Bearer " + TestGateway.INGEST_KEY).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("recipient", "crash-user").put("title", "survives a crash")
              .put("channels", new JsonArray().add("webhook")).encode())).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(202, answer.statusCode(), answer.body());
      String deliveryId = new JsonObject(answer.body()).getJsonArray("deliveries").getJsonObject(0).getString("id");
      TestGateway.eventually(() -> !hook.requests.isEmpty(), "the webhook call to be in flight");

      process.destroyForcibly(); // SIGKILL, mid-call
      assertTrue(process.waitFor(20, TimeUnit.SECONDS));
      assertEquals("sending", status(schema, deliveryId), "the crash left the delivery mid-send");

      process = JarProcess.start(dir, conf, log);
      TestGateway.eventually(() -> "sent".equals(status(schema, deliveryId)), "the delivery to be sent after the restart");
      assertEquals(2, hook.requests.size(), "the hung call, then one after the restart");
      assertEquals(deliveryId, hook.requests.get(0).header("webhook-id"));
      assertEquals(deliveryId, hook.requests.get(1).header("webhook-id"), "the same webhook-id across the crash");
      assertEquals(List.of("lease_expired", "sent"), JarProcess.withSchema(schema, pool -> pool
          .preparedQuery("SELECT outcome FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt")
          .execute(Tuple.of(UUID.fromString(deliveryId)))
          .map(rows -> {
            List<String> out = new ArrayList<>();
            rows.forEach(r -> out.add(r.getString(0)));
            return out;
          })));
    } catch (Throwable t) {
      throw new AssertionError(t.getMessage() + "\n--- gateway log ---\n" + Files.readString(log), t);
    } finally {
      process.destroyForcibly();
      process.waitFor(20, TimeUnit.SECONDS);
      hook.close();
      JarProcess.dropSchema(schema);
    }
  }

  private static String status(String schema, String deliveryId) {
    return JarProcess.withSchema(schema, pool -> pool.preparedQuery("SELECT status FROM deliveries WHERE id = $1")
        .execute(Tuple.of(UUID.fromString(deliveryId))).map(rows -> rows.iterator().next().getString(0)));
  }
}
