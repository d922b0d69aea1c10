package io.github.lobby.http.internal.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The opcodes of RFC 6455 section 5.2 and which of them are control frames. */
class WsFrameTest {

  @Test
  void theOpcodesAreRfc6455s() {
    assertEquals(0x0, WsFrame.CONTINUATION);
    assertEquals(0x1, WsFrame.TEXT);
    assertEquals(0x2, WsFrame.BINARY);
    assertEquals(0x8, WsFrame.CLOSE);
    assertEquals(0x9, WsFrame.PING);
    assertEquals(0xA, WsFrame.PONG);
    assertEquals(1005, WsFrame.NO_STATUS);
  }

  @Test
  void closePingAndPongAreControlFramesAndDataFramesAreNot() {
    assertTrue(WsFrame.isControl(WsFrame.CLOSE));
    assertTrue(WsFrame.isControl(WsFrame.PING));
    assertTrue(WsFrame.isControl(WsFrame.PONG));
    assertFalse(WsFrame.isControl(WsFrame.TEXT));
    assertFalse(WsFrame.isControl(WsFrame.BINARY));
    assertFalse(WsFrame.isControl(WsFrame.CONTINUATION));
    assertFalse(WsFrame.isControl(0x3), "a reserved data opcode");
  }
}
