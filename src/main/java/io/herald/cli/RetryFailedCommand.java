package io.herald.cli;

import io.herald.HeraldException;
import io.herald.config.HeraldConfig;
import io.herald.retry.RetryRequest;
import io.herald.store.DeliveryAdminStore;
import io.herald.store.DeliveryView;
import io.herald.store.Db;
import io.herald.store.Migrations;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code retry-failed}: re-queues failed and dead deliveries straight in the database. This process
 * has no event bus to the gateway, so the rows become pending and due now, and the running
 * gateway's retry scanner sends them on its next scan.
 */
@Command(name = "retry-failed", mixinStandardHelpOptions = true, description = {"Re-queue failed (and dead) deliveries; the running gateway's retry scanner "
    + "sends them on its next scan.", "Exit codes: 0 done, 1 database error, 2 bad option or configuration."})
final class RetryFailedCommand implements Callable<Integer> {
  static final int DEFAULT_LIMIT = 1000;

  @Mixin
  ConfigOption conf;

  @Option(names = "--dry-run", description = "list what would be re-queued; change nothing")
  boolean dryRun;

  @Option(names = "--verbose", description = "print each delivery: id, channel, destination, attempts, last error")
  boolean verbose;

  @Option(names = "--limit", paramLabel = "N", description = "at most N deliveries, critical and high priority first, then the oldest "
      + "(default ${DEFAULT-VALUE}, at most " + RetryRequest.MAX_LIMIT + ")", defaultValue = "" + DEFAULT_LIMIT)
  int limit;

  @Option(names = "--max-retries", paramLabel = "N", description = "only deliveries with fewer than N attempts; N becomes their "
      + "attempt limit (default: a dead delivery gets one more attempt)")
  Integer maxRetries;

  @Option(names = "--channel", paramLabel = "C", description = "only this channel: email, sms, whatsapp or webhook")
  String channel;

  @Option(names = "--status", paramLabel = "failed|dead", description = "only failed or only dead deliveries (default: both)")
  String status;

  @Override
  public Integer call() {
    RetryRequest request;
    try {
      request = new RetryRequest(status, channel, limit, dryRun, maxRetries);
    } catch (HeraldException e) {
      System.err.println("herald: --" + option(e.field()) + ": " + e.getMessage().substring(e.field().length() + 2));
      return 2;
    }
    HeraldConfig config = conf.load();
    Vertx vertx = Vertx.vertx();
    Pool pool = Db.pool(vertx, config.postgres(), 1);
    try {
      DeliveryAdminStore store = new DeliveryAdminStore(pool, Duration.ZERO);
      List<DeliveryView> rows = Migrations.apply(pool, config.postgres().schema())
          .compose(applied -> store.retryMatching(request.status(), request.channel(), request.limit(), request.dryRun(),
              request.maxRetries()))
          .toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      report(rows, request, config);
      return 0;
    } catch (ExecutionException e) {
      System.err.println("herald: retry-failed failed: " + e.getCause().getMessage());
      return 1;
    } catch (TimeoutException e) {
      System.err.println("herald: retry-failed failed: the database did not answer within 120 seconds");
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } finally {
      pool.close();
      vertx.close();
    }
  }

  private void report(List<DeliveryView> rows, RetryRequest request, HeraldConfig config) {
    if (verbose) {
      for (DeliveryView d : rows) {
        System.out.println(d.id() + "  " + d.channel() + "  " + (d.destination() == null ? "-" : d.destination()) + "  attempts "
            + d.attempts() + "/" + d.maxAttempts() + "  " + (d.lastError() == null ? "-" : oneLine(d.lastError())));
      }
    }
    System.out.println(request.dryRun()
        ? rows.size() + " found, 0 re-queued (dry run)"
        : rows.size() + " found, " + rows.size() + " re-queued");
    if (rows.size() == request.limit()) {
      System.out.println("stopped at --limit " + request.limit() + "; run again for more");
    }
    if (!request.dryRun() && !rows.isEmpty()) {
      System.out.println("they are pending now: the running gateway's retry scanner sends them on its next scan (every "
          + config.retry().scanIntervalSeconds() + "s)");
    }
  }

  private static String oneLine(String text) {
    return text.replaceAll("[\\r\\n\\t]+", " ");
  }

  private static String option(String field) {
    return field.equals("maxRetries") ? "max-retries" : field;
  }
}
