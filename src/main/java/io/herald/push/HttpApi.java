package io.herald.push;

import io.herald.HeraldException;
import io.herald.ingest.BroadcastApi;
import io.herald.ingest.EventsApi;
import io.herald.ingest.InboxApi;
import io.herald.ingest.IngestApi;
import io.herald.ingest.SubscriberApi;
import io.herald.ops.AlertsApi;
import io.herald.config.HeraldConfig;
import io.herald.ops.HealthApi;
import io.herald.ops.MetricsApi;
import io.herald.ops.StatsApi;
import io.herald.ops.WebRoot;
import io.herald.retry.DeliveriesApi;
import io.herald.store.AlertStore;
import io.herald.store.BroadcastStore;
import io.herald.store.EventStore;
import io.herald.store.NodeStore;
import io.herald.store.StatsStore;
import io.herald.store.TemplateStore;
import io.herald.template.TemplateApi;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Clock;

/** The HTTP API routes every push verticle instance serves next to its sockets (one port for both). */
final class HttpApi {
  private HttpApi() {
  }

  static void mount(Vertx vertx, Router router, PushVerticle.Shared shared) {
    router.route().handler(BodyHandler.create(false).setBodyLimit(shared.config().http().maxBodyBytes()));
    new IngestApi(shared.config(), shared.auth(), shared.store(), shared.writer(), shared.deliveries(), shared.fanout(),
        shared.transactionsPerInstance(), shared.meters().ingest()).mount(router);
    new SubscriberApi(shared.auth(), shared.subscribers()).mount(router);
    new BroadcastApi(shared.auth(), new BroadcastStore(shared.store().pool(), shared.writer()), shared.fanout(),
        shared.meters().ingest()).mount(router);
    new InboxApi(shared.auth(), shared.store(), shared.fanout()).mount(router);
    TemplateStore templates = new TemplateStore(shared.store().pool());
    new TemplateApi(shared.auth(), templates).mount(router);
    new EventsApi(shared.config(), shared.auth(), new EventStore(shared.store().pool()), templates).mount(router);
    DeliveriesApi.create(shared.auth(), shared.store().pool(), shared.config().retry(), vertx.eventBus()).mount(router);
    new HealthApi(shared.readiness()).mount(router);
    AlertStore alerts = new AlertStore(shared.store().pool());
    new StatsApi(shared.auth(), new NodeStore(shared.store().pool()), shared.node(), new StatsStore(shared.store().pool()),
        shared.config().externalChannels().stream().map(HeraldConfig.Channel::name).toList(), Clock.systemUTC(), alerts).mount(router);
    if (shared.meters().registry() instanceof PrometheusMeterRegistry prometheus) {
      new MetricsApi(prometheus).mount(router);
    }
    new AlertsApi(shared.auth(), alerts).mount(router);
    new WebRoot().mount(router);
    router.route().last().handler(ctx -> ctx.fail(HeraldException.notFound("no such endpoint: " + ctx.request().method() + " "
        + ctx.request().path())));
  }
}
