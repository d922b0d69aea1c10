package io.github.lobby.cluster;

import com.typesafe.config.Config;
import io.github.lobby.core.Federation;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.PeerEvent;
import io.github.lobby.core.RoomId;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Rooms that span a Pekko Cluster: the room of one name on every node subscribes to one
 * distributed pub-sub {@link Topic} ({@code lobby-room-<name>}) and publishes to it what happens
 * among its local members: joins, leaves, broadcasts, and now and then its member list.
 *
 * <p>Why a topic per room rather than sharding rooms: a broadcast is delivered by the sender's own
 * node to its local members at once, and crosses to each other node once, as one message, to be
 * fanned out there; per-sender order holds because a sender's messages always take the same path
 * (session, its room, the local topic, each remote room). Nodes that have no member of a room hold
 * nothing for it. Sharding would route every broadcast through the room's home node first (one more
 * hop, and that node's core for every fan-out) to gain a single member list, which the periodic
 * resync gives here too, eventually.
 *
 * <p>Notice consistency: each node reports only its own members, so a node's view of another is
 * exactly that node's stream of joins and leaves, in order, plus snapshots on the same stream;
 * views can lag (a room that just started on a node is found through the Receptionist's gossip)
 * but never contradict, and every difference a snapshot reveals is told as a join or a leave.
 *
 * <p>A node that leaves or is removed (after downing) is reported to every room as gone: its
 * members leave once each, with reason {@code error}.
 */
public final class ClusterFederation implements Federation {

  private final Duration resyncInterval;
  private final Duration whisperTimeout;

  /** Found by {@link Federation#fromConfig} through {@link java.util.ServiceLoader}. */
  public static final class Provider implements Federation.Provider {
    @Override
    public Federation create(Config config) {
      return fromConfig(config);
    }
  }

  /** Reads {@code lobby.cluster}. */
  public static ClusterFederation fromConfig(Config config) {
    return new ClusterFederation(
        config.getDuration("lobby.cluster.resync-interval"),
        config.getDuration("lobby.cluster.whisper-timeout"));
  }

  /**
   * @param resyncInterval how often rooms publish their member list to their peers
   * @param whisperTimeout how long a whisper waits for other nodes before "no session"
   */
  public ClusterFederation(Duration resyncInterval, Duration whisperTimeout) {
    this.resyncInterval = resyncInterval;
    this.whisperTimeout = whisperTimeout;
  }

  @Override
  public Whispers whispers(ActorRef<Lobby.Command> lobby, ActorContext<?> context) {
    return WhisperService.start(lobby, context, whisperTimeout);
  }

  @Override
  public Link link(RoomId room, ActorRef<PeerEvent> inbox, ActorContext<?> context) {
    String node = Cluster.get(context.getSystem()).selfMember().address().toString();
    ActorRef<Topic.Command<Envelope>> topic =
        context.spawn(Topic.create(Envelope.class, "lobby-room-" + room.value()), "peers-topic");
    context.spawn(peerLink(topic, inbox, node, resyncInterval), "peers-link");
    return new Link() {
      @Override
      public void publish(PeerEvent event) {
        topic.tell(Topic.publish(Envelope.of(event)));
      }

      @Override
      public String node() {
        return node;
      }
    };
  }

  private sealed interface LinkCommand {}

  private record Received(Envelope envelope) implements LinkCommand {}

  private record Removed(ClusterEvent.MemberRemoved removed) implements LinkCommand {}

  private enum Tick implements LinkCommand {
    INSTANCE
  }

  /** Subscribes to the topic and to cluster membership, and hands what arrives to the room. */
  private static Behavior<LinkCommand> peerLink(
      ActorRef<Topic.Command<Envelope>> topic,
      ActorRef<PeerEvent> inbox,
      String node,
      Duration resyncInterval) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  topic.tell(Topic.subscribe(context.messageAdapter(Envelope.class, Received::new)));
                  Cluster.get(context.getSystem())
                      .subscriptions()
                      .tell(
                          Subscribe.create(
                              context.messageAdapter(ClusterEvent.MemberRemoved.class, Removed::new),
                              ClusterEvent.MemberRemoved.class));
                  timers.startTimerWithFixedDelay(Tick.INSTANCE, resyncInterval);
                  return Behaviors.receive(LinkCommand.class)
                      .onMessage(
                          Received.class,
                          r -> {
                            if (!r.envelope().node().equals(node)) {
                              inbox.tell(r.envelope().toEvent());
                            }
                            return Behaviors.same();
                          })
                      .onMessage(
                          Removed.class,
                          r -> {
                            inbox.tell(
                                new PeerEvent.NodeGone(r.removed().member().address().toString()));
                            return Behaviors.same();
                          })
                      .onMessageEquals(
                          Tick.INSTANCE,
                          () -> {
                            inbox.tell(new PeerEvent.Resync(node));
                            return Behaviors.same();
                          })
                      .build();
                }));
  }
}
