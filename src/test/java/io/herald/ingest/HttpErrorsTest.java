package io.herald.ingest;

import static io.herald.TestGateway.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.herald.LogCapture;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.WebClient;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The error handler's log lines name the route, not the user or notification in the path. */
class HttpErrorsTest {
  // a 500 on /v1/subscribers/{userId}/things/{id} is logged as the route with parameter names, never the values
  @Test
  void aServerErrorIsLoggedWithTheRouteNotTheUser() {
    Vertx vertx = Vertx.vertx();
    try {
      Router router = Router.router(vertx);
      router.get("/v1/subscribers/:userId/things/:id").handler(ctx -> {
        throw new IllegalStateException("broken on purpose");
      });
      router.route().failureHandler(ctx -> HttpErrors.handle(ctx, 1024));
      HttpServer server = await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
      WebClient client = WebClient.create(vertx);
      List<ILoggingEvent> logged = LogCapture.during(Level.INFO, List.of(HttpErrors.class.getName()), () -> assertEquals(500,
          await(client.get(server.actualPort(), "127.0.0.1", "/v1/subscribers/ada%40example.org/things/42?token=abc").send())
              .statusCode()));
      ILoggingEvent line = logged.stream().filter(e -> e.getLevel() == Level.ERROR).findFirst().orElseThrow();
      String text = LogCapture.line(line);
      assertTrue(text.contains("GET /v1/subscribers/:userId/things/:id failed"), text);
      assertFalse(text.contains("ada") || text.contains("42") || text.contains("abc"), text);
      assertEquals("broken on purpose", line.getThrowableProxy().getMessage(), "the stack trace is kept");
    } finally {
      await(vertx.close());
    }
  }
}
