package io.herald.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code POST /v1/events}: one domain event in, one notification per recipient, rendered in their locale. */
class EventsTest {
  static TestGateway gw;

  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(g -> gw = g);

  @BeforeAll
  static void template() {
    HttpResponse<Buffer> r = gw.post("/v1/templates", TestGateway.ADMIN_KEY, new JsonObject().put("name", "ticket.assigned")
        .put("level", "warning").put("category", "tickets")
        .put("channels", new JsonObject().put("inapp", new JsonObject().put("title", "Ticket {{id}} is yours").put("body", "From {{by}}")))
        .put("locales", new JsonObject().put("fr", new JsonObject().put("inapp", new JsonObject().put("title", "Le ticket {{id}} est à vous")))));
    assertEquals(201, r.statusCode(), r.bodyAsString());
  }

  private static void subscriber(String user, String locale, String... roles) {
    JsonObject body = new JsonObject().put("roles", new JsonArray(List.of(roles)));
    if (locale != null) {
      body.put("locale", locale);
    }
    assertTrue(gw.request(HttpMethod.PUT, "/v1/subscribers/" + user, TestGateway.ADMIN_KEY, body).statusCode() < 300);
  }

  private static JsonObject event(JsonObject body, int status) {
    HttpResponse<Buffer> r = gw.post("/v1/events", TestGateway.INGEST_KEY, body);
    assertEquals(status, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  private static JsonObject awaitDone(String id) {
    TestGateway.eventually(() -> "done".equals(gw.get("/v1/events/" + id, TestGateway.INGEST_KEY).bodyAsJsonObject().getString("status")),
        "event " + id + " expanded");
    return gw.get("/v1/events/" + id, TestGateway.ADMIN_KEY).bodyAsJsonObject();
  }

  private static List<String> titles(String user) {
    List<String> out = new java.util.ArrayList<>();
    gw.query("SELECT title FROM notifications WHERE recipient = '" + user + "' ORDER BY seq").forEach(r -> out.add(r.getString(0)));
    return out;
  }

  @Test
  void aRoleExpandsToExactlyItsMembersInTheirLocalesMinusTheActor() {
    subscriber("ev-ana", "fr-CA", "support");
    subscriber("ev-bob", null, "support", "admin");
    subscriber("ev-cat", "en", "sales");
    subscriber("ev-actor", "en", "support");
    JsonObject accepted = event(new JsonObject().put("type", "ticket.assigned").put("data", new JsonObject().put("id", 42).put("by", "Dee"))
        .put("roles", new JsonArray().add("support")).put("recipients", new JsonArray().add("ev-bob").add("ev-extra"))
        .put("actor", "ev-actor"), 202);
    JsonObject done = awaitDone(accepted.getString("id"));
    assertEquals(3, done.getInteger("notified"), done.encode());
    assertEquals(List.of("Le ticket 42 est à vous"), titles("ev-ana"), "fr-CA falls back to fr");
    assertEquals(List.of("Ticket 42 is yours"), titles("ev-bob"), "explicit and in the role: once");
    assertEquals(List.of("Ticket 42 is yours"), titles("ev-extra"), "an explicit recipient without a subscriber row");
    assertEquals(List.of(), titles("ev-cat"), "another role");
    assertEquals(List.of(), titles("ev-actor"), "the actor is not told about their own action");
    var row = gw.query("SELECT level, category, body FROM notifications WHERE recipient = 'ev-bob'").iterator().next();
    assertEquals("warning", row.getString(0));
    assertEquals("tickets", row.getString(1));
    assertEquals("From Dee", row.getString(2));
    assertEquals(1, gw.count("SELECT unread FROM inbox WHERE recipient = 'ev-ana'"));
  }

  @Test
  void theSameIdempotencyKeyAnswersTheSameEventAndWritesNothingMore() {
    JsonObject body = new JsonObject().put("type", "ticket.assigned").put("data", new JsonObject().put("id", 7).put("by", "Eve"))
        .put("recipients", new JsonArray().add("ev-idem")).put("idempotencyKey", "ticket-7");
    String id = event(body, 202).getString("id");
    awaitDone(id);
    assertEquals(id, event(body, 200).getString("id"));
    event(body.copy().put("data", new JsonObject().put("id", 8)), 409);
    assertEquals(1, titles("ev-idem").size());

    // another application (API key) using the same key posts its own event
    HttpResponse<Buffer> other = gw.post("/v1/events", TestGateway.ADMIN_KEY, body.copy().put("data", new JsonObject().put("id", 9)));
    assertEquals(202, other.statusCode(), other.bodyAsString());
    awaitDone(other.bodyAsJsonObject().getString("id"));
    assertEquals(2, titles("ev-idem").size());
  }

  @Test
  void aReplayIsAnsweredEvenAfterItsTemplateWentAway() {
    assertEquals(201, gw.post("/v1/templates", TestGateway.ADMIN_KEY, new JsonObject().put("name", "short.lived")
        .put("channels", new JsonObject().put("inapp", new JsonObject().put("title", "Hello")))).statusCode());
    JsonObject body = new JsonObject().put("type", "short.lived").put("recipients", new JsonArray().add("ev-replay"))
        .put("idempotencyKey", "once");
    String id = event(body, 202).getString("id");
    awaitDone(id);
    assertEquals(204, gw.request(HttpMethod.DELETE, "/v1/templates/short.lived", TestGateway.ADMIN_KEY, null).statusCode());
    assertEquals(id, event(body, 200).getString("id"), "the application's retry gets its event, not a 400");
    assertEquals("type", event(body.copy().put("idempotencyKey", "twice"), 400).getJsonObject("error").getString("field"));
  }

  @Test
  void badEventsAreRefusedNamingTheField() {
    assertEquals("type", event(new JsonObject().put("type", "no.such.template").put("recipients", new JsonArray().add("x")), 400)
        .getJsonObject("error").getString("field"));
    assertEquals("recipients", event(new JsonObject().put("type", "ticket.assigned"), 400).getJsonObject("error").getString("field"));
    assertEquals("roles[0]", event(new JsonObject().put("type", "ticket.assigned").put("roles", new JsonArray().add("not ok")), 400)
        .getJsonObject("error").getString("field"));
    assertEquals("colour", event(new JsonObject().put("type", "ticket.assigned").put("colour", "red"), 400)
        .getJsonObject("error").getString("field"));
    assertEquals("data", event(new JsonObject().put("type", "ticket.assigned").put("recipients", new JsonArray().add("x"))
        .put("data", new JsonObject().put("by", "nul\u0000byte")), 400).getJsonObject("error").getString("field"));
    assertEquals(403, gw.post("/v1/events", TestGateway.token("u"), new JsonObject()).statusCode());
    assertEquals(404, gw.get("/v1/events/" + java.util.UUID.randomUUID(), TestGateway.ADMIN_KEY).statusCode());
  }

  @Test
  void aLargeRoleIsExpandedInPagesAndAnInterruptedExpansionResumesWithoutRepeatsOrGaps() {
    gw.query("INSERT INTO subscribers (user_id, roles) SELECT 'big-' || lpad(g::text, 5, '0'), '{crowd}' FROM generate_series(1, 2500) g");
    String id = event(new JsonObject().put("type", "ticket.assigned").put("data", new JsonObject().put("id", 1).put("by", "Z"))
        .put("roles", new JsonArray().add("crowd")), 202).getString("id");
    awaitDone(id);
    assertEquals(2500, gw.count("SELECT count(*) FROM notifications WHERE recipient LIKE 'big-%'"));
    assertEquals(2500, gw.count("SELECT count(DISTINCT recipient) FROM notifications WHERE recipient LIKE 'big-%'"));

    // as if a node died after its first page: the event is processing, leased to a dead node, cursor mid-way
    String resumed = event(new JsonObject().put("type", "ticket.assigned").put("data", new JsonObject().put("id", 2).put("by", "Z"))
        .put("roles", new JsonArray().add("crowd")).put("idempotencyKey", "resume-test"), 202).getString("id");
    awaitDone(resumed);
    gw.query("DELETE FROM notifications WHERE data->>'eventId' = '" + resumed + "' AND recipient > 'big-01000'");
    gw.query("UPDATE events SET status = 'processing', phase = 1, cursor = 'big-01000', notified = 1000, "
        + "lease_owner = 'dead-node', lease_until = now() - interval '1 second', finished_at = NULL WHERE id = '" + resumed + "'");
    gw.post("/v1/events", TestGateway.INGEST_KEY, new JsonObject().put("type", "ticket.assigned").put("recipients",
        new JsonArray().add("wake-up"))); // any new event wakes the expander, which also takes over the abandoned one
    JsonObject done = awaitDone(resumed);
    assertEquals(2500, done.getInteger("notified"));
    assertEquals(2500, gw.count("SELECT count(*) FROM notifications WHERE data->>'eventId' = '" + resumed + "'"));
    assertEquals(2500, gw.count("SELECT count(DISTINCT recipient) FROM notifications WHERE data->>'eventId' = '" + resumed + "'"));
  }
}
