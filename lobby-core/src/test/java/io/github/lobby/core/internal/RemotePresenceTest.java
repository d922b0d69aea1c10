package io.github.lobby.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.lobby.core.Federation;
import io.github.lobby.core.LeaveReason;
import io.github.lobby.core.PeerEvent;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The members a room has on other nodes: joins, leaves, snapshots, departures and the lease. */
class RemotePresenceTest {

  static final RoomId ROOM = new RoomId("presence");
  static final SessionId A = SessionId.random();
  static final SessionId B = SessionId.random();
  static final SessionId C = SessionId.random();
  static final AtomicLong CLOCK = new AtomicLong();

  /** What the local members would be told. */
  final List<String> told = new ArrayList<>();

  final RemotePresence.Changes changes =
      new RemotePresence.Changes() {
        @Override
        public void joined(SessionId id, String user) {
          told.add("joined " + name(id) + " " + user);
        }

        @Override
        public void left(SessionId id, LeaveReason reason, String user) {
          told.add("left " + name(id) + " " + reason.wireName() + " " + user);
        }
      };

  static String name(SessionId id) {
    return id.equals(A) ? "A" : id.equals(B) ? "B" : "C";
  }

  static RemotePresence presence(Duration lease) {
    Federation.Link peers =
        new Federation.Link() {
          @Override
          public void publish(PeerEvent event) {}

          @Override
          public Duration memberLease() {
            return lease;
          }
        };
    return new RemotePresence(
        ROOM, peers, LoggerFactory.getLogger(RemotePresenceTest.class), CLOCK::get);
  }

  Map<SessionId, String> all(RemotePresence presence) {
    Map<SessionId, String> all = new LinkedHashMap<>();
    presence.forEach(all::put);
    return all;
  }

  @Test
  void joinsAndLeavesAreToldOnceEach() {
    RemotePresence presence = presence(Duration.ZERO);
    presence.onEvent(new PeerEvent.Joined("n2", A, "ann"), changes);
    presence.onEvent(new PeerEvent.Joined("n2", A, "ann"), changes); // again: known
    presence.onEvent(new PeerEvent.Left("n2", A, LeaveReason.CLOSED), changes);
    presence.onEvent(new PeerEvent.Left("n2", A, LeaveReason.CLOSED), changes); // gone already
    assertEquals(List.of("joined A ann", "left A closed ann"), told);
  }

  @Test
  void aSnapshotReconcilesItsNodesMembersInItsOrder() {
    RemotePresence presence = presence(Duration.ZERO);
    presence.onEvent(new PeerEvent.Joined("n2", A, null), changes);
    presence.onEvent(new PeerEvent.Joined("n3", C, null), changes);
    presence.onEvent(new PeerEvent.Members("n2", List.of(B), Map.of(B, "bea")), changes);
    assertEquals(
        List.of("joined A null", "joined C null", "left A error null", "joined B bea"), told);
    Map<SessionId, String> expected = new LinkedHashMap<>();
    expected.put(B, "bea");
    expected.put(C, null);
    assertEquals(expected, all(presence), "node by node");
  }

  @Test
  void aNodeThatLeftOrSaidNothingForLongerThanTheLeaseTakesItsMembersAlong() {
    RemotePresence presence = presence(Duration.ofSeconds(10));
    long start = CLOCK.get();
    presence.heard("n2");
    presence.onEvent(new PeerEvent.Joined("n2", A, null), changes);
    presence.heard("n3");
    presence.onEvent(new PeerEvent.Joined("n3", B, null), changes);
    CLOCK.set(start + Duration.ofSeconds(8).toNanos());
    presence.heard("n3");
    CLOCK.set(start + Duration.ofSeconds(11).toNanos());
    presence.expireSilent(changes);
    assertEquals(List.of("joined A null", "joined B null", "left A error null"), told);
    presence.onEvent(new PeerEvent.NodeGone("n3"), changes);
    assertEquals("left B error null", told.get(3));
    assertTrue(presence.isEmpty());
  }
}
