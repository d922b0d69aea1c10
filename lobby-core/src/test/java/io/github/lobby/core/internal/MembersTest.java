package io.github.lobby.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Federation;
import io.github.lobby.core.LeaveReason;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.Mode;
import io.github.lobby.core.Payload;
import io.github.lobby.core.PeerEvent;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.TestCodec;
import io.github.lobby.core.Transport;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A room's members on this node, without an actor: welcome, fan-out, heartbeat, member list. */
class MembersTest {

  static final RoomId ROOM = new RoomId("members");

  final Federation.Link peers = event -> {};
  final RemotePresence remote =
      new RemotePresence(ROOM, peers, LoggerFactory.getLogger(MembersTest.class), System::nanoTime);
  final Members members = new Members(ROOM, TestCodec.CODECS, LobbyMetrics.NONE, remote);

  record Joined(SessionId id, RecordingTransport transport, TestInbox<SessionControl> session) {}

  Joined join(Mode mode, String user) {
    SessionId id = SessionId.random();
    RecordingTransport transport = new RecordingTransport();
    TestInbox<SessionControl> session = TestInbox.create();
    members.join(id, mode, transport, session.getRef(), user);
    return new Joined(id, transport, session);
  }

  @Test
  void aJoinIsToldToTheOthersAndTheWelcomeListsEveryone() {
    Joined a = join(Mode.CLASSIC, null);
    Joined b = join(Mode.JSON, "bob");
    assertEquals(List.of(new ClientEvent.Joined(b.id(), ROOM, "bob")), a.transport().events());
    members.welcome(b.id(), members.get(b.id()), null, null, null, null);
    assertEquals(
        new ClientEvent.Welcome(
            b.id(), ROOM, List.of(a.id(), b.id()), Map.of(b.id(), "bob"), null, null, null),
        b.transport().events().get(0));
  }

  @Test
  void anEventIsRenderedOncePerModeAndTheSameFrameGoesToEveryMemberOfAMode() {
    Joined a = join(Mode.CLASSIC, null);
    Joined b = join(Mode.CLASSIC, null);
    Joined c = join(Mode.JSON, null);
    a.transport().frames.clear();
    b.transport().frames.clear();
    int accepted = members.fanOut(new ClientEvent.Message(a.id(), ROOM, new Payload.Text("hi")));
    assertEquals(3, accepted);
    assertSame(a.transport().frames.get(0), b.transport().frames.get(0));
    assertEquals(1, c.transport().frames.size());
    assertEquals(
        1, members.fanOut(new ClientEvent.HistoryReset("e", 1), true), "JSON members only");
    assertEquals(1, a.transport().frames.size());
  }

  @Test
  void theMemberListIsRenderedOncePerChangeAndAFullQueueTellsItsSession() {
    Joined a = join(Mode.JSON, null);
    Joined b = join(Mode.JSON, null);
    a.transport().frames.clear();
    members.sendMembers(members.get(a.id()));
    members.sendMembers(members.get(b.id()));
    assertSame(a.transport().frames.get(0), b.transport().frames.get(0));
    members.leave(b.id(), LeaveReason.CLOSED);
    members.sendMembers(members.get(a.id()));
    assertNotSame(a.transport().frames.get(0), a.transport().frames.get(2));
    assertEquals(
        new ClientEvent.Members(ROOM, List.of(a.id())), a.transport().frames.get(2).event());

    a.transport().answer = Transport.Offer.FULL;
    members.sendMembers(members.get(a.id()));
    assertEquals(SessionControl.SlowConsumer.INSTANCE, a.session().receiveMessage());
  }

  @Test
  void aMemberThatJoinedSinceTheLastBeatGetsAPartialOneAndAReattachedOneToo() {
    Joined a = join(Mode.JSON, null); // the first: it starts with the timer
    members.beat();
    assertEquals(SessionControl.Heartbeat.FULL, a.session().receiveMessage());
    Joined b = join(Mode.JSON, null);
    members.beat();
    assertEquals(SessionControl.Heartbeat.FULL, a.session().receiveMessage());
    assertEquals(SessionControl.Heartbeat.PARTIAL, b.session().receiveMessage());

    TestInbox<SessionControl> successor = TestInbox.create();
    RecordingTransport again = new RecordingTransport();
    members.reattach(a.id(), again, successor.getRef());
    members.beat();
    assertEquals(SessionControl.Heartbeat.PARTIAL, successor.receiveMessage());
    members.welcome(a.id(), members.get(a.id()), null, null, null, true);
    ClientEvent.Welcome welcome =
        assertInstanceOf(ClientEvent.Welcome.class, again.events().get(0));
    assertEquals(List.of(a.id(), b.id()), welcome.members(), "it kept its place");
    assertNull(members.reattach(SessionId.random(), again, successor.getRef()));
  }

  @Test
  void membersOfOtherNodesComeFirstInTheListAndTheirComingsAndGoingsAreTold() {
    Joined a = join(Mode.CLASSIC, null);
    SessionId there = SessionId.random();
    remote.onEvent(new PeerEvent.Joined("n2", there, "zoe"), members);
    assertEquals(new ClientEvent.Joined(there, ROOM, "zoe"), a.transport().events().get(0));
    members.sendMembers(members.get(a.id()));
    assertEquals(
        new ClientEvent.Members(ROOM, List.of(there, a.id()), Map.of(there, "zoe")),
        a.transport().events().get(1));
    remote.onEvent(new PeerEvent.NodeGone("n2"), members);
    assertEquals(
        new ClientEvent.Left(there, ROOM, LeaveReason.ERROR, "zoe"), a.transport().events().get(2));
    assertEquals(
        new PeerEvent.Members("n1", List.of(a.id())), members.snapshot("n1"), "local only");
  }
}
