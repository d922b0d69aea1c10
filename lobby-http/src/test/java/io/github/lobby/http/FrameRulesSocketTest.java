package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The frame rules end to end, over real sockets, on both connection paths: {@link LobbyServer}'s
 * lean path (Pekko IO) and {@link LobbyRoutes} mounted in a Pekko HTTP binding of one's own (the
 * engine path). Both run the same {@code FrameDecoder} and {@code WsConnection};
 * these tests prove that the glue of each keeps their promises: what goes out and in which order,
 * the close codes, and when the TCP connection ends.
 */
class FrameRulesSocketTest {

  private static final int TEXT = 0x1;
  private static final int CLOSE = 0x8;
  private static final int PING = 0x9;
  private static final int PONG = 0xA;

  /** A running server on one path. */
  record Server(int port, AutoCloseable stop) implements AutoCloseable {
    URI ws(String path) {
      return URI.create("ws://127.0.0.1:" + port + path);
    }

    JdkClient classic(String room) {
      return new JdkClient(ws("/" + room), null);
    }

    RawClient raw(String room) throws Exception {
      RawClient raw = new RawClient(port, "/" + room);
      assertTrue(raw.upgraded(), raw.statusLine);
      return raw;
    }

    @Override
    public void close() throws Exception {
      stop.close();
    }
  }

  /** The two connection paths; every test runs on both. */
  enum Path {
    LEAN {
      @Override
      Server start(String config) {
        TestServer server = new TestServer(config);
        return new Server(server.port(), server);
      }
    },
    ROUTES {
      @Override
      Server start(String config) {
        RoutesTestServer server = new RoutesTestServer(config);
        return new Server(server.port(), server);
      }
    };

    abstract Server start(String config);
  }

  private static String welcomeId(RawClient raw) throws Exception {
    String welcome = raw.readFrameSkippingPings().text();
    assertTrue(welcome.startsWith("your id is "), welcome);
    return welcome.substring("your id is ".length());
  }

  private static String classicMessage(String id, String msg, String room) {
    return "{\"id\":\"" + id + "\",\"msg\":\"" + msg + "\",\"room_id\":\"" + room + "\"}";
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  /** A 125-byte Ping payload that names its number. */
  private static byte[] pingPayload(int n) {
    return utf8(String.format("%06d", n) + ".".repeat(119));
  }

  // ---- (a) Pings ----

  @ParameterizedTest
  @EnumSource(Path.class)
  void aPingFloodFromAClientThatDoesNotReadGetsOnlyAFewPongsTheLastForTheLatestPing(Path path)
      throws Exception {
    // The flood is about Pongs, not the inbound rate: lift the rate limit out of the way.
    try (Server server = path.start("lobby.max-inbound-per-second = 10000000");
        RawClient flooder = server.raw("ping-flood")) {
      welcomeId(flooder);
      int count = 20_000;
      ByteArrayOutputStream batch = new ByteArrayOutputStream();
      for (int i = 0; i < count; i++) {
        batch.writeBytes(RawClient.frame(PING, pingPayload(i), true, true, 0));
        if (batch.size() > 64 * 1024 || i == count - 1) {
          flooder.sendBytes(batch.toByteArray());
          batch.reset();
        }
      }
      flooder.sendText("still here");

      int pongs = 0;
      int lastPong = -1;
      while (true) {
        RawClient.Frame frame = flooder.readFrame();
        if (frame.opcode() == PONG) {
          pongs++;
          int n = Integer.parseInt(frame.text().substring(0, 6));
          assertTrue(n > lastPong, "Pongs answer Pings in order: " + n + " after " + lastPong);
          lastPong = n;
        } else if (frame.opcode() == TEXT) {
          assertTrue(frame.text().contains("\"msg\":\"still here\""), frame.text());
          break;
        } else {
          assertEquals(PING, frame.opcode(), "unexpected frame");
        }
      }
      assertEquals(count - 1, lastPong, "the latest Ping is answered");
      if (path == Path.LEAN) {
        // One Pong per read or write at most (about 70 here). Under Pekko HTTP's engine every
        // Pong is handed on as soon as the engine pulls, so until the kernel's send buffer is
        // full each Ping is answered (about 9,000 here): the count there measures the kernel's
        // buffer, and only order, the latest Pong and liveness are checked.
        assertTrue(pongs <= 1000, pongs + " Pongs for " + count + " Pings");
      }
      // Still usable both ways.
      flooder.sendFrame(PING, utf8("again"), true, true, 0);
      RawClient.Frame pong = flooder.readFrameSkippingPings();
      assertEquals(PONG, pong.opcode());
      assertEquals("again", pong.text());
    }
  }

  // ---- (b) what came before a violation ----

  @ParameterizedTest
  @EnumSource(Path.class)
  void messagesWrittenTogetherWithAViolationAreBroadcastAndEchoedBeforeThe1002(Path path)
      throws Exception {
    try (Server server = path.start("lobby.http.close-timeout = 30s")) {
      String room = "together";
      JdkClient witness = server.classic(room);
      witness.welcomeId();
      try (RawClient raw = server.raw(room)) {
        String rawId = welcomeId(raw);
        witness.expect(rawId + " just joined!");

        raw.sendBytes(
            concat(
                RawClient.frame(TEXT, utf8("first"), true, true, 0),
                RawClient.frame(TEXT, utf8("last words"), true, true, 0),
                RawClient.frame(TEXT, utf8("unmasked"), true, false, 0),
                RawClient.frame(TEXT, utf8("never"), true, true, 0)));

        for (String msg : new String[] {"first", "last words"}) {
          String expected = classicMessage(rawId, msg, room);
          witness.expect(expected);
          RawClient.Frame echo = raw.readFrameSkippingPings();
          assertEquals(TEXT, echo.opcode());
          assertEquals(expected, echo.text());
        }
        RawClient.Frame close = raw.readFrameSkippingPings();
        assertEquals(CLOSE, close.opcode());
        assertEquals(1002, close.closeCode());
        // A violation ends the connection after our Close, without waiting for the client's.
        raw.millisUntilEof(Duration.ofSeconds(2));
        witness.expect(rawId + " disconnected.");
        witness.expectNothing();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void aMessageWrittenTogetherWithInvalidUtf8IsBroadcastAndEchoedBeforeThe1007(Path path)
      throws Exception {
    try (Server server = path.start("")) {
      String room = "together-utf8";
      JdkClient witness = server.classic(room);
      witness.welcomeId();
      try (RawClient raw = server.raw(room)) {
        String rawId = welcomeId(raw);
        witness.expect(rawId + " just joined!");

        raw.sendBytes(
            concat(
                RawClient.frame(TEXT, utf8("caf\u00e9"), true, true, 0),
                RawClient.frame(TEXT, new byte[] {'o', 'k', (byte) 0xC3, 0x28}, true, true, 0)));

        String expected = classicMessage(rawId, "caf\u00e9", room);
        witness.expect(expected);
        assertEquals(expected, raw.readFrameSkippingPings().text());
        assertEquals(1007, raw.readFrameSkippingPings().closeCode());
        witness.expect(rawId + " disconnected.");
      }
    }
  }

  // ---- (c) rejected from the header ----

  @ParameterizedTest
  @EnumSource(Path.class)
  void aMessageTooBigByItsHeaderIsClosedWith1009AndTheServerCarriesOn(Path path) throws Exception {
    try (Server server = path.start("")) {
      String room = "too-big";
      JdkClient witness = server.classic(room);
      String witnessId = witness.welcomeId();
      try (RawClient raw = server.raw(room)) {
        String rawId = welcomeId(raw);
        witness.expect(rawId + " just joined!");

        // 1 MiB announced (the limit is 64 KiB), then some of it, a little at a time.
        raw.sendBytes(RawClient.header(TEXT, true, true, 1 << 20, new byte[] {1, 2, 3, 4}));
        for (int i = 0; i < 8; i++) {
          Thread.sleep(20);
          try {
            raw.sendBytes("x".repeat(1000).getBytes(StandardCharsets.US_ASCII));
          } catch (IOException e) {
            // The lean path half-closes and reads on until the client's FIN, so a client still
            // sending is never reset. Pekko HTTP binds with halfClose = false: once the frame
            // handler is done the whole connection closes, and bytes still coming are answered
            // with a reset (the Close frame before it can still be read, on Linux at least).
            assertEquals(Path.ROUTES, path, "the lean path reset a client still sending: " + e);
            break;
          }
        }

        RawClient.Frame close = raw.readFrameSkippingPings();
        assertEquals(CLOSE, close.opcode());
        assertEquals(1009, close.closeCode());
        raw.millisUntilEof(Duration.ofSeconds(5));
        witness.expect(rawId + " disconnected.");
      }
      // The server carries on: a newcomer joins, and both chat.
      JdkClient newcomer = server.classic(room);
      String newcomerId = newcomer.welcomeId();
      witness.expect(newcomerId + " just joined!");
      newcomer.send("hello");
      witness.expect(classicMessage(newcomerId, "hello", room));
      newcomer.expect(classicMessage(newcomerId, "hello", room));
      witness.send("welcome");
      newcomer.expect(classicMessage(witnessId, "welcome", room));
    }
  }

  // ---- 1002 on both paths ----

  @ParameterizedTest
  @EnumSource(Path.class)
  void everyFramingViolationClosesWith1002(Path path) throws Exception {
    byte[] hello = utf8("hello");
    byte[][] violations = {
      RawClient.frame(TEXT, hello, true, false, 0), // unmasked
      RawClient.frame(TEXT, hello, true, true, 4), // a reserved bit
      RawClient.frame(0x3, hello, true, true, 0), // an unknown opcode
      RawClient.frame(0x0, hello, true, true, 0), // a continuation without a message
      RawClient.frame(PING, new byte[126], true, true, 0), // a control frame over 125 bytes
      RawClient.frame(PING, hello, false, true, 0), // a fragmented control frame
      concat(
          RawClient.frame(TEXT, hello, false, true, 0),
          RawClient.frame(TEXT, hello, true, true, 0)), // a new message inside a fragmented one
    };
    try (Server server = path.start("")) {
      for (int i = 0; i < violations.length; i++) {
        try (RawClient raw = server.raw("violation-" + i)) {
          welcomeId(raw);
          raw.sendBytes(violations[i]);
          RawClient.Frame close = raw.readFrameSkippingPings();
          assertEquals(CLOSE, close.opcode(), "violation " + i);
          assertEquals(1002, close.closeCode(), "violation " + i);
        }
      }
    }
  }

  // ---- (d), (e), (f) the client's Close ----

  @ParameterizedTest
  @EnumSource(Path.class)
  void aBadCloseIsAnsweredWith1002AndTheServerEndsTheConnectionAtOnce(Path path) throws Exception {
    byte[][] badCloses = {
      {0x03, (byte) 0xED}, // 1005, which no Close frame may carry
      {0x03}, // a one-byte payload
      {0x03, (byte) 0xEE, 'x'}, // 1006
      {0x00, 0x00},
    };
    // Were the server to wait for the client's Close, it would wait 30 s.
    try (Server server = path.start("lobby.http.close-timeout = 30s")) {
      for (int i = 0; i < badCloses.length; i++) {
        byte[] payload = badCloses[i];
        try (RawClient raw = server.raw("bad-close-" + i)) {
          welcomeId(raw);
          long start = System.nanoTime();
          raw.sendFrame(CLOSE, payload, true, true, 0);
          RawClient.Frame close = raw.readFrameSkippingPings();
          assertEquals(CLOSE, close.opcode());
          assertEquals(1002, close.closeCode());
          raw.millisUntilEof(Duration.ofSeconds(2));
          long ms = (System.nanoTime() - start) / 1_000_000;
          assertTrue(ms < 2000, "connection ended " + ms + " ms after the bad Close");
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void theClientsCloseCodeIsEchoedAndTheConnectionEnds(Path path) throws Exception {
    try (Server server = path.start("lobby.http.close-timeout = 30s")) {
      for (int code : new int[] {4000, 1000, 1001, 3000, 4999}) {
        try (RawClient raw = server.raw("closing-" + code)) {
          welcomeId(raw);
          raw.sendClose(code);
          RawClient.Frame close = raw.readFrameSkippingPings();
          assertEquals(CLOSE, close.opcode());
          assertEquals(code, close.closeCode());
          raw.millisUntilEof(Duration.ofSeconds(2));
        }
      }
      try (RawClient raw = server.raw("closing-empty")) {
        welcomeId(raw);
        raw.sendFrame(CLOSE, new byte[0], true, true, 0);
        assertEquals(
            1000, raw.readFrameSkippingPings().closeCode(), "an empty Close is answered 1000");
        raw.millisUntilEof(Duration.ofSeconds(2));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void aCloseReasonThatIsNotUtf8IsAnsweredWith1007(Path path) throws Exception {
    try (Server server = path.start("lobby.http.close-timeout = 30s")) {
      byte[][] reasons = {
        {(byte) 0xFF}, {'b', 'y', 'e', (byte) 0xC3}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}
      };
      for (int i = 0; i < reasons.length; i++) {
        byte[] reason = reasons[i];
        try (RawClient raw = server.raw("bad-reason-" + i)) {
          welcomeId(raw);
          raw.sendFrame(CLOSE, concat(new byte[] {0x03, (byte) 0xE8}, reason), true, true, 0);
          RawClient.Frame close = raw.readFrameSkippingPings();
          assertEquals(CLOSE, close.opcode());
          assertEquals(1007, close.closeCode());
          raw.millisUntilEof(Duration.ofSeconds(2));
        }
      }
    }
  }
}
