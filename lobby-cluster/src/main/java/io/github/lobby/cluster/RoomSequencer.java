package io.github.lobby.cluster;

import io.github.lobby.core.KeptMessage;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.internal.RoomHistory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The one place in the cluster that numbers a room's broadcasts, when rooms keep a history
 * ({@code lobby.history}): a Cluster Sharding entity per room name. Each node's room sends its
 * members' broadcasts here (through its node's {@link SequenceInbox}); the sequencer gives each the
 * room's next offset, keeps it in its own {@link RoomHistory}, and sends it to the inbox of every
 * node that has the room, in one order for all. So an offset means the same message on every
 * node, and a client that reconnects to another node recovers from that node's copy of the
 * history.
 *
 * <p>The trade-off, against the federation's direct path used without a history: every broadcast
 * makes one more hop (to the room's sequencer and back, also for the sender's own node), and all
 * of a room's broadcasts pass through one actor on one node. Rooms without a history never come
 * here.
 *
 * <p>The state lives in memory only. A sequencer that starts (the first use of a room, or again
 * after its node was lost) takes a new random epoch and an empty history; the rooms see the new
 * epoch, tell their clients that the history was reset, and send again what the lost sequencer had
 * not sent back. When its shard moves because its node leaves gracefully, sharding stops it with
 * {@link Stop}: it then sends its state to every node that has the room ({@link Handoff}), which
 * pass it on with their next subscription, and the successor goes on in the same epoch (unless a
 * subscription without it reaches the successor first: then a new epoch, as after a loss). Shards are not moved to nodes that join ({@link KeepShards}), since
 * every move would reset the histories of its rooms, and Pekko's idle passivation is off for
 * sequencers. A sequencer passivates once no node has its room (every node's room has ended).
 *
 * <p>Delivery between nodes is at most once. A room's broadcasts are taken in its own order only
 * ({@code seq}, per node and room incarnation): one it had is ignored, and after a gap the rest
 * is dropped and the room asked to send again from the gap ({@link SequenceInbox.Gap}), so a lost
 * broadcast is neither lost for good nor numbered out of its sender's order. A broadcast of
 * another epoch (sent to this sequencer's predecessor) is ignored: the room sends it again once it
 * has this epoch.
 */
final class RoomSequencer extends AbstractBehavior<RoomSequencer.Command> {

  static final EntityTypeKey<Command> KEY = EntityTypeKey.create(Command.class, "lobby-room-sequence");

  /** Messages of a sequencer; those that cross nodes are {@link ClusterMessage}s. */
  sealed interface Command {}

  /**
   * A node has the room: the sequencer answers with its state ({@link SequenceInbox.State}), then
   * sends the node every broadcast it numbers. The first subscription sets the history's bounds
   * (every node has the same {@code lobby.history}).
   */
  record Subscribe(
      String room,
      String node,
      int size,
      long ttlMillis,
      long maxBytes,
      long heartbeatMillis,
      ActorRef<SequenceInbox.Command> inbox,
      Handoff handoff)
      implements Command, ClusterMessage {}

  /**
   * The state of a sequencer that stopped because its shard moved (its node left the cluster
   * gracefully): it sent it to every node that had the room, and they pass it on with their next
   * subscription, so that the sequencer started elsewhere goes on in the same epoch (no reset).
   *
   * @param streams where each node's room stood, so that copies and gaps are still recognised
   */
  record Handoff(String epoch, long offset, List<SequenceInbox.Kept> kept, List<StreamState> streams) {}

  /** Where one node's room stood with a sequencer: its incarnation and last broadcast numbered. */
  record StreamState(String node, String incarnation, long last) {}

  /** The node no longer has the room. */
  record Unsubscribe(String room, ActorRef<SequenceInbox.Command> inbox)
      implements Command, ClusterMessage {}

  /**
   * A broadcast of the room on {@code node}, to be numbered.
   *
   * @param incarnation which room actor on that node sent it (a room started again counts anew)
   * @param epoch the epoch the room is in
   * @param base the lowest number of the room's broadcasts that have not come back to it
   * @param seq the room's own number for it, echoed so that it knows which came back
   * @param text a text message, or null
   * @param json a JSON message, or null
   * @param inbox the node's inbox, told of a gap
   */
  record Sequence(
      String room,
      String node,
      String incarnation,
      String epoch,
      long base,
      long seq,
      String from,
      String text,
      String json,
      ActorRef<SequenceInbox.Command> inbox)
      implements Command, ClusterMessage {}

  /** Stops the sequencer when its shard moves or it passivates. */
  enum Stop implements Command, ClusterMessage {
    INSTANCE
  }

  private record SubscriberGone(ActorRef<SequenceInbox.Command> inbox) implements Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  /** The most message text (in chars) of one {@link SequenceInbox.State} part. */
  static final int PART_CHARS = 200_000;

  private final String room;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final TimerScheduler<Command> timers;
  private String epoch = String.format("%016x", ThreadLocalRandom.current().nextLong());
  private final Map<ActorRef<SequenceInbox.Command>, String> subscribers = new LinkedHashMap<>();
  /** Where each node's room stands: the last of its broadcasts numbered. */
  private final Map<String, Stream> streams = new java.util.HashMap<>();
  private RoomHistory history;
  private long offset;

  /** One room incarnation's broadcasts: the last numbered, and the gap already asked about. */
  private static final class Stream {
    final String incarnation;
    long last;
    long askedFrom = -1;

    Stream(String incarnation, long last) {
      this.incarnation = incarnation;
      this.last = last;
    }
  }

  static Behavior<Command> create(String room, ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(
        context -> Behaviors.withTimers(timers -> new RoomSequencer(context, room, shard, timers)));
  }

  private RoomSequencer(
      ActorContext<Command> context,
      String room,
      ActorRef<ClusterSharding.ShardCommand> shard,
      TimerScheduler<Command> timers) {
    super(context);
    this.room = room;
    this.shard = shard;
    this.timers = timers;
    context.getLog().debug("Sequencer of room {} starts with epoch {}", room, epoch);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(Unsubscribe.class, this::onUnsubscribe)
        .onMessage(Sequence.class, this::onSequence)
        .onMessage(SubscriberGone.class, this::onSubscriberGone)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessageEquals(Stop.INSTANCE, this::onStop)
        .build();
  }

  private Behavior<Command> onSubscribe(Subscribe subscribe) {
    if (history == null) {
      Duration heartbeat = Duration.ofMillis(subscribe.heartbeatMillis());
      history =
          new RoomHistory(
              new LobbySettings.History(
                  subscribe.size(),
                  Duration.ofMillis(subscribe.ttlMillis()),
                  subscribe.maxBytes(),
                  0), // max-kept-rooms bounds the Lobby's rooms, not a sequencer's history
              heartbeat);
      timers.startTimerWithFixedDelay(Tick.INSTANCE, heartbeat);
      if (subscribe.handoff() != null) {
        adopt(subscribe.handoff());
      }
    }
    if (subscribers.put(subscribe.inbox(), subscribe.node()) == null) {
      getContext().watchWith(subscribe.inbox(), new SubscriberGone(subscribe.inbox()));
    }
    state(null).forEach(subscribe.inbox()::tell);
    return this;
  }

  /** Goes on where a predecessor whose shard moved stopped: its epoch, offsets and streams. */
  private void adopt(Handoff handoff) {
    getContext()
        .getLog()
        .debug("Sequencer of room {} goes on in epoch {} at {}", room, handoff.epoch(), handoff.offset());
    epoch = handoff.epoch();
    offset = handoff.offset();
    for (SequenceInbox.Kept kept : handoff.kept()) {
      history.add(kept.toKept());
    }
    for (StreamState stream : handoff.streams()) {
      streams.put(stream.node(), new Stream(stream.incarnation(), stream.last()));
    }
  }

  /**
   * Stopped by sharding: when rooms still use it, its shard is moving (a graceful leave), and it
   * hands its state to every node that has the room for its successor.
   */
  private Behavior<Command> onStop() {
    if (!subscribers.isEmpty() && history != null) {
      List<StreamState> states = new ArrayList<>();
      streams.forEach((node, stream) -> states.add(new StreamState(node, stream.incarnation, stream.last)));
      List<SequenceInbox.State> handoff = state(states); // built once, for every node
      subscribers.keySet().forEach(inbox -> handoff.forEach(inbox::tell));
    }
    return Behaviors.stopped();
  }

  /**
   * The state in parts of at most {@link #PART_CHARS} of message text (one entry at least); with
   * {@code handoff} streams, as a hand-off to a successor.
   */
  private List<SequenceInbox.State> state(List<StreamState> handoff) {
    List<SequenceInbox.State> parts = new ArrayList<>();
    List<SequenceInbox.Kept> part = new ArrayList<>();
    long chars = 0;
    for (KeptMessage entry : history.after(0)) {
      SequenceInbox.Kept kept = SequenceInbox.Kept.of(entry);
      long size = kept.chars();
      if (!part.isEmpty() && chars + size > PART_CHARS) {
        parts.add(
            new SequenceInbox.State(
                room, epoch, offset, part, parts.isEmpty(), false, getContext().getSelf(), null));
        part = new ArrayList<>();
        chars = 0;
      }
      part.add(kept);
      chars += size;
    }
    parts.add(
        new SequenceInbox.State(
            room, epoch, offset, part, parts.isEmpty(), true, getContext().getSelf(), handoff));
    return parts;
  }

  private Behavior<Command> onUnsubscribe(Unsubscribe unsubscribe) {
    getContext().unwatch(unsubscribe.inbox());
    forget(unsubscribe.inbox());
    return this;
  }

  private Behavior<Command> onSubscriberGone(SubscriberGone gone) {
    forget(gone.inbox());
    return this;
  }

  /** A node no longer has the room: neither its subscription nor where its room stood remain. */
  private void forget(ActorRef<SequenceInbox.Command> inbox) {
    String node = subscribers.remove(inbox);
    if (node != null) {
      streams.remove(node);
    }
  }

  private Behavior<Command> onSequence(Sequence sequence) {
    if (history == null) {
      // Rooms subscribe before they send; this one started again since (its node's subscription
      // is on its way): the room sends it again when it sees this sequencer's epoch.
      getContext().getLog().debug("Sequencer of room {} got a broadcast before any subscription", room);
      return this;
    }
    if (!sequence.epoch().equals(epoch)) {
      return this; // for the sequencer this one replaced: the room sends it again to this one
    }
    Stream stream = streams.get(sequence.node());
    if (stream == null || !stream.incarnation.equals(sequence.incarnation())) {
      stream = new Stream(sequence.incarnation(), sequence.base() - 1);
      streams.put(sequence.node(), stream);
    }
    if (sequence.seq() <= stream.last) {
      return this; // had it: sent again after a gap
    }
    if (sequence.seq() > stream.last + 1) {
      if (stream.askedFrom != stream.last + 1) {
        stream.askedFrom = stream.last + 1;
        sequence.inbox().tell(new SequenceInbox.Gap(room, epoch, stream.last + 1));
      }
      return this; // comes again, in order, after what is missing
    }
    stream.last = sequence.seq();
    long next = ++offset;
    history.add(
        next,
        Envelope.session(sequence.from()),
        Envelope.payload(sequence.text(), sequence.json()));
    SequenceInbox.Sequenced numbered =
        new SequenceInbox.Sequenced(
            room,
            sequence.node(),
            epoch,
            next,
            sequence.seq(),
            sequence.from(),
            sequence.text(),
            sequence.json());
    subscribers.keySet().forEach(inbox -> inbox.tell(numbered));
    return this;
  }

  private Behavior<Command> onTick() {
    history.beat();
    if (subscribers.isEmpty()) {
      // No node has the room any more (each node's room ended with its own copy).
      shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
    }
    return this;
  }
}
