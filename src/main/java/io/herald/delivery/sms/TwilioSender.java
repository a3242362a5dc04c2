package io.herald.delivery.sms;

import io.herald.config.HeraldConfig;
import io.herald.delivery.DeliveryJob;
import io.herald.delivery.InvalidDestinationException;
import io.herald.delivery.ProviderClient;
import io.herald.delivery.Sender;
import io.herald.store.Notification;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * SMS or WhatsApp through Twilio's Messages API: a form POST of {@code To}, {@code From} and
 * {@code Body} to {@code {baseUrl}/2010-04-01/Accounts/{accountSid}/Messages.json} with basic auth
 * (account SID, auth token). The text is the title, then a line break and the body when there is
 * one; it is not shortened here (Twilio splits long SMS and refuses what is too long, a permanent
 * 400). On the {@code whatsapp} channel both numbers carry Twilio's {@code whatsapp:} prefix. The
 * provider message id is the answer's {@code sid}.
 */
public final class TwilioSender implements Sender {
  static final String WHATSAPP = "whatsapp:";

  private final HeraldConfig.Provider provider;
  private final boolean whatsapp;
  private final String url;
  private final ProviderClient http;

  public TwilioSender(Vertx vertx, HeraldConfig.Channel channel) {
    this.provider = channel.provider();
    for (String[] required : new String[][] {{"baseUrl", provider.baseUrl()}, {"accountSid", provider.accountSid()},
        {"authToken", provider.authToken()}, {"from", provider.from()}}) {
      if (required[1] == null || required[1].isBlank()) {
        throw new IllegalArgumentException("channels." + channel.name() + "." + required[0] + " is required for provider twilio");
      }
    }
    this.whatsapp = channel.name().equals("whatsapp");
    String base = provider.baseUrl().replaceAll("/+$", "");
    this.url = base + "/2010-04-01/Accounts/" + URLEncoder.encode(provider.accountSid(), StandardCharsets.UTF_8) + "/Messages.json";
    this.http = new ProviderClient(vertx, channel.concurrency(), provider.timeoutSeconds());
  }

  @Override
  public Future<String> send(DeliveryJob job) {
    String to;
    try {
      to = InvalidDestinationException.phone(job);
    } catch (InvalidDestinationException e) {
      return Future.failedFuture(e);
    }
    // encoded here and sent as one buffer: WebClient's sendForm streams the body through Netty's
    // form encoder, which measured about 100 ms a request under load (see BENCHMARKS.md)
    Buffer form = Buffer.buffer("To=" + encode(address(to)) + "&From=" + encode(address(provider.from().trim()))
        + "&Body=" + encode(job.part("text") != null ? job.part("text") : text(job.notification())));
    return http.exchange(http.request(HttpMethod.POST, url)
            .basicAuthentication(provider.accountSid(), provider.authToken())
            .putHeader("Accept", "application/json")
            .putHeader("Content-Type", "application/x-www-form-urlencoded")
            .sendBuffer(form))
        .map(TwilioSender::sid);
  }

  @Override
  public Future<Void> close() {
    return http.close();
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  private String address(String number) {
    return whatsapp && !number.startsWith(WHATSAPP) ? WHATSAPP + number : number;
  }

  /** Title, then the body on the next line when there is one. */
  static String text(Notification n) {
    return n.body() == null || n.body().isBlank() ? n.title() : n.title() + "\n" + n.body();
  }

  private static String sid(HttpResponse<Buffer> response) {
    try {
      return response.body() == null ? null : new JsonObject(response.body()).getString("sid");
    } catch (RuntimeException e) {
      return null; // accepted without a readable id: the message is on its way, so this is no failure
    }
  }
}
