package io.herald.delivery;

import io.herald.Addresses;
import io.herald.config.HeraldConfig;
import io.herald.ops.Meters;
import io.herald.retry.Backoff;
import io.herald.store.DeliveryStore;
import io.herald.store.NotificationWriter;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker of one external channel on this node. Dispatches arrive on
 * {@code herald.deliver.<channel>}; the worker claims them in batches (a guarded UPDATE that only
 * one claimer can win per attempt), sends each through the channel's {@link Sender} with at most
 * {@code concurrency} calls in flight and at most {@code ratePerSecond} starting per second, and
 * records outcomes in batches. A channel whose provider hangs only fills its own slots: each
 * channel has its own verticle, queue and limits. Waiting dispatches are bounded; one that does
 * not fit is dropped and its row found again by the retry scanner, so nothing is lost and memory
 * stays flat.
 */
public final class DeliveryVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(DeliveryVerticle.class);
  static final int QUEUE_LIMIT = 20_000;
  static final int CLAIM_BATCH = 500;
  static final int FINISH_BATCH = 1000;
  /** Outcomes not yet written beyond which no more is claimed (the database is slow or away). */
  static final int MAX_UNWRITTEN = 10_000;

  private final HeraldConfig.Channel channel;
  private final HeraldConfig.Retry retry;
  private final DeliveryStore store;
  private final String node;
  private final Function<Vertx, Sender> senders;
  private final Clock clock;
  private final int drainSeconds;
  private final Meters.Delivery meters;
  private final LinkedHashMap<UUID, Integer> waiting = new LinkedHashMap<>();
  private final List<DeliveryStore.Finish> finished = new ArrayList<>();
  private Sender sender;
  private Outcomes outcomes;
  private TokenBucket bucket;
  private MessageConsumer<JsonObject> consumer;
  private int sending;
  private boolean claiming;
  private boolean finishing;
  private boolean stopping;
  /** The drain ran out of time and gave the leases of the sends still running back. */
  private boolean released;
  private Promise<Void> idle;
  private boolean rateTimer;
  private boolean retryTimer;
  private long dropped;
  private long lastDropLog;
  private boolean storeFailing;
  /** How many outcomes are still to be written one at a time after a batch was refused. */
  private int isolate;

  public DeliveryVerticle(HeraldConfig.Channel channel, HeraldConfig.Retry retry, DeliveryStore store, String node,
                          Function<Vertx, Sender> senders, Clock clock, int drainSeconds, Meters.Delivery meters) {
    this.channel = channel;
    this.retry = retry;
    this.store = store;
    this.node = node;
    this.senders = senders;
    this.clock = clock;
    this.drainSeconds = drainSeconds;
    this.meters = meters;
  }

  @Override
  public Future<?> start() {
    sender = senders.apply(vertx);
    outcomes = new Outcomes(channel.name(), clock, new Backoff(channel.backoff(), clock, Math::random), meters);
    bucket = new TokenBucket(channel.ratePerSecond(), channel.concurrency(), System.nanoTime());
    consumer = vertx.eventBus().consumer(Addresses.deliver(channel.name()), msg -> enqueue(Dispatch.fromJson(channel.name(), msg.body())));
    return consumer.completion();
  }

  /**
   * Stops taking work (in a cluster, dispatches then go to other nodes' workers) and lets the sends
   * in flight finish and their outcomes be written, for at most {@code drainSeconds}. The leases of
   * sends still running then are ended at once, so the next retry scan on any node takes them back
   * instead of waiting out the lease.
   */
  @Override
  public Future<?> stop() {
    stopping = true;
    waiting.clear();
    idle = Promise.promise();
    checkIdle();
    long timer = vertx.setTimer(Math.max(1, drainSeconds) * 1000L, id -> idle.tryComplete());
    return consumer.unregister().compose(v -> idle.future()).eventually(() -> {
      vertx.cancelTimer(timer);
      if (sending == 0) {
        return sender.close();
      }
      log.atWarn().addKeyValue("channel", channel.name()).addKeyValue("sending", sending)
          .log("{} worker: {} sends still running after {} s of draining; their leases are released for another node", channel.name(),
          sending, drainSeconds);
      released = true;
      return store.endLeases(node, channel.name()).<Void>mapEmpty().otherwiseEmpty().eventually(sender::close);
    });
  }

  private void enqueue(Dispatch dispatch) {
    if (stopping) {
      return;
    }
    Integer known = waiting.get(dispatch.id());
    if (known == null && waiting.size() >= QUEUE_LIMIT) {
      dropped++;
      long now = System.currentTimeMillis();
      if (now - lastDropLog > 10_000) {
        lastDropLog = now;
        log.atWarn().addKeyValue("channel", channel.name()).addKeyValue("dropped", dropped)
            .log("{} worker: {} dispatches waiting, {} dropped so far; the retry scanner will pick them up", channel.name(),
            waiting.size(), dropped);
      }
      return;
    }
    if (known == null || dispatch.attempts() > known) {
      waiting.put(dispatch.id(), dispatch.attempts());
    }
    pump();
  }

  /** Claims as many waiting deliveries as there are free slots (and tokens), one claim at a time. */
  private void pump() {
    if (claiming || stopping || waiting.isEmpty() || finished.size() >= MAX_UNWRITTEN) {
      return;
    }
    int wanted = Math.min(Math.min(channel.concurrency() - sending, waiting.size()), CLAIM_BATCH);
    int n = allowance(wanted);
    if (n <= 0) {
      return;
    }
    List<Dispatch> batch = new ArrayList<>(n);
    Iterator<Map.Entry<UUID, Integer>> it = waiting.entrySet().iterator();
    while (batch.size() < n && it.hasNext()) {
      Map.Entry<UUID, Integer> e = it.next();
      batch.add(new Dispatch(e.getKey(), channel.name(), e.getValue()));
      it.remove();
    }
    claiming = true;
    store.claim(batch, retry.leaseSeconds(), node).onComplete(result -> {
      claiming = false;
      if (result.failed()) {
        // the rows stay pending in the database; the scanner re-dispatches them after the grace period
        bucket.giveBack(n);
        storeTrouble("claiming", result.cause());
        checkIdle();
        return;
      }
      storeBack();
      List<DeliveryJob> jobs = result.result();
      bucket.giveBack(n - jobs.size()); // dispatches that won nothing (duplicates, stale) start no send
      sending += jobs.size(); // every slot taken before any send can complete and pump again
      try {
        for (DeliveryJob job : jobs) {
          send(job);
        }
      } finally {
        pump();
        checkIdle();
      }
    });
  }

  /** Sends one claimed job; its slot was taken by the claim and is given back when the call ends. */
  private void send(DeliveryJob job) {
    long started = System.nanoTime();
    Future<String> call;
    try {
      call = sender.send(job);
    } catch (Throwable e) {
      call = Future.failedFuture(e);
    }
    call.onComplete(result -> {
      sending--;
      if (released && result.failed()) {
        return; // cut off by the drain, not failed by the provider: the scanner retries it as abandoned
      }
      try {
        long nanos = System.nanoTime() - started;
        finished.add(result.succeeded() ? outcomes.sent(job, result.result(), nanos) : outcomes.failed(job, result.cause(), nanos));
      } finally {
        flush();
        pump();
        checkIdle();
      }
    });
  }

  /** Writes finished outcomes, one statement at a time; on a database failure keeps them and tries again. */
  private void flush() {
    if (finishing || finished.isEmpty()) {
      return;
    }
    int size = isolate > 0 ? 1 : Math.min(finished.size(), FINISH_BATCH);
    if (isolate > 0) {
      isolate--;
    }
    List<DeliveryStore.Finish> batch = new ArrayList<>(finished.subList(0, size));
    finished.subList(0, batch.size()).clear();
    finishing = true;
    store.finish(batch).onComplete(result -> {
      finishing = false;
      boolean refused = result.failed() && NotificationWriter.isDataError(result.cause());
      if (refused && batch.size() > 1) {
        // one outcome the database refuses must not hold up the others: write them one by one
        finished.addAll(0, batch);
        isolate = Math.max(isolate, batch.size());
        flush();
        return;
      }
      if (refused) {
        // written alone and still refused: dropped; the row's lease runs out and the scanner retries it
        DeliveryStore.Finish lost = batch.get(0);
        log.atError().addKeyValue("delivery_id", lost.id()).addKeyValue("notification_id", lost.notificationId())
            .addKeyValue("channel", channel.name())
            .log("{} worker: outcome of attempt {} refused by the database, dropped: {}", channel.name(), lost.attempt(),
                result.cause().getMessage());
      } else if (result.failed()) {
        finished.addAll(0, batch);
        storeTrouble("recording outcomes", result.cause());
        return;
      }
      storeBack();
      flush();
      pump();
      checkIdle();
    });
  }

  /** One log line when the database fails, then a retry every second until it answers. */
  private void storeTrouble(String what, Throwable cause) {
    if (!storeFailing) {
      storeFailing = true;
      log.atWarn().addKeyValue("channel", channel.name()).log("{} worker: {} failed, retrying every second: {}", channel.name(), what,
          cause.getMessage());
    }
    if (!retryTimer) {
      retryTimer = true;
      vertx.setTimer(1000, id -> {
        retryTimer = false;
        flush();
        pump();
        checkIdle();
      });
    }
  }

  private void storeBack() {
    if (storeFailing) {
      storeFailing = false;
      log.atInfo().addKeyValue("channel", channel.name()).log("{} worker: database answers again", channel.name());
    }
  }

  private void checkIdle() {
    if (idle != null && sending == 0 && !claiming && finished.isEmpty() && !finishing) {
      idle.tryComplete();
    }
  }

  /** How many of {@code wanted} sends may start now under {@code ratePerSecond}; sets a timer when none may. */
  private int allowance(int wanted) {
    int n = bucket.take(wanted, System.nanoTime());
    if (n == 0 && wanted > 0 && !rateTimer) {
      rateTimer = true;
      vertx.setTimer(bucket.millisToNext(), id -> {
        rateTimer = false;
        pump();
      });
    }
    return n;
  }
}
