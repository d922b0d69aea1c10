package io.github.lobby.core;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * Connects every room with the rooms of the same name on other nodes, so that one room can span
 * a cluster. {@link #NONE}, the default, is a single node. The {@code lobby-cluster} module
 * implements it on Pekko's distributed pub-sub.
 */
public interface Federation {

  /** A single node: nothing is published and nothing arrives. */
  Federation NONE = (room, inbox, context) -> event -> {};

  /**
   * Called once by each room actor as it starts, in that actor (so {@code context} may spawn
   * children of the room, which stop with it).
   *
   * @param room the room's name
   * @param inbox where events from the room's peers on other nodes are to be sent
   * @return where the room publishes its own events (the link fills in nothing: events already
   *     name this node, see {@link Link#node()})
   */
  Link link(RoomId room, ActorRef<PeerEvent> inbox, ActorContext<?> context);

  /** One room's connection to its peers. */
  interface Link {
    /** Publishes an event of this room to its peers on other nodes; never blocks. */
    void publish(PeerEvent event);

    /** The name of this node in the events it publishes. */
    default String node() {
      return "local";
    }
  }
}
