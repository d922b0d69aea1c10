package io.github.lobby.core.internal;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Session;
import io.github.lobby.core.auth.AuthResult;

/**
 * What a session actor hears besides its transport's {@link Session.Command}s: from its room and
 * the Lobby, and from itself (timers, adapted answers). A session actor's mailbox takes both
 * protocols; each is sealed in its own package, and the actor's references are narrowed to one of
 * them for each caller.
 */
sealed interface SessionControl {

  /**
   * The room ({@code ROOM}) or the Lobby ({@code LOBBY}) has finished the work of one of this
   * session's requests, in the order it received them: the client message may be acknowledged.
   */
  enum Processed implements SessionControl {
    ROOM,
    LOBBY
  }

  /**
   * The room ({@code by} {@code ROOM}) or the Lobby ({@code LOBBY}) has finished a request whose
   * client message carried a {@code ref}, like {@link Processed}, with the answer for the client:
   * an {@link ClientEvent.Ack} or an error carrying the ref.
   */
  record Answered(Processed by, String ref, ClientEvent answer) implements SessionControl {}

  /**
   * A heartbeat from the session's room, every {@code heartbeat-interval}. {@code PARTIAL}: the
   * session joined during this interval, which does not count as silence.
   */
  enum Heartbeat implements SessionControl {
    FULL,
    PARTIAL
  }

  /** The transport's outbound queue overflowed; sent by whoever offered the frame. */
  enum SlowConsumer implements SessionControl {
    INSTANCE
  }

  /**
   * The session's client resumed it on a new connection, served by a new session actor: this one
   * stops without leaving, closing its connection with 4002 if it still holds it. Sent by the
   * Lobby.
   */
  enum Superseded implements SessionControl {
    INSTANCE
  }

  /** Closes the connection with a close code; the Lobby sends this at shutdown. */
  record Close(int code, String reason) implements SessionControl {}

  // ---- The session's own ----

  /** The room has handled everything this session sent before a {@link Session.ClientFailed}. */
  record FailAfterSync(int code, String reason) implements SessionControl {}

  /**
   * The session's credential expires (or, for a far expiry, a day passed).
   *
   * @param generation the {@link Credential} expiry it was scheduled under: a timer that a refresh
   *     replaced may still have queued this, and is then ignored
   */
  record Expired(int generation) implements SessionControl {}

  /**
   * The authenticator decided on a client's refresh.
   *
   * @param result its decision, or null when it failed or took too long
   * @param failure the class of the exception it failed with, or null
   * @param due when the client message may be acknowledged
   * @param sequence the refresh's number, so that an older decision never undoes a newer one
   */
  record Refreshed(AuthResult result, String failure, long due, int sequence)
      implements SessionControl {}

  /**
   * The answer to a {@code ref} that this session's client sent again while a predecessor of this
   * session actor (before a resume) was still working on it; sent by that predecessor.
   */
  record RefAnswered(ClientEvent answer) implements SessionControl {}

  /** A superseded session actor gave up waiting for the answers to its last refs. */
  enum DrainEnded implements SessionControl {
    INSTANCE
  }

  /** An acknowledgement held back by the rate limit is due. */
  enum AckDue implements SessionControl {
    INSTANCE
  }
}
