package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every row of PROTOCOL.md sections 1 to 3 over real sockets, with real clients. */
class WebSocketTest {

  static TestServer server;
  static final AtomicInteger rooms = new AtomicInteger();

  @BeforeAll
  static void start() {
    server = new TestServer();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static String room() {
    return "room-" + rooms.incrementAndGet();
  }

  static String message(String id, String msg, String room) {
    return "{\"id\":\"" + id + "\",\"msg\":" + msg + ",\"room_id\":\"" + room + "\"}";
  }

  /** Two classic members of one room, each having read its welcome, a also the join of b. */
  record Pair(JdkClient a, String aId, JdkClient b, String bId) {}

  static Pair pair(String room) {
    JdkClient a = JdkClient.connect(server, "/" + room);
    String aId = a.welcomeId();
    JdkClient b = JdkClient.connect(server, "/" + room);
    String bId = b.welcomeId();
    a.expect(bId + " just joined!");
    return new Pair(a, aId, b, bId);
  }

  @Test
  void classicJoinWelcomesTheJoinerAndTellsTheOthers() {
    String room = room();
    JdkClient a = JdkClient.connect(server, "/" + room);
    String aId = a.welcomeId();
    UUID.fromString(aId);
    JdkClient b = JdkClient.connect(server, "/" + room);
    String bId = b.welcomeId();
    a.expect(bId + " just joined!");
    b.expectNothing();
  }

  @Test
  void classicTextIsBroadcastToEveryMemberSenderIncluded() {
    String room = room();
    Pair pair = pair(room);
    JdkClient a = pair.a();
    String aId = pair.aId();
    JdkClient b = pair.b();

    a.send("hello \"world\" \\ ü");

    String expected = message(aId, "\"hello \\\"world\\\" \\\\ ü\"", room);
    a.expect(expected);
    b.expect(expected);
  }

  @Test
  void classicWhisperReachesOnlyItsTargetInAnyRoom() {
    String room = room();
    Pair pair = pair(room);
    JdkClient a = pair.a();
    String aId = pair.aId();
    JdkClient b = pair.b();
    JdkClient far = JdkClient.connect(server, "/" + room());
    String farId = far.welcomeId();

    a.send("\\w " + farId + " just between us");

    far.expect(
        "{\"id\":\"" + aId + "\",\"msg\":\"just between us\",\"room_id\":\"" + room + "\",\"to\":\""
            + farId + "\"}");
    a.expectNothing();
    b.expectNothing();
  }

  @Test
  void classicWhisperToNoLiveSessionAnswersOnlyTheSender() {
    String room = room();
    JdkClient a = JdkClient.connect(server, "/" + room);
    a.welcomeId();
    String nobody = UUID.randomUUID().toString();
    a.send("\\w " + nobody + " anyone?");
    a.expect("no session " + nobody);
    a.send("\\w not-an-id anyone?");
    a.expect("no session not-an-id");
  }

  @Test
  void leavingIsToldToTheRemainingMembers() {
    String room = room();
    Pair pair = pair(room);
    JdkClient a = pair.a();
    JdkClient b = pair.b();
    String bId = pair.bId();

    b.close();

    a.expect(bId + " disconnected.");
  }

  @Test
  void aConnectionLostWithoutACloseFrameIsToldToTheRoom() throws Exception {
    String room = room();
    JdkClient a = JdkClient.connect(server, "/" + room);
    a.welcomeId();
    RawClient lost = new RawClient(server.port(), "/" + room);
    String welcome = lost.readFrame().text();
    String lostId = welcome.substring("your id is ".length());
    a.expect(lostId + " just joined!");

    lost.reset(); // no Close frame

    a.expect(lostId + " disconnected.");
  }

  @Test
  void binaryIsEchoedToTheSenderOnly() {
    String room = room();
    Pair pair = pair(room);
    JdkClient a = pair.a();
    JdkClient b = pair.b();
    byte[] data = {0, 1, 2, (byte) 0xff};

    a.socket.sendBinary(ByteBuffer.wrap(data), true).join();

    JdkClient.Binary echo = assertInstanceOf(JdkClient.Binary.class, a.nextMessage());
    assertEquals(ByteBuffer.wrap(data), echo.data());
    b.expectNothing();
  }

  @Test
  void adminPublishReachesEveryMemberInItsOwnMode() {
    String room = room();
    JdkClient classic = JdkClient.connect(server, "/" + room);
    classic.welcomeId();
    JdkClient json = JdkClient.connectJson(server, "/" + room);
    json.next();
    classic.next();

    HttpResponse<String> response =
        server.adminPost("/rooms/" + room + "/messages", "{\"total\": 3, \"list\": [1, 2.5]}");

    assertEquals(200, response.statusCode());
    assertEquals("{\"room_id\":\"" + room + "\",\"delivered\":2}", response.body());
    String serverId = "00000000-0000-0000-0000-000000000000";
    classic.expect(message(serverId, "{\"total\":3,\"list\":[1,2.5]}", room));
    json.expect(
        "{\"type\":\"message\",\"id\":\"" + serverId + "\",\"room_id\":\"" + room
            + "\",\"msg\":{\"total\":3,\"list\":[1,2.5]}}");
  }

  @Test
  void dailyDashboardBroadcastsStatisticsToDailyNews() {
    JdkClient a = JdkClient.connect(server, "/dailyNews");
    a.welcomeId();
    String stats =
        "[{\"product_line\":\"cards\",\"product_line_id\":7,\"total_trx\":9000000000,"
            + "\"total_amount\":12.5,\"currency\":\"EUR\",\"group_status\":null}]";

    HttpResponse<String> response = server.adminPost("/dailyDashBoard", stats);

    assertEquals(200, response.statusCode());
    assertEquals("{\"room_id\":\"dailyNews\",\"delivered\":1}", response.body());
    a.expect(message("00000000-0000-0000-0000-000000000000", stats, "dailyNews"));
    a.close();
  }

  @Test
  void jsonModeSpeaksTypedFrames() {
    String room = room();
    JdkClient a = JdkClient.connectJson(server, "/" + room);
    assertEquals("lobby.v1.json", a.socket.getSubprotocol());
    String welcomeA = a.next();
    String aId = welcomeA.substring(welcomeA.indexOf("\"id\":\"") + 6, welcomeA.indexOf("\"id\":\"") + 42);
    assertEquals(
        "{\"type\":\"welcome\",\"id\":\"" + aId + "\",\"room_id\":\"" + room + "\",\"members\":[\""
            + aId + "\"]}",
        welcomeA);
    JdkClient b = JdkClient.connectJson(server, "/" + room);
    String welcomeB = b.next();
    String bId = welcomeB.substring(welcomeB.indexOf("\"id\":\"") + 6, welcomeB.indexOf("\"id\":\"") + 42);
    a.expect("{\"type\":\"joined\",\"id\":\"" + bId + "\",\"room_id\":\"" + room + "\"}");

    a.send("{\"type\":\"message\",\"msg\":{\"n\":[1,true,null]}}");
    String expected =
        "{\"type\":\"message\",\"id\":\"" + aId + "\",\"room_id\":\"" + room
            + "\",\"msg\":{\"n\":[1,true,null]}}";
    a.expect(expected);
    b.expect(expected);

    a.send("{\"type\":\"whisper\",\"to\":\"" + bId + "\",\"msg\":\"psst\"}");
    b.expect(
        "{\"type\":\"whisper\",\"id\":\"" + aId + "\",\"to\":\"" + bId + "\",\"room_id\":\"" + room
            + "\",\"msg\":\"psst\"}");
    a.expectNothing();

    b.send("{\"type\":\"members\"}");
    b.expect(
        "{\"type\":\"members\",\"room_id\":\"" + room + "\",\"members\":[\"" + aId + "\",\"" + bId
            + "\"]}");

    b.close();
    a.expect("{\"type\":\"left\",\"id\":\"" + bId + "\",\"room_id\":\"" + room + "\",\"reason\":\"closed\"}");
  }

  @Test
  void jsonModeAnswersBadInputWithErrorFramesAndStaysOpen() {
    String room = room();
    JdkClient a = JdkClient.connectJson(server, "/" + room);
    a.next();
    String[][] cases = {
      {"not json", "the frame is not valid JSON"},
      {"[1,2]", "the frame must be a JSON object with a \\\"type\\\""},
      {"{\"msg\":1}", "field \\\"type\\\" is missing or not a string"},
      {"{\"type\":\"dance\"}", "unknown type \\\"dance\\\"; expected message, whisper, members or refresh"},
      {"{\"type\":\"message\"}", "a message needs a field \\\"msg\\\""},
      {"{\"type\":\"whisper\",\"to\":\"bob\",\"msg\":1}", "a whisper needs a field \\\"to\\\" holding a session id (a UUID)"},
      {"{\"type\":\"whisper\",\"to\":\"" + UUID.randomUUID() + "\"}", "a whisper needs a field \\\"msg\\\""},
    };
    for (String[] c : cases) {
      a.send(c[0]);
      a.expect("{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"" + c[1] + "\"}");
    }
    String nobody = UUID.randomUUID().toString();
    a.send("{\"type\":\"whisper\",\"to\":\"" + nobody + "\",\"msg\":1}");
    a.expect("{\"type\":\"error\",\"code\":\"no_session\",\"message\":\"no session " + nobody + "\"}");
    a.send("{\"type\":\"message\",\"msg\":\"still here\"}");
    assertTrue(a.next().contains("still here"));
  }

  @Test
  void classicAndJsonMembersShareARoom() {
    String room = room();
    JdkClient classic = JdkClient.connect(server, "/" + room);
    String cId = classic.welcomeId();
    JdkClient json = JdkClient.connectJson(server, "/" + room);
    String welcome = json.next();
    assertTrue(welcome.contains(cId));
    classic.next();

    classic.send("hi");
    classic.expect(message(cId, "\"hi\"", room));
    json.expect("{\"type\":\"message\",\"id\":\"" + cId + "\",\"room_id\":\"" + room + "\",\"msg\":\"hi\"}");
  }

  @Test
  void roomsAreIsolated() {
    JdkClient a = JdkClient.connect(server, "/" + room());
    a.welcomeId();
    JdkClient b = JdkClient.connect(server, "/" + room());
    b.welcomeId();
    a.send("only mine");
    a.next();
    b.expectNothing();
  }

  @Test
  void twoHundredMessagesArriveInOrderAtThreeMembers() {
    String room = room();
    List<JdkClient> members = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      JdkClient client = JdkClient.connect(server, "/" + room);
      client.welcomeId();
      members.add(client);
    }
    members.get(0).next();
    members.get(0).next();
    members.get(1).next();
    for (int i = 0; i < 200; i++) {
      members.get(0).send("m" + i);
    }
    for (JdkClient member : members) {
      for (int i = 0; i < 200; i++) {
        assertTrue(member.next().contains("\"msg\":\"m" + i + "\""), "message " + i);
      }
    }
  }

  @Test
  void aMessageOfExactlyTheLimitIsAcceptedAndOneByteMoreClosesWith1009() {
    String room = room();
    JdkClient a = JdkClient.connect(server, "/" + room);
    a.welcomeId();
    String limit = "x".repeat(64 * 1024);
    a.send(limit);
    assertTrue(a.next().contains(limit));
    a.send(limit + "y");
    assertEquals(1009, a.awaitClose(Duration.ofSeconds(10)));
  }

  @Test
  void invalidUtf8ClosesWith1007() throws Exception {
    try (RawClient raw = new RawClient(server.port(), "/" + room())) {
      raw.readFrame(); // welcome
      raw.sendFrame(0x1, new byte[] {(byte) 0xc3, (byte) 0x28}, true, true, 0);
      assertEquals(1007, raw.readUntilClose());
    }
  }

  @Test
  void frameRuleViolationsCloseWith1002() throws Exception {
    byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
    try (RawClient unmasked = new RawClient(server.port(), "/" + room())) {
      unmasked.readFrame();
      unmasked.sendFrame(0x1, hello, true, false, 0);
      assertEquals(1002, unmasked.readUntilClose());
    }
    try (RawClient reserved = new RawClient(server.port(), "/" + room())) {
      reserved.readFrame();
      reserved.sendFrame(0x1, hello, true, true, 0x4);
      assertEquals(1002, reserved.readUntilClose());
    }
    try (RawClient stray = new RawClient(server.port(), "/" + room())) {
      stray.readFrame();
      stray.sendFrame(0x0, hello, true, true, 0);
      assertEquals(1002, stray.readUntilClose());
    }
    try (RawClient bigPing = new RawClient(server.port(), "/" + room())) {
      bigPing.readFrame();
      bigPing.sendFrame(0x9, new byte[126], true, true, 0);
      assertEquals(1002, bigPing.readUntilClose());
    }
  }

  @Test
  void fragmentedMessagesAreReassembled() throws Exception {
    String room = room();
    try (RawClient raw = new RawClient(server.port(), "/" + room)) {
      raw.readFrame();
      raw.sendFrame(0x1, "frag".getBytes(StandardCharsets.UTF_8), false, true, 0);
      raw.sendFrame(0x9, "ping".getBytes(StandardCharsets.UTF_8), true, true, 0); // interleaved
      raw.sendFrame(0x0, "mented".getBytes(StandardCharsets.UTF_8), true, true, 0);
      RawClient.Frame pong = raw.readFrame();
      assertEquals(0xA, pong.opcode());
      assertEquals("ping", pong.text());
      assertTrue(raw.readFrame().text().contains("\"msg\":\"fragmented\""));
    }
  }

  @Test
  void roomNamesAreValidatedBeforeTheUpgrade() {
    for (String path : List.of("/bad%20name", "/a/b", "/%2F", "/" + "r".repeat(129), "/caf%C3%A9")) {
      HttpResponse<String> response = server.get(path);
      assertEquals(400, response.statusCode(), path);
      assertTrue(response.body().startsWith("{\"error\":\"bad_request\",\"message\":\""), response.body());
    }
    assertThrows(CompletionException.class, () -> JdkClient.connect(server, "/bad!room"));
  }

  @Test
  void aPlainGetOfARoomIs400AndTheEmptyPathIsNoRoom() {
    HttpResponse<String> plain = server.get("/" + room());
    assertEquals(400, plain.statusCode());
    assertEquals("application/json", plain.headers().firstValue("Content-Type").orElse(""));
    assertTrue(plain.body().contains("\"error\":\"bad_request\""));
    assertThrows(CompletionException.class, () -> JdkClient.connect(server, "/"));
    assertEquals(400, server.get("/").statusCode());
  }

  @Test
  void anUnknownSubprotocolIsNotSelected() {
    // The server answers without a subprotocol; RFC 6455 clients (browsers) then fail the
    // handshake. The JDK client tolerates it, which lets the test see what was selected.
    JdkClient client =
        new JdkClient(server.ws("/" + room()), "chat.v9");
    assertEquals("", client.socket.getSubprotocol());
    client.welcomeId(); // classic mode
  }

  @Test
  void aClientThatStopsReadingIsClosedWith1008WhileOthersGetEverything() throws Exception {
    // A small outbound buffer, and a close timeout long enough for the test to read its way,
    // through what the kernel buffered, to the Close frame. The 16 MB come faster than the
    // default byte rate, which is not what this test is about.
    try (TestServer small =
        new TestServer(
            "lobby.outbound-buffer = 64\nlobby.http.close-timeout = 60s\n"
                + "lobby.max-inbound-bytes-per-second = unlimited")) {
      String room = room();
      JdkClient sender = JdkClient.connect(small, "/" + room);
      sender.welcomeId();
      JdkClient witness = JdkClient.connect(small, "/" + room);
      witness.welcomeId();
      sender.next();
      try (RawClient slow = new RawClient(small.port(), "/" + room)) {
        sender.next();
        witness.next();
        String payload = "z".repeat(16 * 1024);
        int count = 1000; // 16 MB: more than the kernel buffers between server and client
        String slowLeft = null;
        for (int i = 0; i < count; i++) {
          sender.send(i + payload);
          String echo = sender.next(); // paced by its own echo: the sender is never slow
          if (echo.endsWith(" disconnected.")) {
            slowLeft = echo;
            echo = sender.next();
          }
          assertTrue(echo.contains("\"msg\":\"" + i + "z"), "message " + i);
        }
        assertTrue(slowLeft != null, "the slow client was never closed");
        for (int i = 0; i < count; i++) {
          String m = witness.next();
          if (m.endsWith(" disconnected.")) {
            m = witness.next();
          }
          assertTrue(m.contains("\"msg\":\"" + i + "z"), "witness message " + i);
        }
        assertEquals(1008, slow.readUntilClose());
      }
    }
  }

  @Test
  void http404And405AreJson() {
    HttpResponse<String> notFound = server.adminGet("/rooms/a/b/c");
    assertEquals(404, notFound.statusCode());
    assertTrue(notFound.body().startsWith("{\"error\":\"not_found\""), notFound.body());
    HttpResponse<String> wrongMethod =
        server.send(HttpRequest.newBuilder(server.uri("/health")).DELETE());
    assertEquals(405, wrongMethod.statusCode());
    assertTrue(wrongMethod.body().startsWith("{\"error\":\"method_not_allowed\""), wrongMethod.body());
  }
}
