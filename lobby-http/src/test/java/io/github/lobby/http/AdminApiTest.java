package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** PROTOCOL.md section 4: every admin route and status, with a real HTTP client. */
class AdminApiTest {

  static TestServer server;

  @BeforeAll
  static void start() {
    server = new TestServer("lobby.http.max-body = 1 KiB");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static void assertError(HttpResponse<String> response, int status, String code, String message) {
    assertEquals(status, response.statusCode(), response.body());
    assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
    assertEquals("{\"error\":\"" + code + "\",\"message\":\"" + message + "\"}", response.body());
  }

  @Test
  void healthNeedsNoTokenAndCountsSessionsAndRooms() {
    JdkClient a = JdkClient.connect(server, "/health-room");
    a.welcomeId();
    HttpResponse<String> health = server.get("/health");
    assertEquals(200, health.statusCode());
    assertEquals("{\"status\":\"ok\",\"sessions\":1,\"rooms\":1}", health.body());
    a.close();
  }

  @Test
  void everyAdminRouteWantsTheBearerToken() {
    String[][] routes = {{"GET", "/rooms"}, {"GET", "/rooms/x"}, {"POST", "/rooms/x/messages"}, {"POST", "/dailyDashBoard"}};
    for (String[] route : routes) {
      for (String auth : new String[] {null, "Bearer wrong", "Basic dGVzdDp0ZXN0", "Bearer "}) {
        HttpRequest.Builder request =
            HttpRequest.newBuilder(server.uri(route[1]))
                .header("Content-Type", "application/json")
                .method(route[0], HttpRequest.BodyPublishers.ofString(route[0].equals("GET") ? "" : "1"));
        if (auth != null) {
          request.header("Authorization", auth);
        }
        HttpResponse<String> response = server.send(request);
        assertError(response, 401, "unauthorized", "a valid admin bearer token is required");
        assertFalse(response.body().contains(TestServer.TOKEN));
      }
    }
  }

  @Test
  void roomsListsEveryRoomWithItsMemberCountAndOneRoomItsMembers() {
    JdkClient a = JdkClient.connect(server, "/list-a");
    String aId = a.welcomeId();
    JdkClient b = JdkClient.connect(server, "/list-a");
    String bId = b.welcomeId();
    JdkClient c = JdkClient.connect(server, "/list-b");
    c.welcomeId();

    HttpResponse<String> rooms = server.adminGet("/rooms");
    assertEquals(200, rooms.statusCode());
    assertTrue(rooms.body().contains("{\"room_id\":\"list-a\",\"members\":2}"), rooms.body());
    assertTrue(rooms.body().contains("{\"room_id\":\"list-b\",\"members\":1}"), rooms.body());
    assertTrue(rooms.body().startsWith("{\"rooms\":["), rooms.body());

    HttpResponse<String> room = server.adminGet("/rooms/list-a");
    assertEquals(200, room.statusCode());
    assertEquals("{\"room_id\":\"list-a\",\"members\":[\"" + aId + "\",\"" + bId + "\"]}", room.body());

    assertError(server.adminGet("/rooms/nobody-here"), 404, "not_found", "no room nobody-here");
    a.close();
    b.close();
    c.close();
  }

  @Test
  void publishingToAnEmptyRoomDeliversToNobody() {
    HttpResponse<String> response = server.adminPost("/rooms/empty-room/messages", "{\"a\":1}");
    assertEquals(200, response.statusCode());
    assertEquals("{\"room_id\":\"empty-room\",\"delivered\":0}", response.body());
  }

  @Test
  void badRoomNamesAndBadJsonAre400() {
    assertError(
        server.adminPost("/rooms/bad!/messages", "1"),
        400,
        "bad_request",
        "room name has a character that is not allowed (U+0021 at position 3); allowed are A-Z a-z 0-9 - _ . ~ :");
    assertError(
        server.adminPost("/rooms/ok/messages", "{\"a\":"), 400, "bad_request", "the body is not valid JSON");
    assertError(
        server.adminPost("/rooms/ok/messages", "{} {}"), 400, "bad_request", "the body is not valid JSON");
  }

  @Test
  void statisticRecordsAreValidatedWholeBeforeAnythingIsBroadcast() {
    JdkClient listener = JdkClient.connect(server, "/dailyNews");
    listener.welcomeId();
    String[][] cases = {
      {"{}", "the body must be a JSON array of statistic records"},
      {"[1]", "record 0 is not a JSON object"},
      {"[{\"product_line_id\":1},{}]", "record 1: field \\\"product_line_id\\\" is missing"},
      {"[{\"product_line_id\":1.5}]", "record 0: field \\\"product_line_id\\\" must be a 32-bit integer"},
      {"[{\"product_line_id\":\"7\"}]", "record 0: field \\\"product_line_id\\\" must be a 32-bit integer"},
      {"[{\"product_line_id\":2147483648}]", "record 0: field \\\"product_line_id\\\" must be a 32-bit integer"},
      {"[{\"product_line_id\":1,\"total_trx\":9223372036854775808}]", "record 0: field \\\"total_trx\\\" must be a 64-bit integer or null"},
      {"[{\"product_line_id\":1,\"total_amount\":\"12\"}]", "record 0: field \\\"total_amount\\\" must be a number or null"},
      {"[{\"product_line_id\":1,\"currency\":3}]", "record 0: field \\\"currency\\\" must be a string or null"},
      {"[{\"product_line_id\":1,\"product_line\":[]}]", "record 0: field \\\"product_line\\\" must be a string or null"},
      {"[{\"product_line_id\":1,\"group_status\":true}]", "record 0: field \\\"group_status\\\" must be a string or null"},
    };
    for (String[] c : cases) {
      assertError(server.adminPost("/dailyDashBoard", c[0]), 400, "bad_request", c[1]);
    }
    listener.expectNothing();
    HttpResponse<String> ok =
        server.adminPost("/dailyDashBoard", "[{\"product_line_id\":-2147483648,\"total_trx\":null}]");
    assertEquals(200, ok.statusCode());
    assertTrue(listener.next().contains("\"msg\":[{\"product_line_id\":-2147483648,\"total_trx\":null}]"));
    listener.close();
  }

  @Test
  void aNonJsonContentTypeIs415() {
    HttpResponse<String> response =
        server.send(
            HttpRequest.newBuilder(server.uri("/dailyDashBoard"))
                .header("Authorization", "Bearer " + TestServer.TOKEN)
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("[]")));
    assertError(response, 415, "unsupported_media_type", "the body must be application/json");
  }

  @Test
  void aBodyOverMaxBodyIs413() {
    String big = "[" + "1,".repeat(600) + "1]";
    assertError(
        server.adminPost("/rooms/big/messages", big),
        413,
        "payload_too_large",
        "the body is larger than 1024 bytes");
  }

  /** A POST of this JSON body in chunks of {@code chunk} bytes, without Content-Length. */
  private static RawHttp.Answer chunkedPost(String target, String body, int chunk) throws Exception {
    StringBuilder request =
        new StringBuilder(
            "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + "Authorization: Bearer " + TestServer.TOKEN + "\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int at = 0; at < body.length(); at += chunk) {
      String part = body.substring(at, Math.min(body.length(), at + chunk));
      request.append(Integer.toHexString(part.length())).append("\r\n").append(part).append("\r\n");
    }
    request.append("0\r\n\r\n");
    return RawHttp.send(server.port(), request.toString().getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void aChunkedBodyOverMaxBodyIs413() throws Exception {
    JdkClient listener = JdkClient.connectJson(server, "/chunked");
    listener.next(); // welcome
    String big = "[" + "1,".repeat(600) + "1]"; // 1,203 bytes, max-body is 1 KiB
    RawHttp.Answer answer = chunkedPost("/rooms/chunked/messages", big, 100);
    assertEquals(413, answer.status(), answer.head() + "\n" + answer.body());
    assertTrue(answer.head().toLowerCase().contains("content-type: application/json"), answer.head());
    assertEquals(
        "{\"error\":\"payload_too_large\",\"message\":\"the body is larger than 1024 bytes\"}",
        answer.body());

    // One just under the limit is read whole and broadcast; the listener saw nothing before it.
    String fits = "[" + "1,".repeat(510) + "1]"; // 1,023 bytes
    RawHttp.Answer ok = chunkedPost("/rooms/chunked/messages", fits, 100);
    assertEquals(200, ok.status(), ok.head() + "\n" + ok.body());
    assertEquals("{\"room_id\":\"chunked\",\"delivered\":1}", ok.body());
    String message = listener.next();
    assertTrue(message.contains("\"msg\":" + fits), message);
    listener.close();
  }

  @Test
  void wrongMethodsAre405() {
    HttpResponse<String> response =
        server.send(
            HttpRequest.newBuilder(server.uri("/dailyDashBoard"))
                .header("Authorization", "Bearer " + TestServer.TOKEN)
                .GET());
    assertError(response, 405, "method_not_allowed", "only POST is allowed here");
  }
}
