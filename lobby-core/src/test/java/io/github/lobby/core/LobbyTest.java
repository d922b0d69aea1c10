package io.github.lobby.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.lobby.core.ProbeTransport.Closed;
import io.github.lobby.core.ProbeTransport.Sent;
import io.github.lobby.core.ProbeTransport.SentBinary;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
public class LobbyTest {

  @JUnit5TestKit ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  /** Settings without heartbeats; public, like {@link Client}, for the internal package's tests. */
  public static final LobbySettings SETTINGS =
      LobbySettings.builder()
          // Long enough that no heartbeat interferes with these tests; see HeartbeatTest.
          .heartbeatInterval(Duration.ofHours(1))
          .clientTimeout(Duration.ofHours(2))
          .build();

  static final RoomId ROOM = new RoomId("room-1");
  static final RoomId OTHER = new RoomId("other");

  ActorRef<Lobby.Command> lobby;

  /** One connected client: its id, its transport probe and its session actor. */
  public record Client(SessionId id, ProbeTransport transport, ActorRef<Session.Command> session) {
    public void says(String text) {
      session.tell(new Session.ClientText(text));
    }

    public ClientEvent next() {
      return transport.expectEvent();
    }

    public void expect(ClientEvent event) {
      transport.expectEvent(event);
    }

    public void expectNothing() {
      transport.probe.expectNoMessage(Duration.ofMillis(100));
    }
  }

  @BeforeEach
  void startLobby() {
    lobby = testKit.spawn(Lobby.create(SETTINGS, TestCodec.CODECS));
  }

  Client connect(RoomId room, Mode mode) {
    ProbeTransport transport = new ProbeTransport(testKit);
    SessionId id = SessionId.random();
    TestProbe<ActorRef<Session.Command>> reply = testKit.createTestProbe();
    lobby.tell(new Lobby.Connect(id, room, mode, transport, reply.ref()));
    return new Client(id, transport, reply.receiveMessage());
  }

  Client join(RoomId room) {
    Client client = connect(room, Mode.CLASSIC);
    assertInstanceOf(ClientEvent.Welcome.class, client.next());
    return client;
  }

  @Test
  void joinerIsWelcomedWithMembersAndOthersAreToldOfTheJoin() {
    Client a = connect(ROOM, Mode.CLASSIC);
    a.expect(new ClientEvent.Welcome(a.id(), ROOM, List.of(a.id())));
    Client b = connect(ROOM, Mode.JSON);
    b.expect(new ClientEvent.Welcome(b.id(), ROOM, List.of(a.id(), b.id())));
    a.expect(new ClientEvent.Joined(b.id(), ROOM));
    b.expectNothing();
  }

  @Test
  void broadcastReachesEveryMemberSenderIncludedAndNoOtherRoom() {
    Client a = join(ROOM);
    Client b = join(ROOM);
    a.next(); // b joined
    Client elsewhere = join(OTHER);

    a.says("hello");

    ClientEvent expected = new ClientEvent.Message(a.id(), ROOM, new Payload.Text("hello"));
    a.expect(expected);
    b.expect(expected);
    elsewhere.expectNothing();
  }

  @Test
  void aBroadcastIsRenderedOncePerModeAndSharedByItsRecipients() {
    Client a = join(ROOM);
    Client b = join(ROOM);
    a.next();
    Client c = connect(ROOM, Mode.JSON);
    c.next();
    a.next();
    b.next();
    Client d = connect(ROOM, Mode.JSON);
    d.next();
    a.next();
    b.next();
    c.next();

    a.says("once");

    Frame classicA = a.transport().probe.expectMessageClass(Sent.class).frame();
    Frame classicB = b.transport().probe.expectMessageClass(Sent.class).frame();
    Frame jsonC = c.transport().probe.expectMessageClass(Sent.class).frame();
    Frame jsonD = d.transport().probe.expectMessageClass(Sent.class).frame();
    assertSame(classicA, classicB);
    assertSame(jsonC, jsonD);
    assertNotSame(classicA, jsonC);
  }

  @Test
  void jsonPayloadIsBroadcastAsIs() {
    Client a = join(ROOM);
    a.says("json {\"x\":[1,2]}");
    a.expect(new ClientEvent.Message(a.id(), ROOM, new Payload.Json("{\"x\":[1,2]}")));
  }

  @Test
  void whisperReachesOnlyItsTargetInAnyRoom() {
    Client a = join(ROOM);
    Client b = join(ROOM);
    a.next();
    Client far = join(OTHER);

    a.says("w " + far.id() + " psst");

    far.expect(new ClientEvent.Whisper(a.id(), far.id(), ROOM, new Payload.Text("psst")));
    a.expectNothing();
    b.expectNothing();
  }

  @Test
  void whisperToUnknownSessionAnswersOnlyTheSender() {
    Client a = join(ROOM);
    Client b = join(ROOM);
    a.next();
    String nobody = SessionId.random().toString();

    a.says("w " + nobody + " hello?");
    a.expect(new ClientEvent.NoSession(nobody));

    a.says("w not-a-uuid hello?");
    a.expect(new ClientEvent.NoSession("not-a-uuid"));
    b.expectNothing();
  }

  @Test
  void adminPublishReachesEveryMemberUnderTheServerIdAndCountsThem() {
    Client a = join(ROOM);
    Client b = join(ROOM);
    a.next();
    Client elsewhere = join(OTHER);
    TestProbe<Lobby.Published> reply = testKit.createTestProbe();
    Payload stats = new Payload.Json("[{\"product_line_id\":1}]");

    lobby.tell(new Lobby.Publish(ROOM, stats, reply.ref()));

    reply.expectMessage(new Lobby.Published(ROOM, 2));
    ClientEvent expected = new ClientEvent.Message(SETTINGS.serverId(), ROOM, stats);
    a.expect(expected);
    b.expect(expected);
    elsewhere.expectNothing();
  }

  @Test
  void adminPublishToAnEmptyRoomDeliversToNobody() {
    TestProbe<Lobby.Published> reply = testKit.createTestProbe();
    lobby.tell(new Lobby.Publish(new RoomId("empty"), new Payload.Json("1"), reply.ref()));
    reply.expectMessage(new Lobby.Published(new RoomId("empty"), 0));
  }

  @Test
  void membersRequestIsAnsweredToTheRequesterOnly() {
    Client a = join(ROOM);
    Client b = join(ROOM);
    a.next();

    b.says("members");

    b.expect(new ClientEvent.Members(ROOM, List.of(a.id(), b.id())));
    a.expectNothing();
  }

  @Test
  void invalidFrameIsAnsweredWithAnErrorAndTheSessionStays() {
    Client a = join(ROOM);
    Client b = join(ROOM);
    a.next();

    a.says("bad");
    a.expect(new ClientEvent.Error("bad_request", "bad frame"));
    b.expectNothing();

    a.says("still here");
    ClientEvent expected = new ClientEvent.Message(a.id(), ROOM, new Payload.Text("still here"));
    a.expect(expected);
    b.expect(expected);
  }

  @Test
  void binaryIsEchoedToTheSenderOnly() {
    Client a = join(ROOM);
    Client b = join(ROOM);
    a.next();
    ByteString data = ByteString.fromArray(new byte[] {0, 1, (byte) 0xff});

    a.session().tell(new Session.ClientBinary(data));

    a.transport().probe.expectMessage(new SentBinary(data));
    b.expectNothing();
  }

  @Test
  void everyProcessedClientMessageIsAcknowledged() {
    Client a = join(ROOM);
    a.says("one");
    a.says("bad");
    a.session().tell(Session.ClientPong.INSTANCE);
    a.session().tell(Session.ClientActivity.INSTANCE);
    a.session().tell(new Session.ClientBinary(ByteString.fromString("b")));
    a.transport().probe.receiveSeveralMessages(3); // broadcast, error, echo in any order
    a.transport()
        .probe
        .awaitAssert(
            () -> {
              assertEquals(5, a.transport().acknowledged.get());
              return null;
            });
  }

  @Test
  void closedTransportMakesTheSessionLeaveAndStop() {
    Client a = join(ROOM);
    Client b = join(ROOM);
    a.next();
    TestProbe<Object> watcher = testKit.createTestProbe();

    b.session().tell(Session.TransportClosed.INSTANCE);

    a.expect(new ClientEvent.Left(b.id(), ROOM, LeaveReason.CLOSED));
    watcher.expectTerminated(b.session());
    b.expectNothing(); // nothing is sent on a closed transport
  }

  @Test
  void aConnectionThatEndsBeforeItsReplyIsToldThroughTheLobby() {
    Client a = join(ROOM);
    ProbeTransport transport = new ProbeTransport(testKit);
    SessionId id = SessionId.random();
    TestProbe<ActorRef<Session.Command>> reply = testKit.createTestProbe();
    // The connection sends Connect, then ends before it reads the reply.
    lobby.tell(new Lobby.Connect(id, ROOM, Mode.CLASSIC, transport, reply.ref()));
    lobby.tell(new Lobby.Disconnected(id));

    ActorRef<Session.Command> session = reply.receiveMessage();
    a.expect(new ClientEvent.Joined(id, ROOM));
    a.expect(new ClientEvent.Left(id, ROOM, LeaveReason.CLOSED));
    testKit.createTestProbe().expectTerminated(session);
    lobby.tell(new Lobby.Disconnected(SessionId.random())); // unknown: nothing happens
    a.expectNothing();
  }

  @Test
  void failedTransportLeavesWithReasonError() {
    Client a = join(ROOM);
    Client b = join(ROOM);
    a.next();

    b.session().tell(new Session.TransportFailed("connection reset"));

    a.expect(new ClientEvent.Left(b.id(), ROOM, LeaveReason.ERROR));
    testKit.createTestProbe().expectTerminated(b.session());
  }

  @Test
  void aLostConnectionLeavesAsBeforeWithoutAGrace() {
    Client a = join(ROOM);
    Client b = join(ROOM);
    Client c = join(ROOM);
    a.next();
    a.next();

    b.session().tell(new Session.TransportLost(null)); // an end of stream without a Close
    a.expect(new ClientEvent.Left(b.id(), ROOM, LeaveReason.CLOSED));
    testKit.createTestProbe().expectTerminated(b.session());
    c.session().tell(new Session.TransportLost("connection failed")); // a reset
    a.expect(new ClientEvent.Left(c.id(), ROOM, LeaveReason.ERROR));
    testKit.createTestProbe().expectTerminated(c.session());
  }

  @Test
  void aSessionThatStopsWithoutLeavingIsStillRemovedFromItsRoom() {
    Client a = join(ROOM);
    Client b = join(ROOM);
    a.next();

    b.says("fail");

    a.expect(new ClientEvent.Left(b.id(), ROOM, LeaveReason.ERROR));
    b.transport().probe.expectMessage(new Closed(CloseCodes.GOING_AWAY, "session stopped"));
  }

  @Test
  void aCodecThatThrowsOnAFrameIsAnsweredWithAnErrorAndTheSessionStays() {
    Client a = join(ROOM);
    Client b = join(ROOM);
    a.next();

    b.says("crash");
    b.says("still here");

    b.expect(new ClientEvent.Error("bad_request", "the message could not be read"));
    ClientEvent next = new ClientEvent.Message(b.id(), ROOM, new Payload.Text("still here"));
    b.expect(next);
    a.expect(next);
  }

  @Test
  void clientTextInALogLineIsEscapedSoNoLineCanBeForged() {
    Client a = join(ROOM);
    String forged = "crash\r\n12:00:00.000 INFO  Admin - token accepted\u0007";
    LoggingTestKit.warn("the codec failed on a client frame")
        .withCustom(
            event ->
                event.message().contains("crash\\r\\n12:00:00.000 INFO  Admin - token accepted\\u0007")
                    && event.message().chars().noneMatch(c -> c == '\r' || c == '\n' || c == 7)
                    && event.throwable().isEmpty())
        .expect(testKit.system(), () -> {
          a.says(forged);
          a.expect(new ClientEvent.Error("bad_request", "the message could not be read"));
          return null;
        });
  }

  @Test
  void nothingIsDeliveredToASessionAfterItLeft() {
    Client a = join(ROOM);
    Client b = join(ROOM);
    a.next();
    b.session().tell(Session.TransportClosed.INSTANCE);
    a.next(); // b left

    a.says("after");

    a.next();
    b.expectNothing();
  }

  @Test
  void emptyRoomsVanish() {
    Client a = join(ROOM);
    Client b = join(OTHER);
    assertEquals(new Lobby.Stats(2, 2, 4), stats());

    a.session().tell(Session.TransportClosed.INSTANCE);
    b.session().tell(Session.TransportClosed.INSTANCE);

    TestProbe<Optional<Lobby.RoomView>> reply = testKit.createTestProbe();
    reply.awaitAssert(
        () -> {
          assertEquals(new Lobby.Stats(0, 0, 0), stats());
          return null;
        });
    lobby.tell(new Lobby.GetRoom(ROOM, reply.ref()));
    reply.expectMessage(Optional.empty());
  }

  @Test
  void aRoomCanBeJoinedAgainAfterItVanished() {
    Client a = join(ROOM);
    a.session().tell(Session.TransportClosed.INSTANCE);
    testKit.createTestProbe().expectTerminated(a.session());

    Client b = connect(ROOM, Mode.CLASSIC);
    b.expect(new ClientEvent.Welcome(b.id(), ROOM, List.of(b.id())));
    b.says("hi");
    b.expect(new ClientEvent.Message(b.id(), ROOM, new Payload.Text("hi")));
  }

  @Test
  void roomViewAndListShowMembersInJoinOrder() {
    Client a = join(ROOM);
    Client b = join(ROOM);
    Client c = join(OTHER);

    TestProbe<Optional<Lobby.RoomView>> view = testKit.createTestProbe();
    lobby.tell(new Lobby.GetRoom(ROOM, view.ref()));
    view.expectMessage(Optional.of(new Lobby.RoomView(ROOM, List.of(a.id(), b.id()))));

    TestProbe<Lobby.RoomList> list = testKit.createTestProbe();
    lobby.tell(new Lobby.ListRooms(list.ref()));
    list.expectMessage(
        new Lobby.RoomList(
            List.of(new Lobby.RoomSummary(OTHER, 1), new Lobby.RoomSummary(ROOM, 2))));
    lobby.tell(new Lobby.GetRoom(OTHER, view.ref()));
    view.expectMessage(Optional.of(new Lobby.RoomView(OTHER, List.of(c.id()))));
    lobby.tell(new Lobby.GetRoom(new RoomId("nobody-here"), view.ref()));
    view.expectMessage(Optional.empty());
  }

  @Test
  void aSlowConsumerIsClosedWith1008AndTheRoomIsTold() {
    Client a = join(ROOM);
    Client slow = join(ROOM);
    a.next();
    slow.transport().full.set(true);

    a.says("flood");

    a.expect(new ClientEvent.Message(a.id(), ROOM, new Payload.Text("flood")));
    slow.transport().probe.expectMessage(new Closed(CloseCodes.POLICY_VIOLATION, "slow consumer"));
    a.expect(new ClientEvent.Left(slow.id(), ROOM, LeaveReason.SLOW_CONSUMER));
    testKit.createTestProbe().expectTerminated(slow.session());
  }

  @Test
  void inCloseModeAClientOverTheInboundRateIsClosedWith1008AndTheRoomKeepsWhatCameBefore() {
    // 2 per second: the burst is 2 messages, and the next token takes 500 ms to come, far longer
    // than the flood below takes to arrive.
    lobby =
        testKit.spawn(
            Lobby.create(
                SETTINGS.toBuilder()
                    .maxInboundPerSecond(2)
                    .inboundRateExceeded(LobbySettings.RateExceeded.CLOSE)
                    .build(),
                TestCodec.CODECS));
    Client witness = join(ROOM);
    Client flooder = join(ROOM);
    witness.next();

    for (int i = 0; i < 50; i++) {
      flooder.says("m" + i);
    }

    // The burst allowance (one second's worth) passes in order, then the flooder is cut off.
    int delivered = 0;
    ClientEvent event;
    while ((event = witness.next()) instanceof ClientEvent.Message message) {
      assertEquals(new Payload.Text("m" + delivered), message.msg());
      delivered++;
    }
    assertEquals(2, delivered);
    assertEquals(new ClientEvent.Left(flooder.id(), ROOM, LeaveReason.ERROR), event);
    flooder.transport().probe.fishForMessage(
        Duration.ofSeconds(3),
        out ->
            out.equals(new Closed(CloseCodes.POLICY_VIOLATION, "rate limit"))
                ? FishingOutcomes.complete()
                : FishingOutcomes.continueAndIgnore());
    testKit.createTestProbe().expectTerminated(flooder.session());
    witness.expectNothing();
  }

  @Test
  void closeAllClosesEverySessionWith1001AndRepliesWhenNoneIsLeft() {
    Client a = join(ROOM);
    Client b = join(OTHER);
    TestProbe<Done> done = testKit.createTestProbe();

    lobby.tell(new Lobby.CloseAll(CloseCodes.GOING_AWAY, "server shutting down", done.ref()));

    a.transport().probe.expectMessage(new Closed(CloseCodes.GOING_AWAY, "server shutting down"));
    b.transport().probe.expectMessage(new Closed(CloseCodes.GOING_AWAY, "server shutting down"));
    done.expectMessage(Done.getInstance());
    done.awaitAssert(
        () -> {
          assertEquals(new Lobby.Stats(0, 0, 0), stats()); // room actors stop right after
          return null;
        });

    Client late = connect(ROOM, Mode.CLASSIC);
    // Closed at once; its welcome, from the room, may come before or after.
    late.transport()
        .probe
        .fishForMessage(
            Duration.ofSeconds(3),
            out ->
                out.equals(new Closed(CloseCodes.GOING_AWAY, "server shutting down"))
                    ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
                    : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore());
  }

  @Test
  void sessionsSurviveEachOthersMisbehaviour() {
    Client a = join(ROOM);
    Client b = join(ROOM);
    a.next();
    b.session().tell(new Session.TransportFailed("boom"));
    a.expect(new ClientEvent.Left(b.id(), ROOM, LeaveReason.ERROR));
    a.says("fine");
    a.expect(new ClientEvent.Message(a.id(), ROOM, new Payload.Text("fine")));
  }

  Lobby.Stats stats() {
    TestProbe<Lobby.Stats> reply = testKit.createTestProbe();
    lobby.tell(new Lobby.GetStats(reply.ref()));
    return reply.receiveMessage();
  }
}
