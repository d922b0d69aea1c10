package io.github.lobby.http.internal.ws;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;
import org.junit.jupiter.api.Test;

/** Server frames on the wire: the three length forms, and Close payloads a client can decode. */
class FrameEncoderTest {

  private static byte[] payload(int length) {
    byte[] payload = new byte[length];
    for (int i = 0; i < length; i++) {
      payload[i] = (byte) (i * 31);
    }
    return payload;
  }

  /** Encodes a frame and checks its header bytes, then that the payload follows unchanged. */
  private static void assertFrame(int opcode, int length, int... header) {
    byte[] payload = payload(length);
    byte[] frame = FrameEncoder.frame(opcode, ByteString.fromArray(payload)).toArray();
    byte[] expected = new byte[header.length];
    for (int i = 0; i < header.length; i++) {
      expected[i] = (byte) header[i];
    }
    assertArrayEquals(
        expected, Arrays.copyOf(frame, header.length), "header of a " + length + "-byte frame");
    assertArrayEquals(payload, Arrays.copyOfRange(frame, header.length, frame.length), "payload");
  }

  @Test
  void lengthsUpTo125TakeTheSevenBitForm() {
    assertFrame(WsFrame.TEXT, 0, 0x81, 0);
    assertFrame(WsFrame.BINARY, 1, 0x82, 1);
    assertFrame(WsFrame.PONG, 125, 0x8A, 125);
  }

  @Test
  void lengthsFrom126To65535TakeTheSixteenBitForm() {
    assertFrame(WsFrame.TEXT, 126, 0x81, 126, 0x00, 0x7E);
    assertFrame(WsFrame.TEXT, 300, 0x81, 126, 0x01, 0x2C);
    // Either side of the size up to which the payload is copied behind the header.
    assertFrame(WsFrame.TEXT, 4096, 0x81, 126, 0x10, 0x00);
    assertFrame(WsFrame.TEXT, 4097, 0x81, 126, 0x10, 0x01);
    assertFrame(WsFrame.BINARY, 65535, 0x82, 126, 0xFF, 0xFF);
  }

  @Test
  void lengthsFrom65536TakeTheSixtyFourBitForm() {
    assertFrame(WsFrame.TEXT, 65536, 0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00);
    assertFrame(WsFrame.BINARY, 1_000_000, 0x82, 127, 0, 0, 0, 0, 0, 0x0F, 0x42, 0x40);
  }

  @Test
  void appendPutsWholeFramesOneAfterAnother() {
    ByteStringBuilder out = new ByteStringBuilder();
    FrameEncoder.append(out, WsFrame.PING, ByteString.emptyByteString());
    FrameEncoder.append(out, WsFrame.TEXT, ByteString.fromString("hi"));
    FrameEncoder.append(out, WsFrame.CLOSE, FrameEncoder.closePayload(1000, ""));
    assertArrayEquals(
        new byte[] {(byte) 0x89, 0, (byte) 0x81, 2, 'h', 'i', (byte) 0x88, 2, 0x03, (byte) 0xE8},
        out.result().toArray());
  }

  @Test
  void aClosePayloadIsTheCodeThenTheReason() {
    byte[] payload = FrameEncoder.closePayload(4000, "bye é").toArray();
    assertEquals(4000, ((payload[0] & 0xff) << 8) | (payload[1] & 0xff));
    assertEquals("bye é", new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8));
    assertArrayEquals(
        new byte[] {0x03, (byte) 0xF1}, FrameEncoder.closePayload(1009, "").toArray());
  }

  @Test
  void aLongCloseReasonIsCutOnACharacterBoundary() throws Exception {
    String[] reasons = {
      "é".repeat(100), // two bytes each: 123 would split one
      "€".repeat(60), // three bytes
      "😀".repeat(40), // four bytes
      "a" + "😀".repeat(40), // four bytes, shifted by one
      "ab" + "€".repeat(60),
      "x".repeat(200),
      "x".repeat(122) + "é", // 124 bytes: the é does not fit
      "x".repeat(121) + "é", // exactly 123 bytes: nothing is cut
    };
    for (String reason : reasons) {
      byte[] payload = FrameEncoder.closePayload(1002, reason).toArray();
      assertTrue(payload.length <= 125, payload.length + " bytes for " + reason);
      assertEquals(1002, ((payload[0] & 0xff) << 8) | (payload[1] & 0xff));
      String decoded = strictUtf8(Arrays.copyOfRange(payload, 2, payload.length));
      assertTrue(reason.startsWith(decoded), "a prefix of the reason: " + decoded);
      int full = reason.getBytes(StandardCharsets.UTF_8).length;
      // Nothing is cut that fits, and at most one character's bytes are given up.
      assertTrue(
          payload.length - 2 == Math.min(full, FrameEncoder.MAX_CLOSE_REASON_BYTES)
              || payload.length - 2 > FrameEncoder.MAX_CLOSE_REASON_BYTES - 4,
          (payload.length - 2) + " bytes kept of " + reason);
    }
    assertEquals(124, FrameEncoder.closePayload(1000, "é".repeat(100)).size());
    assertEquals(123, FrameEncoder.closePayload(1000, "x".repeat(121) + "é").size() - 2);
  }

  @Test
  void aLongCloseReasonDecodesInTheServersOwnDecoder() {
    // The client side of the rule: what we send is a Close frame our own rules accept.
    byte[] payload = FrameEncoder.closePayload(1002, "é".repeat(100)).toArray();
    assertTrue(FrameDecoder.validCloseCode(1002));
    Utf8 utf8 = new Utf8();
    assertTrue(utf8.accept(payload, 2, payload.length) && utf8.complete());
  }

  private static String strictUtf8(byte[] bytes) throws CharacterCodingException {
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes))
        .toString();
  }
}
