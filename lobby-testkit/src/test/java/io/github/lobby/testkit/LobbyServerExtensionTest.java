package io.github.lobby.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.Payload;
import io.github.lobby.core.RoomId;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** One server for the class (static field), real sockets, the testkit client in both modes. */
class LobbyServerExtensionTest {

  @RegisterExtension
  static final LobbyServerExtension server =
      LobbyServerExtension.create().withConfig("lobby.max-message-bytes = 1 KiB");

  @Test
  void bindsAFreePortOnLoopbackWithTheKnownToken() {
    assertTrue(server.port() > 0);
    assertEquals("127.0.0.1", server.server().localAddress().getAddress().getHostAddress());
    assertEquals("ws://127.0.0.1:" + server.port() + "/room", server.ws("/room").toString());
    assertEquals(LobbyServerExtension.ADMIN_TOKEN, server.adminToken());
    assertEquals(200, server.adminGet("/rooms").statusCode());
    assertEquals(401, server.get("/rooms").statusCode());
  }

  @Test
  void classicAndJsonClientsShareARoom() {
    try (TestClient classic = server.connect("shared");
        TestClient json = server.connectJson("shared")) {
      String classicId = classic.welcomeId();
      String jsonId = json.welcomeId();
      assertEquals("", classic.subprotocol());
      assertEquals(TestClient.JSON_SUBPROTOCOL, json.subprotocol());
      classic.expect(jsonId + " just joined!");

      json.sendJson(Map.of("type", "message", "msg", "hi"));
      JsonNode message = json.nextJson("message");
      assertEquals(jsonId, message.get("id").asText());
      assertEquals("hi", message.get("msg").asText());
      assertEquals(
          "{\"id\":\"" + jsonId + "\",\"msg\":\"hi\",\"room_id\":\"shared\"}", classic.next());

      classic.send("\\w " + jsonId + " psst");
      assertEquals(classicId, json.nextJson("whisper").get("id").asText());

      byte[] bytes = "bytes".getBytes(StandardCharsets.UTF_8);
      classic.sendBinary(bytes);
      assertArrayEquals(bytes, classic.nextBinary(), "binary is echoed to its sender");
      json.expectNothing(Duration.ofMillis(200));
    }
  }

  @Test
  void aTooLargeMessageClosesWith1009() {
    TestClient client = server.connect("large");
    client.welcomeId();
    client.send("x".repeat(2048));
    assertEquals(1009, client.awaitClose(Duration.ofSeconds(10)));
  }

  @Test
  void anApplicationPublishesThroughTheNarrowedLobby() {
    try (TestClient reader = server.connectJson("news")) {
      reader.welcomeId();
      ActorSystem<Void> system = server.system();
      TestProbe<Lobby.Published> published = TestProbe.create(system);
      server
          .lobby()
          .tell(
              new Lobby.Publish(
                  new RoomId("news"), new Payload.Json("{\"n\":1}"), published.ref()));
      assertEquals(1, published.receiveMessage().delivered());
      JsonNode push = reader.nextJson("message");
      assertEquals(1, push.get("msg").get("n").asInt());

      HttpResponse<String> admin = server.adminPost("/rooms/news/messages", "{\"n\":2}");
      assertEquals(200, admin.statusCode(), admin.body());
      assertEquals(2, reader.nextJson("message").get("msg").get("n").asInt());
    }
  }
}
