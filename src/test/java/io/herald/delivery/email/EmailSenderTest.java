package io.herald.delivery.email;

import static io.herald.delivery.DeliveryFixture.await;
import static io.herald.delivery.DeliveryFixture.classified;
import static io.herald.delivery.DeliveryFixture.failure;
import static io.herald.delivery.DeliveryFixture.job;
import static io.herald.delivery.DeliveryFixture.notification;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.herald.config.ConfigLoader;
import io.herald.config.HeraldConfig;
import io.herald.delivery.ErrorClass;
import io.herald.delivery.FakeProvider;
import io.herald.delivery.Failure;
import io.herald.delivery.Sender;
import io.herald.delivery.Senders;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mail.SMTPException;
import jakarta.mail.Address;
import jakarta.mail.BodyPart;
import jakarta.mail.Message;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link EmailSender} against GreenMail (a real SMTP server) and a fake SMTP server that refuses recipients. */
class EmailSenderTest {
  static Vertx vertx;
  GreenMail mail;
  Sender email;

  @BeforeAll
  static void vertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void closeVertx() {
    await(vertx.close());
  }

  @BeforeEach
  void start() {
    mail = new GreenMail(new ServerSetup(FakeProvider.freePort(), "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    mail.start();
    email = sender(mail.getSmtp().getPort(), 5);
  }

  @AfterEach
  void stop() {
    await(email.close());
    mail.stop();
  }

  static Sender sender(int port, int timeoutSeconds) {
    HeraldConfig config = ConfigLoader.fromJson(new JsonObject().put("channels", new JsonObject().put("email", new JsonObject()
        .put("enabled", true).put("from", "Herald <herald@example.com>").put("timeoutSeconds", timeoutSeconds).put("concurrency", 4)
        .put("smtp", new JsonObject().put("host", "127.0.0.1").put("port", port)))));
    Sender s = Senders.create(vertx, config.channels().get("email"));
    assertInstanceOf(EmailSender.class, s);
    return s;
  }

  MimeMessage onlyMessage() {
    assertTrue(mail.waitForIncomingEmail(5000, 1), "no mail arrived");
    MimeMessage[] received = mail.getReceivedMessages();
    assertEquals(1, received.length, "exactly one delivery (one recipient)");
    return received[0];
  }

  /** Content type (without parameters) → the part's text, for every leaf part. */
  static Map<String, String> parts(Part part) throws Exception {
    Map<String, String> out = new HashMap<>();
    if (part.getContent() instanceof Multipart multipart) {
      for (int i = 0; i < multipart.getCount(); i++) {
        BodyPart child = multipart.getBodyPart(i);
        out.putAll(parts(child));
      }
    } else {
      out.put(part.getContentType().split(";")[0].trim().toLowerCase(), part.getContent().toString());
    }
    return out;
  }

  @Test
  void sendsTitleBodyAndActionAsTextAndHtml() throws Exception {
    // subject = title; text part = body + action; HTML part escaped with the action as a link; the Message-ID comes back
    String id = await(email.send(job("email", "alice@example.org",
        notification("Your order <b>shipped</b> & more", "Parcel \"42\" is on its way.\nTrack it below.", "https://shop.example/o/42?a=1&b=2", "Track <it>"))));
    MimeMessage m = onlyMessage();
    assertEquals("Your order <b>shipped</b> & more", m.getSubject());
    assertEquals("herald@example.com", ((InternetAddress) m.getFrom()[0]).getAddress());
    assertEquals("Herald", ((InternetAddress) m.getFrom()[0]).getPersonal());
    assertEquals("alice@example.org", ((InternetAddress) m.getRecipients(Message.RecipientType.TO)[0]).getAddress());
    assertNotNull(id);
    assertEquals(m.getMessageID(), id.startsWith("<") ? id : "<" + id + ">");

    Map<String, String> parts = parts(m);
    String text = parts.get("text/plain").replace("\r\n", "\n");
    assertEquals("Parcel \"42\" is on its way.\nTrack it below.\n\nTrack <it>: https://shop.example/o/42?a=1&b=2", text.stripTrailing());
    String html = parts.get("text/html").replace("\r\n", "\n");
    assertTrue(html.contains("<h1 style=\"font-size:1.2em\">Your order &lt;b&gt;shipped&lt;/b&gt; &amp; more</h1>"), html);
    assertTrue(html.contains("<p>Parcel &quot;42&quot; is on its way.<br>\nTrack it below.</p>"), html);
    assertTrue(html.contains("<a href=\"https://shop.example/o/42?a=1&amp;b=2\">Track &lt;it&gt;</a>"), html);
    assertFalse(html.contains("<b>shipped"), html);
  }

  @Test
  void aJavascriptActionIsNotALink() throws Exception {
    await(email.send(job("email", "alice@example.org", notification("t", "b", "javascript:alert(1)", null))));
    String html = parts(onlyMessage()).get("text/html");
    assertFalse(html.contains("href"), html);
    assertTrue(html.contains("javascript:alert(1)"), html);
  }

  @Test
  void aTitleCannotInjectHeadersOrRecipients() throws Exception {
    // CR/LF in the title become spaces: no Bcc header, no second recipient
    await(email.send(job("email", "alice@example.org", "Hello\r\nBcc: evil@x.example\r\nX-Evil: 1", "body")));
    MimeMessage m = onlyMessage();
    assertEquals("Hello  Bcc: evil@x.example  X-Evil: 1", m.getSubject());
    assertNull(m.getHeader("Bcc"));
    assertNull(m.getHeader("X-Evil"));
    Address[] all = m.getAllRecipients();
    assertEquals(1, all.length);
    assertEquals(0, mail.getReceivedMessagesForDomain("x.example").length);
  }

  @Test
  void aDestinationThatIsNotOneAddressIsPermanentAndNotSent() {
    for (String bad : new String[] {"alice@example.org\r\nBcc: evil@x.example", "a@example.org, b@example.org", "not-an-address", ""}) {
      Failure f = classified(email.send(job("email", bad, "t", "b")));
      assertEquals(ErrorClass.PERMANENT, f.errorClass(), bad);
    }
    assertEquals(0, mail.getReceivedMessages().length);
  }

  @Test
  void aRefusedRecipientIsPermanent() {
    // SMTP 550 on RCPT → SMTPException → PERMANENT
    try (FakeSmtp smtp = FakeSmtp.start(vertx, "550 5.1.1 <nobody@example.org>: user unknown")) {
      Sender s = sender(smtp.port(), 5);
      try {
        Throwable error = failure(s.send(job("email", "nobody@example.org", "t", "b")));
        assertInstanceOf(SMTPException.class, error);
        assertEquals(550, ((SMTPException) error).getReplyCode());
        Failure f = classified(s.send(job("email", "nobody@example.org", "t", "b")));
        assertEquals(ErrorClass.PERMANENT, f.errorClass());
        assertTrue(f.message().startsWith("SMTP 550: ") && f.message().contains("user unknown"), f.message());
      } finally {
        await(s.close());
      }
    }
  }

  @Test
  void aGreylistedRecipientIsTemporary() {
    // SMTP 451 on RCPT → SMTPException → TEMPORARY
    try (FakeSmtp smtp = FakeSmtp.start(vertx, "451 4.7.1 greylisted, try again later")) {
      Sender s = sender(smtp.port(), 5);
      try {
        Throwable error = failure(s.send(job("email", "bob@example.org", "t", "b")));
        assertInstanceOf(SMTPException.class, error);
        assertTrue(((SMTPException) error).isTransient());
        assertEquals(ErrorClass.TEMPORARY, classified(s.send(job("email", "bob@example.org", "t", "b"))).errorClass());
      } finally {
        await(s.close());
      }
    }
  }

  @Test
  void aServerThatNeverAnswersTimesOut() {
    try (FakeSmtp smtp = FakeSmtp.start(vertx, null)) {
      Sender s = sender(smtp.port(), 1);
      try {
        Failure f = classified(s.send(job("email", "bob@example.org", "t", "b")));
        assertEquals(ErrorClass.TEMPORARY, f.errorClass());
        assertTrue(f.message().startsWith("timeout"), f.message());
      } finally {
        await(s.close());
      }
    }
  }

  @Test
  void noServerIsTemporary() {
    Sender s = sender(FakeProvider.freePort(), 5);
    try {
      Failure f = classified(s.send(job("email", "bob@example.org", "t", "b")));
      assertEquals(ErrorClass.TEMPORARY, f.errorClass());
      assertTrue(f.message().startsWith("connection refused"), f.message());
    } finally {
      await(s.close());
    }
  }
}
