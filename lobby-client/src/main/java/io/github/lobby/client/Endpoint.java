package io.github.lobby.client;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where a client connects: the base URI ({@code http} and {@code https} taken as {@code ws} and
 * {@code wss}, without trailing slashes) and the room, and the upgrade URI of each attempt with
 * its query parameters ({@code token}, {@code since} and {@code epoch}, {@code resume} and {@code
 * key}).
 */
final class Endpoint {

  private static final Pattern ROOM = Pattern.compile("[A-Za-z0-9\\-_.~:]{1,128}");

  private final String base;
  private final String room;

  /** Checks the builder's arguments: a valid room name, a ws/wss/http/https base URI. */
  static void check(URI baseUri, String room) {
    if (!ROOM.matcher(room).matches() || room.equals(".") || room.equals("..")) {
      throw new IllegalArgumentException(
          "a room name is 1 to 128 characters of A-Z a-z 0-9 - _ . ~ :, other than . and ..");
    }
    String scheme = baseUri.getScheme();
    if (scheme == null || !List.of("ws", "wss", "http", "https").contains(scheme)) {
      throw new IllegalArgumentException("the base URI must be ws, wss, http or https");
    }
    if (baseUri.getRawQuery() != null || baseUri.getRawFragment() != null) {
      throw new IllegalArgumentException("the base URI must have no query and no fragment");
    }
  }

  /** For arguments that {@link #check} accepted. */
  Endpoint(URI baseUri, String room) {
    String uri = baseUri.toString();
    if (uri.startsWith("http")) {
      uri = "ws" + uri.substring(4);
    }
    while (uri.endsWith("/")) {
      uri = uri.substring(0, uri.length() - 1);
    }
    this.base = uri;
    this.room = room;
  }

  /**
   * The upgrade URI of an attempt: with the token when there is one, with {@code since} and
   * {@code epoch} when {@code since} is not negative, with {@code resume} and {@code key} when
   * {@code resume} is not null.
   */
  URI target(String token, long since, String sinceEpoch, String resume, String key) {
    StringBuilder uri = new StringBuilder(base).append('/').append(room);
    List<String[]> query = new ArrayList<>();
    if (token != null) {
      query.add(new String[] {"token", token});
    }
    if (since >= 0) {
      query.add(new String[] {"since", Long.toString(since)});
      query.add(new String[] {"epoch", sinceEpoch});
    }
    if (resume != null) {
      query.add(new String[] {"resume", resume});
      query.add(new String[] {"key", key});
    }
    char separator = '?';
    for (String[] parameter : query) {
      uri.append(separator)
          .append(parameter[0])
          .append('=')
          .append(URLEncoder.encode(parameter[1], StandardCharsets.UTF_8));
      separator = '&';
    }
    return URI.create(uri.toString());
  }
}
