package io.github.lobby.http.internal.deflate;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The negotiation of permessage-deflate (RFC 7692 section 7.1): reads a client's {@code
 * Sec-WebSocket-Extensions} offers and picks the first one the server can accept.
 *
 * <p>What the server agrees to, always:
 *
 * <ul>
 *   <li>{@code server_no_context_takeover}, whether offered or not (section 7.1.1.1 lets the server
 *       add it): every message the server sends is compressed on its own, so the compressed bytes
 *       of a broadcast are the same for every recipient and are computed once;
 *   <li>{@code client_no_context_takeover} when offered, and also when not unless the server lets
 *       clients keep their context ({@code lobby.compression.client-context-takeover}; section
 *       7.1.1.1 lets the server add it): the client then compresses each message on its own and
 *       the server inflates with a pooled inflater. A client allowed to keep its context makes its
 *       connection keep an inflater (about 40 KB of native memory and a 32 KB window), made on its
 *       first compressed message;
 *   <li>{@code server_max_window_bits} only with the value 15: the JDK's {@code Deflater} always
 *       uses a 32 KB window, and a server must not use a larger window than the client allows, so a
 *       smaller value declines that offer. The answer repeats it ({@code
 *       server_max_window_bits=15}), the window the server uses;
 *   <li>{@code client_max_window_bits}, with or without a value (8 to 15): the JDK's {@code
 *       Inflater} reads any window, so the server asks for no limit and does not answer it (section
 *       7.1.2.2 makes the answer optional).
 * </ul>
 *
 * <p>An offer with an unknown parameter, a parameter given twice, a value where none belongs, no
 * value or a bad one where one must be, is declined (section 7.1: "the server MUST decline an
 * extension negotiation offer" it cannot accept), and the next offer is considered. A header that
 * does not parse declines every offer. Nothing here fails a handshake: without an accepted offer
 * the connection runs without compression.
 */
public final class PerMessageDeflate {

  /** The extension's name. */
  public static final String NAME = "permessage-deflate";

  /**
   * An accepted offer.
   *
   * @param clientNoContextTakeover whether the client compresses each message on its own
   * @param response the {@code Sec-WebSocket-Extensions} value of the 101
   */
  public record Agreement(boolean clientNoContextTakeover, String response) {}

  private PerMessageDeflate() {}

  /**
   * The first acceptable permessage-deflate offer of a {@code Sec-WebSocket-Extensions} value (the
   * values of several such headers joined by commas), or empty.
   *
   * @param header the header's value; null or blank offers nothing
   */
  public static Optional<Agreement> negotiate(String header) {
    return negotiate(header, true);
  }

  /**
   * The first acceptable permessage-deflate offer of a {@code Sec-WebSocket-Extensions} value, or
   * empty.
   *
   * @param header the header's value; null or blank offers nothing
   * @param clientContextTakeover whether the client may keep its context between messages; when
   *     false the answer always says {@code client_no_context_takeover}
   */
  public static Optional<Agreement> negotiate(String header, boolean clientContextTakeover) {
    if (header == null || header.isBlank()) {
      return Optional.empty();
    }
    List<List<String[]>> offers = parse(header);
    if (offers == null) {
      return Optional.empty();
    }
    for (List<String[]> offer : offers) {
      if (!offer.get(0)[0].equalsIgnoreCase(NAME)) {
        continue; // another extension
      }
      Optional<Agreement> accepted = accept(offer, clientContextTakeover);
      if (accepted.isPresent()) {
        return accepted;
      }
    }
    return Optional.empty();
  }

  /** An offer's parameters checked; empty declines it. */
  private static Optional<Agreement> accept(List<String[]> offer, boolean clientContextTakeover) {
    boolean clientNoContext = false;
    boolean serverNoContext = false;
    boolean serverBits = false;
    boolean clientBits = false;
    for (String[] parameter : offer.subList(1, offer.size())) {
      String name = parameter[0].toLowerCase(Locale.ROOT);
      String value = parameter[1];
      switch (name) {
        case "server_no_context_takeover" -> {
          if (serverNoContext || value != null) {
            return Optional.empty();
          }
          serverNoContext = true;
        }
        case "client_no_context_takeover" -> {
          if (clientNoContext || value != null) {
            return Optional.empty();
          }
          clientNoContext = true;
        }
        case "server_max_window_bits" -> {
          // Must have a value 8..15; only 15 is what the JDK's Deflater can keep to.
          int bits = windowBits(value);
          if (serverBits || bits < 0 || bits != 15) {
            return Optional.empty();
          }
          serverBits = true;
        }
        case "client_max_window_bits" -> {
          if (clientBits || (value != null && windowBits(value) < 0)) {
            return Optional.empty();
          }
          clientBits = true;
        }
        default -> {
          return Optional.empty();
        }
      }
    }
    StringBuilder response = new StringBuilder(NAME).append("; server_no_context_takeover");
    clientNoContext |= !clientContextTakeover;
    if (clientNoContext) {
      response.append("; client_no_context_takeover");
    }
    if (serverBits) {
      response.append("; server_max_window_bits=15");
    }
    return Optional.of(new Agreement(clientNoContext, response.toString()));
  }

  /** A window size 8..15 written as 1*DIGIT without a leading zero; -1 when not. */
  private static int windowBits(String value) {
    if (value == null || value.isEmpty() || value.length() > 2 || value.charAt(0) == '0') {
      return -1;
    }
    for (int i = 0; i < value.length(); i++) {
      if (value.charAt(i) < '0' || value.charAt(i) > '9') {
        return -1;
      }
    }
    int bits = Integer.parseInt(value);
    return bits >= 8 && bits <= 15 ? bits : -1;
  }

  /**
   * The extensions of a header (RFC 6455 section 9.1): each a list of [name, value] pairs, the
   * extension's name first (its value null), then its parameters (value null when bare, unquoted
   * when quoted). Null when the header does not parse.
   */
  static List<List<String[]>> parse(String header) {
    List<List<String[]>> extensions = new ArrayList<>();
    List<String[]> current = null;
    int i = 0;
    int n = header.length();
    // Expecting: an extension name, then (";" parameter)*, then "," or the end.
    while (true) {
      i = skipSpace(header, i);
      if (i < n && header.charAt(i) == ',') {
        i++; // empty list elements are allowed (RFC 7230 section 7)
        continue;
      }
      if (i >= n) {
        break;
      }
      int start = i;
      i = token(header, i);
      if (i == start) {
        return null;
      }
      current = new ArrayList<>();
      current.add(new String[] {header.substring(start, i), null});
      extensions.add(current);
      while (true) {
        i = skipSpace(header, i);
        if (i >= n || header.charAt(i) == ',') {
          break;
        }
        if (header.charAt(i) != ';') {
          return null;
        }
        i = skipSpace(header, i + 1);
        int nameStart = i;
        i = token(header, i);
        if (i == nameStart) {
          return null;
        }
        String name = header.substring(nameStart, i);
        String value = null;
        i = skipSpace(header, i);
        if (i < n && header.charAt(i) == '=') {
          i = skipSpace(header, i + 1);
          if (i < n && header.charAt(i) == '"') {
            StringBuilder quoted = new StringBuilder();
            i++;
            while (i < n && header.charAt(i) != '"') {
              char c = header.charAt(i);
              if (c == '\\' && i + 1 < n) {
                c = header.charAt(++i);
              }
              quoted.append(c);
              i++;
            }
            if (i >= n) {
              return null; // unterminated
            }
            i++;
            value = quoted.toString();
            // RFC 7692 section 7: a quoted value must be a token once unquoted.
            if (value.isEmpty() || token(value, 0) != value.length()) {
              return null;
            }
          } else {
            int valueStart = i;
            i = token(header, i);
            if (i == valueStart) {
              return null;
            }
            value = header.substring(valueStart, i);
          }
        }
        current.add(new String[] {name, value});
      }
    }
    return extensions;
  }

  private static int skipSpace(String s, int i) {
    while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
      i++;
    }
    return i;
  }

  /** The end of the token (RFC 7230 tchar) starting at {@code i}. */
  private static int token(String s, int i) {
    while (i < s.length() && tchar(s.charAt(i))) {
      i++;
    }
    return i;
  }

  private static boolean tchar(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }
}
