package io.herald.push;

import io.herald.fanout.PushFrame;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;

/** A raw WebSocket. Text frames are built from the frame's shared UTF-8 bytes: no per-socket encoding. */
final class WebSocketTransport implements Transport {
  private static final Buffer PING = Buffer.buffer("hb");
  private final ServerWebSocket socket;

  WebSocketTransport(ServerWebSocket socket) {
    this.socket = socket;
  }

  @Override
  public void write(PushFrame frame) {
    // WebSocketFrameImpl is Vert.x's own frame type; the public factory only takes a String, which
    // would re-encode the same text for every socket.
    socket.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.TEXT, frame.utf8(), true));
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
    socket.writePing(PING);
  }

  @Override
  public String kind() {
    return "websocket";
  }
}
