package io.github.lobby.core;

import io.github.lobby.core.auth.Authenticated;
import io.github.lobby.core.internal.LobbyActor;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;

/**
 * The directory of sessions and rooms, one per server: its protocol, by caller, and the factory of
 * its behavior.
 *
 * <p>The Lobby spawns one {@link Session} per connection and one room actor per room with members,
 * and watches every session, so a session always leaves its room, whether it stops cleanly or
 * fails. Broadcasts do not pass through it: a session sends them straight to its room, which
 * renders each event once and fans it out, so rooms use every core; nor do whispers between
 * sessions of one node, which go from their sender to their target's queue. The Lobby decides every
 * join and leave, answers the admin requests, and carries whispers to and from other nodes.
 *
 * <p>With {@code lobby.resumption.grace}, a JSON-mode session whose connection was lost stays in
 * its room, detached, for the grace: the Lobby decides whether its client resumes it (a {@link
 * Connect} with a {@link Resume}) or the grace ends first (it leaves, reason {@code timeout}), as
 * it decides every join, so the two can never both happen. A resumed session keeps its id and place
 * in its room and gets a new session actor; its room tells the others nothing.
 *
 * <p>Unknown rooms and sessions are ordinary cases: a whisper to nobody is answered to its sender,
 * a publish to an empty room reports zero deliveries, a lookup of an unknown room is empty.
 */
public final class Lobby {

  private Lobby() {}

  /**
   * Messages the Lobby understands from outside, by caller. Whoever spawns the Lobby holds this
   * reference and hands each caller a narrower one ({@link ActorRef#narrow()}): {@link
   * AdminCommand} to the application and the admin API, {@link ConnectionCommand} to the network
   * layer, {@link PeerCommand} to a {@link Federation}. (Its own sessions and rooms have a protocol
   * of their own, which nobody else can send.)
   */
  public sealed interface Command {}

  /**
   * What an application embedding the Lobby may send, as the admin API does: publish to a room,
   * look rooms up and read the counts. {@code LobbyServer.lobby()} hands out a reference of this
   * type.
   */
  public sealed interface AdminCommand extends Command {}

  /**
   * What the network layer sends: a connection arriving or ending, and the closing of every session
   * when the server stops.
   */
  public sealed interface ConnectionCommand extends Command {}

  /** What a {@link Federation} sends on behalf of other nodes. */
  public sealed interface PeerCommand extends Command {}

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
   * @throws IllegalArgumentException when rooms keep a history ({@code lobby.history}) and the
   *     federation does not sequence it ({@link Federation#sequencesHistory()})
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
    return LobbyActor.create(settings, codecs, federation, metrics).narrow();
  }

  // ---- What an application and the admin API send, and the answers they get ----

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
  public record HistoryView(RoomId room, String epoch, long offset, List<KeptMessage> kept) {
    /** Copies the list. */
    public HistoryView {
      kept = List.copyOf(kept);
    }
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

  // ---- What the network layer sends ----

  /**
   * A new connection: spawn its session and join it to a room. The reply is the session actor, to
   * which the transport delivers the client's frames.
   *
   * @param id the new session's id; not used when the connection resumes a session, which keeps its
   *     own
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

  /**
   * Closes every session with a close code (1001 at shutdown) and refuses new ones; replies once no
   * session is left.
   */
  public record CloseAll(int code, String reason, ActorRef<Done> replyTo)
      implements ConnectionCommand {}

  /**
   * A connection ended before it learnt its session from the {@link Connect} reply: the Lobby tells
   * the session, as its transport would have. Sent after the {@code Connect}, by the same sender,
   * so the session exists by then (or was never made).
   */
  public record Disconnected(SessionId id) implements ConnectionCommand {}

  // ---- What a federation sends, and the whispers it carries ----

  /**
   * A whisper for a session that may be on this node; the reply says whether it was delivered. Sent
   * by a {@link Federation} for whispers from other nodes.
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
   * @param session the session actor that asks, told when the search has ended: the Lobby's to
   *     answer, which a federation hands back unchanged (and cannot send to)
   * @param ref the client's reference for its answer, or null; stays on this node
   */
  public record WhisperSearch(
      SessionId from,
      SessionId to,
      String target,
      RoomId room,
      Payload msg,
      ActorRef<?> session,
      String ref) {
    /** A search for a whisper without a client reference. */
    public WhisperSearch(
        SessionId from,
        SessionId to,
        String target,
        RoomId room,
        Payload msg,
        ActorRef<?> session) {
      this(from, to, target, room, msg, session, null);
    }
  }

  /** How a {@link WhisperSearch} ended; the {@link Federation} tells the Lobby. */
  public record WhisperSearched(WhisperSearch search, boolean found) implements PeerCommand {}

  /**
   * A whisper to every session of a user, for the {@link Federation} to deliver on the other nodes.
   *
   * @param local how many of the user's sessions on this node got it
   * @param session the session actor that asks, told when the whisper is done: the Lobby's to
   *     answer, which a federation hands back unchanged (and cannot send to)
   * @param ref the client's reference for its answer, or null; stays on this node
   */
  public record UserWhisper(
      SessionId from,
      String user,
      RoomId room,
      Payload msg,
      int local,
      ActorRef<?> session,
      String ref) {
    /** A whisper to a user without a client reference. */
    public UserWhisper(
        SessionId from, String user, RoomId room, Payload msg, int local, ActorRef<?> session) {
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
}
