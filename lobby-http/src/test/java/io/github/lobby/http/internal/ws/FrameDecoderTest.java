package io.github.lobby.http.internal.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.lobby.http.CompressionSettings;
import io.github.lobby.http.internal.deflate.Compression;
import io.github.lobby.http.internal.deflate.MessageInflater;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.Deflater;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The RFC 6455 rules for client input, without sockets: masked client frames built by hand, fed to
 * a {@link FrameDecoder} every way its two paths deliver them. Raw bytes ({@link
 * FrameDecoder#feed}) in one chunk, byte by byte and in random chunks; frames as Pekko HTTP's
 * engine parses them ({@link FrameDecoder#frameStart}, {@link FrameDecoder#frameData}), whole and
 * one payload byte per part. Every way must give exactly the same events.
 */
class FrameDecoderTest {

  /** max-message-bytes of most tests: small, so that byte-by-byte feeding stays cheap. */
  private static final int MAX = 1024;

  private static final int MASK = 0x5A3C96E1;

  // ---- frames as a client writes them ----

  /**
   * One client frame.
   *
   * @param length the length its header declares (may be more than {@code payload}: the rest is
   *     never sent)
   * @param lengthBytes 0, 2 or 8: how the header encodes the length
   * @param payload the payload bytes sent, unmasked
   */
  private record ClientFrame(
      int opcode,
      boolean fin,
      int rsv,
      boolean masked,
      long length,
      int lengthBytes,
      byte[] payload) {

    static ClientFrame of(int opcode, boolean fin, byte[] payload) {
      return new ClientFrame(
          opcode, fin, 0, true, payload.length, lengthBytes(payload.length), payload);
    }

    ClientFrame unmasked() {
      return new ClientFrame(opcode, fin, rsv, false, length, lengthBytes, payload);
    }

    ClientFrame rsv(int bits) {
      return new ClientFrame(opcode, fin, bits, masked, length, lengthBytes, payload);
    }

    ClientFrame notFinal() {
      return new ClientFrame(opcode, false, rsv, masked, length, lengthBytes, payload);
    }

    /**
     * The same payload bytes under a header that declares {@code declared} (the rest never comes).
     */
    ClientFrame declaring(long declared) {
      return new ClientFrame(opcode, fin, rsv, masked, declared, lengthBytes(declared), payload);
    }

    /** The same frame with its length in the 64-bit form. */
    ClientFrame longLength() {
      return new ClientFrame(opcode, fin, rsv, masked, length, 8, payload);
    }

    private static int lengthBytes(long length) {
      return length >= 0 && length < 126 ? 0 : length >= 0 && length < 65536 ? 2 : 8;
    }

    int headerLength() {
      return 2 + lengthBytes + (masked ? 4 : 0);
    }

    /** The payload as sent: masked when the frame is. */
    byte[] wirePayload() {
      byte[] body = payload.clone();
      if (masked) {
        for (int i = 0; i < body.length; i++) {
          body[i] ^= (byte) (MASK >>> (24 - 8 * (i & 3)));
        }
      }
      return body;
    }

    byte[] bytes() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write((fin ? 0x80 : 0) | (rsv << 4) | opcode);
      int maskBit = masked ? 0x80 : 0;
      if (lengthBytes == 0) {
        out.write(maskBit | (int) length);
      } else if (lengthBytes == 2) {
        out.write(maskBit | 126);
        out.write((int) (length >>> 8) & 0xff);
        out.write((int) length & 0xff);
      } else {
        out.write(maskBit | 127);
        for (int shift = 56; shift >= 0; shift -= 8) {
          out.write((int) (length >>> shift) & 0xff);
        }
      }
      if (masked) {
        for (int shift = 24; shift >= 0; shift -= 8) {
          out.write((MASK >>> shift) & 0xff);
        }
      }
      out.writeBytes(wirePayload());
      return out.toByteArray();
    }
  }

  private static ClientFrame text(String text) {
    return ClientFrame.of(WsFrame.TEXT, true, utf8(text));
  }

  private static ClientFrame text(boolean fin, byte[] payload) {
    return ClientFrame.of(WsFrame.TEXT, fin, payload);
  }

  private static ClientFrame binary(boolean fin, byte[] payload) {
    return ClientFrame.of(WsFrame.BINARY, fin, payload);
  }

  private static ClientFrame continuation(boolean fin, byte[] payload) {
    return ClientFrame.of(WsFrame.CONTINUATION, fin, payload);
  }

  private static ClientFrame ping(String payload) {
    return ClientFrame.of(WsFrame.PING, true, utf8(payload));
  }

  private static ClientFrame control(int opcode, int length) {
    return ClientFrame.of(opcode, true, new byte[length]);
  }

  private static ClientFrame close(byte[] payload) {
    return ClientFrame.of(WsFrame.CLOSE, true, payload);
  }

  private static ClientFrame close(int code, byte... reason) {
    byte[] payload = new byte[2 + reason.length];
    payload[0] = (byte) (code >> 8);
    payload[1] = (byte) code;
    System.arraycopy(reason, 0, payload, 2, reason.length);
    return close(payload);
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  private static byte[] wire(List<ClientFrame> frames) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ClientFrame frame : frames) {
      out.writeBytes(frame.bytes());
    }
    return out.toByteArray();
  }

  // ---- what the decoder says ----

  /** Records every call of the handler, as text. */
  private static class Recorder implements FrameDecoder.Handler {
    final List<String> events = new ArrayList<>();

    @Override
    public void onText(String text) {
      events.add("text " + text);
    }

    @Override
    public void onBinary(ByteString data) {
      StringBuilder hex = new StringBuilder("binary");
      for (byte b : data.toArray()) {
        hex.append(String.format(" %02x", b & 0xff));
      }
      events.add(hex.toString());
    }

    @Override
    public void onPing(ByteString payload) {
      events.add("ping " + payload.utf8String());
    }

    @Override
    public void onPong() {
      events.add("pong");
    }

    @Override
    public void onClose(int code) {
      events.add("close " + code);
    }

    @Override
    public void onViolation(int code, String reason, boolean inCloseFrame) {
      events.add("violation " + code + (inCloseFrame ? " in close frame" : ""));
    }
  }

  /** The ways the two paths hand input to the decoder. */
  private enum Way {
    ONE_CHUNK,
    BYTE_BY_BYTE,
    RANDOM_CHUNKS,
    ENGINE_WHOLE_FRAMES,
    ENGINE_BYTE_PARTS
  }

  private static List<String> decode(Way way, int max, List<ClientFrame> frames) {
    return decode(way, max, frames, null);
  }

  /** With {@code inflater}, as on a connection that negotiated permessage-deflate. */
  private static List<String> decode(
      Way way, int max, List<ClientFrame> frames, MessageInflater inflater) {
    Recorder recorder = new Recorder();
    FrameDecoder decoder = new FrameDecoder(max, inflater, recorder);
    switch (way) {
      case ONE_CHUNK -> decoder.feed(ByteString.fromArray(wire(frames)));
      case BYTE_BY_BYTE -> {
        for (byte b : wire(frames)) {
          decoder.feed(ByteString.fromArray(new byte[] {b}));
        }
      }
      case RANDOM_CHUNKS -> {
        byte[] all = wire(frames);
        Random random = new Random(all.length);
        int at = 0;
        while (at < all.length) {
          int n = Math.min(all.length - at, 1 + random.nextInt(7));
          decoder.feed(ByteString.fromArray(all, at, n));
          at += n;
        }
      }
      case ENGINE_WHOLE_FRAMES, ENGINE_BYTE_PARTS -> {
        for (ClientFrame frame : frames) {
          engine(decoder, frame, way == Way.ENGINE_BYTE_PARTS);
        }
      }
    }
    return recorder.events;
  }

  /** Hands one frame over as Pekko HTTP's engine does: a start with the header, then data parts. */
  private static void engine(FrameDecoder decoder, ClientFrame frame, boolean bytewise) {
    byte[] data = frame.wirePayload();
    boolean complete = data.length == frame.length();
    int first = bytewise ? Math.min(1, data.length) : data.length;
    decoder.frameStart(
        frame.opcode(),
        frame.fin(),
        frame.rsv() << 4,
        frame.masked(),
        frame.masked() ? MASK : 0,
        frame.length(),
        ByteString.fromArray(data, 0, first),
        complete && first == data.length);
    for (int i = first; i < data.length; i++) {
      decoder.frameData(ByteString.fromArray(data, i, 1), complete && i == data.length - 1);
    }
  }

  /**
   * Feeds {@code frames} every way and checks that each gives exactly {@code expected}. When the
   * input ends the decoder's input (a violation or a Close), a valid text frame, fed after it in
   * the same input, must change nothing.
   */
  private static void assertEvents(int max, List<ClientFrame> frames, String... expected) {
    List<ClientFrame> input = new ArrayList<>(frames);
    String last = expected.length == 0 ? "" : expected[expected.length - 1];
    if (last.startsWith("violation") || last.startsWith("close")) {
      input.add(text("after the end"));
      input.add(ping("after the end"));
    }
    for (Way way : Way.values()) {
      assertEquals(List.of(expected), decode(way, max, input), way.name());
    }
  }

  private static void assertEvents(List<ClientFrame> frames, String... expected) {
    assertEvents(MAX, frames, expected);
  }

  // ---- permessage-deflate ----

  private static final Compression COMPRESSION = new Compression(CompressionSettings.DEFAULT);

  /** Raw deflate with a sync flush, the tail removed, as a client compresses a message. */
  private static byte[] deflate(Deflater deflater, byte[] data) {
    deflater.setInput(data);
    byte[] out = new byte[data.length + 64];
    int n = deflater.deflate(out, 0, out.length, Deflater.SYNC_FLUSH);
    return Arrays.copyOf(out, n - 4);
  }

  private static byte[] deflate(byte[] data) {
    Deflater deflater = new Deflater(6, true);
    try {
      return deflate(deflater, data);
    } finally {
      deflater.end();
    }
  }

  /** Like {@link #assertEvents} on a connection that negotiated permessage-deflate. */
  private static void assertDeflateEvents(
      int max, boolean contextTakeover, List<ClientFrame> frames, String... expected) {
    List<ClientFrame> input = new ArrayList<>(frames);
    String last = expected.length == 0 ? "" : expected[expected.length - 1];
    if (last.startsWith("violation") || last.startsWith("close")) {
      input.add(text("after the end"));
    }
    for (Way way : Way.values()) {
      assertEquals(
          List.of(expected),
          decode(way, max, input, new MessageInflater(COMPRESSION, contextTakeover)),
          way.name());
    }
  }

  @Test
  void aCompressedTextMessageIsInflated() {
    String message = "compressed ".repeat(50) + "😀";
    assertDeflateEvents(
        MAX, false, List.of(text(true, deflate(utf8(message))).rsv(4)), "text " + message);
  }

  @Test
  void aCompressedMessageMayBeFragmentedWithRsv1OnItsFirstFrameOnly() {
    byte[] compressed = deflate(utf8("fragmented ".repeat(40)));
    int half = compressed.length / 2;
    assertDeflateEvents(
        MAX,
        true,
        List.of(
            text(false, Arrays.copyOf(compressed, half)).rsv(4),
            ping("between"),
            continuation(true, Arrays.copyOfRange(compressed, half, compressed.length)),
            text("plain after")),
        "ping between",
        "text " + "fragmented ".repeat(40),
        "text plain after");
  }

  @Test
  void compressedMessagesWithContextTakeoverReferToTheEarlierOnes() {
    Deflater client = new Deflater(6, true);
    byte[] first = deflate(client, utf8("the same words again and again"));
    byte[] second = deflate(client, utf8("the same words again and again"));
    client.end();
    assertTrue(second.length < first.length, "the second refers back to the first");
    assertDeflateEvents(
        MAX,
        true,
        List.of(text(true, first).rsv(4), text(true, second).rsv(4)),
        "text the same words again and again",
        "text the same words again and again");
  }

  @Test
  void aCompressedBinaryMessageIsInflated() {
    assertDeflateEvents(
        MAX, false, List.of(binary(true, deflate(bytes(1, 2, 3))).rsv(4)), "binary 01 02 03");
  }

  @Test
  void rsv1WithoutNegotiationIsAProtocolError() {
    assertEvents(List.of(text(true, deflate(utf8("x"))).rsv(4)), "violation 1002");
  }

  @Test
  void rsv1OnAControlFrameIsAProtocolError() {
    assertDeflateEvents(MAX, true, List.of(ping("x").rsv(4)), "violation 1002");
    assertDeflateEvents(MAX, true, List.of(close(1000).rsv(4)), "violation 1002 in close frame");
  }

  @Test
  void rsv1OnAContinuationFrameIsAProtocolError() {
    byte[] compressed = deflate(utf8("fragmented ".repeat(40)));
    assertDeflateEvents(
        MAX,
        true,
        List.of(
            text(false, Arrays.copyOf(compressed, 10)).rsv(4),
            continuation(true, Arrays.copyOfRange(compressed, 10, compressed.length)).rsv(4)),
        "violation 1002");
  }

  @Test
  void rsv2AndRsv3StayProtocolErrorsWithDeflate() {
    assertDeflateEvents(MAX, true, List.of(text("x").rsv(2)), "violation 1002");
    assertDeflateEvents(MAX, true, List.of(text("x").rsv(1)), "violation 1002");
  }

  @Test
  void aCompressedMessageThatInflatesBeyondTheMaximumIs1009() {
    // 512 KB of zeros deflate to about 512 bytes, under MAX as sent; inflated, 512 times over.
    byte[] bomb = deflate(new byte[512 * 1024]);
    assertTrue(bomb.length <= MAX, bomb.length + " bytes");
    assertDeflateEvents(MAX, false, List.of(binary(true, bomb).rsv(4)), "violation 1009");
    assertDeflateEvents(MAX, true, List.of(binary(true, bomb).rsv(4)), "violation 1009");
    // One byte over is too big, however the inflation ends.
    assertDeflateEvents(
        MAX,
        false,
        List.of(text(true, deflate(utf8("a".repeat(MAX + 1)))).rsv(4)),
        "violation 1009");
    assertDeflateEvents(
        MAX,
        true,
        List.of(text(true, deflate(utf8("a".repeat(MAX + 1)))).rsv(4)),
        "violation 1009");
    // Exactly the maximum inflated is allowed.
    assertDeflateEvents(
        MAX,
        false,
        List.of(text(true, deflate(utf8("a".repeat(MAX)))).rsv(4)),
        "text " + "a".repeat(MAX));
  }

  @Test
  void invalidUtf8AfterInflationIs1007() {
    assertDeflateEvents(
        MAX, false, List.of(text(true, deflate(bytes(0x61, 0xc3, 0x28))).rsv(4)), "violation 1007");
    assertDeflateEvents(
        MAX, false, List.of(text(true, deflate(bytes(0x61, 0xe2, 0x82))).rsv(4)), "violation 1007");
  }

  @Test
  void corruptDeflateDataIs1007() {
    assertDeflateEvents(
        MAX, false, List.of(text(true, bytes(0xff, 1, 2, 3)).rsv(4)), "violation 1007");
    assertDeflateEvents(
        MAX, true, List.of(text(true, bytes(0xff, 1, 2, 3)).rsv(4)), "violation 1007");
  }

  @Test
  void theDecoderReleasesAContextInflaterOnlyWhenOneWasMade() {
    MessageInflater inflater = new MessageInflater(COMPRESSION, true);
    FrameDecoder decoder = new FrameDecoder(MAX, inflater, new Recorder());
    decoder.feed(ByteString.fromArray(text("plain").bytes()));
    assertFalse(inflater.holdsInflater(), "a client that does not compress costs no inflater");
    decoder.feed(ByteString.fromArray(text(true, deflate(utf8("zip"))).rsv(4).bytes()));
    assertTrue(inflater.holdsInflater());
    decoder.release();
    assertFalse(inflater.holdsInflater());
  }

  /**
   * Feeds the raw bytes of {@code frames} one at a time and returns the index of the byte whose
   * arrival produced the first violation, or -1.
   */
  private static int violationAt(int max, List<ClientFrame> frames) {
    Recorder recorder = new Recorder();
    FrameDecoder decoder = new FrameDecoder(max, recorder);
    byte[] all = wire(frames);
    for (int i = 0; i < all.length; i++) {
      decoder.feed(ByteString.fromArray(all, i, 1));
      if (recorder.events.stream().anyMatch(e -> e.startsWith("violation"))) {
        return i;
      }
    }
    return -1;
  }

  // ---- valid input ----

  @Test
  void everyKindOfFrameIsDispatchedInOrder() {
    assertEvents(
        List.of(
            text("hello é €"),
            binary(true, bytes(0, 1, 2, 0xff)),
            ping("are you there"),
            ClientFrame.of(WsFrame.PONG, true, utf8("yes")),
            text(false, utf8("frag")),
            ping("between fragments"),
            continuation(false, new byte[0]),
            continuation(true, utf8("mented")),
            binary(false, bytes(1)),
            continuation(true, bytes(2)),
            text(""),
            binary(true, new byte[0]),
            control(WsFrame.PING, 0),
            text("x".repeat(300)),
            close(1000, utf8("bye"))),
        "text hello é €",
        "binary 00 01 02 ff",
        "ping are you there",
        "pong",
        "ping between fragments",
        "text fragmented",
        "binary 01 02",
        "text ",
        "binary",
        "ping ",
        "text " + "x".repeat(300),
        "close 1000");
  }

  @Test
  void aPingOfExactly125BytesIsAccepted() {
    String payload = "p".repeat(125);
    assertEvents(List.of(ping(payload)), "ping " + payload);
  }

  @Test
  void aMessageOfExactlyTheLimitIsAcceptedWholeOrInFragments() {
    String limit = "y".repeat(MAX);
    assertEvents(List.of(text(limit)), "text " + limit);
    assertEvents(
        List.of(
            text(false, utf8("y".repeat(1000))),
            continuation(false, utf8("y".repeat(20))),
            continuation(true, utf8("y".repeat(4)))),
        "text " + limit);
  }

  // ---- framing: 1002 ----

  @Test
  void reservedBitsClose1002() {
    for (int bits : new int[] {1, 2, 4, 7}) {
      assertEvents(List.of(text("hi").rsv(bits)), "violation 1002");
      assertEvents(List.of(ping("hi").rsv(bits)), "violation 1002");
      assertEvents(List.of(close(1000).rsv(bits)), "violation 1002 in close frame");
    }
  }

  @Test
  void anUnmaskedFrameCloses1002() {
    assertEvents(List.of(text("hi").unmasked()), "violation 1002");
    assertEvents(List.of(binary(true, bytes(1, 2)).unmasked()), "violation 1002");
    assertEvents(List.of(ping("hi").unmasked()), "violation 1002");
    assertEvents(List.of(close(1000).unmasked()), "violation 1002 in close frame");
    assertEvents(
        List.of(text(false, utf8("a")), continuation(true, utf8("b")).unmasked()),
        "violation 1002");
  }

  @Test
  void unknownOpcodesClose1002() {
    for (int opcode : new int[] {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
      assertEvents(List.of(ClientFrame.of(opcode, true, utf8("?"))), "violation 1002");
    }
  }

  @Test
  void aFragmentedControlFrameCloses1002() {
    assertEvents(List.of(ping("part").notFinal()), "violation 1002");
    assertEvents(List.of(control(WsFrame.PONG, 2).notFinal()), "violation 1002");
    assertEvents(List.of(close(1000).notFinal()), "violation 1002 in close frame");
  }

  @Test
  void aControlFrameOver125BytesCloses1002FromItsHeader() {
    assertEvents(List.of(control(WsFrame.PING, 126)), "violation 1002");
    assertEvents(List.of(control(WsFrame.PONG, 126)), "violation 1002");
    assertEvents(List.of(close(1000, new byte[124])), "violation 1002 in close frame");
    // Known from the header: none of the payload is needed, however much is announced.
    ClientFrame hugePing = control(WsFrame.PING, 0).declaring(1L << 40);
    assertEvents(List.of(hugePing), "violation 1002");
    assertEquals(hugePing.headerLength() - 1, violationAt(MAX, List.of(hugePing)));
  }

  @Test
  void aContinuationWithoutAMessageCloses1002() {
    assertEvents(List.of(continuation(true, utf8("stray"))), "violation 1002");
    assertEvents(List.of(continuation(false, utf8("stray"))), "violation 1002");
    assertEvents(
        List.of(text("whole"), continuation(true, utf8("stray"))), "text whole", "violation 1002");
    assertEvents(
        List.of(
            text(false, utf8("a")), continuation(true, utf8("b")), continuation(true, utf8("c"))),
        "text ab",
        "violation 1002");
  }

  @Test
  void aNewDataFrameWhileAFragmentedMessageIsOpenCloses1002() {
    assertEvents(List.of(text(false, utf8("open")), text("new")), "violation 1002");
    assertEvents(List.of(text(false, utf8("open")), binary(true, bytes(1))), "violation 1002");
    assertEvents(List.of(binary(false, bytes(1)), text("new")), "violation 1002");
    assertEvents(
        List.of(text(false, utf8("open")), ping("p"), text(false, utf8("new"))),
        "ping p",
        "violation 1002");
  }

  @Test
  void aSixtyFourBitLengthWithItsTopBitSetCloses1002BeforeAnyPayload() {
    for (long length : new long[] {Long.MIN_VALUE, -1L, Long.MIN_VALUE + 5}) {
      ClientFrame frame = text("abc").declaring(length);
      assertEvents(List.of(frame), "violation 1002");
      assertEvents(List.of(binary(true, bytes(1)).declaring(length)), "violation 1002");
      assertEquals(frame.headerLength() - 1, violationAt(MAX, List.of(frame)));
      // Also where the limit would otherwise let it through: a signed comparison must not.
      assertEvents(Integer.MAX_VALUE, List.of(frame), "violation 1002");
    }
  }

  @Test
  void aCloseFrameWithATopBitLengthIsAViolationInTheCloseFrame() {
    assertEvents(List.of(close(1000).declaring(Long.MIN_VALUE)), "violation 1002 in close frame");
  }

  // ---- message size: 1009 ----

  @Test
  void aMessageOverTheLimitIsRejectedFromItsHeaderWith1009() {
    ClientFrame tooBig = text("z".repeat(MAX + 1));
    assertEvents(List.of(tooBig), "violation 1009");
    assertEquals(tooBig.headerLength() - 1, violationAt(MAX, List.of(tooBig)));
    // Only the header was ever sent.
    ClientFrame announced = text("").declaring(MAX + 1);
    assertEvents(List.of(announced), "violation 1009");
    assertEvents(List.of(binary(true, new byte[0]).declaring(1L << 40)), "violation 1009");
    assertEvents(List.of(text("").declaring(Long.MAX_VALUE)), "violation 1009");
    assertEvents(List.of(text("").declaring(Integer.MAX_VALUE).longLength()), "violation 1009");
  }

  @Test
  void aFragmentedMessageIsRejectedAtTheFirstHeaderThatTakesItOverTheLimit() {
    ClientFrame first = text(false, utf8("f".repeat(1000)));
    ClientFrame second = continuation(false, utf8("f".repeat(20)));
    ClientFrame over = continuation(true, utf8("f".repeat(5)));
    assertEvents(List.of(first, second, over), "violation 1009");
    int overStarts = first.bytes().length + second.bytes().length;
    assertEquals(
        overStarts + over.headerLength() - 1, violationAt(MAX, List.of(first, second, over)));
    assertEvents(
        List.of(binary(false, new byte[MAX]), continuation(true, new byte[0]).declaring(1L << 33)),
        "violation 1009");
  }

  @Test
  void nothingIsBufferedForAMessageRejectedFromItsHeader() {
    java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    assumeTrue(threads instanceof com.sun.management.ThreadMXBean);
    com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) threads;
    assumeTrue(
        counter.isThreadAllocatedMemorySupported() && counter.isThreadAllocatedMemoryEnabled());
    long thread = Thread.currentThread().getId();
    int max = 16 << 20;
    Recorder recorder = new Recorder();
    FrameDecoder decoder = new FrameDecoder(max, recorder);
    ByteString header = ByteString.fromArray(text("").declaring(64L << 20).bytes());

    long before = counter.getThreadAllocatedBytes(thread);
    decoder.feed(header);
    long allocated = counter.getThreadAllocatedBytes(thread) - before;

    assertEquals(List.of("violation 1009"), recorder.events);
    assertFalse(decoder.inMessage());
    assertTrue(allocated < 64 * 1024, "allocated " + allocated + " bytes for a rejected message");
  }

  @Test
  void aFrameRejectedFromItsHeaderMayGoOnArrivingInManyReads() {
    List<ClientFrame> rejected =
        List.of(
            text("t".repeat(2000)),
            control(WsFrame.PING, 200),
            ClientFrame.of(0x3, true, new byte[300]),
            text("u".repeat(300)).unmasked(),
            text("v".repeat(300)).rsv(4),
            close(1000, new byte[300]),
            text("w".repeat(300)).declaring(Long.MIN_VALUE),
            continuation(true, new byte[300]));
    for (ClientFrame frame : rejected) {
      for (int chunk : new int[] {1, 2, 3, 7, 64}) {
        Recorder recorder = new Recorder();
        FrameDecoder decoder = new FrameDecoder(MAX, recorder);
        byte[] all = concat(frame.bytes(), text("after").bytes());
        for (int at = 0; at < all.length; at += chunk) {
          decoder.feed(ByteString.fromArray(all, at, Math.min(chunk, all.length - at)));
        }
        assertEquals(1, recorder.events.size(), recorder.events.toString());
        assertTrue(recorder.events.get(0).startsWith("violation"), recorder.events.toString());
        assertTrue(decoder.ended());
      }
    }
  }

  // ---- UTF-8: 1007 ----

  /** Byte sequences that are invalid at their last byte, whatever follows. */
  private static final int[][] INVALID_AT_LAST_BYTE = {
    {0x80}, // a continuation byte without a start
    {0xBF},
    {0xC0}, // overlong two-byte starts
    {0xC1},
    {0xF5}, // above U+10FFFF
    {0xFF},
    {0xC3, 0x28}, // a start without its continuation
    {0xE2, 0x82, 0x28},
    {0xE0, 0x80}, // an overlong three-byte form
    {0xE0, 0x9F},
    {0xED, 0xA0}, // a surrogate (U+D800)
    {0xED, 0xBF},
    {0xF0, 0x80}, // an overlong four-byte form
    {0xF0, 0x8F},
    {0xF4, 0x90}, // above U+10FFFF
    {0xF0, 0x9F, 0x98, 0x41},
  };

  @Test
  void invalidUtf8Closes1007AtTheFirstBadByteBeforeTheMessageEnds() {
    for (int[] bad : INVALID_AT_LAST_BYTE) {
      byte[] payload = concat(utf8("ok é "), bytes(bad));
      // The header announces more than is ever sent: the decoder must not wait for the end.
      ClientFrame open = text(true, payload).declaring(payload.length + 100);
      assertEvents(List.of(open), "violation 1007");
      assertEquals(
          open.headerLength() + payload.length - 1,
          violationAt(MAX, List.of(open)),
          Arrays.toString(bad));
      assertEvents(List.of(text(true, payload)), "violation 1007");
    }
  }

  @Test
  void invalidUtf8InALaterFragmentCloses1007AtTheFirstBadByte() {
    for (int[] bad : INVALID_AT_LAST_BYTE) {
      ClientFrame first = text(false, utf8("abc"));
      byte[] payload = concat(utf8("de"), bytes(bad));
      ClientFrame later = continuation(false, payload).declaring(payload.length + 50);
      List<ClientFrame> frames = List.of(first, ping("p"), later);
      assertEvents(frames, "ping p", "violation 1007");
      assertEquals(wire(frames).length - 1, violationAt(MAX, frames), Arrays.toString(bad));
    }
  }

  @Test
  void aCharacterBrokenAcrossFragmentsCloses1007AtItsFirstBadByte() {
    // E2 82 is a valid start of a three-byte character; the next fragment breaks it.
    ClientFrame first = text(false, bytes('a', 0xE2, 0x82));
    ClientFrame second = continuation(true, bytes(0x28, 'b', 'c')).declaring(10);
    assertEvents(List.of(first, second), "violation 1007");
    assertEquals(
        first.bytes().length + second.headerLength(), violationAt(MAX, List.of(first, second)));
  }

  @Test
  void aValidCharacterSplitAcrossFragmentsIsAccepted() {
    for (String character :
        List.of("é", "€", "😀", "\uFFFD", "\u0800", "\uD7FF", "\uE000", "\uDBFF\uDFFF")) {
      byte[] c = utf8(character);
      for (int cut = 1; cut < c.length; cut++) {
        assertEvents(
            List.of(
                text(false, concat(utf8("<"), Arrays.copyOfRange(c, 0, cut))),
                ping("between"),
                continuation(true, concat(Arrays.copyOfRange(c, cut, c.length), utf8(">")))),
            "ping between",
            "text <" + character + ">");
      }
      // One byte per fragment.
      List<ClientFrame> frames = new ArrayList<>();
      frames.add(text(false, new byte[0]));
      for (byte b : c) {
        frames.add(continuation(false, new byte[] {b}));
      }
      frames.add(continuation(true, new byte[0]));
      assertEvents(frames, "text " + character);
    }
  }

  @Test
  void aValidCharacterSplitAcrossFeedCallsIsAccepted() {
    byte[] all = text("x😀y€z").bytes();
    for (int cut = 1; cut < all.length; cut++) {
      Recorder recorder = new Recorder();
      FrameDecoder decoder = new FrameDecoder(MAX, recorder);
      decoder.feed(ByteString.fromArray(all, 0, cut));
      decoder.feed(ByteString.fromArray(all, cut, all.length - cut));
      assertEquals(List.of("text x😀y€z"), recorder.events, "cut at " + cut);
    }
  }

  @Test
  void anIncompleteCharacterAtTheEndOfAMessageCloses1007() {
    assertEvents(List.of(text(true, bytes('a', 0xC3))), "violation 1007");
    assertEvents(List.of(text(true, bytes('a', 0xF0, 0x9F, 0x98))), "violation 1007");
    assertEvents(
        List.of(text(false, bytes('a', 0xE2, 0x82)), continuation(true, new byte[0])),
        "violation 1007");
    assertEvents(
        List.of(text(false, bytes('a')), ping("p"), continuation(true, bytes(0xE2))),
        "ping p",
        "violation 1007");
  }

  @Test
  void binaryMessagesAreNotCheckedForUtf8() {
    assertEvents(List.of(binary(true, bytes(0xC3, 0x28, 0xFF))), "binary c3 28 ff");
  }

  // ---- Close frames ----

  @Test
  void anEmptyCloseGivesNoStatus() {
    assertEvents(List.of(close(new byte[0])), "close " + WsFrame.NO_STATUS);
  }

  @Test
  void aOneByteClosePayloadCloses1002() {
    assertEvents(List.of(close(bytes(0x03))), "violation 1002 in close frame");
  }

  @ParameterizedTest
  @ValueSource(
      ints = {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 9999, 65535})
  void aCloseCodeThatIsNotAllowedCloses1002(int code) {
    assertEvents(List.of(close(code)), "violation 1002 in close frame");
    assertEvents(List.of(close(code, utf8("reason"))), "violation 1002 in close frame");
  }

  @ParameterizedTest
  @ValueSource(
      ints = {
        1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000,
        4999
      })
  void anAllowedCloseCodeIsAccepted(int code) {
    assertEvents(List.of(close(code)), "close " + code);
    assertEvents(List.of(close(code, utf8("fine, thanks é 😀"))), "close " + code);
  }

  @Test
  void aCloseReasonThatIsNotUtf8Closes1007() {
    assertEvents(List.of(close(1000, bytes(0xFF))), "violation 1007 in close frame");
    assertEvents(
        List.of(close(1000, bytes('o', 'k', 0xC3, 0x28))), "violation 1007 in close frame");
    assertEvents(List.of(close(1000, bytes(0xED, 0xA0, 0x80))), "violation 1007 in close frame");
    assertEvents(
        List.of(close(4000, bytes('o', 'k', 0xE2, 0x82))), "violation 1007 in close frame");
  }

  @Test
  void aCloseMayArriveInTheMiddleOfAFragmentedMessage() {
    assertEvents(List.of(text(false, utf8("never ")), close(1001)), "close 1001");
  }

  // ---- the end of the input ----

  @Test
  void nothingIsDispatchedAfterAViolation() {
    assertEvents(
        List.of(
            text("before"),
            text("bad").unmasked(),
            text("after"),
            binary(true, bytes(1)),
            ping("after"),
            close(1000),
            text("hi").rsv(1)),
        "text before",
        "violation 1002");
    // Later input, on either path, is ignored without a failure.
    Recorder recorder = new Recorder();
    FrameDecoder decoder = new FrameDecoder(MAX, recorder);
    decoder.feed(ByteString.fromArray(text(true, bytes(0xFF)).bytes()));
    decoder.feed(ByteString.fromArray(wire(List.of(text("later"), ping("later"), close(1000)))));
    decoder.frameStart(WsFrame.TEXT, true, 0, true, 0, 1, ByteString.fromArray(bytes('x')), true);
    decoder.frameData(ByteString.fromArray(bytes('y')), true);
    decoder.frameStart(WsFrame.CLOSE, true, 0, true, 0, 0, ByteString.emptyByteString(), true);
    assertEquals(List.of("violation 1007"), recorder.events);
    assertTrue(decoder.ended());
  }

  @Test
  void nothingIsDispatchedAfterAClose() {
    assertEvents(
        List.of(
            text("before"),
            close(1000),
            text("after"),
            ping("after"),
            text("bad").unmasked(),
            close(1001)),
        "text before",
        "close 1000");
    Recorder recorder = new Recorder();
    FrameDecoder decoder = new FrameDecoder(MAX, recorder);
    decoder.feed(ByteString.fromArray(close(new byte[0]).bytes()));
    assertTrue(decoder.ended());
    decoder.feed(ByteString.fromArray(wire(List.of(text("later"), continuation(true, bytes(1))))));
    decoder.frameStart(0x3, true, 0x40, false, 0, 1, ByteString.fromArray(bytes('x')), true);
    assertEquals(List.of("close 1005"), recorder.events);
  }

  @Test
  void messagesBeforeAViolationInTheSameInputAreDispatchedFirst() {
    assertEvents(
        List.of(
            text("first"),
            binary(true, bytes(7)),
            ping("p"),
            text("second"),
            text("bad").unmasked()),
        "text first",
        "binary 07",
        "ping p",
        "text second",
        "violation 1002");
    assertEvents(
        List.of(text("first"), text(true, bytes(0xC0, 0x80))), "text first", "violation 1007");
    assertEvents(List.of(text("first"), text("x".repeat(MAX + 1))), "text first", "violation 1009");
    assertEvents(
        List.of(text("first"), close(1005)), "text first", "violation 1002 in close frame");
  }

  // ---- the engine's entry point, where it differs from raw bytes ----

  @Test
  void theEnginePathTakesAFrameInPartsAndKeepsTheMaskPosition() {
    Recorder recorder = new Recorder();
    FrameDecoder decoder = new FrameDecoder(MAX, recorder);
    ClientFrame frame = text("a message in odd parts 😀");
    byte[] data = frame.wirePayload();
    decoder.frameStart(
        WsFrame.TEXT, true, 0, true, MASK, data.length, ByteString.fromArray(data, 0, 3), false);
    decoder.frameData(ByteString.fromArray(data, 3, 0), false);
    decoder.frameData(ByteString.fromArray(data, 3, 22), false);
    decoder.frameData(ByteString.fromArray(data, 25, data.length - 25), true);
    assertEquals(List.of("text a message in odd parts 😀"), recorder.events);
    assertFalse(decoder.inMessage());
  }

  @Test
  void theEnginePathRejectsMoreControlBytesThanTheHeaderSaid() {
    Recorder recorder = new Recorder();
    FrameDecoder decoder = new FrameDecoder(MAX, recorder);
    decoder.frameStart(
        WsFrame.PING, true, 0, true, MASK, 2, ByteString.fromArray(bytes(1, 2)), false);
    decoder.frameData(ByteString.fromArray(bytes(3)), true);
    assertEquals(List.of("violation 1002"), recorder.events);
  }

  @Test
  void theEnginePathRejectsAMessageOverTheLimitFromItsFrameStart() {
    Recorder recorder = new Recorder();
    FrameDecoder decoder = new FrameDecoder(MAX, recorder);
    decoder.frameStart(
        WsFrame.BINARY, true, 0, true, MASK, 1L << 40, ByteString.emptyByteString(), false);
    for (int i = 0; i < 100; i++) {
      decoder.frameData(ByteString.fromArray(new byte[4096]), false);
    }
    assertEquals(List.of("violation 1009"), recorder.events);
    assertFalse(decoder.inMessage());
  }

  @Test
  void aPausedDecoderStopsBeforeTheNextFrameAndHandsBackTheRest() {
    Recorder recorder =
        new Recorder() {
          @Override
          public boolean paused() {
            return events.size() >= 2;
          }
        };
    FrameDecoder decoder = new FrameDecoder(MAX, recorder);
    byte[] bytes = wire(List.of(text("a"), text("b"), ping("p"), text("c")));

    ByteString rest = decoder.feed(ByteString.fromArray(bytes));

    assertEquals(List.of("text a", "text b"), recorder.events);
    assertEquals(bytes.length - 2 * text("a").bytes().length, rest.size());
    recorder.events.clear();
    assertEquals(ByteString.emptyByteString(), decoder.feed(rest));
    assertEquals(List.of("ping p", "text c"), recorder.events);
  }

  @Test
  void aPauseWaitsForTheFrameUnderWayToEnd() {
    Recorder recorder =
        new Recorder() {
          @Override
          public boolean paused() {
            return !events.isEmpty();
          }
        };
    FrameDecoder decoder = new FrameDecoder(MAX, recorder);
    byte[] bytes = wire(List.of(text("first"), text("second")));
    int split = text("first").headerLength() + 2; // inside the first frame's payload

    assertEquals(0, decoder.feed(ByteString.fromArray(bytes, 0, split)).size());
    ByteString rest = decoder.feed(ByteString.fromArray(bytes, split, bytes.length - split));

    assertEquals(List.of("text first"), recorder.events);
    assertEquals(text("second").bytes().length, rest.size());
  }
}
