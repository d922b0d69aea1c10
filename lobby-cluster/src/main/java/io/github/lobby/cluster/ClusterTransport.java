package io.github.lobby.cluster;

import com.typesafe.config.Config;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the cluster port is open to. The messages between nodes carry rooms, users and sessions as
 * the sending node states them, and any process that speaks Pekko's remoting to the cluster port
 * can join as a node: without TLS with mutual authentication, whoever reaches the port can read
 * every room and send as any user. Checked once as the federation starts, with a warning when the
 * port listens beyond this machine without that protection.
 */
final class ClusterTransport {

  private static final Logger log = LoggerFactory.getLogger(ClusterTransport.class);

  private static final String ARTERY = "pekko.remote.artery.";

  private static final String CONFIG_SSL_ENGINE =
      "org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider";

  private ClusterTransport() {}

  /** Logs {@link #warning} for this system's cluster port, if there is one. */
  static void warnIfOpen(ActorSystem<?> system) {
    Config config = system.settings().config();
    Address self = Cluster.get(system).selfMember().address();
    String host = listenHost(config, self.getHost().orElse(""));
    int port = self.getPort().orElse(0);
    warning(config, host, port, loopback(host)).ifPresent(log::warn);
  }

  /**
   * The warning for a cluster port on {@code host:port}, or none: none when the nodes speak TLS
   * with mutual authentication, or when the port listens on a loopback address only.
   *
   * @param host the address the port listens on ({@link #listenHost})
   * @param loopback whether {@code host} is a loopback address
   */
  static Optional<String> warning(Config config, String host, int port, boolean loopback) {
    if (loopback) {
      return Optional.empty();
    }
    String where = host + ":" + port;
    String transport = transport(config);
    if (!transport.equals("tls-tcp")) {
      return Optional.of(
          "The cluster port "
              + where
              + " is open without TLS (the transport is "
              + transport
              + "): any host that reaches it can join the cluster as a node, read every room and"
              + " send as any user. The cluster port must not be reachable from untrusted"
              + " networks; between machines, use Artery's tls-tcp transport with mutual"
              + " authentication (docs/DEPLOYING.md, TLS between cluster nodes)");
    }
    if (config.getString(ARTERY + "ssl.ssl-engine-provider").equals(CONFIG_SSL_ENGINE)
        && !config.getBoolean(ARTERY + "ssl.config-ssl-engine.require-mutual-authentication")) {
      return Optional.of(
          "The cluster port "
              + where
              + " speaks TLS without mutual authentication"
              + " (pekko.remote.artery.ssl.config-ssl-engine.require-mutual-authentication = off):"
              + " a host that reaches it can send messages to this node without a certificate."
              + " The cluster port must not be reachable from untrusted networks; turn mutual"
              + " authentication on (docs/DEPLOYING.md, TLS between cluster nodes)");
    }
    return Optional.empty();
  }

  /**
   * The transport between nodes: Artery's {@code pekko.remote.artery.transport} ({@code tcp},
   * {@code tls-tcp} or {@code aeron-udp}), or with classic remoting, {@code tls-tcp} when its only
   * transport is {@code netty.ssl}.
   */
  static String transport(Config config) {
    if (config.getBoolean(ARTERY + "enabled")) {
      return config.getString(ARTERY + "transport");
    }
    List<String> classic = config.getStringList("pekko.remote.classic.enabled-transports");
    return classic.equals(List.of("pekko.remote.classic.netty.ssl"))
        ? "tls-tcp"
        : "classic " + String.join(", ", classic);
  }

  /**
   * The address the cluster port listens on: Artery's {@code bind.hostname} when set, otherwise
   * the canonical host (this node's address, {@code canonical}).
   */
  static String listenHost(Config config, String canonical) {
    if (config.getBoolean(ARTERY + "enabled")) {
      String bind = config.getString(ARTERY + "bind.hostname");
      return bind.isEmpty() ? canonical : bind;
    }
    return canonical;
  }

  /** Whether {@code host} names a loopback address; a name that does not resolve is not one. */
  static boolean loopback(String host) {
    if (host.isEmpty()) {
      return false;
    }
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (java.io.IOException | SecurityException e) {
      return false;
    }
  }
}
