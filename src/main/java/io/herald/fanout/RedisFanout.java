package io.herald.fanout;

import io.herald.config.HeraldConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fan-out across nodes through Redis pub/sub. A node writes to its own sockets at once (through
 * {@link LocalFanout}) and publishes the message once: on the user's channel, or on each role
 * channel of a broadcast (the everyone channel when it has no roles). It subscribes to a user's
 * channel while it holds a socket of that user, to a role's channel while it holds a socket whose
 * user has the role, and to the everyone channel always; it ignores what it published itself and
 * drops repeats of a broadcast that came over several role channels. With {@code redis.sharded}
 * it speaks sharded pub/sub (SSUBSCRIBE/SPUBLISH) to a Redis Cluster, so each message only
 * travels through the shard that owns its channel.
 *
 * <p>Redis outage: local pushes go on; publishing pauses; the link reconnects with capped,
 * jittered backoff and resubscribes every channel. Then this node catches its sockets up from the
 * database (every notification is committed before it is published, so the inbox holds whatever
 * Redis did not carry) and tells the other nodes to do the same, in case only this node's link
 * was down. Nothing acknowledged is lost; the state shows in {@link #state()} and the logs.
 *
 * <p>Subscriptions are reference counts updated from any event loop; the link itself (two
 * connections: one subscribed, one publishing) is confined to one context, where changes are
 * applied in batches (many channels per SUBSCRIBE) so a reconnect storm costs few commands.
 */
public final class RedisFanout implements Fanout {
  private static final Logger log = LoggerFactory.getLogger(RedisFanout.class);
  static final int CHUNK = 500;
  static final long FIRST_BACKOFF_MS = 200;
  static final long MAX_BACKOFF_MS = 10_000;
  static final int RECENT_BROADCASTS = 4096;
  static final long WATCH_TIMEOUT_MS = 2_000;
  /** The message every node answers by catching its sockets up from the database. */
  static final String RESYNC = "RESYNC";

  private final Vertx vertx;
  private final LocalFanout local;
  private final String node;
  private final String prefix;
  private final boolean sharded;
  private final Runnable catchUp;
  private final Redis client;
  private final Context context;
  private final ConcurrentHashMap<String, Integer> wanted = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<String> dirty = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean flushQueued = new AtomicBoolean();
  private final AtomicLong published = new AtomicLong();
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private volatile boolean up;
  private volatile Instant downSince = Instant.now();
  private volatile int channels;
  private volatile long reconnects;

  // confined to the link's context
  private RedisConnection sub;
  private RedisConnection pub;
  private final Set<String> subscribed = new HashSet<>();
  private final Map<String, Boolean> recentBroadcasts = new LinkedHashMap<>(256, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > RECENT_BROADCASTS;
    }
  };
  private List<Promise<Void>> watchers = new ArrayList<>();
  private long backoff;
  /** Whether sockets here may have missed messages: the link was down, or the first attempts failed. */
  private boolean missed;
  private boolean closed;

  /**
   * {@code catchUp} asks this node's sessions to read from the database what they may have missed
   * (called on the link's context after Redis came back, or when another node asks).
   */
  public RedisFanout(Vertx vertx, HeraldConfig.Redis cfg, String node, LocalFanout local, Runnable catchUp) {
    this.vertx = vertx;
    this.local = local;
    this.node = node;
    this.prefix = cfg.prefix();
    this.sharded = cfg.sharded();
    this.catchUp = catchUp;
    RedisOptions options = new RedisOptions().setConnectionString(cfg.uri()).setMaxWaitingHandlers(65_536)
        .setType(cfg.sharded() ? RedisClientType.CLUSTER : RedisClientType.STANDALONE);
    this.client = Redis.createClient(vertx, options);
    this.context = vertx.getOrCreateContext();
    wanted.put(everyone(), 1); // held for the node's lifetime
  }

  /** Connects; completes after the first attempt either way (a node starts, degraded, while Redis is down). */
  public Future<Void> start() {
    Promise<Void> first = Promise.promise();
    context.runOnContext(v -> connect(first));
    return first.future();
  }

  @Override
  public Future<Void> publish(PushMessage message) {
    if (message.target() != PushMessage.Target.USER) {
      return Future.failedFuture(new IllegalArgumentException("broadcasts go through broadcast()"));
    }
    local.publish(message);
    send(List.of(user(message.key())), message);
    return Future.succeededFuture();
  }

  @Override
  public Future<Integer> broadcast(PushMessage message) {
    Future<Integer> reached = local.broadcast(message);
    send(message.roles().isEmpty() ? List.of(everyone()) : message.roles().stream().map(this::role).toList(), message);
    return reached;
  }

  @Override
  public boolean mayReach(String userId) {
    return true; // another node may hold a socket of the user
  }

  @Override
  public Future<Void> watch(String userId, Set<String> roles) {
    hold(user(userId));
    roles.forEach(role -> hold(role(role)));
    Promise<Void> subscribed = Promise.promise();
    context.runOnContext(v -> {
      if (!up) {
        subscribed.complete(); // nothing to wait for: a catch-up follows the reconnect
        return;
      }
      watchers.add(subscribed);
      flush();
    });
    // never keeps a socket's welcome waiting on a slow Redis for long
    return subscribed.future().timeout(WATCH_TIMEOUT_MS, TimeUnit.MILLISECONDS).otherwiseEmpty();
  }

  @Override
  public void unwatch(String userId, Set<String> roles) {
    drop(user(userId));
    roles.forEach(role -> drop(role(role)));
  }

  @Override
  public JsonObject state() {
    return new JsonObject().put("mode", sharded ? "redis-sharded" : "redis").put("redis", up ? "up" : "down")
        .put("downSince", up ? null : downSince.toString()).put("channels", channels).put("published", published.get())
        .put("received", received.get()).put("skippedWhileDown", skipped.get()).put("reconnects", reconnects);
  }

  public boolean up() {
    return up;
  }

  @Override
  public Future<Void> close() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      closed = true;
      up = false;
      closeLink();
      client.close().onComplete(r -> done.complete());
    });
    return done.future();
  }

  private String user(String userId) {
    return prefix + "u:" + userId;
  }

  private String role(String role) {
    return prefix + "r:" + role;
  }

  private String everyone() {
    return prefix + "all";
  }

  private void hold(String channel) {
    if (wanted.merge(channel, 1, Integer::sum) == 1) {
      changed(channel);
    }
  }

  private void drop(String channel) {
    boolean[] last = {false};
    wanted.computeIfPresent(channel, (k, n) -> {
      last[0] = n <= 1;
      return last[0] ? null : n - 1;
    });
    if (last[0]) {
      changed(channel);
    }
  }

  private void changed(String channel) {
    dirty.add(channel);
    if (flushQueued.compareAndSet(false, true)) {
      context.runOnContext(v -> flush());
    }
  }

  /** Publishes the message, serialised once, on each of {@code channelNames}. */
  private void send(List<String> channelNames, PushMessage message) {
    if (!up) {
      skipped.addAndGet(channelNames.size()); // the other nodes catch their sockets up when the link is back
      return;
    }
    String payload = message.toJson().put("origin", node).encode();
    context.runOnContext(v -> channelNames.forEach(channel -> publishNow(channel, payload)));
  }

  private void publishNow(String channel, String payload) {
    RedisConnection c = pub;
    if (c == null) {
      skipped.incrementAndGet();
      return;
    }
    c.send(Request.cmd(sharded ? Command.SPUBLISH : Command.PUBLISH).arg(channel).arg(payload)).onComplete(r -> {
      if (r.succeeded()) {
        published.incrementAndGet();
      } else {
        skipped.incrementAndGet();
        log.debug("publish to Redis failed: {}", r.cause().getMessage());
      }
    });
  }

  /** Applies subscription changes since the last flush, then lets the watchers waiting for them go. */
  private void flush() {
    flushQueued.set(false);
    List<Promise<Void>> waiting = watchers;
    watchers = new ArrayList<>();
    if (!up || sub == null) {
      waiting.forEach(Promise::tryComplete);
      return; // the reconnect subscribes everything wanted
    }
    List<String> add = new ArrayList<>();
    List<String> remove = new ArrayList<>();
    for (String channel; (channel = dirty.poll()) != null; ) {
      boolean want = wanted.containsKey(channel);
      if (want && subscribed.add(channel)) {
        add.add(channel);
      } else if (!want && subscribed.remove(channel)) {
        remove.add(channel);
      }
    }
    channels = subscribed.size();
    List<Future<?>> sent = new ArrayList<>();
    sent.addAll(command(sub, sharded ? Command.SSUBSCRIBE : Command.SUBSCRIBE, add));
    sent.addAll(command(sub, sharded ? Command.SUNSUBSCRIBE : Command.UNSUBSCRIBE, remove));
    if (!waiting.isEmpty() && !sharded) {
      // replies come in order: once this is answered, subscriptions sent by earlier flushes are in place too
      sent.add(sub.send(Request.cmd(Command.PING)));
    }
    Future.join(sent).onComplete(r -> waiting.forEach(Promise::tryComplete));
  }

  /** One command per {@link #CHUNK} channels; one per channel when sharded (a command's channels must share a slot). */
  private List<Future<Response>> command(RedisConnection c, Command command, List<String> channelNames) {
    List<Future<Response>> sent = new ArrayList<>();
    int chunk = sharded ? 1 : CHUNK;
    for (int i = 0; i < channelNames.size(); i += chunk) {
      Request request = Request.cmd(command);
      channelNames.subList(i, Math.min(channelNames.size(), i + chunk)).forEach(request::arg);
      sent.add(c.send(request));
    }
    return sent;
  }

  private void onMessage(Response r) {
    if ((r.type() != ResponseType.PUSH && r.type() != ResponseType.MULTI) || r.size() < 3) {
      return;
    }
    String kind = r.get(0).toString();
    if (!kind.equals("message") && !kind.equals("smessage")) {
      return; // subscribe confirmations and the like
    }
    JsonObject json;
    try {
      json = new JsonObject(r.get(2).toBuffer());
    } catch (RuntimeException e) {
      log.debug("ignored a message on {} that is not Herald's: {}", r.get(1), e.getMessage());
      return;
    }
    if (node.equals(json.getString("origin"))) {
      return; // written to this node's sockets when it was published
    }
    received.incrementAndGet();
    if (RESYNC.equals(json.getString("target"))) {
      log.info("node {} asks for a catch-up after its Redis link was down; catching this node's sockets up", json.getString("origin"));
      catchUp.run();
      return;
    }
    PushMessage message = PushMessage.fromJson(json);
    if (message.target() != PushMessage.Target.USER && recentBroadcasts.put(message.key(), Boolean.TRUE) != null) {
      return; // the same broadcast over another of its role channels
    }
    local.publish(message);
  }

  private void connect(Promise<Void> first) {
    if (closed) {
      first.tryComplete();
      return;
    }
    client.connect().compose(s -> client.connect().onFailure(err -> s.close()).map(p -> List.of(s, p))).onComplete(result -> {
      if (closed) {
        if (result.succeeded()) {
          result.result().forEach(RedisConnection::close);
        }
        first.tryComplete();
        return;
      }
      if (result.failed()) {
        if (!missed) {
          log.warn("Redis fan-out cannot reach Redis ({}); pushes reach this node's sockets only until it can, retrying",
              result.cause().getMessage());
        }
        missed = true;
        first.tryComplete();
        retryLater();
        return;
      }
      RedisConnection s = result.result().get(0);
      RedisConnection p = result.result().get(1);
      sub = s;
      pub = p;
      s.handler(this::onMessage);
      s.exceptionHandler(err -> lost(s, err));
      s.endHandler(v -> lost(s, null));
      p.exceptionHandler(err -> lost(p, err));
      p.endHandler(v -> lost(p, null));
      resubscribe(s, first);
    });
  }

  /** Subscribes every wanted channel on a fresh link; then the link is up and, after an outage, sockets catch up. */
  private void resubscribe(RedisConnection s, Promise<Void> first) {
    dirty.clear();
    subscribed.clear();
    subscribed.addAll(wanted.keySet());
    channels = subscribed.size();
    List<Future<Response>> sent = command(s, sharded ? Command.SSUBSCRIBE : Command.SUBSCRIBE, new ArrayList<>(subscribed));
    Future.all(sent).onComplete(result -> {
      if (s != sub) {
        first.tryComplete();
        return; // lost again meanwhile
      }
      if (result.failed()) {
        lost(s, result.cause());
        first.tryComplete();
        return;
      }
      up = true;
      backoff = 0;
      if (missed) {
        missed = false;
        reconnects++;
        log.info("Redis fan-out is back after {} s: {} channels subscribed again; catching up sockets on every node",
            (System.currentTimeMillis() - downSince.toEpochMilli()) / 1000, subscribed.size());
        publishNow(everyone(), new JsonObject().put("target", RESYNC).put("origin", node).encode());
        catchUp.run();
      } else {
        log.info("Redis fan-out connected: {} channels subscribed", subscribed.size());
      }
      first.tryComplete();
      flush(); // changes made while subscribing
    });
  }

  private void lost(RedisConnection c, Throwable err) {
    if (closed || (c != sub && c != pub)) {
      return; // an old link's second notice
    }
    boolean wasUp = up;
    up = false;
    missed = true;
    closeLink();
    if (wasUp) {
      downSince = Instant.now();
      log.warn("Redis fan-out lost its link ({}): pushes reach this node's sockets only until it is back; reconnecting",
          err == null ? "connection closed" : err.getMessage());
    }
    retryLater();
  }

  private void closeLink() {
    RedisConnection s = sub;
    RedisConnection p = pub;
    sub = null;
    pub = null;
    if (s != null) {
      s.close();
    }
    if (p != null) {
      p.close();
    }
  }

  private void retryLater() {
    backoff = backoff == 0 ? FIRST_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, backoff * 2);
    long delay = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
    vertx.setTimer(delay, id -> connect(Promise.promise())); // set on the link's context, so it fires there
  }
}
