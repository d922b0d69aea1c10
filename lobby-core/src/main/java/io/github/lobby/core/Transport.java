package io.github.lobby.core;

import java.util.function.Consumer;
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

  /**
   * A transport without a socket: every text frame goes to {@code text} and is accepted, anything
   * else is dropped. For sessions that stand for clients in load tools and tests (as Pekko's
   * {@code ignoreRef} stands for an actor).
   *
   * @param text called with each text frame, on the offering thread (thread-safe, non-blocking)
   */
  static Transport textSink(Consumer<Frame> text) {
    return new Transport() {
      @Override
      public Offer sendText(Frame frame) {
        text.accept(frame);
        return Offer.ACCEPTED;
      }

      @Override
      public Offer sendBinary(ByteString data) {
        return Offer.ACCEPTED;
      }

      @Override
      public void ping() {}

      @Override
      public void close(int code, String reason) {}

      @Override
      public void acknowledge() {}
    };
  }
}
