package io.herald;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.herald.config.ConfigException;
import io.herald.config.ConfigLoader;
import io.herald.config.HeraldConfig;
import io.herald.ops.HealthApi;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The Kubernetes manifests in {@code k8s/} and the {@code Dockerfile} agree with the code: ports,
 * probe paths, environment variable names, the ConfigMap's configuration, the cluster's headless
 * Service, names and selectors between objects, secrets, pod security and the drain timing. Reads
 * files only; no cluster and no gateway.
 */
class K8sManifestsTest {
  static final Path K8S = Path.of("k8s");
  static final Path DOCKERFILE = Path.of("Dockerfile");
  /** Not a resource of the kustomization: real secrets do not live in the repository. */
  static final String SECRET_EXAMPLE = "secret.example.yaml";
  static final String KUSTOMIZATION = "kustomization.yaml";
  /** HERALD_* variables read by logback, not configuration keys (see ConfigLoader). */
  static final Set<String> LOG_VARIABLES = Set.of("HERALD_LOG_FORMAT", "HERALD_LOG_LEVEL");
  /** Variables the JVM itself reads. */
  static final Set<String> JVM_VARIABLES = Set.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS");
  /** What the simulated pod gets from the downward API. */
  static final String POD_IP = "10.1.2.3";
  static final String NAMESPACE = "herald-test";
  /** Time after the drain for leaving the cluster and closing Vert.x. */
  static final int MARGIN_SECONDS = 10;
  static final Pattern VAR_REF = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

  /** One YAML document and the file it came from. */
  record Doc(String file, Map<String, Object> body) {
    String kind() {
      return (String) body.get("kind");
    }

    String name() {
      return (String) ((Map<?, ?>) body.get("metadata")).get("name");
    }

    @Override
    public String toString() {
      return kind() + " " + name() + " (" + file + ")";
    }
  }

  static List<Doc> docs;
  static List<String> files;

  @TempDir
  Path tmp;

  @BeforeAll
  static void loadManifests() throws IOException {
    assertTrue(Files.isDirectory(K8S), "run from the project root: " + K8S.toAbsolutePath() + " is missing");
    try (Stream<Path> s = Files.list(K8S)) {
      files = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml") || n.endsWith(".yml")).sorted().toList();
    }
    docs = new ArrayList<>();
    for (String file : files) {
      Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
      int index = 0;
      for (Object doc : yaml.loadAll(Files.readString(K8S.resolve(file)))) {
        index++;
        if (doc == null) {
          continue; // an empty document (a trailing ---)
        }
        assertTrue(doc instanceof Map, file + " document " + index + " is not a mapping");
        @SuppressWarnings("unchecked")
        Map<String, Object> body = (Map<String, Object>) doc;
        docs.add(new Doc(file, body));
      }
    }
  }

  // ---------------------------------------------------------------- structure

  @Test
  void everyDocumentHasApiVersionKindAndName() {
    assertFalse(docs.isEmpty(), "no documents in k8s/");
    for (Doc d : docs) {
      if (d.file().equals(KUSTOMIZATION)) {
        assertEquals("Kustomization", d.body().get("kind"), KUSTOMIZATION + ": kind");
        assertNotNull(d.body().get("apiVersion"), KUSTOMIZATION + ": apiVersion missing");
        continue;
      }
      assertTrue(d.body().get("apiVersion") instanceof String, d.file() + ": a document has no apiVersion");
      assertTrue(d.body().get("kind") instanceof String, d.file() + ": a document has no kind");
      assertTrue(d.body().get("metadata") instanceof Map<?, ?> m && m.get("name") instanceof String n && !n.isBlank(),
          d.file() + ": a " + d.body().get("kind") + " has no metadata.name");
    }
    Set<String> seen = new LinkedHashSet<>();
    for (Doc d : resources()) {
      assertTrue(seen.add(d.kind() + "/" + d.name()), "two resources are " + d.kind() + "/" + d.name());
    }
  }

  @Test
  void kustomizationListsExactlyTheResourceFiles() {
    Doc k = docs.stream().filter(d -> d.file().equals(KUSTOMIZATION)).findFirst()
        .orElseThrow(() -> new AssertionError("k8s/" + KUSTOMIZATION + " is missing"));
    List<String> listed = strings(k.body().get("resources"), KUSTOMIZATION + ": resources");
    Set<String> expected = new TreeSet<>(files);
    expected.remove(KUSTOMIZATION);
    expected.remove(SECRET_EXAMPLE);
    assertEquals(listed.size(), new LinkedHashSet<>(listed).size(), KUSTOMIZATION + " lists a file twice: " + listed);
    assertEquals(expected, new TreeSet<>(listed), KUSTOMIZATION + " resources must be every k8s/*.yaml except "
        + KUSTOMIZATION + " and " + SECRET_EXAMPLE);
    for (Doc d : resources()) {
      assertFalse(d.kind().equals("Secret"), d + ": a Secret among the applied resources; secrets stay out of the repository");
    }
  }

  @Test
  void noKubernetesApiAccessIsGranted() {
    for (Doc d : resources()) {
      assertFalse(Set.of("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding").contains(d.kind()),
          d + ": Hazelcast discovers peers by DNS; Herald needs no RBAC");
    }
    assertEquals(false, podSpec().get("automountServiceAccountToken"),
        "deployment: automountServiceAccountToken should be false (Herald never calls the Kubernetes API)");
  }

  // ---------------------------------------------------------------- configuration

  @Test
  void configMapIsAValidClusteredConfiguration() {
    JsonObject json = configMapJson();
    HeraldConfig config;
    try {
      config = ConfigLoader.fromJson(json);
    } catch (ConfigException e) {
      throw new AssertionError("ConfigMap herald.json is refused by ConfigLoader (every key must exist in conf/herald.json): "
          + e.getMessage(), e);
    }
    assertTrue(config.cluster().enabled(), "ConfigMap herald.json: cluster.enabled must be true");
    assertEquals("0.0.0.0", config.http().host(), "ConfigMap herald.json: http.host must be 0.0.0.0 (probes and the Service reach the pod IP)");
    assertTrue(config.cluster().eventBusPort() > 0,
        "ConfigMap herald.json: cluster.eventBusPort must be fixed (not 0, random) so the container can declare it");
    assertNull(json.getJsonObject("postgres", new JsonObject()).getValue("uri"), "ConfigMap herald.json: postgres.uri belongs in the Secret");
    assertNull(json.getJsonObject("redis", new JsonObject()).getValue("uri"), "ConfigMap herald.json: redis.uri belongs in the Secret");
    JsonObject auth = json.getJsonObject("auth", new JsonObject());
    assertFalse(auth.containsKey("apiKeys"), "ConfigMap herald.json: auth.apiKeys belongs in the Secret");
    assertFalse(auth.getJsonObject("jwt", new JsonObject()).containsKey("secret"), "ConfigMap herald.json: auth.jwt.secret belongs in the Secret");
  }

  /** The configuration a pod really gets: the ConfigMap file, then its environment (secrets from the example Secret). */
  @Test
  void podConfigurationLoadsWithoutWarnings() throws IOException {
    List<String> warnings = new ArrayList<>();
    HeraldConfig config = podConfig(warnings);
    assertEquals(List.of(), warnings, "ConfigLoader warned about the pod's environment");
    assertTrue(config.cluster().enabled(), "pod: cluster.enabled");
    assertEquals(POD_IP, config.cluster().host(), "pod: cluster.host must come from status.podIP (HERALD_CLUSTER_HOST)");
    assertTrue(config.redis().enabled(), "pod: redis.uri must be set (pushes between pods go through Redis)");
    assertNotNull(config.cluster().kubernetesService(), "pod: cluster.kubernetesService must be set (DNS discovery)");
  }

  @Test
  void everyEnvironmentVariableIsKnown() {
    Set<String> accepted = acceptedHeraldNames();
    List<Map<String, Object>> env = env();
    Map<String, String> keyOf = new HashMap<>();
    walkLeaves(ConfigLoader.defaults(), "", path -> ConfigLoader.envNames(path).forEach(n -> keyOf.put(n, path)));
    Set<String> names = new LinkedHashSet<>();
    Set<String> keys = new LinkedHashSet<>();
    Set<String> referenced = new LinkedHashSet<>();
    for (Map<String, Object> e : env) {
      String name = (String) e.get("name");
      assertNotNull(name, "deployment: an env entry without a name");
      assertTrue(names.add(name), "deployment: env " + name + " is set twice");
      if (e.get("value") instanceof String v) {
        Matcher m = VAR_REF.matcher(v);
        while (m.find()) {
          assertTrue(names.contains(m.group(1)), "deployment: env " + name + " uses $(" + m.group(1)
              + "), which is not defined before it (Kubernetes only expands variables defined earlier)");
          referenced.add(m.group(1));
        }
      }
    }
    for (String name : names) {
      if (name.startsWith("HERALD_")) {
        assertTrue(accepted.contains(name) || LOG_VARIABLES.contains(name), "deployment: env " + name
            + " matches no key of conf/herald.json (HERALD_ + the key path, upper case, '_' between segments)");
        if (keyOf.containsKey(name)) {
          assertTrue(keys.add(keyOf.get(name)), "deployment: two env variables set " + keyOf.get(name));
        }
      } else {
        assertTrue(JVM_VARIABLES.contains(name) || referenced.contains(name), "deployment: env " + name
            + " is neither a HERALD_ variable, nor read by the JVM, nor used by another variable");
      }
    }
  }

  // ---------------------------------------------------------------- ports and probes

  @Test
  void containerPortsAreTheConfiguredPorts() throws IOException {
    HeraldConfig config = podConfig(new ArrayList<>());
    Map<String, Integer> ports = containerPorts();
    assertEquals(Map.of("http", config.http().port(), "hazelcast", config.cluster().port(), "eventbus", config.cluster().eventBusPort()),
        ports, "deployment: container ports (name -> port) vs http.port, cluster.port, cluster.eventBusPort of the pod's configuration");
  }

  @Test
  void probesUseTheHealthRoutesOnTheHttpPort() throws IOException {
    int httpPort = podConfig(new ArrayList<>()).http().port();
    Map<String, Object> c = container();
    Map<String, String> expected = Map.of("readinessProbe", HealthApi.READY, "livenessProbe", HealthApi.LIVE, "startupProbe", HealthApi.LIVE);
    for (String probe : List.of("readinessProbe", "livenessProbe")) {
      assertNotNull(c.get(probe), "deployment: container has no " + probe);
    }
    for (Map.Entry<String, String> e : expected.entrySet()) {
      if (c.get(e.getKey()) == null) {
        continue; // a startup probe is optional
      }
      Map<String, Object> get = map(map(c.get(e.getKey()), e.getKey()).get("httpGet"), e.getKey() + ".httpGet");
      assertEquals(e.getValue(), get.get("path"), "deployment: " + e.getKey() + " path vs HealthApi");
      assertEquals(httpPort, containerPort(get.get("port")), "deployment: " + e.getKey() + " port vs http.port");
    }
    assertTrue(source("src/main/java/io/herald/ops/HealthApi.java").contains("router.get(READY)"),
        "HealthApi no longer mounts READY; the probes would check a path that does not exist");
    assertTrue(source("src/main/java/io/herald/ops/HealthApi.java").contains("router.get(LIVE)"),
        "HealthApi no longer mounts LIVE; the probes would check a path that does not exist");
  }

  @Test
  void prometheusScrapesTheMetricsRouteOnTheHttpPort() throws IOException {
    int httpPort = podConfig(new ArrayList<>()).http().port();
    Map<String, Object> template = map(map(deployment().body().get("spec"), "deployment spec").get("template"), "pod template");
    Map<String, Object> annotations = map(map(template.get("metadata"), "pod template metadata").get("annotations"),
        "pod template annotations");
    assertEquals("true", annotations.get("prometheus.io/scrape"), "deployment: prometheus.io/scrape");
    assertEquals(String.valueOf(httpPort), annotations.get("prometheus.io/port"), "deployment: prometheus.io/port vs http.port");
    assertEquals("/metrics", annotations.get("prometheus.io/path"), "deployment: prometheus.io/path vs the metrics route");
  }

  // ---------------------------------------------------------------- services, scaling, ingress

  @Test
  void headlessServiceFindsThePodsForHazelcast() throws IOException {
    HeraldConfig config = podConfig(new ArrayList<>());
    List<Doc> headless = resources().stream().filter(d -> d.kind().equals("Service"))
        .filter(d -> "None".equals(map(d.body().get("spec"), d + " spec").get("clusterIP"))).toList();
    assertEquals(1, headless.size(), "expected exactly one headless Service (clusterIP: None), found " + headless);
    Doc svc = headless.get(0);
    Map<String, Object> spec = map(svc.body().get("spec"), svc + " spec");
    assertEquals(true, spec.get("publishNotReadyAddresses"),
        svc + ": publishNotReadyAddresses must be true (pods join the cluster before they are ready)");
    assertSelectsPods(map(spec.get("selector"), svc + " selector"), svc.toString());
    boolean hazelcast = false;
    for (Object p : list(spec.get("ports"), svc + " ports")) {
      Map<String, Object> port = map(p, svc + " port");
      if (Integer.valueOf(config.cluster().port()).equals(port.get("port"))) {
        hazelcast = true;
        Object target = port.getOrDefault("targetPort", port.get("port"));
        assertEquals(config.cluster().port(), containerPort(target), svc + ": targetPort of the Hazelcast port");
      }
    }
    assertTrue(hazelcast, svc + " does not expose cluster.port " + config.cluster().port());
    String dns = svc.name() + "." + NAMESPACE + ".svc.cluster.local";
    assertEquals(dns, config.cluster().kubernetesService(),
        "cluster.kubernetesService (environment or ConfigMap) must be the headless Service's DNS name in the pod's namespace");
    String inConfigMap = configMapJson().getJsonObject("cluster", new JsonObject()).getString("kubernetesService");
    if (inConfigMap != null) {
      assertTrue(inConfigMap.startsWith(svc.name() + "."), "ConfigMap cluster.kubernetesService " + inConfigMap + " is not " + svc.name());
    }
  }

  @Test
  void serviceRoutesPort80ToTheHttpPort() throws IOException {
    int httpPort = podConfig(new ArrayList<>()).http().port();
    Doc svc = resource("Service", deployment().name());
    Map<String, Object> spec = map(svc.body().get("spec"), svc + " spec");
    assertTrue(spec.get("type") == null || "ClusterIP".equals(spec.get("type")), svc + ": type should be ClusterIP");
    assertNull(spec.get("clusterIP"), svc + ": the HTTP Service must not be headless");
    assertSelectsPods(map(spec.get("selector"), svc + " selector"), svc.toString());
    Map<String, Object> port = servicePort(svc, 80);
    assertEquals(httpPort, containerPort(port.getOrDefault("targetPort", 80)), svc + ": port 80 must target http.port");
  }

  @Test
  void deploymentSelectorsMatchItsPods() {
    Map<String, Object> spec = map(deployment().body().get("spec"), "deployment spec");
    Map<String, Object> selector = map(map(spec.get("selector"), "deployment selector").get("matchLabels"), "deployment matchLabels");
    assertSelectsPods(selector, "deployment selector");
    Map<String, Object> strategy = map(spec.get("strategy"), "deployment strategy");
    assertEquals("RollingUpdate", strategy.get("type"), "deployment: strategy");
    Map<String, Object> rolling = map(strategy.get("rollingUpdate"), "deployment rollingUpdate");
    assertTrue(Set.of(0, 1).contains(rolling.get("maxUnavailable")), "deployment: maxUnavailable should be 0 or 1");
    assertEquals(1, rolling.get("maxSurge"), "deployment: maxSurge");
    Map<String, Object> anti = map(map(podSpec().get("affinity"), "affinity").get("podAntiAffinity"), "podAntiAffinity");
    for (Object term : list(anti.get("preferredDuringSchedulingIgnoredDuringExecution"), "preferred anti-affinity")) {
      Map<String, Object> t = map(map(term, "anti-affinity term").get("podAffinityTerm"), "podAffinityTerm");
      assertSelectsPods(map(map(t.get("labelSelector"), "labelSelector").get("matchLabels"), "matchLabels"), "pod anti-affinity");
    }
    Object spread = podSpec().get("topologySpreadConstraints");
    if (spread != null) {
      for (Object c : list(spread, "topologySpreadConstraints")) {
        assertSelectsPods(map(map(map(c, "constraint").get("labelSelector"), "labelSelector").get("matchLabels"), "matchLabels"),
            "topology spread constraint");
      }
    }
  }

  @Test
  void autoscalerTargetsTheDeployment() {
    Doc hpa = single("HorizontalPodAutoscaler");
    assertEquals("autoscaling/v2", hpa.body().get("apiVersion"), hpa + ": apiVersion");
    Map<String, Object> spec = map(hpa.body().get("spec"), hpa + " spec");
    Map<String, Object> target = map(spec.get("scaleTargetRef"), hpa + " scaleTargetRef");
    assertEquals("Deployment", target.get("kind"), hpa + ": scaleTargetRef.kind");
    assertEquals("apps/v1", target.get("apiVersion"), hpa + ": scaleTargetRef.apiVersion");
    assertEquals(deployment().name(), target.get("name"), hpa + ": scaleTargetRef.name vs the Deployment");
    int min = (Integer) spec.get("minReplicas");
    int max = (Integer) spec.get("maxReplicas");
    assertTrue(min >= 3 && max > min, hpa + ": replicas " + min + ".." + max + " (at least 3, room to grow)");
    Object replicas = map(deployment().body().get("spec"), "deployment spec").get("replicas");
    assertNull(replicas, "deployment: leave spec.replicas out when the HPA owns the count (kubectl apply would reset it), found " + replicas);
    boolean cpu = false;
    for (Object m : list(spec.get("metrics"), hpa + " metrics")) {
      Map<String, Object> metric = map(m, "metric");
      if ("Resource".equals(metric.get("type")) && "cpu".equals(map(metric.get("resource"), "resource").get("name"))) {
        Object u = map(map(metric.get("resource"), "resource").get("target"), "target").get("averageUtilization");
        cpu = u instanceof Integer pct && pct >= 50 && pct <= 80;
      }
    }
    assertTrue(cpu, hpa + ": needs a CPU utilization target between 50 and 80 %");
    Map<String, Object> down = map(map(spec.get("behavior"), hpa + " behavior").get("scaleDown"), hpa + " scaleDown");
    assertTrue((Integer) down.get("stabilizationWindowSeconds") >= 300,
        hpa + ": scaleDown.stabilizationWindowSeconds should be at least 300 (each pod stopped drops its sockets)");
    Map<String, Object> requests = map(map(container().get("resources"), "resources").get("requests"), "requests");
    assertNotNull(requests.get("cpu"), "deployment: a CPU utilization target needs a CPU request");
  }

  @Test
  void disruptionBudgetCoversThePods() {
    Doc pdb = single("PodDisruptionBudget");
    assertEquals("policy/v1", pdb.body().get("apiVersion"), pdb + ": apiVersion");
    Map<String, Object> spec = map(pdb.body().get("spec"), pdb + " spec");
    Map<String, Object> matchLabels = map(map(spec.get("selector"), pdb + " selector").get("matchLabels"), pdb + " matchLabels");
    assertEquals(podSelector(), matchLabels, pdb + ": selector must be the Deployment's selector");
    int min = (Integer) map(single("HorizontalPodAutoscaler").body().get("spec"), "hpa spec").get("minReplicas");
    if (spec.containsKey("minAvailable")) {
      assertTrue(spec.get("minAvailable") instanceof Integer n && n < min, pdb + ": minAvailable must stay below minReplicas " + min
          + " or no node could ever be drained");
    } else {
      assertEquals(1, spec.get("maxUnavailable"), pdb + ": maxUnavailable");
    }
  }

  @Test
  void ingressReachesTheHttpServiceWithSocketFriendlySettings() throws IOException {
    HeraldConfig config = podConfig(new ArrayList<>());
    Doc ing = single("Ingress");
    Map<String, Object> annotations = map(map(ing.body().get("metadata"), "metadata").get("annotations"), ing + " annotations");
    String nginx = "nginx.ingress.kubernetes.io/";
    for (String timeout : List.of("proxy-read-timeout", "proxy-send-timeout")) {
      Object v = annotations.get(nginx + timeout);
      assertTrue(v instanceof String s && Integer.parseInt(s) >= 3600, ing + ": " + timeout + " must be a string of at least 3600, got " + v);
    }
    assertEquals("cookie", annotations.get(nginx + "affinity"), ing + ": SockJS's xhr transports need cookie affinity");
    Object body = annotations.get(nginx + "proxy-body-size");
    assertTrue(body instanceof String, ing + ": proxy-body-size must be set (as a string)");
    assertEquals(config.http().maxBodyBytes(), nginxSize((String) body), ing + ": proxy-body-size " + body + " vs http.maxBodyBytes");
    int backends = 0;
    for (Object r : list(map(ing.body().get("spec"), "spec").get("rules"), ing + " rules")) {
      for (Object p : list(map(map(r, "rule").get("http"), "rule http").get("paths"), "paths")) {
        Map<String, Object> service = map(map(map(p, "path").get("backend"), "backend").get("service"), ing + " backend.service");
        Doc svc = resource("Service", (String) service.get("name"));
        Map<String, Object> port = map(service.get("port"), ing + " backend port");
        if (port.get("name") != null) {
          assertTrue(list(map(svc.body().get("spec"), "spec").get("ports"), "ports").stream()
              .anyMatch(sp -> port.get("name").equals(map(sp, "port").get("name"))), ing + ": " + svc + " has no port named " + port.get("name"));
        } else {
          servicePort(svc, (Integer) port.get("number"));
        }
        backends++;
      }
    }
    assertTrue(backends > 0, ing + " has no backend");
  }

  // ---------------------------------------------------------------- secrets

  @Test
  void secretReferencesAreInTheExampleSecret() {
    Map<String, Boolean> keys = new LinkedHashMap<>(); // key -> optional
    Set<String> secretNames = new TreeSet<>();
    for (Map<String, Object> e : env()) {
      if (e.get("valueFrom") instanceof Map<?, ?> from && from.get("secretKeyRef") instanceof Map<?, ?> ref) {
        secretNames.add((String) ref.get("name"));
        keys.put((String) ref.get("key"), Boolean.TRUE.equals(ref.get("optional")));
      }
    }
    Object envFrom = container().get("envFrom");
    assertNull(envFrom, "deployment: envFrom would import every key of a Secret as a variable; name each one");
    assertEquals(1, secretNames.size(), "deployment: every secretKeyRef should name the same Secret, found " + secretNames);
    Doc example = docs.stream().filter(d -> d.file().equals(SECRET_EXAMPLE)).findFirst()
        .orElseThrow(() -> new AssertionError("k8s/" + SECRET_EXAMPLE + " is missing"));
    assertEquals("Secret", example.kind(), SECRET_EXAMPLE + ": kind");
    assertEquals(secretNames.iterator().next(), example.name(), SECRET_EXAMPLE + ": name vs the Deployment's secretKeyRefs");
    Set<String> exampleKeys = new TreeSet<>();
    for (String field : List.of("stringData", "data")) {
      if (example.body().get(field) != null) {
        exampleKeys.addAll(map(example.body().get(field), SECRET_EXAMPLE + " " + field).keySet());
      }
    }
    assertEquals(new TreeSet<>(keys.keySet()), exampleKeys, SECRET_EXAMPLE + " keys vs the keys the Deployment reads");
    for (String required : List.of("postgres-uri", "redis-uri", "api-keys", "jwt-secret")) {
      assertEquals(Boolean.FALSE, keys.get(required), "deployment: secret key " + required + " must be read, and not optional");
    }
    for (String name : List.of("HERALD_POSTGRES_URI", "HERALD_REDIS_URI", "HERALD_AUTH_API_KEYS", "HERALD_AUTH_JWT_SECRET")) {
      assertTrue(env().stream().anyMatch(e -> name.equals(e.get("name")) && e.get("valueFrom") instanceof Map<?, ?> f
          && f.containsKey("secretKeyRef")), "deployment: " + name + " must come from the Secret");
    }
  }

  // ---------------------------------------------------------------- security, image, drain

  @Test
  void podRunsUnprivilegedAsTheImageUser() throws IOException {
    Map<String, Object> pod = map(podSpec().get("securityContext"), "pod securityContext");
    Map<String, Object> ctr = map(container().get("securityContext"), "container securityContext");
    assertEquals(true, pod.get("runAsNonRoot"), "pod securityContext.runAsNonRoot");
    Object uid = ctr.getOrDefault("runAsUser", pod.get("runAsUser"));
    assertTrue(uid instanceof Integer n && n > 0, "runAsUser must be a non-zero number, got " + uid);
    assertEquals(dockerUser(), uid, "runAsUser vs the Dockerfile's USER");
    Object seccomp = ctr.containsKey("seccompProfile") ? ctr.get("seccompProfile") : pod.get("seccompProfile");
    assertEquals("RuntimeDefault", map(seccomp, "seccompProfile").get("type"), "seccompProfile.type");
    assertEquals(false, ctr.get("allowPrivilegeEscalation"), "container allowPrivilegeEscalation");
    assertEquals(true, ctr.get("readOnlyRootFilesystem"), "container readOnlyRootFilesystem");
    assertEquals(List.of("ALL"), map(ctr.get("capabilities"), "capabilities").get("drop"), "container capabilities.drop");
    assertNull(map(ctr.get("capabilities"), "capabilities").get("add"), "container capabilities.add");
    assertNotEquals(true, ctr.get("privileged"), "container privileged");

    String tmpVolume = mountAt("/tmp");
    assertNotNull(tmpVolume, "deployment: nothing is mounted at /tmp; with a read-only root the JVM and Vert.x have no temp dir");
    assertTrue(volume(tmpVolume).containsKey("emptyDir"), "deployment: /tmp must be an emptyDir");
    String dockerfile = Files.readString(DOCKERFILE);
    Matcher cache = Pattern.compile("-Dvertx\\.cacheDirBase=(\\S+?)[\",\\s]").matcher(dockerfile);
    assertTrue(cache.find() && cache.group(1).startsWith("/tmp/"), "Dockerfile: -Dvertx.cacheDirBase must point under /tmp");

    Map<String, Object> resources = map(container().get("resources"), "resources");
    assertNotNull(map(resources.get("requests"), "requests").get("memory"), "resources.requests.memory");
    assertNotNull(map(resources.get("limits"), "limits").get("memory"), "resources.limits.memory");
  }

  @Test
  void imageMatchesTheDeployment() throws IOException {
    List<String> lines = dockerLines();
    assertTrue(lines.stream().anyMatch(l -> l.matches("FROM eclipse-temurin:17-jre(\\s.*)?")), "Dockerfile: base image eclipse-temurin:17-jre");
    Set<Integer> exposed = new TreeSet<>();
    for (String l : lines) {
      if (l.startsWith("EXPOSE ")) {
        for (String p : l.substring(7).trim().split("\\s+")) {
          exposed.add(Integer.parseInt(p.replace("/tcp", "")));
        }
      }
    }
    assertEquals(new TreeSet<>(containerPorts().values()), exposed, "Dockerfile EXPOSE vs the container ports");
    List<String> command = new ArrayList<>();
    command.addAll(dockerArray(lines, "ENTRYPOINT"));
    command.addAll(dockerArray(lines, "CMD"));
    assertNull(container().get("command"), "deployment: the image's ENTRYPOINT is the command (JVM flags live there)");
    assertNull(container().get("args"), "deployment: the image's CMD gives the arguments");
    int jar = command.indexOf("-jar");
    assertTrue(jar > 0 && command.get(0).equals("java"), "Dockerfile: ENTRYPOINT must run java ... -jar, got " + command);
    assertTrue(command.subList(0, jar).stream().anyMatch(a -> a.startsWith("-XX:MaxRAMPercentage=")), "Dockerfile: -XX:MaxRAMPercentage");
    assertEquals(List.of("/app/herald.jar", "serve", "--conf"), command.subList(jar + 1, Math.min(jar + 4, command.size())),
        "Dockerfile: ENTRYPOINT + CMD must end with -jar /app/herald.jar serve --conf FILE");
    String conf = command.get(command.size() - 1);
    Map<String, Object> mount = mount(conf);
    assertNotNull(mount, "deployment: nothing is mounted at " + conf + " (the --conf file of the image's CMD)");
    Map<String, Object> configVolume = volume((String) mount.get("name"));
    Map<String, Object> cm = map(configVolume.get("configMap"), "volume " + mount.get("name") + " configMap");
    Doc configMap = resource("ConfigMap", (String) cm.get("name"));
    assertTrue(map(configMap.body().get("data"), configMap + " data").containsKey(mount.get("subPath")),
        configMap + " has no key " + mount.get("subPath") + " (the subPath mounted at " + conf + ")");
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("COPY ") && l.contains("target/herald.jar") && l.contains("/app/herald.jar")),
        "Dockerfile: COPY target/herald.jar to /app/herald.jar");
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("COPY ") && l.contains("conf/cluster.xml") && l.contains("/app/conf/")),
        "Dockerfile: COPY conf/cluster.xml into /app/conf/ (cluster.hazelcastConfig is conf/cluster.xml, relative to WORKDIR /app)");
    assertTrue(lines.contains("WORKDIR /app"), "Dockerfile: WORKDIR /app (cluster.hazelcastConfig is a relative path)");
  }

  @Test
  void gracePeriodCoversPreStopAndTheDrain() throws IOException {
    int shutdown = podConfig(new ArrayList<>()).http().shutdownTimeoutSeconds();
    Map<String, Object> preStop = map(map(container().get("lifecycle"), "lifecycle").get("preStop"), "preStop");
    List<String> command = strings(map(preStop.get("exec"), "preStop.exec").get("command"), "preStop command");
    // ["sleep", "5"], or ["sh", "-c", "sleep 5"]
    String script = command.get(0).equals("sleep") ? String.join(" ", command) : command.get(command.size() - 1).trim();
    Matcher m = Pattern.compile("^sleep (\\d+)$").matcher(script);
    assertTrue(m.find(), "deployment: preStop should be a plain sleep, got " + command);
    int sleep = Integer.parseInt(m.group(1));
    assertTrue(sleep >= 3 && sleep <= 15, "deployment: preStop sleeps " + sleep + " s; about 5 s lets the endpoints update");
    Object grace = podSpec().get("terminationGracePeriodSeconds");
    assertTrue(grace instanceof Integer, "deployment: terminationGracePeriodSeconds must be set");
    int needed = sleep + 2 * shutdown + MARGIN_SECONDS;
    assertTrue((Integer) grace > needed, "deployment: terminationGracePeriodSeconds " + grace + " must exceed preStop " + sleep
        + " + 2 x http.shutdownTimeoutSeconds " + shutdown + " + " + MARGIN_SECONDS + " = " + needed);
  }

  // ---------------------------------------------------------------- helpers

  static List<Doc> resources() {
    return docs.stream().filter(d -> !d.file().equals(KUSTOMIZATION) && !d.file().equals(SECRET_EXAMPLE)).toList();
  }

  static Doc single(String kind) {
    List<Doc> found = resources().stream().filter(d -> d.kind().equals(kind)).toList();
    assertEquals(1, found.size(), "expected one " + kind + " among the resources, found " + found);
    return found.get(0);
  }

  static Doc resource(String kind, String name) {
    return resources().stream().filter(d -> d.kind().equals(kind) && d.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " named " + name + " among the resources " + resources()));
  }

  static Doc deployment() {
    return single("Deployment");
  }

  static Map<String, Object> podSpec() {
    Map<String, Object> template = map(map(deployment().body().get("spec"), "deployment spec").get("template"), "pod template");
    return map(template.get("spec"), "pod template spec");
  }

  static Map<String, Object> podLabels() {
    Map<String, Object> template = map(map(deployment().body().get("spec"), "deployment spec").get("template"), "pod template");
    return map(map(template.get("metadata"), "pod template metadata").get("labels"), "pod template labels");
  }

  static Map<String, Object> podSelector() {
    return map(map(map(deployment().body().get("spec"), "deployment spec").get("selector"), "selector").get("matchLabels"), "matchLabels");
  }

  static void assertSelectsPods(Map<String, Object> selector, String what) {
    assertFalse(selector.isEmpty(), what + ": empty selector");
    for (Map.Entry<String, Object> e : selector.entrySet()) {
      assertEquals(e.getValue(), podLabels().get(e.getKey()), what + ": selector " + e.getKey() + "=" + e.getValue()
          + " does not match the Deployment's pod labels " + podLabels());
    }
  }

  static Map<String, Object> container() {
    List<Object> containers = list(podSpec().get("containers"), "containers");
    assertEquals(1, containers.size(), "deployment: expected one container");
    return map(containers.get(0), "container");
  }

  static List<Map<String, Object>> env() {
    return list(container().get("env"), "container env").stream().map(e -> map(e, "env entry")).toList();
  }

  static Map<String, Integer> containerPorts() {
    Map<String, Integer> ports = new LinkedHashMap<>();
    for (Object p : list(container().get("ports"), "container ports")) {
      Map<String, Object> port = map(p, "container port");
      assertNotNull(port.get("name"), "deployment: every container port needs a name, " + port + " has none");
      ports.put((String) port.get("name"), (Integer) port.get("containerPort"));
    }
    return ports;
  }

  /** A port given by number or by the name of a container port, as a number. */
  static int containerPort(Object ref) {
    if (ref instanceof Integer n) {
      return n;
    }
    Integer n = containerPorts().get(String.valueOf(ref));
    assertNotNull(n, "no container port is named " + ref + "; ports: " + containerPorts());
    return n;
  }

  static Map<String, Object> servicePort(Doc svc, int number) {
    return list(map(svc.body().get("spec"), "spec").get("ports"), svc + " ports").stream().map(p -> map(p, "port"))
        .filter(p -> Integer.valueOf(number).equals(p.get("port"))).findFirst()
        .orElseThrow(() -> new AssertionError(svc + " has no port " + number));
  }

  static String mountAt(String path) {
    Map<String, Object> m = mount(path);
    return m == null ? null : (String) m.get("name");
  }

  /** The mount at {@code path}, or whose mountPath is {@code path} by a subPath. */
  static Map<String, Object> mount(String path) {
    for (Object o : list(container().get("volumeMounts"), "volumeMounts")) {
      Map<String, Object> m = map(o, "volumeMount");
      if (path.equals(m.get("mountPath"))) {
        return m;
      }
    }
    return null;
  }

  static Map<String, Object> volume(String name) {
    return list(podSpec().get("volumes"), "volumes").stream().map(v -> map(v, "volume")).filter(v -> name.equals(v.get("name")))
        .findFirst().orElseThrow(() -> new AssertionError("deployment: no volume named " + name));
  }

  static JsonObject configMapJson() {
    Map<String, Object> mount = mount(configPath());
    assertNotNull(mount, "deployment: nothing is mounted at " + configPath());
    String name = (String) map(volume((String) mount.get("name")).get("configMap"), "configMap volume").get("name");
    Doc cm = resource("ConfigMap", name);
    Object text = map(cm.body().get("data"), cm + " data").get(mount.get("subPath"));
    assertTrue(text instanceof String, cm + ": data." + mount.get("subPath") + " is missing");
    try {
      return new JsonObject((String) text);
    } catch (RuntimeException e) {
      throw new AssertionError(cm + ": " + mount.get("subPath") + " is not valid JSON: " + e.getMessage(), e);
    }
  }

  /** The --conf argument of the image's CMD. */
  static String configPath() {
    List<String> cmd;
    try {
      cmd = dockerArray(dockerLines(), "CMD");
    } catch (IOException e) {
      throw new AssertionError("cannot read the Dockerfile", e);
    }
    int i = cmd.indexOf("--conf");
    assertTrue(i >= 0 && i + 1 < cmd.size(), "Dockerfile: CMD has no --conf FILE: " + cmd);
    return cmd.get(i + 1);
  }

  /** The environment a pod gets: literals with $(VAR) expanded, the downward API, secrets from the example Secret. */
  static Map<String, String> podEnvironment() {
    Map<String, Object> secret = new HashMap<>();
    docs.stream().filter(d -> d.file().equals(SECRET_EXAMPLE)).forEach(d -> {
      if (d.body().get("stringData") != null) {
        secret.putAll(map(d.body().get("stringData"), "stringData"));
      }
    });
    Map<String, String> env = new LinkedHashMap<>();
    for (Map<String, Object> e : env()) {
      String name = (String) e.get("name");
      if (e.get("value") != null) {
        Matcher m = VAR_REF.matcher(String.valueOf(e.get("value")));
        env.put(name, m.replaceAll(r -> Matcher.quoteReplacement(env.getOrDefault(r.group(1), r.group()))));
        continue;
      }
      Map<String, Object> from = map(e.get("valueFrom"), "env " + name + " valueFrom");
      if (from.get("fieldRef") != null) {
        String field = (String) map(from.get("fieldRef"), "fieldRef").get("fieldPath");
        String value = switch (field) {
          case "status.podIP" -> POD_IP;
          case "metadata.namespace" -> NAMESPACE;
          case "metadata.name" -> "herald-abc12";
          default -> throw new AssertionError("env " + name + ": fieldRef " + field + " is not simulated by this test");
        };
        env.put(name, value);
      } else if (from.get("secretKeyRef") != null) {
        Object value = secret.get(map(from.get("secretKeyRef"), "secretKeyRef").get("key"));
        if (value != null) {
          env.put(name, String.valueOf(value));
        }
      } else {
        fail("env " + name + ": only value, fieldRef and secretKeyRef are simulated by this test: " + from);
      }
    }
    return env;
  }

  HeraldConfig podConfig(List<String> warnings) throws IOException {
    Path file = tmp.resolve("herald.json");
    Files.writeString(file, configMapJson().encodePrettily());
    try {
      return ConfigLoader.load(file, podEnvironment(), warnings::add);
    } catch (ConfigException e) {
      throw new AssertionError("the pod's configuration (ConfigMap herald.json, then the Deployment's environment with the "
          + "example Secret's values) is refused by ConfigLoader: " + e.getMessage(), e);
    }
  }

  static Set<String> acceptedHeraldNames() {
    Set<String> names = new TreeSet<>();
    walkLeaves(ConfigLoader.defaults(), "", path -> names.addAll(ConfigLoader.envNames(path)));
    return names;
  }

  static void walkLeaves(JsonObject node, String prefix, java.util.function.Consumer<String> visitor) {
    for (Map.Entry<String, Object> e : node) {
      if (e.getValue() instanceof JsonObject child) {
        walkLeaves(child, prefix + e.getKey() + ".", visitor);
      } else {
        visitor.accept(prefix + e.getKey());
      }
    }
  }

  /** nginx sizes: 1048576, 1024k, 1m, 1g. */
  static long nginxSize(String s) {
    Matcher m = Pattern.compile("(?i)^(\\d+)([kmg]?)$").matcher(s.trim());
    assertTrue(m.matches(), "not an nginx size: " + s);
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2).toLowerCase()) {
      case "k" -> n << 10;
      case "m" -> n << 20;
      case "g" -> n << 30;
      default -> n;
    };
  }

  /** The Dockerfile's instructions, one a line, continuation lines joined, comments dropped. */
  static List<String> dockerLines() throws IOException {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String raw : Files.readAllLines(DOCKERFILE)) {
      String line = raw.strip();
      if (line.startsWith("#") || (line.isEmpty() && current.length() == 0)) {
        continue;
      }
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      current.append(line);
      out.add(current.toString().strip().replaceAll("\\s+", " "));
      current.setLength(0);
    }
    return out;
  }

  /** The exec (JSON array) form of ENTRYPOINT or CMD; the last one wins, as in Docker. */
  static List<String> dockerArray(List<String> lines, String instruction) {
    String found = null;
    for (String l : lines) {
      if (l.startsWith(instruction + " ")) {
        found = l.substring(instruction.length() + 1).trim();
      }
    }
    assertNotNull(found, "Dockerfile: no " + instruction);
    assertTrue(found.startsWith("["), "Dockerfile: " + instruction + " must use the exec (JSON array) form, so java gets SIGTERM");
    return new JsonArray(found).stream().map(String::valueOf).collect(Collectors.toList());
  }

  static Integer dockerUser() throws IOException {
    String user = null;
    for (String l : dockerLines()) {
      if (l.startsWith("USER ")) {
        user = l.substring(5).trim();
      }
    }
    assertNotNull(user, "Dockerfile: no USER (the image would run as root)");
    String uid = user.split(":")[0];
    assertTrue(uid.matches("\\d+"), "Dockerfile: USER must be numeric (runAsNonRoot can only check a number), got " + user);
    return Integer.valueOf(uid);
  }

  static String source(String path) {
    try {
      return Files.readString(Path.of(path));
    } catch (IOException e) {
      throw new AssertionError("cannot read " + path, e);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o, String what) {
    assertTrue(o instanceof Map, what + ": expected a mapping, got " + o);
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object o, String what) {
    assertTrue(o instanceof List, what + ": expected a list, got " + o);
    return (List<Object>) o;
  }

  static List<String> strings(Object o, String what) {
    return list(o, what).stream().map(x -> {
      assertTrue(x instanceof String, what + ": expected strings, got " + x);
      return (String) x;
    }).toList();
  }

  static void assertNotEquals(Object unexpected, Object actual, String what) {
    assertFalse(java.util.Objects.equals(unexpected, actual), what + " must not be " + unexpected);
  }
}
