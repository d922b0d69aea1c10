package io.github.lobby.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Many sessions, many rooms, every broadcast delivered once and in each sender's order. */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
class FanOutTest {

  @JUnit5TestKit
  ActorTestKit testKit =
      new JUnit5TestKitBuilder()
          .withCustomConfig(ConfigFactory.parseString("pekko.loglevel = INFO"))
          .build();

  static final int ROOMS = 10;
  static final int PER_ROOM = 100;
  static final int BROADCASTS = 20;

  /** Collects text frames in arrival order; never full. */
  /** What one member was sent: every event, and how many of them were messages. */
  static final class Collected {
    final ConcurrentLinkedQueue<ClientEvent> events = new ConcurrentLinkedQueue<>();
    final AtomicInteger messages = new AtomicInteger();
    final Transport transport =
        Transport.textSink(
            frame -> {
              events.add(frame.event());
              if (frame.event() instanceof ClientEvent.Message) {
                messages.incrementAndGet();
              }
            });
  }

  record Member(SessionId id, RoomId room, Collected transport,
      ActorRef<Session.Command> session) {}

  @Test
  void everyMemberGetsEveryBroadcastOfItsRoomOnceInEachSendersOrder() {
    LobbySettings settings =
        LobbySettings.builder()
            .heartbeatInterval(Duration.ofHours(1))
            .clientTimeout(Duration.ofHours(2))
            .build();
    ActorRef<Lobby.Command> lobby = testKit.spawn(Lobby.create(settings, TestCodec.CODECS));
    TestProbe<ActorRef<Session.Command>> reply = testKit.createTestProbe();
    List<Member> members = new ArrayList<>();
    for (int r = 0; r < ROOMS; r++) {
      RoomId room = new RoomId("room-" + r);
      for (int i = 0; i < PER_ROOM; i++) {
        Collected transport = new Collected();
        SessionId id = SessionId.random();
        lobby.tell(new Lobby.Connect(id, room, Mode.CLASSIC, transport.transport, reply.ref()));
        members.add(new Member(id, room, transport, reply.receiveMessage()));
      }
    }
    // Every member must have seen the whole room before anyone sends.
    reply.awaitAssert(
        Duration.ofSeconds(20),
        () -> {
          for (Member m : members) {
            assertTrue(m.transport().events.size() >= 1);
          }
          return null;
        });
    Member last = members.get(members.size() - 1);
    reply.awaitAssert(
        () -> {
          assertEquals(1 + PER_ROOM - 1, members.get(members.size() - PER_ROOM).transport().events.size());
          return null;
        });

    for (int n = 0; n < BROADCASTS; n++) {
      for (Member m : members) {
        m.session().tell(new Session.ClientText(m.id() + " " + n));
      }
    }

    int expectedPerMember = PER_ROOM * BROADCASTS;
    reply.awaitAssert(
        Duration.ofSeconds(60),
        () -> {
          for (Member m : members) {
            assertEquals(expectedPerMember, m.transport().messages.get());
          }
          return null;
        });
    Map<SessionId, RoomId> roomOf = new HashMap<>();
    members.forEach(m -> roomOf.put(m.id(), m.room()));
    for (Member m : members) {
      Map<SessionId, Integer> nextFrom = new HashMap<>();
      for (ClientEvent event : m.transport().events) {
        if (event instanceof ClientEvent.Message message) {
          assertEquals(m.room(), message.room());
          assertEquals(m.room(), roomOf.get(message.from()), "a message from another room");
          int expected = nextFrom.getOrDefault(message.from(), 0);
          String text = ((Payload.Text) message.msg()).value();
          assertEquals(message.from() + " " + expected, text, "out of order or duplicated");
          nextFrom.put(message.from(), expected + 1);
        }
      }
      assertEquals(PER_ROOM, nextFrom.size());
      nextFrom.values().forEach(count -> assertEquals(BROADCASTS, count));
    }
    assertTrue(last.transport().messages.get() > 0);
  }
}
