package io.github.lobby.core;

import java.util.List;

/**
 * What the rooms of one name on different nodes tell each other through a {@link Federation}.
 * Every event names the node it comes from; a room reports only its own, local members.
 */
public sealed interface PeerEvent {

  /** The node an event comes from, as the federation names nodes. */
  String node();

  /** A session joined the room on {@code node}. */
  record Joined(String node, SessionId id) implements PeerEvent {}

  /** A session of {@code node} left the room. */
  record Left(String node, SessionId id, LeaveReason reason) implements PeerEvent {}

  /** A member of {@code node}, or the admin API there, broadcast to the room. */
  record Message(String node, SessionId from, Payload msg) implements PeerEvent {}

  /** The room started on {@code node}: the others answer with their {@link Members}. */
  record Hello(String node) implements PeerEvent {}

  /** All members the room has on {@code node} now, in join order. */
  record Members(String node, List<SessionId> members) implements PeerEvent {
    /** Copies the list. */
    public Members {
      members = List.copyOf(members);
    }
  }

  /**
   * Asks the room to publish its {@link Members} again; a federation sends this to its own room
   * now and then, so that views that missed an event converge.
   */
  record Resync(String node) implements PeerEvent {}

  /** {@code node} left the cluster or was removed from it: its members are gone. */
  record NodeGone(String node) implements PeerEvent {}
}
