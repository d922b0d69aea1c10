package io.github.lobby.http;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A minimal WebSocket client over a plain socket, for what the JDK client cannot do: never answer
 * Pings, stop reading, send invalid UTF-8, unmasked frames, reserved bits or stray continuations.
 */
final class RawClient implements AutoCloseable {

  /**
   * One frame as received.
   *
   * @param rsv the reserved bits (RSV1 4, RSV2 2, RSV3 1)
   */
  record Frame(int opcode, byte[] payload, int rsv) {
    /** Whether RSV1 is set: a message compressed with permessage-deflate. */
    boolean compressed() {
      return (rsv & 4) != 0;
    }

    String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    int closeCode() {
      return ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
    }
  }

  final Socket socket;
  final DataInputStream in;
  final OutputStream out;
  final String statusLine;
  /** The answer's head: the status line and the header lines, without the empty line. */
  final String head;

  RawClient(int port, String path) throws IOException {
    this(port, path, "");
  }

  /**
   * Opens a connection and sends an upgrade request for {@code path}.
   *
   * @param extraHeaders further header lines, each ending in CRLF (an Origin, a subprotocol)
   */
  RawClient(int port, String path, String extraHeaders) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(15_000);
    in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
    out = socket.getOutputStream();
    byte[] key = new byte[16];
    ThreadLocalRandom.current().nextBytes(key);
    String request =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key)
            + "\r\nSec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n";
    out.write(request.getBytes(StandardCharsets.US_ASCII));
    out.flush();
    head = readHeaders(in);
    int lineEnd = head.indexOf("\r\n");
    statusLine = lineEnd < 0 ? head : head.substring(0, lineEnd);
  }

  /** The value of a header of the answer (the first one, ignoring case), or null. */
  String header(String name) {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).strip().equalsIgnoreCase(name)) {
        return line.substring(colon + 1).strip();
      }
    }
    return null;
  }

  private static String readHeaders(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.write(b);
      matched = (b == '\r' || b == '\n') ? matched + 1 : 0;
    }
    String text = head.toString(StandardCharsets.US_ASCII);
    return text.strip();
  }

  /** Sends one frame with full control over its header bits. */
  void sendFrame(int opcode, byte[] payload, boolean fin, boolean masked, int rsv)
      throws IOException {
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write((fin ? 0x80 : 0) | (rsv << 4) | opcode);
    int maskBit = masked ? 0x80 : 0;
    if (payload.length < 126) {
      frame.write(maskBit | payload.length);
    } else if (payload.length < 65536) {
      frame.write(maskBit | 126);
      frame.write(payload.length >> 8);
      frame.write(payload.length);
    } else {
      frame.write(maskBit | 127);
      for (int i = 7; i >= 0; i--) {
        frame.write((int) ((long) payload.length >> (8 * i)));
      }
    }
    byte[] body = payload.clone();
    if (masked) {
      byte[] mask = new byte[4];
      ThreadLocalRandom.current().nextBytes(mask);
      frame.write(mask);
      for (int i = 0; i < body.length; i++) {
        body[i] ^= mask[i & 3];
      }
    }
    frame.write(body);
    out.write(frame.toByteArray());
    out.flush();
  }

  void sendText(String text) throws IOException {
    sendFrame(0x1, text.getBytes(StandardCharsets.UTF_8), true, true, 0);
  }

  /** Reads the next frame, whatever it is. */
  Frame readFrame() throws IOException {
    int b0 = in.readUnsignedByte();
    int b1 = in.readUnsignedByte();
    long length = b1 & 0x7f;
    if (length == 126) {
      length = in.readUnsignedShort();
    } else if (length == 127) {
      length = in.readLong();
    }
    byte[] payload = new byte[(int) length];
    in.readFully(payload);
    return new Frame(b0 & 0x0f, payload, (b0 >> 4) & 7);
  }

  /** Reads frames until a Close frame, answering nothing, and returns its code. */
  int readUntilClose() throws IOException {
    while (true) {
      Frame frame = readFrame();
      if (frame.opcode() == 0x8) {
        return frame.closeCode();
      }
    }
  }

  /** Whether the upgrade was accepted (101). */
  boolean upgraded() {
    return statusLine.startsWith("HTTP/1.1 101");
  }

  /** The HTTP status code of the answer to the upgrade request. */
  int status() {
    return Integer.parseInt(statusLine.split(" ")[1]);
  }

  /** Sends a Close frame with a code, as a well-behaved client ends. */
  void sendClose(int code) throws IOException {
    sendFrame(0x8, new byte[] {(byte) (code >> 8), (byte) code}, true, true, 0);
  }

  /**
   * One client frame as bytes, masked with a random key when {@code masked}, to be sent with
   * others in one write through {@link #sendBytes}.
   */
  static byte[] frame(int opcode, byte[] payload, boolean fin, boolean masked, int rsv) {
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    byte[] head = header(opcode, fin, masked, payload.length, mask);
    head[0] |= (byte) (rsv << 4);
    frame.writeBytes(head);
    byte[] body = payload.clone();
    if (masked) {
      for (int i = 0; i < body.length; i++) {
        body[i] ^= mask[i & 3];
      }
    }
    frame.writeBytes(body);
    return frame.toByteArray();
  }

  /**
   * A frame header alone, declaring {@code length} payload bytes (which may never be sent), with
   * the given masking key when {@code masked}.
   */
  static byte[] header(int opcode, boolean fin, boolean masked, long length, byte[] mask) {
    ByteArrayOutputStream header = new ByteArrayOutputStream();
    header.write((fin ? 0x80 : 0) | opcode);
    int maskBit = masked ? 0x80 : 0;
    if (length >= 0 && length < 126) {
      header.write(maskBit | (int) length);
    } else if (length >= 0 && length < 65536) {
      header.write(maskBit | 126);
      header.write((int) (length >> 8) & 0xff);
      header.write((int) length & 0xff);
    } else {
      header.write(maskBit | 127);
      for (int i = 7; i >= 0; i--) {
        header.write((int) (length >>> (8 * i)) & 0xff);
      }
    }
    if (masked) {
      header.writeBytes(mask);
    }
    return header.toByteArray();
  }

  /** Writes {@code bytes} in one write (several frames, or part of one). */
  void sendBytes(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Reads frames until one that is not a server Ping (the heartbeat), and returns it. */
  Frame readFrameSkippingPings() throws IOException {
    while (true) {
      Frame frame = readFrame();
      if (frame.opcode() != 0x9) {
        return frame;
      }
    }
  }

  /**
   * Reads and drops whatever still comes until the server ends the connection (EOF), and returns
   * how long that took; fails if it takes longer than {@code limit} or the connection is reset.
   */
  long millisUntilEof(java.time.Duration limit) throws IOException {
    long start = System.nanoTime();
    int previousTimeout = socket.getSoTimeout();
    socket.setSoTimeout((int) limit.toMillis());
    try {
      while (in.read() >= 0) {
        if (System.nanoTime() - start > limit.toNanos()) {
          throw new java.net.SocketTimeoutException("still sending after " + limit);
        }
      }
    } finally {
      socket.setSoTimeout(previousTimeout);
    }
    return (System.nanoTime() - start) / 1_000_000;
  }

  /** Drops the connection with a TCP reset: no Close frame, no FIN. */
  void reset() throws IOException {
    socket.setSoLinger(true, 0);
    socket.close();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
