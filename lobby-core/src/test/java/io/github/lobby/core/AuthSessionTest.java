package io.github.lobby.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.Authenticated;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.core.auth.Principal;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Authenticated sessions on virtual time: users in the presence events, the publish permission,
 * whispers to a user, the close at expiry and refreshes. The authenticator here is a plain
 * implementation of the SPI whose refresh answers are set by each test.
 */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
class AuthSessionTest {

  @JUnit5TestKit
  ActorTestKit testKit =
      new JUnit5TestKitBuilder()
          .withCustomConfig(ManualTime.config().withFallback(ConfigFactory.load()))
          .build();

  static final RoomId ROOM = new RoomId("team");

  ManualTime time;
  ActorRef<Lobby.Command> lobby;
  /** What the next refresh answers. */
  volatile AuthResult refreshAnswer;
  /** When set, what the next refresh returns instead (a stage the test completes, a throw). */
  volatile java.util.function.Supplier<CompletionStage<AuthResult>> refreshStage;

  final Authenticator authenticator =
      new Authenticator() {
        @Override
        public CompletionStage<AuthResult> authenticate(io.github.lobby.core.auth.ConnectRequest r) {
          throw new AssertionError("the Lobby never authenticates upgrades itself");
        }

        @Override
        public CompletionStage<AuthResult> refresh(Principal current, RoomId room, String token) {
          if (refreshStage != null) {
            return refreshStage.get();
          }
          return CompletableFuture.completedFuture(refreshAnswer);
        }
      };

  record Client(SessionId id, ProbeTransport transport, ActorRef<Session.Command> session) {
    void says(String text) {
      session.tell(new Session.ClientText(text));
    }

    ClientEvent next() {
      return transport.expectEvent();
    }
  }

  @BeforeEach
  void start() {
    time = ManualTime.get(testKit.system());
    lobby = testKit.spawn(Lobby.create(LobbyTest.SETTINGS, TestCodec.CODECS));
  }

  Client connect(Optional<AuthResult.Grant> grant) {
    return connect(grant, Mode.JSON);
  }

  Client connect(Optional<AuthResult.Grant> grant, Mode mode) {
    ProbeTransport transport = new ProbeTransport(testKit);
    SessionId id = SessionId.random();
    TestProbe<ActorRef<Session.Command>> reply = testKit.createTestProbe();
    lobby.tell(
        new Lobby.Connect(
            id,
            ROOM,
            mode,
            transport,
            grant.map(g -> new Authenticated(g, authenticator)),
            reply.ref()));
    return new Client(id, transport, reply.receiveMessage());
  }

  Client connect(String user, boolean mayPublish, Instant expiresAt) {
    return connect(
        Optional.of(
            new AuthResult.Grant(Principal.of(user), mayPublish, Optional.ofNullable(expiresAt))));
  }

  Client connect(String user) {
    return connect(user, true, null);
  }

  /** Acknowledgements follow the answer on the session's thread: wait for them, bounded. */
  static void awaitAcks(Client client, int expected) {
    long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    while (client.transport().acknowledged.get() < expected && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertEquals(expected, client.transport().acknowledged.get());
  }

  static Map<SessionId, String> users(Object... idsAndUsers) {
    Map<SessionId, String> users = new LinkedHashMap<>();
    for (int i = 0; i < idsAndUsers.length; i += 2) {
      users.put((SessionId) idsAndUsers[i], (String) idsAndUsers[i + 1]);
    }
    return users;
  }

  @Test
  void presenceEventsCarryTheUserOfEverySession() {
    Client alice = connect("alice");
    assertEquals(
        new ClientEvent.Welcome(alice.id(), ROOM, List.of(alice.id()), users(alice.id(), "alice")),
        alice.next());
    Client anonymous = connect(Optional.empty());
    assertEquals(new ClientEvent.Joined(anonymous.id(), ROOM, null), alice.next());
    Client bob = connect("bob");
    assertEquals(new ClientEvent.Joined(bob.id(), ROOM, "bob"), alice.next());
    assertEquals(
        new ClientEvent.Welcome(
            bob.id(),
            ROOM,
            List.of(alice.id(), anonymous.id(), bob.id()),
            users(alice.id(), "alice", bob.id(), "bob")),
        bob.next());

    alice.says("members");
    assertEquals(
        new ClientEvent.Members(
            ROOM,
            List.of(alice.id(), anonymous.id(), bob.id()),
            users(alice.id(), "alice", bob.id(), "bob")),
        alice.next());

    bob.session().tell(Session.TransportClosed.INSTANCE);
    assertEquals(new ClientEvent.Left(bob.id(), ROOM, LeaveReason.CLOSED, "bob"), alice.next());

    TestProbe<Optional<Lobby.RoomView>> view = testKit.createTestProbe();
    lobby.tell(new Lobby.GetRoom(ROOM, view.ref()));
    assertEquals(
        new Lobby.RoomView(
            ROOM, List.of(alice.id(), anonymous.id()), users(alice.id(), "alice")),
        view.receiveMessage().orElseThrow());
  }

  @Test
  void anonymousSessionsCarryNoUsers() {
    Client a = connect(Optional.empty());
    ClientEvent.Welcome welcome = assertInstanceOf(ClientEvent.Welcome.class, a.next());
    assertEquals(Map.of(), welcome.users());
    Client b = connect(Optional.empty());
    assertNull(assertInstanceOf(ClientEvent.Joined.class, a.next()).user());
    b.next();
  }

  @Test
  void aSessionThatMayNotPublishIsToldSoAndNothingIsBroadcast() {
    Client reader = connect("reader", false, null);
    reader.next();
    Client writer = connect("writer");
    writer.next();
    reader.next(); // writer joined

    reader.says("hello");
    assertEquals(
        new ClientEvent.Error("forbidden", "this session may not broadcast to room team"),
        reader.next());
    writer.transport().probe.expectNoMessage(Duration.ofMillis(200));
    awaitAcks(reader, 1);

    // It still receives, and may whisper.
    writer.says("hi all");
    assertInstanceOf(ClientEvent.Message.class, writer.next());
    assertInstanceOf(ClientEvent.Message.class, reader.next());
    reader.says("w " + writer.id() + " psst");
    assertInstanceOf(ClientEvent.Whisper.class, writer.next());
  }

  @Test
  void aClassicSessionThatMayNotPublishIsNotToldAndNothingIsBroadcast() {
    Client reader =
        connect(
            Optional.of(new AuthResult.Grant(Principal.of("reader"), false, Optional.empty())),
            Mode.CLASSIC);
    reader.next();
    reader.says("hello");
    awaitAcks(reader, 1);
    reader.transport().probe.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void aWhisperToAUserReachesEachOfItsSessionsAndNobodyElse() {
    Client alice1 = connect("alice");
    alice1.next();
    Client alice2 = connect("alice");
    alice2.next();
    alice1.next();
    Client bob = connect("bob");
    bob.next();
    alice1.next();
    alice2.next();

    bob.says("wu alice hello");
    ClientEvent.Whisper expected1 =
        new ClientEvent.Whisper(bob.id(), alice1.id(), ROOM, new Payload.Text("hello"));
    ClientEvent.Whisper expected2 =
        new ClientEvent.Whisper(bob.id(), alice2.id(), ROOM, new Payload.Text("hello"));
    assertEquals(expected1, alice1.next());
    assertEquals(expected2, alice2.next());
    bob.transport().probe.expectNoMessage(Duration.ofMillis(200));

    bob.says("wu carol hello");
    assertEquals(new ClientEvent.NoUser("carol"), bob.next());
    awaitAcks(bob, 2);

    // A user whose sessions all left is nobody.
    alice1.session().tell(Session.TransportClosed.INSTANCE);
    alice2.session().tell(Session.TransportClosed.INSTANCE);
    bob.next();
    bob.next();
    bob.says("wu alice again");
    assertEquals(new ClientEvent.NoUser("alice"), bob.next());
  }

  @Test
  void aSessionIsClosedWith4001WhenItsGrantExpires() {
    Client alice = connect("alice", true, Instant.now().plusSeconds(60));
    alice.next();
    Client bob = connect("bob");
    bob.next();
    alice.next();

    time.timePasses(Duration.ofSeconds(50));
    alice.transport().probe.expectNoMessage(Duration.ofMillis(100));
    time.timePasses(Duration.ofSeconds(11));
    alice.transport().probe.expectMessage(new ProbeTransport.Closed(4001, "token expired"));
    assertEquals(new ClientEvent.Left(alice.id(), ROOM, LeaveReason.CLOSED, "alice"), bob.next());
  }

  @Test
  void aRefreshMovesTheExpiryAndMayChangeThePublishPermission() {
    Client alice = connect("alice", false, Instant.now().plusSeconds(60));
    alice.next();
    Instant later = Instant.now().plusSeconds(3600);
    refreshAnswer = new AuthResult.Grant(Principal.of("alice"), true, Optional.of(later));

    alice.says("refresh new-token");
    assertEquals(new ClientEvent.Refreshed(later), alice.next());
    awaitAcks(alice, 1);

    time.timePasses(Duration.ofSeconds(120));
    alice.transport().probe.expectNoMessage(Duration.ofMillis(100));
    alice.says("now I may");
    assertInstanceOf(ClientEvent.Message.class, alice.next());

    time.timePasses(Duration.ofSeconds(3600));
    alice.transport().probe.expectMessage(new ProbeTransport.Closed(4001, "token expired"));
  }

  @Test
  void aRefusedRefreshIsAnErrorAndTheSessionStillExpiresOnTime() {
    Client alice = connect("alice", true, Instant.now().plusSeconds(60));
    alice.next();

    refreshAnswer = AuthResult.Refusal.unauthorized("the token has expired");
    alice.says("refresh stale");
    assertEquals(new ClientEvent.Error("unauthorized", "the token has expired"), alice.next());

    refreshAnswer =
        new AuthResult.Grant(Principal.of("mallory"), true, Optional.of(Instant.now().plusSeconds(3600)));
    alice.says("refresh someone-elses");
    assertEquals(new ClientEvent.Error("forbidden", "the token is for another user"), alice.next());
    awaitAcks(alice, 2);

    time.timePasses(Duration.ofSeconds(61));
    alice.transport().probe.expectMessage(new ProbeTransport.Closed(4001, "token expired"));
  }

  @Test
  void aRefreshUnderWayAtTheExpiryDecides() {
    Client alice = connect("alice", true, Instant.now().plusSeconds(60));
    alice.next();
    CompletableFuture<AuthResult> granted = new CompletableFuture<>();
    refreshStage = () -> granted;
    alice.says("refresh slow");
    time.timePasses(Duration.ofSeconds(61));
    alice.transport().probe.expectNoMessage(Duration.ofMillis(200)); // not closed: it asked in time
    Instant later = Instant.now().plusSeconds(1200);
    granted.complete(new AuthResult.Grant(Principal.of("alice"), true, Optional.of(later)));
    assertEquals(new ClientEvent.Refreshed(later), alice.next());
    time.timePasses(Duration.ofSeconds(600));
    alice.transport().probe.expectNoMessage(Duration.ofMillis(200));

    CompletableFuture<AuthResult> refused = new CompletableFuture<>();
    refreshStage = () -> refused;
    alice.says("refresh slow-and-bad");
    time.timePasses(Duration.ofSeconds(700)); // past the expiry of the refreshed grant
    alice.transport().probe.expectNoMessage(Duration.ofMillis(200));
    refused.complete(AuthResult.Refusal.unauthorized("the token has expired"));
    assertEquals(new ClientEvent.Error("unauthorized", "the token has expired"), alice.next());
    alice.transport().probe.expectMessage(new ProbeTransport.Closed(4001, "token expired"));
  }

  @Test
  void anOlderRefreshDecidedLastDoesNotUndoANewerOne() {
    Client alice = connect("alice", true, Instant.now().plusSeconds(60));
    alice.next();
    CompletableFuture<AuthResult> first = new CompletableFuture<>();
    CompletableFuture<AuthResult> second = new CompletableFuture<>();
    java.util.Iterator<CompletableFuture<AuthResult>> stages = List.of(first, second).iterator();
    refreshStage = stages::next;
    alice.says("refresh one");
    alice.says("refresh two");
    Instant newer = Instant.now().plusSeconds(7200);
    Instant older = Instant.now().plusSeconds(120);
    awaitUntil(() -> !stages.hasNext());
    second.complete(new AuthResult.Grant(Principal.of("alice"), true, Optional.of(newer)));
    assertEquals(new ClientEvent.Refreshed(newer), alice.next());
    first.complete(new AuthResult.Grant(Principal.of("alice"), true, Optional.of(older)));
    assertEquals(new ClientEvent.Refreshed(newer), alice.next()); // still the newer expiry
    time.timePasses(Duration.ofSeconds(600));
    alice.transport().probe.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void anAuthenticatorThatThrowsOrAnswersNullOnARefreshIsUnavailableAndTheSessionStays() {
    Client alice = connect("alice");
    alice.next();
    refreshStage =
        () -> {
          throw new IllegalStateException("refresh crashed");
        };
    alice.says("refresh x");
    ClientEvent.Error unavailable =
        new ClientEvent.Error("unavailable", "the token could not be checked; try again");
    assertEquals(unavailable, alice.next());
    refreshStage = () -> null;
    alice.says("refresh y");
    assertEquals(unavailable, alice.next());
    awaitAcks(alice, 2);
    alice.says("still here");
    assertInstanceOf(ClientEvent.Message.class, alice.next());
  }

  static void awaitUntil(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertEquals(true, condition.getAsBoolean());
  }

  @Test
  void anAnonymousSessionCannotRefresh() {
    Client a = connect(Optional.empty());
    a.next();
    a.says("refresh anything");
    assertEquals(
        new ClientEvent.Error(
            "bad_request", "this server does not authenticate sessions: nothing to refresh"),
        a.next());
  }
}
