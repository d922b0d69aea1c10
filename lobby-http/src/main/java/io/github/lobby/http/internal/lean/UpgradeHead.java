package io.github.lobby.http.internal.lean;

import io.github.lobby.core.Recovery;
import io.github.lobby.core.Resume;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.auth.ConnectRequest;
import io.github.lobby.http.codec.JsonModeCodec;
import io.github.lobby.http.internal.routes.RecoveryQuery;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.Query;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.util.ByteString;

/**
 * Reads the head of the first request on a connection of the lean path and decides: a WebSocket
 * upgrade to a room that the lean path serves, or anything else, which goes to Pekko HTTP with the
 * bytes read so far.
 *
 * <p>The lean path takes only what is plainly a valid upgrade (RFC 6455 section 4.2.1): {@code GET
 * /{room} HTTP/1.1} with a valid room name in plain characters, one {@code Host}, {@code Upgrade:
 * websocket}, {@code Connection: upgrade}, a 16-byte {@code Sec-WebSocket-Key}, {@code
 * Sec-WebSocket-Version: 13}, no body (at most {@code Content-Length: 0}), and only printable
 * ASCII. Everything else, including every
 * request that deserves an error answer (bad room, wrong method, bad upgrade headers, a refused
 * Origin, a connection limit, an oversized head), is handed over, so that Pekko HTTP and the
 * Lobby's routes answer it exactly as they do for any other request: the lean path adds no second
 * copy of HTTP's error handling. A JSON-mode upgrade whose {@code since} and {@code epoch}, or
 * {@code resume} and {@code key}, are not valid ({@link RecoveryQuery}) is handed over too, for the
 * routes' 400.
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
   * @param recovery what a JSON-mode client asks for with {@code ?since=&epoch=} ({@link
   *     RecoveryQuery}); empty otherwise
   * @param resume the session a JSON-mode client asks for with {@code ?resume=&key=}; empty
   *     otherwise
   * @param text the head as read (ISO-8859-1), for an {@link io.github.lobby.core.auth
   *     Authenticator}'s request ({@link #connectRequest}); never logged, it may hold credentials
   * @param extensions the {@code Sec-WebSocket-Extensions} offers (several headers joined by
   *     commas), or null
   */
  record Upgrade(
      RoomId room,
      boolean json,
      String accept,
      String origin,
      int headLength,
      Optional<Recovery> recovery,
      Optional<Resume> resume,
      String text,
      String extensions)
      implements Result {

    /** Names the room and mode only: the head may hold credentials. */
    @Override
    public String toString() {
      return "Upgrade[room=" + room.value() + ", json=" + json + "]";
    }
  }

  private static final byte[] PREFIX = "GET /".getBytes(StandardCharsets.US_ASCII);
  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  /** One digest per thread: looking the algorithm up costs more than the hash. */
  private static final ThreadLocal<MessageDigest> SHA1 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("SHA-1");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException("SHA-1 is required of every Java platform", e);
            }
          });

  private UpgradeHead() {}

  /**
   * Reads a request head from the bytes a connection received so far.
   *
   * @param newBytes how many of them arrived last: the end of the head is looked for only where
   *     it can be new, so a head trickled in byte by byte is not scanned again from the start on
   *     every read
   * @param maxHead the most bytes a head may have on the lean path; longer goes to Pekko HTTP,
   *     which answers with 414 or 431 by its own limits
   */
  static Result parse(ByteString bytes, int newBytes, int maxHead) {
    return parse(bytes, newBytes, maxHead, Integer.MAX_VALUE);
  }

  /**
   * Like {@link #parse(ByteString, int, int)}; a request target longer than {@code maxUri} goes to
   * Pekko HTTP, which answers 414 by its {@code max-uri-length}, so that both paths take the same
   * targets (a {@code ?token=} included).
   */
  static Result parse(ByteString bytes, int newBytes, int maxHead, int maxUri) {
    int n = bytes.size();
    for (int i = 0; i < Math.min(n, PREFIX.length); i++) {
      if (bytes.apply(i) != PREFIX[i]) {
        return Handoff.INSTANCE;
      }
    }
    int end = bytes.indexOfSlice(CRLFCRLF, Math.max(0, n - newBytes - (CRLFCRLF.size() - 1)));
    if (end < 0) {
      return n >= maxHead ? Handoff.INSTANCE : Incomplete.INSTANCE;
    }
    int headLength = end + 4;
    if (headLength > maxHead) {
      return Handoff.INSTANCE;
    }
    byte[] head = new byte[end];
    bytes.copyToArray(head, 0, end);
    for (int i = 0; i < end; i++) {
      byte b = head[i];
      if ((b < 0x20 && b != '\r' && b != '\n' && b != '\t') || b == 0x7f || b < 0) {
        return Handoff.INSTANCE;
      }
      // Lines end with CR LF only: a bare CR or LF would be read as other headers by a proxy
      // that takes it as a line end (the head guard in front answers such a head 400).
      if ((b == '\r' && (i + 1 == end || head[i + 1] != '\n'))
          || (b == '\n' && (i == 0 || head[i - 1] != '\r'))) {
        return Handoff.INSTANCE;
      }
    }
    Upgrade upgrade = read(new String(head, StandardCharsets.ISO_8859_1), headLength, maxUri);
    return upgrade == null ? Handoff.INSTANCE : upgrade;
  }

  private static final ByteString CRLFCRLF =
      ByteString.fromString("\r\n\r\n", StandardCharsets.US_ASCII);

  private static Upgrade read(String head, int headLength, int maxUri) {
    int lineEnd = endOfLine(head, 0);
    String requestLine = head.substring(0, lineEnd);
    if (!requestLine.startsWith("GET /") || !requestLine.endsWith(" HTTP/1.1")) {
      return null;
    }
    String target = requestLine.substring(4, requestLine.length() - 9);
    int query = target.indexOf('?');
    String path = query < 0 ? target : target.substring(0, query);
    String name = path.substring(1);
    if (target.length() > maxUri
        || !plain(name)
        || target.indexOf(' ') >= 0
        || target.indexOf('#') >= 0
        || RoomId.problem(name).isPresent()) {
      return null;
    }
    String[] once = new String[ONCE.length]; // the values of the headers in ONCE, by index
    String connection = null;
    String protocols = null;
    String extensions = null;
    boolean emptyBody = false;
    int at = lineEnd + 2;
    while (at < head.length()) {
      int end = endOfLine(head, at);
      int colon = head.indexOf(':', at);
      if (colon <= at || colon >= end || head.charAt(at) == ' ' || head.charAt(at) == '\t') {
        return null; // no name, or an obsolete folded line
      }
      for (int i = at; i < colon; i++) {
        char c = head.charAt(i);
        if (c == ' ' || c == '\t') {
          return null;
        }
      }
      String value = head.substring(colon + 1, end).strip();
      int nameLength = colon - at;
      int single = onceIndex(head, at, nameLength);
      if (single >= 0) {
        if (once[single] != null) {
          return null; // a repeated header: Pekko HTTP decides
        }
        once[single] = value;
      } else if (field(head, at, nameLength, "connection")) {
        connection = connection == null ? value : connection + "," + value;
      } else if (field(head, at, nameLength, "sec-websocket-protocol")) {
        protocols = protocols == null ? value : protocols + "," + value;
      } else if (field(head, at, nameLength, "sec-websocket-extensions")) {
        extensions = extensions == null ? value : extensions + "," + value;
      } else if (field(head, at, nameLength, "content-length")) {
        // An empty body said so (the JDK's WebSocket client does) is no body; any other length
        // is a body on an upgrade, and a second header a question: Pekko HTTP decides.
        if (emptyBody || !"0".equals(value)) {
          return null;
        }
        emptyBody = true;
      } else if (field(head, at, nameLength, "transfer-encoding")
          || field(head, at, nameLength, "expect")) {
        return null; // a body on an upgrade: Pekko HTTP decides
      }
      at = end + 2;
    }
    String host = once[HOST];
    String key = once[KEY];
    if (host == null
        || host.isEmpty()
        || !"websocket".equalsIgnoreCase(once[UPGRADE])
        || !hasToken(connection, "upgrade")
        || !"13".equals(once[VERSION])
        || !validKey(key)) {
      return null;
    }
    boolean json = protocols != null && hasToken(protocols, JsonModeCodec.SUBPROTOCOL);
    RecoveryQuery.Parsed asked = RecoveryQuery.NONE;
    if (json && query >= 0) {
      Map<String, List<String>> parameters = strictQuery(target.substring(query + 1));
      asked = parameters == null ? null : RecoveryQuery.parse(parameters);
      if (asked == null || !asked.valid()) {
        return null; // Pekko HTTP or the routes answer 400
      }
    }
    return new Upgrade(
        new RoomId(name),
        json,
        accept(key),
        once[ORIGIN],
        headLength,
        asked.recovery(),
        asked.resume(),
        head,
        extensions);
  }

  /**
   * The request an {@link io.github.lobby.core.auth.Authenticator} decides on: the head's query
   * parameters (decoded as Pekko HTTP decodes them), headers and offered subprotocols. The head was
   * checked by {@link #parse}, so it is well formed.
   */
  static ConnectRequest connectRequest(Upgrade upgrade, Optional<InetAddress> remote) {
    String head = upgrade.text();
    int lineEnd = endOfLine(head, 0);
    String requestLine = head.substring(0, lineEnd);
    String target = requestLine.substring(4, requestLine.length() - 9);
    Map<String, List<String>> headers = new LinkedHashMap<>();
    int at = lineEnd + 2;
    while (at < head.length()) {
      int end = endOfLine(head, at);
      int colon = head.indexOf(':', at);
      headers
          .computeIfAbsent(
              head.substring(at, colon).toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(head.substring(colon + 1, end).strip());
      at = end + 2;
    }
    List<String> protocols = new ArrayList<>();
    for (String value : headers.getOrDefault("sec-websocket-protocol", List.of())) {
      for (String part : value.split(",")) {
        if (!part.isBlank()) {
          protocols.add(part.strip());
        }
      }
    }
    return new ConnectRequest(upgrade.room(), query(target), headers, protocols, remote);
  }

  /** The query parameters of a request target, decoded by Pekko HTTP's URI parser. */
  static Map<String, List<String>> query(String target) {
    int q = target.indexOf('?');
    if (q < 0) {
      return Map.of();
    }
    try {
      return Query.create(target.substring(q + 1)).toMultiMap();
    } catch (RuntimeException e) {
      return Map.of(); // a query that does not parse carries no credential
    }
  }

  /**
   * The query parameters as Pekko HTTP's request parser takes them ({@code uri-parsing-mode =
   * strict}), or null for a query it refuses with 400 (a bad percent-encoding, a character a query
   * may not hold): the routes then give that answer, and a {@code since} in such a query is never
   * read differently on the two paths.
   */
  private static Map<String, List<String>> strictQuery(String raw) {
    try {
      return Query.create(raw, Uri.STRICT).toMultiMap();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Whether the header name at {@code at} is {@code name}, ignoring case. */
  /** The headers an upgrade may carry at most once, and their indexes. */
  private static final String[] ONCE = {
    "host", "upgrade", "sec-websocket-key", "sec-websocket-version", "origin"
  };

  private static final int HOST = 0;
  private static final int UPGRADE = 1;
  private static final int KEY = 2;
  private static final int VERSION = 3;
  private static final int ORIGIN = 4;

  /** Where the line that starts at {@code at} ends: its CRLF, or the end of the head. */
  private static int endOfLine(String head, int at) {
    int end = head.indexOf("\r\n", at);
    return end < 0 ? head.length() : end;
  }

  /** The index in {@link #ONCE} of the header name at {@code at}, or -1. */
  private static int onceIndex(String head, int at, int length) {
    for (int i = 0; i < ONCE.length; i++) {
      if (field(head, at, length, ONCE[i])) {
        return i;
      }
    }
    return -1;
  }

  private static boolean field(String head, int at, int length, String name) {
    return length == name.length() && head.regionMatches(true, at, name, 0, length);
  }

  /** Whether a room name is in characters that need no decoding; others go to Pekko HTTP. */
  private static boolean plain(String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '_'
              || c == '.'
              || c == '~';
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
    byte[] digest = SHA1.get().digest((key + GUID).getBytes(StandardCharsets.US_ASCII));
    return Base64.getEncoder().encodeToString(digest);
  }

  /**
   * The 101 answer to an accepted upgrade.
   *
   * @param extensions the {@code Sec-WebSocket-Extensions} answer, or null for none
   */
  static ByteString switchingProtocols(Upgrade upgrade, String extensions) {
    StringBuilder s =
        new StringBuilder(160)
            .append(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
            .append("Sec-WebSocket-Accept: ")
            .append(upgrade.accept())
            .append("\r\n");
    if (upgrade.json()) {
      s.append("Sec-WebSocket-Protocol: ").append(JsonModeCodec.SUBPROTOCOL).append("\r\n");
    }
    if (extensions != null) {
      s.append("Sec-WebSocket-Extensions: ").append(extensions).append("\r\n");
    }
    return ByteString.fromString(s.append("\r\n").toString(), StandardCharsets.US_ASCII);
  }
}
