package io.herald.bench;

import io.herald.auth.Jwt;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Instant;

/**
 * The running gateway under test: where it listens, the API key to ingest with and the JWT
 * secret (HS256) to sign user tokens with. Makes the HTTP and WebSocket clients the scenarios use.
 */
public record Target(String host, int port, boolean ssl, String apiKey, String jwtSecret) {
  public static Target parse(String url, String apiKey, String jwtSecret) {
    URI uri = URI.create(url);
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      throw new IllegalArgumentException("--url must look like http://127.0.0.1:8080, not '" + url + "'");
    }
    boolean ssl = scheme.equals("https");
    int port = uri.getPort() > 0 ? uri.getPort() : ssl ? 443 : 80;
    return new Target(uri.getHost(), port, ssl, apiKey, jwtSecret);
  }

  /** An HTTP/1.1 keep-alive client with up to {@code poolSize} connections to the gateway. */
  public HttpClientAgent httpClient(Vertx vertx, int poolSize) {
    HttpClientOptions options = new HttpClientOptions().setDefaultHost(host).setDefaultPort(port).setSsl(ssl).setTrustAll(true)
        .setVerifyHost(false).setKeepAlive(true).setPipelining(false).setTcpNoDelay(true).setConnectTimeout(10_000)
        .setDecompressionSupported(false);
    return vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(poolSize).setMaxWaitQueueSize(-1));
  }

  /**
   * A WebSocket client whose sockets are bound to {@code localAddress} (null: any), allowed
   * {@code maxSockets} open sockets to the gateway at once (Vert.x's default is 50).
   */
  public WebSocketClient webSocketClient(Vertx vertx, String localAddress, int maxSockets) {
    WebSocketClientOptions options = new WebSocketClientOptions().setDefaultHost(host).setDefaultPort(port).setSsl(ssl)
        .setTrustAll(true).setVerifyHost(false).setMaxConnections(maxSockets).setConnectTimeout(10_000).setTcpNoDelay(true)
        .setTryUsePerMessageCompression(false).setTryUsePerFrameCompression(false).setClosingTimeout(5);
    if (localAddress != null) {
      options.setLocalAddress(localAddress);
    }
    return vertx.createWebSocketClient(options);
  }

  /** A user JWT (HS256, no roles, valid one day), as {@code herald token} would make it. */
  public String userToken(String userId) {
    if (jwtSecret == null) {
      throw new IllegalArgumentException("--secret (the gateway's auth.jwt.secret) is needed to open push sockets");
    }
    long now = Instant.now().getEpochSecond();
    JsonObject claims = new JsonObject().put("sub", userId).put("roles", new JsonArray()).put("iat", now).put("exp", now + 86_400);
    return Jwt.sign("HS256", jwtSecret, null, claims);
  }

  public String authorization() {
    if (apiKey == null) {
      throw new IllegalArgumentException("--key (an API key with the ingest scope) is needed to ingest");
    }
    return "Bearer " + apiKey;
  }
}
