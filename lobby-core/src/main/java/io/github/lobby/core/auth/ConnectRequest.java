package io.github.lobby.core.auth;

import io.github.lobby.core.RoomId;
import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A WebSocket upgrade as an {@link Authenticator} sees it, before it is answered.
 *
 * @param room the room the client asks to join
 * @param query the query parameters of the request target, decoded, each with its values in order
 * @param headers the request headers by lower-case name, each with its values in order
 * @param subprotocols the WebSocket subprotocols the client offered, in order
 * @param remote the client's address, when the server knows it
 */
public record ConnectRequest(
    RoomId room,
    Map<String, List<String>> query,
    Map<String, List<String>> headers,
    List<String> subprotocols,
    Optional<InetAddress> remote) {

  /** The query parameter that carries a bearer token (browsers cannot set WebSocket headers). */
  public static final String TOKEN_PARAMETER = "token";

  /** Copies the maps and lists; header names are lower-cased. */
  public ConnectRequest {
    query = copy(query, false);
    headers = copy(headers, true);
    subprotocols = List.copyOf(subprotocols);
  }

  private static Map<String, List<String>> copy(Map<String, List<String>> map, boolean lower) {
    return map.entrySet().stream()
        .collect(
            Collectors.toUnmodifiableMap(
                e -> lower ? e.getKey().toLowerCase(Locale.ROOT) : e.getKey(),
                e -> List.copyOf(e.getValue()),
                (a, b) -> {
                  List<String> both = new java.util.ArrayList<>(a);
                  both.addAll(b);
                  return List.copyOf(both);
                }));
  }

  /** The first value of a header, by name in any case. */
  public Optional<String> header(String name) {
    List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  /** The first value of a query parameter. */
  public Optional<String> queryParameter(String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  /**
   * The bearer token of the request: the {@code token} query parameter, or else the {@code
   * Authorization: Bearer} header.
   */
  public Optional<String> bearerToken() {
    Optional<String> fromQuery = queryParameter(TOKEN_PARAMETER).filter(t -> !t.isEmpty());
    if (fromQuery.isPresent()) {
      return fromQuery;
    }
    return header("Authorization")
        .filter(v -> v.regionMatches(true, 0, "Bearer ", 0, 7))
        .map(v -> v.substring(7).strip())
        .filter(t -> !t.isEmpty());
  }

  /**
   * Names the room, the parameter and header names, never their values: credentials must not
   * reach a log line through a request printed whole.
   */
  @Override
  public String toString() {
    return "ConnectRequest[room="
        + room.value()
        + ", query="
        + query.keySet()
        + ", headers="
        + headers.keySet()
        + ", subprotocols="
        + subprotocols
        + "]";
  }
}
