package io.github.lobby.cluster;

import io.github.lobby.core.KeptMessage;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Payload;
import io.github.lobby.core.PeerEvent;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * One per node, at the fixed path {@code /system/lobby-sequence-inbox}: the local end of every
 * room's {@link RoomSequencer}. It subscribes each local room that keeps a history to its
 * sequencer, hands the room's broadcasts to it, and hands what the sequencer sends back to the
 * room as {@link PeerEvent.History} and {@link PeerEvent.Sequenced}.
 *
 * <p>Why a fixed path: an admin push may be as large as {@code lobby.http.max-body} (1 MiB), more
 * than an ordinary Artery frame carries. The sequencers and these inboxes are Artery's {@code
 * large-message-destinations} (this module's {@code reference.conf}), whose frames carry up to
 * {@code maximum-large-frame-size} (2 MiB), on a lane of their own so that large messages do not
 * hold up the others.
 *
 * <p>It watches each sequencer it knows: when one stops (its node was lost or left, or its shard
 * moved), each of its rooms subscribes again and sharding starts the sequencer elsewhere. A
 * sequencer stopped because its node left gracefully has first sent its state, marked as a
 * hand-off ({@link State#handoff()}); the inbox keeps it as a {@link RoomSequencer.Handoff} and
 * passes it on with the new subscription, so the successor goes on in the same epoch and the
 * room's clients see nothing. One lost with its node sent nothing: its successor starts with a
 * new epoch, and the room learns from that that its history was lost. Subscriptions that get no answer are sent again every {@link #RETRY}, since
 * delivery between nodes is at most once.
 */
final class SequenceInbox {

  /** Where every node's inbox is. */
  static final String NAME = "lobby-sequence-inbox";

  /** How often unanswered subscriptions are sent again. */
  static final Duration RETRY = Duration.ofSeconds(2);

  /** Messages of an inbox; those that cross nodes are {@link ClusterMessage}s. */
  sealed interface Command {}

  /**
   * A local room that keeps a history started: its events go to {@code inbox}, and it ends with
   * {@code owner} (the room actor; {@code inbox} is an adapter, which cannot be watched).
   */
  record Register(
      RoomId room,
      ActorRef<PeerEvent> inbox,
      ActorRef<?> owner,
      LobbySettings.History history,
      Duration heartbeat)
      implements Command {}

  /** A local room's broadcast, for its sequencer ({@link io.github.lobby.core.Federation.Link#sequence}). */
  record Send(RoomId room, String epoch, long base, long seq, SessionId from, Payload msg)
      implements Command {}

  /** A local room saw a gap in the offsets: it asks for the history again. */
  record Resync(RoomId room) implements Command {}

  /**
   * One kept broadcast ({@link KeptMessage}) on the wire between nodes: the cluster's messages
   * carry ids and payloads as strings and the age in milliseconds, as {@link Envelope} writes them.
   *
   * @param ageMillis how long ago the sequencer kept it
   */
  record Kept(long offset, String from, String text, String json, long ageMillis) {
    static Kept of(KeptMessage kept) {
      return new Kept(
          kept.offset(),
          kept.from().toString(),
          Envelope.text(kept.msg()),
          Envelope.json(kept.msg()),
          kept.age().toMillis());
    }

    long chars() {
      return 64 + (text != null ? text.length() : json.length());
    }

    KeptMessage toKept() {
      return new KeptMessage(
          offset, Envelope.session(from), Envelope.payload(text, json), Duration.ofMillis(ageMillis));
    }
  }

  /**
   * A sequencer's state, in parts: the kept broadcasts of all parts, in order, make the history.
   *
   * @param offset the sequencer's latest offset
   * @param first whether this is the first part
   * @param last whether this is the last part
   * @param sequencer who sent it, to be watched
   * @param handoff on the last part, when the sequencer stopped because its shard moved: where
   *     each node's room stood, for its successor ({@link RoomSequencer.Handoff}); null otherwise
   */
  record State(
      String room,
      String epoch,
      long offset,
      List<Kept> kept,
      boolean first,
      boolean last,
      ActorRef<RoomSequencer.Command> sequencer,
      List<RoomSequencer.StreamState> handoff)
      implements Command, ClusterMessage {}

  /** A numbered broadcast ({@link PeerEvent.Sequenced}), on the wire. */
  record Sequenced(
      String room,
      String node,
      String epoch,
      long offset,
      long seq,
      String from,
      String text,
      String json)
      implements Command, ClusterMessage {}

  /** The sequencer missed the room's broadcasts from {@code from} on ({@link PeerEvent.SequenceGap}). */
  record Gap(String room, String epoch, long from) implements Command, ClusterMessage {}

  private record RoomGone(RoomId room, ActorRef<?> owner) implements Command {}

  private record SequencerGone(ActorRef<RoomSequencer.Command> sequencer) implements Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  /** A local room and where its subscription stands. */
  private static final class Linked {
    final ActorRef<PeerEvent> inbox;
    final ActorRef<?> owner;
    final LobbySettings.History history;
    final Duration heartbeat;
    /** Its sequencer, once it answered; null while (re)subscribing. */
    ActorRef<RoomSequencer.Command> sequencer;
    /** When the last subscription went out (System.nanoTime). */
    long subscribedAt;
    /** Whether a subscription went out and its state has not all come (a retry is due). */
    boolean awaiting;
    /** The parts of a state received so far. */
    List<Kept> parts;
    /** The last sequencer that answered, to tell the room when another one does. */
    ActorRef<RoomSequencer.Command> lastSequencer;
    /** A stopped sequencer's state, passed on with the next subscription. */
    RoomSequencer.Handoff handoff;

    Linked(
        ActorRef<PeerEvent> inbox,
        ActorRef<?> owner,
        LobbySettings.History history,
        Duration heartbeat) {
      this.inbox = inbox;
      this.owner = owner;
      this.history = history;
      this.heartbeat = heartbeat;
    }
  }

  private final ActorContext<Command> context;
  private final ClusterSharding sharding;
  private final String node;
  private final Map<RoomId, Linked> rooms = new HashMap<>();
  /** How many local rooms each known sequencer serves, to watch each once. */
  private final Map<ActorRef<RoomSequencer.Command>, Integer> watched = new HashMap<>();

  static Behavior<Command> create(String node, ActorRef<?> lobby) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(Tick.INSTANCE, RETRY);
                  // It serves one Lobby: it ends with it.
                  context.watch(lobby);
                  context.setLoggerName(SequenceInbox.class);
                  return new SequenceInbox(context, node).behavior();
                }));
  }

  private SequenceInbox(ActorContext<Command> context, String node) {
    this.context = context;
    this.node = node;
    this.sharding = ClusterSharding.get(context.getSystem());
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Register.class, this::onRegister)
        .onMessage(Send.class, this::onSend)
        .onMessage(Resync.class, r -> subscribe(r.room()))
        .onMessage(State.class, this::onState)
        .onMessage(Sequenced.class, this::onSequenced)
        .onMessage(Gap.class, this::onGap)
        .onMessage(RoomGone.class, this::onRoomGone)
        .onMessage(SequencerGone.class, this::onSequencerGone)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onSignal(
            org.apache.pekko.actor.typed.Terminated.class, t -> Behaviors.stopped()) // the Lobby
        .build();
  }

  private Behavior<Command> onRegister(Register register) {
    Linked previous =
        rooms.put(
            register.room(),
            new Linked(register.inbox(), register.owner(), register.history(), register.heartbeat()));
    if (previous != null) { // the room started again before this inbox heard that it ended
      context.unwatch(previous.owner);
      setSequencer(previous, null);
    }
    context.watchWith(register.owner(), new RoomGone(register.room(), register.owner()));
    return subscribe(register.room());
  }

  private Behavior<Command> subscribe(RoomId room) {
    Linked linked = rooms.get(room);
    if (linked != null) {
      linked.subscribedAt = System.nanoTime();
      linked.awaiting = true;
      sharding
          .entityRefFor(RoomSequencer.KEY, room.value())
          .tell(
              new RoomSequencer.Subscribe(
                  room.value(),
                  node,
                  linked.history.size(),
                  linked.history.ttl().toMillis(),
                  linked.history.maxBytes(),
                  linked.heartbeat.toMillis(),
                  context.getSelf(),
                  linked.handoff));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onSend(Send send) {
    Linked linked = rooms.get(send.room());
    if (linked != null && linked.sequencer != null) {
      linked.sequencer.tell(
          new RoomSequencer.Sequence(
              send.room().value(),
              node,
              // This room's incarnation: a room started again numbers its broadcasts from 1.
              String.valueOf(linked.owner.path().uid()),
              send.epoch(),
              send.base(),
              send.seq(),
              send.from().toString(),
              Envelope.text(send.msg()),
              Envelope.json(send.msg()),
              context.getSelf()));
    }
    // Otherwise its sequencer is being replaced: the room sends it again to the new one.
    return Behaviors.same();
  }

  private Behavior<Command> onState(State state) {
    RoomId id = new RoomId(state.room());
    Linked linked = rooms.get(id);
    if (linked == null) {
      state.sequencer().tell(new RoomSequencer.Unsubscribe(state.room(), context.getSelf()));
      return Behaviors.same(); // the room ended meanwhile
    }
    if (state.first()) {
      linked.parts = new ArrayList<>();
    } else if (linked.parts == null) {
      return Behaviors.same(); // the rest of a state whose start was dropped: another follows
    }
    linked.parts.addAll(state.kept());
    if (!state.last()) {
      return Behaviors.same();
    }
    List<Kept> parts = linked.parts;
    linked.parts = null;
    if (state.handoff() != null) {
      // Its shard is moving: the successor goes on from this state, which the room keeps as is.
      context.getLog().debug("The sequencer of room {} hands off at offset {}", id, state.offset());
      linked.handoff =
          new RoomSequencer.Handoff(state.epoch(), state.offset(), parts, state.handoff());
      if (state.sequencer().equals(linked.sequencer)) {
        setSequencer(linked, null);
      }
      return subscribe(id);
    }
    linked.awaiting = false;
    linked.handoff = null;
    List<KeptMessage> kept = parts.stream().map(Kept::toKept).toList();
    boolean moved = linked.lastSequencer != null && !linked.lastSequencer.equals(state.sequencer());
    linked.lastSequencer = state.sequencer();
    setSequencer(linked, state.sequencer());
    linked.inbox.tell(
        new PeerEvent.History(
            state.sequencer().path().address().toString(),
            state.epoch(),
            state.offset(),
            kept,
            moved));
    return Behaviors.same();
  }

  /**
   * Makes {@code sequencer} (or none) the room's, watching each sequencer once however many local
   * rooms it serves.
   */
  private void setSequencer(Linked linked, ActorRef<RoomSequencer.Command> sequencer) {
    ActorRef<RoomSequencer.Command> before = linked.sequencer;
    if (before != null && before.equals(sequencer)) {
      return;
    }
    if (before != null && watched.merge(before, -1, Integer::sum) <= 0) {
      watched.remove(before);
      context.unwatch(before);
    }
    linked.sequencer = sequencer;
    if (sequencer != null && watched.merge(sequencer, 1, Integer::sum) == 1) {
      context.watchWith(sequencer, new SequencerGone(sequencer));
    }
  }

  private Behavior<Command> onGap(Gap gap) {
    Linked linked = rooms.get(new RoomId(gap.room()));
    if (linked != null) {
      linked.inbox.tell(new PeerEvent.SequenceGap(node, gap.epoch(), gap.from()));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onSequenced(Sequenced s) {
    Linked linked = rooms.get(new RoomId(s.room()));
    if (linked == null) {
      // The room ended here and its unsubscription was lost: the sequencer is told again.
      sharding
          .entityRefFor(RoomSequencer.KEY, s.room())
          .tell(new RoomSequencer.Unsubscribe(s.room(), context.getSelf()));
    } else {
      linked.inbox.tell(
          new PeerEvent.Sequenced(
              s.node(),
              s.epoch(),
              s.offset(),
              s.seq(),
              Envelope.session(s.from()),
              Envelope.payload(s.text(), s.json())));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onRoomGone(RoomGone gone) {
    Linked linked = rooms.get(gone.room());
    if (linked != null && linked.owner.equals(gone.owner())) {
      rooms.remove(gone.room());
      if (linked.sequencer != null) {
        linked.sequencer.tell(new RoomSequencer.Unsubscribe(gone.room().value(), context.getSelf()));
        setSequencer(linked, null);
      }
    }
    return Behaviors.same();
  }

  private Behavior<Command> onSequencerGone(SequencerGone gone) {
    watched.remove(gone.sequencer());
    rooms.forEach(
        (room, linked) -> {
          if (gone.sequencer().equals(linked.sequencer)) {
            context.getLog().info("The sequencer of room {} is gone: subscribing again", room);
            linked.sequencer = null;
            linked.parts = null;
            subscribe(room);
          }
        });
    return Behaviors.same();
  }

  private Behavior<Command> onTick() {
    long now = System.nanoTime();
    rooms.forEach(
        (room, linked) -> {
          if (linked.awaiting && now - linked.subscribedAt >= RETRY.toNanos()) {
            context.getLog().warn("Room {} has no answer from its sequencer yet: asking again", room);
            linked.parts = null;
            subscribe(room);
          }
        });
    return Behaviors.same();
  }
}
