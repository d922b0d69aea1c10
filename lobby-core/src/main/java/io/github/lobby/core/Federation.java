package io.github.lobby.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.ServiceLoader;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * Connects every room with the rooms of the same name on other nodes, so that one room can span
 * a cluster. {@link #NONE}, the default, is a single node. The {@code lobby-cluster} module
 * implements it with one hub actor per node of a Pekko Cluster.
 */
public interface Federation {

  /** A single node: nothing is published and nothing arrives. */
  Federation NONE = (room, inbox, context) -> event -> {};

  /**
   * The federation the configuration asks for: {@link #NONE} unless {@code lobby.cluster.enabled
   * = on}, then the one a module on the classpath provides ({@code lobby-cluster}, through {@link
   * ServiceLoader} and {@link Provider}).
   *
   * @throws ConfigException when clustering is asked for and no module
   *     provides it
   */
  static Federation fromConfig(Config config) {
    if (!config.getBoolean("lobby.cluster.enabled")) {
      return NONE;
    }
    return ServiceLoader.load(Provider.class)
        .findFirst()
        .orElseThrow(
            () ->
                new ConfigException.BadValue(
                    "lobby.cluster.enabled", "is on, but lobby-cluster is not on the classpath"))
        .create(config);
  }

  /** Creates a federation from the configuration; registered as a {@link ServiceLoader} service. */
  interface Provider {
    Federation create(Config config);
  }

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

  /**
   * Like {@link #link(RoomId, ActorRef, ActorContext)}, for a room that keeps {@code history}: a
   * federation that {@link #sequencesHistory() sequences histories} returns a link that {@link
   * Link#sequenced() sequences} the room's broadcasts. The default ignores the history.
   */
  default Link link(
      RoomId room,
      ActorRef<PeerEvent> inbox,
      ActorContext<?> context,
      LobbySettings.History history,
      Duration heartbeat) {
    return link(room, inbox, context);
  }

  /**
   * Whether rooms that keep a history ({@code lobby.history}) may span nodes with this federation.
   * Offsets mean the same on every node only if one sequencer per room numbers its broadcasts, so
   * a Lobby with a history refuses a federation that says false (the default).
   */
  default boolean sequencesHistory() {
    return false;
  }

  /**
   * Called once as the Lobby starts, in the Lobby actor: how it finds sessions on other nodes for
   * whispers. The federation delivers whispers from other nodes with {@link Lobby.DeliverWhisper}.
   */
  default Whispers whispers(ActorRef<Lobby.PeerCommand> lobby, ActorContext<?> context) {
    return search -> lobby.tell(new Lobby.WhisperSearched(search, false));
  }

  /**
   * Called once as the Lobby starts, in the Lobby actor, instead of {@link #whispers(ActorRef,
   * ActorContext)}: a federation that needs the Lobby's settings (its history, say) to start
   * overrides this one. The default ignores them.
   */
  default Whispers whispers(
      ActorRef<Lobby.PeerCommand> lobby, ActorContext<?> context, LobbySettings settings) {
    return whispers(lobby, context);
  }

  /** Finds the node that holds a session, and the sessions of a user on every node. */
  @FunctionalInterface
  interface Whispers {
    /**
     * Offers a whisper to the other nodes, then tells the Lobby a {@link Lobby.WhisperSearched}
     * saying whether one of them delivered it (false after a bounded wait, or at once on a single
     * node).
     */
    void find(Lobby.WhisperSearch search);

    /**
     * Delivers a whisper to the sessions of its user on every other node ({@link
     * Lobby.DeliverUserWhisper} there), then tells the Lobby a {@link Lobby.UserWhispered} counting
     * them, once every node answered or after a bounded wait.
     *
     * @return whether the Lobby will be told; false (the default, a single node): the whisper
     *     reached no other node, and the Lobby answers with what this node delivered
     */
    default boolean findUser(Lobby.UserWhisper whisper) {
      return false;
    }
  }

  /** One room's connection to its peers. */
  interface Link {
    /** Publishes an event of this room to its peers on other nodes; never blocks. */
    void publish(PeerEvent event);

    /** The name of this node in the events it publishes. */
    default String node() {
      return "local";
    }

    /**
     * How long the room keeps another node's members without hearing from that node about the
     * room; then they leave, with reason {@code error}. {@link Duration#ZERO} (the default): they
     * stay until a leave, a snapshot or {@link PeerEvent.NodeGone} removes them.
     *
     * <p>Why: delivery between nodes is at most once, so a lost leave whose node's room then
     * empties would leave a ghost member on the other nodes for good. A federation with a lease
     * promises to deliver every event, or a {@link PeerEvent.Members} snapshot, of every room a
     * node has members in, more often than the lease; rooms check it at each heartbeat.
     */
    default Duration memberLease() {
      return Duration.ZERO;
    }

    /**
     * Whether the room's broadcasts go through its sequencer: the room then hands each one to
     * {@link #sequence} instead of fanning it out, and fans out what comes back as {@link
     * PeerEvent.Sequenced}, starting from a {@link PeerEvent.History}. False by default.
     */
    default boolean sequenced() {
      return false;
    }

    /**
     * Sends a broadcast to the room's sequencer, which numbers it and sends it to the room on
     * every node, this one included, as {@link PeerEvent.Sequenced}; never blocks. Delivery is at
     * most once, so the sequencer takes a room's broadcasts in {@code seq} order only, ignores one
     * it had, and asks for the rest again from a gap ({@link PeerEvent.SequenceGap}); a room that
     * sees a gap in the offsets asks for the history again ({@link #resync()}), and one whose
     * sequencer was lost sends again what did not come back.
     *
     * @param epoch the epoch the room is in: a sequencer of another epoch ignores it (the room
     *     sends it again once it has the new epoch)
     * @param base the lowest {@code seq} of the room's broadcasts that have not come back: where a
     *     sequencer that has not heard from this room yet starts
     * @param seq increasing by one per room, echoed in the {@link PeerEvent.Sequenced}
     */
    default void sequence(String epoch, long base, long seq, SessionId from, Payload msg) {
      throw new UnsupportedOperationException("this link does not sequence broadcasts");
    }

    /** Asks the sequencer for its {@link PeerEvent.History} again (the room saw a gap). */
    default void resync() {}
  }
}
