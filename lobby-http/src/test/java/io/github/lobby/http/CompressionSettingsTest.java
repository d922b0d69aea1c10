package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.Federation;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbySettings;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.Test;

/** {@code lobby.compression}: its defaults, its checks, and the builders' option. */
class CompressionSettingsTest {

  private static CompressionSettings read(String config) {
    return CompressionSettings.fromConfig(
        ConfigFactory.parseString(config).withFallback(ConfigFactory.load()));
  }

  @Test
  void theDefaultsAreOnFrom512BytesTextOnlyAtLevel6() {
    assertEquals(CompressionSettings.DEFAULT, read(""));
    assertEquals(new CompressionSettings(true, 512, false, 6, false), read(""));
  }

  @Test
  void everyKeyIsRead() {
    assertEquals(
        new CompressionSettings(false, 2048, true, 1, true),
        read(
            "lobby.compression { enabled = off, min-bytes = 2 KiB, binary = on, level = 1,"
                + " client-context-takeover = on }"));
  }

  @Test
  void badValuesAreRefusedWithTheirKey() {
    ConfigException level =
        assertThrows(ConfigException.class, () -> read("lobby.compression.level = 0"));
    assertTrue(level.getMessage().contains("lobby.compression.level"), level.getMessage());
    assertThrows(ConfigException.class, () -> read("lobby.compression.level = 10"));
    ConfigException min =
        assertThrows(ConfigException.class, () -> read("lobby.compression.min-bytes = -1"));
    assertTrue(min.getMessage().contains("min-bytes"), min.getMessage());
    assertThrows(ConfigException.class, () -> read("lobby.compression.enabled = maybe"));
    assertThrows(IllegalArgumentException.class, () -> new CompressionSettings(true, -1, false, 6, false));
    assertThrows(IllegalArgumentException.class, () -> new CompressionSettings(true, 0, false, 10, false));
  }

  @Test
  void theRoutesBuilderOptionWinsOverTheConfiguration() throws Exception {
    Config config =
        ConfigFactory.parseString("pekko.loglevel = WARNING\nlobby.http.admin-token = compression-test-token")
            .withFallback(ConfigFactory.load());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "compression-option", config);
    try {
      ActorRef<Lobby.Command> lobby =
          system.systemActorOf(
              Lobby.create(LobbySettings.fromConfig(config), LobbyRoutes.codecs(), Federation.NONE),
              "lobby",
              Props.empty());
      LobbyRoutes routes =
          LobbyRoutes.builder(system, lobby)
              .config(config)
              .compression(new CompressionSettings(false, 512, false, 6, false))
              .build();
      ServerBinding binding =
          Http.get(system)
              .newServerAt("127.0.0.1", 0)
              .bind(routes.route())
              .toCompletableFuture()
              .join();
      try (RawClient raw =
          new RawClient(
              binding.localAddress().getPort(),
              "/option",
              "Sec-WebSocket-Extensions: permessage-deflate\r\n")) {
        assertTrue(raw.upgraded(), raw.head);
        assertNull(raw.header("Sec-WebSocket-Extensions"), raw.head);
      }
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }
}
