package io.github.lobby.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Key stores and trust stores for TLS between test nodes, made by the JDK's {@code keytool} as an
 * operator would (docs/DEPLOYING.md, TLS between cluster nodes): one self-signed certificate per
 * name, PKCS12 stores.
 */
final class TestCertificates {

  static final String PASSWORD = "test-store-password";

  private TestCertificates() {}

  /**
   * Makes {@code dir/name.p12}, a key store with one new key pair and its self-signed certificate
   * (alias {@code name}), and exports the certificate to {@code dir/name.crt}.
   *
   * @return the key store
   */
  static Path keyStore(Path dir, String name) throws Exception {
    Path store = dir.resolve(name + ".p12");
    keytool(
        "-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
        "-validity", "30", "-dname", "CN=" + name, "-keystore", store.toString(),
        "-storetype", "PKCS12", "-storepass", PASSWORD);
    keytool(
        "-exportcert", "-rfc", "-alias", name, "-keystore", store.toString(),
        "-storepass", PASSWORD, "-file", certificate(dir, name).toString());
    return store;
  }

  /** The certificate that {@link #keyStore} exported for {@code name}. */
  static Path certificate(Path dir, String name) {
    return dir.resolve(name + ".crt");
  }

  /** Makes {@code dir/store.p12}, a trust store with the certificates of {@code names}. */
  static Path trustStore(Path dir, String store, String... names) throws Exception {
    Path path = dir.resolve(store + ".p12");
    for (String name : names) {
      keytool(
          "-importcert", "-noprompt", "-alias", name, "-file", certificate(dir, name).toString(),
          "-keystore", path.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
    }
    return path;
  }

  /** Artery's tls-tcp transport with these stores (both with {@link #PASSWORD}). */
  static Config tls(Path keyStore, Path trustStore, boolean mutualAuthentication) {
    String engine = "pekko.remote.artery.ssl.config-ssl-engine.";
    return ConfigFactory.parseMap(
        Map.of(
            "pekko.remote.artery.transport", "tls-tcp",
            engine + "key-store", keyStore.toString(),
            engine + "key-store-password", PASSWORD,
            engine + "key-password", PASSWORD,
            engine + "trust-store", trustStore.toString(),
            engine + "trust-store-password", PASSWORD,
            engine + "require-mutual-authentication",
                ConfigValueFactory.fromAnyRef(mutualAuthentication)));
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "keytool finished: " + command);
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.exitValue(), "keytool " + String.join(" ", args) + ": " + output);
  }
}
