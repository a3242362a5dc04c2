package io.herald.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Unit tests of {@link ConfigLoader} and {@link HeraldConfig}: defaults, file, environment, validation, masking. */
class ConfigLoaderTest {
  @TempDir
  Path dir;

  final List<String> warnings = new ArrayList<>();

  HeraldConfig load(Path file, Map<String, String> env) {
    return ConfigLoader.load(file, env, warnings::add);
  }

  Path file(String json) throws IOException {
    Path f = Files.createTempFile(dir, "herald", ".json");
    Files.writeString(f, json);
    return f;
  }

  /** Loads a file that must be refused; checks the key and that the message is one line starting with it. */
  ConfigException refusedFile(String json, String key) throws IOException {
    Path f = file(json);
    ConfigException e = assertThrows(ConfigException.class, () -> load(f, Map.of()));
    assertOneLineNaming(e, key);
    return e;
  }

  ConfigException refusedEnv(Map<String, String> env, String key) {
    ConfigException e = assertThrows(ConfigException.class, () -> load(null, env));
    assertOneLineNaming(e, key);
    return e;
  }

  static void assertOneLineNaming(ConfigException e, String key) {
    assertEquals(key, e.key(), e.getMessage());
    assertTrue(e.getMessage().startsWith(key + ": "), e.getMessage());
    assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("\r"), "message is not one line: " + e.getMessage());
  }

  // ---- defaults and the shipped file ----

  @Test
  void defaultsLoad() {
    // the built-in defaults alone form a valid configuration with the documented values
    HeraldConfig c = load(null, Map.of());
    assertEquals("0.0.0.0", c.http().host());
    assertEquals(8080, c.http().port());
    assertEquals(1_048_576L, c.http().maxBodyBytes());
    assertEquals("postgresql://postgres@127.0.0.1:5432/postgres", c.postgres().uri());
    assertEquals("herald", c.postgres().schema());
    assertEquals(8, c.postgres().poolSize());
    assertNull(c.redis().uri());
    assertFalse(c.cluster().enabled());
    assertEquals(List.of(), c.cluster().members());
    assertEquals(1, c.auth().apiKeys().size());
    assertEquals(Set.of("ingest", "broadcast", "admin"), c.auth().apiKeys().get(0).scopes());
    assertEquals("HS256", c.auth().jwt().algorithm());
    assertEquals(List.of("*"), c.auth().allowedOrigins());
    assertEquals(List.of("inapp"), c.enabledChannels());
    assertEquals(10, c.retry().maxAttempts());
    assertEquals(List.of(Duration.ofMinutes(30), Duration.ofHours(1), Duration.ofHours(2), Duration.ofHours(4), Duration.ofHours(8),
        Duration.ofHours(16), Duration.ofHours(24)), c.retry().backoff());
    assertEquals(List.of(), warnings);
  }

  @Test
  void shippedConfFileLoadsAndHasTheSameKeysAsTheDefaults() throws IOException {
    // conf/herald.json loads without error and lists exactly the keys of the built-in defaults
    Path conf = Path.of("conf/herald.json");
    HeraldConfig fromFile = load(conf, Map.of());
    assertEquals(8080, fromFile.http().port());
    assertEquals(keys(ConfigLoader.defaults(), ""), keys(new JsonObject(Files.readString(conf)), ""));
    assertEquals(load(null, Map.of()).masked(), fromFile.masked());
    assertEquals(List.of(), warnings);
  }

  @Test
  void contractKeysFromDesignArePresentInTheDefaults() {
    // every key DESIGN.md lists as contract exists in the defaults (extra keys are allowed)
    Set<String> keys = keys(ConfigLoader.defaults(), "");
    for (String key : List.of("http.host", "http.port", "http.maxBodyBytes", "postgres.uri", "postgres.schema", "postgres.poolSize",
        "redis.uri", "cluster.enabled", "cluster.host", "cluster.port", "cluster.members", "auth.apiKeys", "auth.jwt.algorithm",
        "auth.jwt.secret", "auth.jwt.issuer", "auth.jwt.audience", "auth.allowedOrigins", "push.maxConnectionsPerUser",
        "push.pingIntervalSeconds", "push.maxFrameBytes", "channels.email.enabled", "channels.email.smtp.host",
        "channels.email.smtp.password", "channels.email.from", "channels.sms.authToken", "channels.whatsapp.from",
        "channels.webhook.url", "channels.webhook.timeoutSeconds", "retry.scanIntervalSeconds", "retry.leaseSeconds",
        "retry.pendingGraceSeconds", "retry.backoff", "retry.maxAttempts", "alerts.enabled", "alerts.checkIntervalSeconds",
        "alerts.cooldownMinutes", "alerts.failuresPerHourCritical", "alerts.permanentFailuresPerDayWarning",
        "alerts.failureRateCritical", "alerts.email", "alerts.sms", "alerts.webhook")) {
      assertTrue(keys.contains(key), key);
    }
  }

  static Set<String> keys(JsonObject node, String prefix) {
    Set<String> out = new TreeSet<>();
    for (Map.Entry<String, Object> e : node) {
      out.add(prefix + e.getKey());
      if (e.getValue() instanceof JsonObject child) {
        out.addAll(keys(child, prefix + e.getKey() + "."));
      }
    }
    return out;
  }

  @Test
  void fileValuesOverrideDefaultsAndKeepTheRest() throws IOException {
    // a partial file changes only what it names
    HeraldConfig c = load(file("{\"http\": {\"port\": 7000}, \"postgres\": {\"schema\": \"other_schema\"}}"), Map.of());
    assertEquals(7000, c.http().port());
    assertEquals("0.0.0.0", c.http().host());
    assertEquals("other_schema", c.postgres().schema());
    assertEquals(8, c.postgres().poolSize());
  }

  // ---- invalid files ----

  @Test
  void unknownKeyIsRefusedByItsPath() throws IOException {
    // a misspelt key stops loading and is named with its full path
    refusedFile("{\"http\": {\"prot\": 8080}}", "http.prot");
    refusedFile("{\"htp\": {}}", "htp");
    refusedFile("{\"auth\": {\"jwt\": {\"secrett\": \"abcdefghij\"}}}", "auth.jwt.secrett");
  }

  @Test
  void wrongTypeNamesTheKey() throws IOException {
    // a value of the wrong type is refused, naming the key
    refusedFile("{\"http\": {\"port\": \"abc\"}}", "http.port");
    refusedFile("{\"http\": \"everything\"}", "http");
    refusedFile("{\"cluster\": {\"enabled\": \"yes\"}}", "cluster.enabled");
    refusedFile("{\"cluster\": {\"members\": \"a:5701\"}}", "cluster.members");
    refusedFile("{\"http\": {\"port\": null}}", "http.port");
    refusedFile("{\"http\": {\"port\": 80.5}}", "http.port");
  }

  @ParameterizedTest
  @CsvSource({"0", "65536", "70000", "-1"})
  void outOfRangePortIsRefused(String port) throws IOException {
    // ports outside 1..65535 are refused, naming http.port
    ConfigException e = refusedFile("{\"http\": {\"port\": " + port + "}}", "http.port");
    assertTrue(e.getMessage().contains(port), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({"Herald", "bad-schema", "1schema", "'a b'", "'x\"; DROP TABLE y; --'"})
  void badPostgresSchemaIsRefused(String schema) throws IOException {
    // the schema goes into SQL identifiers, so only plain lower-case identifiers are allowed
    refusedFile(new JsonObject().put("postgres", new JsonObject().put("schema", schema)).encode(), "postgres.schema");
  }

  @Test
  void malformedFileIsRefusedInOneLine() throws IOException {
    // a file that is not JSON is refused with a one-line message naming --conf
    ConfigException e = refusedFile("{\"http\": {\"port\": 8080,,}", "--conf");
    assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
  }

  @Test
  void missingFileIsRefusedInOneLine() {
    // a file that does not exist is refused with a one-line message naming --conf
    ConfigException e = assertThrows(ConfigException.class, () -> load(dir.resolve("nope.json"), Map.of()));
    assertOneLineNaming(e, "--conf");
  }

  @Test
  void badDurationInBackoffNamesRetryBackoff() throws IOException {
    // every backoff step must be a duration such as 30s or 1h
    ConfigException e = refusedFile("{\"retry\": {\"backoff\": [\"30m\", \"soon\"]}}", "retry.backoff");
    assertTrue(e.getMessage().contains("soon"), e.getMessage());
    refusedFile("{\"retry\": {\"backoff\": [\"10x\"]}}", "retry.backoff");
    refusedFile("{\"retry\": {\"backoff\": []}}", "retry.backoff");
  }

  @Test
  void durationsParseTheDocumentedForms() throws IOException {
    // 500ms, 30s, 30m, 1h, 2d are all accepted as backoff steps
    HeraldConfig c = load(file("{\"retry\": {\"backoff\": [\"500ms\", \"30s\", \"30m\", \"1h\", \"2d\"]}}"), Map.of());
    assertEquals(List.of(Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofMinutes(30), Duration.ofHours(1), Duration.ofDays(2)),
        c.retry().backoff());
  }

  @Test
  void enabledChannelsNeedWhatTheyCannotWorkWithout() throws IOException {
    // each enabled channel's required settings are checked at start-up, naming the key
    refusedFile("{\"channels\": {\"webhook\": {\"enabled\": true}}}", "channels.webhook.url");
    refusedFile("{\"channels\": {\"webhook\": {\"enabled\": true, \"url\": \"http://h/x\"}}}", "channels.webhook.secret");
    refusedFile("{\"channels\": {\"webhook\": {\"enabled\": true, \"url\": \"http://h/x\", \"secret\": \"whsec_!!\"}}}",
        "channels.webhook.secret");
    refusedFile("{\"channels\": {\"webhook\": {\"enabled\": true, \"url\": \"ftp://h/x\", \"secret\": \"whsec_MDEyMzQ1Njc4OWFiY2RlZg==\"}}}",
        "channels.webhook.url");
    refusedFile("{\"channels\": {\"sms\": {\"enabled\": true, \"accountSid\": \"AC1\", \"authToken\": \"t\"}}}", "channels.sms.from");
    refusedFile("{\"channels\": {\"sms\": {\"enabled\": true, \"provider\": \"http\"}}}", "channels.sms.url");
    refusedFile("{\"channels\": {\"whatsapp\": {\"provider\": \"carrier-pigeon\"}}}", "channels.whatsapp.provider");
    refusedFile("{\"channels\": {\"sms\": {\"headers\": {\"X-Key\": 5}}}}", "channels.sms.headers.X-Key");
    refusedFile("{\"channels\": {\"email\": {\"smtp\": {\"starttls\": \"MAYBE\"}}}}", "channels.email.smtp.starttls");
    refusedFile("{\"channels\": {\"email\": {\"from\": \"not an address\"}}}", "channels.email.from");
    refusedFile("{\"channels\": {\"email\": {\"concurrency\": 0}}}", "channels.email.concurrency");
    refusedFile("{\"channels\": {\"sms\": {\"retry\": {\"maxAttempts\": 3, \"jitter\": 1}}}}", "channels.sms.retry.jitter");
    refusedFile("{\"channels\": {\"sms\": {\"retry\": {\"backoff\": [\"soon\"]}}}}", "channels.sms.retry.backoff");
    refusedFile("{\"throttle\": {\"mode\": \"drop\"}}", "throttle.mode");
    // folding into digests needs the e-mail channel that sends them
    refusedFile("{\"throttle\": {\"maxPerWindow\": 5, \"mode\": \"digest\"}}", "throttle.mode");
    refusedFile("{\"digest\": {\"timeZone\": \"CEST\"}}", "digest.timeZone");
    refusedFile("{\"digest\": {\"day\": \"someday\"}}", "digest.day");
    refusedFile("{\"digest\": {\"hour\": 24}}", "digest.hour");
    // a lease shorter than a send would let a second worker start the same attempt
    refusedFile("{\"retry\": {\"leaseSeconds\": 20}, \"channels\": {\"email\": {\"enabled\": true}}}", "retry.leaseSeconds");
  }

  @Test
  void channelRetryOverridesTheRetrySection() throws IOException {
    // channels.sms.retry overrides backoff and maxAttempts for sms only; the others keep retry.*
    HeraldConfig c = load(file("{\"retry\": {\"backoff\": [\"1m\"], \"maxAttempts\": 4}, "
        + "\"channels\": {\"sms\": {\"retry\": {\"backoff\": [\"5s\", \"10s\"], \"maxAttempts\": 2}}}}"), Map.of());
    assertEquals(List.of(Duration.ofSeconds(5), Duration.ofSeconds(10)), c.channels().get("sms").backoff());
    assertEquals(2, c.channels().get("sms").maxAttempts());
    assertEquals(List.of(Duration.ofMinutes(1)), c.channels().get("email").backoff());
    assertEquals(4, c.channels().get("email").maxAttempts());
  }

  @Test
  void webhookSecretIsDecodedAndProviderHeadersAreMasked() throws IOException {
    HeraldConfig c = load(file("{\"channels\": {\"webhook\": {\"enabled\": true, \"url\": \"https://hooks.example/in\", "
        + "\"secret\": \"whsec_MDEyMzQ1Njc4OWFiY2RlZg==\"}, \"sms\": {\"provider\": \"http\", \"url\": \"https://sms.example/send\", "
        + "\"headers\": {\"X-Api-Key\": \"very-secret-value\"}, \"enabled\": true}}}"), Map.of());
    assertEquals("0123456789abcdef", new String(c.channels().get("webhook").webhook().key()));
    assertEquals(List.of("inapp", "sms", "webhook"), c.enabledChannels());
    assertFalse(c.toString().contains("very-secret-value"), c.toString());
    assertFalse(c.toString().contains("MDEyMzQ1Njc4OWFiY2RlZg"), c.toString());
    assertFalse(c.channels().get("sms").provider().toString().contains("very-secret-value"));
  }

  @Test
  void badApiKeysAreRefusedByPosition() throws IOException {
    // API key entries are checked one by one: short key, unknown scope, unknown field
    refusedFile("{\"auth\": {\"apiKeys\": [{\"name\": \"a\", \"key\": \"short\", \"scopes\": [\"ingest\"]}]}}", "auth.apiKeys[0].key");
    refusedFile("{\"auth\": {\"apiKeys\": [{\"name\": \"a\", \"key\": \"long-enough-key\", \"scopes\": [\"root\"]}]}}",
        "auth.apiKeys[0].scopes");
    refusedFile("{\"auth\": {\"apiKeys\": [{\"name\": \"a\", \"key\": \"long-enough-key\", \"scopes\": [\"ingest\"], \"x\": 1}]}}",
        "auth.apiKeys[0].x");
  }

  @Test
  void asymmetricJwtNeedsAUsablePublicKey() throws Exception {
    // RS256/ES256 without a public key, or with one that is not a PEM key of that family, stops loading naming auth.jwt.publicKey
    refusedFile("{\"auth\": {\"jwt\": {\"algorithm\": \"RS256\"}}}", "auth.jwt.publicKey");
    refusedFile("{\"auth\": {\"jwt\": {\"algorithm\": \"RS256\", \"publicKey\": \"-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----\"}}}",
        "auth.jwt.publicKey");
    refusedFile("{\"auth\": {\"jwt\": {\"algorithm\": \"ES256\", \"publicKey\": \"/no/such/key.pem\"}}}", "auth.jwt.publicKey");
    java.security.KeyPairGenerator rsa = java.security.KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    String pem = io.herald.auth.Pem.encode("PUBLIC KEY", rsa.generateKeyPair().getPublic().getEncoded());
    refusedFile(new JsonObject().put("auth", new JsonObject().put("jwt", new JsonObject().put("algorithm", "ES256").put("publicKey", pem)))
        .encode(), "auth.jwt.publicKey");
    HeraldConfig ok = load(file(new JsonObject().put("auth", new JsonObject().put("jwt", new JsonObject().put("algorithm", "RS256")
        .put("publicKey", pem))).encode()), Map.of());
    assertEquals("RS256", ok.auth().jwt().algorithm());
    assertFalse(ok.toString().contains(pem.substring(30, 90)), "the public key is not printed");
  }

  // ---- environment ----

  @Test
  void environmentOverridesHttpPort() throws IOException {
    // HERALD_HTTP_PORT overrides both the defaults and the file
    assertEquals(9090, load(null, Map.of("HERALD_HTTP_PORT", "9090")).http().port());
    assertEquals(9090, load(file("{\"http\": {\"port\": 7000}}"), Map.of("HERALD_HTTP_PORT", "9090")).http().port());
    assertEquals(List.of(), warnings);
  }

  @Test
  void camelCaseKeysHaveTwoEnvironmentSpellings() {
    // http.maxBodyBytes is reachable as HERALD_HTTP_MAX_BODY_BYTES and as HERALD_HTTP_MAXBODYBYTES
    assertEquals(2048, load(null, Map.of("HERALD_HTTP_MAX_BODY_BYTES", "2048")).http().maxBodyBytes());
    assertEquals(4096, load(null, Map.of("HERALD_HTTP_MAXBODYBYTES", "4096")).http().maxBodyBytes());
    assertEquals(List.of(), warnings);
  }

  @Test
  void clusterMembersFromCommaSeparatedEnvironment() {
    // HERALD_CLUSTER_MEMBERS=a:5701,b:5701 becomes a two-element list
    HeraldConfig c = load(null, Map.of("HERALD_CLUSTER_MEMBERS", "a:5701,b:5701"));
    assertEquals(List.of("a:5701", "b:5701"), c.cluster().members());
  }

  @Test
  void clusterAndRedisKeysForKubernetes() throws IOException {
    // the keys a Kubernetes pod sets through its environment, and their checks
    HeraldConfig c = load(null, Map.of("HERALD_CLUSTER_ENABLED", "true", "HERALD_CLUSTER_HOST", "10.1.2.3",
        "HERALD_CLUSTER_KUBERNETES_SERVICE", "herald-hazelcast.ns.svc.cluster.local", "HERALD_CLUSTER_EVENT_BUS_PORT", "5702",
        "HERALD_REDIS_URI", "redis://:pw@redis:6379", "HERALD_REDIS_SHARDED", "true"));
    assertTrue(c.cluster().enabled());
    assertEquals("herald-hazelcast.ns.svc.cluster.local", c.cluster().kubernetesService());
    assertEquals(5702, c.cluster().eventBusPort());
    assertTrue(c.redis().sharded());
    assertEquals("herald:herald:", c.redis().prefix(), "channels are named after the schema unless redis.prefix says otherwise");
    assertFalse(c.redis().toString().contains("pw"), "the Redis password is masked");
    assertEquals(List.of(), warnings);
    assertEquals("acme:", load(null, Map.of("HERALD_REDIS_PREFIX", "acme:")).redis().prefix());
    refusedFile("{\"redis\": {\"prefix\": \"has space\"}}", "redis.prefix");
    refusedFile("{\"cluster\": {\"jobLeaseSeconds\": 1}}", "cluster.jobLeaseSeconds");
    refusedFile("{\"cluster\": {\"eventBusPort\": 70000}}", "cluster.eventBusPort");
  }

  @Test
  void apiKeysFromJsonEnvironment() {
    // HERALD_AUTH_APIKEYS takes a JSON list that replaces the configured keys
    String json = new JsonArray().add(new JsonObject().put("name", "ci").put("key", "ci-key-0123456789")
        .put("scopes", new JsonArray().add("ingest"))).encode();
    HeraldConfig c = load(null, Map.of("HERALD_AUTH_APIKEYS", json));
    assertEquals(1, c.auth().apiKeys().size());
    assertEquals("ci", c.auth().apiKeys().get(0).name());
    assertEquals("ci-key-0123456789", c.auth().apiKeys().get(0).key());
    assertEquals(Set.of("ingest"), c.auth().apiKeys().get(0).scopes());
    assertEquals(List.of(), warnings);
  }

  @Test
  void postgresUriFromEnvironment() {
    // HERALD_POSTGRES_URI replaces the database address
    HeraldConfig c = load(null, Map.of("HERALD_POSTGRES_URI", "postgresql://herald:pw@db.internal:5433/herald"));
    assertEquals("postgresql://herald:pw@db.internal:5433/herald", c.postgres().uri());
  }

  @Test
  void nullableKeyFromEnvironment() {
    // a key whose default is null (redis.uri) takes a string from the environment and is still validated
    assertEquals("redis://127.0.0.1:6379", load(null, Map.of("HERALD_REDIS_URI", "redis://127.0.0.1:6379")).redis().uri());
    refusedEnv(Map.of("HERALD_REDIS_URI", "http://127.0.0.1:6379"), "redis.uri");
  }

  @Test
  void badEnvironmentValueNamesTheKey() {
    // an unparsable environment value is refused with the key path, not the variable name
    ConfigException e = refusedEnv(Map.of("HERALD_HTTP_PORT", "x"), "http.port");
    assertTrue(e.getMessage().contains("HERALD_HTTP_PORT"), e.getMessage());
    refusedEnv(Map.of("HERALD_HTTP_PORT", "99999"), "http.port");
    refusedEnv(Map.of("HERALD_CLUSTER_ENABLED", "maybe"), "cluster.enabled");
    refusedEnv(Map.of("HERALD_AUTH_APIKEYS", "[{"), "auth.apiKeys");
    refusedEnv(Map.of("HERALD_CLUSTER_MEMBERS", "a:5701,b c"), "cluster.members");
  }

  @Test
  void unknownHeraldVariableWarnsButLoads() {
    // HERALD_FOO matches no key: a warning naming it, not a failure; other variables are ignored silently
    HeraldConfig c = load(null, Map.of("HERALD_FOO", "1", "PATH", "/usr/bin", "HERALD_HTTP_PORT", "9091"));
    assertEquals(9091, c.http().port());
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("HERALD_FOO"), warnings.get(0));
  }

  // ---- secrets never printed ----

  @Test
  void toStringAndMaskedNeverShowSecrets() throws IOException {
    // API keys, the JWT secret, SMTP and provider credentials and the database password never appear when the config is printed
    JsonObject json = new JsonObject()
        .put("postgres", new JsonObject().put("uri", "postgresql://u:pw@h/db"))
        .put("redis", new JsonObject().put("uri", "redis://:redispass123@cache:6379"))
        .put("auth", new JsonObject()
            .put("apiKeys", new JsonArray().add(new JsonObject().put("name", "app").put("key", "api-key-SECRET-42")
                .put("scopes", new JsonArray().add("ingest"))))
            .put("jwt", new JsonObject().put("secret", "jwt-SECRET-4242")))
        .put("channels", new JsonObject()
            .put("email", new JsonObject().put("smtp", new JsonObject().put("password", "smtp-SECRET-77")))
            .put("sms", new JsonObject().put("authToken", "sms-SECRET-88")));
    HeraldConfig c = load(file(json.encode()), Map.of());
    assertEquals("api-key-SECRET-42", c.auth().apiKeys().get(0).key());

    List<String> printed = List.of(c.toString(), c.masked().encode(), c.auth().toString(), c.postgres().toString(),
        c.redis().toString(), c.auth().jwt().toString(), c.auth().apiKeys().toString());
    for (String text : printed) {
      for (String secret : List.of("api-key-SECRET-42", "jwt-SECRET-4242", "smtp-SECRET-77", "sms-SECRET-88", ":pw@", "redispass123")) {
        assertFalse(text.contains(secret), secret + " leaked in " + text);
      }
    }
    assertEquals("postgresql://u:******@h/db", c.masked().getJsonObject("postgres").getString("uri"));
    assertTrue(c.postgres().toString().contains("postgresql://u:******@h/db"), c.postgres().toString());
    assertTrue(c.toString().contains("\"name\":\"app\""), "non-secret values stay readable: " + c);
  }

  @Test
  void printedConfigurationShowsNoAdminAddressesNorWebhookSecrets() {
    // the admins' addresses and numbers are personal data, and a webhook URL may hold its secret in the path or the query
    JsonObject json = new JsonObject()
        // (monitor off: its routes need their channels enabled, which is beside the point here)
        .put("alerts", new JsonObject().put("enabled", false).put("email", new JsonArray().add("ops-admin@example.com"))
            .put("sms", new JsonArray().add("+15557654321")).put("webhook", "https://hooks.example.com/services/T0/B0/hook-SECRET-1"))
        .put("channels", new JsonObject().put("webhook", new JsonObject().put("url", "https://app.example/herald?token=hook-SECRET-2")));
    HeraldConfig c = ConfigLoader.fromJson(json);
    String printed = c.toString();
    for (String text : List.of("ops-admin@example.com", "+15557654321", "hook-SECRET-1", "hook-SECRET-2", "/services/")) {
      assertFalse(printed.contains(text), text + " leaked in " + printed);
    }
    assertEquals("https://hooks.example.com/******", c.masked().getJsonObject("alerts").getString("webhook"));
    assertEquals("https://app.example/******", c.masked().getJsonObject("channels").getJsonObject("webhook").getString("url"));
    assertEquals("https://api.twilio.com", c.masked().getJsonObject("channels").getJsonObject("sms").getString("baseUrl"));
    assertEquals("http://******@h:8080/******", Secrets.maskUrl("http://user:pw@h:8080/x"));
  }

  @Test
  void aGenericProvidersTemplateUrlAndHeadersAreMasked() {
    // an HTTP SMS gateway often takes its API key in the body, the query string or the path
    JsonObject sms = new JsonObject().put("enabled", true).put("provider", "http").put("from", "+15550000000")
        .put("url", "https://sms.example/v1/acct-SECRET-5/send?api_key=SECRET-6")
        .put("headers", new JsonObject().put("X-Api-Key", "SECRET-7"))
        .put("bodyTemplate", new JsonObject().put("api_key", "SECRET-8").put("to", "{{to}}").put("text", "{{body}}"));
    JsonObject json = new JsonObject().put("channels", new JsonObject().put("sms", sms)
        .put("whatsapp", new JsonObject().put("enabled", true).put("provider", "twilio").put("accountSid", "AC1").put("authToken", "SECRET-9")
            .put("from", "whatsapp:+15550000001").put("baseUrl", "https://proxy.example/twilio-SECRET-10")));
    HeraldConfig c = ConfigLoader.fromJson(json);
    for (String text : List.of(c.toString(), c.masked().encode(), c.channels().toString())) {
      for (int i = 5; i <= 10; i++) {
        assertFalse(text.contains("SECRET-" + i), "SECRET-" + i + " leaked in " + text);
      }
    }
    JsonObject printed = c.masked().getJsonObject("channels").getJsonObject("sms");
    assertEquals(new JsonObject().put("api_key", Secrets.MASK).put("to", Secrets.MASK).put("text", Secrets.MASK), printed.getJsonObject("bodyTemplate"));
    assertEquals("https://sms.example/******", printed.getString("url"));
    assertTrue(Secrets.secretName("clientSecret") && Secrets.secretName("X-API-KEY") && !Secrets.secretName("from"));
  }

  @Test
  void maskUriKeepsUriWithoutPassword() {
    // a URI without a password is printed as is; a password with encoded characters is masked whole
    assertEquals("postgresql://postgres@127.0.0.1:5432/postgres", Secrets.maskUri("postgresql://postgres@127.0.0.1:5432/postgres"));
    assertEquals("postgresql://u:******@h:5432/db?sslmode=require", Secrets.maskUri("postgresql://u:p%40ss%2Fw0rd@h:5432/db?sslmode=require"));
  }

  @Test
  void secretsFromEnvironmentAreMaskedToo() {
    // secrets given through the environment are masked as well
    HeraldConfig c = load(null, Map.of("HERALD_AUTH_JWT_SECRET", "env-jwt-SECRET-99", "HERALD_POSTGRES_URI", "postgresql://u:envpw@h/db"));
    assertEquals("env-jwt-SECRET-99", c.auth().jwt().secret());
    assertFalse(c.toString().contains("env-jwt-SECRET-99"), c.toString());
    assertFalse(c.toString().contains("envpw"), c.toString());
  }

  // An API key that looks like a JWT (two dots) could never authenticate, so it is refused at start-up.
  @Test
  void apiKeyWithTwoDotsIsRefused() throws IOException {
    refusedFile("{\"auth\":{\"apiKeys\":[{\"name\":\"a\",\"key\":\"abc.def.ghij\",\"scopes\":[\"ingest\"]}]}}",
        "auth.apiKeys[0].key");
  }

  // A password given as a URI query parameter is masked like one in the user-info part.
  @Test
  void passwordQueryParameterIsMasked() {
    HeraldConfig c = load(null, Map.of("HERALD_POSTGRES_URI", "postgresql://app@db:5432/herald?sslmode=disable&password=s3cr3t-pw"));
    assertFalse(c.toString().contains("s3cr3t-pw"), c.toString());
    assertTrue(c.toString().contains("sslmode=disable"), c.toString());
  }

  // ---- alerts ----

  static final String EMAIL_ON = "\"email\": {\"enabled\": true}";
  static final String SMS_ON = "\"sms\": {\"enabled\": true, \"accountSid\": \"AC1\", \"authToken\": \"tok-123\", \"from\": \"+15550001111\"}";

  @Test
  void alertDefaultsIncludeTheNewKeys() {
    // the monitor's thresholds default as documented; no admin route is set
    HeraldConfig.Alerts a = load(null, Map.of()).alerts();
    assertTrue(a.enabled());
    assertEquals(300, a.checkIntervalSeconds());
    assertEquals(60, a.cooldownMinutes());
    assertEquals(20, a.failuresPerHourCritical());
    assertEquals(5, a.permanentFailuresPerDayWarning());
    assertEquals(0.5, a.failureRateCritical());
    assertEquals(10, a.failureRateMinAttempts());
    assertEquals(60, a.backlogMinutes());
    assertEquals(List.of(), a.email());
    assertEquals(List.of(), a.sms());
    assertEquals(List.of(), a.whatsapp());
    assertNull(a.webhook());
  }

  @Test
  void alertRoutesNeedTheirChannels() throws IOException {
    // admin messages are sent with the channels' provider settings: a list whose channel is off is refused, naming the list
    refusedFile("{\"alerts\": {\"email\": [\"ops@example.com\"]}}", "alerts.email");
    refusedFile("{\"alerts\": {\"sms\": [\"+15551234567\"]}}", "alerts.sms");
    refusedFile("{\"alerts\": {\"whatsapp\": [\"+15551234567\"]}}", "alerts.whatsapp");
    HeraldConfig c = load(file("{\"channels\": {" + EMAIL_ON + ", " + SMS_ON + "}, \"alerts\": {\"email\": [\"ops@example.com\", "
        + "\"oncall@example.com\"], \"sms\": [\"+15551234567\"], \"webhook\": \"https://hooks.slack.example/services/T/B/x\"}}"), Map.of());
    assertEquals(List.of("ops@example.com", "oncall@example.com"), c.alerts().email());
    assertEquals(List.of("+15551234567"), c.alerts().sms());
    // with the monitor off the lists are not used, so they need no channel
    assertFalse(load(file("{\"alerts\": {\"enabled\": false, \"email\": [\"ops@example.com\"]}}"), Map.of()).alerts().enabled());
  }

  @Test
  void badAlertValuesAreRefusedByKey() throws IOException {
    // each alerts key is checked: ranges, the rate between 0 (excluded) and 1, addresses, numbers, the webhook URL
    refusedFile("{\"alerts\": {\"checkIntervalSeconds\": 0}}", "alerts.checkIntervalSeconds");
    refusedFile("{\"alerts\": {\"failureRateCritical\": 0}}", "alerts.failureRateCritical");
    refusedFile("{\"alerts\": {\"failureRateCritical\": 1.5}}", "alerts.failureRateCritical");
    refusedFile("{\"alerts\": {\"failureRateMinAttempts\": 0}}", "alerts.failureRateMinAttempts");
    refusedFile("{\"alerts\": {\"backlogMinutes\": 0}}", "alerts.backlogMinutes");
    refusedFile("{\"alerts\": {\"failuresPerHourCritical\": 0}}", "alerts.failuresPerHourCritical");
    refusedFile("{\"alerts\": {\"whatsapp\": \"+15551234567\"}}", "alerts.whatsapp");
    refusedFile("{\"alerts\": {\"webhook\": \"ftp://hooks.example/x\"}}", "alerts.webhook");
    ConfigException e = refusedFile("{\"channels\": {" + EMAIL_ON + "}, \"alerts\": {\"email\": [\"ops@example.com\", "
        + "\"Ops Team <ops@example.com>\"]}}", "alerts.email");
    assertTrue(e.getMessage().contains("item 2"), e.getMessage());
    e = refusedFile("{\"channels\": {" + SMS_ON + "}, \"alerts\": {\"sms\": [\"555 123 4567\"]}}", "alerts.sms");
    assertFalse(e.getMessage().contains("555 123 4567"), "the number itself is not repeated: " + e.getMessage());
    assertEquals(List.of("whatsapp:+15551234567"), load(file("{\"channels\": {\"whatsapp\": {\"enabled\": true, \"accountSid\": "
        + "\"AC1\", \"authToken\": \"tok-123\", \"from\": \"+15550001111\"}}, \"alerts\": {\"whatsapp\": [\"whatsapp:+15551234567\"]}}"),
        Map.of()).alerts().whatsapp());
  }

  @Test
  void alertListsAndRateFromEnvironment() {
    // HERALD_ALERTS_EMAIL=a,b becomes a list like cluster.members; the rate and the webhook take plain values
    HeraldConfig c = load(null, Map.of("HERALD_CHANNELS_EMAIL_ENABLED", "true", "HERALD_ALERTS_EMAIL", "ops@example.com, oncall@example.com",
        "HERALD_ALERTS_FAILURE_RATE_CRITICAL", "0.25", "HERALD_ALERTS_FAILURE_RATE_MIN_ATTEMPTS", "40",
        "HERALD_ALERTS_WEBHOOK", "https://hooks.slack.example/services/T/B/secretpart"));
    assertEquals(List.of("ops@example.com", "oncall@example.com"), c.alerts().email());
    assertEquals(0.25, c.alerts().failureRateCritical());
    assertEquals(40, c.alerts().failureRateMinAttempts());
    assertEquals("https://hooks.slack.example/services/T/B/secretpart", c.alerts().webhook());
    assertFalse(c.alerts().toString().contains("secretpart"), "the webhook URL is a credential: " + c.alerts());
    assertFalse(c.alerts().toString().contains("ops@example.com"), "addresses are not printed: " + c.alerts());
    // nor in the configuration the gateway logs at start-up
    for (String printed : List.of(c.toString(), c.masked().encode())) {
      for (String hidden : List.of("ops@example.com", "oncall@example.com", "secretpart")) {
        assertFalse(printed.contains(hidden), hidden + " printed in " + printed);
      }
    }
    assertEquals(2, c.masked().getJsonObject("alerts").getJsonArray("email").size(), "how many stays visible");
    assertEquals("127.0.0.1", c.masked().getJsonObject("channels").getJsonObject("email").getJsonObject("smtp").getString("host"));
    assertEquals(List.of(), warnings);
    refusedEnv(Map.of("HERALD_ALERTS_SMS", "+15551234567"), "alerts.sms");
  }

  // ---- scheduled jobs ----

  @Test
  void retentionDefaultsAsDocumented() {
    // the clean-up runs at 03:17 UTC; digests go after 30 days, resolved alerts after 90
    HeraldConfig.Jobs j = load(null, Map.of()).jobs();
    assertEquals("UTC", j.timeZone());
    HeraldConfig.Retention r = j.retention();
    assertTrue(r.enabled());
    assertEquals("17 3 * * *", r.cron().toString());
    assertEquals(90, r.readNotificationsAfterDays());
    assertEquals(7, r.deletedNotificationsAfterDays());
    assertEquals(30, r.attemptsAfterDays());
    assertEquals(30, r.digestsAfterDays());
    assertEquals(90, r.resolvedAlertsAfterDays());
    assertEquals(1000, r.batchSize());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "digestsAfterDays|0|must be between 1 and 36500, got 0",
      "digestsAfterDays|-3|must be between 1 and 36500, got -3",
      "digestsAfterDays|1.5|must be a whole number, got 1.5",
      "digestsAfterDays|\"30\"|must be a number",
      "resolvedAlertsAfterDays|0|must be between 1 and 36500, got 0",
      "resolvedAlertsAfterDays|36501|must be between 1 and 36500, got 36501",
      "resolvedAlertsAfterDays|null|must be a number",
      "attemptsAfterDays|0|must be between 1 and 36500, got 0"})
  void badRetentionAgesAreRefusedByKey(String key, String value, String message) throws IOException {
    // each age is a whole number of days, at least 1: start-up stops naming the key
    ConfigException e = refusedFile("{\"jobs\": {\"retention\": {\"" + key + "\": " + value + "}}}", "jobs.retention." + key);
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @Test
  void retentionAgesFromEnvironment() {
    // both spellings of the camel-case keys; a value that is no whole number names the key
    HeraldConfig.Retention r = load(null, Map.of("HERALD_JOBS_RETENTION_DIGESTS_AFTER_DAYS", "14",
        "HERALD_JOBS_RETENTION_RESOLVEDALERTSAFTERDAYS", "365")).jobs().retention();
    assertEquals(14, r.digestsAfterDays());
    assertEquals(365, r.resolvedAlertsAfterDays());
    assertEquals(List.of(), warnings);
    refusedEnv(Map.of("HERALD_JOBS_RETENTION_DIGESTS_AFTER_DAYS", "two weeks"), "jobs.retention.digestsAfterDays");
    refusedEnv(Map.of("HERALD_JOBS_RETENTION_RESOLVED_ALERTS_AFTER_DAYS", "0"), "jobs.retention.resolvedAlertsAfterDays");
  }
}
