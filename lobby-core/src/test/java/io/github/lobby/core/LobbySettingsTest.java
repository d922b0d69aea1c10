package io.github.lobby.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Reading the {@code lobby} section: unknown keys fail at start, naming the key. */
class LobbySettingsTest {

  private static Config with(String overrides) {
    return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()).resolve();
  }

  @Test
  void knownKeysAreReadWithTheirValues() {
    LobbySettings settings =
        LobbySettings.fromConfig(with("lobby.client-timeout = 7s\nlobby.max-sessions = 12"));
    assertEquals(Duration.ofSeconds(7), settings.clientTimeout());
    assertEquals(12, settings.maxSessions());
    assertEquals(Integer.MAX_VALUE, LobbySettings.fromConfig(with("")).maxSessions());
  }

  @Test
  void aByteRateBelowTheLargestMessageFailsNamingBoth() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                LobbySettings.fromConfig(
                    with("lobby.max-inbound-bytes-per-second = 4 KiB\nlobby.max-message-bytes = 64 KiB")));
    assertTrue(e.getMessage().contains("max-inbound-bytes-per-second (4096)"), e.getMessage());
    assertTrue(e.getMessage().contains("max-message-bytes (65536)"), e.getMessage());
    LobbySettings.fromConfig(with("lobby.max-inbound-bytes-per-second = 64 KiB")); // equal is fine
  }

  @Test
  void theResumptionGraceIsOffByDefaultAndReadWhenSet() {
    LobbySettings.Resumption off = LobbySettings.fromConfig(with("")).resumption();
    assertEquals(Duration.ZERO, off.grace());
    assertEquals(10_000, off.maxDetached());
    assertFalse(off.on());
    LobbySettings.Resumption on =
        LobbySettings.fromConfig(with("lobby.resumption { grace = 30s, max-detached = 5 }"))
            .resumption();
    assertEquals(new LobbySettings.Resumption(Duration.ofSeconds(30), 5, 256), on);
    assertTrue(on.on());
    assertEquals(
        Duration.ofHours(1),
        LobbySettings.fromConfig(with("lobby.resumption.grace = 1h")).resumption().grace());
  }

  @Test
  void aResumptionGraceOutOfRangeOrNoDetachedSessionsFailsNamingTheKey() {
    for (String bad : new String[] {"-1s", "61m", "2h"}) {
      ConfigException e =
          assertThrows(
              ConfigException.class,
              () -> LobbySettings.fromConfig(with("lobby.resumption.grace = " + bad)));
      assertTrue(
          e.getMessage().contains("resumption.grace must be 0s (off) to 1h, was "), e.getMessage());
    }
    assertTrue(
        assertThrows(
                ConfigException.class,
                () -> LobbySettings.fromConfig(with("lobby.resumption.grace = 2h")))
            .getMessage()
            .endsWith("was 7200s"));
    ConfigException none =
        assertThrows(
            ConfigException.class,
            () ->
                LobbySettings.fromConfig(
                    with("lobby.resumption { grace = 10s, max-detached = 0 }")));
    assertTrue(
        none.getMessage().contains("resumption.max-detached must be at least 1, was 0"),
        none.getMessage());
    assertThrows(
        ConfigException.class,
        () -> LobbySettings.fromConfig(with("lobby.resumption.grace = soon")));
  }

  @Test
  void theBuilderStartsFromTheReferenceAndChecksWhatItBuilds() {
    assertEquals(LobbySettings.fromConfig(with("")), LobbySettings.builder().build());
    LobbySettings built =
        LobbySettings.builder().clientTimeout(Duration.ofSeconds(7)).maxSessions(12).build();
    assertEquals(
        LobbySettings.fromConfig(with("lobby.client-timeout = 7s\nlobby.max-sessions = 12")), built);
    assertEquals(built, built.toBuilder().build());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LobbySettings.builder().inboundWindow(0).build());
    assertTrue(e.getMessage().contains("inbound-window must be at least 1"), e.getMessage());
  }

  @Test
  void aMisspeltKeyFailsNamingItAndWhereItWasSet() {
    ConfigException.ValidationFailed e =
        assertThrows(
            ConfigException.ValidationFailed.class,
            () -> LobbySettings.fromConfig(with("lobby.heartbeat-intervall = 5s")));
    assertTrue(e.getMessage().contains("unknown key lobby.heartbeat-intervall"), e.getMessage());
    assertTrue(e.getMessage().contains("String: 1"), "the origin of the setting: " + e.getMessage());
    assertEquals(1, count(e), e.getMessage());
  }

  @Test
  void aMisspeltKeyGivenAsASystemPropertyFailsToo() {
    System.setProperty("lobby.heartbeat-intrval", "5s");
    ConfigFactory.invalidateCaches();
    try {
      ConfigException.ValidationFailed e =
          assertThrows(
              ConfigException.ValidationFailed.class,
              () -> LobbySettings.fromConfig(ConfigFactory.load()));
      assertTrue(e.getMessage().contains("unknown key lobby.heartbeat-intrval"), e.getMessage());
    } finally {
      System.clearProperty("lobby.heartbeat-intrval");
      ConfigFactory.invalidateCaches();
    }
    LobbySettings.checkKeys(ConfigFactory.load());
  }

  @Test
  void everyUnknownKeyIsNamedAtOnceNestedOnesToo() {
    ConfigException.ValidationFailed e =
        assertThrows(
            ConfigException.ValidationFailed.class,
            () ->
                LobbySettings.checkKeys(
                    with("lobby.cluster.resync-intervall = 1s\nlobby.outbound-bufer = 3")));
    assertTrue(e.getMessage().contains("lobby.cluster.resync-intervall"), e.getMessage());
    assertTrue(e.getMessage().contains("lobby.outbound-bufer"), e.getMessage());
    assertEquals(2, count(e), e.getMessage());
  }

  @Test
  void aKeyOfAModuleNotOnTheClassPathIsUnknown() {
    // lobby-core's tests have neither lobby-http nor lobby-cluster on the class path.
    ConfigException.ValidationFailed e =
        assertThrows(
            ConfigException.ValidationFailed.class,
            () -> LobbySettings.checkKeys(with("lobby.http.port = 9000")));
    assertTrue(e.getMessage().contains("lobby.http.port"), e.getMessage());
  }

  @Test
  void aKnownKeyOfTheWrongTypeFails() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> LobbySettings.checkKeys(with("lobby.cluster = 3")));
    assertTrue(e.getMessage().contains("lobby.cluster"), e.getMessage());
  }

  private static long count(ConfigException.ValidationFailed e) {
    long n = 0;
    for (ConfigException.ValidationProblem ignored : e.problems()) {
      n++;
    }
    return n;
  }
}
