package io.github.lobby.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** When the federation warns that the cluster port is open to whoever reaches it. */
class ClusterTransportTest {

  private static Config config(String settings) {
    return ConfigFactory.parseString(settings).withFallback(ConfigFactory.defaultReference());
  }

  @Test
  void plainTcpBeyondThisMachineIsWarnedOf() {
    Optional<String> warning =
        ClusterTransport.warning(
            config("pekko.remote.artery.transport = tcp"), "10.1.2.3", 2552, false);
    assertTrue(warning.isPresent());
    assertTrue(warning.get().contains("10.1.2.3:2552"), warning.get());
    assertTrue(
        warning.get().contains("must not be reachable from untrusted networks"), warning.get());
    assertTrue(warning.get().contains("without TLS"), warning.get());
  }

  @Test
  void aLoopbackPortIsNot() {
    assertEquals(
        Optional.empty(),
        ClusterTransport.warning(
            config("pekko.remote.artery.transport = tcp"), "127.0.0.1", 2552, true));
  }

  @Test
  void tlsWithMutualAuthenticationIsNot() {
    assertEquals(
        Optional.empty(),
        ClusterTransport.warning(
            config("pekko.remote.artery.transport = tls-tcp"), "10.1.2.3", 2552, false));
  }

  @Test
  void tlsWithoutMutualAuthenticationIs() {
    Optional<String> warning =
        ClusterTransport.warning(
            config(
                """
                pekko.remote.artery.transport = tls-tcp
                pekko.remote.artery.ssl.config-ssl-engine.require-mutual-authentication = off
                """),
            "10.1.2.3",
            2552,
            false);
    assertTrue(warning.isPresent());
    assertTrue(warning.get().contains("without mutual authentication"), warning.get());
  }

  @Test
  void thePortListensOnTheBindHostWhenOneIsSet() {
    assertEquals("127.0.0.1", ClusterTransport.listenHost(config(""), "127.0.0.1"));
    assertEquals(
        "0.0.0.0",
        ClusterTransport.listenHost(
            config("pekko.remote.artery.bind.hostname = \"0.0.0.0\""), "127.0.0.1"));
  }

  @Test
  void loopbackAddressesAreTold() {
    assertTrue(ClusterTransport.loopback("127.0.0.1"));
    assertTrue(ClusterTransport.loopback("::1"));
    assertTrue(ClusterTransport.loopback("localhost"));
    assertFalse(ClusterTransport.loopback("0.0.0.0"));
    assertFalse(ClusterTransport.loopback("10.1.2.3"));
    assertFalse(ClusterTransport.loopback(""));
  }
}
