package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.lobby.http.FrameRulesSocketTest.Path;
import io.github.lobby.http.FrameRulesSocketTest.Server;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * permessage-deflate (RFC 7692) over real sockets on both connection paths: the 101's answer to an
 * offer, broadcasts that reach a client that negotiated compression with RSV1 set and inflate to
 * the text the others get plain, compressed client messages with and without context takeover, and
 * the close codes of a compressed message that is too big inflated or is not deflate data.
 */
class CompressionSocketTest {

  private static final int TEXT = 0x1;
  private static final int CLOSE = 0x8;
  private static final int RSV1 = 4; // in RawClient's rsv argument

  private static final String OFFER =
      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";

  private static RawClient raw(Server server, String room, String headers) throws Exception {
    RawClient raw = new RawClient(server.port(), "/" + room, headers);
    assertTrue(raw.upgraded(), raw.head);
    return raw;
  }

  private static String welcomeId(RawClient raw) throws Exception {
    String welcome = raw.readFrameSkippingPings().text();
    assertTrue(welcome.startsWith("your id is "), welcome);
    return welcome.substring("your id is ".length());
  }

  /** A classic-mode message of the given text. */
  private static String classic(String id, String msg, String room) {
    return "{\"id\":\"" + id + "\",\"msg\":\"" + msg + "\",\"room_id\":\"" + room + "\"}";
  }

  /** Repetitive text, as chat and statistics are: compresses well. */
  private static String large(String tag) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 80; i++) {
      s.append(tag).append(" row ").append(i).append(" visits 1234 users 567; ");
    }
    return s.toString();
  }

  /**
   * Raw deflate of one message with a sync flush, its tail 00 00 ff ff removed (RFC 7692 7.2.1).
   */
  static byte[] deflate(Deflater deflater, byte[] data) {
    deflater.setInput(data);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[1024];
    int n;
    while ((n = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH)) > 0) {
      out.write(buffer, 0, n);
      if (n < buffer.length) {
        break;
      }
    }
    byte[] bytes = out.toByteArray();
    assertTrue(bytes.length >= 4 && bytes[bytes.length - 1] == (byte) 0xff);
    return Arrays.copyOf(bytes, bytes.length - 4);
  }

  /** Inflates one compressed message as a client does: the payload and the tail put back. */
  static String inflate(byte[] payload) throws Exception {
    Inflater inflater = new Inflater(true);
    try {
      byte[] input = Arrays.copyOf(payload, payload.length + 4);
      input[payload.length + 2] = (byte) 0xff;
      input[payload.length + 3] = (byte) 0xff;
      inflater.setInput(input);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[4096];
      while (!inflater.needsInput() && !inflater.finished()) {
        int n = inflater.inflate(buffer);
        out.write(buffer, 0, n);
      }
      return out.toString(StandardCharsets.UTF_8);
    } finally {
      inflater.end();
    }
  }

  /**
   * The next text frame (skipping the heartbeat's Pings and the notices of others joining),
   * inflated when compressed.
   */
  private static String nextText(RawClient raw, boolean expectCompressed) throws Exception {
    RawClient.Frame frame;
    do {
      frame = raw.readFrameSkippingPings();
    } while (!frame.compressed() && frame.text().endsWith(" just joined!"));
    RawClient.Frame found = frame;
    assertEquals(TEXT, found.opcode());
    assertEquals(expectCompressed, found.compressed(), () -> "RSV1 of " + found.text());
    return expectCompressed ? inflate(found.payload()) : found.text();
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void anOfferIsAnsweredAndBroadcastsReachEachClientAsItNegotiated(Path path) throws Exception {
    try (Server server = path.start("lobby.compression.client-context-takeover = on");
        RawClient deflating = raw(server, "zroom", OFFER);
        RawClient plain = raw(server, "zroom", "")) {
      JdkClient jdk = server.classic("zroom"); // offers no extension
      assertEquals(
          "permessage-deflate; server_no_context_takeover",
          deflating.header("Sec-WebSocket-Extensions"));
      assertNull(plain.header("Sec-WebSocket-Extensions"));
      String id = welcomeId(deflating);
      welcomeId(plain);
      jdk.welcomeId();

      // A large message, compressed by the client with context takeover (its offer did not say
      // client_no_context_takeover), twice: the second refers back to the first.
      Deflater client = new Deflater(6, true);
      for (String tag : new String[] {"first", "second"}) {
        String msg = large(tag);
        byte[] compressed =
            deflate(client, classic(id, msg, "zroom").getBytes(StandardCharsets.UTF_8));
        deflating.sendFrame(TEXT, compressed, true, true, RSV1);

        String toSender = nextText(deflating, true);
        String toPlain = nextText(plain, false);
        String toJdk = jdk.next();
        assertTrue(toPlain.contains(msg), toPlain);
        assertEquals(toPlain, toSender, "inflated, the same text as the plain frame");
        assertEquals(toPlain, toJdk);
      }
      client.end();

      // A small message goes uncompressed even to a client that negotiated compression.
      deflating.sendText("hi");
      String small = nextText(deflating, false);
      assertTrue(small.contains("\"msg\":\"hi\""), small);
      assertEquals(small, nextText(plain, false));
    }
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void byDefaultTheServerAsksEveryClientToCompressEachMessageOnItsOwn(Path path)
      throws Exception {
    try (Server server = path.start("");
        RawClient deflating = raw(server, "ask", OFFER)) {
      JdkClient jdk = server.classic("ask");
      // Not offered, still answered: RFC 7692 section 7.1.1.1.
      assertEquals(
          "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
          deflating.header("Sec-WebSocket-Extensions"));
      String id = welcomeId(deflating);
      jdk.welcomeId();
      // Each message compressed with a fresh deflater, as the answer asks: all arrive intact.
      for (int i = 0; i < 3; i++) {
        String msg = large("asked " + i);
        Deflater fresh = new Deflater(6, true);
        deflating.sendFrame(
            TEXT,
            deflate(fresh, classic(id, msg, "ask").getBytes(StandardCharsets.UTF_8)),
            true,
            true,
            RSV1);
        fresh.end();
        assertTrue(jdk.next().contains(msg));
        assertTrue(nextText(deflating, true).contains(msg));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void aClientWithoutContextTakeoverCompressesEachMessageOnItsOwn(Path path) throws Exception {
    try (Server server = path.start("");
        RawClient deflating =
            raw(
                server,
                "nct",
                "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover;"
                    + " server_max_window_bits=15\r\n")) {
      JdkClient jdk = server.classic("nct");
      assertEquals(
          "permessage-deflate; server_no_context_takeover; client_no_context_takeover;"
              + " server_max_window_bits=15",
          deflating.header("Sec-WebSocket-Extensions"));
      String id = welcomeId(deflating);
      jdk.welcomeId();
      for (int i = 0; i < 3; i++) {
        String msg = large("message " + i);
        Deflater fresh = new Deflater(9, true);
        byte[] compressed =
            deflate(fresh, classic(id, msg, "nct").getBytes(StandardCharsets.UTF_8));
        fresh.end();
        // In two frames: RSV1 on the first only (RFC 7692 section 6.1).
        int half = compressed.length / 2;
        deflating.sendFrame(TEXT, Arrays.copyOf(compressed, half), false, true, RSV1);
        deflating.sendFrame(
            0x0, Arrays.copyOfRange(compressed, half, compressed.length), true, true, 0);
        assertTrue(jdk.next().contains(msg));
        assertTrue(nextText(deflating, true).contains(msg));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void anOfferTheServerCannotKeepToIsDeclinedAndTheConnectionRunsPlain(Path path) throws Exception {
    try (Server server = path.start("");
        RawClient declined =
            raw(
                server,
                "declined",
                "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10,"
                    + " permessage-deflate; unknown_parameter\r\n")) {
      assertNull(declined.header("Sec-WebSocket-Extensions"), declined.head);
      String id = welcomeId(declined);
      String msg = large("plain");
      declined.sendText(classic(id, msg, "declined"));
      assertTrue(nextText(declined, false).contains(msg));
      // RSV1 without a negotiated extension is a protocol error.
      declined.sendFrame(TEXT, new byte[] {1, 2, 3}, true, true, RSV1);
      assertEquals(1002, declined.readUntilClose());
    }
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void withCompressionOffEveryOfferIsDeclined(Path path) throws Exception {
    try (Server server = path.start("lobby.compression.enabled = off");
        RawClient raw = raw(server, "off", OFFER)) {
      assertNull(raw.header("Sec-WebSocket-Extensions"), raw.head);
      String id = welcomeId(raw);
      String msg = large("off");
      raw.sendText(classic(id, msg, "off"));
      assertTrue(nextText(raw, false).contains(msg));
    }
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void aCompressedMessageThatInflatesBeyondTheMaximumClosesWith1009(Path path) throws Exception {
    try (Server server = path.start("lobby.max-message-bytes = 64 KiB");
        RawClient bomb = raw(server, "bomb", OFFER)) {
      welcomeId(bomb);
      // 16 MB of spaces deflate to about 16 KB, well under the maximum as sent.
      Deflater deflater = new Deflater(9, true);
      byte[] compressed = deflate(deflater, new byte[16 * 1024 * 1024]);
      deflater.end();
      assertTrue(compressed.length < 64 * 1024, compressed.length + " bytes compressed");
      bomb.sendFrame(TEXT, compressed, true, true, RSV1);
      assertEquals(1009, bomb.readUntilClose());
    }
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void aCompressedMessageThatIsNotDeflateDataClosesWith1007(Path path) throws Exception {
    try (Server server = path.start("");
        RawClient corrupt = raw(server, "corrupt", OFFER)) {
      welcomeId(corrupt);
      // BTYPE 11 is reserved: no valid deflate stream starts with 0xff.
      corrupt.sendFrame(TEXT, new byte[] {(byte) 0xff, 1, 2, 3}, true, true, RSV1);
      assertEquals(1007, corrupt.readUntilClose());
    }
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void rsv1OnAControlFrameClosesWith1002EvenWhenNegotiated(Path path) throws Exception {
    try (Server server = path.start("");
        RawClient raw = raw(server, "ctl", OFFER)) {
      welcomeId(raw);
      raw.sendFrame(0x9, new byte[] {1}, true, true, RSV1);
      RawClient.Frame frame;
      do {
        frame = raw.readFrame();
      } while (frame.opcode() != CLOSE);
      assertEquals(1002, frame.closeCode());
      assertFalse(frame.compressed());
    }
  }
}
