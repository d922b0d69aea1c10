package io.github.lobby.http.internal.ws;

import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * Server frames on the wire (RFC 6455 section 5.2): unmasked, unfragmented, one header before the
 * payload, RSV1 set on a message compressed with permessage-deflate (RFC 7692 section 6: on the
 * first frame of a message, which here is its only one). The payload is not copied: a broadcast's
 * bytes, encoded once, are shared by every recipient's buffer.
 */
public final class FrameEncoder {

  /** The most bytes one write carries; frames beyond it wait for the next write. */
  public static final int MAX_WRITE_BYTES = 256 * 1024;

  /** The longest Close reason, in bytes, that fits a control frame after the code. */
  public static final int MAX_CLOSE_REASON_BYTES = 123;

  private FrameEncoder() {}

  /** The first header byte: FIN, RSV1 for a compressed message, the opcode. */
  private static byte first(int opcode, boolean compressed) {
    return (byte) (0x80 | (compressed ? FrameDecoder.RSV1 : 0) | opcode);
  }

  /** Appends one whole frame to {@code out}. */
  public static void append(ByteStringBuilder out, int opcode, ByteString payload) {
    append(out, opcode, payload, false);
  }

  /** Appends one whole frame to {@code out}, with RSV1 set when it is {@code compressed}. */
  public static void append(
      ByteStringBuilder out, int opcode, ByteString payload, boolean compressed) {
    int length = payload.size();
    out.putByte(first(opcode, compressed));
    if (length < 126) {
      out.putByte((byte) length);
    } else if (length < 65536) {
      out.putByte((byte) 126);
      out.putByte((byte) (length >>> 8));
      out.putByte((byte) length);
    } else {
      out.putByte((byte) 127);
      long l = length;
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.putByte((byte) (l >>> shift));
      }
    }
    out.append(payload);
  }

  /**
   * Appends frames taken from {@code next} to {@code out} until {@code next} has none left or the
   * buffer holds {@link #MAX_WRITE_BYTES}: everything ready for a connection in one write.
   *
   * @param out a buffer already holding bytes to go first, or null
   * @return the buffer, or null when {@code out} was null and there was no frame
   */
  public static ByteStringBuilder coalesce(ByteStringBuilder out, Supplier<WsFrame> next) {
    WsFrame frame;
    while ((out == null || out.length() < MAX_WRITE_BYTES) && (frame = next.get()) != null) {
      if (out == null) {
        out = new ByteStringBuilder();
      }
      append(out, frame.opcode(), frame.data(), frame.compressed());
    }
    return out;
  }

  /** Payloads up to this size are copied behind their header into one array. */
  private static final int COPY_LIMIT = 4096;

  /**
   * One whole frame. A small payload is copied behind its header into a single array (two
   * allocations, one write buffer); a larger one is shared, not copied.
   */
  public static ByteString frame(int opcode, ByteString payload) {
    return frame(opcode, payload, false);
  }

  /** One whole frame of a {@link WsFrame}, RSV1 set when it is compressed. */
  public static ByteString frame(WsFrame frame) {
    return frame(frame.opcode(), frame.data(), frame.compressed());
  }

  private static ByteString frame(int opcode, ByteString payload, boolean compressed) {
    int length = payload.size();
    if (length < 126) {
      byte[] bytes = new byte[2 + length];
      bytes[0] = first(opcode, compressed);
      bytes[1] = (byte) length;
      payload.copyToArray(bytes, 2, length);
      return ByteString.fromArrayUnsafe(bytes);
    }
    if (length <= COPY_LIMIT) {
      byte[] bytes = new byte[4 + length];
      bytes[0] = first(opcode, compressed);
      bytes[1] = (byte) 126;
      bytes[2] = (byte) (length >>> 8);
      bytes[3] = (byte) length;
      payload.copyToArray(bytes, 4, length);
      return ByteString.fromArrayUnsafe(bytes);
    }
    ByteStringBuilder out = new ByteStringBuilder();
    append(out, opcode, payload, compressed);
    return out.result();
  }

  /**
   * The payload of a Close frame: the code, then the reason in UTF-8, cut to 123 bytes on a
   * character boundary so that the client can decode it.
   */
  public static ByteString closePayload(int code, String reason) {
    byte[] text = reason.getBytes(StandardCharsets.UTF_8);
    int length = Math.min(text.length, MAX_CLOSE_REASON_BYTES);
    // Back off from a continuation byte (10xxxxxx) to the start of its character.
    while (length < text.length && length > 0 && (text[length] & 0xC0) == 0x80) {
      length--;
    }
    byte[] payload = new byte[2 + length];
    payload[0] = (byte) (code >> 8);
    payload[1] = (byte) code;
    System.arraycopy(text, 0, payload, 2, length);
    return ByteString.fromArrayUnsafe(payload);
  }
}
