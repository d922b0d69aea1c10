package io.github.lobby.http.internal.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link HeadGuard#fromConfig}: the defaults of reference.conf, and bad values refused at start. */
class HeadGuardConfigTest {

  @Test
  void theDefaultsAreTenSecondsSixteenKibAndThirtyTwoMib() {
    HeadGuard guard = HeadGuard.fromConfig(ConfigFactory.load());
    assertEquals(Duration.ofSeconds(10), guard.headTimeout());
    assertEquals(16 * 1024, guard.maxHead());
    assertEquals(32L * 1024 * 1024, guard.budget().capacity());
  }

  private static ConfigException.BadValue refused(String config) {
    return assertThrows(
        ConfigException.BadValue.class,
        () ->
            HeadGuard.fromConfig(
                ConfigFactory.parseString(config).withFallback(ConfigFactory.load())));
  }

  @Test
  void badValuesAreRefused() {
    assertTrue(refused("lobby.http.request-head-timeout = 0s").getMessage().contains("request-head-timeout"));
    assertTrue(refused("lobby.http.max-request-head = 100").getMessage().contains("max-request-head"));
    assertTrue(
        refused("lobby.http { max-request-head = 64 KiB, head-buffer-budget = 32 KiB }")
            .getMessage()
            .contains("head-buffer-budget"));
  }
}
