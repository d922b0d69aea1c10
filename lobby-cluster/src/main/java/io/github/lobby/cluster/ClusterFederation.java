package io.github.lobby.cluster;

import com.typesafe.config.Config;
import io.github.lobby.core.Federation;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Payload;
import io.github.lobby.core.PeerEvent;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Rooms that span a Pekko Cluster: each node has one {@link NodeHub}, which carries what happens
 * among each room's local members (joins, leaves, broadcasts) to the other nodes' hubs, and those
 * hand it to their room of the same name. Every {@code resync-interval} each hub sends the others a
 * snapshot of its rooms' members.
 *
 * <p>Why rooms that federate rather than sharding rooms: a broadcast is delivered by the sender's
 * own node to its local members at once, and crosses to each other node that has the room once, as
 * one message, to be fanned out there; per-sender order holds because a sender's messages always
 * take the same path (session, its room, its hub, each remote hub, each remote room). Nodes that
 * have no member of a room hold nothing for it. Sharding would route every broadcast through the
 * room's home node first (one more hop, and that node's core for every fan-out) to gain a single
 * member list, which the periodic snapshots give here too, eventually. Why hubs rather than a
 * pub-sub topic per room: see {@link NodeHub} (thousands of rooms with churn).
 *
 * <p>Notice consistency: each node reports only its own members, so a node's view of another is
 * exactly that node's stream of joins and leaves, in order, plus snapshots on the same stream;
 * views can lag but never contradict, and every difference a snapshot reveals is told as a join or
 * a leave.
 *
 * <p>Departures nobody announced: a node that leaves or is removed (after downing) is reported to
 * every room as gone, its members leaving once each with reason {@code error}; and members that no
 * snapshot has renewed for {@code member-lease} expire the same way (a lost leave whose room then
 * emptied, a node not yet downed).
 *
 * <p>Rooms that keep a history ({@code lobby.history}) need offsets that mean the same on every
 * node, so their broadcasts do not take the direct path: each goes to the room's one {@link
 * RoomSequencer} (Cluster Sharding), which numbers it and sends it to the room on every node, the
 * sender's included. Membership still takes the direct path. See {@link RoomSequencer} for the
 * trade-off.
 *
 * <p>Large messages take one of three ways between nodes, each where the other two cannot serve:
 *
 * <ul>
 *   <li>Events between hubs ({@link NodeHub}) larger than half an ordinary Artery frame go in
 *       chunks on the ordinary lane: they must keep their order among the node's small events
 *       (a join, then a large broadcast, then a leave), which a second lane would not, and may be
 *       larger (a member list of a very large room, up to {@code max-event-bytes}, 16 MiB) than a
 *       frame of the large-message lane carries.
 *   <li>Everything to and from a sequencer ({@link RoomSequencer}, {@link SequenceInbox}) goes on
 *       Artery's large-message lane: a sequencer's traffic is ordered within that lane, a
 *       broadcast there is at most {@code lobby.http.max-body} (1 MiB) and fits its 2 MiB frames
 *       whole, and large pushes do not hold up the hubs' lane.
 *   <li>A sequencer's whole history (its state, sent to a node that subscribes and on a hand-off)
 *       can be larger than even a large frame, so it goes in parts of whole kept messages, which
 *       the inbox joins; chunking it as bytes would need the hubs' reassembly on the other lane.
 * </ul>
 */
public final class ClusterFederation implements Federation {

  private final Duration resyncInterval;
  private final Duration memberLease;
  private final Duration whisperTimeout;
  private final long maxEventBytes;
  private volatile String role = "";
  private volatile boolean bootstrap;

  /** This federation's hub, spawned with the Lobby ({@link #whispers}). */
  private volatile ActorRef<NodeHub.Command> hub;

  /** This node's end of the rooms' sequencers, started with a Lobby that keeps a history. */
  private volatile ActorRef<SequenceInbox.Command> sequences;

  /** Found by {@link Federation#fromConfig} through {@link java.util.ServiceLoader}. */
  public static final class Provider implements Federation.Provider {
    /** Called by {@link java.util.ServiceLoader}. */
    public Provider() {}

    @Override
    public Federation create(Config config) {
      return fromConfig(config);
    }
  }

  /**
   * Reads {@code lobby.cluster}.
   *
   * @throws com.typesafe.config.ConfigException when {@code lobby.cluster.bootstrap} is on and
   *     Cluster Bootstrap is not on the class path, or {@code pekko.cluster.seed-nodes} is set too
   */
  public static ClusterFederation fromConfig(Config config) {
    boolean bootstrap = config.getBoolean("lobby.cluster.bootstrap");
    if (bootstrap) {
      checkBootstrap(config);
    }
    return new ClusterFederation(
            config.getDuration("lobby.cluster.resync-interval"),
            config.getDuration("lobby.cluster.member-lease"),
            config.getDuration("lobby.cluster.whisper-timeout"),
            config.getBytes("lobby.cluster.max-event-bytes"))
        .withRole(config.getString("lobby.cluster.role"))
        .withBootstrap(bootstrap);
  }

  /**
   * No seed nodes are configured with bootstrap: with seed nodes Cluster Bootstrap does not start
   * (the node joins them instead), which is not what a configuration that asks for both means.
   */
  private static void checkBootstrap(Config config) {
    String seeds = "pekko.cluster.seed-nodes";
    if (config.hasPath(seeds) && !config.getStringList(seeds).isEmpty()) {
      throw new com.typesafe.config.ConfigException.BadValue(
          "lobby.cluster.bootstrap",
          "is on, so the cluster forms from service discovery, but "
              + seeds
              + " is set too ("
              + config.getStringList(seeds)
              + "): set one or the other");
    }
  }

  /**
   * Runs the rooms' sequencers (rooms with a history) only on the nodes with this Pekko Cluster
   * role; "" (the default): on every node, which must then all run a Lobby, since sharding counts
   * every node for its coordinator's majority.
   */
  public ClusterFederation withRole(String role) {
    this.role = java.util.Objects.requireNonNull(role, "role");
    return this;
  }

  /**
   * Forms the cluster with Pekko Management's Cluster Bootstrap when the Lobby starts, rather than
   * from seed nodes: Pekko Management serves this node's contact point ({@code
   * pekko.management.http.*}) and Cluster Bootstrap finds the others through Pekko Discovery
   * ({@code pekko.management.cluster.bootstrap.*}, {@code pekko.discovery.*}), all read from the
   * ActorSystem's configuration. Needs {@code pekko-management-cluster-bootstrap} on the class path
   * and no {@code pekko.cluster.seed-nodes} (with seed nodes, Cluster Bootstrap logs a warning and
   * does not start).
   *
   * @throws com.typesafe.config.ConfigException when on and Cluster Bootstrap is not on the class
   *     path
   */
  public ClusterFederation withBootstrap(boolean bootstrap) {
    if (bootstrap) {
      ClusterBootstrapStart.checkAvailable();
    }
    this.bootstrap = bootstrap;
    return this;
  }

  /**
   * @param resyncInterval how often each node sends the others its rooms' members
   * @param memberLease how long another node's members stay without a snapshot renewing them; more
   *     than twice {@code resyncInterval}, so that one lost snapshot is forgiven
   * @param whisperTimeout how long a whisper waits for other nodes: before "no session", or, to a
   *     user, before it counts the deliveries that other nodes have reported
   * @param maxEventBytes the largest event or snapshot carried between nodes, serialized
   */
  public ClusterFederation(
      Duration resyncInterval, Duration memberLease, Duration whisperTimeout, long maxEventBytes) {
    if (memberLease.compareTo(resyncInterval.multipliedBy(2)) <= 0) {
      throw new IllegalArgumentException(
          "lobby.cluster.member-lease must be more than twice lobby.cluster.resync-interval");
    }
    this.resyncInterval = resyncInterval;
    this.memberLease = memberLease;
    this.whisperTimeout = whisperTimeout;
    this.maxEventBytes = maxEventBytes;
  }

  /**
   * Called once as the Lobby starts: as {@link #whispers(ActorRef, ActorContext)}, and with a
   * history, also starts the rooms' sequencers on this node (Cluster Sharding; every node whose
   * Lobby keeps a history does this, so that the sharding coordinator has its majority).
   */
  @Override
  public Whispers whispers(
      ActorRef<Lobby.PeerCommand> lobby, ActorContext<?> context, LobbySettings settings) {
    Whispers whispers = whispers(lobby, context);
    if (settings.history().on()) {
      sequences = startSequences(lobby, context, role);
    }
    return whispers;
  }

  /**
   * Called once as the Lobby starts: spawns this node's hub and whisper service as its children,
   * warns when the cluster port is open beyond this machine without TLS with mutual
   * authentication, and with {@link #withBootstrap bootstrap} starts Pekko Management and Cluster
   * Bootstrap.
   */
  @Override
  public synchronized Whispers whispers(ActorRef<Lobby.PeerCommand> lobby, ActorContext<?> context) {
    if (hub != null) {
      throw new IllegalStateException("a ClusterFederation serves one Lobby");
    }
    ClusterTransport.warnIfOpen(context.getSystem());
    // Resumed on failure: one bad message from a peer (another version, say) must not stop this
    // node's part of every room.
    hub =
        context.spawn(
            Behaviors.supervise(NodeHub.create(resyncInterval, maxEventBytes))
                .onFailure(SupervisorStrategy.resume()),
            "cluster-hub");
    Whispers whispers = WhisperService.start(lobby, context, whisperTimeout, hub);
    if (bootstrap) {
      ClusterBootstrapStart.start(context.getSystem());
    }
    return whispers;
  }

  /**
   * Starts the rooms' sequencers on this node (Cluster Sharding; every node of the cluster does
   * this) and this node's {@link SequenceInbox}, which ends with the Lobby.
   */
  private static ActorRef<SequenceInbox.Command> startSequences(
      ActorRef<Lobby.PeerCommand> lobby, ActorContext<?> context, String role) {
    Entity<RoomSequencer.Command, ShardingEnvelope<RoomSequencer.Command>> entity =
        Entity.of(
                RoomSequencer.KEY,
                e -> RoomSequencer.create(e.getEntityId(), e.getShard()))
            // A sequencer's state is in memory: it must not stop while its room is used. Pekko's
            // idle passivation counts only messages through the shard, and broadcasts come
            // straight to the sequencer; it passivates itself once no node has the room.
            .withSettings(
                ClusterShardingSettings.create(context.getSystem()).withNoPassivationStrategy())
            .withStopMessage(RoomSequencer.Stop.INSTANCE)
            .withAllocationStrategy(new KeepShards(Cluster.get(context.getSystem())));
    ClusterSharding.get(context.getSystem()).init(role.isEmpty() ? entity : entity.withRole(role));
    String node = Cluster.get(context.getSystem()).selfMember().address().toString();
    try {
      return context
          .getSystem()
          .systemActorOf(
              Behaviors.supervise(SequenceInbox.create(node, lobby))
                  .onFailure(SupervisorStrategy.resume()),
              SequenceInbox.NAME,
              Props.empty());
    } catch (org.apache.pekko.actor.InvalidActorNameException e) {
      throw new IllegalStateException(
          "an ActorSystem serves one clustered Lobby: another one is running in it", e);
    }
  }

  /** Rooms that keep a history may span nodes: each room's broadcasts have one sequencer. */
  @Override
  public boolean sequencesHistory() {
    return true;
  }

  @Override
  public Link link(
      RoomId room,
      ActorRef<PeerEvent> inbox,
      ActorContext<?> context,
      LobbySettings.History history,
      Duration heartbeat) {
    Link direct = link(room, inbox, context);
    if (!history.on()) {
      return direct;
    }
    ActorRef<SequenceInbox.Command> sequences = this.sequences;
    if (sequences == null) {
      throw new IllegalStateException("the Lobby started this federation without a history");
    }
    sequences.tell(new SequenceInbox.Register(room, inbox, context.getSelf(), history, heartbeat));
    return new Link() {
      @Override
      public void publish(PeerEvent event) {
        direct.publish(event);
      }

      @Override
      public String node() {
        return direct.node();
      }

      @Override
      public Duration memberLease() {
        return direct.memberLease();
      }

      @Override
      public boolean sequenced() {
        return true;
      }

      @Override
      public void sequence(String epoch, long base, long seq, SessionId from, Payload msg) {
        sequences.tell(new SequenceInbox.Send(room, epoch, base, seq, from, msg));
      }

      @Override
      public void resync() {
        sequences.tell(new SequenceInbox.Resync(room));
      }
    };
  }

  @Override
  public Link link(RoomId room, ActorRef<PeerEvent> inbox, ActorContext<?> context) {
    ActorRef<NodeHub.Command> hub = this.hub;
    if (hub == null) {
      throw new IllegalStateException("the Lobby has not started this federation");
    }
    String node = Cluster.get(context.getSystem()).selfMember().address().toString();
    hub.tell(new NodeHub.Link(room, inbox, context.getSelf()));
    return new Link() {
      @Override
      public void publish(PeerEvent event) {
        hub.tell(new NodeHub.Publish(room, event));
      }

      @Override
      public String node() {
        return node;
      }

      @Override
      public Duration memberLease() {
        return memberLease;
      }
    };
  }
}
