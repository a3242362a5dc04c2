package io.herald.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.herald.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The unread counter kept in each inbox row stays equal to the real count under concurrent changes of every kind. */
class InboxCounterTest {
  static TestGateway gw;
  static WebClient client;

  @BeforeAll
  static void up() {
    gw = TestGateway.start();
    client = WebClient.create(gw.client, new WebClientOptions(), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(32));
  }

  @AfterAll
  static void down() {
    gw.close();
  }

  private static Future<HttpResponse<Buffer>> call(HttpMethod method, String path, String bearer, JsonObject body) {
    var req = client.request(method, gw.port, "127.0.0.1", path).putHeader("Authorization", "Bearer " + bearer);
    return body == null ? req.send() : req.sendJsonObject(body);
  }

  // Concurrent ingests (single, bulk, idempotent repeats, scheduled, expiring) and reads, unreads, deletes and
  // read-alls: once the scheduled ones are released and the expired ones swept, every counter equals the real count.
  @Test
  void countersMatchTheRowsAfterAConcurrentMix() {
    Random random = new Random(42);
    List<String> users = List.of("mix-a", "mix-b", "mix-c");
    List<String> ids = new ArrayList<>();
    for (int round = 0; round < 8; round++) {
      List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
      for (int i = 0; i < 25; i++) {
        String user = users.get(random.nextInt(users.size()));
        JsonObject body = new JsonObject().put("title", "r" + round + "-" + i);
        switch (random.nextInt(5)) {
          case 0 -> body.put("recipients", new JsonArray(users));
          case 1 -> body.put("recipient", user).put("idempotencyKey", "k" + random.nextInt(4));
          case 2 -> body.put("recipient", user).put("sendAt", Instant.now().plusMillis(500 + random.nextInt(1000)).toString());
          case 3 -> body.put("recipient", user).put("expiresAt", Instant.now().plusMillis(500 + random.nextInt(1000)).toString());
          default -> body.put("recipient", user);
        }
        calls.add(call(HttpMethod.POST, "/v1/notifications", TestGateway.INGEST_KEY, body).onSuccess(r -> {
          if (r.statusCode() == 202 && r.bodyAsJsonObject().containsKey("id")) {
            synchronized (ids) {
              ids.add(r.bodyAsJsonObject().getString("id"));
            }
          }
        }));
      }
      for (int i = 0; i < 15; i++) {
        String token = TestGateway.token(users.get(random.nextInt(users.size())));
        String id;
        synchronized (ids) {
          id = ids.isEmpty() ? "00000000-0000-7000-8000-000000000000" : ids.get(random.nextInt(ids.size()));
        }
        calls.add(switch (random.nextInt(4)) {
          case 0 -> call(HttpMethod.POST, "/v1/me/notifications/" + id + "/read", token, null);
          case 1 -> call(HttpMethod.POST, "/v1/me/notifications/" + id + "/unread", token, null);
          case 2 -> call(HttpMethod.DELETE, "/v1/me/notifications/" + id, token, null);
          default -> call(HttpMethod.POST, "/v1/me/notifications/read-all", token, null);
        });
      }
      TestGateway.await(Future.join(calls));
    }
    TestGateway.eventually(() -> gw.count("SELECT count(*) FROM notifications WHERE scheduled OR (NOT expired AND expires_at <= now())") == 0,
        "scheduled notifications released and expired ones swept");
    for (String user : users) {
      long real = gw.count("SELECT count(*) FROM notifications WHERE recipient = '" + user + "' AND read_at IS NULL "
          + "AND deleted_at IS NULL AND NOT scheduled AND NOT expired");
      long counter = gw.count("SELECT unread FROM inbox WHERE recipient = '" + user + "'");
      assertEquals(real, counter, "counter of " + user);
      assertEquals(real, (long) gw.get("/v1/me/notifications/unread-count", TestGateway.token(user)).bodyAsJsonObject().getInteger("count"));
    }
  }
}
