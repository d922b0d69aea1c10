package io.github.lobby.core.internal;

import io.github.lobby.core.CloseCodes;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.PeerEvent;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.slf4j.Logger;

/**
 * A room whose broadcasts go through a sequencer ({@link SequencedDelivery}), until the sequencer's
 * first history arrives: before, it cannot welcome anybody (a welcome carries the epoch and
 * offset). Events of other nodes are handled meanwhile (they need no epoch); its other commands
 * wait in a stash, at most {@link #STASH}, and go to the room when the history comes.
 *
 * <p>Nobody waits for good: what comes while the stash is full, and every {@link #WAIT_BEATS}
 * heartbeats without a history what waits, is answered: a join is closed with 1013 (its client
 * tries again later), a member's request acknowledged, a publish counts nobody.
 */
final class AwaitingHistory {

  /** Heartbeats a room waits for its sequencer's first history before it refuses what waits. */
  static final int WAIT_BEATS = 6;

  /** The most commands a room keeps while it waits for its sequencer's first history. */
  static final int STASH = 100_000;

  private final Room room;
  private final RoomId name;
  private final StashBuffer<Room.Command> stash;
  private final Logger log;

  /** Heartbeats so far without the sequencer's first history. */
  private int beats;

  /** Sessions whose leave came while the stash was full (their join may be in it). */
  private Set<SessionId> leftWhileWaiting;

  /**
   * @param room the room that goes on once the history came
   * @param stash where commands wait, of at most {@link #STASH}
   */
  AwaitingHistory(Room room, RoomId name, StashBuffer<Room.Command> stash, Logger log) {
    this.room = room;
    this.name = name;
    this.stash = stash;
    this.log = log;
  }

  /** The room's behavior until its sequencer's first history. */
  Behavior<Room.Command> behavior() {
    return Behaviors.receive(Room.Command.class)
        .onMessage(Room.FromPeer.class, this::onPeerEvent)
        .onMessageEquals(Room.Beat.INSTANCE, this::onBeat)
        .onMessageEquals(Room.Stop.INSTANCE, Behaviors::stopped)
        .onAnyMessage(this::onCommand)
        .build();
  }

  /**
   * Whether a session's leave was refused while its join waited (the stash was full): the join must
   * then not make it a member. Asked, once, by the room for every join.
   */
  boolean leftBefore(SessionId id) {
    return leftWhileWaiting != null && leftWhileWaiting.remove(id);
  }

  private Behavior<Room.Command> onPeerEvent(Room.FromPeer event) {
    room.onPeerEvent(event);
    if (event.event() instanceof PeerEvent.History) {
      return stash.unstashAll(room);
    }
    return Behaviors.same();
  }

  private Behavior<Room.Command> onBeat() {
    if (++beats % WAIT_BEATS == 0 && !stash.isEmpty()) {
      log.warn(
          "Room {} has had no history from its sequencer for {} heartbeats: refuses the {}"
              + " commands that wait",
          name,
          beats,
          stash.size());
      stash.forEach(this::refuse);
      stash.clear(); // what comes next waits again
    }
    return Behaviors.same();
  }

  private Behavior<Room.Command> onCommand(Room.Command command) {
    if (!stash.isFull()) {
      stash.stash(command);
    } else {
      log.warn(
          "Room {} has no history from its sequencer yet and {} commands wait: refused a {}",
          name,
          STASH,
          command.getClass().getSimpleName());
      refuse(command);
    }
    return Behaviors.same();
  }

  /** Answers a command the room cannot handle without its history. */
  private void refuse(Room.Command command) {
    if (command instanceof Room.Join join) {
      join.session().tell(unavailable());
    } else if (command instanceof Room.Reattach reattach) {
      reattach.session().tell(unavailable());
    } else if (command instanceof Room.Leave leave) {
      if (leftWhileWaiting == null) {
        leftWhileWaiting = new HashSet<>();
      }
      leftWhileWaiting.add(leave.id());
    } else if (command instanceof Room.Broadcast broadcast) {
      broadcast.refused();
    } else if (command instanceof Room.ListMembers request) {
      request.session().tell(SessionControl.Processed.ROOM);
    } else if (command instanceof Room.Publish publish) {
      publish.replyTo().tell(new Lobby.Published(name, 0));
    } else if (command instanceof Room.Sync sync) {
      sync.session().tell(sync.reply());
    } else if (command instanceof Room.GetHistory request) {
      request.replyTo().tell(Optional.empty());
    }
  }

  private static SessionControl.Close unavailable() {
    return new SessionControl.Close(CloseCodes.TRY_AGAIN_LATER, "room unavailable");
  }
}
