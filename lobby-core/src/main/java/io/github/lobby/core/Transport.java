package io.github.lobby.core;

import org.apache.pekko.util.ByteString;

/**
 * The outbound port of one session: what the network layer offers the actors. The HTTP module
 * implements it over a WebSocket connection; tests implement it with probes.
 *
 * <p>All methods are thread-safe and never block: rooms on any thread offer frames straight into
 * the connection's bounded queue.
 */
public interface Transport {

  /** The outcome of offering a frame. */
  enum Offer {
    /** Queued for sending. */
    ACCEPTED,
    /** The bounded outbound queue is full: the client does not read fast enough. */
    FULL,
    /** The connection is closing or closed; the frame was dropped. */
    CLOSED
  }

  /** Queues a text frame. */
  Offer sendText(Frame frame);

  /** Queues a binary frame. */
  Offer sendBinary(ByteString data);

  /** Sends a WebSocket Ping; the client is expected to answer with a Pong. */
  void ping();

  /**
   * Closes the connection with a WebSocket close code and reason. Frames already accepted go out
   * before the Close frame; nothing is accepted or sent after it.
   */
  void close(int code, String reason);

  /**
   * Closes the connection at once, dropping the frames not yet sent: for a client that does not
   * read. By default the same as {@link #close}.
   */
  default void closeNow(int code, String reason) {
    close(code, reason);
  }

  /**
   * Tells the transport that one client message handed to the session has been processed, so it
   * may read more (inbound flow control).
   */
  void acknowledge();
}
