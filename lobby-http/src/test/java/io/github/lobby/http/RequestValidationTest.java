package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.lobby.http.codec.WireJson;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Room names, percent-encoding tricks, methods on every route, malformed and oversized requests. */
class RequestValidationTest {

  private static TestServer server;

  @BeforeAll
  static void start() {
    server = new TestServer();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static final String UPGRADE =
      "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          + "Sec-WebSocket-Version: 13\r\n";

  /** Sends an upgrade to this raw request target and expects a 400 with the JSON error body. */
  private static void assertRefused(String target, int... statuses) throws Exception {
    RawHttp.Answer answer =
        RawHttp.send(
            server.port(),
            ("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + UPGRADE + "\r\n")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    assertTrue(
        java.util.Arrays.stream(statuses).anyMatch(s -> s == answer.status()),
        target + " -> " + answer.head() + "\n" + answer.body());
    assertJsonError(answer.head(), answer.body());
  }

  static void assertJsonError(String head, String body) {
    assertTrue(head.toLowerCase().contains("content-type: application/json"), head);
    JsonNode error = WireJson.parse(body).orElseThrow(() -> new AssertionError("not JSON: " + body));
    assertTrue(error.get("error").isTextual() && error.get("message").isTextual(), body);
    BadInputPropertyTest.assertClean(error.get("message").asText());
  }

  @Test
  void everyCharacterOutsideTheRoomAlphabetIsRefusedWith400() throws Exception {
    String allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~:";
    int refused = 0;
    for (char c = 0x21; c < 0x7f; c++) {
      if (allowed.indexOf(c) >= 0 || c == '/' || c == '?' || c == '#') {
        continue; // '/' splits segments, '?' starts a query, '#' a fragment: tested below
      }
      assertRefused("/a" + c + "b", 400);
      refused++;
    }
    assertEquals(94 - allowed.length() - 3, refused);
    // Raw UTF-8 bytes, control characters and spaces in the request line.
    assertRefused("/caf\u00c3\u00a9", 400);
    assertRefused("/a\u0001b", 400);
    assertRefused("/a b", 400, 505); // the request line splits at the space: "b HTTP/1.1"
  }

  @Test
  void percentEncodingAndPathTricksAreNeverDecodedIntoARoom() throws Exception {
    for (String target :
        List.of("/a%2Fb", "/%2F", "/%00", "/a%00b", "/%2e%2e", "/%2E", "/..", "/.", "/a/b", "/a/",
            "//a", "/a%20b", "/a%7Eb%3F")) {
      assertRefused(target, 400);
    }
  }

  @Test
  void roomNamesAreOneTo128Characters() throws Exception {
    assertRefused("/" + "r".repeat(129), 400);
    assertRefused("/", 400);
    try (RawClient longest = new RawClient(server.port(), "/" + "r".repeat(128))) {
      assertTrue(longest.upgraded(), longest.statusLine);
    }
    try (RawClient dots = new RawClient(server.port(), "/...")) {
      assertTrue(dots.upgraded(), "only . and .. are dot segments");
    }
    // Percent-encoded unreserved characters are those characters (RFC 3986 section 6.2.2.2).
    JdkClient plain = JdkClient.connectJson(server, "/abc");
    plain.next();
    try (RawClient encoded = new RawClient(server.port(), "/%61b%63")) {
      assertTrue(encoded.upgraded(), encoded.statusLine);
      assertEquals("joined", WireJson.parse(plain.next()).orElseThrow().get("type").asText());
    }
  }

  @Test
  void wrongMethodsOnEveryRouteAre405WithTheJsonBody() {
    Map<String, List<String>> allowed =
        Map.of(
            "/health", List.of("GET"),
            "/rooms", List.of("GET"),
            "/rooms/r1", List.of("GET"),
            "/rooms/r1/messages", List.of("POST"),
            "/dailyDashBoard", List.of("POST"),
            "/r1", List.of("GET"));
    for (var route : allowed.entrySet()) {
      for (String method : List.of("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")) {
        if (route.getValue().contains(method)) {
          continue;
        }
        HttpResponse<String> response =
            server.send(
                HttpRequest.newBuilder(server.uri(route.getKey()))
                    .header("Authorization", "Bearer " + TestServer.TOKEN)
                    .header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString("{}")));
        assertEquals(405, response.statusCode(), method + " " + route.getKey() + " -> " + response.body());
        assertJsonError(
            "content-type: " + response.headers().firstValue("Content-Type").orElse(""), response.body());
      }
    }
  }

  @Test
  void unknownAdminPathsAre404() {
    for (String path : List.of("/rooms/r1/members", "/rooms/r1/messages/x", "/rooms/", "/health/x")) {
      HttpResponse<String> response = server.adminGet(path);
      assertTrue(
          response.statusCode() == 404 || response.statusCode() == 400,
          path + " -> " + response.statusCode());
      assertJsonError(
          "content-type: " + response.headers().firstValue("Content-Type").orElse(""), response.body());
    }
  }

  @Test
  void malformedAndOversizedRequestsGetTheJsonErrorBodyToo() throws Exception {
    RawHttp.Answer header = RawHttp.get(server.port(), "/health", "X-Big: " + "x".repeat(20_000) + "\r\n");
    assertTrue(header.status() == 431 || header.status() == 400, header.head());
    assertJsonError(header.head(), header.body());

    RawHttp.Answer uri = RawHttp.get(server.port(), "/" + "u".repeat(5_000), "");
    assertEquals(414, uri.status(), uri.head());
    assertJsonError(uri.head(), uri.body());

    RawHttp.Answer garbage =
        RawHttp.send(server.port(), "NOT HTTP AT ALL\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    assertTrue(garbage.status() >= 400 && garbage.status() < 500 || garbage.status() == 501, garbage.head());
    assertJsonError(garbage.head(), garbage.body());

    RawHttp.Answer headers =
        RawHttp.get(server.port(), "/health", "X-Many: 1\r\n".repeat(200));
    assertTrue(headers.status() == 431 || headers.status() == 400, headers.head());
    assertJsonError(headers.head(), headers.body());

    // The server is still there for everybody else.
    assertEquals(200, server.get("/health").statusCode());
  }
}
