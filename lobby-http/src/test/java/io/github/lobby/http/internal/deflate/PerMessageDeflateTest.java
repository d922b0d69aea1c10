package io.github.lobby.http.internal.deflate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The negotiation of permessage-deflate offers (RFC 7692 section 7.1), examples of section 7.1.3.
 */
class PerMessageDeflateTest {

  private static final String BASE = "permessage-deflate; server_no_context_takeover";

  private static String answer(String offer) {
    return PerMessageDeflate.negotiate(offer)
        .map(PerMessageDeflate.Agreement::response)
        .orElse(null);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        // RFC 7692 section 7.1.3 (examples), and the offers browsers send.
        "permessage-deflate | " + BASE,
        "permessage-deflate; client_max_window_bits | " + BASE,
        "permessage-deflate; client_max_window_bits=10 | " + BASE,
        "permessage-deflate; server_no_context_takeover | " + BASE,
        "permessage-deflate; client_no_context_takeover | " + BASE + "; client_no_context_takeover",
        "permessage-deflate; server_max_window_bits=15 | " + BASE + "; server_max_window_bits=15",
        "permessage-deflate; server_max_window_bits=\"15\" | "
            + BASE
            + "; server_max_window_bits=15",
        "permessage-deflate; client_max_window_bits=\"8\" | " + BASE,
        "PerMessage-Deflate; Client_No_Context_Takeover | " + BASE + "; client_no_context_takeover",
        "permessage-deflate;client_no_context_takeover;server_no_context_takeover | "
            + BASE
            + "; client_no_context_takeover",
        // Several offers: the first acceptable one wins (section 7.1.3's own example).
        "permessage-deflate; server_max_window_bits=10, permessage-deflate | " + BASE,
        "permessage-deflate; client_no_context_takeover; server_max_window_bits=10,"
            + " permessage-deflate; client_no_context_takeover | "
            + BASE
            + "; client_no_context_takeover",
        // Other extensions are skipped.
        "x-webkit-deflate-frame, permessage-deflate | " + BASE,
        "foo; bar=1, permessage-deflate; client_max_window_bits | " + BASE,
        // Empty list elements are allowed.
        ", permessage-deflate , | " + BASE,
      })
  void acceptedOffers(String offer, String expected) {
    assertEquals(expected, answer(offer));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(
      strings = {
        "",
        "   ",
        "x-webkit-deflate-frame",
        "deflate-frame; no_context_takeover",
        // The JDK's Deflater keeps a 32 KB window: a smaller server window is declined.
        "permessage-deflate; server_max_window_bits=10",
        "permessage-deflate; server_max_window_bits=8",
        // Invalid values.
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=015",
        "permessage-deflate; client_max_window_bits=7",
        "permessage-deflate; client_max_window_bits=16",
        "permessage-deflate; client_max_window_bits=abc",
        "permessage-deflate; client_max_window_bits=\"\"",
        "permessage-deflate; client_no_context_takeover=1",
        "permessage-deflate; server_no_context_takeover=true",
        // Duplicates and unknown parameters.
        "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
        "permessage-deflate; server_max_window_bits=15; server_max_window_bits=15",
        "permessage-deflate; mystery",
        "permessage-deflate; mystery=1",
        // Headers that do not parse.
        "permessage-deflate; client_max_window_bits=\"10",
        "permessage-deflate; =10",
        "permessage-deflate;; client_no_context_takeover",
        "permessage-deflate client_no_context_takeover",
        "permessage-deflate; client_max_window_bits=\"1 0\"",
        "; permessage-deflate",
      })
  void declinedOffers(String offer) {
    assertNull(answer(offer), offer);
  }

  @Test
  void noHeaderOffersNothing() {
    assertEquals(Optional.empty(), PerMessageDeflate.negotiate(null));
  }

  @Test
  void clientContextTakeoverIsTheDefault() {
    assertFalse(
        PerMessageDeflate.negotiate("permessage-deflate").orElseThrow().clientNoContextTakeover());
    assertTrue(
        PerMessageDeflate.negotiate("permessage-deflate; client_no_context_takeover")
            .orElseThrow()
            .clientNoContextTakeover());
  }

  @Test
  void withoutClientContextTakeoverEveryAnswerSaysClientNoContextTakeover() {
    for (String offer :
        new String[] {
          "permessage-deflate",
          "permessage-deflate; client_max_window_bits",
          "permessage-deflate; client_no_context_takeover"
        }) {
      PerMessageDeflate.Agreement agreement =
          PerMessageDeflate.negotiate(offer, false).orElseThrow();
      assertTrue(agreement.clientNoContextTakeover(), offer);
      assertEquals(BASE + "; client_no_context_takeover", agreement.response(), offer);
    }
    assertEquals(
        BASE + "; client_no_context_takeover; server_max_window_bits=15",
        PerMessageDeflate.negotiate("permessage-deflate; server_max_window_bits=15", false)
            .orElseThrow()
            .response());
    // Declining is not affected.
    assertEquals(
        Optional.empty(), PerMessageDeflate.negotiate("permessage-deflate; mystery", false));
  }

  @Test
  void aDeclinedFirstOfferDoesNotTakeTheSecondsParameters() {
    // The second offer is accepted on its own terms: no client_no_context_takeover from the first.
    PerMessageDeflate.Agreement agreement =
        PerMessageDeflate.negotiate(
                "permessage-deflate; client_no_context_takeover; mystery, permessage-deflate")
            .orElseThrow();
    assertFalse(agreement.clientNoContextTakeover());
    assertEquals(BASE, agreement.response());
  }
}
