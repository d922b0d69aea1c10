package io.github.lobby.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Mode;
import io.github.lobby.core.RoomId;
import io.github.lobby.http.LobbyRoutes;
import io.github.lobby.testkit.LobbyServerExtension;
import io.github.lobby.testkit.ProbeTransport;
import io.github.lobby.testkit.TestClient;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The embedding example's publisher tested the way an application tests its own code with
 * {@code lobby-testkit}: over a real server and socket, and against the actors alone. The testing
 * section of docs/EMBEDDING.md quotes both regions.
 */
class StatisticsPublisherTest {

  // README:begin extension
  @RegisterExtension
  static final LobbyServerExtension server =
      LobbyServerExtension.create().withConfig("lobby.heartbeat-interval = 1s");

  @Test
  void aBrowserInTheRoomReceivesEachBatch() {
    try (TestClient browser = server.connectJson("dailyNews")) {
      browser.welcomeId();
      // server.lobby() accepts what an application may send: Publish, GetRoom, ListRooms, GetStats
      server
          .system()
          .systemActorOf(
              StatisticsPublisher.create(
                  server.lobby(), new RoomId("dailyNews"), Duration.ofMillis(100)),
              "statistics",
              Props.empty());
      JsonNode batch = browser.nextJson("message");
      assertEquals("dailyNews", batch.get("room_id").asText());
      assertEquals(3, batch.get("msg").size());
      assertEquals(200, server.adminGet("/rooms/dailyNews").statusCode());
    }
  }
  // README:end

  // README:begin probe
  static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aMemberReceivesEachBatchWithoutANetwork() {
    ActorRef<Lobby.Command> lobby =
        testKit.spawn(
            Lobby.create(LobbySettings.fromConfig(ConfigFactory.load()), LobbyRoutes.codecs()));
    ProbeTransport member = ProbeTransport.create(testKit);
    member.connect(lobby, new RoomId("dailyNews"), Mode.JSON);
    member.expectEvent(ClientEvent.Welcome.class);

    testKit.spawn(
        StatisticsPublisher.create(lobby.narrow(), new RoomId("dailyNews"), Duration.ofMillis(100)));
    ProbeTransport.Sent sent = member.probe().expectMessageClass(ProbeTransport.Sent.class);
    assertInstanceOf(ClientEvent.Message.class, sent.event());
    assertTrue(sent.text().contains("\"product_line\":\"savings\""), sent.text());
  }
  // README:end
}
