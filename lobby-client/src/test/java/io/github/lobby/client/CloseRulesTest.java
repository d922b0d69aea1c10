package io.github.lobby.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class CloseRulesTest {

  @Test
  void finalRefusalsByStatus() {
    assertEquals(
        LobbyClientException.BAD_REQUEST, CloseRules.refusal(400, true, null).code());
    assertEquals(LobbyClientException.FORBIDDEN, CloseRules.refusal(403, true, null).code());
    assertEquals(
        LobbyClientException.UNAUTHORIZED, CloseRules.refusal(401, false, null).code());
    assertEquals(LobbyClientException.REFUSED, CloseRules.refusal(404, false, null).code());
    assertEquals(403, CloseRules.refusal(403, false, null).status());
  }

  @Test
  void retriedStatuses() {
    assertNull(CloseRules.refusal(401, true, null));
    assertNull(CloseRules.refusal(408, false, null));
    assertNull(CloseRules.refusal(429, false, null));
    assertNull(CloseRules.refusal(503, false, null));
    assertNull(CloseRules.refusal(-1, false, null));
  }

  @Test
  void finalCloseCodes() {
    assertEquals(
        LobbyClientException.SESSION_RESUMED, CloseRules.finalClose(4002, true).code());
    assertEquals(
        LobbyClientException.TOKEN_EXPIRED, CloseRules.finalClose(4001, false).code());
    assertNull(CloseRules.finalClose(4001, true));
    assertNull(CloseRules.finalClose(1001, false));
    assertNull(CloseRules.finalClose(1000, false));
  }

  @Test
  void rootCauseIsTheInnermost() {
    IllegalStateException inner = new IllegalStateException("inner");
    assertEquals(inner, CloseRules.rootCause(new RuntimeException(new RuntimeException(inner))));
    assertEquals(-1, CloseRules.httpStatus(new RuntimeException(inner)));
  }
}
