package io.github.lobby.http.internal.ws;

import static io.github.lobby.http.internal.ws.WsFrame.BINARY;
import static io.github.lobby.http.internal.ws.WsFrame.CLOSE;
import static io.github.lobby.http.internal.ws.WsFrame.CONTINUATION;
import static io.github.lobby.http.internal.ws.WsFrame.NO_STATUS;
import static io.github.lobby.http.internal.ws.WsFrame.PING;
import static io.github.lobby.http.internal.ws.WsFrame.PONG;
import static io.github.lobby.http.internal.ws.WsFrame.TEXT;

import io.github.lobby.core.CloseCodes;
import io.github.lobby.http.internal.deflate.MessageInflater;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.DataFormatException;
import org.apache.pekko.util.ByteString;

/**
 * The RFC 6455 rules for what a client sends, shared by both connection paths: framing, masking,
 * reassembly of fragmented messages, UTF-8 and Close frames. No sockets, no threads: bytes or frame
 * parts in, events or one violation out, through a {@link Handler}.
 *
 * <p>Two ways in. The lean path ({@code internal.lean.LeanConnection}) feeds raw socket bytes with
 * {@link #feed}, which parses frame headers itself. The engine path ({@code
 * internal.engine.EngineConnection} under Pekko HTTP's WebSocket engine) gets frames the engine
 * parsed and hands them over with {@link #frameStart} and {@link #frameData}. Both then go through
 * the same checks here.
 *
 * <p>The rules, each one a close code:
 *
 * <ul>
 *   <li>1002: reserved bits (RSV1 is allowed only with permessage-deflate negotiated, and only on
 *       the first frame of a data message: never on a control or continuation frame), an unmasked
 *       frame, an unknown opcode, a control frame that is
 *       fragmented or over 125 bytes, a continuation without a message, a new data frame while a
 *       fragmented message is open, a 64-bit length with its top bit set, a Close frame with a
 *       one-byte payload or a code that is not allowed (below 1000, 1004–1006, 1015, 1016–2999,
 *       5000 and above);
 *   <li>1009: a message over {@code max-message-bytes}, known from the frame header before any of
 *       its bytes is kept; a compressed message that inflates to more, found after inflating at
 *       most one byte more than the maximum;
 *   <li>1007: text that is not UTF-8, found as soon as the first bad byte arrives, across
 *       fragments (in a compressed message, once it is inflated); a Close reason that is not
 *       UTF-8; a compressed message that is not valid deflate data (its payload is not what the
 *       negotiated extension says it is: RFC 6455 section 7.4.1 gives 1007 to data "not
 *       consistent with the type of the message", as Node's ws and others answer).
 * </ul>
 *
 * <p>permessage-deflate (RFC 7692): with a {@link MessageInflater}, a data message whose first
 * frame has RSV1 set is compressed; its compressed bytes are reassembled as any message's (bounded
 * by {@code max-message-bytes} too) and inflated when it ends.
 *
 * <p>After the first violation, or after a valid Close frame, the decoder ignores the rest of its
 * input: nothing is ever dispatched with a broken frame's state. Every complete message before the
 * violation has been dispatched already, in order. Memory: the current message is held in a buffer
 * allocated when it starts and dropped when it is dispatched (at most {@code max-message-bytes});
 * between messages the decoder holds no buffer.
 */
public final class FrameDecoder {

  /** What the decoder found; called in the order of the input, on the feeding thread. */
  public interface Handler {
    /** A complete text message, valid UTF-8. */
    void onText(String text);

    /** A complete binary message. */
    void onBinary(ByteString data);

    /** A Ping with its payload (at most 125 bytes). */
    void onPing(ByteString payload);

    /** A Pong. */
    void onPong();

    /** A valid Close frame; {@link WsFrame#NO_STATUS} when it carried no code. */
    void onClose(int code);

    /**
     * A rule was broken; the decoder ignores everything after this.
     *
     * @param inCloseFrame whether the violation was the client's own Close frame
     */
    void onViolation(int code, String reason, boolean inCloseFrame);

    /**
     * Whether the decoder should stop before the next frame and hand back the bytes not decoded
     * (inbound flow control: the receiver has as many messages as it takes at once).
     */
    default boolean paused() {
      return false;
    }
  }

  /** The header bit RSV1, which permessage-deflate uses to mark a compressed message. */
  public static final int RSV1 = 0x40;

  /** The header bits RSV2 and RSV3, which no extension of ours uses. */
  public static final int RSV2_RSV3 = 0x30;

  private final int maxMessageBytes;
  private final Handler handler;

  /** The inflater of permessage-deflate; null when it was not negotiated. */
  private final MessageInflater inflater;

  /** Whether the current data message is compressed (RSV1 on its first frame). */
  private boolean messageCompressed;

  /** Whether a violation or a Close frame ended the input. */
  private boolean ended;

  // Raw parsing (feed): header bytes of a frame whose header was split over reads.
  private byte[] headerBytes;
  private int headerLength;

  /** Payload bytes of the current frame still to come; -1 while reading a header. */
  private long payloadLeft = -1;

  // The current frame.
  private int frameOpcode;
  private boolean frameFin;
  private int frameMask;
  private long framePosition;
  private boolean frameControl;

  // The current control frame's payload (at most 125 bytes).
  private byte[] control;
  private int controlLength;

  // The current data message: opcode (-1: none), bytes so far, UTF-8 state for text.
  private int messageOpcode = -1;
  private byte[] message;
  private int messageLength;
  private final Utf8 utf8 = new Utf8();

  public FrameDecoder(int maxMessageBytes, Handler handler) {
    this(maxMessageBytes, null, handler);
  }

  /**
   * @param inflater the connection's permessage-deflate inflater; null when it was not negotiated,
   *     and RSV1 is then a protocol error
   */
  public FrameDecoder(int maxMessageBytes, MessageInflater inflater, Handler handler) {
    this.maxMessageBytes = maxMessageBytes;
    this.inflater = inflater;
    this.handler = handler;
  }

  /** Ends the connection's inflater, if it holds one: the connection has stopped. */
  public void release() {
    if (inflater != null) {
      inflater.release();
    }
  }

  /** Whether the decoder takes no more input (a violation, or the client's Close). */
  public boolean ended() {
    return ended;
  }

  /** Whether a message is half received and memory held for it (for tests). */
  boolean inMessage() {
    return messageOpcode >= 0;
  }

  // ---- raw bytes ----

  /**
   * Parses raw client bytes, which may hold any number of frames and frame parts.
   *
   * @return the bytes not decoded because the handler {@link Handler#paused() paused} the input
   *     before a frame: to be fed again once it takes more; empty when all were decoded or the
   *     input has ended
   */
  public ByteString feed(ByteString bytes) {
    int i = 0;
    int n = bytes.size();
    while (i < n && !ended) {
      if (payloadLeft < 0 && headerLength == 0 && handler.paused()) {
        return bytes.drop(i);
      }
      if (payloadLeft < 0) {
        i = readHeader(bytes, i);
      } else {
        int take = (int) Math.min(payloadLeft, n - i);
        payloadLeft -= take;
        boolean last = payloadLeft == 0;
        if (last) {
          payloadLeft = -1;
        }
        frameData(bytes.slice(i, i + take), last);
        i += take;
      }
    }
    return ByteString.emptyByteString();
  }

  /** Reads header bytes from {@code at}; returns where it stopped. */
  private int readHeader(ByteString bytes, int at) {
    if (headerBytes == null) {
      headerBytes = new byte[14];
    }
    int i = at;
    int n = bytes.size();
    while (i < n) {
      headerBytes[headerLength++] = bytes.apply(i++);
      int needed = headerNeeded();
      if (headerLength == needed) {
        startFromHeader();
        return i;
      }
    }
    return i;
  }

  /** How many header bytes the header collected so far needs in all. */
  private int headerNeeded() {
    if (headerLength < 2) {
      return 2;
    }
    int len7 = headerBytes[1] & 0x7f;
    int mask = (headerBytes[1] & 0x80) != 0 ? 4 : 0;
    return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + mask;
  }

  private void startFromHeader() {
    byte[] h = headerBytes;
    int b0 = h[0] & 0xff;
    int b1 = h[1] & 0xff;
    int len7 = b1 & 0x7f;
    int p = 2;
    long length;
    if (len7 == 126) {
      length = ((h[2] & 0xff) << 8) | (h[3] & 0xff);
      p = 4;
    } else if (len7 == 127) {
      length = 0;
      for (int k = 0; k < 8; k++) {
        length = (length << 8) | (h[2 + k] & 0xff);
      }
      p = 10;
    } else {
      length = len7;
    }
    boolean masked = (b1 & 0x80) != 0;
    int mask = 0;
    if (masked) {
      mask =
          ((h[p] & 0xff) << 24)
              | ((h[p + 1] & 0xff) << 16)
              | ((h[p + 2] & 0xff) << 8)
              | (h[p + 3] & 0xff);
    }
    headerLength = 0;
    headerBytes = null; // held only while a header is split over reads
    if (len7 == 127 && length < 0) {
      violation(
          CloseCodes.PROTOCOL_ERROR, "frame length with its top bit set", (b0 & 0x0f) == CLOSE);
      return;
    }
    boolean started =
        frameStart(b0 & 0x0f, (b0 & 0x80) != 0, b0 & (RSV1 | RSV2_RSV3), masked, mask, length);
    if (!started) {
      return;
    }
    if (length == 0) {
      frameData(ByteString.emptyByteString(), true);
    } else {
      payloadLeft = length;
    }
  }

  // ---- frames parsed elsewhere ----

  /**
   * Starts a frame whose header was parsed by the caller, with its first payload bytes.
   *
   * @param rsv the reserved bits as they stand in the header's first byte ({@link #RSV1}, {@link
   *     #RSV2_RSV3})
   * @param data the first payload bytes, still masked
   * @param last whether {@code data} ends the frame
   */
  public void frameStart(
      int opcode,
      boolean fin,
      int rsv,
      boolean masked,
      int mask,
      long length,
      ByteString data,
      boolean last) {
    if (!ended && frameStart(opcode, fin, rsv, masked, mask, length)) {
      frameData(data, last);
    }
  }

  /** Checks a frame header; a violation ends the input and returns false. */
  private boolean frameStart(
      int opcode, boolean fin, int rsv, boolean masked, int mask, long length) {
    if (ended) {
      return false;
    }
    if ((rsv & RSV2_RSV3) != 0) {
      return violation(CloseCodes.PROTOCOL_ERROR, "reserved bits set", opcode == CLOSE);
    }
    boolean compressed = (rsv & RSV1) != 0;
    if (compressed) {
      if (inflater == null) {
        return violation(
            CloseCodes.PROTOCOL_ERROR,
            "reserved bit RSV1 set without permessage-deflate",
            opcode == CLOSE);
      }
      if (WsFrame.isControl(opcode)) {
        return violation(
            CloseCodes.PROTOCOL_ERROR, "RSV1 set on a control frame", opcode == CLOSE);
      }
      if (opcode == CONTINUATION) {
        return violation(CloseCodes.PROTOCOL_ERROR, "RSV1 set on a continuation frame", false);
      }
    }
    if (!masked) {
      return violation(CloseCodes.PROTOCOL_ERROR, "client frames must be masked", opcode == CLOSE);
    }
    if (length < 0) {
      return violation(
          CloseCodes.PROTOCOL_ERROR, "frame length with its top bit set", opcode == CLOSE);
    }
    frameOpcode = opcode;
    frameFin = fin;
    frameMask = mask;
    framePosition = 0;
    if (WsFrame.isControl(opcode)) {
      if (!fin || length > 125) {
        return violation(
            CloseCodes.PROTOCOL_ERROR,
            "control frames must be whole and at most 125 bytes",
            opcode == CLOSE);
      }
      frameControl = true;
      control = new byte[(int) length];
      controlLength = 0;
      return true;
    }
    frameControl = false;
    if (opcode == CONTINUATION) {
      if (messageOpcode < 0) {
        return violation(CloseCodes.PROTOCOL_ERROR, "continuation frame without a message", false);
      }
    } else if (opcode == TEXT || opcode == BINARY) {
      if (messageOpcode >= 0) {
        return violation(
            CloseCodes.PROTOCOL_ERROR, "new message before the previous one ended", false);
      }
    } else {
      return violation(CloseCodes.PROTOCOL_ERROR, "unknown opcode", false);
    }
    if (length > maxMessageBytes - (opcode == CONTINUATION ? messageLength : 0)) {
      return violation(CloseCodes.TOO_BIG, "message too big", false);
    }
    if (opcode != CONTINUATION) {
      messageOpcode = opcode;
      messageCompressed = compressed;
      messageLength = 0;
      utf8.reset();
      // Sized for this frame; a fragmented message grows it, always within max-message-bytes.
      message = new byte[(int) length];
    } else if (messageLength + length > message.length) {
      message =
          Arrays.copyOf(
              message,
              (int)
                  Math.min(maxMessageBytes, Math.max(messageLength + length, 2L * message.length)));
    }
    return true;
  }

  /**
   * More payload bytes of the current frame, still masked.
   *
   * @param last whether they end the frame
   */
  public void frameData(ByteString data, boolean last) {
    if (ended) {
      return;
    }
    int n = data.size();
    if (frameControl) {
      if (controlLength + n > control.length) {
        violation(
            CloseCodes.PROTOCOL_ERROR, "frame longer than its header said", frameOpcode == CLOSE);
        return;
      }
      unmaskInto(data, control, controlLength);
      controlLength += n;
      if (last) {
        endControlFrame();
      }
      return;
    }
    if (messageLength + n > message.length) {
      if (messageLength + n > maxMessageBytes) {
        violation(CloseCodes.TOO_BIG, "message too big", false);
        return;
      }
      message = Arrays.copyOf(message, messageLength + n);
    }
    int from = messageLength;
    unmaskInto(data, message, messageLength);
    messageLength += n;
    if (messageOpcode == TEXT && !messageCompressed && !utf8.accept(message, from, messageLength)) {
      violation(CloseCodes.INVALID_PAYLOAD, "invalid UTF-8", false);
      return;
    }
    if (last && frameFin) {
      endMessage();
    }
  }

  private void unmaskInto(ByteString data, byte[] into, int at) {
    int n = data.size();
    data.copyToArray(into, at, n);
    int mask = frameMask;
    long position = framePosition;
    for (int k = 0; k < n; k++) {
      into[at + k] ^= (byte) (mask >>> (24 - 8 * (int) ((position + k) & 3)));
    }
    framePosition = position + n;
  }

  private void endMessage() {
    int op = messageOpcode;
    byte[] bytes = message;
    int length = messageLength;
    messageOpcode = -1;
    message = null;
    messageLength = 0;
    if (messageCompressed) {
      messageCompressed = false;
      try {
        bytes = inflater.inflate(bytes, length, maxMessageBytes);
      } catch (MessageInflater.TooBigException e) {
        violation(CloseCodes.TOO_BIG, "message too big", false);
        return;
      } catch (DataFormatException e) {
        violation(CloseCodes.INVALID_PAYLOAD, "invalid compressed data", false);
        return;
      }
      length = bytes.length;
      if (op == TEXT && !(utf8.accept(bytes, 0, length))) {
        violation(CloseCodes.INVALID_PAYLOAD, "invalid UTF-8", false);
        return;
      }
    }
    if (op == TEXT) {
      if (!utf8.complete()) {
        violation(CloseCodes.INVALID_PAYLOAD, "invalid UTF-8", false);
        return;
      }
      handler.onText(new String(bytes, 0, length, StandardCharsets.UTF_8));
    } else {
      handler.onBinary(ByteString.fromArrayUnsafe(bytes, 0, length));
    }
  }

  private void endControlFrame() {
    byte[] payload = control;
    control = null;
    if (frameOpcode == PING) {
      handler.onPing(ByteString.fromArrayUnsafe(payload));
    } else if (frameOpcode == PONG) {
      handler.onPong();
    } else {
      onCloseFrame(payload);
    }
  }

  private void onCloseFrame(byte[] payload) {
    if (payload.length == 0) {
      ended = true;
      handler.onClose(NO_STATUS);
      return;
    }
    if (payload.length == 1) {
      violation(CloseCodes.PROTOCOL_ERROR, "Close frame with a one-byte payload", true);
      return;
    }
    int code = ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
    if (!validCloseCode(code)) {
      violation(CloseCodes.PROTOCOL_ERROR, "close code " + code + " is not allowed", true);
      return;
    }
    Utf8 reason = new Utf8();
    if (!reason.accept(payload, 2, payload.length) || !reason.complete()) {
      violation(CloseCodes.INVALID_PAYLOAD, "Close reason is not UTF-8", true);
      return;
    }
    ended = true;
    handler.onClose(code);
  }

  /**
   * Whether a client may send this code in a Close frame: 1000–1003 and 1007–1014 (RFC 6455
   * section 7.4.1 and the IANA registry), and 3000–4999 (libraries and applications).
   */
  static boolean validCloseCode(int code) {
    return (code >= 1000 && code <= 1003)
        || (code >= 1007 && code <= 1014)
        || (code >= 3000 && code <= 4999);
  }

  private boolean violation(int code, String reason, boolean inCloseFrame) {
    ended = true;
    messageOpcode = -1;
    message = null;
    control = null;
    headerBytes = null;
    handler.onViolation(code, reason, inCloseFrame);
    return false;
  }
}
