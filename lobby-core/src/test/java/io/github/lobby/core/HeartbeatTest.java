package io.github.lobby.core;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.ProbeTransport.Closed;
import io.github.lobby.core.ProbeTransport.Pinged;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Heartbeat and client timeout on virtual time: interval 5 s, timeout 10 s (the defaults). */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
class HeartbeatTest {

  @JUnit5TestKit
  ActorTestKit testKit =
      new JUnit5TestKitBuilder()
          .withCustomConfig(ManualTime.config().withFallback(ConfigFactory.load()))
          .build();

  static final RoomId ROOM = new RoomId("beat");
  static final Duration INTERVAL = Duration.ofSeconds(5);

  ManualTime time;
  ActorRef<Lobby.Command> lobby;

  @BeforeEach
  void start() {
    time = ManualTime.get(testKit.system());
    LobbySettings settings = LobbySettings.fromConfig(testKit.system().settings().config());
    lobby = testKit.spawn(Lobby.create(settings, TestCodec.CODECS));
  }

  record Client(SessionId id, ProbeTransport transport, ActorRef<Session.Command> session) {}

  Client join() {
    ProbeTransport transport = new ProbeTransport(testKit);
    SessionId id = SessionId.random();
    TestProbe<ActorRef<Session.Command>> reply = testKit.createTestProbe();
    lobby.tell(new Lobby.Connect(id, ROOM, Mode.CLASSIC, transport, reply.ref()));
    ActorRef<Session.Command> session = reply.receiveMessage();
    assertInstanceOf(ClientEvent.Welcome.class, transport.expectEvent());
    return new Client(id, transport, session);
  }

  @Test
  void aPingIsRequestedEveryInterval() {
    Client a = join();
    for (int i = 0; i < 3; i++) {
      time.expectNoMessageFor(INTERVAL.minusMillis(1), a.transport().probe);
      time.timePasses(Duration.ofMillis(1));
      a.transport().probe.expectMessage(Pinged.INSTANCE);
      a.session().tell(Session.ClientPong.INSTANCE);
    }
  }

  @Test
  void aSilentSessionIsClosedWith1001AndItsRoomIsTold() {
    Client silent = join();
    Client other = join();
    silent.transport().expectEvent(); // other joined

    time.timePasses(INTERVAL);
    silent.transport().probe.expectMessage(Pinged.INSTANCE);
    other.transport().probe.expectMessage(Pinged.INSTANCE);
    other.session().tell(Session.ClientPong.INSTANCE);

    time.timePasses(INTERVAL);
    silent.transport().probe.expectMessage(new Closed(CloseCodes.GOING_AWAY, "client timeout"));
    // The other session's own tick fires at the same instant: its Ping and the notice come in
    // either order.
    java.util.List<ProbeTransport.Out> seen = other.transport().probe.receiveSeveralMessages(2);
    org.junit.jupiter.api.Assertions.assertTrue(seen.contains(Pinged.INSTANCE), seen.toString());
    org.junit.jupiter.api.Assertions.assertTrue(
        seen.stream()
            .anyMatch(
                out ->
                    out instanceof ProbeTransport.Sent sent
                        && sent.event()
                            .equals(new ClientEvent.Left(silent.id(), ROOM, LeaveReason.TIMEOUT))),
        seen.toString());
    testKit.createTestProbe().expectTerminated(silent.session());
  }

  @Test
  void aSessionThatJoinsBetweenBeatsGetsAFullTimeoutOfSilence() {
    Client first = join();
    time.timePasses(INTERVAL.dividedBy(2));
    Client late = join();
    first.transport().expectEvent(); // late joined

    // The room beats for both: for the late one the interval was cut short and is not silence.
    time.timePasses(INTERVAL.dividedBy(2));
    late.transport().probe.expectMessage(Pinged.INSTANCE);
    first.transport().probe.expectMessage(Pinged.INSTANCE);
    first.session().tell(Session.ClientPong.INSTANCE);
    time.timePasses(INTERVAL);
    late.transport().probe.expectMessage(Pinged.INSTANCE); // 7.5 s of silence: still open
    first.transport().probe.expectMessage(Pinged.INSTANCE);
    first.session().tell(Session.ClientPong.INSTANCE);
    time.timePasses(INTERVAL);
    late.transport().probe.expectMessage(new Closed(CloseCodes.GOING_AWAY, "client timeout"));
  }

  @Test
  void anyArrivingFrameResetsTheClock() {
    Client a = join();
    Session.Command[] frames = {
      Session.ClientPong.INSTANCE,
      Session.ClientActivity.INSTANCE,
      new Session.ClientText("hi"),
      new Session.ClientBinary(ByteString.fromString("b")),
      Session.ClientPong.INSTANCE
    };
    // 25 s, far beyond the 10 s timeout, kept alive by one frame of each kind per interval.
    for (Session.Command frame : frames) {
      time.timePasses(INTERVAL);
      a.transport().probe.expectMessage(Pinged.INSTANCE);
      a.session().tell(frame);
      if (frame instanceof Session.ClientText) {
        a.transport().expectEvent();
      } else if (frame instanceof Session.ClientBinary) {
        a.transport().probe.expectMessageClass(ProbeTransport.SentBinary.class);
      }
    }
    time.timePasses(INTERVAL);
    a.transport().probe.expectMessage(Pinged.INSTANCE);
    time.timePasses(INTERVAL);
    a.transport().probe.expectMessage(Pinged.INSTANCE);
    time.timePasses(INTERVAL);
    a.transport().probe.expectMessage(new Closed(CloseCodes.GOING_AWAY, "client timeout"));
  }
}
