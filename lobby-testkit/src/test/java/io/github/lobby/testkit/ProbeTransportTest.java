package io.github.lobby.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Mode;
import io.github.lobby.core.Resume;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.Session;
import io.github.lobby.core.SessionId;
import io.github.lobby.http.LobbyRoutes;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The probe transport against a real Lobby with the real wire codecs, no network. */
class ProbeTransportTest {

  static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private final ActorRef<Lobby.Command> lobby =
      testKit.spawn(
          Lobby.create(LobbySettings.fromConfig(ConfigFactory.load()), LobbyRoutes.codecs()));

  @Test
  void reportsTheFramesOfASessionInOrderWithTheirWireText() {
    RoomId room = new RoomId("probe");
    ProbeTransport alice = ProbeTransport.create(testKit);
    SessionId aliceId = SessionId.random();
    ActorRef<Session.Command> aliceSession = alice.connect(lobby, aliceId, room, Mode.JSON);
    assertEquals(
        new ClientEvent.Welcome(aliceId, room, List.of(aliceId)),
        alice.expectEvent(ClientEvent.Welcome.class));

    ProbeTransport bob = ProbeTransport.create(testKit);
    bob.connect(lobby, room, Mode.CLASSIC);
    String bobWelcome = bob.expectText();
    assertTrue(bobWelcome.startsWith("your id is "), bobWelcome);
    ClientEvent.Joined joined = alice.expectEvent(ClientEvent.Joined.class);

    aliceSession.tell(new Session.ClientText("{\"type\":\"message\",\"msg\":\"hi\"}"));
    ClientEvent.Message message = alice.expectEvent(ClientEvent.Message.class);
    assertEquals(aliceId, message.from());
    assertEquals(
        "{\"id\":\"" + aliceId + "\",\"msg\":\"hi\",\"room_id\":\"probe\"}",
        bob.expectText(),
        "the classic rendering");
    alice.awaitAcknowledged(1);
    assertEquals(joined.id().toString(), bobWelcome.substring("your id is ".length()));

    aliceSession.tell(new Session.ClientBinary(ByteString.fromString("raw")));
    assertEquals(ByteString.fromString("raw"), alice.expectBinary(), "echoed to its sender");
    bob.expectNothing();
  }

  @Test
  void aLostConnectionIsResumedWithItsKeyAndTheRoomSeesNothing() {
    ActorRef<Lobby.Command> resuming =
        testKit.spawn(
            Lobby.create(
                LobbySettings.fromConfig(
                    ConfigFactory.parseString("lobby.resumption.grace = 1m")
                        .withFallback(ConfigFactory.load())),
                LobbyRoutes.codecs()));
    RoomId room = new RoomId("flap");
    ProbeTransport witness = ProbeTransport.create(testKit);
    witness.connect(resuming, room, Mode.JSON);
    witness.expectEvent(ClientEvent.Welcome.class);
    ProbeTransport phone = ProbeTransport.create(testKit);
    ActorRef<Session.Command> session = phone.connect(resuming, room, Mode.JSON);
    ClientEvent.Welcome welcome = phone.expectEvent(ClientEvent.Welcome.class);
    witness.expectEvent(ClientEvent.Joined.class);

    phone.answer(ProbeTransport.Answer.CLOSED);
    session.tell(new Session.TransportLost("connection reset"));
    ProbeTransport back = ProbeTransport.create(testKit);
    back.resume(resuming, room, new Resume(welcome.id(), welcome.resumeKey()));
    ClientEvent.Welcome again = back.expectEvent(ClientEvent.Welcome.class);
    assertEquals(welcome.id(), again.id());
    assertEquals(Boolean.TRUE, again.resumed());
    witness.expectNothing();
  }

  @Test
  void aFullQueueClosesTheSessionAsASlowConsumer() {
    RoomId room = new RoomId("slow");
    ProbeTransport slow = ProbeTransport.create(testKit);
    slow.connect(lobby, room, Mode.JSON);
    slow.expectEvent(ClientEvent.Welcome.class);
    slow.answer(ProbeTransport.Answer.FULL);

    ProbeTransport other = ProbeTransport.create(testKit);
    other.connect(lobby, room, Mode.JSON);
    ProbeTransport.Closed closed = slow.expectClosed(1008);
    assertEquals("slow consumer", closed.reason());
    assertTrue(closed.now(), "a client that does not read loses what was queued");
  }
}
