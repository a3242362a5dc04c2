package io.herald.push;

import io.herald.fanout.PushFrame;

/** The socket under a {@link Session}: a WebSocket or a SockJS session. */
interface Transport {
  void write(PushFrame frame);

  boolean writeQueueFull();

  /** Called once the write queue has room again. */
  void onDrain(Runnable action);

  void close(short code, String reason);

  /** Sends a transport-level heartbeat where the transport has one of its own to send. */
  void ping();

  String kind();
}
