package io.github.lobby.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Federation;
import io.github.lobby.core.Frame;
import io.github.lobby.core.LeaveReason;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Mode;
import io.github.lobby.core.Payload;
import io.github.lobby.core.PeerEvent;
import io.github.lobby.core.ProbeTransport;
import io.github.lobby.core.Recovery;
import io.github.lobby.core.Resume;
import io.github.lobby.core.ResumeKey;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.Session;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.TestCodec;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.Authenticated;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.core.auth.ConnectRequest;
import io.github.lobby.core.auth.Principal;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Resuming a session ({@code lobby.resumption}) on virtual time, grace 30 s: within the grace the
 * client keeps its id and its room sees nothing; after it the room is told {@code timeout}; what
 * does not match gets a new session; a client's Close leaves at once; a still attached session is
 * taken over with 4002; the bounds on detached sessions and the shutdown.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
class ResumeTest {

  @JUnit5TestKit
  ActorTestKit testKit =
      new JUnit5TestKitBuilder()
          .withCustomConfig(ManualTime.config().withFallback(ConfigFactory.load()))
          .build();

  static final RoomId ROOM = new RoomId("resume");
  static final Duration GRACE = Duration.ofSeconds(30);

  /** No heartbeat within the tests' time, unless a test wants one. */
  static final LobbySettings SETTINGS =
      LobbySettings.builder()
          .heartbeatInterval(Duration.ofHours(1))
          .clientTimeout(Duration.ofHours(2))
          .resumption(new LobbySettings.Resumption(GRACE, 10_000, 256))
          .build();

  static final Authenticator AUTHENTICATOR =
      new Authenticator() {
        @Override
        public CompletionStage<AuthResult> authenticate(ConnectRequest request) {
          throw new AssertionError("the Lobby never authenticates upgrades itself");
        }
      };

  ManualTime time;
  ActorRef<Object> lobby;

  /** Every message the Lobby receives, to know when it has heard of a detached session. */
  TestProbe<Object> lobbyHears;

  SimpleMeterRegistry registry;

  record Client(
      SessionId id,
      ProbeTransport transport,
      ActorRef<Session.Command> session,
      ClientEvent.Welcome welcome) {
    void says(String text) {
      session.tell(new Session.ClientText(text));
    }

    ClientEvent next() {
      return transport.expectEvent();
    }

    void expect(ClientEvent event) {
      transport.expectEvent(event);
    }

    void expectNothing() {
      transport.probe.expectNoMessage(Duration.ofMillis(100));
    }

    Resume resume() {
      return new Resume(id, welcome.resumeKey());
    }

    /** The connection is gone without a Close: the transport refuses offers, the session hears. */
    void lose() {
      transport.closed.set(true);
      session.tell(new Session.TransportLost(null));
    }
  }

  /** A session actor as its room and the Lobby address it: it takes both protocols. */
  static ActorRef<SessionControl> control(ActorRef<Session.Command> session) {
    return session.unsafeUpcast();
  }

  void start(LobbySettings settings) {
    start(settings, Federation.NONE);
  }

  void start(LobbySettings settings, Federation federation) {
    time = ManualTime.get(testKit.system());
    lobbyHears = testKit.createTestProbe();
    registry = new SimpleMeterRegistry();
    lobby =
        testKit.spawn(
            Behaviors.monitor(
                Object.class,
                lobbyHears.ref(),
                LobbyActor.create(
                    settings, TestCodec.CODECS, federation, LobbyMetrics.of(registry))));
  }

  @BeforeEach
  void defaults() {
    start(SETTINGS);
  }

  Client connect(
      RoomId room, Mode mode, String user, Optional<Recovery> recovery, Optional<Resume> resume) {
    ProbeTransport transport = new ProbeTransport(testKit);
    TestProbe<ActorRef<Session.Command>> reply = testKit.createTestProbe();
    Optional<Authenticated> auth =
        Optional.ofNullable(user)
            .map(u -> new Authenticated(AuthResult.Grant.of(Principal.of(u)), AUTHENTICATOR));
    lobby.tell(
        new Lobby.Connect(
            SessionId.random(), room, mode, transport, auth, recovery, resume, reply.ref()));
    ActorRef<Session.Command> session = reply.receiveMessage();
    ClientEvent.Welcome welcome =
        assertInstanceOf(ClientEvent.Welcome.class, transport.expectEvent());
    return new Client(welcome.id(), transport, session, welcome);
  }

  Client connect() {
    return connect(ROOM, Mode.JSON, null, Optional.empty(), Optional.empty());
  }

  Client resume(Client previous) {
    return connect(ROOM, Mode.JSON, null, Optional.empty(), Optional.of(previous.resume()));
  }

  /** Waits until the Lobby has handled {@code client}'s word that it is detached. */
  void awaitDetached(Client client) {
    lobbyHears.fishForMessage(
        Duration.ofSeconds(3),
        m ->
            m instanceof LobbyControl.Detached d && d.id().equals(client.id())
                ? FishingOutcomes.complete()
                : FishingOutcomes.continueAndIgnore());
    stats(); // a round trip: the Lobby has finished with it
  }

  Lobby.Stats stats() {
    TestProbe<Lobby.Stats> reply = testKit.createTestProbe();
    lobby.tell(new Lobby.GetStats(reply.ref()));
    return reply.receiveMessage();
  }

  @Test
  void aClientThatResumesWithinTheGraceKeepsItsIdAndItsRoomSeesNoLeaveNorJoin() {
    Client a = connect();
    Client b = connect();
    a.expect(new ClientEvent.Joined(b.id(), ROOM));
    assertNotNull(b.welcome().resumeKey());
    assertNull(b.welcome().resumed(), "it asked for nothing");

    b.lose();
    awaitDetached(b);
    time.timePasses(GRACE.minusSeconds(1));
    a.expectNothing();
    a.says("while you were away"); // b's closed connection takes nothing
    a.next();
    b.expectNothing();

    Client back = resume(b);
    assertEquals(b.id(), back.id());
    assertEquals(Boolean.TRUE, back.welcome().resumed());
    assertEquals(List.of(a.id(), b.id()), back.welcome().members());
    assertNotNull(back.welcome().resumeKey());
    assertNotEquals(b.welcome().resumeKey().value(), back.welcome().resumeKey().value());
    testKit.createTestProbe().expectTerminated(b.session());
    a.expectNothing();

    // Live again, both ways, under its old id.
    a.says("hello");
    assertEquals(new Payload.Text("hello"), ((ClientEvent.Message) back.next()).msg());
    a.next();
    back.says("back");
    a.expect(new ClientEvent.Message(b.id(), ROOM, new Payload.Text("back")));
    back.expect(new ClientEvent.Message(b.id(), ROOM, new Payload.Text("back")));
    // The grace of the lost connection no longer runs.
    time.timePasses(GRACE.multipliedBy(2));
    a.expectNothing();
    assertEquals(2, stats().sessions());
    assertEquals(2, registry.get("lobby.sessions").gauge().value(), "not counted again");
    assertEquals(1, registry.get("lobby.resumes").tag("outcome", "resumed").counter().count());
  }

  @Test
  void afterTheGraceTheRoomIsToldTimeoutAndALateResumeGetsANewSession() {
    Client a = connect();
    Client b = connect();
    a.next();

    b.lose();
    awaitDetached(b);
    time.timePasses(GRACE.minusMillis(1));
    a.expectNothing();
    time.timePasses(Duration.ofMillis(1));
    a.expect(new ClientEvent.Left(b.id(), ROOM, LeaveReason.TIMEOUT));
    testKit.createTestProbe().expectTerminated(b.session());
    assertEquals(1, stats().sessions());

    Client late = resume(b);
    assertNotEquals(b.id(), late.id());
    assertEquals(Boolean.FALSE, late.welcome().resumed());
    a.expect(new ClientEvent.Joined(late.id(), ROOM));
    a.expectNothing(); // told once only
    assertEquals(1, registry.get("lobby.resumes").tag("outcome", "refused").counter().count());
    assertEquals(0, registry.find("lobby.resumes").tag("outcome", "resumed").counters().size());
  }

  @Test
  void aResumeThatDoesNotMatchGetsANewSessionAndTheWaitingOneStaysResumable() {
    Client a = connect();
    Client b = connect(ROOM, Mode.JSON, "bob", Optional.empty(), Optional.empty());
    a.next();
    b.lose();
    awaitDetached(b);
    RoomId other = new RoomId("elsewhere");
    ResumeKey wrongKey = new ResumeKey(b.welcome().resumeKey().value().substring(1) + "x");
    Resume wrong = new Resume(b.id(), wrongKey);
    List<Client> refused =
        List.of(
            connect(ROOM, Mode.JSON, "bob", Optional.empty(), Optional.of(wrong)),
            connect(other, Mode.JSON, "bob", Optional.empty(), Optional.of(b.resume())),
            connect(ROOM, Mode.CLASSIC, "bob", Optional.empty(), Optional.of(b.resume())),
            connect(ROOM, Mode.JSON, "eve", Optional.empty(), Optional.of(b.resume())),
            connect(ROOM, Mode.JSON, null, Optional.empty(), Optional.of(b.resume())),
            connect(
                ROOM,
                Mode.JSON,
                "bob",
                Optional.empty(),
                Optional.of(new Resume(SessionId.random(), b.welcome().resumeKey()))));
    for (Client c : refused) {
      assertNotEquals(b.id(), c.id());
      assertEquals(Boolean.FALSE, c.welcome().resumed(), c.welcome().toString());
      if (!c.welcome().room().equals(other)) {
        assertEquals(c.id(), ((ClientEvent.Joined) a.next()).id());
      }
    }
    a.expectNothing(); // b did not leave

    Client back = connect(ROOM, Mode.JSON, "bob", Optional.empty(), Optional.of(b.resume()));
    assertEquals(b.id(), back.id());
    assertEquals(Boolean.TRUE, back.welcome().resumed());
    a.expectNothing();
  }

  @Test
  void aClientsCloseOrAProtocolViolationLeavesAtOnceEvenWithAGrace() {
    Client a = connect();
    Client b = connect();
    Client c = connect();
    a.next();
    a.next();

    b.session().tell(Session.TransportClosed.INSTANCE);
    a.expect(new ClientEvent.Left(b.id(), ROOM, LeaveReason.CLOSED));
    c.session().tell(new Session.TransportFailed("bad frame"));
    a.expect(new ClientEvent.Left(c.id(), ROOM, LeaveReason.ERROR));
    Client late = resume(b);
    assertEquals(Boolean.FALSE, late.welcome().resumed());
    assertNotEquals(b.id(), late.id());
  }

  @Test
  void aClassicSessionHasNoKeyAndLeavesAtOnce() {
    Client a = connect();
    Client classic = connect(ROOM, Mode.CLASSIC, null, Optional.empty(), Optional.empty());
    a.next();
    assertNull(classic.welcome().resumeKey());
    classic.session().tell(new Session.TransportLost(null));
    a.expect(new ClientEvent.Left(classic.id(), ROOM, LeaveReason.CLOSED));
  }

  @Test
  void aSilentClientWaitsForItsResumeToo() {
    start(
        SETTINGS.toBuilder()
            .heartbeatInterval(Duration.ofSeconds(5))
            .clientTimeout(Duration.ofSeconds(10))
            .resumption(new LobbySettings.Resumption(Duration.ofMinutes(1), 10, 256))
            .build());
    Client a = connect();
    Client b = connect();
    a.next();
    for (int beat = 0; beat < 3; beat++) { // a answers every Ping, b none
      time.timePasses(Duration.ofSeconds(5));
      a.transport().probe.expectMessage(ProbeTransport.Pinged.INSTANCE);
      a.session().tell(Session.ClientPong.INSTANCE);
    }
    b.transport().probe.expectMessage(ProbeTransport.Pinged.INSTANCE);
    b.transport().probe.expectMessage(ProbeTransport.Pinged.INSTANCE);
    b.transport().probe.expectMessage(new ProbeTransport.Closed(1001, "client timeout"));
    awaitDetached(b);
    a.expectNothing();

    Client back = resume(b);
    assertEquals(b.id(), back.id());
    assertEquals(Boolean.TRUE, back.welcome().resumed());
    a.expectNothing();
  }

  @Test
  void resumingASessionThatStillHoldsItsConnectionClosesItWith4002() {
    Client a = connect();
    Client b = connect();
    a.next();

    Client back = resume(b); // its old connection is half-open: the server has not noticed
    assertEquals(b.id(), back.id());
    assertEquals(Boolean.TRUE, back.welcome().resumed());
    b.transport().probe.expectMessage(new ProbeTransport.Closed(4002, "session resumed"));
    testKit.createTestProbe().expectTerminated(b.session());
    a.expectNothing();
    // The old connection's end reaches nobody that matters, nor would a departure the old session
    // had sent just before it was superseded.
    b.session().tell(new Session.TransportLost(null));
    lobby.tell(new LobbyControl.Leave(b.id(), LeaveReason.ERROR, control(b.session())));
    a.says("still here");
    a.next();
    back.next();
    b.expectNothing();
    a.expectNothing();
  }

  @Test
  void aResumedMembersNewSessionIsNotAcknowledgedForWhatItsPredecessorSent() {
    ActorRef<Room.Command> room =
        testKit.spawn(
            Room.create(
                ROOM, TestCodec.CODECS, Federation.NONE, Duration.ofHours(1), LobbyMetrics.NONE));
    ProbeTransport oldConnection = new ProbeTransport(testKit);
    ProbeTransport newConnection = new ProbeTransport(testKit);
    TestProbe<SessionControl> predecessor = testKit.createTestProbe();
    TestProbe<SessionControl> successor = testKit.createTestProbe();
    SessionId id = SessionId.random();
    room.tell(new Room.Join(id, Mode.JSON, oldConnection, predecessor.ref()));
    oldConnection.expectEvent();
    room.tell(new Room.Reattach(id, newConnection, successor.ref(), new ResumeKey("k2"), null));
    assertEquals(
        Boolean.TRUE,
        assertInstanceOf(ClientEvent.Welcome.class, newConnection.expectEvent()).resumed());

    // What the predecessor sent before it was superseded, still in the room's mailbox.
    room.tell(new Room.Broadcast(id, new Payload.Text("late"), 0, predecessor.ref()));
    room.tell(new Room.ListMembers(id, predecessor.ref()));
    predecessor.expectMessage(SessionControl.Processed.ROOM);
    predecessor.expectMessage(SessionControl.Processed.ROOM);
    assertInstanceOf(ClientEvent.Message.class, newConnection.expectEvent());
    assertInstanceOf(ClientEvent.Members.class, newConnection.expectEvent());
    successor.expectNoMessage(Duration.ofMillis(100));
    // Its own requests are acknowledged to it.
    room.tell(new Room.Broadcast(id, new Payload.Text("mine"), 0, successor.ref()));
    successor.expectMessage(SessionControl.Processed.ROOM);
    oldConnection.probe.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aWhisperSearchThatEndsAfterAResumeIsAcknowledgedToTheSessionThatAsked() throws Exception {
    java.util.concurrent.BlockingQueue<Lobby.WhisperSearch> searches =
        new java.util.concurrent.LinkedBlockingQueue<>();
    Federation elsewhere =
        new Federation() {
          @Override
          public Link link(
              RoomId room,
              ActorRef<PeerEvent> inbox,
              org.apache.pekko.actor.typed.javadsl.ActorContext<?> context) {
            return event -> {};
          }

          @Override
          public Whispers whispers(
              ActorRef<Lobby.PeerCommand> lobby,
              org.apache.pekko.actor.typed.javadsl.ActorContext<?> context) {
            return searches::add; // the search is under way until the test ends it
          }
        };
    testKit.stop(lobby);
    start(SETTINGS, elsewhere);
    Client a = connect();
    TestProbe<SessionControl> asking = testKit.createTestProbe();
    lobby.tell(
        new LobbyControl.Whisper(
            a.id(), SessionId.random().toString(), new Payload.Text("x"), asking.ref()));
    Lobby.WhisperSearch search = searches.poll(3, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(asking.ref(), search.session());
    a.lose();
    awaitDetached(a);
    Client back = resume(a);
    lobby.tell(new Lobby.WhisperSearched(search, true));
    asking.expectMessage(SessionControl.Processed.LOBBY);
    back.expectNothing(); // found elsewhere: no answer, and no acknowledgement for its window
    assertEquals(0, back.transport().acknowledged.get());
  }

  @Test
  void aWhisperToTheResumedIdReachesTheNewConnection() {
    Client a = connect();
    Client b = connect();
    a.next();
    b.lose();
    awaitDetached(b);
    Client back = resume(b);

    a.says("w " + b.id() + " psst");
    back.expect(new ClientEvent.Whisper(a.id(), b.id(), ROOM, new Payload.Text("psst")));
    b.expectNothing();
  }

  @Test
  void atMostMaxDetachedWaitAndTheOneDetachedFirstLeavesFirst() {
    start(SETTINGS.toBuilder().resumption(new LobbySettings.Resumption(GRACE, 2, 256)).build());
    Client a = connect();
    Client b = connect();
    Client c = connect();
    Client d = connect();
    a.next();
    a.next();
    a.next();

    b.lose();
    awaitDetached(b);
    c.lose();
    awaitDetached(c);
    a.expectNothing();
    d.lose();
    a.expect(new ClientEvent.Left(b.id(), ROOM, LeaveReason.TIMEOUT));
    testKit.createTestProbe().expectTerminated(b.session());
    a.expectNothing();
    assertEquals(Boolean.TRUE, resume(c).welcome().resumed());
    assertEquals(Boolean.TRUE, resume(d).welcome().resumed());
    assertEquals(Boolean.FALSE, resume(b).welcome().resumed());
  }

  @Test
  void closeAllEndsTheDetachedSessionsAtOnceAndCompletes() {
    Client a = connect();
    Client b = connect();
    a.next();
    b.lose();
    awaitDetached(b);

    TestProbe<Done> done = testKit.createTestProbe();
    lobby.tell(new Lobby.CloseAll(1001, "server shutting down", done.ref()));
    a.transport()
        .probe
        .fishForMessage(
            Duration.ofSeconds(3),
            m ->
                m.equals(new ProbeTransport.Closed(1001, "server shutting down"))
                    ? FishingOutcomes.complete()
                    : FishingOutcomes.continueAndIgnore());
    done.expectMessage(Done.getInstance());
    testKit.createTestProbe().expectTerminated(b.session());
    assertEquals(0, stats().sessions());
  }

  @Test
  void aResumeWithSinceAndEpochGetsWhatItMissedOnceThenLiveMessages() {
    start(
        SETTINGS.toBuilder()
            .history(new LobbySettings.History(100, Duration.ofMinutes(5), 64 * 1024, 1_000))
            .build());
    Client a = connect();
    Client b = connect();
    a.next();
    a.says("m1");
    a.next();
    long seen = ((ClientEvent.Message) b.next()).offset();
    b.lose();
    awaitDetached(b);
    a.says("m2");
    a.next();
    a.says("m3");
    a.next();

    Client back =
        connect(
            ROOM,
            Mode.JSON,
            null,
            Optional.of(new Recovery(seen, b.welcome().epoch())),
            Optional.of(b.resume()));
    assertEquals(Boolean.TRUE, back.welcome().resumed());
    assertEquals(Boolean.TRUE, back.welcome().recovered());
    assertEquals(3L, back.welcome().offset());
    assertEquals(new Payload.Text("m2"), ((ClientEvent.Message) back.next()).msg());
    assertEquals(new Payload.Text("m3"), ((ClientEvent.Message) back.next()).msg());
    a.says("m4");
    ClientEvent.Message live = (ClientEvent.Message) back.next();
    assertEquals(4L, live.offset());
    back.expectNothing();
    a.next();
    a.expectNothing(); // no departure, no join
  }

  @Test
  void withoutAGraceWelcomesHaveNoKeyAndAResumeGetsANewSession() {
    start(SETTINGS.toBuilder().resumption(LobbySettings.Resumption.OFF).build());
    Client a = connect();
    assertNull(a.welcome().resumeKey());
    assertNull(a.welcome().resumed());
    Client b = connect();
    a.next();
    b.lose();
    a.expect(new ClientEvent.Left(b.id(), ROOM, LeaveReason.CLOSED));
    Client late =
        connect(
            ROOM,
            Mode.JSON,
            null,
            Optional.empty(),
            Optional.of(new Resume(b.id(), new ResumeKey("anything"))));
    assertEquals(Boolean.FALSE, late.welcome().resumed());
    assertNull(late.welcome().resumeKey());
  }

  @Test
  void theKeyIsInNoToStringOfWhatHoldsIt() {
    Client a = connect();
    String key = a.welcome().resumeKey().value();
    assertTrue(key.length() >= 22 && key.matches("[A-Za-z0-9_-]+"), "URL-safe: " + key);
    String text = "{\"type\":\"welcome\",\"resume_key\":\"" + key + "\"}";
    ResumeKey held = a.welcome().resumeKey();
    for (Object holder :
        List.of(
            a.welcome(),
            held,
            a.resume(),
            new Frame(a.welcome(), text, ByteString.fromString(text)),
            new Room.Join(
                a.id(), Mode.JSON, a.transport(), control(a.session()), null, null, held, null),
            new Room.Reattach(a.id(), a.transport(), control(a.session()), held, null),
            new SessionDirectory.Entry(
                control(a.session()), ROOM, Mode.JSON, a.transport(), null, held, null, null))) {
      assertFalse(holder.toString().contains(key), holder.toString());
    }
    Frame plain = Frame.render(new ClientEvent.Joined(a.id(), ROOM), TestCodec.CODECS.json());
    assertTrue(plain.toString().contains(plain.text()), "other frames show their text");
  }
}
