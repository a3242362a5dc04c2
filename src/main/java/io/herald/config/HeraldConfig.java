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
    Map<String, Channel> channels, Retry retry, JsonObject source) {

  public static final List<String> CHANNEL_NAMES = List.of("inapp", "email", "sms", "whatsapp", "webhook");
  public static final Set<String> SCOPES = Set.of("ingest", "broadcast", "admin");
  public static final Set<String> JWT_ALGORITHMS = Set.of("HS256", "RS256", "ES256");

  /** HTTP listener; {@code instances} 0 means one per core. */
  public record Http(String host, int port, long maxBodyBytes, int instances, int shutdownTimeoutSeconds) {
  }

  public record Postgres(String uri, String schema, int poolSize) {
    @Override
    public String toString() {
      return "Postgres[uri=" + Secrets.maskUri(uri) + ", schema=" + schema + ", poolSize=" + poolSize + "]";
    }
  }

  public record Redis(String uri) {
    @Override
    public String toString() {
      return "Redis[uri=" + Secrets.maskUri(uri) + "]";
    }
  }

  public record Cluster(boolean enabled, String host, int port, List<String> members) {
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

  public record Channel(String name, boolean enabled) {
  }

  public record Retry(int scanIntervalSeconds, int leaseSeconds, int pendingGraceSeconds, List<Duration> backoff, int maxAttempts) {
  }

  /** Channels that can be requested on a notification. */
  public List<String> enabledChannels() {
    List<String> out = new ArrayList<>();
    out.add("inapp");
    channels.values().stream().filter(Channel::enabled).map(Channel::name).forEach(out::add);
    return out;
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
    Cluster cluster = new Cluster(r.bool("cluster.enabled"), r.string("cluster.host", false), r.integer("cluster.port", 1, 65535),
        r.strings("cluster.members"));
    for (String member : cluster.members()) {
      if (!member.matches("[^:\\s]+(:\\d{1,5})?")) {
        throw new ConfigException("cluster.members", "'" + member + "' is not host or host:port");
      }
    }
    return new HeraldConfig(http, postgres, new Redis(redisUri), cluster, auth(r), push(r), channels(r), retry(r), c);
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

  private static Map<String, Channel> channels(Reader r) {
    Map<String, Channel> out = new LinkedHashMap<>();
    for (String name : CHANNEL_NAMES.subList(1, CHANNEL_NAMES.size())) {
      boolean enabled = r.bool("channels." + name + ".enabled");
      if (enabled) {
        throw new ConfigException("channels." + name + ".enabled",
            "delivery over " + name + " is not available in this version of Herald yet; only in-app push is");
      }
      out.put(name, new Channel(name, false));
    }
    return out;
  }

  private static Retry retry(Reader r) {
    List<Duration> backoff = new ArrayList<>();
    for (String step : r.strings("retry.backoff")) {
      backoff.add(Durations.parse("retry.backoff", step));
    }
    if (backoff.isEmpty()) {
      throw new ConfigException("retry.backoff", "must list at least one step");
    }
    return new Retry(r.integer("retry.scanIntervalSeconds", 1, 86_400), r.integer("retry.leaseSeconds", 1, 86_400),
        r.integer("retry.pendingGraceSeconds", 1, 86_400), List.copyOf(backoff), r.integer("retry.maxAttempts", 1, 1000));
  }

  /** Typed, range-checked access to the merged JSON by dotted key. */
  private record Reader(JsonObject root) {
    Object value(String key) {
      String[] parts = key.split("\\.");
      JsonObject node = root;
      for (int i = 0; i < parts.length - 1; i++) {
        node = node.getJsonObject(parts[i]);
      }
      return node.getValue(parts[parts.length - 1]);
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
