package io.herald.delivery.email;

import io.herald.config.HeraldConfig;
import io.herald.delivery.DeliveryJob;
import io.herald.delivery.InvalidDestinationException;
import io.herald.delivery.Sender;
import io.herald.store.Notification;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.MailResult;
import io.vertx.ext.mail.StartTLSOptions;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.regex.Pattern;

/**
 * E-mail over SMTP with the Vert.x mail client: its own pool of kept-alive connections, as many as
 * the channel's concurrency. Subject = title; a plain-text part (body, then the action) and an
 * HTML part (the same, escaped, the action as a link). Header values lose every control character,
 * so nothing a notification says can add a header or a recipient. Each send is bounded by
 * {@code timeoutSeconds}; the provider message id is the Message-ID.
 */
public final class EmailSender implements Sender {
  /** One bare address; anything fancier (display names, lists) is not a delivery destination. */
  private static final Pattern ADDRESS = Pattern.compile("[^\\s<>@,;:\"()\\[\\]\\\\]+@[^\\s<>@,;:\"()\\[\\]\\\\]+");

  private static final Logger log = LoggerFactory.getLogger(EmailSender.class);

  private final MailClient client;
  private final String from;
  private final long timeoutMillis;

  public EmailSender(Vertx vertx, HeraldConfig.Channel channel) {
    HeraldConfig.Email email = channel.email();
    HeraldConfig.Smtp smtp = email.smtp();
    this.timeoutMillis = TimeUnit.SECONDS.toMillis(email.timeoutSeconds());
    MailConfig config = new MailConfig()
        .setHostname(smtp.host())
        .setPort(smtp.port())
        .setSsl(smtp.ssl())
        .setStarttls(StartTLSOptions.valueOf(smtp.starttls()))
        .setKeepAlive(true)
        .setMaxPoolSize(channel.concurrency())
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMillis))
        // a server that stops answering mid-dialogue would otherwise hold a pooled connection for ever
        // a little longer than the send timeout, so a hung send fails as a timeout first; the idle
        // timeout then drops the hung connection from the pool
        .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMillis + 1000))
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
    if (smtp.username() != null) {
      // with credentials configured, sending without logging in would be a silent misconfiguration
      config.setLogin(LoginOption.REQUIRED).setUsername(smtp.username()).setPassword(smtp.password());
    } else {
      config.setLogin(LoginOption.DISABLED);
    }
    this.client = MailClient.create(vertx, config);
    this.from = MailContent.headerValue(email.from());
  }

  @Override
  public Future<String> send(DeliveryJob job) {
    String to = job.destination() == null ? "" : job.destination().trim();
    if (!ADDRESS.matcher(to).matches()) {
      return Future.failedFuture(new InvalidDestinationException("not a single e-mail address: '" + MailContent.headerValue(to) + "'"));
    }
    Notification n = job.notification();
    MailMessage message = new MailMessage().setFrom(from).setTo(to);
    if (job.parts() != null) {
      // rendered from a template: its subject, and whichever of text and HTML it has (HTML already escaped)
      String subject = job.part("subject");
      message.setSubject(MailContent.headerValue(subject == null || subject.isBlank() ? n.title() : subject))
          .setText(job.part("text")).setHtml(job.part("html"));
    } else {
      message.setSubject(MailContent.headerValue(n.title())).setText(MailContent.text(n)).setHtml(MailContent.html(n));
    }
    Future<MailResult> sent;
    try {
      sent = client.sendMail(message);
    } catch (RuntimeException e) {
      sent = Future.failedFuture(e); // the mail client validates some input synchronously
    }
    return sent.timeout(timeoutMillis, TimeUnit.MILLISECONDS).map(MailResult::getMessageID);
  }

  /**
   * Closes the pool. The mail client may report a connection the server already dropped, or wait
   * for one stuck mid-dialogue: neither should hold up a shutdown, so close is bounded and never fails.
   */
  @Override
  public Future<Void> close() {
    return client.close().timeout(timeoutMillis, TimeUnit.MILLISECONDS).otherwise(error -> {
      log.debug("mail client closed with an error: {}", error.toString());
      return null;
    });
  }
}
