package io.github.lobby.http.internal.ws;

import org.apache.pekko.util.ByteString;

/**
 * One whole, unfragmented server frame, and the opcodes of RFC 6455 section 5.2 that both
 * connection paths use: the frames that rooms offer into an {@link Outbox}, that {@link
 * WsConnection#nextFrame()} hands out and that {@link FrameEncoder} writes (or, on the engine path,
 * Pekko HTTP renders).
 *
 * @param opcode the opcode, one of the constants below
 * @param data the payload, shared and never copied (a broadcast's bytes are encoded once, and
 *     compressed once)
 * @param compressed whether {@code data} is compressed with permessage-deflate: the frame goes out
 *     with RSV1 set
 */
public record WsFrame(int opcode, ByteString data, boolean compressed) {

  /** An uncompressed frame. */
  public WsFrame(int opcode, ByteString data) {
    this(opcode, data, false);
  }

  /** A continuation of a fragmented message. */
  public static final int CONTINUATION = 0x0;

  /** A text message (UTF-8). */
  public static final int TEXT = 0x1;

  /** A binary message. */
  public static final int BINARY = 0x2;

  /** A Close frame. */
  public static final int CLOSE = 0x8;

  /** A Ping. */
  public static final int PING = 0x9;

  /** A Pong. */
  public static final int PONG = 0xA;

  /** The close code of a Close frame without a payload (RFC 6455 section 7.1.5). */
  public static final int NO_STATUS = 1005;

  /** Whether an opcode is a control frame's (Close, Ping, Pong). */
  public static boolean isControl(int opcode) {
    return opcode == CLOSE || opcode == PING || opcode == PONG;
  }
}
