package io.github.lobby.http.internal.deflate;

import java.util.Arrays;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Inflates the compressed messages of one connection (RFC 7692 section 7.2.2), never beyond {@code
 * max-message-bytes}: at most that many bytes plus one are inflated, into a buffer that grows with
 * what is inflated, so a message that would expand enormously (a zip bomb) costs at most that,
 * never its full expansion.
 *
 * <p>A client without context takeover ({@code client_no_context_takeover}) compresses each message
 * on its own: each is inflated with an inflater borrowed from the server's pool, so the connection
 * holds none. A client with context takeover refers back to its earlier messages: the connection
 * needs its own inflater, for as long as it lives. It is made on the first compressed message (a
 * client that never compresses costs nothing) and ended with the connection ({@link #release()}).
 */
public final class MessageInflater {

  /** The message would inflate to more than the maximum. */
  public static final class TooBigException extends Exception {
    TooBigException() {
      super("message too big", null, false, false);
    }
  }

  private static final byte[] TAIL = {0, 0, (byte) 0xff, (byte) 0xff};

  private final Compression compression;
  private final boolean contextTakeover;

  /** The client's context; null until its first compressed message, or without takeover. */
  private Inflater own;

  /**
   * @param compression the server's, for its pool
   * @param contextTakeover whether the client keeps its context between messages
   */
  public MessageInflater(Compression compression, boolean contextTakeover) {
    this.compression = compression;
    this.contextTakeover = contextTakeover;
  }

  /** Whether this connection holds an inflater now (for tests). */
  public boolean holdsInflater() {
    return own != null;
  }

  /**
   * Inflates one message.
   *
   * @param data the compressed payload, without the tail 00 00 ff ff
   * @param length how many bytes of {@code data} are the payload
   * @param max the most bytes the message may have inflated
   * @return the inflated bytes, {@code result.length} long
   * @throws TooBigException when it inflates to more than {@code max} bytes
   * @throws DataFormatException when it is not valid deflate data
   */
  public byte[] inflate(byte[] data, int length, int max)
      throws TooBigException, DataFormatException {
    Inflater inflater;
    if (contextTakeover) {
      if (own == null) {
        own = new Inflater(true);
      }
      inflater = own;
    } else {
      inflater = compression.borrowInflater();
    }
    boolean ok = false;
    try {
      Output out = new Output(Math.min(max + 1L, Math.max(256L, 4L * length)), max);
      inflater.setInput(data, 0, length);
      drain(inflater, out);
      if (!inflater.finished()) {
        inflater.setInput(TAIL);
        drain(inflater, out);
      }
      if (inflater.finished()) {
        // A final block (BFINAL) ends the client's stream: its next message starts a new one.
        inflater.reset();
      }
      ok = true;
      return Arrays.copyOf(out.bytes, out.length);
    } finally {
      if (!contextTakeover) {
        compression.returnInflater(inflater);
      } else if (!ok) {
        release(); // the connection ends with the error; its context goes now
      }
    }
  }

  /** Inflates until the input is used up or the stream ends. */
  private static void drain(Inflater inflater, Output out)
      throws TooBigException, DataFormatException {
    while (!inflater.needsInput() && !inflater.finished()) {
      if (out.length == out.bytes.length) {
        out.grow();
      }
      int n = inflater.inflate(out.bytes, out.length, out.bytes.length - out.length);
      out.length += n;
      if (out.length > out.max) {
        throw new TooBigException();
      }
      if (n == 0 && inflater.needsDictionary()) {
        throw new DataFormatException("a preset dictionary is not allowed");
      }
      if (n == 0
          && out.length < out.bytes.length
          && !inflater.needsInput()
          && !inflater.finished()) {
        throw new DataFormatException("inflation made no progress");
      }
    }
  }

  /** The inflated bytes so far, in a buffer of at most max + 1 bytes. */
  private static final class Output {
    final int max;
    byte[] bytes;
    int length;

    Output(long initial, int max) {
      this.max = max;
      this.bytes = new byte[(int) initial];
    }

    void grow() throws TooBigException {
      long limit = max + 1L;
      if (bytes.length >= limit) {
        throw new TooBigException();
      }
      bytes =
          Arrays.copyOf(
              bytes, (int) Math.min(Math.min(limit, 2L * bytes.length), Integer.MAX_VALUE - 8));
    }
  }

  /** Ends the connection's own inflater, if it has one: the connection has stopped. */
  public void release() {
    if (own != null) {
      own.end();
      own = null;
    }
  }
}
