package io.github.lobby.core.internal;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Codecs;
import io.github.lobby.core.Federation;
import io.github.lobby.core.LeaveReason;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Mode;
import io.github.lobby.core.Payload;
import io.github.lobby.core.PeerEvent;
import io.github.lobby.core.Recovery;
import io.github.lobby.core.ResumeKey;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.Transport;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * One room: owns its members' transports and fans every event out to them.
 *
 * <p>Why one actor per room: a single Lobby actor runs on one core at a time, so rooms do the
 * per-message work (render once per mode, offer the shared frame to every member's bounded queue)
 * while the Lobby stays a directory that only sees joins, leaves, whispers and admin requests.
 * Different rooms fan out in parallel on all cores. Ordering (PROTOCOL.md section 5) holds because
 * each sender's broadcasts reach its room actor in the order sent, and the room offers each of them
 * to every member before it looks at the next message.
 *
 * <p>The work is in {@link Members} (welcome, heartbeat, fan-out, the member list), {@link
 * RemotePresence} (the members of other nodes), {@link RoomLog} (offsets and history) and, when a
 * sequencer numbers the broadcasts, {@link SequencedDelivery}. The room beats its members' hearts,
 * one timer per room rather than one per connection; answers every member's broadcast and members
 * request to its session ({@link SessionControl.Processed#ROOM}) once handled, so that a member has
 * at most its {@code inbound-window} of requests in this mailbox; and drops a broadcast from a
 * session that is no longer a member. Membership changes come only from the Lobby, so the Lobby's
 * directory and the room agree.
 *
 * <p>With a sequencer, the room cannot welcome anybody until the sequencer's first history arrives
 * (a welcome carries the epoch and offset): it is {@link AwaitingHistory} until then.
 */
final class Room extends AbstractBehavior<Room.Command> {

  /** Messages of a room; all come from the Lobby or from a member's session. */
  sealed interface Command {}

  /**
   * A session joins: it gets the welcome, the others get a join notice.
   *
   * @param user its user, or null when it is not authenticated
   * @param recovery for its welcome: the broadcasts its client asks for, or null
   * @param resumeKey for its welcome: the key to resume it with, or null ({@code lobby.resumption})
   * @param resumed for its welcome: false when its client asked to resume a session and could not,
   *     null when it asked for none
   */
  record Join(
      SessionId id,
      Mode mode,
      Transport transport,
      ActorRef<SessionControl> session,
      String user,
      Recovery recovery,
      ResumeKey resumeKey,
      Boolean resumed)
      implements Command {
    Join(SessionId id, Mode mode, Transport transport, ActorRef<SessionControl> session) {
      this(id, mode, transport, session, null, null, null, null);
    }
  }

  /**
   * A member's client resumed it on a new connection ({@code lobby.resumption}): the member keeps
   * its id and place, with the new transport and session actor. It alone is welcomed again (with a
   * new key, and the recovery it asked for); the others are told nothing.
   */
  record Reattach(
      SessionId id,
      Transport transport,
      ActorRef<SessionControl> session,
      ResumeKey resumeKey,
      Recovery recovery)
      implements Command {}

  /** Asks for the kept broadcasts after {@code since} (the admin API). */
  record GetHistory(long since, ActorRef<Optional<Lobby.HistoryView>> replyTo) implements Command {}

  /** A member left; the others are told why. */
  record Leave(SessionId id, LeaveReason reason) implements Command {}

  /**
   * A member's broadcast.
   *
   * @param sent {@link LobbyMetrics#now()} when the session sent it
   * @param session the session actor that sent it, told {@link SessionControl.Processed#ROOM} once
   *     it is handled: after a resume the member has a new session, which must not be acknowledged
   *     for what its predecessor sent
   * @param ref the client's reference, or null: with one, the session is told {@link
   *     SessionControl.Answered} with an {@link ClientEvent.Ack} (carrying the offset) instead
   */
  record Broadcast(
      SessionId from, Payload msg, long sent, ActorRef<SessionControl> session, String ref)
      implements Command {
    /** A broadcast without a client reference. */
    Broadcast(SessionId from, Payload msg, long sent, ActorRef<SessionControl> session) {
      this(from, msg, sent, session, null);
    }

    /** Tells the session that sent it that the room has handled it, at {@code offset} or none. */
    void done(Long offset) {
      answer(ref == null ? null : new ClientEvent.Ack(ref, offset));
    }

    /** Tells the session that sent it that the room could not handle it. */
    void refused() {
      String unavailable = "room unavailable; try again";
      answer(ref == null ? null : new ClientEvent.Error("unavailable", unavailable, ref));
    }

    private void answer(ClientEvent answer) {
      if (answer == null) {
        session.tell(SessionControl.Processed.ROOM);
      } else {
        session.tell(new SessionControl.Answered(SessionControl.Processed.ROOM, ref, answer));
      }
    }
  }

  /** An admin publish under the server id; the reply counts the sessions that got it. */
  record Publish(SessionId serverId, Payload msg, ActorRef<Lobby.Published> replyTo)
      implements Command {}

  /**
   * A member asks for the member list.
   *
   * @param session the session actor that asked, told {@link SessionControl.Processed#ROOM} once
   *     answered
   */
  record ListMembers(SessionId requester, ActorRef<SessionControl> session) implements Command {}

  /** An event from this room on another node (through the {@link Federation}). */
  record FromPeer(PeerEvent event) implements Command {}

  /**
   * Answers {@code reply} to {@code session} once everything the room received before has been
   * handled: a session uses it to close only after its own last broadcasts went out.
   */
  record Sync(ActorRef<SessionControl> session, SessionControl reply) implements Command {}

  /** The room has no members left; sent by the Lobby after the last {@link Leave}. */
  enum Stop implements Command {
    INSTANCE
  }

  /** The room's heartbeat timer. */
  enum Beat implements Command {
    INSTANCE
  }

  private final RoomId room;
  private final Federation.Link peers;
  private final LobbyMetrics metrics;
  private final RemotePresence presence;
  private final Members members;

  /** Its offsets and history ({@code lobby.history}); null when it keeps none. */
  private final RoomLog log;

  /** With a history across nodes, how its broadcasts go through their sequencer; else null. */
  private final SequencedDelivery sequencer;

  private final ActorRef<LobbyControl> lobby;

  /** Beats so far, and the beat at which the room last had no member. */
  private long beats;

  private long emptySince;

  /** How it waited for its sequencer's first history; null without a sequencer. */
  private AwaitingHistory start;

  static Behavior<Command> create(
      RoomId room, Codecs codecs, Federation federation, Duration heartbeat, LobbyMetrics metrics) {
    return create(room, codecs, federation, heartbeat, metrics, LobbySettings.History.OFF, null);
  }

  /**
   * A room; with a history, it outlives its last member until nothing is kept and {@code ttl}
   * passed, then tells {@code lobby} it is idle ({@link LobbyControl.RoomIdle}).
   */
  static Behavior<Command> create(
      RoomId room,
      Codecs codecs,
      Federation federation,
      Duration heartbeat,
      LobbyMetrics metrics,
      LobbySettings.History history,
      ActorRef<LobbyControl> lobby) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers ->
                    Behaviors.withStash(
                        AwaitingHistory.STASH,
                        stash -> {
                          timers.startTimerWithFixedDelay(Beat.INSTANCE, heartbeat);
                          Room r =
                              new Room(
                                  context,
                                  room,
                                  codecs,
                                  federation,
                                  metrics,
                                  history,
                                  heartbeat,
                                  lobby);
                          if (r.sequencer == null) {
                            return r;
                          }
                          r.start = new AwaitingHistory(r, room, stash, context.getLog());
                          return r.start.behavior();
                        })));
  }

  private Room(
      ActorContext<Command> context,
      RoomId room,
      Codecs codecs,
      Federation federation,
      LobbyMetrics metrics,
      LobbySettings.History history,
      Duration heartbeat,
      ActorRef<LobbyControl> lobby) {
    super(context);
    this.room = room;
    this.metrics = metrics;
    this.lobby = lobby;
    ActorRef<PeerEvent> inbox = context.messageAdapter(PeerEvent.class, FromPeer::new);
    this.peers =
        history.on()
            ? federation.link(room, inbox, context, history, heartbeat)
            : federation.link(room, inbox, context);
    boolean sequenced = history.on() && peers.sequenced();
    this.presence = new RemotePresence(room, peers, context.getLog(), System::nanoTime);
    this.members = new Members(room, codecs, metrics, presence);
    this.log = history.on() ? new RoomLog(history, heartbeat, sequenced) : null;
    this.sequencer =
        sequenced
            ? new SequencedDelivery(
                room, peers, log, members, metrics, context.getLog(), this::leave)
            : null;
    peers.publish(new PeerEvent.Hello(peers.node()));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Join.class, this::onJoin)
        .onMessage(Reattach.class, this::onReattach)
        .onMessage(Leave.class, this::onLeave)
        .onMessage(Broadcast.class, this::onBroadcast)
        .onMessage(Publish.class, this::onPublish)
        .onMessage(ListMembers.class, this::onListMembers)
        .onMessage(FromPeer.class, this::onPeerEvent)
        .onMessageEquals(Beat.INSTANCE, this::onBeat)
        .onMessage(Sync.class, this::onSync)
        .onMessage(GetHistory.class, this::onGetHistory)
        .onMessageEquals(Stop.INSTANCE, this::onStop)
        .build();
  }

  private Behavior<Command> onJoin(Join join) {
    if (start != null && start.leftBefore(join.id())) {
      return this; // its leave came while this join waited and the stash was full
    }
    Members.Member member =
        members.join(join.id(), join.mode(), join.transport(), join.session(), join.user());
    members.welcome(join.id(), member, log, join.recovery(), join.resumeKey(), join.resumed());
    peers.publish(new PeerEvent.Joined(peers.node(), join.id(), join.user()));
    return this;
  }

  private Behavior<Command> onReattach(Reattach reattach) {
    Members.Member member =
        members.reattach(reattach.id(), reattach.transport(), reattach.session());
    if (member != null) { // else not a member: cannot be, the Lobby resumes only members
      members.welcome(reattach.id(), member, log, reattach.recovery(), reattach.resumeKey(), true);
    }
    return this;
  }

  private Behavior<Command> onLeave(Leave leave) {
    if (sequencer == null || !sequencer.defer(leave)) {
      leave(leave);
    }
    return this;
  }

  private void leave(Leave leave) {
    if (members.leave(leave.id(), leave.reason()) != null) {
      if (members.isEmpty()) {
        emptySince = beats;
      }
      peers.publish(new PeerEvent.Left(peers.node(), leave.id(), leave.reason()));
    }
  }

  private Behavior<Command> onBroadcast(Broadcast broadcast) {
    if (members.get(broadcast.from()) == null) {
      getContext()
          .getLog()
          .debug("Dropped broadcast from {}, not a member of {}", broadcast.from(), room);
    } else if (sequencer != null) {
      sequencer.broadcast(broadcast);
    } else {
      Long offset = null;
      try {
        offset = log == null ? null : log.keep(broadcast.from(), broadcast.msg());
        ClientEvent.Message message =
            new ClientEvent.Message(broadcast.from(), room, broadcast.msg(), offset);
        int accepted = members.fanOut(message);
        metrics.broadcast(accepted, broadcast.sent());
        peers.publish(new PeerEvent.Message(peers.node(), broadcast.from(), broadcast.msg()));
      } finally {
        // Even if the fan-out failed (the room resumes): the sender's window must not shrink.
        broadcast.done(offset);
      }
    }
    return this;
  }

  private Behavior<Command> onPublish(Publish publish) {
    if (sequencer != null) {
      sequencer.publish(publish);
      return this;
    }
    Long offset = log == null ? null : log.keep(publish.serverId(), publish.msg());
    int delivered =
        members.fanOut(new ClientEvent.Message(publish.serverId(), room, publish.msg(), offset));
    metrics.adminPush();
    peers.publish(new PeerEvent.Message(peers.node(), publish.serverId(), publish.msg()));
    publish.replyTo().tell(new Lobby.Published(room, delivered));
    return this;
  }

  private Behavior<Command> onListMembers(ListMembers request) {
    Members.Member member = members.get(request.requester());
    if (member != null) {
      try {
        members.sendMembers(member);
      } finally {
        request.session().tell(SessionControl.Processed.ROOM);
      }
    }
    return this;
  }

  Behavior<Command> onPeerEvent(FromPeer fromPeer) {
    PeerEvent event = fromPeer.event();
    if (event instanceof PeerEvent.Resync) {
      peers.publish(members.snapshot(peers.node()));
    } else if (event instanceof PeerEvent.Sequenced s) {
      if (sequencer != null) {
        sequencer.onSequenced(s); // this node's own too
      }
    } else if (event instanceof PeerEvent.History h) {
      if (sequencer != null) {
        sequencer.onHistory(h);
      }
    } else if (event instanceof PeerEvent.SequenceGap gap) {
      if (sequencer != null) {
        sequencer.onGap(gap);
      }
    } else if (!event.node().equals(peers.node())) { // else our own event, back from the topic
      presence.heard(event.node());
      metrics.peerEvent(event.getClass().getSimpleName());
      if (event instanceof PeerEvent.Message m) {
        members.fanOut(new ClientEvent.Message(m.from(), room, m.msg()));
      } else if (event instanceof PeerEvent.Hello) {
        peers.publish(members.snapshot(peers.node()));
      } else {
        presence.onEvent(event, members);
      }
    }
    return this;
  }

  private Behavior<Command> onBeat() {
    members.beat();
    presence.expireSilent(members);
    beats++;
    if (log != null) {
      log.beat();
      if (members.isEmpty()
          && presence.isEmpty()
          && log.isEmpty()
          && beats - emptySince > log.ttlBeats()) {
        lobby.tell(new LobbyControl.RoomIdle(room, getContext().getSelf())); // the Lobby decides
      }
    }
    return this;
  }

  private Behavior<Command> onSync(Sync sync) {
    if (sequencer == null || !sequencer.defer(sync)) {
      sync.session().tell(sync.reply());
    }
    return this;
  }

  private Behavior<Command> onGetHistory(GetHistory request) {
    request
        .replyTo()
        .tell(log == null ? Optional.empty() : Optional.of(log.view(room, request.since())));
    return this;
  }

  private Behavior<Command> onStop() {
    if (sequencer != null) {
      sequencer.stop();
    }
    return Behaviors.stopped();
  }
}
