package io.herald.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.HeraldException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Rendering: every channel's parts, locale fallback part by part, escaping in e-mail HTML only, missing data. */
class TemplateRendererTest {
  static final JsonObject TICKET = new JsonObject().put("name", "ticket.assigned").put("level", "warning").put("category", "tickets")
      .put("channels", new JsonObject()
          .put("inapp", new JsonObject().put("title", "Ticket {{ticket.id}} for {{user}}").put("body", "Assigned by {{actor}}"))
          .put("email", new JsonObject().put("subject", "Ticket {{ticket.id}}").put("html", "<p>{{ticket.subject}}</p>")
              .put("text", "{{ticket.subject}}"))
          .put("sms", new JsonObject().put("text", "SMS {{ticket.subject}}"))
          .put("whatsapp", new JsonObject().put("text", "WA {{ticket.subject}}"))
          .put("webhook", new JsonObject()))
      .put("locales", new JsonObject()
          .put("fr", new JsonObject()
              .put("inapp", new JsonObject().put("title", "Ticket {{ticket.id}} pour {{user}}").put("body", "Assigné par {{actor}}"))
              .put("email", new JsonObject().put("subject", "Ticket {{ticket.id}} (fr)")))
          .put("fr-CA", new JsonObject().put("inapp", new JsonObject().put("title", "Billet {{ticket.id}} pour {{user}}"))));
  static final JsonObject DATA = new JsonObject().put("user", "Ada").put("actor", "Bob")
      .put("ticket", new JsonObject().put("id", 42).put("subject", "Printer <b>on fire</b> & \"smoking\""));

  @Test
  void rendersEveryChannelsPartsInTheDefaultLanguage() {
    Rendered r = Renderer.render(Template.parse(TICKET), null, DATA);
    assertNull(r.locale());
    assertEquals(List.of("inapp", "email", "sms", "whatsapp", "webhook"), List.copyOf(r.channels()));
    assertEquals("Ticket 42 for Ada", r.get(Part.INAPP_TITLE));
    assertEquals("Assigned by Bob", r.get(Part.INAPP_BODY));
    assertEquals("Ticket 42", r.get(Part.EMAIL_SUBJECT));
    assertEquals(new JsonObject(), r.channelsJson().getJsonObject("webhook"), "webhook has no parts: it passes data through");
  }

  @Test
  void onlyTheEmailHtmlEscapesWhatItInserts() {
    Rendered r = Renderer.render(Template.parse(TICKET), "en", DATA);
    String raw = "Printer <b>on fire</b> & \"smoking\"";
    assertEquals("<p>Printer &lt;b&gt;on fire&lt;/b&gt; &amp; &quot;smoking&quot;</p>", r.get(Part.EMAIL_HTML));
    assertEquals(raw, r.get(Part.EMAIL_TEXT));
    assertEquals("SMS " + raw, r.get(Part.SMS_TEXT));
    assertEquals("WA " + raw, r.get(Part.WHATSAPP_TEXT));
    JsonObject data = DATA.copy().put("user", "<b>Ada</b>").put("actor", "<i>Bob</i>");
    r = Renderer.render(Template.parse(TICKET), null, data);
    assertEquals("Ticket 42 for <b>Ada</b>", r.get(Part.INAPP_TITLE));
    assertEquals("Assigned by <i>Bob</i>", r.get(Part.INAPP_BODY));
  }

  @Test
  void aRegionalLocaleFallsBackToItsLanguageThenToTheDefaultPartByPart() {
    Template t = Template.parse(TICKET);
    Rendered ca = Renderer.render(t, "fr-CA", DATA);
    assertEquals("fr-CA", ca.locale());
    assertEquals("Billet 42 pour Ada", ca.get(Part.INAPP_TITLE), "fr-CA's own title");
    assertEquals("Assigné par Bob", ca.get(Part.INAPP_BODY), "fr-CA has no body: fr's");
    assertEquals("Ticket 42 (fr)", ca.get(Part.EMAIL_SUBJECT), "fr-CA has no e-mail: fr's subject");
    assertEquals("<p>Printer &lt;b&gt;on fire&lt;/b&gt; &amp; &quot;smoking&quot;</p>", ca.get(Part.EMAIL_HTML),
        "neither fr-CA nor fr has the e-mail HTML: the default's");
    assertTrue(ca.get(Part.SMS_TEXT).startsWith("SMS "), "no locale has SMS: the default's");

    Rendered belgian = Renderer.render(t, "fr_BE", DATA);
    assertEquals("fr", belgian.locale());
    assertEquals("Ticket 42 pour Ada", belgian.get(Part.INAPP_TITLE));

    Rendered canadianLower = Renderer.render(t, "fr-ca", DATA);
    assertEquals("Billet 42 pour Ada", canadianLower.get(Part.INAPP_TITLE), "language tags match whatever their case");

    Rendered german = Renderer.render(t, "de-DE", DATA);
    assertNull(german.locale());
    assertEquals("Ticket 42 for Ada", german.get(Part.INAPP_TITLE));
  }

  @Test
  void missingDataRendersEmptyAtRenderTime() {
    Template t = Template.parse(TICKET);
    Rendered r = Renderer.render(t, null, new JsonObject().put("user", "Ada"));
    assertEquals("Ticket  for Ada", r.get(Part.INAPP_TITLE));
    assertEquals("Assigned by ", r.get(Part.INAPP_BODY));
    assertEquals("Ticket  for ", Renderer.render(t, null, null).get(Part.INAPP_TITLE));
  }

  @Test
  void sectionsIterateListsAndSkipWhatIsMissingOrEmpty() {
    Template t = Template.parse(new JsonObject().put("name", "digest").put("channels", new JsonObject().put("inapp", new JsonObject()
        .put("title", "{{#items}}[{{title}}]{{/items}}{{^items}}nothing{{/items}}").put("body", "{{#note}}Note: {{note}}{{/note}}"))));
    JsonObject data = new JsonObject().put("items", new JsonArray().add(new JsonObject().put("title", "a")).add(new JsonObject().put("title", "b")))
        .put("note", "");
    Rendered r = Renderer.render(t, null, data);
    assertEquals("[a][b]", r.get(Part.INAPP_TITLE));
    assertEquals("", r.get(Part.INAPP_BODY), "an empty string counts as false");
    assertEquals("nothing", Renderer.render(t, null, new JsonObject()).get(Part.INAPP_TITLE));
  }

  @Test
  void dataIsReadAsJsonNotThroughJavaMethods() {
    Template t = Template.parse(new JsonObject().put("name", "x").put("channels", new JsonObject()
        .put("inapp", new JsonObject().put("title", "[{{user.class}}][{{user.length}}][{{user.bytes}}]"))));
    assertEquals("[][][]", Renderer.render(t, null, new JsonObject().put("user", "Ada")).get(Part.INAPP_TITLE));
  }

  @Test
  void aPartNoVariantHasIsAbsentAndChannelsComeFromTheDefault() {
    Template t = Template.parse(new JsonObject().put("name", "x").put("channels", new JsonObject()
        .put("inapp", new JsonObject().put("title", "T")).put("email", new JsonObject().put("subject", "S").put("html", "<p>H</p>"))));
    Rendered r = Renderer.render(t, "fr", null);
    assertNull(r.get(Part.EMAIL_TEXT));
    assertNull(r.get(Part.INAPP_BODY));
    assertEquals(Set.of("inapp", "email"), r.channels());
    assertEquals(new JsonObject().put("subject", "S").put("html", "<p>H</p>"), r.channelsJson().getJsonObject("email"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{{#a}}x{{/b}}|channels.inapp.title|line 1",
      "ok\\n{{#a}}x|channels.inapp.title|line 2",
      "Hi {{name|channels.inapp.title|column 4",
      "{{}}|channels.inapp.title|malformed",
      "{{> footer}}|channels.inapp.title|partials"})
  void aPartThatDoesNotCompileIsRefusedNamingItAndWhere(String title, String field, String where) {
    JsonObject body = new JsonObject().put("name", "x")
        .put("channels", new JsonObject().put("inapp", new JsonObject().put("title", title.replace("\\n", "\n"))));
    HeraldException e = assertThrows(HeraldException.class, () -> Template.parse(body));
    assertEquals(field, e.field());
    assertEquals(400, e.status());
    assertTrue(e.getMessage().contains(where), e.getMessage());
  }
}
