package io.github.lobby.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.cluster.ClusterFederation;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example server's cluster configuration from its environment variables: seed nodes or
 * Cluster Bootstrap, and TLS between the nodes. The variables are given as a map; those that
 * {@code application.conf} reads (as {@code ${?VARIABLE}}) are given to it as root keys, which
 * HOCON looks up before the process environment.
 */
class ClusterConfigurationTest {

  private static final String PASSWORD = "example-store-password";

  @TempDir static Path dir;

  private static Path nodeKeys;
  private static Path nodeTrust;

  @BeforeAll
  static void stores() throws Exception {
    nodeKeys = dir.resolve("node.p12");
    nodeTrust = dir.resolve("trust.p12");
    Path certificate = dir.resolve("node.crt");
    keytool(
        "-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1",
        "-validity", "30", "-dname", "CN=lobby-cluster", "-keystore", nodeKeys.toString(),
        "-storetype", "PKCS12", "-storepass", PASSWORD);
    keytool(
        "-exportcert", "-rfc", "-alias", "node", "-keystore", nodeKeys.toString(),
        "-storepass", PASSWORD, "-file", certificate.toString());
    keytool(
        "-importcert", "-noprompt", "-alias", "node", "-file", certificate.toString(),
        "-keystore", nodeTrust.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
  }

  /** application.conf and the references, with these environment variables. */
  private static Config loaded(Map<String, String> env) {
    return ConfigFactory.parseMap(env)
        .withFallback(ConfigFactory.parseResources("application.conf"))
        .withFallback(ConfigFactory.defaultReferenceUnresolved())
        .resolve();
  }

  /** The example server's configuration with these environment variables. */
  private static Config configuration(Map<String, String> env) {
    return ExampleServer.configuration(loaded(env), env);
  }

  private static Map<String, String> env(String... pairs) {
    Map<String, String> env = new HashMap<>();
    env.put("LOBBY_CLUSTER_ENABLED", "on");
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  /** The TLS variables for the stores made here, and these others. */
  private static Map<String, String> tls(String... pairs) {
    Map<String, String> env =
        env(
            "LOBBY_CLUSTER_TLS", "on",
            "LOBBY_CLUSTER_TLS_KEYSTORE", nodeKeys.toString(),
            "LOBBY_CLUSTER_TLS_KEYSTORE_PASSWORD", PASSWORD,
            "LOBBY_CLUSTER_TLS_TRUSTSTORE", nodeTrust.toString(),
            "LOBBY_CLUSTER_TLS_TRUSTSTORE_PASSWORD", PASSWORD);
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  @Test
  void clusterModeSwitchesTheProviderAndSeedsItselfWithoutSeedNodes() {
    assertEquals("local", configuration(Map.of()).getString("pekko.actor.provider"));
    Config alone = configuration(env("LOBBY_CLUSTER_PORT", "2600"));
    assertEquals("cluster", alone.getString("pekko.actor.provider"));
    assertEquals("tcp", alone.getString("pekko.remote.artery.transport"));
    assertEquals(
        List.of("pekko://lobby@127.0.0.1:2600"), alone.getStringList("pekko.cluster.seed-nodes"));
    Config joining =
        configuration(env("LOBBY_SEED_NODES", "pekko://lobby@a:2552, pekko://lobby@b:2552"));
    assertEquals(
        List.of("pekko://lobby@a:2552", "pekko://lobby@b:2552"),
        joining.getStringList("pekko.cluster.seed-nodes"));
  }

  @Test
  void bootstrapTakesItsEnvironmentAndNoSeedNodes() {
    Config defaults = configuration(env("LOBBY_CLUSTER_BOOTSTRAP", "on"));
    assertTrue(defaults.getBoolean("lobby.cluster.bootstrap"));
    assertEquals(List.of(), defaults.getStringList("pekko.cluster.seed-nodes"));
    assertEquals("127.0.0.1", defaults.getString("pekko.management.http.hostname"));
    assertEquals(8558, defaults.getInt("pekko.management.http.port"));
    assertEquals("kubernetes-api", defaults.getString("pekko.discovery.method"));
    String discovery = "pekko.management.cluster.bootstrap.contact-point-discovery.";
    assertEquals("lobby", defaults.getString(discovery + "service-name"));
    assertEquals(2, defaults.getInt(discovery + "required-contact-point-nr"));
    // The federation accepts it: Cluster Bootstrap is on the class path, no seed nodes are set.
    ClusterFederation.fromConfig(defaults);

    Config set =
        configuration(
            env(
                "LOBBY_CLUSTER_BOOTSTRAP", "on",
                "LOBBY_CLUSTER_HOST", "10.1.2.3",
                "LOBBY_MANAGEMENT_PORT", "9558",
                "LOBBY_DISCOVERY_METHOD", "config",
                "LOBBY_SERVICE_NAME", "chat",
                "LOBBY_REQUIRED_CONTACT_POINTS", "3"));
    assertEquals("10.1.2.3", set.getString("pekko.management.http.hostname"));
    assertEquals(9558, set.getInt("pekko.management.http.port"));
    assertEquals("config", set.getString("pekko.discovery.method"));
    assertEquals("chat", set.getString(discovery + "service-name"));
    assertEquals(3, set.getInt(discovery + "required-contact-point-nr"));
    assertEquals(
        "10.9.9.9",
        configuration(env("LOBBY_CLUSTER_BOOTSTRAP", "on", "LOBBY_MANAGEMENT_HOST", "10.9.9.9"))
            .getString("pekko.management.http.hostname"));
  }

  @Test
  void bootstrapAndSeedNodesTogetherAreRefused() {
    ConfigException refused =
        assertThrows(
            ConfigException.class,
            () ->
                configuration(
                    env(
                        "LOBBY_CLUSTER_BOOTSTRAP", "on",
                        "LOBBY_SEED_NODES", "pekko://lobby@a:2552")));
    assertTrue(refused.getMessage().contains("LOBBY_SEED_NODES"), refused.getMessage());
    assertTrue(refused.getMessage().contains("LOBBY_CLUSTER_BOOTSTRAP"), refused.getMessage());
  }

  @Test
  void clusterTlsSwitchesTheTransportWithMutualAuthentication() {
    Config config = configuration(tls());
    assertEquals("tls-tcp", config.getString("pekko.remote.artery.transport"));
    String engine = "pekko.remote.artery.ssl.config-ssl-engine.";
    assertEquals(nodeKeys.toString(), config.getString(engine + "key-store"));
    assertEquals(PASSWORD, config.getString(engine + "key-password"));
    assertEquals(nodeTrust.toString(), config.getString(engine + "trust-store"));
    assertTrue(config.getBoolean(engine + "require-mutual-authentication"));
    assertEquals("TLSv1.3", config.getString(engine + "protocol"));
  }

  @Test
  void clusterTlsWithoutAGoodStoreDoesNotStart() throws Exception {
    assertRefused(env("LOBBY_CLUSTER_TLS", "on"), "LOBBY_CLUSTER_TLS_KEYSTORE", "no key-store");
    assertRefused(
        tls("LOBBY_CLUSTER_TLS_TRUSTSTORE", ""), "LOBBY_CLUSTER_TLS_TRUSTSTORE", "no trust-store");
    assertRefused(
        tls("LOBBY_CLUSTER_TLS_KEYSTORE", dir.resolve("missing.p12").toString()),
        "LOBBY_CLUSTER_TLS_KEYSTORE",
        "is not a readable file");
    assertRefused(
        tls("LOBBY_CLUSTER_TLS_KEYSTORE_PASSWORD", "wrong"),
        "LOBBY_CLUSTER_TLS_KEYSTORE_PASSWORD",
        "does not open");
    assertRefused(
        tls("LOBBY_CLUSTER_TLS_TRUSTSTORE_PASSWORD", ""),
        "LOBBY_CLUSTER_TLS_TRUSTSTORE_PASSWORD",
        "has no password");
    // A trust store that holds a key only is no trust store.
    assertRefused(
        tls("LOBBY_CLUSTER_TLS_KEYSTORE", nodeTrust.toString()),
        "LOBBY_CLUSTER_TLS_KEYSTORE",
        "holds no private key");
    assertRefused(tls("LOBBY_CLUSTER_TLS", "maybe"), "LOBBY_CLUSTER_TLS", "on or off");
  }

  private static void assertRefused(Map<String, String> env, String names, String says) {
    ConfigException refused = assertThrows(ConfigException.class, () -> configuration(env));
    assertTrue(refused.getMessage().contains(names), refused.getMessage());
    assertTrue(refused.getMessage().contains(says), refused.getMessage());
  }

  @Test
  void twoNodesOfTheExampleConfigurationFormAClusterOverTls() throws Exception {
    int first = freePort();
    int second = freePort();
    List<ActorSystem<Void>> systems = new ArrayList<>();
    try {
      for (Map<String, String> env :
          List.of(
              tls("LOBBY_CLUSTER_PORT", String.valueOf(first)),
              tls(
                  "LOBBY_CLUSTER_PORT", String.valueOf(second),
                  "LOBBY_SEED_NODES", "pekko://lobby@127.0.0.1:" + first))) {
        Config config =
            ConfigFactory.parseString("pekko.cluster.jmx.multi-mbeans-in-same-jvm = on")
                .withFallback(configuration(env));
        systems.add(ActorSystem.create(Behaviors.empty(), "lobby", config));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!systems.stream().allMatch(s -> upMembers(s) == 2)) {
        assertTrue(System.nanoTime() < deadline, "the two nodes formed a cluster within 30 s");
        Thread.sleep(100);
      }
    } finally {
      systems.forEach(ActorSystem::terminate);
      for (ActorSystem<Void> system : systems) {
        // Bounded, and not what this test is about: nodes that never met take their shutdown
        // phases' timeouts to leave.
        try {
          system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          // left to the JVM's end
        }
      }
    }
  }

  private static long upMembers(ActorSystem<?> system) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up())
        .count();
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static void keytool(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "keytool finished");
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.exitValue(), "keytool " + String.join(" ", args) + ": " + output);
  }
}
