package io.github.lobby.core;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;

/**
 * One room: owns its members' transports and fans every event out to them.
 *
 * <p>Why one actor per room: a single {@link Lobby} actor runs on one core at a time, so rooms do
 * the per-message work (render once per mode, offer the shared frame to every member's bounded
 * queue) while the Lobby stays a directory that only sees joins, leaves, whispers and admin
 * requests. Different rooms fan out in parallel on all cores. Ordering (PROTOCOL.md section 5)
 * holds because each sender's broadcasts reach its room actor in the order sent, and the room
 * offers each of them to every member before it looks at the next message.
 *
 * <p>The room also keeps its members' heartbeat: every {@code heartbeat-interval} it sends each
 * member a {@link Session.Heartbeat}, so an idle session holds no timer of its own (one timer
 * per room instead of one per connection). A member that joined since the previous beat gets a
 * partial one, which does not count towards its silence.
 *
 * <p>Every member's broadcast and members request is answered to its session with {@link
 * Session.Processed#ROOM} once handled, so that the session acknowledges the client's message only
 * then: a member has at most its {@code inbound-window} of requests in this mailbox. The member
 * list is rendered once per membership change and mode, and the same frame answers every members
 * request until the next change.
 *
 * <p>Membership changes come only from the Lobby, so the Lobby's directory and the room agree. A
 * broadcast from a session that is no longer a member is dropped: nothing is delivered on behalf
 * of a session after its room was told that it left. A member whose client resumed it on a new
 * connection ({@link Resume}) keeps its place; only its transport and session actor change, and
 * the others are told nothing.
 *
 * <p>A history across nodes ({@link Federation.Link#sequenced()}): the room hands each broadcast
 * to its sequencer rather than fanning it out, and fans out what the sequencer sends back, in the
 * sequencer's order and with its offsets, on every node alike; its sender's message is
 * acknowledged when it comes back, so the inbound window still bounds what waits. Until the
 * sequencer's first {@link PeerEvent.History} arrives the room cannot welcome anybody (a welcome
 * carries the epoch and offset), so it stashes its commands (at most {@link #STASH}). A gap in the
 * offsets makes it ask for the history again and deliver what it missed; another epoch means the
 * history was lost: JSON members are told ({@link ClientEvent.HistoryReset}), and the broadcasts
 * that had not come back are sent to the new sequencer.
 */
final class Room extends AbstractBehavior<Room.Command> {

  /** Messages of a room; all come from the {@link Lobby} or from a member {@link Session}. */
  sealed interface Command {}

  /**
   * A session joins: it gets the welcome, the others get a join notice.
   *
   * @param user its user, or null when it is not authenticated
   * @param resumeKey for its welcome: the key to resume it with, or null ({@code lobby.recovery})
   * @param resumed for its welcome: false when its client asked to resume a session and could not,
   *     null when it asked for none
   */
  record Join(
      SessionId id,
      Mode mode,
      Transport transport,
      ActorRef<Session.Command> session,
      String user,
      Recovery recovery,
      ResumeKey resumeKey,
      Boolean resumed)
      implements Command {
    Join(SessionId id, Mode mode, Transport transport, ActorRef<Session.Command> session) {
      this(id, mode, transport, session, null, null, null, null);
    }
  }

  /**
   * A member's client resumed it on a new connection ({@code lobby.recovery}): the member keeps its
   * id and place, with the new transport and session actor. It alone is welcomed again (with a new
   * key, and the recovery it asked for); the others are told nothing.
   */
  record Resume(
      SessionId id,
      Transport transport,
      ActorRef<Session.Command> session,
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
   * @param session the session actor that sent it, told {@link Session.Processed#ROOM} once it is
   *     handled: after a resume the member has a new session, which must not be acknowledged for
   *     what its predecessor sent
   * @param ref the client's reference, or null: with one, the session is told {@link
   *     Session.Answered} with an {@link ClientEvent.Ack} (carrying the offset) instead
   */
  record Broadcast(
      SessionId from, Payload msg, long sent, ActorRef<Session.Command> session, String ref)
      implements Command {
    /** A broadcast without a client reference. */
    Broadcast(SessionId from, Payload msg, long sent, ActorRef<Session.Command> session) {
      this(from, msg, sent, session, null);
    }

    /** Tells the session that sent it that the room has handled it. */
    void done(Long offset) {
      if (ref == null) {
        session.tell(Session.Processed.ROOM);
      } else {
        session.tell(
            new Session.Answered(Session.Processed.ROOM, ref, new ClientEvent.Ack(ref, offset)));
      }
    }
  }

  /** An admin publish under the server id; the reply counts the sessions that got it. */
  record Publish(SessionId serverId, Payload msg, ActorRef<Lobby.Published> replyTo)
      implements Command {}

  /**
   * A member asks for the member list.
   *
   * @param session the session actor that asked, told {@link Session.Processed#ROOM} once answered
   */
  record ListMembers(SessionId requester, ActorRef<Session.Command> session) implements Command {}

  /** An event from this room on another node (through the {@link Federation}). */
  record FromPeer(PeerEvent event) implements Command {}

  /**
   * Answers {@code reply} to {@code session} once everything the room received before has been
   * handled: a session uses it to close only after its own last broadcasts went out.
   */
  record Sync(ActorRef<Session.Command> session, Session.Command reply) implements Command {}

  /** The room has no members left; sent by the Lobby after the last {@link Leave}. */
  enum Stop implements Command {
    INSTANCE
  }

  private record Member(
      Mode mode, Transport transport, ActorRef<Session.Command> session, String user) {}

  private enum Beat implements Command {
    INSTANCE
  }

  private final RoomId room;
  private final Codecs codecs;
  private final Map<SessionId, Member> members = new LinkedHashMap<>();
  /** Members that joined since the last beat: their next beat is partial. */
  private final Set<SessionId> joinedSinceBeat = new HashSet<>();
  /** Whether the room has beaten at least once. */
  private boolean beaten;
  /** The rendered member list per mode, until the membership changes; null when not rendered. */
  private Frame membersClassic;
  private Frame membersJson;
  /** Members on other nodes, by node, each in join order, with their users (null: none). */
  private final Map<String, LinkedHashMap<SessionId, String>> remote = new LinkedHashMap<>();
  /** Whether any member, here or on another node, has a user: frames then carry users. */
  private int withUser;
  /** When each other node last told this room anything (System.nanoTime), for the lease. */
  private final Map<String, Long> heardFrom = new HashMap<>();
  private final Federation.Link peers;
  private final LobbyMetrics metrics;

  // History (lobby.history); all null or 0 when it is off.
  private final RoomHistory history;
  /**
   * A new random value for every room actor, so a room started again has lost its history; with
   * a sequencer, the sequencer's (null until its first history arrives).
   */
  private String epoch;
  private long lastOffset;
  /** Beats so far, and the beat at which the room last had no member. */
  private long beats;
  private long emptySince;
  private final ActorRef<Lobby.Command> lobby;
  private final long heartbeatNanos;

  // A history across nodes: the room's broadcasts go through its sequencer.
  private final boolean sequenced;
  /** This room's broadcasts sent to the sequencer and not back yet, in the order sent. */
  private final ArrayDeque<Pending> pending;
  private long lastSeq;
  /** Whether the room asked the sequencer for its history again after a gap. */
  private boolean resyncing;
  /** Commands that came before the sequencer's first history (non-null until then). */
  private StashBuffer<Command> stash;
  /** Sessions whose leave came while the stash was full (their join may be in it). */
  private Set<SessionId> leftWhileWaiting;
  /** Heartbeats so far without the sequencer's first history. */
  private int beatsWaiting;
  /**
   * Syncs and leaves that wait for this room's broadcasts sent before them to come back, so that
   * a member's broadcasts go out before its close and before its room is told it left.
   */
  private ArrayDeque<Deferred> deferred;

  /** Heartbeats a room waits for its sequencer's first history before it refuses what waits. */
  static final int WAIT_BEATS = 6;

  /** A command handled once the broadcasts up to {@code after} have come back. */
  private record Deferred(long after, Command command) {}

  /** The most commands a room keeps while it waits for its sequencer's first history. */
  static final int STASH = 100_000;

  /**
   * A broadcast of this room sent to the sequencer: who to acknowledge, or the admin publish to
   * answer, when it comes back.
   */
  private record Pending(
      long seq,
      SessionId from,
      Payload msg,
      long sent,
      ActorRef<Session.Command> session,
      ActorRef<Lobby.Published> published,
      String ref) {}

  static Behavior<Command> create(
      RoomId room, Codecs codecs, Federation federation, Duration heartbeat, LobbyMetrics metrics) {
    return create(room, codecs, federation, heartbeat, metrics, LobbySettings.History.OFF, null);
  }

  /**
   * A room; with a history, it outlives its last member until nothing is kept and {@code ttl}
   * passed, then tells {@code lobby} it is idle ({@link Lobby.RoomIdle}).
   */
  static Behavior<Command> create(
      RoomId room,
      Codecs codecs,
      Federation federation,
      Duration heartbeat,
      LobbyMetrics metrics,
      LobbySettings.History history,
      ActorRef<Lobby.Command> lobby) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers ->
                    Behaviors.withStash(
                        STASH,
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
                          if (!r.sequenced) {
                            return r;
                          }
                          r.stash = stash;
                          return r.waitingForHistory();
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
      ActorRef<Lobby.Command> lobby) {
    super(context);
    this.room = room;
    this.codecs = codecs;
    this.metrics = metrics;
    this.lobby = lobby;
    this.history = history.on() ? new RoomHistory(history, heartbeat) : null;
    this.heartbeatNanos = heartbeat.toNanos();
    ActorRef<PeerEvent> inbox = context.messageAdapter(PeerEvent.class, FromPeer::new);
    this.peers =
        history.on()
            ? federation.link(room, inbox, context, history, heartbeat)
            : federation.link(room, inbox, context);
    this.sequenced = history.on() && peers.sequenced();
    this.epoch = history.on() && !sequenced ? newEpoch() : null;
    this.pending = sequenced ? new ArrayDeque<>() : null;
    peers.publish(new PeerEvent.Hello(peers.node()));
  }

  /**
   * Until the sequencer's first history: events of other nodes are handled (they need no epoch),
   * the rest waits in the stash. Once full, what cannot wait is answered so that nobody waits for
   * good: a join is closed with 1013, a member's request acknowledged, a publish counts nobody.
   */
  private Behavior<Command> waitingForHistory() {
    return Behaviors.receive(Command.class)
        .onMessage(
            FromPeer.class,
            m -> {
              if (m.event() instanceof PeerEvent.History h) {
                onHistory(h);
                StashBuffer<Command> waited = stash;
                stash = null;
                return waited.unstashAll(this);
              }
              onPeerEvent(m);
              return Behaviors.same();
            })
        .onMessageEquals(
            Beat.INSTANCE,
            () -> {
              if (++beatsWaiting % WAIT_BEATS == 0 && !stash.isEmpty()) {
                // Nobody waits for good: joins are closed (their clients try again later), the
                // rest answered. What comes next waits again.
                getContext()
                    .getLog()
                    .warn(
                        "Room {} has had no history from its sequencer for {} heartbeats: refuses"
                            + " the {} commands that wait",
                        room,
                        beatsWaiting,
                        stash.size());
                stash.forEach(this::refuse);
                stash.clear();
              }
              return Behaviors.same();
            })
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .onAnyMessage(
            command -> {
              if (!stash.isFull()) {
                stash.stash(command);
              } else {
                refuseWhileWaiting(command);
              }
              return Behaviors.same();
            })
        .build();
  }

  private void refuseWhileWaiting(Command command) {
    getContext()
        .getLog()
        .warn(
            "Room {} has no history from its sequencer yet and {} commands wait: refused a {}",
            room,
            STASH,
            command.getClass().getSimpleName());
    refuse(command);
  }

  /** Answers a command the room cannot handle without its history. */
  private void refuse(Command command) {
    if (command instanceof Join join) {
      join.session().tell(new Session.Close(CloseCodes.TRY_AGAIN_LATER, "room unavailable"));
    } else if (command instanceof Resume resume) {
      resume.session().tell(new Session.Close(CloseCodes.TRY_AGAIN_LATER, "room unavailable"));
    } else if (command instanceof Leave leave) {
      // Its join may still wait (the stash was full) and must then not make it a member.
      if (leftWhileWaiting == null) {
        leftWhileWaiting = new HashSet<>();
      }
      leftWhileWaiting.add(leave.id());
    } else if (command instanceof Broadcast broadcast) {
      if (broadcast.ref() == null) {
        broadcast.session().tell(Session.Processed.ROOM);
      } else {
        String ref = broadcast.ref();
        broadcast
            .session()
            .tell(
                new Session.Answered(
                    Session.Processed.ROOM,
                    ref,
                    new ClientEvent.Error("unavailable", "room unavailable; try again", ref)));
      }
    } else if (command instanceof ListMembers request) {
      request.session().tell(Session.Processed.ROOM);
    } else if (command instanceof Publish publish) {
      publish.replyTo().tell(new Lobby.Published(room, 0));
    } else if (command instanceof Sync sync) {
      sync.session().tell(sync.reply());
    } else if (command instanceof GetHistory request) {
      request.replyTo().tell(Optional.empty());
    }
  }


  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Join.class, this::onJoin)
        .onMessage(Resume.class, this::onResume)
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

  private Behavior<Command> onStop() {
    if (pending != null) {
      // Admin pushes still with the sequencer: their callers are not left waiting.
      pending.forEach(
          p -> {
            if (p.published() != null) {
              p.published().tell(new Lobby.Published(room, 0));
            }
          });
    }
    return Behaviors.stopped();
  }

  private Behavior<Command> onSync(Sync sync) {
    if (!deferUntilBack(sync)) {
      sync.session().tell(sync.reply());
    }
    return this;
  }

  /**
   * With a sequencer, defers a command until this room's broadcasts sent before it have come
   * back; returns whether it did.
   */
  private boolean deferUntilBack(Command command) {
    if (!sequenced || pending.isEmpty()) {
      return false;
    }
    if (deferred == null) {
      deferred = new ArrayDeque<>();
    }
    deferred.addLast(new Deferred(lastSeq, command));
    return true;
  }

  /** Handles the deferred commands whose broadcasts have all come back. */
  private void runDeferred() {
    while (deferred != null
        && !deferred.isEmpty()
        && (pending.isEmpty() || pending.peekFirst().seq() > deferred.peekFirst().after())) {
      Command command = deferred.pollFirst().command();
      if (command instanceof Sync sync) {
        sync.session().tell(sync.reply());
      } else if (command instanceof Leave leave) {
        leave(leave);
      }
    }
  }

  private Behavior<Command> onBeat() {
    for (Map.Entry<SessionId, Member> entry : members.entrySet()) {
      boolean partial = joinedSinceBeat.remove(entry.getKey());
      Session.Heartbeat beat = partial ? Session.Heartbeat.PARTIAL : Session.Heartbeat.FULL;
      entry.getValue().session().tell(beat);
    }
    joinedSinceBeat.clear();
    beaten = true;
    expireSilentNodes();
    beats++;
    if (history != null) {
      history.expire(beats);
      if (members.isEmpty()
          && remote.isEmpty()
          && history.isEmpty()
          && beats - emptySince > history.ttlBeats()) {
        lobby.tell(new Lobby.RoomIdle(room, getContext().getSelf())); // the Lobby decides
      }
    }
    return this;
  }

  /** A random epoch: 16 hexadecimal digits. */
  private static String newEpoch() {
    return String.format("%016x", java.util.concurrent.ThreadLocalRandom.current().nextLong());
  }

  /**
   * Keeps a broadcast under the next offset; returns it, or null when there is no history.
   */
  private Long keep(SessionId from, Payload msg) {
    if (history == null) {
      return null;
    }
    long offset = ++lastOffset;
    history.add(new RoomHistory.Entry(offset, from, msg, beats));
    return offset;
  }

  private Behavior<Command> onGetHistory(GetHistory request) {
    if (history == null) {
      request.replyTo().tell(Optional.empty());
      return this;
    }
    List<Lobby.HistoryView.Kept> kept = new ArrayList<>();
    for (RoomHistory.Entry entry : history.after(request.since())) {
      kept.add(new Lobby.HistoryView.Kept(entry.offset(), entry.from(), entry.msg()));
    }
    request.replyTo().tell(Optional.of(new Lobby.HistoryView(room, epoch, lastOffset, kept)));
    return this;
  }

  private Behavior<Command> onJoin(Join join) {
    if (leftWhileWaiting != null && leftWhileWaiting.remove(join.id())) {
      return this; // its leave came while this join waited and the stash was full
    }
    Member member = new Member(join.mode(), join.transport(), join.session(), join.user());
    if (beaten || !members.isEmpty()) {
      // Its first interval is cut short; the room's first member starts with the timer.
      joinedSinceBeat.add(join.id());
    }
    fanOut(new ClientEvent.Joined(join.id(), room, join.user()));
    members.put(join.id(), member);
    countUser(join.user(), 1);
    membershipChanged();
    welcome(join.id(), member, join.recovery(), join.resumeKey(), join.resumed());
    peers.publish(new PeerEvent.Joined(peers.node(), join.id(), join.user()));
    return this;
  }

  private Behavior<Command> onResume(Resume resume) {
    Member before = members.get(resume.id());
    if (before == null) {
      return this; // not a member: cannot be, the Lobby resumes only members
    }
    Member member = new Member(before.mode(), resume.transport(), resume.session(), before.user());
    members.put(resume.id(), member); // keeps its place in the join order
    joinedSinceBeat.add(resume.id()); // its new session starts a new interval
    welcome(resume.id(), member, resume.recovery(), resume.resumeKey(), true);
    return this;
  }

  /**
   * Sends a member its welcome, then what it missed when it asked for a recovery that the history
   * can give.
   */
  private void welcome(
      SessionId id, Member member, Recovery asked, ResumeKey resumeKey, Boolean resumed) {
    // Recovery is a JSON-mode feature: a classic welcome could not say whether it succeeded.
    Recovery recovery = history == null || member.mode() != Mode.JSON ? null : asked;
    boolean recovered =
        recovery != null
            && recovery.epoch().equals(epoch)
            && history.reaches(recovery.since(), lastOffset);
    send(
        member,
        new ClientEvent.Welcome(
            id,
            room,
            allMembers(),
            allUsers(),
            epoch,
            history == null ? null : lastOffset,
            recovery == null ? null : recovered,
            resumeKey,
            resumed));
    if (recovered) {
      // In this same step, so before any live broadcast: what it missed, in order, once.
      // Each kept message is rendered once, however many clients recover it.
      for (RoomHistory.Entry entry : history.after(recovery.since())) {
        Frame frame = entry.replay(history, room, codecs.json());
        if (Session.offer(member.transport(), member.session(), frame)) {
          metrics.delivered(1, frame.utf8().length());
        }
      }
    }
  }

  private Behavior<Command> onLeave(Leave leave) {
    if (!deferUntilBack(leave)) {
      leave(leave);
    }
    return this;
  }

  private void leave(Leave leave) {
    joinedSinceBeat.remove(leave.id());
    Member left = members.remove(leave.id());
    if (left != null) {
      countUser(left.user(), -1);
      membershipChanged();
      if (members.isEmpty()) {
        emptySince = beats;
      }
      fanOut(new ClientEvent.Left(leave.id(), room, leave.reason(), left.user()));
      peers.publish(new PeerEvent.Left(peers.node(), leave.id(), leave.reason()));
    }
  }

  private Behavior<Command> onBroadcast(Broadcast broadcast) {
    Member sender = members.get(broadcast.from());
    if (sender != null && sequenced) {
      // Fanned out, and the sender acknowledged, when it comes back from the sequencer.
      toSequencer(
          new Pending(
              ++lastSeq,
              broadcast.from(),
              broadcast.msg(),
              broadcast.sent(),
              broadcast.session(),
              null,
              broadcast.ref()));
    } else if (sender != null) {
      Long offset = null;
      try {
        offset = keep(broadcast.from(), broadcast.msg());
        int accepted =
            fanOut(new ClientEvent.Message(broadcast.from(), room, broadcast.msg(), offset));
        metrics.broadcast(accepted, broadcast.sent());
        peers.publish(new PeerEvent.Message(peers.node(), broadcast.from(), broadcast.msg()));
      } finally {
        // Even if the fan-out failed (the room resumes): the sender's window must not shrink.
        broadcast.done(offset);
      }
    } else {
      getContext().getLog().debug("Dropped broadcast from {}, not a member of {}", broadcast.from(), room);
    }
    return this;
  }

  private Behavior<Command> onPublish(Publish publish) {
    if (sequenced) {
      toSequencer(
          new Pending(
              ++lastSeq, publish.serverId(), publish.msg(), 0, null, publish.replyTo(), null));
      return this;
    }
    Long offset = keep(publish.serverId(), publish.msg());
    int delivered =
        fanOut(new ClientEvent.Message(publish.serverId(), room, publish.msg(), offset));
    metrics.adminPush();
    peers.publish(new PeerEvent.Message(peers.node(), publish.serverId(), publish.msg()));
    publish.replyTo().tell(new Lobby.Published(room, delivered));
    return this;
  }

  private Behavior<Command> onListMembers(ListMembers request) {
    Member member = members.get(request.requester());
    if (member != null) {
      try {
        Frame frame = membersFrame(member.mode());
        if (Session.offer(member.transport(), member.session(), frame)) {
          metrics.delivered(1, frame.utf8().length());
        }
      } finally {
        request.session().tell(Session.Processed.ROOM);
      }
    }
    return this;
  }

  /** The member list in a mode, rendered once per membership change. */
  private Frame membersFrame(Mode mode) {
    if (mode == Mode.CLASSIC) {
      if (membersClassic == null) {
        membersClassic =
            Frame.render(
                new ClientEvent.Members(room, allMembers(), allUsers()), codecs.classic());
      }
      return membersClassic;
    }
    if (membersJson == null) {
      membersJson =
          Frame.render(new ClientEvent.Members(room, allMembers(), allUsers()), codecs.json());
    }
    return membersJson;
  }

  /** Call on every change to {@code members} or {@code remote}. */
  private void membershipChanged() {
    membersClassic = null;
    membersJson = null;
  }

  /** Members on other nodes first (they were there before this room started), then local ones. */
  private List<SessionId> allMembers() {
    List<SessionId> all = new ArrayList<>();
    remote.values().forEach(of -> all.addAll(of.keySet()));
    all.addAll(members.keySet());
    return all;
  }

  /** The users of the members that have one, in the order of {@link #allMembers()}. */
  private Map<SessionId, String> allUsers() {
    if (withUser == 0) {
      return Map.of();
    }
    Map<SessionId, String> users = new LinkedHashMap<>();
    remote.values().forEach(of -> of.forEach((id, user) -> putUser(users, id, user)));
    members.forEach((id, member) -> putUser(users, id, member.user()));
    return users;
  }

  private static void putUser(Map<SessionId, String> users, SessionId id, String user) {
    if (user != null) {
      users.put(id, user);
    }
  }

  private void countUser(String user, int change) {
    if (user != null) {
      withUser += change;
    }
  }

  private Behavior<Command> onPeerEvent(FromPeer fromPeer) {
    PeerEvent event = fromPeer.event();
    if (event instanceof PeerEvent.Resync) {
      publishMembers();
      return this;
    }
    if (event instanceof PeerEvent.Sequenced sequencedEvent) {
      onSequenced(sequencedEvent); // this node's own too
      return this;
    }
    if (event instanceof PeerEvent.History h) {
      onHistory(h);
      return this;
    }
    if (event instanceof PeerEvent.SequenceGap gap) {
      if (sequenced && gap.epoch().equals(epoch)) {
        sendAgain(gap.from()); // lost on the way to the sequencer
      }
      return this;
    }
    if (event.node().equals(peers.node())) {
      return this; // our own event, back from the topic
    }
    heardFrom.put(event.node(), System.nanoTime());
    metrics.peerEvent(event.getClass().getSimpleName());
    if (event instanceof PeerEvent.Message m) {
      fanOut(new ClientEvent.Message(m.from(), room, m.msg()));
    } else if (event instanceof PeerEvent.Joined j) {
      LinkedHashMap<SessionId, String> of =
          remote.computeIfAbsent(j.node(), n -> new LinkedHashMap<>());
      if (!of.containsKey(j.id())) {
        of.put(j.id(), j.user());
        countUser(j.user(), 1);
        membershipChanged();
        fanOut(new ClientEvent.Joined(j.id(), room, j.user()));
      }
    } else if (event instanceof PeerEvent.Left l) {
      LinkedHashMap<SessionId, String> of = remote.get(l.node());
      if (of != null && of.containsKey(l.id())) {
        String user = of.remove(l.id());
        countUser(user, -1);
        membershipChanged();
        fanOut(new ClientEvent.Left(l.id(), room, l.reason(), user));
      }
    } else if (event instanceof PeerEvent.Hello) {
      publishMembers();
    } else if (event instanceof PeerEvent.Members snapshot) {
      reconcile(snapshot.node(), snapshot.members(), snapshot.users());
    } else if (event instanceof PeerEvent.NodeGone gone) {
      reconcile(gone.node(), List.of(), Map.of());
      remote.remove(gone.node());
      heardFrom.remove(gone.node());
    }
    return this;
  }

  /** A broadcast numbered by the sequencer: fanned out here if it is the next one. */
  private void onSequenced(PeerEvent.Sequenced s) {
    if (!s.epoch().equals(epoch)) {
      return; // from a sequencer that was replaced: what this room sent it is sent again
    }
    boolean ours = s.node().equals(peers.node());
    if (s.offset() == lastOffset + 1 && !resyncing) {
      lastOffset = s.offset();
      history.add(new RoomHistory.Entry(s.offset(), s.from(), s.msg(), beats));
      int accepted = fanOut(new ClientEvent.Message(s.from(), room, s.msg(), s.offset()));
      if (ours) {
        done(s.seq(), accepted, s.offset());
      } else {
        metrics.peerEvent("Sequenced");
      }
    } else if (s.offset() > lastOffset) {
      // Something between the sequencer and this node was lost: its history has it.
      if (!resyncing) {
        getContext()
            .getLog()
            .debug("Room {} missed offsets {} to {}: asks for the history", room, lastOffset + 1, s.offset() - 1);
        resyncing = true;
        peers.resync();
      }
      if (ours) {
        done(s.seq(), 0, s.offset()); // delivered with the history
      }
    }
    // An offset already had: the history asked for after a gap brought it.
  }

  /** This room's broadcasts up to {@code seq} came back: acknowledges or answers each. */
  private void done(long seq, int accepted, Long offset) {
    while (!pending.isEmpty() && pending.peekFirst().seq() <= seq) {
      Pending p = pending.pollFirst();
      int count = p.seq() == seq ? accepted : 0;
      if (p.session() != null) {
        metrics.broadcast(count, p.sent());
        if (p.ref() == null) {
          p.session().tell(Session.Processed.ROOM);
        } else {
          Long at = p.seq() == seq ? offset : null; // an earlier one came with the history
          p.session()
              .tell(
                  new Session.Answered(
                      Session.Processed.ROOM, p.ref(), new ClientEvent.Ack(p.ref(), at)));
        }
      } else {
        metrics.adminPush();
        p.published().tell(new Lobby.Published(room, count));
      }
    }
    runDeferred();
  }

  /**
   * The sequencer's history: the first one starts the room; after a gap it brings what this node
   * missed; with another epoch, the history this room had was lost.
   */
  private void onHistory(PeerEvent.History h) {
    resyncing = false;
    if (epoch == null) {
      adopt(h);
      return;
    }
    boolean newEpoch = !h.epoch().equals(epoch);
    long seen = newEpoch ? 0 : lastOffset; // what the members here already got
    List<PeerEvent.Kept> missed = new ArrayList<>();
    for (PeerEvent.Kept kept : h.kept()) {
      if (kept.offset() > seen) {
        missed.add(kept);
      }
    }
    boolean unbroken =
        h.offset() <= seen || (!missed.isEmpty() && missed.get(0).offset() == seen + 1);
    if (newEpoch || !unbroken) {
      getContext()
          .getLog()
          .info("Room {}: history reset (epoch {} to {})", room, epoch, h.epoch());
      adopt(h);
      // The offset the client has everything up to, in the new count: what follows comes next.
      long upTo = missed.isEmpty() ? lastOffset : missed.get(0).offset() - 1;
      fanOut(new ClientEvent.HistoryReset(epoch, upTo), true); // classic clients know no history
    } else {
      for (PeerEvent.Kept kept : missed) {
        history.add(entry(kept));
      }
      lastOffset = Math.max(lastOffset, h.offset());
    }
    for (PeerEvent.Kept kept : missed) {
      fanOut(new ClientEvent.Message(kept.from(), room, kept.msg(), kept.offset()));
    }
    if (newEpoch || h.moved()) {
      // The old sequencer is gone, and with it what it had not sent back: send it again (a
      // successor in the same epoch knows which it had).
      sendAgain(0);
    }
  }

  /** Hands a broadcast to the sequencer; it is fanned out, and answered, when it comes back. */
  private void toSequencer(Pending p) {
    pending.addLast(p);
    sendToSequencer(p);
  }

  /** Sends the pending broadcasts from {@code from} on to the sequencer again, in order. */
  private void sendAgain(long from) {
    for (Pending p : pending) {
      if (p.seq() >= from) {
        sendToSequencer(p);
      }
    }
  }

  private void sendToSequencer(Pending p) {
    peers.sequence(epoch, pending.peekFirst().seq(), p.seq(), p.from(), p.msg());
  }

  /** A broadcast of the sequencer's history, kept here at the beat its age says. */
  private RoomHistory.Entry entry(PeerEvent.Kept kept) {
    long keptAt = beats - kept.age().toNanos() / heartbeatNanos;
    return new RoomHistory.Entry(kept.offset(), kept.from(), kept.msg(), keptAt);
  }

  private void adopt(PeerEvent.History h) {
    epoch = h.epoch();
    lastOffset = h.offset();
    history.clear();
    for (PeerEvent.Kept kept : h.kept()) {
      history.add(entry(kept));
    }
  }

  /**
   * The members of nodes that said nothing about this room for longer than the federation's
   * {@link Federation.Link#memberLease() lease} leave (reason {@code error}): a node whose room
   * emptied stops refreshing it, and so do crashed nodes before they are downed.
   */
  private void expireSilentNodes() {
    long lease = peers.memberLease().toNanos();
    if (lease <= 0 || remote.isEmpty()) {
      return;
    }
    long now = System.nanoTime();
    for (String node : List.copyOf(remote.keySet())) {
      Long heard = heardFrom.get(node);
      if (heard == null || now - heard > lease) {
        getContext().getLog().debug("No word from {} on room {}: its members expire", node, room);
        reconcile(node, List.of(), Map.of());
        remote.remove(node);
        heardFrom.remove(node);
      }
    }
  }

  /** Tells the peers every member this room has on this node. */
  private void publishMembers() {
    Map<SessionId, String> users = new LinkedHashMap<>();
    members.forEach((id, member) -> putUser(users, id, member.user()));
    peers.publish(new PeerEvent.Members(peers.node(), List.copyOf(members.keySet()), users));
  }

  /** Brings a node's members to {@code now}, telling local members who joined and who left. */
  private void reconcile(String node, List<SessionId> now, Map<SessionId, String> users) {
    if (now.isEmpty() && !remote.containsKey(node)) {
      return; // nothing known of that node here: keep no empty entry for it
    }
    LinkedHashMap<SessionId, String> known =
        remote.computeIfAbsent(node, n -> new LinkedHashMap<>());
    Set<SessionId> present = new HashSet<>(now); // snapshots come every few seconds: no n² scan
    for (Iterator<Map.Entry<SessionId, String>> it = known.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<SessionId, String> gone = it.next();
      if (!present.contains(gone.getKey())) {
        it.remove();
        countUser(gone.getValue(), -1);
        membershipChanged();
        fanOut(new ClientEvent.Left(gone.getKey(), room, LeaveReason.ERROR, gone.getValue()));
      }
    }
    for (SessionId id : now) {
      if (!known.containsKey(id)) {
        String user = users.get(id);
        known.put(id, user);
        countUser(user, 1);
        membershipChanged();
        fanOut(new ClientEvent.Joined(id, room, user));
      }
    }
  }

  /**
   * Offers one event to every member, rendering it at most once per mode: the same {@link Frame}
   * object goes to every member of a mode.
   *
   * @return how many members accepted it
   */
  private int fanOut(ClientEvent event) {
    return fanOut(event, false);
  }

  /** Like {@link #fanOut(ClientEvent)}; with {@code jsonOnly}, to the JSON-mode members only. */
  private int fanOut(ClientEvent event, boolean jsonOnly) {
    Frame classic = null;
    Frame json = null;
    int acceptedClassic = 0;
    int acceptedJson = 0;
    for (Member member : members.values()) {
      if (member.mode() == Mode.CLASSIC) {
        if (jsonOnly) {
          continue;
        }
        Frame frame = classic != null ? classic : (classic = Frame.render(event, codecs.classic()));
        if (Session.offer(member.transport(), member.session(), frame)) {
          acceptedClassic++;
        }
      } else {
        Frame frame = json != null ? json : (json = Frame.render(event, codecs.json()));
        if (Session.offer(member.transport(), member.session(), frame)) {
          acceptedJson++;
        }
      }
    }
    // Once per fan-out, not per recipient.
    if (acceptedClassic > 0) {
      metrics.delivered(acceptedClassic, classic.utf8().length());
    }
    if (acceptedJson > 0) {
      metrics.delivered(acceptedJson, json.utf8().length());
    }
    return acceptedClassic + acceptedJson;
  }

  private void send(Member member, ClientEvent event) {
    Frame frame = Frame.render(event, codecs.of(member.mode()));
    if (Session.offer(member.transport(), member.session(), frame)) {
      metrics.delivered(1, frame.utf8().length());
    }
  }
}
