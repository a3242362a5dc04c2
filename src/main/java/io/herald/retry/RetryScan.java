package io.herald.retry;

import io.herald.config.HeraldConfig;
import io.herald.delivery.Dispatch;
import io.herald.store.DeliveryStore;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import java.util.List;

/**
 * One pass of the retry scanner: cancel what expired, take back abandoned sends, re-queue what is
 * due (critical first), in batches until nothing is left, dispatching each row to its worker.
 */
public final class RetryScan {
  static final int BATCH = 2000;
  static final int PRIORITIES = 4;

  private final DeliveryStore store;
  private final HeraldConfig.Retry retry;
  private final EventBus bus;

  /** What one scan did. */
  public record Result(int expired, int abandoned, int requeued) {
    Result plus(Result o) {
      return new Result(expired + o.expired, abandoned + o.abandoned, requeued + o.requeued);
    }
  }

  public RetryScan(DeliveryStore store, HeraldConfig.Retry retry, EventBus bus) {
    this.store = store;
    this.retry = retry;
    this.bus = bus;
  }

  public Future<Result> run() {
    return expire(new Result(0, 0, 0))
        .compose(this::abandoned)
        .compose(s -> due(0, s));
  }

  private Future<Result> expire(Result so) {
    return store.cancelExpired(BATCH).compose(n -> {
      Result s = so.plus(new Result(n, 0, 0));
      return n == BATCH ? expire(s) : Future.succeededFuture(s);
    });
  }

  private Future<Result> abandoned(Result so) {
    return store.reclaimAbandoned(BATCH, retry.pendingGraceSeconds()).compose(taken -> {
      dispatch(taken.dispatches());
      Result s = so.plus(new Result(0, taken.rows(), 0));
      return taken.rows() == BATCH ? abandoned(s) : Future.succeededFuture(s);
    });
  }

  private Future<Result> due(int priority, Result so) {
    if (priority == PRIORITIES) {
      return Future.succeededFuture(so);
    }
    return store.requeueDue(priority, BATCH, retry.pendingGraceSeconds()).compose(rows -> {
      dispatch(rows);
      Result s = so.plus(new Result(0, 0, rows.size()));
      return rows.size() == BATCH ? due(priority, s) : due(priority + 1, s);
    });
  }

  private void dispatch(List<Dispatch> rows) {
    rows.forEach(d -> d.send(bus));
  }
}
