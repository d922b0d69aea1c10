package io.github.lobby.core.internal;

import io.github.lobby.core.LeaveReason;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.Payload;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What the Lobby's own sessions and rooms tell it, and what it tells itself; its outside callers
 * send {@link Lobby.Command}s. The Lobby actor's mailbox takes both protocols.
 */
sealed interface LobbyControl {

  /**
   * A session leaves its room; sent by the session itself just before it stops. Ignored when the
   * directory holds another actor for that id by then (its client resumed it meanwhile).
   */
  record Leave(SessionId id, LeaveReason reason, ActorRef<SessionControl> session)
      implements LobbyControl {}

  /**
   * A session lost its connection and waits for its client to resume it ({@code lobby.resumption});
   * sent by the session, which from then on only waits for the Lobby to end it.
   */
  record Detached(SessionId id, ActorRef<SessionControl> session) implements LobbyControl {}

  /**
   * A session whispers to a session that is not on this node: the Lobby looks for it on the other
   * nodes, answers {@code no_session} if none has it, and tells the sender {@link
   * SessionControl.Processed#LOBBY} once the search has ended.
   *
   * @param ref the client's reference, or null: with one, the session is told {@link
   *     SessionControl.Answered} with the answer instead
   */
  record Whisper(
      SessionId from, String to, Payload msg, ActorRef<SessionControl> session, String ref)
      implements LobbyControl {
    /** A whisper without a client reference. */
    Whisper(SessionId from, String to, Payload msg, ActorRef<SessionControl> session) {
      this(from, to, msg, session, null);
    }
  }

  /**
   * A session whispers to a user while rooms span nodes: the Lobby has the federation deliver it to
   * the user's sessions on the other nodes, answers {@code no_user} if none of them nor the {@code
   * local} sessions got it, and tells the sender {@link SessionControl.Processed#LOBBY} once done.
   *
   * @param local how many of the user's sessions on this node the sender already reached
   * @param session the session actor that asks, to be told when done (not a successor of it)
   * @param ref the client's reference, or null: with one, the session is told {@link
   *     SessionControl.Answered} with the answer instead
   */
  record WhisperUser(
      SessionId from,
      String user,
      Payload msg,
      int local,
      ActorRef<SessionControl> session,
      String ref)
      implements LobbyControl {}

  /**
   * A room with a history has had no member and kept nothing for its {@code ttl}: it may end,
   * unless somebody joined meanwhile (the Lobby decides, as it decides every join).
   */
  record RoomIdle(RoomId room, ActorRef<Room.Command> ref) implements LobbyControl {}

  // ---- The Lobby's own ----

  /** A watched session actor stopped (normally after its {@link Leave}). */
  record SessionStopped(SessionId id, ActorRef<SessionControl> session) implements LobbyControl {}

  /** The grace of a detached session ended. */
  record GraceEnded(SessionId id, ActorRef<SessionControl> session) implements LobbyControl {}
}
