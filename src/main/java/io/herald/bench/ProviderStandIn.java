package io.herald.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * A provider that answers at once, run inside the bench process so it can time what arrives: for
 * {@code webhook} an HTTP server answering 200, for {@code sms}/{@code whatsapp} Twilio's Messages
 * API answering 201 with a sid, for {@code email} a minimal SMTP sink (any number of messages per
 * connection, as a pooled mail client sends them). Every message received is handed, as text, to
 * {@code onMessage}; requests that a correctly configured gateway would not send are counted in
 * {@link #unexpected()}. One server instance per bench event loop, sharing the port.
 */
final class ProviderStandIn {
  private static final Pattern TWILIO_PATH = Pattern.compile("/2010-04-01/Accounts/[^/]+/Messages\\.json");

  private final Vertx vertx;
  private final String deployment;
  private final Tally unexpected;

  private ProviderStandIn(Vertx vertx, String deployment, Tally unexpected) {
    this.vertx = vertx;
    this.deployment = deployment;
    this.unexpected = unexpected;
  }

  static Future<ProviderStandIn> start(Vertx vertx, String channel, int port, int instances, Consumer<CharSequence> onMessage) {
    Tally unexpected = new Tally();
    AtomicLong sids = new AtomicLong();
    return vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        if (channel.equals("email")) {
          return vertx.createNetServer(new NetServerOptions().setTcpNoDelay(true))
              .connectHandler(socket -> new SmtpSession(socket, onMessage))
              .listen(port, "127.0.0.1");
        }
        return vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true).setIdleTimeout(0))
            .requestHandler(req -> http(channel, req, onMessage, unexpected, sids))
            .listen(port, "127.0.0.1");
      }
    }, new DeploymentOptions().setInstances(Math.max(1, instances)))
        .map(id -> new ProviderStandIn(vertx, id, unexpected));
  }

  /** Requests the gateway should not have sent (wrong method or path), by what was wrong. */
  Tally unexpected() {
    return unexpected;
  }

  Future<Void> close() {
    return vertx.undeploy(deployment);
  }

  private static void http(String channel, HttpServerRequest req, Consumer<CharSequence> onMessage, Tally unexpected, AtomicLong sids) {
    req.body().onSuccess(body -> {
      boolean webhook = channel.equals("webhook");
      if (req.method() != HttpMethod.POST || !webhook && !TWILIO_PATH.matcher(req.path()).matches()) {
        unexpected.add(req.method() + " " + req.path());
        req.response().setStatusCode(404).end();
        return;
      }
      if (webhook) {
        onMessage.accept(body.toString(StandardCharsets.UTF_8));
        req.response().setStatusCode(200).end();
      } else {
        onMessage.accept(URLDecoder.decode(body.toString(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
        req.response().setStatusCode(201).putHeader("Content-Type", "application/json")
            .end("{\"sid\":\"SM" + sids.incrementAndGet() + "\",\"status\":\"queued\"}");
      }
    });
  }

  /** One SMTP connection: commands answered at once, DATA read up to the lone dot, the stamp line kept. */
  private static final class SmtpSession {
    private final NetSocket socket;
    private final Consumer<CharSequence> onMessage;
    private boolean inData;
    private String stamped;

    SmtpSession(NetSocket socket, Consumer<CharSequence> onMessage) {
      this.socket = socket;
      this.onMessage = onMessage;
      socket.handler(RecordParser.newDelimited("\n", this::line));
      socket.write("220 herald-bench ESMTP\r\n");
    }

    private void line(Buffer raw) {
      String line = raw.toString(StandardCharsets.ISO_8859_1);
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1);
      }
      if (inData) {
        if (line.equals(".")) {
          inData = false;
          onMessage.accept(stamped == null ? "" : stamped);
          stamped = null;
          socket.write("250 2.0.0 Ok: queued\r\n");
        } else if (stamped == null && line.contains("bench t=")) {
          stamped = line;
        }
        return;
      }
      String verb = line.length() < 4 ? line.toUpperCase(Locale.ROOT) : line.substring(0, 4).toUpperCase(Locale.ROOT);
      switch (verb) {
        case "EHLO" -> socket.write("250-herald-bench\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n");
        case "HELO", "MAIL", "RCPT", "RSET", "NOOP" -> socket.write("250 2.0.0 Ok\r\n");
        case "DATA" -> {
          inData = true;
          socket.write("354 End data with <CR><LF>.<CR><LF>\r\n");
        }
        case "QUIT" -> socket.write("221 2.0.0 Bye\r\n").onComplete(v -> socket.close());
        default -> socket.write("502 5.5.2 Command not recognized\r\n");
      }
    }
  }
}
