package io.herald.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The validated configuration, one record per section of {@code conf/herald.json}. Built once at
 * start-up by {@link ConfigLoader}; {@code toString} never shows a secret.
 */
public record HeraldConfig(
    Http http, Postgres postgres, Redis redis, Cluster cluster, Auth auth, Push push,
    Map<String, Channel> channels, Retry retry, Throttle throttle, Digest digest, Alerts alerts, Jobs jobs, Metrics metrics, JsonObject source) {

  /** The same configuration with {@code cluster.enabled} on (the serve command's {@code --cluster}). */
  public HeraldConfig clustered() {
    Cluster c = cluster;
    return new HeraldConfig(http, postgres, redis, new Cluster(true, c.host(), c.port(), c.members(), c.eventBusPort(),
        c.kubernetesService(), c.hazelcastConfig(), c.jobLeaseSeconds()), auth, push, channels, retry, throttle, digest, alerts, jobs, metrics, source);
  }

  public static final List<String> CHANNEL_NAMES = List.of("inapp", "email", "sms", "whatsapp", "webhook");
  public static final Set<String> SCOPES = Set.of("ingest", "broadcast", "admin");
  public static final Set<String> JWT_ALGORITHMS = Set.of("HS256", "RS256", "ES256");
  /** A lease must outlast the longest send it covers by this much (claiming and recording take time too). */
  public static final int LEASE_MARGIN_SECONDS = 2;

  /** HTTP listener; {@code instances} 0 means one per core. */
  public record Http(String host, int port, long maxBodyBytes, int instances, int shutdownTimeoutSeconds) {
  }

  public record Postgres(String uri, String schema, int poolSize) {
    @Override
    public String toString() {
      return "Postgres[uri=" + Secrets.maskUri(uri) + ", schema=" + schema + ", poolSize=" + poolSize + "]";
    }
  }

  /**
   * Redis for cross-node push fan-out ({@code uri} null: this node's sockets only). {@code sharded}:
   * SSUBSCRIBE/SPUBLISH (Redis 7 sharded pub/sub, for Redis Cluster). {@code prefix}: what every
   * channel name starts with; gateways that share it share pushes.
   */
  public record Redis(String uri, boolean sharded, String prefix) {
    public boolean enabled() {
      return uri != null;
    }

    @Override
    public String toString() {
      return "Redis[uri=" + Secrets.maskUri(uri) + ", sharded=" + sharded + ", prefix=" + prefix + "]";
    }
  }

  /**
   * Hazelcast membership: TCP-IP join to {@code members}, or DNS discovery through the headless
   * Service {@code kubernetesService} when set. {@code host} is the address this node binds and
   * announces (Hazelcast and the event bus); {@code eventBusPort} 0 picks a free one.
   * {@code jobLeaseSeconds}: how long a singleton job's lease lasts without renewal, so how soon
   * another node takes a dead node's jobs over.
   */
  public record Cluster(boolean enabled, String host, int port, List<String> members, int eventBusPort, String kubernetesService,
                        String hazelcastConfig, int jobLeaseSeconds) {
  }

  public record ApiKey(String name, String key, Set<String> scopes) {
    @Override
    public String toString() {
      return "ApiKey[name=" + name + ", key=" + Secrets.MASK + ", scopes=" + scopes + "]";
    }
  }

  public record Jwt(String algorithm, String secret, String publicKey, String issuer, String audience, int leewaySeconds) {
    @Override
    public String toString() {
      return "Jwt[algorithm=" + algorithm + ", secret=" + Secrets.mask(secret) + ", publicKey=" + (publicKey == null ? null : "(set)")
          + ", issuer=" + issuer + ", audience=" + audience + ", leewaySeconds=" + leewaySeconds + "]";
    }
  }

  public record Auth(List<ApiKey> apiKeys, Jwt jwt, List<String> allowedOrigins) {
    public boolean anyOrigin() {
      return allowedOrigins.contains("*");
    }
  }

  /** Push limits; {@code writeQueueBytes} bounds what is buffered for one socket. */
  public record Push(int maxConnectionsPerUser, int pingIntervalSeconds, int maxFrameBytes, int writeQueueBytes, int slowConsumerSeconds) {
  }

  /**
   * One external channel. {@code concurrency} bounds its provider calls in flight;
   * {@code ratePerSecond} (0: none) bounds how fast they start; {@code backoff} and
   * {@code maxAttempts} are the retry policy (the {@code retry} section, or the channel's own
   * {@code retry} override). Exactly one of {@code email}, {@code provider}, {@code webhook} is set.
   */
  public record Channel(String name, boolean enabled, int concurrency, double ratePerSecond, List<Duration> backoff, int maxAttempts,
                        Email email, Provider provider, Webhook webhook) {
  }

  public record Smtp(String host, int port, boolean ssl, String starttls, String username, String password) {
    @Override
    public String toString() {
      return "Smtp[host=" + host + ", port=" + port + ", ssl=" + ssl + ", starttls=" + starttls + ", username=" + username
          + ", password=" + Secrets.mask(password) + "]";
    }
  }

  public record Email(Smtp smtp, String from, int timeoutSeconds) {
  }

  /**
   * An SMS or WhatsApp provider: {@code kind} {@code twilio} (baseUrl, accountSid, authToken, from) or
   * {@code http} (method, url, headers, bodyTemplate with {{to}}, {{from}}, {{title}}, {{body}}, and
   * where to find the message id in the answer).
   */
  public record Provider(String kind, String baseUrl, String accountSid, String authToken, String from, String method, String url,
                         Map<String, String> headers, Object bodyTemplate, String messageIdPath, int timeoutSeconds) {
    @Override
    public String toString() {
      return "Provider[kind=" + kind + ", baseUrl=" + Secrets.maskUrl(baseUrl) + ", accountSid=" + accountSid + ", authToken=" + Secrets.mask(authToken)
          + ", from=" + from + ", method=" + method + ", url=" + Secrets.maskUrl(url) + ", headers=" + (headers == null ? null : headers.keySet())
          + ", bodyTemplate=" + Secrets.mask(bodyTemplate == null ? null : "") + ", messageIdPath=" + messageIdPath + ", timeoutSeconds=" + timeoutSeconds + "]";
    }
  }

  /** {@code secret} is a Standard Webhooks {@code whsec_<base64>} secret; {@code key} its decoded bytes. */
  public record Webhook(String url, String secret, byte[] key, int timeoutSeconds) {
    @Override
    public String toString() {
      return "Webhook[url=" + Secrets.maskUrl(url) + ", secret=" + Secrets.mask(secret) + ", timeoutSeconds=" + timeoutSeconds + "]";
    }
  }

  public record Retry(int scanIntervalSeconds, int leaseSeconds, int pendingGraceSeconds, List<Duration> backoff, int maxAttempts) {
  }

  /**
   * At most {@code maxPerWindow} external deliveries per recipient and category within
   * {@code window} (0: no throttle); the rest are cancelled with reason {@code throttled}, or with
   * {@code fold} (mode {@code digest}) held for the recipient's next daily digest e-mail.
   */
  public record Throttle(int maxPerWindow, Duration window, boolean fold) {
  }

  /**
   * Digests: held e-mails go out at {@code hour} o'clock ({@code day}, 1 Monday .. 7 Sunday, for
   * weekly ones) in the subscriber's time zone (default {@code timeZone}) unless the subscriber
   * chose their own; each lists at most {@code maxItems}. With {@code unreadSummary}, users who
   * have unread in-app notifications and opened no socket for a day get them summarised daily.
   */
  public record Digest(int hour, int day, String timeZone, int maxItems, boolean unreadSummary, int checkIntervalSeconds) {
  }

  /**
   * The health monitor: every {@code checkIntervalSeconds} it checks each external channel and
   * tells the admins of what it finds, at most once per {@code cooldownMinutes} per alert.
   * Thresholds: {@code failuresPerHourCritical} failed attempts in an hour; {@code
   * permanentFailuresPerDayWarning} permanent failures in 24 h; a failure rate of {@code
   * failureRateCritical} (0 < x ≤ 1) over the last hour, judged only once the hour holds {@code
   * failureRateMinAttempts} finished attempts (one failure out of one attempt is 100 % and means
   * nothing); a delivery due for longer than {@code backlogMinutes}. Admins: {@code email} (every
   * alert), {@code sms} and {@code whatsapp} (critical ones), sent with those channels' provider
   * settings, and {@code webhook}, a Slack-compatible incoming-webhook URL (every alert).
   */
  public record Alerts(boolean enabled, int checkIntervalSeconds, int cooldownMinutes, int failuresPerHourCritical,
                       int permanentFailuresPerDayWarning, double failureRateCritical, int failureRateMinAttempts, int backlogMinutes,
                       List<String> email, List<String> sms, List<String> whatsapp, String webhook) {
    /** Addresses and numbers are personal data and a webhook URL is a credential: only how many there are is shown. */
    @Override
    public String toString() {
      return "Alerts[enabled=" + enabled + ", checkIntervalSeconds=" + checkIntervalSeconds + ", cooldownMinutes=" + cooldownMinutes
          + ", failuresPerHourCritical=" + failuresPerHourCritical + ", permanentFailuresPerDayWarning=" + permanentFailuresPerDayWarning
          + ", failureRateCritical=" + failureRateCritical + ", failureRateMinAttempts=" + failureRateMinAttempts + ", backlogMinutes="
          + backlogMinutes + ", email=" + email.size() + " addresses, sms=" + sms.size() + " numbers, whatsapp=" + whatsapp.size()
          + " numbers, webhook=" + (webhook == null ? null : "(set)") + "]";
    }
  }

  /** Scheduled jobs: their cron expressions are read on the wall clock of {@code timeZone}. */
  public record Jobs(String timeZone, Retention retention) {
  }

  /**
   * The retention clean-up, run at the times of {@code cron}: notifications read more than
   * {@code readNotificationsAfterDays} ago, notifications their user deleted more than
   * {@code deletedNotificationsAfterDays} ago (neither while a delivery of theirs is still to be
   * sent), attempts of finished deliveries older than {@code attemptsAfterDays} (never those of a
   * dead one), digests older than {@code digestsAfterDays} whose e-mail is finished, and alerts
   * resolved more than {@code resolvedAlertsAfterDays} ago, removed {@code batchSize} rows per
   * statement.
   */
  public record Retention(boolean enabled, Cron cron, int readNotificationsAfterDays, int deletedNotificationsAfterDays,
                          int attemptsAfterDays, int digestsAfterDays, int resolvedAlertsAfterDays, int batchSize) {
  }

  /**
   * Prometheus metrics on {@code GET /metrics}: off with {@code enabled} false. Notification
   * categories keep their name as a label value when listed in {@code categories} or, with no list,
   * when among the first {@code maxCategories} distinct ones a node sees; the rest count as
   * {@code _other}. The queue gauges are read from the database every {@code queueIntervalSeconds}.
   */
  public record Metrics(boolean enabled, int maxCategories, List<String> categories, int queueIntervalSeconds) {
  }

  /** Channels that can be requested on a notification. */
  public List<String> enabledChannels() {
    List<String> out = new ArrayList<>();
    out.add("inapp");
    channels.values().stream().filter(Channel::enabled).map(Channel::name).forEach(out::add);
    return out;
  }

  /** The enabled external channels. */
  public List<Channel> externalChannels() {
    return channels.values().stream().filter(Channel::enabled).toList();
  }

  /** The configuration as JSON with every secret masked, for printing and logging. */
  public JsonObject masked() {
    return Secrets.maskJson(source);
  }

  @Override
  public String toString() {
    return masked().encode();
  }

  static HeraldConfig from(JsonObject c) {
    Reader r = new Reader(c);
    Http http = new Http(
        r.string("http.host", false), r.integer("http.port", 1, 65535), r.integer("http.maxBodyBytes", 1024, 1 << 30),
        r.integer("http.instances", 0, 256), r.integer("http.shutdownTimeoutSeconds", 0, 3600));
    String uri = r.string("postgres.uri", false);
    if (!uri.startsWith("postgresql://") && !uri.startsWith("postgres://")) {
      throw new ConfigException("postgres.uri", "must start with postgresql://");
    }
    try {
      new URI(uri);
    } catch (URISyntaxException e) {
      throw new ConfigException("postgres.uri", "is not a valid URI");
    }
    String schema = r.string("postgres.schema", false);
    if (!schema.matches("[a-z_][a-z0-9_]{0,62}")) {
      throw new ConfigException("postgres.schema", "must be a lower-case SQL identifier (letters, digits, _), got '" + schema + "'");
    }
    Postgres postgres = new Postgres(uri, schema, r.integer("postgres.poolSize", 1, 512));
    String redisUri = r.string("redis.uri", true);
    if (redisUri != null && !redisUri.matches("rediss?://.+")) {
      throw new ConfigException("redis.uri", "must start with redis:// or rediss://");
    }
    String redisPrefix = r.string("redis.prefix", true);
    if (redisPrefix != null && (redisPrefix.isEmpty() || redisPrefix.matches(".*\\s.*"))) {
      throw new ConfigException("redis.prefix", "must be a non-empty channel name prefix without spaces");
    }
    Redis redis = new Redis(redisUri, r.bool("redis.sharded"), redisPrefix != null ? redisPrefix : "herald:" + schema + ":");
    Cluster cluster = new Cluster(r.bool("cluster.enabled"), r.string("cluster.host", false), r.integer("cluster.port", 1, 65535),
        r.strings("cluster.members"), r.integer("cluster.eventBusPort", 0, 65535), r.string("cluster.kubernetesService", true),
        r.string("cluster.hazelcastConfig", false), r.integer("cluster.jobLeaseSeconds", 2, 3600));
    for (String member : cluster.members()) {
      if (!member.matches("[^:\\s]+(:\\d{1,5})?")) {
        throw new ConfigException("cluster.members", "'" + member + "' is not host or host:port");
      }
    }
    Retry retry = retry(r);
    Map<String, Channel> channels = channels(r, retry);
    for (Channel ch : channels.values()) {
      int timeout = ch.email() != null ? ch.email().timeoutSeconds() : ch.provider() != null ? ch.provider().timeoutSeconds()
          : ch.webhook().timeoutSeconds();
      if (ch.enabled() && retry.leaseSeconds() < timeout + LEASE_MARGIN_SECONDS) {
        throw new ConfigException("retry.leaseSeconds", "must be at least channels." + ch.name() + ".timeoutSeconds + "
            + LEASE_MARGIN_SECONDS + " (" + (timeout + LEASE_MARGIN_SECONDS) + "), got " + retry.leaseSeconds()
            + ": a send still running when its lease ends would be started again by another worker");
      }
    }
    Duration window = Durations.parse("throttle.window", r.string("throttle.window", false));
    if (window.getSeconds() < 1 || window.toDays() > 31) {
      throw new ConfigException("throttle.window", "must be between 1s and 31d");
    }
    String mode = r.string("throttle.mode", false);
    if (!mode.equals("cancel") && !mode.equals("digest")) {
      throw new ConfigException("throttle.mode", "must be cancel or digest, got '" + mode + "'");
    }
    Throttle throttle = new Throttle(r.integer("throttle.maxPerWindow", 0, 1_000_000), window, mode.equals("digest"));
    if (throttle.fold() && throttle.maxPerWindow() > 0 && !channels.get("email").enabled()) {
      throw new ConfigException("throttle.mode", "digest folds throttled deliveries into e-mail digests: enable channels.email, "
          + "or use cancel");
    }
    return new HeraldConfig(http, postgres, redis, cluster, auth(r), push(r), channels, retry, throttle, digest(r), alerts(r, channels), jobs(r), metrics(r), c);
  }

  private static Jobs jobs(Reader r) {
    String zone = r.string("jobs.timeZone", false);
    if (!validZone(zone)) {
      throw new ConfigException("jobs.timeZone", "must be an IANA time zone such as UTC or Europe/Paris, got '" + zone + "'");
    }
    String expression = r.string("jobs.retention.cron", false);
    Cron cron;
    try {
      cron = Cron.parse(expression);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("jobs.retention.cron", "'" + expression + "' is not a cron expression: " + e.getMessage());
    }
    return new Jobs(zone, new Retention(r.bool("jobs.retention.enabled"), cron,
        r.integer("jobs.retention.readNotificationsAfterDays", 1, 36_500), r.integer("jobs.retention.deletedNotificationsAfterDays", 0, 36_500),
        r.integer("jobs.retention.attemptsAfterDays", 1, 36_500), r.integer("jobs.retention.digestsAfterDays", 1, 36_500),
        r.integer("jobs.retention.resolvedAlertsAfterDays", 1, 36_500), r.integer("jobs.retention.batchSize", 1, 100_000)));
  }

  private static Metrics metrics(Reader r) {
    List<String> categories = r.strings("metrics.categories");
    if (categories.size() > 1000) {
      throw new ConfigException("metrics.categories", "must list at most 1000 categories, got " + categories.size());
    }
    for (String category : categories) {
      if (category.isBlank() || category.length() > 100) {
        throw new ConfigException("metrics.categories", "must hold categories of 1 to 100 characters, got '" + category + "'");
      }
    }
    return new Metrics(r.bool("metrics.enabled"), r.integer("metrics.maxCategories", 0, 1000), List.copyOf(categories),
        r.integer("metrics.queueIntervalSeconds", 1, 3600));
  }

  /** ISO day numbers (1 Monday .. 7 Sunday) by name, as subscribers and {@code digest.day} spell them. */
  public static final List<String> DAYS = List.of("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday");

  private static Digest digest(Reader r) {
    String day = r.string("digest.day", false).toLowerCase(java.util.Locale.ROOT);
    if (!DAYS.contains(day)) {
      throw new ConfigException("digest.day", "must be a day of the week (monday .. sunday), got '" + day + "'");
    }
    String zone = r.string("digest.timeZone", false);
    if (!validZone(zone)) {
      throw new ConfigException("digest.timeZone", "must be an IANA time zone such as UTC or Europe/Paris, got '" + zone + "'");
    }
    return new Digest(r.integer("digest.hour", 0, 23), DAYS.indexOf(day) + 1, zone, r.integer("digest.maxItems", 1, 1000),
        r.bool("digest.unreadSummary"), r.integer("digest.checkIntervalSeconds", 1, 3600));
  }

  /** An IANA region (Europe/Paris) or UTC: the names Java and PostgreSQL both know; no offsets or abbreviations. */
  public static boolean validZone(String zone) {
    if (zone == null || !(zone.equals("UTC") || zone.matches("[A-Za-z]+(/[A-Za-z0-9_+-]+){1,2}"))) {
      return false;
    }
    try {
      java.time.ZoneId.of(zone);
      return true;
    } catch (java.time.DateTimeException e) {
      return false;
    }
  }

  private static Auth auth(Reader r) {
    List<ApiKey> keys = new ArrayList<>();
    JsonArray list = r.array("auth.apiKeys");
    Set<String> names = new java.util.HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      String at = "auth.apiKeys[" + i + "]";
      if (!(list.getValue(i) instanceof JsonObject k)) {
        throw new ConfigException(at, "must be an object {name, key, scopes}");
      }
      for (String field : k.fieldNames()) {
        if (!Set.of("name", "key", "scopes").contains(field)) {
          throw new ConfigException(at + "." + field, "unknown key");
        }
      }
      Object name = k.getValue("name");
      Object key = k.getValue("key");
      if (!(name instanceof String n) || n.isBlank()) {
        throw new ConfigException(at + ".name", "must be a non-empty string");
      }
      if (!names.add(n)) {
        throw new ConfigException(at + ".name", "duplicate API key name '" + n + "'");
      }
      if (!(key instanceof String s) || s.length() < 8) {
        throw new ConfigException(at + ".key", "must be a string of at least 8 characters");
      }
      if (s.chars().filter(c -> c == '.').count() == 2) {
        throw new ConfigException(at + ".key", "must not contain exactly two dots (it would be read as a JWT)");
      }
      if (!(k.getValue("scopes") instanceof JsonArray scopes) || scopes.isEmpty()) {
        throw new ConfigException(at + ".scopes", "must be a non-empty list of " + SCOPES);
      }
      Set<String> scopeSet = new java.util.TreeSet<>();
      for (Object scope : scopes) {
        if (!(scope instanceof String sc) || !SCOPES.contains(sc)) {
          throw new ConfigException(at + ".scopes", "unknown scope '" + scope + "' (known: " + SCOPES + ")");
        }
        scopeSet.add(sc);
      }
      keys.add(new ApiKey(n, s, Set.copyOf(scopeSet)));
    }
    String alg = r.string("auth.jwt.algorithm", false);
    if (!JWT_ALGORITHMS.contains(alg)) {
      throw new ConfigException("auth.jwt.algorithm", "must be one of HS256, RS256, ES256, got '" + alg + "'");
    }
    String secret = r.string("auth.jwt.secret", true);
    String publicKey = r.string("auth.jwt.publicKey", true);
    if (alg.equals("HS256") && (secret == null || secret.length() < 8)) {
      throw new ConfigException("auth.jwt.secret", "HS256 needs a secret of at least 8 characters");
    }
    if (!alg.equals("HS256") && publicKey == null) {
      throw new ConfigException("auth.jwt.publicKey", alg + " needs a PEM public key (or a path to one)");
    }
    if (!alg.equals("HS256")) {
      try {
        io.herald.auth.Pem.publicKey(alg, publicKey);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("auth.jwt.publicKey", e.getMessage());
      }
    }
    Jwt jwt = new Jwt(alg, secret, publicKey, r.string("auth.jwt.issuer", true), r.string("auth.jwt.audience", true),
        r.integer("auth.jwt.leewaySeconds", 0, 600));
    List<String> origins = r.strings("auth.allowedOrigins");
    for (String origin : origins) {
      if (!origin.equals("*") && !origin.matches("https?://[^/\\s]+")) {
        throw new ConfigException("auth.allowedOrigins", "'" + origin + "' is not * or scheme://host[:port] without a path");
      }
    }
    return new Auth(List.copyOf(keys), jwt, origins);
  }

  private static Push push(Reader r) {
    return new Push(r.integer("push.maxConnectionsPerUser", 1, 10_000), r.integer("push.pingIntervalSeconds", 1, 3600),
        r.integer("push.maxFrameBytes", 256, 16 << 20), r.integer("push.writeQueueBytes", 4096, 64 << 20),
        r.integer("push.slowConsumerSeconds", 1, 3600));
  }

  private static Map<String, Channel> channels(Reader r, Retry retry) {
    Map<String, Channel> out = new LinkedHashMap<>();
    for (String name : CHANNEL_NAMES.subList(1, CHANNEL_NAMES.size())) {
      String at = "channels." + name + ".";
      boolean enabled = r.bool(at + "enabled");
      int concurrency = r.integer(at + "concurrency", 1, 10_000);
      double rate = r.number(at + "ratePerSecond", 0, 1_000_000);
      List<Duration> backoff = retry.backoff();
      int maxAttempts = retry.maxAttempts();
      Object override = r.value(at + "retry");
      if (override != null) {
        if (!(override instanceof JsonObject o)) {
          throw new ConfigException(at + "retry", "must be an object {backoff, maxAttempts}");
        }
        for (String key : o.fieldNames()) {
          if (!key.equals("backoff") && !key.equals("maxAttempts")) {
            throw new ConfigException(at + "retry." + key, "unknown key (known: backoff, maxAttempts)");
          }
        }
        if (o.containsKey("backoff")) {
          backoff = backoff(r, at + "retry.backoff");
        }
        if (o.containsKey("maxAttempts")) {
          maxAttempts = r.integer(at + "retry.maxAttempts", 1, 1000);
        }
      }
      Email email = null;
      Provider provider = null;
      Webhook webhook = null;
      switch (name) {
        case "email" -> email = email(r, enabled);
        case "webhook" -> webhook = webhook(r, enabled);
        default -> provider = provider(r, at, enabled);
      }
      out.put(name, new Channel(name, enabled, concurrency, rate, backoff, maxAttempts, email, provider, webhook));
    }
    return out;
  }

  private static final Set<String> STARTTLS = Set.of("DISABLED", "OPTIONAL", "REQUIRED");

  private static Email email(Reader r, boolean enabled) {
    String starttls = r.string("channels.email.smtp.starttls", false);
    if (!STARTTLS.contains(starttls)) {
      throw new ConfigException("channels.email.smtp.starttls", "must be one of DISABLED, OPTIONAL, REQUIRED, got '" + starttls + "'");
    }
    Smtp smtp = new Smtp(r.string("channels.email.smtp.host", false), r.integer("channels.email.smtp.port", 1, 65535),
        r.bool("channels.email.smtp.ssl"), starttls, r.string("channels.email.smtp.username", true),
        r.string("channels.email.smtp.password", true));
    String from = r.string("channels.email.from", false);
    if (!from.matches("[^\\r\\n<>]*<[^@\\s<>]+@[^@\\s<>]+>|[^@\\s<>]+@[^@\\s<>]+")) {
      throw new ConfigException("channels.email.from", "must be an address, e.g. Herald <herald@example.com>, got '" + from + "'");
    }
    return new Email(smtp, from, r.integer("channels.email.timeoutSeconds", 1, 3600));
  }

  private static Provider provider(Reader r, String at, boolean enabled) {
    String kind = r.string(at + "provider", false);
    if (!kind.equals("twilio") && !kind.equals("http")) {
      throw new ConfigException(at + "provider", "must be twilio or http, got '" + kind + "'");
    }
    String baseUrl = r.string(at + "baseUrl", false);
    String method = r.string(at + "method", false).toUpperCase();
    if (!Set.of("POST", "PUT", "PATCH").contains(method)) {
      throw new ConfigException(at + "method", "must be POST, PUT or PATCH, got '" + method + "'");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    Object rawHeaders = r.value(at + "headers");
    if (rawHeaders instanceof String text && !text.isBlank()) {
      try {
        rawHeaders = new JsonObject(text);
      } catch (io.vertx.core.json.DecodeException e) {
        throw new ConfigException(at + "headers", "must be a JSON object of header names to values");
      }
    }
    if (rawHeaders != null) {
      if (!(rawHeaders instanceof JsonObject h)) {
        throw new ConfigException(at + "headers", "must be an object of header names to values");
      }
      for (String header : h.fieldNames()) {
        if (!header.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+") || !(h.getValue(header) instanceof String v) || v.matches("(?s).*[\\r\\n].*")) {
          throw new ConfigException(at + "headers." + header, "must be a header name with a one-line string value");
        }
        headers.put(header, v);
      }
    }
    Object template = r.value(at + "bodyTemplate");
    if (template instanceof String text && text.trim().startsWith("{")) {
      try {
        template = new JsonObject(text);
      } catch (io.vertx.core.json.DecodeException e) {
        throw new ConfigException(at + "bodyTemplate", "is not valid JSON");
      }
    }
    if (template != null && !(template instanceof JsonObject)) {
      throw new ConfigException(at + "bodyTemplate", "must be a JSON object whose strings may hold {{to}}, {{from}}, {{title}}, {{body}}");
    }
    if (template == null) {
      template = new JsonObject().put("to", "{{to}}").put("from", "{{from}}").put("title", "{{title}}").put("body", "{{body}}");
    }
    Provider p = new Provider(kind, baseUrl, r.string(at + "accountSid", true), r.string(at + "authToken", true), r.string(at + "from", true),
        method, r.string(at + "url", true), Map.copyOf(headers), template, r.string(at + "messageIdPath", true),
        r.integer(at + "timeoutSeconds", 1, 3600));
    if (!enabled) {
      return p;
    }
    if (kind.equals("twilio")) {
      httpUrl(at + "baseUrl", baseUrl);
      for (String key : List.of("accountSid", "authToken", "from")) {
        if (r.value(at + key) == null) {
          throw new ConfigException(at + key, "is required for provider twilio");
        }
      }
    } else {
      if (p.url() == null) {
        throw new ConfigException(at + "url", "is required for provider http");
      }
      httpUrl(at + "url", p.url());
    }
    return p;
  }

  private static Webhook webhook(Reader r, boolean enabled) {
    String url = r.string("channels.webhook.url", true);
    String secret = r.string("channels.webhook.secret", true);
    int timeout = r.integer("channels.webhook.timeoutSeconds", 1, 3600);
    if (!enabled) {
      return new Webhook(url, secret, null, timeout);
    }
    if (url == null) {
      throw new ConfigException("channels.webhook.url", "is required when the webhook channel is enabled");
    }
    httpUrl("channels.webhook.url", url);
    if (secret == null || !secret.startsWith("whsec_")) {
      throw new ConfigException("channels.webhook.secret", "is required: a Standard Webhooks secret, whsec_ followed by base64 "
          + "(make one with: echo whsec_$(head -c 32 /dev/urandom | base64))");
    }
    byte[] key;
    try {
      key = java.util.Base64.getDecoder().decode(secret.substring("whsec_".length()));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("channels.webhook.secret", "the part after whsec_ is not valid base64");
    }
    if (key.length < 16) {
      throw new ConfigException("channels.webhook.secret", "must hold at least 16 bytes (24 to 64 are usual)");
    }
    return new Webhook(url, secret, key, timeout);
  }

  private static void httpUrl(String key, String url) {
    try {
      URI u = new URI(url);
      if (u.getScheme() == null || !u.getScheme().matches("https?") || u.getHost() == null) {
        throw new ConfigException(key, "must be an http(s) URL, got '" + Secrets.maskUrl(url) + "'");
      }
    } catch (URISyntaxException e) {
      throw new ConfigException(key, "is not a valid URL");
    }
  }

  private static List<Duration> backoff(Reader r, String key) {
    List<Duration> backoff = new ArrayList<>();
    for (String step : r.strings(key)) {
      Duration d = Durations.parse(key, step);
      if (d.isZero()) {
        throw new ConfigException(key, "steps must be longer than 0");
      }
      backoff.add(d);
    }
    if (backoff.isEmpty()) {
      throw new ConfigException(key, "must list at least one step");
    }
    return List.copyOf(backoff);
  }

  private static final java.util.regex.Pattern ADMIN_EMAIL =
      java.util.regex.Pattern.compile("[^@\\s<>\"(),;:]{1,64}@[^@\\s<>\"(),;:]{1,189}");
  private static final java.util.regex.Pattern ADMIN_PHONE = java.util.regex.Pattern.compile("\\+[1-9][0-9]{6,14}");

  private static Alerts alerts(Reader r, Map<String, Channel> channels) {
    boolean enabled = r.bool("alerts.enabled");
    double rate = r.number("alerts.failureRateCritical", 0, 1);
    if (rate <= 0) {
      throw new ConfigException("alerts.failureRateCritical", "must be more than 0 and at most 1 (0.5 is 50 %), got " + rate);
    }
    List<String> email = r.strings("alerts.email");
    for (int i = 0; i < email.size(); i++) {
      if (!ADMIN_EMAIL.matcher(email.get(i)).matches()) {
        // the position, not the value: what an operator lists here is personal data
        throw new ConfigException("alerts.email", "item " + (i + 1) + " is not one e-mail address such as ops@example.com");
      }
    }
    List<String> sms = phones(r, "alerts.sms", false);
    List<String> whatsapp = phones(r, "alerts.whatsapp", true);
    String webhook = r.string("alerts.webhook", true);
    if (webhook != null) {
      httpUrl("alerts.webhook", webhook);
    }
    Alerts alerts = new Alerts(enabled, r.integer("alerts.checkIntervalSeconds", 1, 86_400), r.integer("alerts.cooldownMinutes", 0, 10_080),
        r.integer("alerts.failuresPerHourCritical", 1, 1_000_000), r.integer("alerts.permanentFailuresPerDayWarning", 1, 1_000_000),
        rate, r.integer("alerts.failureRateMinAttempts", 1, 1_000_000), r.integer("alerts.backlogMinutes", 1, 10_080),
        email, sms, whatsapp, webhook);
    if (enabled) {
      // admin messages go out with the channel's own provider settings: a list without its channel could never be sent
      for (String name : List.of("email", "sms", "whatsapp")) {
        List<String> list = name.equals("email") ? email : name.equals("sms") ? sms : whatsapp;
        if (!list.isEmpty() && !channels.get(name).enabled()) {
          throw new ConfigException("alerts." + name, "alerts are sent with the " + name + " channel's settings: enable channels."
              + name + ", or empty alerts." + name);
        }
      }
    }
    return alerts;
  }

  /** Phone numbers in E.164 form ({@code +15551234567}); WhatsApp ones may carry Twilio's {@code whatsapp:} prefix. */
  private static List<String> phones(Reader r, String key, boolean whatsapp) {
    List<String> numbers = r.strings(key);
    for (int i = 0; i < numbers.size(); i++) {
      String number = numbers.get(i);
      String bare = whatsapp && number.startsWith("whatsapp:") ? number.substring("whatsapp:".length()) : number;
      if (!ADMIN_PHONE.matcher(bare).matches()) {
        throw new ConfigException(key, "item " + (i + 1) + " is not a phone number in E.164 form such as +15551234567");
      }
    }
    return numbers;
  }

  private static Retry retry(Reader r) {
    return new Retry(r.integer("retry.scanIntervalSeconds", 1, 86_400), r.integer("retry.leaseSeconds", 1, 86_400),
        r.integer("retry.pendingGraceSeconds", 1, 86_400), backoff(r, "retry.backoff"), r.integer("retry.maxAttempts", 1, 1000));
  }

  /** Typed, range-checked access to the merged JSON by dotted key. */
  private record Reader(JsonObject root) {
    Object value(String key) {
      String[] parts = key.split("\\.");
      JsonObject node = root;
      for (int i = 0; i < parts.length - 1 && node != null; i++) {
        node = node.getValue(parts[i]) instanceof JsonObject child ? child : null;
      }
      return node == null ? null : node.getValue(parts[parts.length - 1]);
    }

    String string(String key, boolean nullable) {
      Object v = value(key);
      if (v == null && nullable) {
        return null;
      }
      if (!(v instanceof String s) || s.isBlank()) {
        throw new ConfigException(key, nullable ? "must be a non-empty string or null" : "must be a non-empty string");
      }
      return s;
    }

    int integer(String key, int min, int max) {
      Object v = value(key);
      if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
        throw new ConfigException(key, "must be a whole number, got " + v);
      }
      if (n.longValue() < min || n.longValue() > max) {
        throw new ConfigException(key, "must be between " + min + " and " + max + ", got " + n);
      }
      return n.intValue();
    }

    double number(String key, double min, double max) {
      Object v = value(key);
      if (!(v instanceof Number n)) {
        throw new ConfigException(key, "must be a number, got " + v);
      }
      if (n.doubleValue() < min || n.doubleValue() > max) {
        throw new ConfigException(key, "must be between " + min + " and " + max + ", got " + n);
      }
      return n.doubleValue();
    }

    boolean bool(String key) {
      if (!(value(key) instanceof Boolean b)) {
        throw new ConfigException(key, "must be true or false");
      }
      return b;
    }

    JsonArray array(String key) {
      if (!(value(key) instanceof JsonArray a)) {
        throw new ConfigException(key, "must be a list");
      }
      return a;
    }

    List<String> strings(String key) {
      List<String> out = new ArrayList<>();
      for (Object item : array(key)) {
        if (!(item instanceof String s) || s.isBlank()) {
          throw new ConfigException(key, "must be a list of non-empty strings");
        }
        out.add(s.trim());
      }
      return List.copyOf(out);
    }
  }
}
