package io.herald.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.herald.store.TemplateStore;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code /v1/templates}: create, read, list, versions, delete, preview, refusals naming their field, and who may call it. */
class TemplateApiTest {
  static TestGateway gw;

  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(g -> gw = g);

  private static HttpResponse<Buffer> send(HttpMethod method, String path, Object body) {
    return gw.request(method, path, TestGateway.ADMIN_KEY, body);
  }

  private static JsonObject inapp(String title, String body) {
    return new JsonObject().put("inapp", new JsonObject().put("title", title).put("body", body));
  }

  private static JsonObject template(String name) {
    return new JsonObject().put("name", name).put("level", "info").put("category", "c").put("channels", inapp("Hi {{name}}", "Body {{name}}"));
  }

  private static JsonObject error(HttpResponse<Buffer> r) {
    return r.bodyAsJsonObject().getJsonObject("error");
  }

  @Test
  void theContractBodyIsCreatedWithVersion1AndReadBack() {
    // the events contract check posts exactly this: locale variants hold channels directly
    JsonObject body = new JsonObject().put("name", "contract.event").put("level", "info").put("category", "c")
        .put("channels", inapp("Hi {{name}}", "Body {{name}}"))
        .put("locales", new JsonObject().put("fr", inapp("Salut {{name}}", "Corps {{name}}")));
    HttpResponse<Buffer> created = send(HttpMethod.POST, "/v1/templates", body);
    assertEquals(201, created.statusCode(), created.bodyAsString());
    JsonObject saved = created.bodyAsJsonObject();
    assertEquals(1, saved.getInteger("version"));
    assertEquals("Salut {{name}}", saved.getJsonObject("locales").getJsonObject("fr").getJsonObject("inapp").getString("title"));

    JsonObject got = gw.get("/v1/templates/contract.event", TestGateway.ADMIN_KEY).bodyAsJsonObject();
    assertEquals(saved, got);
    assertEquals("c", got.getString("category"));
    assertEquals(body.getJsonObject("channels"), got.getJsonObject("channels"));
    assertEquals(body.getJsonObject("locales"), got.getJsonObject("locales"));
  }

  @Test
  void aSecondTemplateOfTheSameNameIsA409() {
    assertEquals(201, send(HttpMethod.POST, "/v1/templates", template("dup")).statusCode());
    HttpResponse<Buffer> again = send(HttpMethod.POST, "/v1/templates", template("dup").put("level", "error"));
    assertEquals(409, again.statusCode(), again.bodyAsString());
    assertEquals("name", error(again).getString("field"));
    assertEquals("info", gw.get("/v1/templates/dup", TestGateway.ADMIN_KEY).bodyAsJsonObject().getString("level"), "nothing changed");
  }

  @Test
  void putMakesANewVersionAndTheOldOneStillSaysWhatItSaid() {
    assertEquals(201, send(HttpMethod.POST, "/v1/templates", template("ticket.assigned")).statusCode());
    JsonObject edit = new JsonObject().put("level", "warning").put("channels", inapp("Hello {{name}}", "New body"));
    HttpResponse<Buffer> replaced = send(HttpMethod.PUT, "/v1/templates/ticket.assigned", edit);
    assertEquals(200, replaced.statusCode(), replaced.bodyAsString());
    assertEquals(2, replaced.bodyAsJsonObject().getInteger("version"));
    assertNull(replaced.bodyAsJsonObject().getString("category"), "PUT replaces the whole template");

    JsonObject current = gw.get("/v1/templates/ticket.assigned", TestGateway.ADMIN_KEY).bodyAsJsonObject();
    assertEquals(2, current.getInteger("version"));
    assertEquals("Hello {{name}}", current.getJsonObject("channels").getJsonObject("inapp").getString("title"));

    JsonObject v1 = gw.get("/v1/templates/ticket.assigned/versions/1", TestGateway.ADMIN_KEY).bodyAsJsonObject();
    assertEquals("Hi {{name}}", v1.getJsonObject("channels").getJsonObject("inapp").getString("title"));
    assertEquals("info", v1.getString("level"));

    // what the events engineer calls: a specific version, and the current one
    TemplateStore store = new TemplateStore(gw.sql());
    Template old = TestGateway.await(store.version("ticket.assigned", 1));
    assertEquals("Hi Ada", Renderer.render(old, null, new JsonObject().put("name", "Ada")).get(Part.INAPP_TITLE));
    Template now = TestGateway.await(store.current("ticket.assigned"));
    assertEquals(2, now.version());
    assertEquals("Hello Ada", Renderer.render(now, null, new JsonObject().put("name", "Ada")).get(Part.INAPP_TITLE));
    assertNull(TestGateway.await(store.version("ticket.assigned", 3)));

    assertEquals(400, send(HttpMethod.PUT, "/v1/templates/ticket.assigned", edit.copy().put("name", "other")).statusCode(),
        "a body naming another template is refused");
    assertEquals(404, send(HttpMethod.PUT, "/v1/templates/never.made", edit).statusCode());
    assertEquals(404, gw.get("/v1/templates/ticket.assigned/versions/9", TestGateway.ADMIN_KEY).statusCode());
  }

  @Test
  void deleteHidesTheTemplateButKeepsItsVersionsAndTheNameCanBeUsedAgain() {
    assertEquals(201, send(HttpMethod.POST, "/v1/templates", template("gone")).statusCode());
    assertEquals(204, send(HttpMethod.DELETE, "/v1/templates/gone", null).statusCode());
    assertEquals(404, gw.get("/v1/templates/gone", TestGateway.ADMIN_KEY).statusCode());
    assertEquals(404, send(HttpMethod.DELETE, "/v1/templates/gone", null).statusCode());
    assertEquals(404, send(HttpMethod.PUT, "/v1/templates/gone", template("gone")).statusCode());
    assertEquals(404, send(HttpMethod.POST, "/v1/templates/gone/preview", new JsonObject()).statusCode());
    assertEquals(200, gw.get("/v1/templates/gone/versions/1", TestGateway.ADMIN_KEY).statusCode(),
        "notifications made from it can still find what they were made from");
    assertEquals(null, TestGateway.await(new TemplateStore(gw.sql()).current("gone")));

    HttpResponse<Buffer> again = send(HttpMethod.POST, "/v1/templates", template("gone").put("level", "error"));
    assertEquals(201, again.statusCode(), again.bodyAsString());
    assertEquals(2, again.bodyAsJsonObject().getInteger("version"), "versions keep counting, so name+version stays unique");
    assertEquals("info", gw.get("/v1/templates/gone/versions/1", TestGateway.ADMIN_KEY).bodyAsJsonObject().getString("level"));
    assertEquals(404, gw.get("/v1/templates/no%20such", TestGateway.ADMIN_KEY).statusCode());
  }

  @Test
  void listPagesThroughCurrentTemplatesByName() {
    for (String name : new String[] {"list.b", "list.a", "list.c"}) {
      assertEquals(201, send(HttpMethod.POST, "/v1/templates", template(name)).statusCode());
    }
    send(HttpMethod.DELETE, "/v1/templates/list.c", null);
    JsonObject first = gw.get("/v1/templates?limit=1&after=list", TestGateway.ADMIN_KEY).bodyAsJsonObject();
    assertEquals("list.a", first.getJsonArray("items").getJsonObject(0).getString("name"));
    assertEquals("list.a", first.getString("next"));
    JsonObject rest = gw.get("/v1/templates?limit=10&after=list.a", TestGateway.ADMIN_KEY).bodyAsJsonObject();
    JsonArray items = rest.getJsonArray("items");
    assertTrue(items.stream().map(o -> ((JsonObject) o).getString("name")).toList().contains("list.b"));
    assertTrue(items.stream().map(o -> ((JsonObject) o).getString("name")).noneMatch(n -> n.equals("list.c")), "deleted ones are not listed");
    assertNull(rest.getString("next"));
    assertEquals(400, gw.get("/v1/templates?limit=0", TestGateway.ADMIN_KEY).statusCode());
  }

  @Test
  void previewRendersPerChannelAndSaysWhichLocaleWasUsedAndWhatDataWasMissing() {
    JsonObject body = new JsonObject().put("name", "preview.me")
        .put("channels", inapp("Hi {{name}}", "Body {{name}}")
            .put("email", new JsonObject().put("subject", "For {{name}}").put("html", "<p>{{name}}</p>").put("text", "{{name}}"))
            .put("sms", new JsonObject().put("text", "SMS {{name}} {{code}}")))
        .put("locales", new JsonObject().put("fr", new JsonObject().put("inapp", new JsonObject().put("title", "Salut {{name}}"))));
    assertEquals(201, send(HttpMethod.POST, "/v1/templates", body).statusCode());
    HttpResponse<Buffer> r = send(HttpMethod.POST, "/v1/templates/preview.me/preview",
        new JsonObject().put("locale", "fr-CA").put("data", new JsonObject().put("name", "<b>Ada</b>")));
    assertEquals(200, r.statusCode(), r.bodyAsString());
    JsonObject p = r.bodyAsJsonObject();
    assertEquals("fr", p.getString("locale"));
    assertEquals("fr-CA", p.getString("requestedLocale"));
    assertEquals(1, p.getInteger("version"));
    JsonObject channels = p.getJsonObject("channels");
    assertEquals("Salut <b>Ada</b>", channels.getJsonObject("inapp").getString("title"));
    assertEquals("Body <b>Ada</b>", channels.getJsonObject("inapp").getString("body"), "fr has no body: the default's");
    assertEquals("<p>&lt;b&gt;Ada&lt;/b&gt;</p>", channels.getJsonObject("email").getString("html"));
    assertEquals("<b>Ada</b>", channels.getJsonObject("email").getString("text"));
    assertEquals("SMS <b>Ada</b> ", channels.getJsonObject("sms").getString("text"), "missing data renders empty");
    assertEquals(new JsonArray().add(new JsonObject().put("field", "channels.sms.text").put("variable", "code").put("line", 1)),
        p.getJsonArray("missing"));

    JsonObject plain = send(HttpMethod.POST, "/v1/templates/preview.me/preview", new JsonObject()).bodyAsJsonObject();
    assertNull(plain.getString("locale"));
    assertEquals("Hi ", plain.getJsonObject("channels").getJsonObject("inapp").getString("title"));
    assertEquals(400, send(HttpMethod.POST, "/v1/templates/preview.me/preview", new JsonObject().put("data", "x")).statusCode());
    assertEquals(400, send(HttpMethod.POST, "/v1/templates/preview.me/preview", new JsonObject().put("dta", new JsonObject())).statusCode());
  }

  @Test
  void sampleDataLackingAVariableIsA400NamingThePartAndTheVariable() {
    JsonObject body = template("sampled")
        .put("locales", new JsonObject().put("fr", new JsonObject().put("sms", new JsonObject().put("text", "x"))));
    body.getJsonObject("channels").put("sms", new JsonObject().put("text", "Code {{code}}"));
    body.getJsonObject("locales").getJsonObject("fr").getJsonObject("sms").put("text", "Votre code {{code}} pour {{ticket.id}}");
    HttpResponse<Buffer> r = send(HttpMethod.POST, "/v1/templates", body.copy().put("sampleData", new JsonObject().put("name", "Ada")));
    assertEquals(400, r.statusCode(), r.bodyAsString());
    assertEquals("channels.sms.text", error(r).getString("field"));
    assertEquals("missing_variable", error(r).getString("code"));
    assertTrue(error(r).getString("message").contains("'code'"), error(r).getString("message"));

    r = send(HttpMethod.POST, "/v1/templates", body.copy().put("sampleData", new JsonObject().put("name", "Ada").put("code", "1")));
    assertEquals(400, r.statusCode(), r.bodyAsString());
    assertEquals("locales.fr.sms.text", error(r).getString("field"));
    assertTrue(error(r).getString("message").contains("'ticket"), error(r).getString("message"));
    assertEquals(404, gw.get("/v1/templates/sampled", TestGateway.ADMIN_KEY).statusCode(), "nothing written");

    JsonObject complete = new JsonObject().put("name", "Ada").put("code", "1").put("ticket", new JsonObject().put("id", 7));
    r = send(HttpMethod.POST, "/v1/templates", body.copy().put("sampleData", complete));
    assertEquals(201, r.statusCode(), r.bodyAsString());
    assertTrue(!r.bodyAsJsonObject().containsKey("sampleData"), "sample data is checked against, not stored");
    assertEquals(201, send(HttpMethod.POST, "/v1/templates", body.copy().put("name", "unsampled")).statusCode(),
        "without sample data only compilation is checked");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"channels\": {\"inapp\": {\"title\": \"t\"}}}|name",
      "{\"name\": \"has space\", \"channels\": {\"inapp\": {\"title\": \"t\"}}}|name",
      "{\"name\": \"n\", \"level\": \"fatal\", \"channels\": {\"inapp\": {\"title\": \"t\"}}}|level",
      "{\"name\": \"n\", \"category\": \"no spaces\", \"channels\": {\"inapp\": {\"title\": \"t\"}}}|category",
      "{\"name\": \"n\", \"channels\": {\"inapp\": {\"title\": \"t\"}}, \"colour\": \"red\"}|colour",
      "{\"name\": \"n\"}|channels",
      "{\"name\": \"n\", \"channels\": {\"inapp\": {\"body\": \"b\"}}}|channels.inapp.title",
      "{\"name\": \"n\", \"channels\": {\"email\": {\"subject\": \"s\", \"text\": \"t\"}}}|channels.inapp.title",
      "{\"name\": \"n\", \"channels\": {\"inapp\": {\"title\": \" \"}}}|channels.inapp.title",
      "{\"name\": \"n\", \"channels\": {\"inapp\": {\"title\": 5}}}|channels.inapp.title",
      "{\"name\": \"n\", \"channels\": {\"inapp\": {\"title\": \"t\", \"subtitle\": \"s\"}}}|channels.inapp.subtitle",
      "{\"name\": \"n\", \"channels\": {\"inapp\": {\"title\": \"t\"}, \"pigeon\": {}}}|channels.pigeon",
      "{\"name\": \"n\", \"channels\": {\"inapp\": {\"title\": \"t\"}, \"email\": {\"html\": \"h\"}}}|channels.email.subject",
      "{\"name\": \"n\", \"channels\": {\"inapp\": {\"title\": \"t\"}, \"email\": {\"subject\": \"s\"}}}|channels.email",
      "{\"name\": \"n\", \"channels\": {\"inapp\": {\"title\": \"t\"}, \"sms\": {}}}|channels.sms.text",
      "{\"name\": \"n\", \"channels\": {\"inapp\": {\"title\": \"t\"}, \"webhook\": {\"body\": \"{{x}}\"}}}|channels.webhook",
      "{\"name\": \"n\", \"channels\": {\"inapp\": {\"title\": \"t\"}}, \"locales\": {\"fr\": {\"sms\": {\"text\": \"x\"}}}}|locales.fr.sms",
      "{\"name\": \"n\", \"channels\": {\"inapp\": {\"title\": \"t\"}}, \"locales\": {\"french please\": {}}}|locales.french please",
      "{\"name\": \"n\", \"channels\": {\"inapp\": {\"title\": \"t\"}}, \"locales\": {\"fr\": {\"channels\": {}}}}|locales.fr.channels",
      "{\"name\": \"n\", \"channels\": {\"inapp\": {\"title\": \"t\"}}, \"sampleData\": []}|sampleData"})
  void badTemplatesAreA400NamingTheField(String body, String field) {
    HttpResponse<Buffer> r = send(HttpMethod.POST, "/v1/templates", new JsonObject(body));
    assertEquals(400, r.statusCode(), r.bodyAsString());
    assertEquals(field, error(r).getString("field"), r.bodyAsString());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "channels|email|subject|Ticket {{#t}}{{id}}|channels.email.subject|line 1",
      "channels|email|html|<p>\\n{{#a}}</p>{{/b}}|channels.email.html|line 2",
      "locales|sms|text|Code {{code|locales.fr.sms.text|column 6"})
  void aPartThatDoesNotCompileIsA400NamingThePartAndWhere(String where, String channel, String part, String source, String field,
                                                          String position) {
    JsonObject body = new JsonObject().put("name", "broken").put("channels", new JsonObject()
        .put("inapp", new JsonObject().put("title", "t"))
        .put("email", new JsonObject().put("subject", "s").put("html", "h"))
        .put("sms", new JsonObject().put("text", "t")));
    JsonObject target = where.equals("channels") ? body.getJsonObject("channels")
        : body.put("locales", new JsonObject().put("fr", new JsonObject())).getJsonObject("locales").getJsonObject("fr");
    target.put(channel, new JsonObject().put(part, source.replace("\\n", "\n")));
    if (where.equals("channels") && channel.equals("email")) {
      target.getJsonObject("email").put(part.equals("html") ? "subject" : "html", "x");
    }
    HttpResponse<Buffer> r = send(HttpMethod.POST, "/v1/templates", body);
    assertEquals(400, r.statusCode(), r.bodyAsString());
    assertEquals(field, error(r).getString("field"));
    assertEquals("invalid_template", error(r).getString("code"));
    assertTrue(error(r).getString("message").contains(position), error(r).getString("message"));
  }

  @Test
  void onlyAdminKeysMayTouchTemplates() {
    assertEquals(401, gw.request(HttpMethod.POST, "/v1/templates", null, template("auth")).statusCode());
    assertEquals(401, gw.request(HttpMethod.GET, "/v1/templates", null, null).statusCode());
    assertEquals(403, gw.request(HttpMethod.POST, "/v1/templates", TestGateway.INGEST_KEY, template("auth")).statusCode());
    assertEquals(403, gw.request(HttpMethod.GET, "/v1/templates/auth", TestGateway.INGEST_KEY, null).statusCode());
    assertEquals(403, gw.request(HttpMethod.POST, "/v1/templates", TestGateway.token("u1"), template("auth")).statusCode());
    assertEquals(404, gw.get("/v1/templates/auth", TestGateway.ADMIN_KEY).statusCode(), "nothing was written");
    assertEquals(201, send(HttpMethod.POST, "/v1/templates", template("auth")).statusCode());
    assertEquals(403, gw.request(HttpMethod.PUT, "/v1/templates/auth", TestGateway.INGEST_KEY, template("auth")).statusCode());
    assertEquals(403, gw.request(HttpMethod.DELETE, "/v1/templates/auth", TestGateway.INGEST_KEY, null).statusCode());
    assertEquals(403, gw.request(HttpMethod.POST, "/v1/templates/auth/preview", TestGateway.INGEST_KEY, new JsonObject()).statusCode());
    assertEquals(1, gw.get("/v1/templates/auth", TestGateway.ADMIN_KEY).bodyAsJsonObject().getInteger("version"));
  }
}
