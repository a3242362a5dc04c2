package io.herald.delivery;

import io.herald.config.HeraldConfig;
import io.herald.delivery.email.EmailSender;
import io.herald.delivery.sms.HttpProviderSender;
import io.herald.delivery.sms.TwilioSender;
import io.herald.delivery.webhook.WebhookSender;
import io.vertx.core.Vertx;

/** Picks the {@link Sender} for an external channel from its configuration. */
public final class Senders {
  private Senders() {
  }

  /**
   * email → {@link EmailSender}; sms and whatsapp → {@link TwilioSender} or {@link HttpProviderSender}
   * by {@code provider}; webhook → {@link WebhookSender}. Each holds its own connection pool: close it
   * when the channel's worker stops. Fails with {@link IllegalArgumentException} for a channel
   * without a sender (inapp) or a provider setting a sender needs that is missing.
   */
  public static Sender create(Vertx vertx, HeraldConfig.Channel channel) {
    return switch (channel.name()) {
      case "email" -> new EmailSender(vertx, channel);
      case "webhook" -> new WebhookSender(vertx, channel);
      case "sms", "whatsapp" -> switch (channel.provider().kind()) {
        case "twilio" -> new TwilioSender(vertx, channel);
        case "http" -> new HttpProviderSender(vertx, channel);
        default -> throw new IllegalArgumentException("channels." + channel.name() + ".provider: unknown provider " + channel.provider().kind());
      };
      default -> throw new IllegalArgumentException("no sender for channel " + channel.name());
    };
  }
}
