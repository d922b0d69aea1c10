package io.github.lobby.core;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import io.github.lobby.core.auth.Authenticated;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The directory of sessions and rooms: one per server.
 *
 * <p>Like the Actix tutorial server it mirrors, it keeps two maps, sessions by id and members by
 * room. It spawns one {@link Session} per connection and one room actor per non-empty room, and
 * watches every session, so a session always leaves its room, whether it stops cleanly or fails.
 * Broadcasts do not pass through here: a session sends them straight to its room, which renders
 * each event once and fans it out, so rooms use every core. Nor do whispers between sessions of
 * this node: the sessions map is a {@link SessionDirectory} that this actor alone writes and every
 * session reads, so a whisper goes from its sender to its target's queue. This actor handles joins,
 * leaves, admin requests and whispers to and from other nodes. A room exists while it has members;
 * the last one leaving stops it.
 *
 * <p>With {@code lobby.recovery.grace}, a JSON-mode session whose connection was lost stays in its
 * room, detached, for the grace: the Lobby decides whether its client resumes it (a {@link Connect}
 * with a {@link Resume}) or the grace ends first (it leaves, reason {@code timeout}), as it decides
 * every join, so the two can never both happen. A resumed session keeps its id and place in its
 * room and gets a new session actor; its room tells the others nothing.
 *
 * <p>Unknown rooms and sessions are ordinary cases: a whisper to nobody is answered to its sender,
 * a publish to an empty room reports zero deliveries, a lookup of an unknown room is empty.
 */
public final class Lobby extends AbstractBehavior<Lobby.Command> {

  /**
   * Messages the Lobby understands: what each of its callers may send, and the messages of its
   * own sessions. Whoever spawns the Lobby holds this reference and hands each caller a narrower
   * one ({@link ActorRef#narrow()}): {@link AdminCommand} to the application and the admin API,
   * {@link ConnectionCommand} to the network layer, {@link PeerCommand} to a {@link Federation}.
   */
  public sealed interface Command {}

  /**
   * What an application embedding the Lobby may send, as the admin API does: publish to a room,
   * look rooms up and read the counts. {@code LobbyServer.lobby()} hands out a reference of this
   * type.
   */
  public sealed interface AdminCommand extends Command {}

  /**
   * What the network layer sends: a connection arriving or ending, and the closing of every
   * session when the server stops.
   */
  public sealed interface ConnectionCommand extends Command {}

  /** What a {@link Federation} sends on behalf of other nodes. */
  public sealed interface PeerCommand extends Command {}

  /**
   * A new connection: spawn its session and join it to a room. The reply is the session actor, to
   * which the transport delivers the client's frames.
   *
   * @param id the new session's id; not used when the connection resumes a session, which keeps
   *     its own
   * @param resume the session the client asks to be again ({@code ?resume=&key=}); when that
   *     session cannot be resumed, the connection gets a new one, as without it
   */
  public record Connect(
      SessionId id,
      RoomId room,
      Mode mode,
      Transport transport,
      Optional<Authenticated> auth,
      Optional<Recovery> recovery,
      Optional<Resume> resume,
      ActorRef<ActorRef<Session.Command>> replyTo)
      implements ConnectionCommand {

    /** Rejects a null {@code auth}, {@code recovery} or {@code resume}. */
    public Connect {
      java.util.Objects.requireNonNull(auth, "auth");
      java.util.Objects.requireNonNull(recovery, "recovery");
      java.util.Objects.requireNonNull(resume, "resume");
    }

    /** A connection that asks to resume no session. */
    public Connect(
        SessionId id,
        RoomId room,
        Mode mode,
        Transport transport,
        Optional<Authenticated> auth,
        Optional<Recovery> recovery,
        ActorRef<ActorRef<Session.Command>> replyTo) {
      this(id, room, mode, transport, auth, recovery, Optional.empty(), replyTo);
    }

    /** A connection that asks for no recovery. */
    public Connect(
        SessionId id,
        RoomId room,
        Mode mode,
        Transport transport,
        Optional<Authenticated> auth,
        ActorRef<ActorRef<Session.Command>> replyTo) {
      this(id, room, mode, transport, auth, Optional.empty(), replyTo);
    }

    /** An anonymous connection (authentication off). */
    public Connect(
        SessionId id,
        RoomId room,
        Mode mode,
        Transport transport,
        ActorRef<ActorRef<Session.Command>> replyTo) {
      this(id, room, mode, transport, Optional.empty(), replyTo);
    }
  }

  /** Broadcasts a JSON value to every member of a room under the server id. */
  public record Publish(RoomId room, Payload msg, ActorRef<Published> replyTo)
      implements AdminCommand {}

  /** Asks for one room's members. */
  public record GetRoom(RoomId room, ActorRef<Optional<RoomView>> replyTo)
      implements AdminCommand {}

  /**
   * Asks for the broadcasts a room keeps after {@code since} ({@code lobby.history}); empty when
   * there is no such room or no history.
   */
  public record GetHistory(RoomId room, long since, ActorRef<Optional<HistoryView>> replyTo)
      implements AdminCommand {}

  /** Asks for every room with its member count. */
  public record ListRooms(ActorRef<RoomList> replyTo) implements AdminCommand {}

  /** Asks for the number of sessions and rooms. */
  public record GetStats(ActorRef<Stats> replyTo) implements AdminCommand {}

  /**
   * Closes every session with a close code (1001 at shutdown) and refuses new ones; replies once
   * no session is left.
   */
  public record CloseAll(int code, String reason, ActorRef<Done> replyTo)
      implements ConnectionCommand {}

  /**
   * A connection ended before it learnt its session from the {@link Connect} reply: the Lobby
   * tells the session, as its transport would have. Sent after the {@code Connect}, by the same
   * sender, so the session exists by then (or was never made).
   */
  public record Disconnected(SessionId id) implements ConnectionCommand {}

  /**
   * A room with a history has had no member and kept nothing for its {@code ttl}: it may end,
   * unless somebody joined meanwhile (the Lobby decides, as it decides every join).
   */
  record RoomIdle(RoomId room, ActorRef<Room.Command> ref) implements Command {}

  /**
   * A session leaves its room; sent by the session itself just before it stops. Ignored when the
   * directory holds another actor for that id by then (its client resumed it meanwhile).
   */
  record Leave(SessionId id, LeaveReason reason, ActorRef<Session.Command> session)
      implements Command {}

  /**
   * A session lost its connection and waits for its client to resume it ({@code lobby.recovery});
   * sent by the session, which from then on only waits for the Lobby to end it.
   */
  record Detached(SessionId id, ActorRef<Session.Command> session) implements Command {}

  /** The grace of a detached session ended; the timer's key is {@link Grace}. */
  private record GraceEnded(SessionId id, ActorRef<Session.Command> session) implements Command {}

  /** The key of a detached session's timer. */
  private record Grace(SessionId id) {}

  /**
   * A session whispers to a session that is not on this node: the Lobby looks for it on the other
   * nodes, answers {@code no_session} if none has it, and tells the sender {@link
   * Session.Processed#LOBBY} once the search has ended.
   */
  record Whisper(
      SessionId from, String to, Payload msg, ActorRef<Session.Command> session, String ref)
      implements Command {
    /** A whisper without a client reference. */
    Whisper(SessionId from, String to, Payload msg, ActorRef<Session.Command> session) {
      this(from, to, msg, session, null);
    }
  }

  /**
   * A session whispers to a user while rooms span nodes: the Lobby has the federation deliver it to
   * the user's sessions on the other nodes, answers {@code no_user} if none of them nor the {@code
   * local} sessions got it, and tells the sender {@link Session.Processed#LOBBY} once done.
   *
   * @param local how many of the user's sessions on this node the sender already reached
   * @param session the session actor that asks, to be told when done (not a successor of it)
   * @param ref the client's reference, or null: with one, the session is told {@link
   *     Session.Answered} with the answer instead
   */
  record WhisperUser(
      SessionId from,
      String user,
      Payload msg,
      int local,
      ActorRef<Session.Command> session,
      String ref)
      implements Command {}

  private record SessionStopped(SessionId id, ActorRef<Session.Command> session)
      implements Command {}

  /**
   * A whisper for a session that may be on this node; the reply says whether it was delivered.
   * Sent by a {@link Federation} for whispers from other nodes.
   *
   * @param room the sender's room, as the whisper event names it
   */
  public record DeliverWhisper(
      SessionId from, SessionId to, RoomId room, Payload msg, ActorRef<Boolean> replyTo)
      implements PeerCommand {}

  /**
   * A whisper whose target is not on this node, for the {@link Federation} to look for elsewhere.
   *
   * @param target the target as the sender wrote it, for the "no session" answer
   * @param session the session actor that asks, told when the search has ended
   * @param ref the client's reference for its answer, or null; stays on this node
   */
  public record WhisperSearch(
      SessionId from,
      SessionId to,
      String target,
      RoomId room,
      Payload msg,
      ActorRef<Session.Command> session,
      String ref) {
    /** A search for a whisper without a client reference. */
    public WhisperSearch(
        SessionId from,
        SessionId to,
        String target,
        RoomId room,
        Payload msg,
        ActorRef<Session.Command> session) {
      this(from, to, target, room, msg, session, null);
    }
  }

  /** How a {@link WhisperSearch} ended; the {@link Federation} tells the Lobby. */
  public record WhisperSearched(WhisperSearch search, boolean found) implements PeerCommand {}

  /**
   * A whisper to every session of a user, for the {@link Federation} to deliver on the other
   * nodes.
   *
   * @param local how many of the user's sessions on this node got it
   * @param session the session actor that asks, told when the whisper is done
   * @param ref the client's reference for its answer, or null; stays on this node
   */
  public record UserWhisper(
      SessionId from,
      String user,
      RoomId room,
      Payload msg,
      int local,
      ActorRef<Session.Command> session,
      String ref) {
    /** A whisper to a user without a client reference. */
    public UserWhisper(
        SessionId from,
        String user,
        RoomId room,
        Payload msg,
        int local,
        ActorRef<Session.Command> session) {
      this(from, user, room, msg, local, session, null);
    }
  }

  /**
   * How a {@link UserWhisper} ended: how many of the user's sessions on other nodes got it. The
   * {@link Federation} tells the Lobby.
   */
  public record UserWhispered(UserWhisper whisper, int delivered) implements PeerCommand {}

  /**
   * A whisper for every session of a user that is on this node; the reply counts them. Sent by a
   * {@link Federation} for whispers from other nodes.
   *
   * @param room the sender's room, as the whisper event names it
   */
  public record DeliverUserWhisper(
      SessionId from, String user, RoomId room, Payload msg, ActorRef<Integer> replyTo)
      implements PeerCommand {}

  /** The outcome of a {@link Publish}: how many sessions the message was queued for. */
  public record Published(RoomId room, int delivered) {}

  /**
   * One room and its members on this node, in join order.
   *
   * @param users the user of each authenticated member
   */
  public record RoomView(RoomId room, List<SessionId> members, Map<SessionId, String> users) {
    /** Copies the list and the users. */
    public RoomView {
      members = List.copyOf(members);
      users = ClientEvent.copyUsers(users);
    }

    /** A view without users. */
    public RoomView(RoomId room, List<SessionId> members) {
      this(room, members, Map.of());
    }
  }

  /**
   * What a room keeps of its broadcasts.
   *
   * @param epoch the room's epoch
   * @param offset the offset of its latest broadcast (0 before any)
   * @param kept the broadcasts kept after the offset asked for, oldest first
   */
  public record HistoryView(RoomId room, String epoch, long offset, List<Kept> kept) {
    /** Copies the list. */
    public HistoryView {
      kept = List.copyOf(kept);
    }

    /** One kept broadcast: its offset, sender and content. */
    public record Kept(long offset, SessionId from, Payload msg) {}
  }

  /** One line of a {@link RoomList}. */
  public record RoomSummary(RoomId room, int members) {}

  /** Every room, sorted by name. */
  public record RoomList(List<RoomSummary> rooms) {
    /** Copies the list. */
    public RoomList {
      rooms = List.copyOf(rooms);
    }
  }

  /**
   * How many sessions and rooms the Lobby holds.
   *
   * @param sessions sessions in the directory
   * @param rooms rooms with at least one member
   * @param liveActors session and room actors of this Lobby still alive; {@code sessions + rooms +
   *     keptRooms} once every departure has been processed, so a larger figure that stays is a leak
   * @param keptRooms rooms with no member kept for their history ({@code lobby.history}) until
   *     nothing is kept and its ttl passed
   */
  public record Stats(int sessions, int rooms, int liveActors, int keptRooms) {
    /** Counts without kept rooms (no history). */
    public Stats(int sessions, int rooms, int liveActors) {
      this(sessions, rooms, liveActors, 0);
    }
  }

  private record RoomEntry(ActorRef<Room.Command> ref, Set<SessionId> members) {}

  private final LobbySettings settings;
  private final Codecs codecs;
  private final Federation federation;
  private final Federation.Whispers whispers;
  private final LobbyMetrics metrics;
  private final SessionDirectory sessions;
  private final TimerScheduler<Command> timers;
  /** Sessions waiting for their clients ({@code lobby.recovery}), the one detached first first. */
  private final LinkedHashMap<SessionId, ActorRef<Session.Command>> detached =
      new LinkedHashMap<>();
  /** Where resume keys come from; null when sessions are not resumed. */
  private final SecureRandom random;
  private final Map<RoomId, RoomEntry> rooms = new HashMap<>();
  /** Rooms without members kept for their history, the one that emptied first first. */
  private final LinkedHashSet<RoomId> kept = new LinkedHashSet<>();
  private final List<ActorRef<Done>> awaitingEmpty = new ArrayList<>();
  private CloseAll closing;
  private long roomSeq;

  /**
   * Creates the Lobby behavior.
   *
   * @param settings the {@code lobby} configuration
   * @param codecs how events are written in each mode
   */
  public static Behavior<Command> create(LobbySettings settings, Codecs codecs) {
    return create(settings, codecs, Federation.NONE);
  }

  /**
   * Creates the Lobby behavior with rooms that span nodes through a {@link Federation}.
   *
   * @param federation how rooms reach the same room on other nodes
   */
  public static Behavior<Command> create(
      LobbySettings settings, Codecs codecs, Federation federation) {
    return create(settings, codecs, federation, LobbyMetrics.NONE);
  }

  /**
   * Creates the Lobby behavior, recording its meters in {@code metrics} ({@link LobbyMetrics#of}).
   */
  public static Behavior<Command> create(
      LobbySettings settings, Codecs codecs, Federation federation, LobbyMetrics metrics) {
    if (settings.history().on()
        && federation != Federation.NONE
        && !federation.sequencesHistory()) {
      // Offsets every node agrees on need one sequencer per room across the nodes; a history per
      // node would recover clients with silent gaps.
      throw new IllegalArgumentException(
          "lobby.history needs a federation that sequences each room's broadcasts across nodes"
              + " (lobby-cluster's does); this one does not: set lobby.history.size = 0, or use"
              + " Federation.NONE");
    }
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> new Lobby(context, timers, settings, codecs, federation, metrics)));
  }

  private Lobby(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      LobbySettings settings,
      Codecs codecs,
      Federation federation,
      LobbyMetrics metrics) {
    super(context);
    this.settings = settings;
    this.codecs = codecs;
    this.federation = federation;
    this.metrics = metrics;
    this.whispers = federation.whispers(context.getSelf().narrow(), context, settings);
    this.sessions = new SessionDirectory(codecs, metrics);
    this.timers = timers;
    this.random = settings.resumption().on() ? new SecureRandom() : null;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Connect.class, this::onConnect)
        .onMessage(Publish.class, this::onPublish)
        .onMessage(GetRoom.class, this::onGetRoom)
        .onMessage(ListRooms.class, this::onListRooms)
        .onMessage(GetStats.class, this::onGetStats)
        .onMessage(CloseAll.class, this::onCloseAll)
        .onMessage(Leave.class, this::onLeave)
        .onMessage(Disconnected.class, this::onDisconnected)
        .onMessage(Whisper.class, this::onWhisper)
        .onMessage(DeliverWhisper.class, this::onDeliverWhisper)
        .onMessage(WhisperSearched.class, this::onWhisperSearched)
        .onMessage(WhisperUser.class, this::onWhisperUser)
        .onMessage(UserWhispered.class, this::onUserWhispered)
        .onMessage(DeliverUserWhisper.class, this::onDeliverUserWhisper)
        .onMessage(SessionStopped.class, this::onSessionStopped)
        .onMessage(RoomIdle.class, this::onRoomIdle)
        .onMessage(GetHistory.class, this::onGetHistory)
        .onMessage(Detached.class, this::onDetached)
        .onMessage(GraceEnded.class, this::onGraceEnded)
        .build();
  }

  private Behavior<Command> onConnect(Connect connect) {
    Boolean resumed = null;
    if (connect.resume().isPresent()) {
      if (resume(connect, connect.resume().get())) {
        metrics.resume("resumed");
        return this;
      }
      metrics.resume("refused");
      resumed = false;
    }
    SessionId id = connect.id();
    RoomEntry room = rooms.computeIfAbsent(connect.room(), this::spawnRoom);
    if (kept.remove(connect.room())) {
      metrics.roomAdded(); // a kept room has a member again
    }
    ResumeKey key = random != null && connect.mode() == Mode.JSON ? ResumeKey.random(random) : null;
    // A resumable session's refs outlive its session actor; others' are the actor's own.
    SentRefs refs = key != null ? new SentRefs(settings.resumption().refWindow()) : null;
    ActorRef<Session.Command> session = spawnSession(id, connect, room.ref(), refs);
    String user = userOf(connect);
    sessions.put(
        id,
        new SessionDirectory.Entry(
            session, connect.room(), connect.mode(), connect.transport(), user, key, refs));
    room.members().add(id);
    metrics.sessionAdded();
    // The room hears of the join before the session can send anything to it.
    room.ref()
        .tell(
            new Room.Join(
                id,
                connect.mode(),
                connect.transport(),
                session,
                user,
                connect.recovery().orElse(null),
                key,
                resumed));
    connect.replyTo().tell(session);
    getContext().getLog().debug("Session {} joined room {}", id, connect.room());
    if (closing != null) {
      session.tell(new Session.Close(closing.code(), closing.reason()));
    }
    return this;
  }

  /** Spawns and watches the session actor of a connection. */
  private ActorRef<Session.Command> spawnSession(
      SessionId id, Connect connect, ActorRef<Room.Command> room, SentRefs refs) {
    ActorRef<Session.Command> session =
        // Anonymous: a named child costs a name string and longer name comparisons in the
        // children's tree on every spawn; the session id is in every log line instead.
        getContext()
            .spawnAnonymous(
                Session.create(
                    id,
                    connect.room(),
                    connect.transport(),
                    connect.auth(),
                    room,
                    getContext().getSelf(),
                    sessions,
                    federation != Federation.NONE,
                    connect.mode(),
                    codecs.of(connect.mode()),
                    settings,
                    metrics,
                    refs));
    getContext().watchWith(session, new SessionStopped(id, session));
    return session;
  }

  private static String userOf(Connect connect) {
    return connect.auth().map(Authenticated::user).orElse(null);
  }

  /**
   * Resumes the session a client asks for, when it can: resumption is on, the session is on this
   * node, in the room and mode the connection asks for, of the same user (or both anonymous), and
   * the key matches. The session keeps its id and place; a new session actor serves the new
   * connection, with its new credential, and its predecessor stops without leaving (closing its
   * connection with 4002 if it still held it). Only the resumed client is told, with a new key.
   *
   * @return whether it was resumed
   */
  private boolean resume(Connect connect, Resume asked) {
    SessionId id = asked.id();
    SessionDirectory.Entry entry = sessions.get(id);
    String user = userOf(connect);
    if (entry == null
        || entry.resumeKey() == null // not resumable: resumption off, or classic mode
        || closing != null
        || connect.mode() != Mode.JSON
        || !entry.room().equals(connect.room())
        || !Objects.equals(entry.user(), user)
        || !entry.resumeKey().matches(asked.key())) {
      getContext().getLog().debug("Session {} not resumed: a new session instead", id);
      return false;
    }
    if (detached.remove(id) != null) {
      timers.cancel(new Grace(id));
    }
    getContext().unwatch(entry.ref());
    entry.ref().tell(Session.Superseded.INSTANCE);
    RoomEntry room = rooms.get(entry.room());
    ActorRef<Session.Command> session = spawnSession(id, connect, room.ref(), entry.refs());
    ResumeKey key = ResumeKey.random(random);
    sessions.put(
        id,
        new SessionDirectory.Entry(
            session, entry.room(), Mode.JSON, connect.transport(), user, key, entry.refs()));
    room.ref()
        .tell(
            new Room.Resume(
                id, connect.transport(), session, key, connect.recovery().orElse(null)));
    connect.replyTo().tell(session);
    getContext().getLog().debug("Session {} resumed in room {}", id, entry.room());
    return true;
  }

  private Behavior<Command> onDetached(Detached detach) {
    SessionDirectory.Entry entry = sessions.get(detach.id());
    if (entry == null || !entry.ref().equals(detach.session())) {
      return this; // resumed meanwhile: that actor was told to stop
    }
    if (closing != null) {
      endDetached(detach.id(), detach.session(), LeaveReason.CLOSED); // nobody resumes now
      return this;
    }
    detached.put(detach.id(), detach.session());
    timers.startSingleTimer(
        new Grace(detach.id()),
        new GraceEnded(detach.id(), detach.session()),
        settings.resumption().grace());
    if (detached.size() > settings.resumption().maxDetached()) {
      SessionId eldest = detached.keySet().iterator().next();
      getContext().getLog().debug("Session {} leaves: too many sessions detached", eldest);
      endDetached(eldest, detached.get(eldest), LeaveReason.TIMEOUT);
    }
    return this;
  }

  private Behavior<Command> onGraceEnded(GraceEnded ended) {
    if (ended.session().equals(detached.get(ended.id()))) {
      getContext().getLog().debug("Session {} was not resumed in time", ended.id());
      endDetached(ended.id(), ended.session(), LeaveReason.TIMEOUT);
    }
    return this;
  }

  /** Ends a detached session: its room is told it left, and its actor stops without a word. */
  private void endDetached(SessionId id, ActorRef<Session.Command> session, LeaveReason reason) {
    getContext().unwatch(session);
    getContext().stop(session);
    remove(id, reason);
  }

  private RoomEntry spawnRoom(RoomId room) {
    ActorRef<Room.Command> ref =
        getContext()
            .spawn(
                // Resumed on failure: its members' acknowledgements and heartbeats come from it.
                Behaviors.supervise(
                        Room.create(
                            room,
                            codecs,
                            federation,
                            settings.heartbeatInterval(),
                            metrics,
                            settings.history(),
                            getContext().getSelf()))
                    .onFailure(SupervisorStrategy.resume()),
                "room-" + room.value() + "-" + (++roomSeq));
    metrics.roomAdded();
    return new RoomEntry(ref, new LinkedHashSet<>());
  }

  private Behavior<Command> onRoomIdle(RoomIdle idle) {
    RoomEntry room = rooms.get(idle.room());
    if (room != null && room.ref().equals(idle.ref()) && room.members().isEmpty()) {
      getContext().getLog().debug("Room {} ends: no member and nothing kept", idle.room());
      endRoom(idle.room());
    }
    return this;
  }

  /** Stops a room without members and forgets it. */
  private void endRoom(RoomId id) {
    RoomEntry room = rooms.remove(id);
    kept.remove(id);
    room.ref().tell(Room.Stop.INSTANCE);
  }

  private Behavior<Command> onGetHistory(GetHistory request) {
    RoomEntry room = rooms.get(request.room());
    if (room == null) {
      request.replyTo().tell(Optional.empty());
    } else {
      room.ref().tell(new Room.GetHistory(request.since(), request.replyTo()));
    }
    return this;
  }

  private Behavior<Command> onDisconnected(Disconnected disconnected) {
    SessionDirectory.Entry entry = sessions.get(disconnected.id());
    if (entry != null) {
      entry.ref().tell(Session.TransportClosed.INSTANCE);
    }
    return this;
  }

  private Behavior<Command> onLeave(Leave leave) {
    if (isCurrent(leave.id(), leave.session())) {
      remove(leave.id(), leave.reason());
    }
    return this;
  }

  private Behavior<Command> onSessionStopped(SessionStopped stopped) {
    // Normally the session said Leave before stopping; this covers a session that failed.
    if (isCurrent(stopped.id(), stopped.session())) {
      remove(stopped.id(), LeaveReason.ERROR);
    }
    return this;
  }

  /** Whether {@code session} is the actor the directory holds for {@code id}. */
  private boolean isCurrent(SessionId id, ActorRef<Session.Command> session) {
    SessionDirectory.Entry entry = sessions.get(id);
    return entry != null && entry.ref().equals(session);
  }

  private void remove(SessionId id, LeaveReason reason) {
    SessionDirectory.Entry entry = sessions.remove(id);
    if (entry == null) {
      return;
    }
    if (detached.remove(id) != null) {
      timers.cancel(new Grace(id));
    }
    metrics.sessionRemoved();
    RoomEntry room = rooms.get(entry.room());
    room.members().remove(id);
    room.ref().tell(new Room.Leave(id, reason));
    // With a history the room outlives its last member, so that a member who reconnects finds what
    // it missed; it says when it is idle (RoomIdle).
    if (room.members().isEmpty()) {
      metrics.roomRemoved(); // the gauge counts rooms with members
      if (settings.history().on()) {
        kept.add(entry.room());
        if (kept.size() > settings.history().maxKeptRooms()) {
          RoomId eldest = kept.iterator().next();
          getContext().getLog().debug("Room {} ends: too many rooms kept", eldest);
          endRoom(eldest);
        }
      } else {
        endRoom(entry.room());
      }
    }
    getContext().getLog().debug("Session {} left room {}: {}", id, entry.room(), reason);
    if (sessions.isEmpty() && !awaitingEmpty.isEmpty()) {
      awaitingEmpty.forEach(replyTo -> replyTo.tell(Done.getInstance()));
      awaitingEmpty.clear();
    }
  }

  private Behavior<Command> onWhisper(Whisper whisper) {
    SessionDirectory.Entry sender = sessions.get(whisper.from());
    if (sender == null) {
      return this; // the sender left meanwhile: nobody to answer
    }
    Optional<SessionId> targetId = SessionId.parse(whisper.to());
    if (targetId.isEmpty()) {
      metrics.whisper("no_session");
      answerWhisper(whisper.from(), whisper.session(), whisper.ref(), false, whisper.to(), null);
    } else if (sessions.whisper(whisper.from(), targetId.get(), sender.room(), whisper.msg())) {
      metrics.whisper("delivered");
      // it joined here meanwhile
      answerWhisper(whisper.from(), whisper.session(), whisper.ref(), true, whisper.to(), null);
    } else {
      metrics.whisper("remote");
      // Perhaps on another node. The answer carries the search, so that searches under way at the
      // same time cannot be confused; the sender hears when it has ended, so that one client has
      // no more searches under way than its inbound window.
      whispers.find(
          new WhisperSearch(
              whisper.from(),
              targetId.get(),
              whisper.to(),
              sender.room(),
              whisper.msg(),
              whisper.session(),
              whisper.ref()));
    }
    return this;
  }

  private Behavior<Command> onDeliverWhisper(DeliverWhisper whisper) {
    whisper
        .replyTo()
        .tell(sessions.whisper(whisper.from(), whisper.to(), whisper.room(), whisper.msg()));
    return this;
  }

  private Behavior<Command> onWhisperSearched(WhisperSearched searched) {
    WhisperSearch search = searched.search();
    // The session that asked, not one that resumed it since: its window is its own.
    answerWhisper(
        search.from(), search.session(), search.ref(), searched.found(), search.target(), null);
    return this;
  }

  /**
   * Answers a whisper that the Lobby handled: {@code no_session} (or {@code no_user} when {@code
   * user} is given) to the sender's client when nobody got it, and {@link Session.Processed#LOBBY}
   * to the session actor that asked; with a client reference, both as one {@link
   * Session.Answered}, which that session actor remembers and sends on.
   */
  private void answerWhisper(
      SessionId from,
      ActorRef<Session.Command> session,
      String ref,
      boolean delivered,
      String target,
      String user) {
    if (ref == null) {
      if (!delivered) {
        tell(from, user != null ? new ClientEvent.NoUser(user) : new ClientEvent.NoSession(target));
      }
      session.tell(Session.Processed.LOBBY);
      return;
    }
    ClientEvent answer =
        delivered
            ? new ClientEvent.Ack(ref, null)
            : user != null ? new ClientEvent.NoUser(user, ref) : new ClientEvent.NoSession(target, ref);
    session.tell(new Session.Answered(Session.Processed.LOBBY, ref, answer));
  }

  private Behavior<Command> onWhisperUser(WhisperUser whisper) {
    SessionDirectory.Entry sender = sessions.get(whisper.from());
    if (sender == null) {
      return this; // the sender left meanwhile: nobody to answer
    }
    UserWhisper search =
        new UserWhisper(
            whisper.from(),
            whisper.user(),
            sender.room(),
            whisper.msg(),
            whisper.local(),
            whisper.session(),
            whisper.ref());
    if (!whispers.findUser(search)) {
      onUserWhispered(new UserWhispered(search, 0));
    }
    return this;
  }

  private Behavior<Command> onUserWhispered(UserWhispered done) {
    UserWhisper whisper = done.whisper();
    boolean delivered = whisper.local() + done.delivered() > 0;
    metrics.whisper(delivered ? "delivered" : "no_session");
    answerWhisper(
        whisper.from(), whisper.session(), whisper.ref(), delivered, null, whisper.user());
    return this;
  }

  private Behavior<Command> onDeliverUserWhisper(DeliverUserWhisper whisper) {
    whisper
        .replyTo()
        .tell(sessions.whisperUser(whisper.from(), whisper.user(), whisper.room(), whisper.msg()));
    return this;
  }

  /** Tells one session of this node an event, in its mode. */
  private void tell(SessionId senderId, ClientEvent event) {
    SessionDirectory.Entry sender = sessions.get(senderId);
    if (sender != null) {
      Frame frame = Frame.render(event, codecs.of(sender.mode()));
      if (Session.offer(sender.transport(), sender.ref(), frame)) {
        metrics.delivered(1, frame.utf8().length());
      }
    }
  }

  private Behavior<Command> onPublish(Publish publish) {
    RoomEntry room = rooms.get(publish.room());
    if (room == null) {
      publish.replyTo().tell(new Published(publish.room(), 0));
    } else {
      room.ref().tell(new Room.Publish(settings.serverId(), publish.msg(), publish.replyTo()));
    }
    return this;
  }

  private Behavior<Command> onGetRoom(GetRoom request) {
    RoomEntry room = rooms.get(request.room());
    if (room == null) {
      request.replyTo().tell(Optional.empty());
      return this;
    }
    Map<SessionId, String> users = new java.util.LinkedHashMap<>();
    for (SessionId id : room.members()) {
      SessionDirectory.Entry entry = sessions.get(id);
      if (entry != null && entry.user() != null) {
        users.put(id, entry.user());
      }
    }
    request
        .replyTo()
        .tell(Optional.of(new RoomView(request.room(), new ArrayList<>(room.members()), users)));
    return this;
  }

  private Behavior<Command> onListRooms(ListRooms request) {
    Map<String, RoomSummary> sorted = new TreeMap<>();
    rooms.forEach(
        (id, room) -> {
          if (!room.members().isEmpty()) { // rooms kept for their history are not listed
            sorted.put(id.value(), new RoomSummary(id, room.members().size()));
          }
        });
    request.replyTo().tell(new RoomList(new ArrayList<>(sorted.values())));
    return this;
  }

  private Behavior<Command> onGetStats(GetStats request) {
    request
        .replyTo()
        .tell(
            new Stats(
                sessions.size(),
                rooms.size() - kept.size(),
                getContext().getChildren().size(),
                kept.size()));
    return this;
  }

  private Behavior<Command> onCloseAll(CloseAll request) {
    closing = request;
    // Nobody resumes a session while the server stops: those waiting for their clients leave now.
    for (SessionId waiting : List.copyOf(detached.keySet())) {
      endDetached(waiting, detached.get(waiting), LeaveReason.CLOSED);
    }
    if (sessions.isEmpty()) {
      request.replyTo().tell(Done.getInstance());
      return this;
    }
    awaitingEmpty.add(request.replyTo());
    getContext().getLog().info("Closing {} sessions with {}", sessions.size(), request.code());
    sessions.values().forEach(s -> s.ref().tell(new Session.Close(request.code(), request.reason())));
    return this;
  }
}
