package io.github.lobby.http;

import io.github.lobby.core.RoomId;
import io.github.lobby.http.codec.JsonModeCodec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;
import org.apache.pekko.util.ByteString;

/**
 * Reads the head of the first request on a connection of the lean path and decides: a WebSocket
 * upgrade to a room that the lean path serves, or anything else, which goes to Pekko HTTP with
 * the bytes read so far.
 *
 * <p>The lean path takes only what is plainly a valid upgrade (RFC 6455 section 4.2.1): {@code
 * GET /{room} HTTP/1.1} with a valid room name in plain characters, one {@code Host}, {@code
 * Upgrade: websocket}, {@code Connection: upgrade}, a 16-byte {@code Sec-WebSocket-Key}, {@code
 * Sec-WebSocket-Version: 13}, no body, and only printable ASCII. Everything else, including every
 * request that deserves an error answer (bad room, wrong method, bad upgrade headers, a refused
 * Origin, a connection limit, an oversized head), is handed over, so that Pekko HTTP and the
 * Lobby's routes answer it exactly as they do for any other request: the lean path adds no
 * second copy of HTTP's error handling.
 */
final class UpgradeHead {

  /** What the head says. */
  sealed interface Result {}

  /** More bytes are needed. */
  enum Incomplete implements Result {
    INSTANCE
  }

  /** Not for the lean path: hand the connection to Pekko HTTP. */
  enum Handoff implements Result {
    INSTANCE
  }

  /**
   * A WebSocket upgrade the lean path accepts.
   *
   * @param room the room joined
   * @param json whether the client asked for the JSON mode subprotocol
   * @param accept the {@code Sec-WebSocket-Accept} value
   * @param origin the {@code Origin} header, or null
   * @param headLength the bytes of the head, CRLF CRLF included; what follows are frames
   */
  record Upgrade(RoomId room, boolean json, String accept, String origin, int headLength) implements Result {}

  private static final byte[] PREFIX = "GET /".getBytes(StandardCharsets.US_ASCII);
  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private UpgradeHead() {}

  /**
   * Reads a request head from the bytes a connection received so far.
   *
   * @param maxHead the most bytes a head may have on the lean path; longer goes to Pekko HTTP,
   *     which answers with 414 or 431 by its own limits
   */
  static Result parse(ByteString bytes, int maxHead) {
    int n = bytes.size();
    for (int i = 0; i < Math.min(n, PREFIX.length); i++) {
      if (bytes.apply(i) != PREFIX[i]) {
        return Handoff.INSTANCE;
      }
    }
    int end = bytes.indexOfSlice(CRLFCRLF);
    if (end < 0) {
      return n >= maxHead ? Handoff.INSTANCE : Incomplete.INSTANCE;
    }
    int headLength = end + 4;
    if (headLength > maxHead) {
      return Handoff.INSTANCE;
    }
    byte[] head = new byte[end];
    bytes.copyToArray(head, 0, end);
    for (byte b : head) {
      if ((b < 0x20 && b != '\r' && b != '\n' && b != '\t') || b == 0x7f || b < 0) {
        return Handoff.INSTANCE;
      }
    }
    String[] lines = new String(head, StandardCharsets.US_ASCII).split("\r\n", -1);
    Upgrade upgrade = read(lines, headLength);
    return upgrade == null ? Handoff.INSTANCE : upgrade;
  }

  private static final ByteString CRLFCRLF = ByteString.fromString("\r\n\r\n", StandardCharsets.US_ASCII);

  private static Upgrade read(String[] lines, int headLength) {
    String requestLine = lines[0];
    if (!requestLine.startsWith("GET /") || !requestLine.endsWith(" HTTP/1.1")) {
      return null;
    }
    String target = requestLine.substring(4, requestLine.length() - 9);
    int query = target.indexOf('?');
    String path = query < 0 ? target : target.substring(0, query);
    String name = path.substring(1);
    if (!plain(name) || target.indexOf(' ') >= 0 || target.indexOf('#') >= 0 || RoomId.problem(name).isPresent()) {
      return null;
    }
    String host = null;
    String upgrade = null;
    String connection = null;
    String key = null;
    String version = null;
    String origin = null;
    StringBuilder protocols = null;
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i];
      int colon = line.indexOf(':');
      if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t') {
        return null; // no name, or an obsolete folded line
      }
      String field = line.substring(0, colon);
      if (field.indexOf(' ') >= 0 || field.indexOf('\t') >= 0) {
        return null;
      }
      String value = line.substring(colon + 1).strip();
      switch (field.toLowerCase(Locale.ROOT)) {
        case "host" -> {
          if (host != null) {
            return null;
          }
          host = value;
        }
        case "upgrade" -> {
          if (upgrade != null) {
            return null;
          }
          upgrade = value;
        }
        case "connection" -> connection = connection == null ? value : connection + "," + value;
        case "sec-websocket-key" -> {
          if (key != null) {
            return null;
          }
          key = value;
        }
        case "sec-websocket-version" -> {
          if (version != null) {
            return null;
          }
          version = value;
        }
        case "origin" -> {
          if (origin != null) {
            return null;
          }
          origin = value;
        }
        case "sec-websocket-protocol" -> {
          if (protocols == null) {
            protocols = new StringBuilder(value);
          } else {
            protocols.append(',').append(value);
          }
        }
        case "content-length", "transfer-encoding", "expect" -> {
          return null; // a body on an upgrade: Pekko HTTP decides
        }
        default -> {}
      }
    }
    if (host == null
        || host.isEmpty()
        || !"websocket".equalsIgnoreCase(upgrade)
        || !hasToken(connection, "upgrade")
        || !"13".equals(version)
        || !validKey(key)) {
      return null;
    }
    boolean json = protocols != null && hasToken(protocols.toString(), JsonModeCodec.SUBPROTOCOL);
    return new Upgrade(new RoomId(name), json, accept(key), origin, headLength);
  }

  /** Whether a room name is in characters that need no decoding; others go to Pekko HTTP. */
  private static boolean plain(String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
              || c == '.' || c == '~';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static boolean hasToken(String list, String token) {
    if (list == null) {
      return false;
    }
    for (String part : list.split(",")) {
      if (part.strip().equalsIgnoreCase(token)) {
        return true;
      }
    }
    return false;
  }

  private static boolean validKey(String key) {
    if (key == null || key.length() != 24) {
      return false;
    }
    try {
      return Base64.getDecoder().decode(key).length == 16;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** The {@code Sec-WebSocket-Accept} value for a key (RFC 6455 section 4.2.2). */
  static String accept(String key) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      byte[] digest = sha1.digest((key + GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is required of every Java platform", e);
    }
  }

  /** The 101 answer to an accepted upgrade. */
  static ByteString switchingProtocols(Upgrade upgrade) {
    StringBuilder s =
        new StringBuilder(160)
            .append("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
            .append("Sec-WebSocket-Accept: ")
            .append(upgrade.accept())
            .append("\r\n");
    if (upgrade.json()) {
      s.append("Sec-WebSocket-Protocol: ").append(JsonModeCodec.SUBPROTOCOL).append("\r\n");
    }
    return ByteString.fromString(s.append("\r\n").toString(), StandardCharsets.US_ASCII);
  }
}
