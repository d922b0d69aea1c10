package io.github.lobby.http;

import static io.github.lobby.http.JsonFrames.json;
import static io.github.lobby.http.JsonFrames.next;
import static io.github.lobby.http.JsonFrames.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.lobby.http.codec.WireJson;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * History and recovery (PROTOCOL.md section 8) over real sockets, on both connection paths: a JSON
 * client that lost its connection reconnects with {@code ?since=&epoch=} and gets exactly what it
 * missed, the upgrade refuses a bad query with 400, the admin API shows what a room keeps, and a
 * server without history writes the frames of before.
 */
class HistorySocketTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SUBPROTOCOL = "Sec-WebSocket-Protocol: lobby.v1.json\r\n";
  private static final String SERVER_ID = "00000000-0000-0000-0000-000000000000";

  private static final TestServer LEAN = new TestServer("lobby.history { size = 200 }");
  private static final RoutesTestServer ROUTES =
      new RoutesTestServer("lobby.history { size = 200 }");
  /** A history shorter than the gaps the tests make. */
  private static final TestServer SMALL = new TestServer("lobby.history { size = 5 }");
  /** No history: the default. */
  private static final TestServer PLAIN = new TestServer();

  private static final AtomicInteger rooms = new AtomicInteger();

  @AfterAll
  static void stop() {
    LEAN.close();
    ROUTES.close();
    SMALL.close();
    PLAIN.close();
  }

  static Stream<Arguments> paths() {
    return Stream.of(Arguments.of("lean", LEAN.port()), Arguments.of("routes", ROUTES.port()));
  }

  private static String room(String prefix) {
    return prefix + "-" + rooms.incrementAndGet();
  }


  /**
   * A JSON-mode client on a plain socket, for the reconnections: the JDK's client sends {@code
   * Content-Length: 0} with its upgrade, which the lean path hands to Pekko HTTP, so only a raw
   * upgrade reaches the lean path's reading of {@code since} and {@code epoch}.
   */
  private static final class RawJson implements AutoCloseable {
    private final RawClient raw;

    RawJson(int port, String target) throws IOException {
      raw = new RawClient(port, target, SUBPROTOCOL);
      assertTrue(raw.upgraded(), target + ": " + raw.statusLine);
    }

    /** The next text frame, skipping the server's Pings. */
    String next() throws IOException {
      return raw.readFrameSkippingPings().text();
    }

    /** The next message frame, skipping joins and departures of others. */
    JsonNode nextMessage() throws IOException {
      while (true) {
        JsonNode frame = parse(next());
        if (frame.get("type").asText().equals("message")) {
          return frame;
        }
      }
    }

    void expectNothing() throws IOException {
      raw.socket.setSoTimeout(300);
      try {
        fail("unexpected frame " + next());
      } catch (SocketTimeoutException expected) {
        // nothing came
      } finally {
        raw.socket.setSoTimeout(15_000);
      }
    }

    @Override
    public void close() throws IOException {
      raw.sendClose(1000);
      raw.close();
    }
  }




  private static void assertRecovered(boolean expected, JsonNode welcome) {
    assertTrue(welcome.has("recovered"), "no recovered: " + welcome);
    assertEquals(expected, welcome.get("recovered").booleanValue(), welcome.toString());
  }

  /** Waits up to 10 seconds for the room to have no member (it is still there: 200). */
  private static void awaitEmpty(TestServer server, String room) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    String body = server.adminGet("/rooms/" + room).body();
    while (!body.contains("\"members\":[]") && System.nanoTime() < deadline) {
      Thread.sleep(20);
      body = server.adminGet("/rooms/" + room).body();
    }
    assertEquals("{\"room_id\":\"" + room + "\",\"members\":[]}", body);
  }

  private static String send(long i) {
    return "{\"type\":\"message\",\"msg\":" + i + "}";
  }

  private static RawHttp.Answer upgrade(int port, String target, String extraHeaders)
      throws Exception {
    return RawHttp.upgrade(port, target, extraHeaders);
  }

  /** A member that joined, read its welcome and left; what it knew of the room. */
  private record Seen(String epoch, long offset) {}

  private static Seen joinAndLeave(int port, String room) {
    JdkClient client = json(port, "/" + room);
    JsonNode welcome = next(client, "welcome");
    client.close();
    return new Seen(welcome.get("epoch").asText(), welcome.get("offset").asLong());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void aClientCutOffMidStreamGetsExactlyWhatItMissedThenLiveMessages(String path, int port)
      throws Exception {
    String room = room("cut-" + path);
    JdkClient publisher = json(port, "/" + room);
    next(publisher, "welcome");
    RawClient victim = new RawClient(port, "/" + room, SUBPROTOCOL);
    assertTrue(victim.upgraded(), victim.statusLine);
    JsonNode welcome = next(victim, "welcome");
    String epoch = welcome.get("epoch").asText();
    assertEquals(16, epoch.length(), welcome.toString());
    assertEquals(0, welcome.get("offset").asLong(), welcome.toString());
    assertFalse(welcome.has("recovered"), "asked for no recovery: " + welcome);

    // The publisher sends 100 messages, a little apart, while the victim reads 30 of them and its
    // connection is cut without a Close (a TCP reset).
    CompletableFuture<Void> sending =
        CompletableFuture.runAsync(
            () -> {
              for (int i = 1; i <= 100; i++) {
                publisher.send(send(i));
                try {
                  Thread.sleep(3);
                } catch (InterruptedException e) {
                  throw new AssertionError(e);
                }
              }
            });
    long last = 0;
    for (int i = 1; i <= 30; i++) {
      JsonNode message = next(victim, "message");
      assertEquals(i, message.get("msg").asInt(), message.toString());
      assertEquals(i, message.get("offset").asLong(), message.toString());
      last = message.get("offset").asLong();
    }
    victim.reset();

    // It reconnects, most likely while the publisher is still sending.
    RawJson back = new RawJson(port, "/" + room + "?since=" + last + "&epoch=" + epoch);
    JsonNode again = parse(back.next());
    assertEquals("welcome", again.get("type").asText(), again.toString());
    assertEquals(epoch, again.get("epoch").asText());
    assertRecovered(true, again);
    long atWelcome = again.get("offset").asLong();
    sending.join();
    publisher.send(send(101)); // live, whatever the timing
    List<Long> offsets = new ArrayList<>();
    long expected = last;
    while (expected < 101) {
      JsonNode frame = parse(back.next());
      if (!frame.get("type").asText().equals("message")) {
        // Only departures and joins of others may come between; none of them before the replay.
        assertTrue(offsets.size() >= atWelcome - last, "replay interrupted by " + frame);
        continue;
      }
      expected++;
      offsets.add(frame.get("offset").asLong());
      assertEquals(expected, frame.get("offset").asLong(), "after " + offsets + ": " + frame);
      assertEquals(expected, frame.get("msg").asLong(), frame.toString());
      assertEquals(room, frame.get("room_id").asText());
    }
    assertTrue(atWelcome >= last && atWelcome <= 100, "welcome offset " + atWelcome);
    back.expectNothing();
    back.close();
    publisher.close();
  }

  @Test
  void aGapLongerThanTheHistoryIsNotRecoveredAndNothingIsReplayed() throws Exception {
    String room = room("short");
    Seen seen = joinAndLeave(SMALL.port(), room);
    JdkClient publisher = json(SMALL.port(), "/" + room);
    next(publisher, "welcome");
    for (int i = 1; i <= 10; i++) {
      publisher.send(send(i));
      assertEquals(i, next(publisher, "message").get("offset").asLong());
    }
    RawJson back =
        new RawJson(
            SMALL.port(), "/" + room + "?since=" + seen.offset() + "&epoch=" + seen.epoch());
    JsonNode welcome = parse(back.next());
    assertEquals("welcome", welcome.get("type").asText(), welcome.toString());
    assertRecovered(false, welcome);
    assertEquals(10, welcome.get("offset").asLong(), welcome.toString());
    publisher.send(send(11));
    JsonNode live = parse(back.next());
    assertEquals("message", live.get("type").asText(), live.toString());
    assertEquals(11, live.get("offset").asLong(), live.toString());
    back.expectNothing();
    back.close();
    publisher.close();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void aWrongEpochOrAnOffsetNeverGivenIsNotRecovered(String path, int port) throws Exception {
    String room = room("epoch-" + path);
    JdkClient publisher = json(port, "/" + room);
    String epoch = next(publisher, "welcome").get("epoch").asText();
    publisher.send(send(1));
    next(publisher, "message");
    long offset = 1;
    for (String query :
        List.of(
            "?since=0&epoch=ffffffffffffffff", "?since=0&epoch=other", "?since=9&epoch=" + epoch)) {
      RawJson back = new RawJson(port, "/" + room + query);
      JsonNode welcome = parse(back.next());
      assertEquals("welcome", welcome.get("type").asText(), welcome.toString());
      assertRecovered(false, welcome);
      assertEquals(offset, welcome.get("offset").asLong(), welcome.toString());
      // Nothing replayed: the next message is the next live one.
      publisher.send(send(++offset));
      assertEquals(offset, back.nextMessage().get("offset").asLong());
      back.close();
    }
    publisher.close();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void sinceTheCurrentOffsetIsRecoveredWithNothingToReplay(String path, int port) throws Exception {
    String room = room("current-" + path);
    JdkClient publisher = json(port, "/" + room);
    String epoch = next(publisher, "welcome").get("epoch").asText();
    for (int i = 1; i <= 3; i++) {
      publisher.send(send(i));
      next(publisher, "message");
    }
    RawJson back = new RawJson(port, "/" + room + "?since=3&epoch=" + epoch);
    JsonNode welcome = parse(back.next());
    assertRecovered(true, welcome);
    assertEquals(3, welcome.get("offset").asLong(), welcome.toString());
    back.expectNothing();
    publisher.send(send(4));
    JsonNode live = parse(back.next());
    assertEquals(4, live.get("offset").asLong(), live.toString());
    back.close();
    publisher.close();
  }

  @Test
  void aRoomOutlivesItsLastMemberSoThatItCanBeRecovered() throws Exception {
    String room = room("empty");
    JdkClient only = json(LEAN.port(), "/" + room);
    String epoch = next(only, "welcome").get("epoch").asText();
    only.send(send(1));
    next(only, "message");
    only.send(send(2));
    next(only, "message");
    only.close();
    awaitEmpty(LEAN, room);
    // Nobody is left; the room keeps its history all the same.
    RawJson back = new RawJson(LEAN.port(), "/" + room + "?since=1&epoch=" + epoch);
    JsonNode welcome = parse(back.next());
    assertRecovered(true, welcome);
    JsonNode missed = parse(back.next());
    assertEquals(2, missed.get("offset").asLong(), missed.toString());
    assertEquals(2, missed.get("msg").asInt(), missed.toString());
    back.close();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void aJsonUpgradeWhoseQueryDoesNotParseIs400OnBothPaths(String path, int port)
      throws Exception {
    RawHttp.Answer answer = upgrade(port, "/lounge?since=1&epoch=%zz", SUBPROTOCOL);
    assertEquals(400, answer.status(), answer.head());
    if (path.equals("lean")) {
      // LobbyServer answers with the JSON body; a server bound by hand answers with Pekko HTTP's
      // own text unless it installs JsonParsingErrorHandler.
      assertEquals("bad_request", JSON.readTree(answer.body()).get("error").asText());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void aJsonUpgradeWithABadSinceOrEpochIs400(String path, int port) throws Exception {
    String epoch65 = "e".repeat(65);
    for (String query :
        List.of(
            "?since=1",
            "?epoch=abc",
            "?since=&epoch=abc",
            "?since=-1&epoch=abc",
            "?since=one&epoch=abc",
            "?since=%2B1&epoch=abc",
            "?since=9223372036854775808&epoch=abc",
            "?since=1&epoch=",
            "?since=1&epoch=" + epoch65,
            "?since=1&since=2&epoch=abc")) {
      RawHttp.Answer answer = upgrade(port, "/lounge" + query, SUBPROTOCOL);
      assertEquals(400, answer.status(), query + ": " + answer.head());
      assertTrue(
          answer.head().toLowerCase().contains("content-type: application/json"), answer.head());
      JsonNode body = JSON.readTree(answer.body());
      assertEquals("bad_request", body.get("error").asText(), answer.body());
      String message = body.get("message").asText();
      assertTrue(message.contains("since") || message.contains("epoch"), answer.body());
      assertFalse(answer.body().contains(epoch65), "the epoch is not quoted: " + answer.body());
    }
    assertEquals(
        "since and epoch go together: the offset of the last message received and the epoch of"
            + " its room",
        JSON.readTree(upgrade(port, "/lounge?since=1", SUBPROTOCOL).body())
            .get("message")
            .asText());
    assertEquals(
        "since must be an offset: a whole number, 0 or more",
        JSON.readTree(upgrade(port, "/lounge?since=-1&epoch=abc", SUBPROTOCOL).body())
            .get("message")
            .asText());
    assertEquals(
        "epoch must be 1 to 64 characters, as a welcome gave it",
        JSON.readTree(upgrade(port, "/lounge?since=1&epoch=" + epoch65, SUBPROTOCOL).body())
            .get("message")
            .asText());
    // A valid query is taken.
    assertEquals(101, upgrade(port, "/lounge?token=x&since=0&epoch=abc", SUBPROTOCOL).status());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void classicModeIgnoresSinceAndEpoch(String path, int port) throws Exception {
    for (String query : List.of("?since=1", "?since=-1&epoch=abc", "?since=5&epoch=abc")) {
      RawHttp.Answer answer = upgrade(port, "/lounge" + query, "");
      assertEquals(101, answer.status(), query + ": " + answer.head());
    }
    String room = room("classic-" + path);
    JdkClient classic =
        new JdkClient(
            URI.create("ws://127.0.0.1:" + port + "/" + room + "?since=0&epoch=abc"), null);
    String id = classic.welcomeId();
    classic.send("hi");
    classic.expect("{\"id\":\"" + id + "\",\"msg\":\"hi\",\"room_id\":\"" + room + "\"}");
    classic.expectNothing();
    classic.close();
  }

  @Test
  void theAdminApiShowsWhatARoomKeeps() throws Exception {
    String room = room("admin");
    JdkClient member = json(LEAN.port(), "/" + room);
    JsonNode welcome = next(member, "welcome");
    String memberId = welcome.get("id").asText();
    String epoch = welcome.get("epoch").asText();
    JdkClient classic = JdkClient.connect(LEAN, "/" + room);
    String classicId = classic.welcomeId();
    member.send("{\"type\":\"message\",\"msg\":{\"a\":[1,2.50]}}");
    next(member, "message");
    assertEquals(200, LEAN.adminPost("/rooms/" + room + "/messages", "[\"x\",null]").statusCode());
    next(member, "message");
    classic.send("plain \"text\"");
    next(member, "message");

    HttpResponse<String> all = LEAN.adminGet("/rooms/" + room + "/history");
    assertEquals(200, all.statusCode(), all.body());
    assertTrue(all.headers().firstValue("content-type").orElse("").contains("application/json"));
    assertEquals(
        "{\"room_id\":\"" + room + "\",\"epoch\":\"" + epoch + "\",\"offset\":3,\"messages\":["
            + "{\"offset\":1,\"id\":\"" + memberId + "\",\"msg\":{\"a\":[1,2.50]}},"
            + "{\"offset\":2,\"id\":\"" + SERVER_ID + "\",\"msg\":[\"x\",null]},"
            + "{\"offset\":3,\"id\":\"" + classicId + "\",\"msg\":\"plain \\\"text\\\"\"}]}",
        all.body());
    HttpResponse<String> after2 = LEAN.adminGet("/rooms/" + room + "/history?since=2");
    assertEquals(200, after2.statusCode(), after2.body());
    assertEquals(
        "{\"room_id\":\"" + room + "\",\"epoch\":\"" + epoch + "\",\"offset\":3,\"messages\":["
            + "{\"offset\":3,\"id\":\"" + classicId + "\",\"msg\":\"plain \\\"text\\\"\"}]}",
        after2.body());
    assertEquals(
        "{\"room_id\":\"" + room + "\",\"epoch\":\"" + epoch + "\",\"offset\":3,\"messages\":[]}",
        LEAN.adminGet("/rooms/" + room + "/history?since=3").body());
    member.close();
    classic.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "x", "1.5", "", "%2B1", "99999999999999999999"})
  void theAdminHistoryRefusesABadSince(String since) throws Exception {
    String room = room("bad-since");
    joinAndLeave(LEAN.port(), room);
    HttpResponse<String> answer = LEAN.adminGet("/rooms/" + room + "/history?since=" + since);
    assertEquals(400, answer.statusCode(), answer.body());
    assertEquals(
        "{\"error\":\"bad_request\",\"message\":\"since must be an offset: a whole number, 0 or"
            + " more\"}",
        answer.body());
  }

  @Test
  void theAdminHistoryIs404WithoutSuchARoomOrWithoutHistoryAnd401WithoutToken() {
    HttpResponse<String> none = LEAN.adminGet("/rooms/never-there/history");
    assertEquals(404, none.statusCode(), none.body());
    assertEquals("not_found", parse(none.body()).get("error").asText(), none.body());

    // A room without history: it exists (a member is in it), and still 404.
    JdkClient member = JdkClient.connectJson(PLAIN, "/plain-room");
    member.next();
    assertEquals(200, PLAIN.adminGet("/rooms/plain-room").statusCode());
    HttpResponse<String> off = PLAIN.adminGet("/rooms/plain-room/history");
    assertEquals(404, off.statusCode(), off.body());
    assertEquals("not_found", parse(off.body()).get("error").asText(), off.body());
    member.close();

    for (HttpRequest.Builder request :
        List.of(
            HttpRequest.newBuilder(LEAN.uri("/rooms/x/history")).GET(),
            HttpRequest.newBuilder(LEAN.uri("/rooms/x/history"))
                .header("Authorization", "Bearer wrong")
                .GET())) {
      HttpResponse<String> answer = LEAN.send(request);
      assertEquals(401, answer.statusCode(), answer.body());
      assertEquals("unauthorized", parse(answer.body()).get("error").asText());
    }
    HttpResponse<String> post =
        LEAN.send(
            HttpRequest.newBuilder(LEAN.uri("/rooms/x/history"))
                .header("Authorization", "Bearer " + TestServer.TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("")));
    assertEquals(405, post.statusCode(), post.body());
  }

  @Test
  void withoutHistoryTheFramesAreThoseOfBefore() throws Exception {
    String room = room("plain");
    JdkClient a = JdkClient.connectJson(PLAIN, "/" + room);
    String welcome = a.next();
    String id = parse(welcome).get("id").asText();
    assertEquals(
        "{\"type\":\"welcome\",\"id\":\"" + id + "\",\"room_id\":\"" + room + "\",\"members\":[\""
            + id + "\"]}",
        welcome);
    a.send("{\"type\":\"message\",\"msg\":{\"n\":1}}");
    a.expect(
        "{\"type\":\"message\",\"id\":\"" + id + "\",\"room_id\":\"" + room
            + "\",\"msg\":{\"n\":1}}");
    // A reconnecting client's query is taken, and asks for nothing where nothing is kept.
    RawJson b = new RawJson(PLAIN.port(), "/" + room + "?since=1&epoch=abc");
    String bWelcome = b.next();
    String bId = parse(bWelcome).get("id").asText();
    assertEquals(
        "{\"type\":\"welcome\",\"id\":\"" + bId + "\",\"room_id\":\"" + room + "\",\"members\":[\""
            + id + "\",\"" + bId + "\"]}",
        bWelcome);
    b.expectNothing();
    a.close();
    b.close();
  }
}
