package io.herald.ops;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /metrics}: this node's meters in the Prometheus text format 0.0.4. Not authenticated,
 * like any scrape endpoint: it shows counts and timings, never ids or contents; keep it off the
 * public internet (or let the proxy in front refuse it) if even those are private.
 */
public final class MetricsApi {
  public static final String PATH = "/metrics";
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry;

  public MetricsApi(PrometheusMeterRegistry registry) {
    this.registry = registry;
  }

  public void mount(Router router) {
    router.get(PATH).handler(this::scrape);
  }

  /** Writing out every meter is CPU work that grows with the histograms: done off the event loop. */
  private void scrape(RoutingContext ctx) {
    ctx.vertx().executeBlocking(registry::scrape, false)
        .onSuccess(text -> ctx.response().putHeader("Content-Type", CONTENT_TYPE).end(text))
        .onFailure(ctx::fail);
  }
}
