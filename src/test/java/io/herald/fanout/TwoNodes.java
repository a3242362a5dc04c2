package io.herald.fanout;

import io.herald.RedisServer;
import io.herald.TestGateway;
import io.vertx.core.json.JsonObject;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test class's two nodes of one gateway (one schema) with Redis fan-out, and the private Redis
 * they use if any: started before the class's tests, closed in reverse after them.
 */
final class TwoNodes implements BeforeAllCallback, AfterAllCallback {
  private final Supplier<RedisServer> privateRedis;
  private final JsonObject keys;
  RedisServer redis;
  TestGateway a;
  TestGateway b;

  /** {@code privateRedis}: starts a private server (null: the shared one on 6379); {@code keys}: more redis.* keys. */
  TwoNodes(Supplier<RedisServer> privateRedis, JsonObject keys) {
    this.privateRedis = privateRedis;
    this.keys = keys;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    redis = privateRedis == null ? null : privateRedis.get();
    JsonObject conf = keys.copy().put("uri", redis == null ? "redis://127.0.0.1:6379" : redis.uri());
    a = TestGateway.start(new JsonObject().put("redis", conf));
    b = a.peer(new JsonObject());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    for (AutoCloseable c : new AutoCloseable[] {b, a, redis}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // closing the rest matters more
      }
    }
  }
}
