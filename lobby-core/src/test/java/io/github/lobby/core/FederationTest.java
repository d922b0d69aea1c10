package io.github.lobby.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A room with peers on other nodes, through a federation whose both ends are test probes. */
@ExtendWith({TestKitJUnit5Extension.class, LogCapturingExtension.class})
class FederationTest {

  @JUnit5TestKit ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  static final RoomId ROOM = new RoomId("spanning");
  static final String HERE = "node-1";
  static final String THERE = "node-2";

  TestProbe<PeerEvent> published;
  final AtomicReference<ActorRef<PeerEvent>> inbox = new AtomicReference<>();

  /** Whisper searches handed to the federation, answered by the test. */
  final List<Runnable> noSuchSession = new java.util.concurrent.CopyOnWriteArrayList<>();

  ActorRef<Lobby.Command> lobby;

  @BeforeEach
  void start() {
    published = testKit.createTestProbe();
    Federation federation =
        new Federation() {
          @Override
          public Link link(RoomId room, ActorRef<PeerEvent> roomInbox, ActorContext<?> context) {
            inbox.set(roomInbox);
            return new Federation.Link() {
              @Override
              public void publish(PeerEvent event) {
                published.ref().tell(event);
              }

              @Override
              public String node() {
                return HERE;
              }
            };
          }

          @Override
          public Whispers whispers(ActorRef<Lobby.PeerCommand> lobby, ActorContext<?> context) {
            return search ->
                noSuchSession.add(() -> lobby.tell(new Lobby.WhisperSearched(search, false)));
          }
        };
    LobbySettings settings =
        LobbySettings.builder()
            .heartbeatInterval(Duration.ofHours(1))
            .clientTimeout(Duration.ofHours(2))
            .build();
    lobby = testKit.spawn(Lobby.create(settings, TestCodec.CODECS, federation));
  }

  private LobbyTest.Client join() {
    ProbeTransport transport = new ProbeTransport(testKit);
    SessionId id = SessionId.random();
    TestProbe<ActorRef<Session.Command>> reply = testKit.createTestProbe();
    lobby.tell(new Lobby.Connect(id, ROOM, Mode.CLASSIC, transport, reply.ref()));
    LobbyTest.Client client = new LobbyTest.Client(id, transport, reply.receiveMessage());
    assertInstanceOf(ClientEvent.Welcome.class, client.next());
    return client;
  }

  private void fromPeer(PeerEvent event) {
    inbox.get().tell(event);
  }

  @Test
  void localEventsArePublishedAndPeerEventsReachLocalMembers() {
    LobbyTest.Client a = join();
    assertEquals(new PeerEvent.Hello(HERE), published.receiveMessage());
    assertEquals(new PeerEvent.Joined(HERE, a.id()), published.receiveMessage());

    a.says("hi");
    a.next();
    assertEquals(
        new PeerEvent.Message(HERE, a.id(), new Payload.Text("hi")), published.receiveMessage());

    SessionId x = SessionId.random();
    fromPeer(new PeerEvent.Joined(THERE, x));
    a.expect(new ClientEvent.Joined(x, ROOM));
    fromPeer(new PeerEvent.Message(THERE, x, new Payload.Text("yo")));
    a.expect(new ClientEvent.Message(x, ROOM, new Payload.Text("yo")));
    a.says("members");
    a.expect(new ClientEvent.Members(ROOM, List.of(x, a.id())));

    // Our own events coming back are ignored.
    fromPeer(new PeerEvent.Message(HERE, a.id(), new Payload.Text("echo")));
    a.expectNothing();

    fromPeer(new PeerEvent.Hello("node-3"));
    assertEquals(new PeerEvent.Members(HERE, List.of(a.id())), published.receiveMessage());
  }

  @Test
  void snapshotsReconcileAndAGoneNodesMembersLeaveOnce() {
    LobbyTest.Client a = join();
    SessionId x = SessionId.random();
    SessionId y = SessionId.random();
    fromPeer(new PeerEvent.Joined(THERE, x));
    a.expect(new ClientEvent.Joined(x, ROOM));

    // A snapshot tells only the difference: y joined; x, already known, is not announced again.
    fromPeer(new PeerEvent.Members(THERE, List.of(x, y)));
    a.expect(new ClientEvent.Joined(y, ROOM));
    a.expectNothing();
    fromPeer(new PeerEvent.Left(THERE, x, LeaveReason.CLOSED));
    a.expect(new ClientEvent.Left(x, ROOM, LeaveReason.CLOSED));
    fromPeer(new PeerEvent.Left(THERE, x, LeaveReason.CLOSED));
    a.expectNothing();

    fromPeer(new PeerEvent.NodeGone(THERE));
    a.expect(new ClientEvent.Left(y, ROOM, LeaveReason.ERROR));
    fromPeer(new PeerEvent.NodeGone(THERE));
    a.expectNothing();
    a.says("members");
    a.expect(new ClientEvent.Members(ROOM, List.of(a.id())));
  }

  @Test
  void searchesForWhisperTargetsOnOtherNodesAnswerEachSenderAboutItsOwnTarget() {
    LobbyTest.Client a = join();
    LobbyTest.Client b = join();
    a.next(); // b joined
    SessionId x = SessionId.random();
    SessionId y = SessionId.random();

    a.says("w " + x + " hello?");
    b.says("w " + y + " hello?");
    published.awaitAssert(
        () -> {
          assertEquals(2, noSuchSession.size());
          return null;
        });
    noSuchSession.forEach(Runnable::run); // both searches end, no node has either

    a.expect(new ClientEvent.NoSession(x.toString()));
    b.expect(new ClientEvent.NoSession(y.toString()));
  }

  @Test
  void aResyncRepublishesTheLocalMembers() {
    LobbyTest.Client a = join();
    published.receiveMessage(); // hello
    published.receiveMessage(); // joined
    fromPeer(new PeerEvent.Resync(HERE));
    assertEquals(new PeerEvent.Members(HERE, List.of(a.id())), published.receiveMessage());
  }

  /**
   * Two nodes' Lobbies joined by an in-process federation that loses the events {@link #drop}
   * matches, as pub-sub between real nodes may. Each room is asked to republish its members every
   * 100 ms (a federation with a lease must refresh more often than the lease).
   */
  static final class LossyFederation {
    final Map<String, Map<RoomId, ActorRef<PeerEvent>>> rooms = new ConcurrentHashMap<>();
    volatile Predicate<PeerEvent> drop = event -> false;
    final Duration lease;

    LossyFederation(Duration lease) {
      this.lease = lease;
    }

    Federation node(String node) {
      rooms.put(node, new ConcurrentHashMap<>());
      return (room, roomInbox, context) -> {
        rooms.get(node).put(room, roomInbox);
        context.spawn(
            Behaviors.<String>withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay("tick", Duration.ofMillis(100));
                  return Behaviors.receiveMessage(
                      tick -> {
                        roomInbox.tell(new PeerEvent.Resync(node));
                        return Behaviors.same();
                      });
                }),
            "resync");
        return new Federation.Link() {
          @Override
          public void publish(PeerEvent event) {
            if (drop.test(event)) {
              return;
            }
            rooms.forEach(
                (other, inboxes) -> {
                  ActorRef<PeerEvent> peer = inboxes.get(room);
                  if (!other.equals(node) && peer != null) {
                    peer.tell(event);
                  }
                });
          }

          @Override
          public String node() {
            return node;
          }

          @Override
          public Duration memberLease() {
            return lease;
          }
        };
      };
    }
  }

  /** The next event a client is sent, skipping Pings. */
  private static ClientEvent nextEvent(LobbyTest.Client client, Duration within) {
    List<ProbeTransport.Out> seen =
        client
            .transport()
            .probe
            .fishForMessage(
                within,
                out ->
                    out instanceof ProbeTransport.Sent
                        ? FishingOutcomes.complete()
                        : FishingOutcomes.continueAndIgnore());
    return ((ProbeTransport.Sent) seen.get(seen.size() - 1)).event();
  }

  /** Asserts that a client is sent no event (Pings aside) for a while. */
  private static void expectNoEvent(LobbyTest.Client client, Duration during) {
    long end = System.nanoTime() + during.toNanos();
    while (System.nanoTime() < end) {
      ProbeTransport.Out out = client.transport().probe.receiveMessage(during);
      if (out instanceof ProbeTransport.Sent sent) {
        throw new AssertionError("unexpected event " + sent.event());
      }
    }
  }

  @Test
  void aMemberWhoseLeaveIsLostExpiresOnceItsNodeStopsReportingIt() {
    LossyFederation federation = new LossyFederation(Duration.ofMillis(600));
    // Rooms check the lease at each heartbeat; the clients here never answer Pings.
    LobbySettings settings =
        LobbySettings.builder()
            .heartbeatInterval(Duration.ofMillis(100))
            .clientTimeout(Duration.ofHours(1))
            .build();
    ActorRef<Lobby.Command> here =
        testKit.spawn(Lobby.create(settings, TestCodec.CODECS, federation.node(HERE)));
    ActorRef<Lobby.Command> there =
        testKit.spawn(Lobby.create(settings, TestCodec.CODECS, federation.node(THERE)));
    LobbyTest.Client a = connect(here);
    LobbyTest.Client x = connect(there);
    assertEquals(new ClientEvent.Joined(x.id(), ROOM), nextEvent(a, Duration.ofSeconds(5)));

    // While node-2 keeps reporting x, x stays, well past the lease.
    expectNoEvent(a, Duration.ofMillis(2_000));

    // x leaves; its notice is lost; node-2's room empties and stops reporting.
    federation.drop = event -> event instanceof PeerEvent.Left;
    there.tell(new Lobby.Disconnected(x.id()));
    assertEquals(
        new ClientEvent.Left(x.id(), ROOM, LeaveReason.ERROR), nextEvent(a, Duration.ofSeconds(5)));
    expectNoEvent(a, Duration.ofMillis(1_000)); // once
    a.says("members");
    assertEquals(
        new ClientEvent.Members(ROOM, List.of(a.id())), nextEvent(a, Duration.ofSeconds(5)));
  }

  private LobbyTest.Client connect(ActorRef<Lobby.Command> node) {
    ProbeTransport transport = new ProbeTransport(testKit);
    SessionId id = SessionId.random();
    TestProbe<ActorRef<Session.Command>> reply = testKit.createTestProbe();
    node.tell(new Lobby.Connect(id, ROOM, Mode.CLASSIC, transport, reply.ref()));
    LobbyTest.Client client = new LobbyTest.Client(id, transport, reply.receiveMessage());
    assertInstanceOf(ClientEvent.Welcome.class, nextEvent(client, Duration.ofSeconds(5)));
    return client;
  }
}
