package io.github.lobby.core.internal;

import io.github.lobby.core.Codecs;
import io.github.lobby.core.Federation;
import io.github.lobby.core.LeaveReason;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Mode;
import io.github.lobby.core.Resume;
import io.github.lobby.core.ResumeKey;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.Session;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.auth.Authenticated;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
 * The actor behind {@link Lobby}: one per server, it decides every join and leave.
 *
 * <p>Its mailbox takes the {@link Lobby.Command}s of its callers and the {@link LobbyControl} of
 * its own sessions and rooms. The work is in plain classes: the {@link SessionDirectory} (sessions
 * by id, which this actor alone writes and every session reads, so that whispers on this node do
 * not pass through here), the {@link RoomDirectory} (rooms and their members), the {@link
 * WhisperRouter} (whispers to and from other nodes) and the {@link Resumption} of detached
 * sessions. It spawns one session actor per connection and one room actor per room, and watches
 * every session, so a session always leaves its room, whether it stops cleanly or fails.
 *
 * <p>Public only for {@link Lobby#create}.
 */
public final class LobbyActor extends AbstractBehavior<Object> {

  /** The key of a detached session's grace timer. */
  private record Grace(SessionId id) {}

  private final LobbySettings settings;
  private final Codecs codecs;
  private final Federation federation;
  private final LobbyMetrics metrics;
  private final TimerScheduler<Object> timers;
  private final SessionDirectory directory;
  private final Sessions sessions;
  private final RoomDirectory rooms;
  private final WhisperRouter whispers;
  private final Resumption resumption;
  private final List<ActorRef<Done>> awaitingEmpty = new ArrayList<>();
  private Lobby.CloseAll closing;
  private long roomSeq;

  /**
   * The Lobby's behavior; its mailbox takes {@link Lobby.Command}s and its own sessions' and rooms'
   * {@link LobbyControl}.
   *
   * @throws IllegalArgumentException when rooms keep a history and the federation does not sequence
   *     it
   */
  public static Behavior<Object> create(
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
                timers -> new LobbyActor(context, timers, settings, codecs, federation, metrics)));
  }

  private LobbyActor(
      ActorContext<Object> context,
      TimerScheduler<Object> timers,
      LobbySettings settings,
      Codecs codecs,
      Federation federation,
      LobbyMetrics metrics) {
    super(context);
    this.settings = settings;
    this.codecs = codecs;
    this.federation = federation;
    this.metrics = metrics;
    this.timers = timers;
    this.directory = new SessionDirectory(codecs, metrics);
    ActorRef<LobbyControl> self = context.getSelf().narrow();
    boolean federated = federation != Federation.NONE;
    this.sessions = new Sessions(settings, codecs, directory, federated, self, metrics);
    this.rooms = new RoomDirectory(this::startRoom, settings.history(), metrics, context.getLog());
    Federation.Whispers found = federation.whispers(context.getSelf().narrow(), context, settings);
    this.whispers = new WhisperRouter(directory, found, metrics);
    this.resumption = new Resumption(settings.resumption());
  }

  @Override
  public Receive<Object> createReceive() {
    return newReceiveBuilder()
        // The network layer
        .onMessage(Lobby.Connect.class, this::onConnect)
        .onMessage(Lobby.Disconnected.class, this::onDisconnected)
        .onMessage(Lobby.CloseAll.class, this::onCloseAll)
        // The application and the admin API
        .onMessage(Lobby.Publish.class, this::onPublish)
        .onMessage(Lobby.GetRoom.class, this::onGetRoom)
        .onMessage(Lobby.GetHistory.class, this::onGetHistory)
        .onMessage(Lobby.ListRooms.class, this::onListRooms)
        .onMessage(Lobby.GetStats.class, this::onGetStats)
        // Other nodes, through the federation
        .onMessage(Lobby.DeliverWhisper.class, this::onDeliverWhisper)
        .onMessage(Lobby.WhisperSearched.class, this::onWhisperSearched)
        .onMessage(Lobby.UserWhispered.class, this::onUserWhispered)
        .onMessage(Lobby.DeliverUserWhisper.class, this::onDeliverUserWhisper)
        // Its sessions and rooms, and itself
        .onMessage(LobbyControl.Leave.class, this::onLeave)
        .onMessage(LobbyControl.Detached.class, this::onDetached)
        .onMessage(LobbyControl.Whisper.class, this::onWhisper)
        .onMessage(LobbyControl.WhisperUser.class, this::onWhisperUser)
        .onMessage(LobbyControl.RoomIdle.class, this::onRoomIdle)
        .onMessage(LobbyControl.SessionStopped.class, this::onSessionStopped)
        .onMessage(LobbyControl.GraceEnded.class, this::onGraceEnded)
        .build();
  }

  // ---- Joins and leaves ----

  private Behavior<Object> onConnect(Lobby.Connect connect) {
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
    RoomDirectory.Entry room = rooms.join(connect.room(), id);
    ResumeKey key = resumption.newKey(connect.mode());
    SentRefs refs = resumption.newRefs(key);
    ActorRef<Object> session = spawnSession(id, connect, room.ref(), refs);
    String user = userOf(connect);
    directory.put(
        id,
        new SessionDirectory.Entry(
            session.narrow(),
            connect.room(),
            connect.mode(),
            connect.transport(),
            user,
            key,
            refs,
            null)); // not resumed yet
    metrics.sessionAdded();
    // The room hears of the join before the session can send anything to it.
    room.ref()
        .tell(
            new Room.Join(
                id,
                connect.mode(),
                connect.transport(),
                session.narrow(),
                user,
                connect.recovery().orElse(null),
                key,
                resumed));
    connect.replyTo().tell(session.narrow());
    getContext().getLog().debug("Session {} joined room {}", id, connect.room());
    if (closing != null) {
      session.tell(new SessionControl.Close(closing.code(), closing.reason()));
    }
    return this;
  }

  /**
   * Resumes the session a client asks for, when it can ({@link Resumption#matches}). The session
   * keeps its id and place; a new session actor serves the new connection, with its new credential,
   * and its predecessor stops without leaving (closing its connection with 4002 if it still held
   * it). Only the resumed client is told, with a new key.
   *
   * @return whether it was resumed
   */
  private boolean resume(Lobby.Connect connect, Resume asked) {
    SessionId id = asked.id();
    SessionDirectory.Entry entry = directory.get(id);
    String user = userOf(connect);
    if (closing != null || !Resumption.matches(entry, connect, asked, user)) {
      getContext().getLog().debug("Session {} not resumed: a new session instead", id);
      return false;
    }
    if (resumption.forget(id)) {
      timers.cancel(new Grace(id));
    }
    getContext().unwatch(entry.ref());
    entry.ref().tell(SessionControl.Superseded.INSTANCE);
    ActorRef<Room.Command> room = rooms.get(entry.room()).ref();
    ActorRef<Object> session = spawnSession(id, connect, room, entry.refs());
    ResumeKey key = resumption.newKey(Mode.JSON);
    directory.put(
        id,
        new SessionDirectory.Entry(
            session.narrow(),
            entry.room(),
            Mode.JSON,
            connect.transport(),
            user,
            key,
            entry.refs(),
            asked.key()));
    room.tell(
        new Room.Reattach(
            id, connect.transport(), session.narrow(), key, connect.recovery().orElse(null)));
    connect.replyTo().tell(session.narrow());
    getContext().getLog().debug("Session {} resumed in room {}", id, entry.room());
    return true;
  }

  /** Spawns and watches the session actor of a connection. */
  private ActorRef<Object> spawnSession(
      SessionId id, Lobby.Connect connect, ActorRef<Room.Command> room, SentRefs refs) {
    // Anonymous: a named child costs a name string and longer name comparisons in the children's
    // tree on every spawn; the session id is in every log line instead.
    ActorRef<Object> session =
        getContext()
            .spawnAnonymous(
                sessions.create(
                    id,
                    connect.room(),
                    connect.transport(),
                    connect.auth(),
                    room,
                    connect.mode(),
                    refs));
    getContext().watchWith(session, new LobbyControl.SessionStopped(id, session.narrow()));
    return session;
  }

  private static String userOf(Lobby.Connect connect) {
    return connect.auth().map(Authenticated::user).orElse(null);
  }

  private ActorRef<Room.Command> startRoom(RoomId room) {
    return getContext()
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
                        getContext().getSelf().narrow()))
                .onFailure(SupervisorStrategy.resume()),
            "room-" + room.value() + "-" + (++roomSeq));
  }

  private Behavior<Object> onDisconnected(Lobby.Disconnected disconnected) {
    SessionDirectory.Entry entry = directory.get(disconnected.id());
    if (entry != null) {
      // As its transport would have: the session actor takes both protocols.
      entry.ref().<Session.Command>unsafeUpcast().tell(Session.TransportClosed.INSTANCE);
    }
    return this;
  }

  private Behavior<Object> onLeave(LobbyControl.Leave leave) {
    if (isCurrent(leave.id(), leave.session())) {
      remove(leave.id(), leave.reason());
    }
    return this;
  }

  private Behavior<Object> onSessionStopped(LobbyControl.SessionStopped stopped) {
    // Normally the session said Leave before stopping; this covers a session that failed.
    if (isCurrent(stopped.id(), stopped.session())) {
      remove(stopped.id(), LeaveReason.ERROR);
    }
    return this;
  }

  /** Whether {@code session} is the actor the directory holds for {@code id}. */
  private boolean isCurrent(SessionId id, ActorRef<SessionControl> session) {
    SessionDirectory.Entry entry = directory.get(id);
    return entry != null && entry.ref().equals(session);
  }

  private void remove(SessionId id, LeaveReason reason) {
    SessionDirectory.Entry entry = directory.remove(id);
    if (entry == null) {
      return;
    }
    if (resumption.forget(id)) {
      timers.cancel(new Grace(id));
    }
    metrics.sessionRemoved();
    rooms.leave(entry.room(), id, reason);
    getContext().getLog().debug("Session {} left room {}: {}", id, entry.room(), reason);
    if (directory.isEmpty() && !awaitingEmpty.isEmpty()) {
      awaitingEmpty.forEach(replyTo -> replyTo.tell(Done.getInstance()));
      awaitingEmpty.clear();
    }
  }

  private Behavior<Object> onRoomIdle(LobbyControl.RoomIdle idle) {
    rooms.idle(idle.room(), idle.ref());
    return this;
  }

  // ---- Resumption ----

  private Behavior<Object> onDetached(LobbyControl.Detached detach) {
    if (!isCurrent(detach.id(), detach.session())) {
      return this; // resumed meanwhile: that actor was told to stop
    }
    if (closing != null) {
      endDetached(detach.id(), detach.session(), LeaveReason.CLOSED); // nobody resumes now
      return this;
    }
    SessionId eldest = resumption.detach(detach.id(), detach.session());
    timers.startSingleTimer(
        new Grace(detach.id()),
        new LobbyControl.GraceEnded(detach.id(), detach.session()),
        resumption.grace());
    if (eldest != null) {
      getContext().getLog().debug("Session {} leaves: too many sessions detached", eldest);
      endDetached(eldest, resumption.detached(eldest), LeaveReason.TIMEOUT);
    }
    return this;
  }

  private Behavior<Object> onGraceEnded(LobbyControl.GraceEnded ended) {
    if (ended.session().equals(resumption.detached(ended.id()))) {
      getContext().getLog().debug("Session {} was not resumed in time", ended.id());
      endDetached(ended.id(), ended.session(), LeaveReason.TIMEOUT);
    }
    return this;
  }

  /** Ends a detached session: its room is told it left, and its actor stops without a word. */
  private void endDetached(SessionId id, ActorRef<SessionControl> session, LeaveReason reason) {
    getContext().unwatch(session);
    getContext().stop(session);
    remove(id, reason);
  }

  // ---- Whispers ({@link WhisperRouter}) ----

  private Behavior<Object> onWhisper(LobbyControl.Whisper whisper) {
    whispers.whisper(whisper);
    return this;
  }

  private Behavior<Object> onWhisperSearched(Lobby.WhisperSearched searched) {
    whispers.searched(searched);
    return this;
  }

  private Behavior<Object> onDeliverWhisper(Lobby.DeliverWhisper whisper) {
    whispers.deliver(whisper);
    return this;
  }

  private Behavior<Object> onWhisperUser(LobbyControl.WhisperUser whisper) {
    whispers.whisperUser(whisper);
    return this;
  }

  private Behavior<Object> onUserWhispered(Lobby.UserWhispered done) {
    whispers.userWhispered(done);
    return this;
  }

  private Behavior<Object> onDeliverUserWhisper(Lobby.DeliverUserWhisper whisper) {
    whispers.deliverUser(whisper);
    return this;
  }

  // ---- The application and the admin API ----

  private Behavior<Object> onPublish(Lobby.Publish publish) {
    RoomDirectory.Entry room = rooms.get(publish.room());
    if (room == null) {
      publish.replyTo().tell(new Lobby.Published(publish.room(), 0));
    } else {
      room.ref().tell(new Room.Publish(settings.serverId(), publish.msg(), publish.replyTo()));
    }
    return this;
  }

  private Behavior<Object> onGetRoom(Lobby.GetRoom request) {
    request.replyTo().tell(rooms.view(request.room(), directory));
    return this;
  }

  private Behavior<Object> onGetHistory(Lobby.GetHistory request) {
    RoomDirectory.Entry room = rooms.get(request.room());
    if (room == null) {
      request.replyTo().tell(Optional.empty());
    } else {
      room.ref().tell(new Room.GetHistory(request.since(), request.replyTo()));
    }
    return this;
  }

  private Behavior<Object> onListRooms(Lobby.ListRooms request) {
    request.replyTo().tell(rooms.list());
    return this;
  }

  private Behavior<Object> onGetStats(Lobby.GetStats request) {
    int liveActors = getContext().getChildren().size();
    request
        .replyTo()
        .tell(new Lobby.Stats(directory.size(), rooms.withMembers(), liveActors, rooms.kept()));
    return this;
  }

  private Behavior<Object> onCloseAll(Lobby.CloseAll request) {
    closing = request;
    // Nobody resumes a session while the server stops: those waiting for their clients leave now.
    for (SessionId waiting : resumption.all()) {
      endDetached(waiting, resumption.detached(waiting), LeaveReason.CLOSED);
    }
    if (directory.isEmpty()) {
      request.replyTo().tell(Done.getInstance());
      return this;
    }
    awaitingEmpty.add(request.replyTo());
    getContext().getLog().info("Closing {} sessions with {}", directory.size(), request.code());
    SessionControl.Close close = new SessionControl.Close(request.code(), request.reason());
    directory.values().forEach(s -> s.ref().tell(close));
    return this;
  }
}
