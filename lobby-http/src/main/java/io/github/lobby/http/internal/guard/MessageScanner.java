package io.github.lobby.http.internal.guard;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;

/**
 * Follows one direction of an HTTP/1.1 connection byte by byte, as far as framing goes: where each
 * message's head ends and where its body ends (RFC 9112 section 6: {@code Content-Length} or
 * {@code chunked}), without keeping the head: only the few header values that decide the framing
 * are read, from the first {@value #CAPTURE} bytes of each line. What to do after a head (which
 * body, or stop following) is the caller's decision ({@link HeadWatch}), made from {@link
 * #status()}, {@link #contentLength()} and so on.
 *
 * <p>On the client's side ({@code strict}), a line of a head must end with CR LF: a bare CR or a
 * bare LF is {@link Event#BAD_LINE_END}. Pekko HTTP and many proxies take a bare LF as a line end
 * and some a bare CR as a character of a value, so a head with either may be read as different
 * headers by a proxy in front and by this server (request smuggling); the answer is 400. On the
 * server's side, whose heads Pekko HTTP writes, line ends are not checked.
 *
 * <p>Not thread-safe: one per direction of a connection.
 */
final class MessageScanner {

  /** What {@link #scan} stopped at. */
  enum Event {
    /** The bytes were all taken; nothing happened. */
    NONE,
    /** A head ended: the caller chooses what follows ({@link #body}, {@link #chunked}, ...). */
    HEAD_END,
    /** A body ended; the next head starts. */
    MESSAGE_END,
    /** A bare CR or LF in a head (client side only). */
    BAD_LINE_END,
    /** The head is longer than the most allowed. */
    TOO_LARGE,
    /** A chunked body this scanner cannot follow (Pekko HTTP refuses it): following stops. */
    UNTRACKABLE
  }

  /** How many bytes of each head line are read for the framing headers. */
  static final int CAPTURE = 96;

  private static final int HEAD = 0;
  private static final int LENGTH = 1;
  private static final int CHUNK_SIZE = 2;
  private static final int CHUNK_DATA = 3;
  private static final int CHUNK_DATA_END = 4;
  private static final int TRAILER = 5;
  /** Not following: after a head until the caller decides, or for good. */
  private static final int STOPPED = 6;

  private final boolean strict;
  private final int maxHead;
  private int state = HEAD;
  private Event event = Event.NONE;

  // The head being read.
  private int headBytes;
  private boolean cr;
  private int lineLength;
  private int lines;
  private final byte[] line = new byte[CAPTURE];

  // What the head said.
  private boolean headMethod;
  private int status = -1;
  private long contentLength = -1;
  private boolean framingBad;
  private boolean chunked;
  private boolean transferEncoding;
  private boolean upgrade;

  // The body.
  private long remaining;
  private long chunkSize;
  private int chunkDigits;
  private boolean chunkExtension;
  private int trailerLine;

  /**
   * @param strict whether a head's lines must end with CR LF (the client's side)
   * @param maxHead the most bytes a head may have
   */
  MessageScanner(boolean strict, int maxHead) {
    this.strict = strict;
    this.maxHead = maxHead;
  }

  /** What the last {@link #scan} stopped at. */
  Event event() {
    return event;
  }

  /**
   * Follows {@code data} from {@code from} until the end or an {@link #event()}; returns where it
   * stopped. Must not be called while {@link #stopped()}.
   */
  int scan(ByteString data, int from) {
    event = Event.NONE;
    int n = data.size();
    int i = from;
    while (i < n) {
      switch (state) {
        case HEAD -> {
          byte b = data.apply(i++);
          headBytes++;
          if (headBytes > maxHead) {
            event = Event.TOO_LARGE;
            state = STOPPED;
            return i;
          }
          if (headByte(b)) {
            return i;
          }
        }
        case LENGTH, CHUNK_DATA -> {
          int take = (int) Math.min(remaining, n - i);
          i += take;
          remaining -= take;
          if (remaining == 0) {
            if (state == CHUNK_DATA) {
              state = CHUNK_DATA_END;
            } else {
              state = HEAD;
              event = Event.MESSAGE_END;
              return i;
            }
          }
        }
        case CHUNK_SIZE, CHUNK_DATA_END, TRAILER -> {
          if (chunkByte(data.apply(i++))) {
            return i;
          }
        }
        default -> throw new IllegalStateException("not following");
      }
    }
    return i;
  }

  /** Whether the scanner is not following (after a head until the caller decides, or for good). */
  boolean stopped() {
    return state == STOPPED;
  }

  /** Whether a head has started and not ended: bytes of it were received. */
  boolean inHead() {
    return state == HEAD && headBytes > 0;
  }

  /** Whether the scanner is between messages: nothing of the next one has been seen. */
  boolean betweenMessages() {
    return state == HEAD && headBytes == 0;
  }

  /** The bytes of the head being read (leading empty lines included). */
  int headBytes() {
    return headBytes;
  }

  /** Whether the request's method was HEAD (client side). */
  boolean headMethod() {
    return headMethod;
  }

  /** The answer's status, or -1 (server side). */
  int status() {
    return status;
  }

  /** The {@code Content-Length}, or -1 without one. */
  long contentLength() {
    return contentLength;
  }

  /** Whether the body is {@code chunked} (the last transfer coding). */
  boolean chunkedBody() {
    return chunked;
  }

  /**
   * Whether the framing headers cannot be followed: a bad or repeated different {@code
   * Content-Length}, a transfer coding other than a final chunked, both headers together, or one
   * of them too long to read. Pekko HTTP refuses such a request with 400.
   */
  boolean framingBad() {
    return framingBad || (transferEncoding && (!chunked || contentLength >= 0));
  }

  /** Whether the head has an {@code Upgrade} header (client side). */
  boolean upgrade() {
    return upgrade;
  }

  /** After a head: a body of {@code length} bytes follows (0: none, the next head starts). */
  void body(long length) {
    resetHead();
    remaining = length;
    state = length > 0 ? LENGTH : HEAD;
  }

  /** After a head: a chunked body follows. */
  void chunked() {
    resetHead();
    startChunk();
    state = CHUNK_SIZE;
  }

  /** After a head, or while stopped: the next bytes are the start of a head. */
  void resume() {
    resetHead();
    state = HEAD;
  }

  /** Follows no more: what comes is not known to be HTTP/1.1 messages. */
  void stop() {
    state = STOPPED;
  }

  private boolean headByte(byte b) {
    if (b == '\r') {
      if (cr && strict) {
        return bad();
      }
      cr = true;
      return false;
    }
    if (b == '\n') {
      if (!cr && strict) {
        return bad();
      }
      cr = false;
      return endOfLine();
    }
    if (cr && strict) {
      return bad(); // a CR not followed by LF
    }
    cr = false;
    if (lineLength < CAPTURE) {
      line[lineLength] = b;
    }
    lineLength++;
    return false;
  }

  private boolean bad() {
    event = Event.BAD_LINE_END;
    state = STOPPED;
    return true;
  }

  private boolean endOfLine() {
    if (lineLength == 0) {
      if (lines == 0) {
        return false; // an empty line before a request line is skipped (RFC 9112 section 2.2)
      }
      state = STOPPED;
      event = Event.HEAD_END;
      return true;
    }
    if (lines == 0) {
      firstLine();
    } else {
      headerLine();
    }
    lines++;
    lineLength = 0;
    return false;
  }

  private void firstLine() {
    int length = Math.min(lineLength, CAPTURE);
    if (strict) {
      headMethod = length > 5 && startsWith("HEAD ", 0);
    } else if (length >= 12 && startsWith("HTTP/1.", 0) && line[8] == ' ') {
      int s = 0;
      for (int i = 9; i < 12; i++) {
        int d = line[i] - '0';
        if (d < 0 || d > 9) {
          return;
        }
        s = s * 10 + d;
      }
      status = s;
    }
  }

  private void headerLine() {
    int length = Math.min(lineLength, CAPTURE);
    int colon = -1;
    for (int i = 0; i < length; i++) {
      if (line[i] == ':') {
        colon = i;
        break;
      }
    }
    if (colon <= 0) {
      return; // not a framing header (their names fit in the capture); Pekko HTTP judges the rest
    }
    boolean whole = lineLength <= CAPTURE;
    if (named("content-length", colon)) {
      String value = value(colon, length);
      if (!whole || value.isEmpty() || value.length() > 18 || !digits(value)) {
        framingBad = true;
        return;
      }
      long v = Long.parseLong(value);
      if (contentLength >= 0 && contentLength != v) {
        framingBad = true;
      }
      contentLength = v;
    } else if (named("transfer-encoding", colon)) {
      if (!whole) {
        framingBad = true;
        return;
      }
      String value = value(colon, length);
      String last = value.substring(value.lastIndexOf(',') + 1).strip();
      transferEncoding = true;
      chunked = last.equalsIgnoreCase("chunked");
    } else if (strict && named("upgrade", colon)) {
      upgrade = true;
    }
  }

  private boolean startsWith(String s, int at) {
    for (int i = 0; i < s.length(); i++) {
      if (line[at + i] != s.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private boolean named(String name, int colon) {
    if (colon != name.length()) {
      return false;
    }
    for (int i = 0; i < colon; i++) {
      int c = line[i];
      if (c >= 'A' && c <= 'Z') {
        c += 'a' - 'A';
      }
      if (c != name.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private String value(int colon, int length) {
    return new String(line, colon + 1, length - colon - 1, StandardCharsets.ISO_8859_1).strip();
  }

  private static boolean digits(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  /** A byte of a chunk-size line, a chunk's CR LF or a trailer; line ends are read leniently. */
  private boolean chunkByte(byte b) {
    if (b == '\r') {
      return false;
    }
    switch (state) {
      case CHUNK_SIZE -> {
        if (b == '\n') {
          if (chunkDigits == 0) {
            return untrackable();
          }
          if (chunkSize == 0) {
            state = TRAILER;
            trailerLine = 0;
          } else {
            state = CHUNK_DATA;
            remaining = chunkSize;
          }
          startChunk();
        } else if (!chunkExtension) {
          int v = Character.digit(b, 16);
          if (v >= 0) {
            if (++chunkDigits > 15) {
              return untrackable();
            }
            chunkSize = chunkSize * 16 + v;
          } else if (b == ';' || b == ' ' || b == '\t') {
            chunkExtension = true;
          } else {
            return untrackable();
          }
        }
        return false;
      }
      case CHUNK_DATA_END -> {
        if (b != '\n') {
          return untrackable();
        }
        state = CHUNK_SIZE;
        return false;
      }
      default -> { // TRAILER
        if (b != '\n') {
          trailerLine++;
          return false;
        }
        if (trailerLine > 0) {
          trailerLine = 0;
          return false;
        }
        resetHead();
        state = HEAD;
        event = Event.MESSAGE_END;
        return true;
      }
    }
  }

  private boolean untrackable() {
    state = STOPPED;
    event = Event.UNTRACKABLE;
    return true;
  }

  private void startChunk() {
    chunkSize = 0;
    chunkDigits = 0;
    chunkExtension = false;
  }

  private void resetHead() {
    headBytes = 0;
    cr = false;
    lineLength = 0;
    lines = 0;
    headMethod = false;
    status = -1;
    contentLength = -1;
    framingBad = false;
    chunked = false;
    transferEncoding = false;
    upgrade = false;
  }
}
