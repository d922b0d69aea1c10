package io.github.lobby.http.internal.ws;

import io.github.lobby.core.Session;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What reaches a connection's own thread from other threads: the {@link Outbox}'s calls from the
 * session and from rooms, and the Lobby's answer to the connection's {@code Connect}. Each path's
 * glue hands them to {@link WsConnection#onSignal} on its thread ({@link #WAKE} it handles
 * itself: it is about writing). The data-less ones are constants, so that the per-message signals
 * ({@link #ACK}, {@link #WAKE}) allocate nothing.
 */
public sealed interface WsSignal {

  /** Frames are waiting in the outbox; on the lean path, the write token comes with it. */
  WsSignal WAKE = Plain.WAKE;

  /** The session asks for a Ping. */
  WsSignal PING = Plain.PING;

  /** The session has handled one client message. */
  WsSignal ACK = Plain.ACK;

  /** The signals that carry nothing. */
  enum Plain implements WsSignal {
    WAKE,
    PING,
    ACK
  }

  /**
   * The session closes the connection.
   *
   * @param dropQueued whether frames still queued are dropped (a client that does not read)
   */
  record CloseRequest(int code, String reason, boolean dropQueued) implements WsSignal {}

  /** The Lobby answered the connection with its session. */
  record SessionReady(ActorRef<Session.Command> session) implements WsSignal {}

  /** The Lobby did not answer the connection in time. */
  record ConnectFailed(Throwable error) implements WsSignal {}
}
