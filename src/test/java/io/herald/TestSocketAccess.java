package io.herald;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketConnectOptions;

/** Opens a {@link TestSocket} against any server, for tests outside this package. */
public final class TestSocketAccess {
  private TestSocketAccess() {
  }

  public static Future<TestSocket> connect(Vertx vertx, WebSocketConnectOptions options) {
    return TestSocket.connect(vertx, options);
  }
}
