package io.github.lobby.http.internal.lean;

import io.github.lobby.core.auth.AuthResult;
import org.apache.pekko.io.Tcp;

/**
 * The messages of a {@link LeanConnection}'s own making, besides Pekko IO's events and the
 * WebSocket's {@link io.github.lobby.http.internal.ws.WsSignal}s: its timers, its listener's stop,
 * the plain-HTTP bridge's stream protocol, the authenticator's decision and write acknowledgements.
 * The data-less ones are enum constants, compared by identity.
 */
sealed interface LeanSignal {

  /** A timer of the connection fired ({@link ConnectionTimer}: one at a time). */
  enum Timeout implements LeanSignal {
    /**
     * The first request's head may not have arrived within {@code request-head-timeout} (or the
     * authenticator did not decide): look.
     */
    HEAD,
    /**
     * A plain HTTP connection may have passed its head deadline, or been idle for Pekko HTTP's
     * {@code idle-timeout}: look.
     */
    IDLE_CHECK,
    /** The client did not answer our Close within {@code close-timeout}. */
    CLOSE,
    /** Our side is done, and the client did not end the connection within {@code close-timeout}. */
    FINISH
  }

  /** The server stops (from the listener): plain HTTP connections finish and close. */
  enum Terminate implements LeanSignal {
    INSTANCE
  }

  /** The stream protocol between the connection and its plain-HTTP bridge ({@link HttpBridge}). */
  enum Bridge implements LeanSignal {
    /** The bridge's source took the bytes it was given: it takes more. */
    SOURCE_ACK,
    /** To the bridge's source: the client sent everything; complete once drained. */
    SOURCE_DONE,
    /** The bridge's sink starts. */
    SINK_INIT,
    /** To the bridge's sink: the bytes it gave were written; give more. */
    SINK_ACK,
    /** Pekko HTTP is done with the connection: it closes. */
    SINK_DONE
  }

  /** Pekko HTTP's side of the bridge failed: the connection closes. */
  record SinkFailed(Throwable cause) implements LeanSignal {}

  /** The authenticator decided on an upgrade ({@link UpgradeGate}). */
  record AuthDecided(UpgradeHead.Upgrade upgrade, AuthResult result) implements LeanSignal {}

  /**
   * A write is done: Pekko IO acknowledges each write with a {@link Tcp.Event} of the writer's
   * choosing, this one for every write of the connection.
   */
  enum WriteAck implements Tcp.Event, LeanSignal {
    INSTANCE
  }
}
