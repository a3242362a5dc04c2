package io.herald.delivery.email;

import io.herald.delivery.DeliveryFixture;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;

/**
 * Just enough of an SMTP server to refuse a recipient with a chosen reply (GreenMail accepts every
 * recipient): greets, accepts EHLO, MAIL, RSET, NOOP and QUIT, and answers every RCPT with
 * {@code rcptReply}. With {@code rcptReply} null it never even greets (a server that hangs).
 */
final class FakeSmtp implements AutoCloseable {
  private final NetServer server;

  private FakeSmtp(Vertx vertx, String rcptReply) {
    server = vertx.createNetServer().connectHandler(socket -> {
      if (rcptReply == null) {
        return;
      }
      socket.write("220 fake.example ESMTP\r\n");
      socket.handler(RecordParser.newDelimited("\r\n", line -> answer(socket, line.toString(), rcptReply)));
    });
  }

  static FakeSmtp start(Vertx vertx, String rcptReply) {
    FakeSmtp smtp = new FakeSmtp(vertx, rcptReply);
    DeliveryFixture.await(smtp.server.listen(0, "127.0.0.1"));
    return smtp;
  }

  int port() {
    return server.actualPort();
  }

  private static void answer(NetSocket socket, String line, String rcptReply) {
    String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase() : line.toUpperCase();
    switch (verb) {
      case "EHLO", "HELO" -> socket.write("250 fake.example\r\n");
      case "MAIL", "RSET", "NOOP" -> socket.write("250 2.0.0 OK\r\n");
      case "RCPT" -> socket.write(rcptReply + "\r\n");
      case "QUIT" -> socket.write("221 2.0.0 bye\r\n").onComplete(done -> socket.close());
      default -> socket.write("502 5.5.2 not implemented\r\n");
    }
  }

  @Override
  public void close() {
    DeliveryFixture.await(server.close());
  }
}
