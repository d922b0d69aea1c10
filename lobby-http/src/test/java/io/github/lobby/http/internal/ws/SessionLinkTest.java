package io.github.lobby.http.internal.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Mode;
import io.github.lobby.core.Resume;
import io.github.lobby.core.ResumeKey;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.Session;
import io.github.lobby.core.SessionId;
import io.github.lobby.http.CompressionSettings;
import io.github.lobby.http.HttpSettings;
import io.github.lobby.http.internal.deflate.Compression;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** A connection's link to its session: its place, the Connect, the hand-over and the end. */
class SessionLinkTest {

  static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  static final RoomId ROOM = new RoomId("lounge");
  static final Optional<InetAddress> ADDRESS = Optional.of(InetAddress.getLoopbackAddress());

  final TestProbe<Lobby.Command> lobby = testKit.createTestProbe();
  final Admission admission = new Admission(1, Integer.MAX_VALUE);
  final BlockingQueue<WsSignal> signals = new LinkedBlockingQueue<>();

  ConnectionContext context(String http) {
    return new ConnectionContext(
        lobby.ref(),
        testKit.scheduler(),
        LobbySettings.fromConfig(ConfigFactory.load()),
        HttpSettings.fromConfig(
            ConfigFactory.parseString(http).withFallback(ConfigFactory.load())),
        admission,
        LobbyMetrics.NONE,
        Optional.empty(),
        new Compression(CompressionSettings.DISABLED));
  }

  static AcceptedUpgrade upgrade(Optional<Resume> resume) {
    return new AcceptedUpgrade(
        ROOM, Mode.JSON, ADDRESS, Optional.empty(), Optional.empty(), resume);
  }

  Outbox outbox() {
    return new Outbox(16, 1024, signals::add, LobbyMetrics.NONE);
  }

  @Test
  void aDirectConnectAsksTheLobbyAndTheAnswerIsHandedOver() {
    SessionLink link = new SessionLink(context(""), upgrade(Optional.empty()));
    assertEquals(Optional.empty(), link.admit());
    assertEquals(1, admission.total());
    TestProbe<ActorRef<Session.Command>> answer = testKit.createTestProbe();
    Outbox outbox = outbox();
    link.connect(outbox, signals::add, answer.ref());
    Lobby.Connect connect = lobby.expectMessageClass(Lobby.Connect.class);
    assertEquals(ROOM, connect.room());
    assertEquals(Mode.JSON, connect.mode());
    assertSame(outbox, connect.transport());
    assertEquals(answer.ref(), connect.replyTo());

    TestProbe<Session.Command> session = testKit.createTestProbe();
    assertTrue(link.handOver(session.ref()));
    assertEquals(
        session.ref(),
        link.stopped(Session.TransportClosed.INSTANCE),
        "the session to tell how the connection ended");
    assertEquals(0, admission.total(), "the place is given back");
    lobby.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void aConnectionThatStopsBeforeTheAnswerTellsTheLobbyAndClosesTheLateSession() {
    SessionLink link = new SessionLink(context(""), upgrade(Optional.empty()));
    link.admit();
    TestProbe<ActorRef<Session.Command>> answer = testKit.createTestProbe();
    link.connect(outbox(), signals::add, answer.ref());
    SessionId id = lobby.expectMessageClass(Lobby.Connect.class).id();

    assertNull(link.stopped(new Session.TransportLost(null)), "no session yet");
    assertEquals(new Lobby.Disconnected(id), lobby.expectMessageClass(Lobby.Disconnected.class));
    assertEquals(0, admission.total());

    TestProbe<Session.Command> late = testKit.createTestProbe();
    assertFalse(link.handOver(late.ref()));
    late.expectMessage(Session.TransportClosed.INSTANCE);
  }

  @Test
  void aResumeAsksAndItsAnswerComesAsASignal() throws InterruptedException {
    Resume resume = new Resume(SessionId.random(), new ResumeKey("k"));
    SessionLink link = new SessionLink(context(""), upgrade(Optional.of(resume)));
    link.admit();
    TestProbe<ActorRef<Session.Command>> answer = testKit.createTestProbe();
    link.connect(outbox(), signals::add, answer.ref()); // a resume never takes the direct answer
    Lobby.Connect connect = lobby.expectMessageClass(Lobby.Connect.class);
    assertEquals(Optional.of(resume), connect.resume());
    TestProbe<Session.Command> session = testKit.createTestProbe();
    connect.replyTo().tell(session.ref());
    WsSignal.SessionReady ready =
        assertInstanceOf(WsSignal.SessionReady.class, signals.poll(5, TimeUnit.SECONDS));
    assertEquals(session.ref(), ready.session());
    answer.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void aResumedSessionWhoseConnectionWasLostBeforeTheAnswerIsToldItWasLost() {
    // The session writes its welcome itself, so a client can read it and lose its connection
    // before the Lobby's answer reaches the connection: the session must then wait out its grace
    // again, not leave as if the client had closed.
    Resume resume = new Resume(SessionId.random(), new ResumeKey("k"));
    SessionLink link = new SessionLink(context(""), upgrade(Optional.of(resume)));
    link.admit();
    link.connect(outbox(), signals::add, null);
    Lobby.Connect connect = lobby.expectMessageClass(Lobby.Connect.class);
    Session.TransportLost lost = new Session.TransportLost("Connection reset");
    assertNull(link.stopped(lost), "no session yet");

    TestProbe<Session.Command> late = testKit.createTestProbe();
    connect.replyTo().tell(late.ref());
    late.expectMessage(lost);
    assertTrue(signals.isEmpty(), "nothing for a connection that has stopped");
  }

  @Test
  void aNewSessionWhoseConnectionEndedBeforeTheAnswerIsClosed() {
    SessionLink link = new SessionLink(context(""), upgrade(Optional.empty()));
    link.admit();
    link.connect(outbox(), signals::add, null); // through the ask, as on the engine path
    Lobby.Connect connect = lobby.expectMessageClass(Lobby.Connect.class);
    assertNull(link.stopped(new Session.TransportLost(null)));

    TestProbe<Session.Command> late = testKit.createTestProbe();
    connect.replyTo().tell(late.ref());
    late.expectMessage(Session.TransportClosed.INSTANCE);
  }

  @Test
  void aLobbyThatDoesNotAnswerInTimeIsAConnectFailedSignal() throws InterruptedException {
    SessionLink link =
        new SessionLink(context("lobby.http.ask-timeout = 100ms"), upgrade(Optional.empty()));
    link.admit();
    link.connect(outbox(), signals::add, null);
    lobby.expectMessageClass(Lobby.Connect.class);
    assertInstanceOf(WsSignal.ConnectFailed.class, signals.poll(5, TimeUnit.SECONDS));
  }

  @Test
  void aConnectionAdmittedByItsGlueTakesNoSecondPlace() {
    SessionLink first = new SessionLink(context(""), upgrade(Optional.empty()));
    assertEquals(Optional.empty(), first.admit());
    SessionLink second = new SessionLink(context(""), upgrade(Optional.empty()));
    assertEquals(Optional.of(Admission.Refusal.SERVER_FULL), second.admit());
    assertNull(second.stopped(Session.TransportClosed.INSTANCE));
    assertEquals(1, admission.total(), "a refused link gives back no place");

    SessionLink already = new SessionLink(context(""), upgrade(Optional.empty()));
    already.alreadyAdmitted();
    assertEquals(Optional.empty(), already.admit());
    already.stopped(Session.TransportClosed.INSTANCE);
    assertEquals(0, admission.total(), "the place the glue took goes back with the link");
  }
}
