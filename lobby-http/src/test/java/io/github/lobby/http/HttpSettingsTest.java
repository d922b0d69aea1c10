package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.LobbySettings;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/**
 * {@code HttpSettings.fromConfig} reads configuration and nothing else; the admin token is
 * generated where a server starts; unknown {@code lobby.http} keys fail at start.
 */
class HttpSettingsTest {

  private static Config with(String overrides) {
    return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()).resolve();
  }

  @Test
  void fromConfigGeneratesNothingTheSameConfigGivesEqualSettings() {
    Config config = with("lobby.http.admin-token = \"\"");
    HttpSettings first = HttpSettings.fromConfig(config);
    assertEquals(first, HttpSettings.fromConfig(config));
    assertEquals("", first.adminToken());
    assertFalse(first.adminTokenGenerated());
  }

  @Test
  void aTokenIsGeneratedOnlyWhenNoneIsConfigured() {
    HttpSettings unset = HttpSettings.fromConfig(with("lobby.http.admin-token = \"\""));
    HttpSettings generated = unset.withGeneratedAdminToken();
    assertTrue(generated.adminTokenGenerated());
    assertTrue(generated.adminToken().length() >= 32, generated.adminToken());
    assertNotEquals(generated.adminToken(), unset.withGeneratedAdminToken().adminToken());
    assertSame(generated, generated.withGeneratedAdminToken(), "generated once, then kept");
    assertEquals(unset.port(), generated.port());

    HttpSettings configured =
        HttpSettings.fromConfig(with("lobby.http.admin-token = s3cret-s3cret-s3cret"));
    assertSame(configured, configured.withGeneratedAdminToken());
    assertEquals("s3cret-s3cret-s3cret", configured.adminToken());
    assertFalse(configured.adminTokenGenerated());
  }

  @Test
  void aConfiguredAdminTokenUnderSixteenCharactersFailsWithoutQuotingIt() {
    // 15 characters: refused, and the message names the key and the length, not the token.
    ConfigException e =
        assertThrows(
            ConfigException.BadValue.class,
            () -> HttpSettings.fromConfig(with("lobby.http.admin-token = sh0rt-t0ken-15c")));
    assertTrue(e.getMessage().contains("lobby.http.admin-token"), e.getMessage());
    assertTrue(e.getMessage().contains("at least 16 characters"), e.getMessage());
    assertTrue(e.getMessage().contains("was 15"), e.getMessage());
    assertFalse(e.getMessage().contains("sh0rt-t0ken-15c"), e.getMessage());
    // Characters, not bytes or UTF-16 units: 15 emoji are 30 chars in Java and still too short.
    String emoji = "\uD83D\uDE00".repeat(15);
    assertThrows(
        ConfigException.BadValue.class,
        () -> HttpSettings.fromConfig(with("lobby.http.admin-token = \"" + emoji + "\"")));

    // 16 is enough; unset (blank) still means generated.
    assertEquals(
        "exactly-16-chars",
        HttpSettings.fromConfig(with("lobby.http.admin-token = exactly-16-chars")).adminToken());
    assertEquals(
        "", HttpSettings.fromConfig(with("lobby.http.admin-token = \"  \"")).adminToken().strip());

    // Settings made in code are held to the same rule.
    HttpSettings ok = HttpSettings.fromConfig(with("lobby.http.admin-token = exactly-16-chars"));
    IllegalArgumentException direct =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new HttpSettings(
                    ok.host(),
                    ok.port(),
                    "short",
                    false,
                    ok.statisticsRoom(),
                    ok.maxBody(),
                    ok.askTimeout(),
                    ok.closeTimeout(),
                    ok.shutdownTimeout(),
                    ok.unbindDelay(),
                    ok.maxConnections(),
                    ok.backlog(),
                    ok.allowedOrigins(),
                    ok.maxConnectionsPerIp(),
                    ok.metricsPublic(),
                    ok.tls()));
    assertTrue(direct.getMessage().contains("at least 16 characters"), direct.getMessage());
  }

  @Test
  void aServerWithAShortAdminTokenDoesNotStart() {
    Config config = with("lobby.http { host = 127.0.0.1, port = 0, admin-token = too-short }");
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "short-admin-token", config);
    try {
      ConfigException e =
          assertThrows(
              ConfigException.class, () -> LobbyServer.builder(system).config(config).start());
      assertTrue(e.getMessage().contains("lobby.http.admin-token"), e.getMessage());
    } finally {
      system.terminate();
    }
  }

  @Test
  void anHttpKeyIsKnownWithLobbyHttpThereAMisspeltOneIsNot() {
    // lobby-http and lobby-core on the class path: their keys pass, a misspelt one fails.
    LobbySettings.checkKeys(with("lobby.http.port = 9000\nlobby.max-sessions = 3"));
    ConfigException e =
        assertThrows(
            ConfigException.ValidationFailed.class,
            () -> LobbySettings.checkKeys(with("lobby.http.max-conections = 10")));
    assertTrue(e.getMessage().contains("unknown key lobby.http.max-conections"), e.getMessage());
  }

  @Test
  void aServerWithAnUnknownKeyDoesNotStart() {
    Config config = with("lobby.http.port = 0\nlobby.http.alowed-origins = []");
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "settings-test", config);
    try {
      ConfigException e =
          assertThrows(
              ConfigException.class,
              () -> LobbyServer.builder(system).config(config).start());
      assertTrue(e.getMessage().contains("lobby.http.alowed-origins"), e.getMessage());
    } finally {
      system.terminate();
    }
  }
}
