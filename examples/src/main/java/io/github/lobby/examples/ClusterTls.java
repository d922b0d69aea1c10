package io.github.lobby.examples;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.io.File;
import java.security.KeyStore;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;

/**
 * The example server's TLS between cluster nodes: {@code LOBBY_CLUSTER_TLS=on} switches Artery to
 * its {@code tls-tcp} transport, whose key store and trust store {@code application.conf} takes
 * from {@code LOBBY_CLUSTER_TLS_KEYSTORE}, {@code LOBBY_CLUSTER_TLS_TRUSTSTORE} and their {@code
 * _PASSWORD}s. Before the ActorSystem starts, both stores must open with their passwords, the key
 * store must hold a key and the trust store a certificate: otherwise the server does not start,
 * and says which one is wrong.
 */
final class ClusterTls {

  private static final String ENGINE = "pekko.remote.artery.ssl.config-ssl-engine.";

  private ClusterTls() {}

  /**
   * Whether {@code LOBBY_CLUSTER_TLS} is on: {@code on}, {@code true} or {@code yes}; off when
   * unset, {@code off}, {@code false} or {@code no}.
   *
   * @throws ConfigException.Generic for any other value
   */
  static boolean on(Map<String, String> env) {
    String value = env.getOrDefault("LOBBY_CLUSTER_TLS", "off").strip().toLowerCase(Locale.ROOT);
    return switch (value) {
      case "on", "true", "yes" -> true;
      case "off", "false", "no", "" -> false;
      default ->
          throw new ConfigException.Generic(
              "LOBBY_CLUSTER_TLS must be on or off, was " + env.get("LOBBY_CLUSTER_TLS"));
    };
  }

  /**
   * Checks the stores of Artery's {@code ConfigSSLEngineProvider} (another provider checks its
   * own).
   *
   * @throws ConfigException.Generic naming the store, its environment variable and what is wrong
   */
  static void checkStores(Config config) {
    String provider = config.getString("pekko.remote.artery.ssl.ssl-engine-provider");
    if (!provider.equals("org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider")) {
      return;
    }
    KeyStore keys =
        open(config, "key-store", "LOBBY_CLUSTER_TLS_KEYSTORE", "this node's key and certificate");
    if (!holds(keys, true)) {
      throw problem(config, "key-store", "LOBBY_CLUSTER_TLS_KEYSTORE", "holds no private key");
    }
    KeyStore trust =
        open(config, "trust-store", "LOBBY_CLUSTER_TLS_TRUSTSTORE", "the certificates it accepts");
    if (!holds(trust, false)) {
      throw problem(config, "trust-store", "LOBBY_CLUSTER_TLS_TRUSTSTORE", "holds no certificate");
    }
  }

  /** Opens the store at {@code ENGINE + key} with {@code ENGINE + key-password}. */
  private static KeyStore open(Config config, String key, String variable, String what) {
    String path = config.getString(ENGINE + key);
    if (path.isBlank()) {
      throw new ConfigException.Generic(
          "LOBBY_CLUSTER_TLS is on, but no "
              + key
              + " is set: set "
              + variable
              + " ("
              + ENGINE
              + key
              + ") to a PKCS12 or JKS file with "
              + what
              + " (docs/DEPLOYING.md, TLS between cluster nodes)");
    }
    File file = new File(path);
    if (!file.isFile() || !file.canRead()) {
      throw problem(config, key, variable, "is not a readable file");
    }
    String password = config.getString(ENGINE + key + "-password");
    if (password.isEmpty()) {
      throw problem(
          config, key, variable, "has no password: set " + variable + "_PASSWORD");
    }
    try {
      return KeyStore.getInstance(file, password.toCharArray());
    } catch (Exception e) {
      throw problem(
          config,
          key,
          variable,
          "does not open with " + variable + "_PASSWORD: " + e.getMessage());
    }
  }

  /** Whether the store holds a key (with its certificate), or a trusted certificate. */
  private static boolean holds(KeyStore store, boolean key) {
    try {
      for (String alias : Collections.list(store.aliases())) {
        if (key ? store.isKeyEntry(alias) : store.getCertificate(alias) != null) {
          return true;
        }
      }
      return false;
    } catch (java.security.KeyStoreException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ConfigException problem(
      Config config, String key, String variable, String what) {
    return new ConfigException.Generic(
        "The cluster's "
            + key
            + " "
            + config.getString(ENGINE + key)
            + " ("
            + variable
            + ", "
            + ENGINE
            + key
            + ") "
            + what);
  }
}
