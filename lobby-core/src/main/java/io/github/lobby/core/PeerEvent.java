package io.github.lobby.core;

import java.util.List;
import java.util.Map;

/**
 * What the rooms of one name on different nodes tell each other through a {@link Federation}.
 * Every event names the node it comes from; a room reports only its own, local members.
 */
public sealed interface PeerEvent {

  /** The node an event comes from, as the federation names nodes. */
  String node();

  /**
   * A session joined the room on {@code node}.
   *
   * @param user its user, or null when it is not authenticated
   */
  record Joined(String node, SessionId id, String user) implements PeerEvent {
    /** A join without a user. */
    public Joined(String node, SessionId id) {
      this(node, id, null);
    }
  }

  /** A session of {@code node} left the room. */
  record Left(String node, SessionId id, LeaveReason reason) implements PeerEvent {}

  /** A member of {@code node}, or the admin API there, broadcast to the room. */
  record Message(String node, SessionId from, Payload msg) implements PeerEvent {}

  /** The room started on {@code node}: the others answer with their {@link Members}. */
  record Hello(String node) implements PeerEvent {}

  /**
   * All members the room has on {@code node} now, in join order.
   *
   * @param users the user of each authenticated member
   */
  record Members(String node, List<SessionId> members, Map<SessionId, String> users)
      implements PeerEvent {
    /** Copies the list and the users. */
    public Members {
      members = List.copyOf(members);
      users = ClientEvent.copyUsers(users);
    }

    /** A snapshot without users. */
    public Members(String node, List<SessionId> members) {
      this(node, members, Map.of());
    }
  }

  /**
   * Asks the room to publish its {@link Members} again; a federation sends this to its own room
   * now and then, so that views that missed an event converge.
   */
  record Resync(String node) implements PeerEvent {}

  /** {@code node} left the cluster or was removed from it: its members are gone. */
  record NodeGone(String node) implements PeerEvent {}

  /**
   * A broadcast as the room's sequencer numbered it (a history across nodes, {@link
   * Federation#sequencesHistory()}): every node's room gets the same offsets in the same order.
   *
   * @param node the node whose room sent it to the sequencer
   * @param epoch the sequencer's epoch
   * @param offset its offset in the room
   * @param seq the number that room gave it ({@link Federation.Link#sequence}), so that it knows
   *     which of its broadcasts are done
   * @param from the sender's session id, or the server id
   */
  record Sequenced(String node, String epoch, long offset, long seq, SessionId from, Payload msg)
      implements PeerEvent {}

  /**
   * The sequencer missed this node's broadcasts from {@code from} on (lost between the nodes): the
   * room sends again those it still has pending, in order.
   *
   * @param epoch the sequencer's epoch
   */
  record SequenceGap(String node, String epoch, long from) implements PeerEvent {}

  /**
   * What the room's sequencer keeps, in answer to a subscription ({@link Federation.Link#resync()}
   * or the link's start): every {@link Sequenced} after it follows on.
   *
   * @param node the sequencer's node
   * @param epoch the sequencer's epoch: a new one whenever a sequencer starts, so a room that sees
   *     another epoch knows that the history it had was lost
   * @param offset the offset of the sequencer's latest broadcast (0 before any)
   * @param kept the broadcasts it keeps, oldest first, each with its age, so that it expires at the
   *     same time on every node
   * @param moved whether another sequencer answered than before: one in the same epoch took over
   *     from a predecessor whose shard moved, and the room sends it what had not come back
   */
  record History(
      String node, String epoch, long offset, List<KeptMessage> kept, boolean moved)
      implements PeerEvent {
    /** Copies the list. */
    public History {
      kept = List.copyOf(kept);
    }

    /** A history from the sequencer that answered before (or the first). */
    public History(String node, String epoch, long offset, List<KeptMessage> kept) {
      this(node, epoch, offset, kept, false);
    }
  }
}
