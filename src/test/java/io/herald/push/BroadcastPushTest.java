package io.herald.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.PerClassGateway;
import io.herald.SockJsClient;
import io.herald.TestGateway;
import io.herald.TestSocket;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Live {@code broadcast} frames from {@code POST /v1/broadcasts}, as WebSocket and SockJS clients see them. */
class BroadcastPushTest {
  static TestGateway gw;
  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(g -> gw = g);

  /** A connected client of either transport, welcomed. */
  private record Client(String name, Function<String, JsonObject> next, Supplier<List<JsonObject>> pending, Runnable close) {
    List<JsonObject> broadcasts() {
      return pending.get().stream().filter(f -> "broadcast".equals(f.getString("type"))).toList();
    }
  }

  @Test
  void roleBroadcastReachesOnlySocketsOfUsersHoldingARoleOnceEachOverBothTransportsAndInstances() throws Exception {
    // GIVEN sockets on both push instances, over WebSocket and SockJS, with and without the roles
    String ops = role("ops");
    String oncall = role("oncall");
    List<Client> matching = new ArrayList<>();
    List<Client> others = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      matching.add(ws(user(), ops));
      others.add(ws(user(), role("sales")));
    }
    matching.add(ws(user(), ops, oncall)); // holds both roles: still one frame
    matching.add(ws(user(), "staff", oncall));
    others.add(ws(user()));                // no roles at all
    matching.add(sockJs(user(), ops));
    others.add(sockJs(user(), "staff"));
    List<Integer> perInstance = PushInspection.sessionsPerInstance(gw);
    assertEquals(2, perInstance.size(), "push verticle instances: " + perInstance);
    assertTrue(perInstance.stream().allMatch(n -> n >= 1), "sessions held per instance: " + perInstance);

    // WHEN a broadcast names the two roles
    HttpResponse<Buffer> r = post(new JsonObject().put("message", "Deploy at 18:00").put("level", "warning")
        .put("roles", new JsonArray().add(ops).add(oncall)));

    // THEN each matching socket gets one broadcast frame, the others none, and the answer counts the matching sockets
    assertEquals(202, r.statusCode(), r.bodyAsString());
    JsonObject answer = r.bodyAsJsonObject();
    assertEquals(matching.size(), answer.getInteger("delivered"), answer.encode());
    assertEquals(0, answer.getInteger("persisted"));
    assertNotNull(answer.getString("id"));
    String text = null;
    for (Client c : matching) {
      JsonObject frame = c.next().apply("broadcast");
      assertEquals("Deploy at 18:00", frame.getString("message"), c.name());
      assertEquals("warning", frame.getString("level"));
      assertTrue(Instant.parse(frame.getString("at")).isAfter(Instant.now().minusSeconds(60)), frame.encode());
      assertEquals(4, frame.size(), "exactly type, message, level, at: " + frame);
      text = text == null ? frame.encode() : text;
      assertEquals(text, frame.encode(), "every socket gets the same frame");
    }
    Thread.sleep(500);
    for (Client c : matching) {
      assertEquals(List.of(), c.broadcasts(), c.name() + " got the broadcast once");
    }
    for (Client c : others) {
      assertEquals(List.of(), c.broadcasts(), c.name() + " holds none of the roles");
    }
    matching.forEach(c -> c.close().run());
    others.forEach(c -> c.close().run());
  }

  @Test
  void broadcastWithoutRolesReachesEverySocket() throws Exception {
    // without roles (absent, or an empty list) every socket gets the frame, whatever roles its user holds
    List<Client> all = List.of(ws(user()), ws(user(), role("a")), ws(user(), role("b")), sockJs(user()), sockJs(user(), role("c")));
    HttpResponse<Buffer> r = post(new JsonObject().put("message", "Everyone: maintenance tonight"));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    // sockets closed by earlier tests of this class may still be counted for a moment: at least these
    assertTrue(r.bodyAsJsonObject().getInteger("delivered") >= all.size(), r.bodyAsString());
    for (Client c : all) {
      JsonObject frame = c.next().apply("broadcast");
      assertEquals("Everyone: maintenance tonight", frame.getString("message"), c.name());
      assertEquals("info", frame.getString("level"), "level defaults to info");
    }

    r = post(new JsonObject().put("message", "empty roles list").put("roles", new JsonArray()).put("level", "loud"));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    for (Client c : all) {
      JsonObject frame = c.next().apply("broadcast");
      assertEquals("empty roles list", frame.getString("message"), c.name());
      assertEquals("info", frame.getString("level"), "an unknown level falls back to info");
    }
    Thread.sleep(300);
    for (Client c : all) {
      assertEquals(List.of(), c.broadcasts(), c.name());
    }
    all.forEach(c -> c.close().run());
  }

  @Test
  void persistedBroadcastAlsoGivesAnOnlineSubscriberTheNotificationAndItsUnreadCount() {
    // an online subscriber holding the role gets the broadcast frame, then the notification and unread 1, like an ingest
    String r1 = role("floor");
    String u = user();
    assertEquals(201, gw.request(io.vertx.core.http.HttpMethod.PUT, "/v1/subscribers/" + u, TestGateway.ADMIN_KEY,
        new JsonObject().put("roles", new JsonArray().add(r1))).statusCode());
    Client c = ws(u, r1);
    HttpResponse<Buffer> r = post(new JsonObject().put("message", "Fire drill at 11").put("roles", new JsonArray().add(r1))
        .put("persist", true));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    assertEquals(1, r.bodyAsJsonObject().getInteger("persisted"));
    assertEquals(1, r.bodyAsJsonObject().getInteger("delivered"));
    assertEquals("Fire drill at 11", c.next().apply("broadcast").getString("message"));
    JsonObject n = c.next().apply("notification").getJsonObject("notification");
    assertEquals("Fire drill at 11", n.getString("title"));
    assertEquals("Fire drill at 11", n.getString("body"));
    assertEquals(r.bodyAsJsonObject().getString("id"), n.getJsonObject("data").getString("broadcastId"));
    assertEquals(1, c.next().apply("unread").getInteger("count"));
    c.close().run();
  }

  // ---- helpers ----

  private static HttpResponse<Buffer> post(JsonObject body) {
    return gw.post("/v1/broadcasts", TestGateway.ADMIN_KEY, body);
  }

  private static Client ws(String user, String... roles) {
    TestSocket s = gw.socket(TestGateway.token(user, roles));
    s.next("welcome");
    return new Client("websocket " + user, s::next, s::pending, s::close);
  }

  private static Client sockJs(String user, String... roles) {
    SockJsClient s = SockJsClient.connect(gw).awaitOpen();
    s.auth(TestGateway.token(user, roles));
    s.next("welcome");
    return new Client("sockjs " + user, s::next, s::pending, s::close);
  }

  private static String user() {
    return "b-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static String role(String name) {
    return name + "-" + UUID.randomUUID().toString().substring(0, 6);
  }

}
