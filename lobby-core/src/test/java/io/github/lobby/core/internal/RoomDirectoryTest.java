package io.github.lobby.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.github.lobby.core.LeaveReason;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Mode;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.TestCodec;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The Lobby's rooms: started with their first member, ended with their last or kept. */
class RoomDirectoryTest {

  static final RoomId A = new RoomId("a");
  static final RoomId B = new RoomId("b");
  static final RoomId C = new RoomId("c");

  final Map<RoomId, TestInbox<Room.Command>> started = new HashMap<>();

  RoomDirectory rooms(LobbySettings.History history) {
    return new RoomDirectory(
        room -> {
          TestInbox<Room.Command> inbox = TestInbox.create();
          started.put(room, inbox);
          return inbox.getRef();
        },
        history,
        LobbyMetrics.NONE,
        LoggerFactory.getLogger(RoomDirectoryTest.class));
  }

  @Test
  void aRoomStartsWithItsFirstMemberAndEndsWithItsLastWithoutAHistory() {
    RoomDirectory rooms = rooms(LobbySettings.History.OFF);
    SessionId one = SessionId.random();
    SessionId two = SessionId.random();
    RoomDirectory.Entry first = rooms.join(A, one);
    assertSame(first, rooms.join(A, two));
    assertEquals(1, started.size());
    rooms.leave(A, one, LeaveReason.CLOSED);
    assertEquals(new Room.Leave(one, LeaveReason.CLOSED), started.get(A).receiveMessage());
    rooms.leave(A, two, LeaveReason.TIMEOUT);
    started.get(A).receiveMessage();
    assertEquals(Room.Stop.INSTANCE, started.get(A).receiveMessage());
    assertNull(rooms.get(A));
  }

  @Test
  void withAHistoryRoomsAreKeptUntilIdleAndAtMostMaxKeptRoomsTheFirstEmptiedEndingFirst() {
    RoomDirectory rooms = rooms(new LobbySettings.History(10, Duration.ofMinutes(1), 1024, 2));
    for (RoomId room : List.of(A, B, C)) {
      SessionId id = SessionId.random();
      rooms.join(room, id);
      rooms.leave(room, id, LeaveReason.CLOSED);
      started.get(room).receiveMessage(); // the leave
    }
    assertEquals(Room.Stop.INSTANCE, started.get(A).receiveMessage(), "too many kept");
    assertEquals(2, rooms.kept());
    assertEquals(0, rooms.withMembers());
    rooms.join(B, SessionId.random()); // a member again
    assertEquals(1, rooms.kept());
    rooms.idle(B, started.get(B).getRef()); // it has a member
    rooms.idle(C, TestInbox.<Room.Command>create().getRef()); // another actor
    assertEquals(1, rooms.kept());
    assertEquals(1, rooms.withMembers());
    rooms.idle(C, started.get(C).getRef());
    assertEquals(Room.Stop.INSTANCE, started.get(C).receiveMessage());
    assertEquals(new Lobby.RoomList(List.of(new Lobby.RoomSummary(B, 1))), rooms.list());
  }

  @Test
  void aViewListsTheMembersInJoinOrderWithTheirUsers() {
    RoomDirectory rooms = rooms(LobbySettings.History.OFF);
    SessionDirectory sessions = new SessionDirectory(TestCodec.CODECS);
    SessionId ann = SessionId.random();
    SessionId anon = SessionId.random();
    rooms.join(A, ann);
    rooms.join(A, anon);
    TestInbox<SessionControl> ref = TestInbox.create();
    sessions.put(
        ann, new SessionDirectory.Entry(ref.getRef(), A, Mode.JSON, null, "ann", null, null, null));
    sessions.put(anon, new SessionDirectory.Entry(ref.getRef(), A, Mode.JSON, null));
    assertEquals(
        Optional.of(new Lobby.RoomView(A, List.of(ann, anon), Map.of(ann, "ann"))),
        rooms.view(A, sessions));
    assertEquals(Optional.empty(), rooms.view(B, sessions));
  }
}
