package io.herald.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import io.herald.PerClassGateway;
import io.herald.StandIn;
import io.herald.TestGateway;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.MimeMessage;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** An event's external deliveries carry the template's own e-mail and SMS texts, in the recipient's locale. */
class EventDeliveryTest {
  static final StandIn SMS = StandIn.start(r -> StandIn.Answer.json(201, "{\"sid\":\"SM1\"}"));
  static final GreenMail SMTP = TestGateway.smtp();
  static TestGateway gw;

  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(new JsonObject().put("channels", new JsonObject()
      .put("email", new JsonObject().put("enabled", true).put("timeoutSeconds", 5)
          .put("smtp", new JsonObject().put("host", "127.0.0.1").put("port", SMTP.getSmtp().getPort())))
      .put("sms", new JsonObject().put("enabled", true).put("baseUrl", SMS.url()).put("accountSid", "AC1").put("authToken", "t")
          .put("from", "+15550000000"))), g -> gw = g);

  @AfterAll
  static void stop() {
    SMS.close();
    SMTP.stop();
  }

  @Test
  void theRecipientsLocaleTextsGoOutOnEachChannel() throws Exception {
    JsonObject template = new JsonObject().put("name", "parcel.arrived").put("level", "info")
        .put("channels", new JsonObject()
            .put("inapp", new JsonObject().put("title", "Parcel {{ref}} arrived"))
            .put("email", new JsonObject().put("subject", "Your parcel {{ref}}").put("html", "<p>Parcel <b>{{ref}}</b> from {{from}}</p>")
                .put("text", "Parcel {{ref}} from {{from}}"))
            .put("sms", new JsonObject().put("text", "Parcel {{ref}} is here")))
        .put("locales", new JsonObject().put("fr", new JsonObject()
            .put("email", new JsonObject().put("subject", "Votre colis {{ref}}").put("html", "<p>Colis <b>{{ref}}</b> de {{from}}</p>")
                .put("text", "Colis {{ref}} de {{from}}"))
            .put("sms", new JsonObject().put("text", "Colis {{ref}} arrivé"))));
    assertEquals(201, gw.post("/v1/templates", TestGateway.ADMIN_KEY, template).statusCode());
    assertTrue(gw.request(HttpMethod.PUT, "/v1/subscribers/claire", TestGateway.ADMIN_KEY, new JsonObject().put("locale", "fr")
        .put("email", "claire@example.com").put("phone", "+15551112222")).statusCode() < 300);
    var r = gw.post("/v1/events", TestGateway.INGEST_KEY, new JsonObject().put("type", "parcel.arrived")
        .put("data", new JsonObject().put("ref", "A-7").put("from", "<Acme & Co>")).put("recipients", new JsonArray().add("claire")));
    assertEquals(202, r.statusCode(), r.bodyAsString());

    TestGateway.eventually(() -> SMTP.getReceivedMessages().length == 1 && !SMS.requests.isEmpty(), "an e-mail and an SMS");
    MimeMessage mail = SMTP.getReceivedMessages()[0];
    assertEquals("Votre colis A-7", mail.getSubject());
    String raw = GreenMailUtil.getWholeMessage(mail);
    assertTrue(raw.contains("de &lt;Acme &amp; Co&gt;"), "data escaped in the HTML part: " + raw);
    assertTrue(raw.contains("Colis A-7 de <Acme & Co>"), "and as given in the text part: " + raw);
    String body = SMS.requests.get(0).body();
    assertTrue(URLDecoder.decode(body, StandardCharsets.UTF_8).contains("Body=Colis A-7 arrivé"), body);
    assertEquals("Parcel A-7 arrived", gw.query("SELECT title FROM notifications WHERE recipient = 'claire'").iterator().next()
        .getString(0), "fr has no in-app variant: the default one");
  }
}
