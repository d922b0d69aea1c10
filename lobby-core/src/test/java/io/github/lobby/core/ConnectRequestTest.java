package io.github.lobby.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.github.lobby.core.auth.ConnectRequest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Where a bearer token is found, and that the request's text form never shows it. */
class ConnectRequestTest {

  static ConnectRequest request(Map<String, List<String>> query, Map<String, List<String>> headers) {
    return new ConnectRequest(new RoomId("r"), query, headers, List.of(), Optional.empty());
  }

  @Test
  void theQueryParameterComesFirstThenTheAuthorizationHeader() {
    Map<String, List<String>> header = Map.of("Authorization", List.of("Bearer from-header"));
    assertEquals(
        Optional.of("from-query"),
        request(Map.of("token", List.of("from-query")), header).bearerToken());
    assertEquals(Optional.of("from-header"), request(Map.of(), header).bearerToken());
    assertEquals(
        Optional.of("x"),
        request(Map.of(), Map.of("authorization", List.of("bearer   x "))).bearerToken());
    assertEquals(
        Optional.of("from-header"),
        request(Map.of("token", List.of("")), header).bearerToken(),
        "an empty token parameter is no token");
  }

  @Test
  void otherSchemesAndEmptyValuesAreNoToken() {
    for (String value : List.of("Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer    ", "Token x")) {
      assertEquals(
          Optional.empty(),
          request(Map.of(), Map.of("Authorization", List.of(value))).bearerToken(),
          value);
    }
    assertEquals(Optional.empty(), request(Map.of(), Map.of()).bearerToken());
  }

  @Test
  void headerNamesAreCaseInsensitiveAndRepeatedOnesKeepEveryValue() {
    ConnectRequest r =
        request(Map.of(), Map.of("X-A", List.of("1"), "x-a", List.of("2")));
    assertEquals(2, r.headers().get("x-a").size());
    assertEquals(Optional.of(r.headers().get("x-a").get(0)), r.header("X-a"));
  }

  @Test
  void theTextFormNamesNoValue() {
    String text =
        request(
                Map.of("token", List.of("s3cret-q")),
                Map.of("Authorization", List.of("Bearer s3cret-h")))
            .toString();
    assertFalse(text.contains("s3cret"), text);
  }
}
