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

    HttpSettings configured = HttpSettings.fromConfig(with("lobby.http.admin-token = s3cret"));
    assertSame(configured, configured.withGeneratedAdminToken());
    assertEquals("s3cret", configured.adminToken());
    assertFalse(configured.adminTokenGenerated());
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
