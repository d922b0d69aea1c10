package io.github.lobby.core.internal;

import io.github.lobby.core.LeaveReason;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;

/**
 * The rooms of one Lobby: each room's actor and its members on this node, in join order. A room
 * starts with its first member and ends with its last; with a history ({@code lobby.history}) it is
 * kept without members until it says it is idle (nothing kept, ttl passed), and at most {@code
 * max-kept-rooms} are kept at once, the one that emptied first ending first.
 *
 * <p>Confined to the Lobby's actor, which starts the room actors.
 */
final class RoomDirectory {

  /** A room: its actor, and its members on this node in join order. */
  record Entry(ActorRef<Room.Command> ref, Set<SessionId> members) {}

  private final Map<RoomId, Entry> rooms = new HashMap<>();

  /** Rooms without members kept for their history, the one that emptied first first. */
  private final LinkedHashSet<RoomId> kept = new LinkedHashSet<>();

  private final Function<RoomId, ActorRef<Room.Command>> start;
  private final LobbySettings.History history;
  private final LobbyMetrics metrics;
  private final Logger log;

  /**
   * @param start starts the actor of a room
   */
  RoomDirectory(
      Function<RoomId, ActorRef<Room.Command>> start,
      LobbySettings.History history,
      LobbyMetrics metrics,
      Logger log) {
    this.start = start;
    this.history = history;
    this.metrics = metrics;
    this.log = log;
  }

  /** The room of that name, or null when there is none. */
  Entry get(RoomId room) {
    return rooms.get(room);
  }

  /** The room a session joins, started when there is none; the session is a member from now. */
  Entry join(RoomId room, SessionId id) {
    Entry entry =
        rooms.computeIfAbsent(
            room,
            name -> {
              metrics.roomAdded();
              return new Entry(start.apply(name), new LinkedHashSet<>());
            });
    if (kept.remove(room)) {
      metrics.roomAdded(); // a kept room has a member again
    }
    entry.members().add(id);
    return entry;
  }

  /**
   * A member leaves its room, which is told; a room left without members ends, or is kept for its
   * history.
   */
  void leave(RoomId room, SessionId id, LeaveReason reason) {
    Entry entry = rooms.get(room);
    entry.members().remove(id);
    entry.ref().tell(new Room.Leave(id, reason));
    if (!entry.members().isEmpty()) {
      return;
    }
    metrics.roomRemoved(); // the gauge counts rooms with members
    // With a history the room outlives its last member, so that a member who reconnects finds what
    // it missed; it says when it is idle (idle()).
    if (history.on()) {
      kept.add(room);
      if (kept.size() > history.maxKeptRooms()) {
        RoomId eldest = kept.iterator().next();
        log.debug("Room {} ends: too many rooms kept", eldest);
        end(eldest);
      }
    } else {
      end(room);
    }
  }

  /**
   * A kept room said it is idle: it ends, unless it is another actor by now or somebody joined it
   * meanwhile.
   */
  void idle(RoomId room, ActorRef<Room.Command> ref) {
    Entry entry = rooms.get(room);
    if (entry != null && entry.ref().equals(ref) && entry.members().isEmpty()) {
      log.debug("Room {} ends: no member and nothing kept", room);
      end(room);
    }
  }

  /** Stops a room without members and forgets it. */
  private void end(RoomId room) {
    Entry entry = rooms.remove(room);
    kept.remove(room);
    entry.ref().tell(Room.Stop.INSTANCE);
  }

  /** One room's members on this node, in join order, with their users; empty for no such room. */
  Optional<Lobby.RoomView> view(RoomId room, SessionDirectory sessions) {
    Entry entry = rooms.get(room);
    if (entry == null) {
      return Optional.empty();
    }
    Map<SessionId, String> users = new LinkedHashMap<>();
    for (SessionId id : entry.members()) {
      SessionDirectory.Entry session = sessions.get(id);
      if (session != null && session.user() != null) {
        users.put(id, session.user());
      }
    }
    return Optional.of(new Lobby.RoomView(room, new ArrayList<>(entry.members()), users));
  }

  /** Every room with members, sorted by name (rooms kept for their history are not listed). */
  Lobby.RoomList list() {
    Map<String, Lobby.RoomSummary> sorted = new TreeMap<>();
    rooms.forEach(
        (id, entry) -> {
          if (!entry.members().isEmpty()) {
            sorted.put(id.value(), new Lobby.RoomSummary(id, entry.members().size()));
          }
        });
    return new Lobby.RoomList(new ArrayList<>(sorted.values()));
  }

  /** How many rooms have members. */
  int withMembers() {
    return rooms.size() - kept.size();
  }

  /** How many rooms without members are kept for their history. */
  int kept() {
    return kept.size();
  }
}
