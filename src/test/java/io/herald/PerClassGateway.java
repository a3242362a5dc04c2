package io.herald;

import io.vertx.core.json.JsonObject;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link TestGateway} for a whole test class, started before its first test and closed (its
 * schema dropped) after the last: {@code @RegisterExtension static final PerClassGateway GATEWAY =
 * new PerClassGateway(g -> gw = g);}
 */
public final class PerClassGateway implements BeforeAllCallback, AfterAllCallback {
  private final JsonObject config;
  private final Consumer<TestGateway> started;
  private TestGateway gateway;

  public PerClassGateway(Consumer<TestGateway> started) {
    this(new JsonObject(), started);
  }

  /** With {@code config} merged over the test defaults. */
  public PerClassGateway(JsonObject config, Consumer<TestGateway> started) {
    this.config = config;
    this.started = started;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    gateway = TestGateway.start(config);
    started.accept(gateway);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (gateway != null) {
      gateway.close();
    }
  }
}
