package io.herald.push;

import io.herald.fanout.PushFrame;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

/** A SockJS session (any of its transports); SockJS sends its own heartbeats. */
final class SockJsTransport implements Transport {
  private final SockJSSocket socket;

  SockJsTransport(SockJSSocket socket) {
    this.socket = socket;
  }

  @Override
  public void write(PushFrame frame) {
    socket.write(Buffer.buffer(frame.utf8()));
  }

  @Override
  public boolean writeQueueFull() {
    return socket.writeQueueFull();
  }

  @Override
  public void onDrain(Runnable action) {
    socket.drainHandler(v -> action.run());
  }

  @Override
  public void close(short code, String reason) {
    socket.close(code, reason);
  }

  @Override
  public void ping() {
    // SockJS heartbeats are sent by the SockJS handler itself
  }

  @Override
  public String kind() {
    return "sockjs";
  }
}
