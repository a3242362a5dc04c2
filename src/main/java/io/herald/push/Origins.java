package io.herald.push;

import io.herald.HeraldException;
import io.herald.config.HeraldConfig;

/**
 * The Origin allow-list for push connections: exact matches only ({@code *} allows any). A
 * request without an Origin header is not from a browser page (mobile apps, servers) and passes;
 * browsers always send one on WebSocket and cross-origin requests.
 */
final class Origins {
  private Origins() {
  }

  static void check(HeraldConfig.Auth auth, String origin) {
    if (origin == null || auth.anyOrigin()) {
      return;
    }
    if (!auth.allowedOrigins().contains(origin)) {
      throw HeraldException.forbidden("origin not allowed (auth.allowedOrigins)");
    }
  }
}
