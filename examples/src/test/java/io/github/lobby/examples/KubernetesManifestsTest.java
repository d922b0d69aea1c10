package io.github.lobby.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.http.LobbyServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes manifests under deploy/kubernetes/ (every document of every {@code .yaml} file)
 * and deploy/Dockerfile agree with the server: probe paths it answers, ports it listens on,
 * environment variables it reads, selectors that find its pods, the RBAC that discovery needs,
 * and a grace period longer than its drain.
 */
class KubernetesManifestsTest {

  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  private static final Path MANIFESTS = ROOT.resolve("deploy/kubernetes");
  private static final Path DOCKERFILE = ROOT.resolve("deploy/Dockerfile");
  private static final ObjectMapper YAML = new YAMLMapper();
  private static final Pattern LOBBY_NAME = Pattern.compile("\\bLOBBY_[A-Z0-9_]+\\b");

  /**
   * Names the manifests use that other parts of the configuration are being given: listener TLS
   * (lobby-http's reference.conf), cluster TLS and cluster bootstrap (lobby-cluster's
   * reference.conf and the example's application.conf). Until the configuration reads one, the
   * check lets it pass; once it does, the check fails until the name is taken off this list, so
   * that from then on it is checked like every other.
   */
  private static final Set<String> NOT_YET_IN_THE_CONFIGURATION = Set.of();

  /** One YAML document of a manifest file. */
  record Manifest(Path file, JsonNode node) {
    String kind() {
      return node.path("kind").asText();
    }

    String name() {
      return node.path("metadata").path("name").asText();
    }
  }

  @Test
  void everyManifestIsAKubernetesObjectAndEachKindIsThere() throws IOException {
    List<Manifest> manifests = manifests();
    for (Manifest manifest : manifests) {
      assertFalse(manifest.node().path("apiVersion").asText().isEmpty(), manifest.file() + "");
      assertFalse(manifest.kind().isEmpty(), manifest.file() + ": kind");
      assertFalse(manifest.name().isEmpty(), manifest.file() + ": metadata.name");
    }
    for (String kind :
        List.of(
            "Deployment",
            "Service",
            "PodDisruptionBudget",
            "ServiceAccount",
            "Role",
            "RoleBinding")) {
      one(manifests, kind);
    }
  }

  @Test
  void theProbesAreTheServersReadinessAndLivenessOnItsPort() throws Exception {
    JsonNode container = container();
    Map<String, Integer> ports = containerPorts(container);
    int http = Integer.parseInt(value(container, "LOBBY_PORT"));
    assertEquals(http, ports.get("http"), "container port http is LOBBY_PORT");
    JsonNode readiness = container.path("readinessProbe").path("httpGet");
    JsonNode liveness = container.path("livenessProbe").path("httpGet");
    assertEquals(http, port(readiness.path("port"), ports), "readiness probe port");
    assertEquals(http, port(liveness.path("port"), ports), "liveness probe port");

    // The paths, asked of the example server itself: both 200 while it runs; while it stops
    // (within unbind-delay, the listener still accepting) readiness 503 and liveness still 200.
    String ready = readiness.path("path").asText();
    String live = liveness.path("path").asText();
    Config config =
        ConfigFactory.parseString(
                "lobby.http.port = 0\n"
                    + "lobby.http.admin-token = manifests-test-admin-token\n"
                    + "lobby.http.unbind-delay = 2s")
            .withFallback(ConfigFactory.load());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "lobby", config);
    try {
      LobbyServer server =
          ExampleServer.start(system, config).toCompletableFuture().get(30, TimeUnit.SECONDS);
      int port = server.localAddress().getPort();
      assertEquals(200, Client.get(port, ready).statusCode(), "GET " + ready);
      assertEquals(200, Client.get(port, live).statusCode(), "GET " + live);
      CompletionStage<?> stopped = server.stop();
      assertEquals(503, Client.get(port, ready).statusCode(), "GET " + ready + " while stopping");
      assertEquals(200, Client.get(port, live).statusCode(), "GET " + live + " while stopping");
      stopped.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void theContainerPortsAreTheOnesTheEnvironmentSetsAndTheImageExposes() throws Exception {
    JsonNode container = container();
    Map<String, Integer> ports = containerPorts(container);
    Config config = ConfigFactory.load();
    String clusterPort = value(container, "LOBBY_CLUSTER_PORT");
    int cluster =
        clusterPort != null
            ? Integer.parseInt(clusterPort)
            : config.getInt("pekko.remote.artery.canonical.port");
    assertEquals(cluster, ports.get("cluster"), "container port cluster");
    String management = value(container, "LOBBY_MANAGEMENT_PORT");
    assertNotNull(management, "LOBBY_MANAGEMENT_PORT in the Deployment's env");
    assertEquals(Integer.parseInt(management), ports.get("management"), "port management");
    int http = Integer.parseInt(value(container, "LOBBY_PORT"));
    assertEquals(3, ports.size(), "http, cluster and management: " + ports);

    JsonNode service = one(manifests(), "Service").node();
    for (JsonNode servicePort : service.path("spec").path("ports")) {
      assertEquals(http, port(servicePort.path("targetPort"), ports), "the Service's targetPort");
    }
    assertEquals(1, service.path("spec").path("ports").size(), "the Service's ports: http only");

    String dockerfile = Files.readString(DOCKERFILE);
    Matcher expose = Pattern.compile("(?m)^EXPOSE (.+)$").matcher(dockerfile);
    assertTrue(expose.find(), "EXPOSE in deploy/Dockerfile");
    Set<Integer> exposed = new TreeSet<>();
    for (String port : expose.group(1).strip().split("\\s+")) {
      exposed.add(Integer.parseInt(port));
    }
    assertEquals(new TreeSet<>(ports.values()), exposed, "deploy/Dockerfile's EXPOSE");
    assertTrue(
        dockerfile.contains("ENV LOBBY_HOST=0.0.0.0"), "the image listens on every interface");
  }

  @Test
  void everyLobbyVariableInTheManifestsIsOneTheServerReads() throws IOException {
    Set<String> known = namesTheServerReads();
    // The collection itself: one name from each place it looks.
    assertTrue(known.contains("LOBBY_PORT"), "lobby-http's reference.conf: " + known);
    assertTrue(known.contains("LOBBY_CLUSTER_HOST"), "the example's application.conf: " + known);
    assertTrue(known.contains("LOBBY_SEED_NODES"), "ExampleServer's System.getenv: " + known);
    assertTrue(known.contains("LOBBY_LOG_FORMAT"), "logback.xml: " + known);

    // The variables bin/lobby reads ($JAVA_OPTS, $JAVA_HOME, ...).
    Set<String> launcher = new TreeSet<>();
    Pattern variable = Pattern.compile("\\$\\{?([A-Z][A-Z0-9_]*)");
    variable
        .matcher(Files.readString(ROOT.resolve("examples/src/main/dist/bin/lobby")))
        .results()
        .forEach(match -> launcher.add(match.group(1)));
    assertTrue(launcher.contains("JAVA_OPTS"), "bin/lobby's variables: " + launcher);

    Map<String, String> used = new LinkedHashMap<>();
    for (JsonNode env : container().path("env")) {
      used.put(env.path("name").asText(), "the Deployment's env");
    }
    List<Path> files = new ArrayList<>(manifestFiles());
    files.add(DOCKERFILE);
    for (Path file : files) {
      Matcher name = LOBBY_NAME.matcher(Files.readString(file));
      while (name.find()) {
        used.putIfAbsent(name.group(), ROOT.relativize(file).toString());
      }
    }
    List<String> unknown = new ArrayList<>();
    used.forEach(
        (name, where) -> {
          if (!known.contains(name)
              && !NOT_YET_IN_THE_CONFIGURATION.contains(name)
              && !launcher.contains(name)) {
            unknown.add(name + " (" + where + ")");
          }
        });
    assertTrue(
        unknown.isEmpty(),
        "names neither the server nor bin/lobby reads (no ${?NAME} in a reference.conf or"
            + " application.conf, no ${NAME} in logback.xml, no System.getenv(\"NAME\") in the"
            + " example's code, no $NAME in bin/lobby): "
            + unknown);
    Set<String> arrived = new TreeSet<>(NOT_YET_IN_THE_CONFIGURATION);
    arrived.retainAll(known);
    assertTrue(
        arrived.isEmpty(),
        "the configuration reads these now; take them off NOT_YET_IN_THE_CONFIGURATION: "
            + arrived);
  }

  @Test
  void theServiceThePdbAndDiscoveryFindTheDeploymentsPods() throws IOException {
    List<Manifest> manifests = manifests();
    JsonNode deployment = one(manifests, "Deployment").node().path("spec");
    JsonNode labels = deployment.path("template").path("metadata").path("labels");
    assertSelects(deployment.path("selector").path("matchLabels"), labels, "Deployment");
    JsonNode service = one(manifests, "Service").node().path("spec");
    assertSelects(service.path("selector"), labels, "Service");
    JsonNode budget = one(manifests, "PodDisruptionBudget").node().path("spec");
    assertSelects(budget.path("selector").path("matchLabels"), labels, "PodDisruptionBudget");
    // Pekko Discovery's kubernetes-api method selects the pods labelled app=<service name>.
    assertEquals(
        labels.path("app").asText(),
        value(container(), "LOBBY_SERVICE_NAME"),
        "LOBBY_SERVICE_NAME is the pods' app label");
  }

  @Test
  void thePodsMayGetWatchAndListPods() throws IOException {
    List<Manifest> manifests = manifests();
    JsonNode pod = one(manifests, "Deployment").node().path("spec").path("template").path("spec");
    String account = pod.path("serviceAccountName").asText();
    assertEquals(account, one(manifests, "ServiceAccount").name(), "the pods' service account");
    assertFalse(
        pod.path("automountServiceAccountToken").asText().equals("false"),
        "discovery needs the service account's token");

    JsonNode binding = one(manifests, "RoleBinding").node();
    Manifest role = one(manifests, "Role");
    assertEquals("Role", binding.path("roleRef").path("kind").asText());
    assertEquals(role.name(), binding.path("roleRef").path("name").asText(), "the bound Role");
    boolean bound = false;
    for (JsonNode subject : binding.path("subjects")) {
      bound |=
          subject.path("kind").asText().equals("ServiceAccount")
              && subject.path("name").asText().equals(account);
    }
    assertTrue(bound, "the RoleBinding names the pods' service account");

    Set<String> verbs = new TreeSet<>();
    for (JsonNode rule : role.node().path("rules")) {
      if (texts(rule.path("apiGroups")).contains("")
          && texts(rule.path("resources")).contains("pods")) {
        verbs.addAll(texts(rule.path("verbs")));
      }
    }
    assertTrue(verbs.containsAll(Set.of("get", "watch", "list")), "verbs on pods: " + verbs);
  }

  @Test
  void theGracePeriodIsLongerThanTheDrain() throws IOException {
    JsonNode deployment = one(manifests(), "Deployment").node();
    JsonNode pod = deployment.path("spec").path("template").path("spec");
    Config config = ConfigFactory.load();
    Duration unbind = duration(value(container(), "LOBBY_UNBIND_DELAY"));
    Duration drain =
        unbind
            .plus(config.getDuration("lobby.http.shutdown-timeout"))
            .plus(config.getDuration("lobby.http.close-timeout"));
    long grace = pod.path("terminationGracePeriodSeconds").asLong();
    assertTrue(
        Duration.ofSeconds(grace).compareTo(drain) > 0,
        "terminationGracePeriodSeconds " + grace + " must exceed the drain " + drain);
    // LobbyServer warns at start, and cuts the delay short, when the phase is not longer.
    Duration phase =
        config.getDuration("pekko.coordinated-shutdown.phases.before-service-unbind.timeout");
    assertTrue(
        phase.compareTo(unbind.plusSeconds(1)) >= 0,
        "LOBBY_UNBIND_DELAY " + unbind + " needs before-service-unbind.timeout " + phase);

    int replicas = deployment.path("spec").path("replicas").asInt();
    assertEquals(3, replicas, "replicas");
    String required = value(container(), "LOBBY_REQUIRED_CONTACT_POINTS");
    assertTrue(
        required == null || Integer.parseInt(required) <= replicas,
        "bootstrap waits for " + required + " of " + replicas + " pods");
  }

  @Test
  void secretsComeFromSecretsAndTheClusterStoresFromASecretVolume() throws IOException {
    JsonNode container = container();
    for (String name :
        List.of(
            "LOBBY_ADMIN_TOKEN",
              "LOBBY_CLUSTER_TLS_TRUSTSTORE_PASSWORD")) {
      JsonNode env = env(container).get(name);
      assertNotNull(env, name + " in the Deployment's env");
      assertFalse(env.has("value"), name + " must not be written in a manifest");
      assertFalse(
          env.path("valueFrom").path("secretKeyRef").path("name").asText().isEmpty(),
          name + " from a Secret");
    }
    assertEquals("on", value(container, "LOBBY_CLUSTER_TLS"));

    JsonNode pod = one(manifests(), "Deployment").node().path("spec").path("template").path("spec");
    Map<String, JsonNode> volumes = new HashMap<>();
    for (JsonNode volume : pod.path("volumes")) {
      volumes.put(volume.path("name").asText(), volume);
    }
    for (String name : List.of("LOBBY_CLUSTER_TLS_KEYSTORE", "LOBBY_CLUSTER_TLS_TRUSTSTORE")) {
      Path store = Path.of(value(container, name));
      JsonNode mount = null;
      for (JsonNode candidate : container.path("volumeMounts")) {
        if (store.getParent().equals(Path.of(candidate.path("mountPath").asText()))) {
          mount = candidate;
        }
      }
      assertNotNull(mount, name + " " + store + " lies in a mounted volume");
      JsonNode secret = volumes.get(mount.path("name").asText()).path("secret");
      assertFalse(secret.path("secretName").asText().isEmpty(), name + " from a Secret volume");
      List<String> paths = new ArrayList<>();
      secret.path("items").forEach(item -> paths.add(item.path("path").asText()));
      assertTrue(
          paths.isEmpty() || paths.contains(store.getFileName().toString()),
          name + ": " + store.getFileName() + " among the volume's items " + paths);
    }
  }

  // --- the names the server reads ---

  /**
   * {@code ${?NAME}} in every reference.conf and application.conf on the class path (lobby-core,
   * lobby-http, lobby-cluster, the example's), {@code ${NAME}} in logback.xml, and {@code
   * System.getenv("NAME")} (or {@code env.get("NAME")} on the environment map it is given) in the
   * example server's sources.
   */
  static Set<String> namesTheServerReads() throws IOException {
    Set<String> names = new TreeSet<>();
    Pattern optional = Pattern.compile("\\$\\{\\?(LOBBY_[A-Z0-9_]+)\\}");
    for (String resource : List.of("reference.conf", "application.conf")) {
      for (String text : resources(resource)) {
        optional.matcher(text).results().forEach(match -> names.add(match.group(1)));
      }
    }
    Pattern logback = Pattern.compile("\\$\\{(LOBBY_[A-Z0-9_]+)(:-[^}]*)?\\}");
    for (String text : resources("logback.xml")) {
      logback.matcher(text).results().forEach(match -> names.add(match.group(1)));
    }
    Pattern getenv =
        Pattern.compile(
            "(?:System\\.getenv|env\\.get|env\\.getOrDefault)\\(\\s*\"(LOBBY_[A-Z0-9_]+)\"");
    try (Stream<Path> sources = Files.walk(ROOT.resolve("examples/src/main/java"))) {
      for (Path source : sources.filter(path -> path.toString().endsWith(".java")).toList()) {
        getenv.matcher(Files.readString(source)).results().forEach(m -> names.add(m.group(1)));
      }
    }
    return names;
  }

  private static List<String> resources(String name) throws IOException {
    List<String> texts = new ArrayList<>();
    Enumeration<URL> urls = KubernetesManifestsTest.class.getClassLoader().getResources(name);
    while (urls.hasMoreElements()) {
      try (InputStream in = urls.nextElement().openStream()) {
        texts.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    return texts;
  }

  // --- reading the manifests ---

  private static List<Path> manifestFiles() throws IOException {
    try (Stream<Path> files = Files.list(MANIFESTS)) {
      List<Path> yaml =
          files
              .filter(path -> path.toString().endsWith(".yaml") || path.toString().endsWith(".yml"))
              .sorted()
              .toList();
      assertFalse(yaml.isEmpty(), "manifests in " + MANIFESTS);
      return yaml;
    }
  }

  static List<Manifest> manifests() throws IOException {
    List<Manifest> manifests = new ArrayList<>();
    for (Path file : manifestFiles()) {
      try (MappingIterator<JsonNode> documents =
          YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
        while (documents.hasNext()) {
          JsonNode document = documents.next();
          if (document != null && !document.isNull() && !document.isMissingNode()) {
            manifests.add(new Manifest(file, document));
          }
        }
      }
    }
    return manifests;
  }

  private static Manifest one(List<Manifest> manifests, String kind) {
    List<Manifest> found = manifests.stream().filter(m -> m.kind().equals(kind)).toList();
    assertEquals(1, found.size(), "one " + kind + " in deploy/kubernetes: " + found);
    return found.get(0);
  }

  /** The Deployment's one container. */
  private static JsonNode container() throws IOException {
    JsonNode containers =
        one(manifests(), "Deployment")
            .node()
            .path("spec")
            .path("template")
            .path("spec")
            .path("containers");
    assertEquals(1, containers.size(), "one container");
    return containers.get(0);
  }

  private static Map<String, JsonNode> env(JsonNode container) {
    Map<String, JsonNode> env = new LinkedHashMap<>();
    for (JsonNode entry : container.path("env")) {
      env.put(entry.path("name").asText(), entry);
    }
    return env;
  }

  /** The literal value of an env entry, or null when it has none (absent, or valueFrom). */
  private static String value(JsonNode container, String name) {
    JsonNode entry = env(container).get(name);
    return entry == null || !entry.has("value") ? null : entry.path("value").asText();
  }

  private static Map<String, Integer> containerPorts(JsonNode container) {
    Map<String, Integer> ports = new LinkedHashMap<>();
    for (JsonNode port : container.path("ports")) {
      ports.put(port.path("name").asText(), port.path("containerPort").asInt());
    }
    return ports;
  }

  /** A probe's or a Service's port: a number, or the name of a container port. */
  private static int port(JsonNode port, Map<String, Integer> ports) {
    if (port.isNumber()) {
      return port.asInt();
    }
    Integer named = ports.get(port.asText());
    assertNotNull(named, "container port named " + port.asText() + " in " + ports);
    return named;
  }

  private static void assertSelects(JsonNode selector, JsonNode labels, String what) {
    assertTrue(selector.size() > 0, what + " has a selector");
    selector
        .fields()
        .forEachRemaining(
            label ->
                assertEquals(
                    label.getValue().asText(),
                    labels.path(label.getKey()).asText(null),
                    what + " selects the pods' label " + label.getKey()));
  }

  private static Set<String> texts(JsonNode array) {
    Set<String> texts = new TreeSet<>();
    array.forEach(item -> texts.add(item.asText()));
    return texts;
  }

  private static Duration duration(String hocon) {
    assertNotNull(hocon, "LOBBY_UNBIND_DELAY in the Deployment's env");
    return ConfigFactory.parseString("d = \"" + hocon + "\"").getDuration("d");
  }
}
