package io.github.lobby.http;

import static io.github.lobby.http.JsonFrames.json;
import static io.github.lobby.http.JsonFrames.next;
import static io.github.lobby.http.JsonFrames.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.lobby.http.codec.WireJson;
import java.io.IOException;
import java.net.URI;
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

/**
 * Resuming a session ({@code lobby.resumption}; PROTOCOL.md, resuming a session) over real sockets,
 * on both connection paths: a JSON client whose connection is reset comes back with {@code
 * ?resume=&key=&since=&epoch=} as the same session, its room seeing nothing, and gets exactly what
 * it missed; after the grace its room was told {@code timeout} and it gets a new session; a still
 * open connection is taken over with 4002; bad queries are 400; without a grace the frames are
 * those of before; the key reaches no log line.
 */
class ResumeSocketTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SUBPROTOCOL = "Sec-WebSocket-Protocol: lobby.v1.json\r\n";
  private static final String WITH_GRACE =
      "lobby.history { size = 200 }\nlobby.resumption.grace = 30s\n";
  private static final String SHORT_GRACE =
      "lobby.history { size = 200 }\nlobby.resumption.grace = 1s\n";

  /**
   * Pekko's own debug lines reach SLF4J, whose levels decide (INFO but while {@link
   * #noResumeKeyEverReachesALogLine} runs).
   */
  private static final String PEKKO_DEBUG =
      "pekko.loglevel = DEBUG\n"
          + "pekko.logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"\n";

  private static final TestServer LEAN = new TestServer(WITH_GRACE + PEKKO_DEBUG);
  /**
   * Bound by hand with the error handler docs/EMBEDDING.md asks for, which keeps queries (and the
   * keys in them) out of the log lines of unparsable requests.
   */
  private static final RoutesTestServer ROUTES =
      new RoutesTestServer(
          WITH_GRACE
              + PEKKO_DEBUG
              + "pekko.http.server.parsing.error-handler ="
              + " \"io.github.lobby.http.JsonParsingErrorHandler\"\n");
  private static final TestServer LEAN_SHORT = new TestServer(SHORT_GRACE);
  private static final RoutesTestServer ROUTES_SHORT = new RoutesTestServer(SHORT_GRACE);
  /** Neither grace nor history: the defaults. */
  private static final TestServer PLAIN = new TestServer();

  private static final AtomicInteger rooms = new AtomicInteger();

  @AfterAll
  static void stop() {
    LEAN.close();
    ROUTES.close();
    LEAN_SHORT.close();
    ROUTES_SHORT.close();
    PLAIN.close();
  }

  static Stream<Arguments> paths() {
    return Stream.of(Arguments.of("lean", LEAN.port()), Arguments.of("routes", ROUTES.port()));
  }

  static Stream<Arguments> shortGrace() {
    return Stream.of(
        Arguments.of("lean", LEAN_SHORT.port()), Arguments.of("routes", ROUTES_SHORT.port()));
  }

  private static String room(String prefix) {
    return prefix + "-" + rooms.incrementAndGet();
  }



  /** A JSON-mode client on a plain socket (the lean path reads its query itself). */
  private static RawClient raw(int port, String target) throws IOException {
    RawClient raw = new RawClient(port, target, SUBPROTOCOL);
    assertTrue(raw.upgraded(), target + ": " + raw.statusLine);
    return raw;
  }



  private static String send(long i) {
    return "{\"type\":\"message\",\"msg\":" + i + "}";
  }

  private static String resumeQuery(JsonNode welcome) {
    return "resume=" + welcome.get("id").asText() + "&key=" + welcome.get("resume_key").asText();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void aClientResetMidStreamResumesItsSessionAndGetsWhatItMissedOnce(String path, int port)
      throws Exception {
    String room = room("flap-" + path);
    JdkClient publisher = json(port, "/" + room);
    String publisherId = next(publisher, "welcome").get("id").asText();
    RawClient victim = raw(port, "/" + room);
    JsonNode welcome = next(victim);
    String id = welcome.get("id").asText();
    String key = welcome.get("resume_key").asText();
    String epoch = welcome.get("epoch").asText();
    assertTrue(key.matches("[A-Za-z0-9_-]{22,64}"), "a URL-safe key: " + welcome);
    assertFalse(welcome.has("resumed"), "it asked for nothing: " + welcome);
    assertEquals("joined", parse(publisher.next()).get("type").asText());

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
      JsonNode message = next(victim);
      assertEquals(i, message.get("offset").asLong(), message.toString());
      last = i;
    }
    victim.reset();

    RawClient back =
        raw(port, "/" + room + "?" + resumeQuery(welcome) + "&since=" + last + "&epoch=" + epoch);
    JsonNode again = next(back);
    assertEquals("welcome", again.get("type").asText(), again.toString());
    assertEquals(id, again.get("id").asText(), "the same session");
    assertTrue(again.get("resumed").booleanValue(), again.toString());
    assertTrue(again.get("recovered").booleanValue(), again.toString());
    assertEquals(List.of(publisherId, id), ids(again.get("members")));
    String newKey = again.get("resume_key").asText();
    assertNotEquals(key, newKey, "a new key on every resume");
    sending.join();
    publisher.send(send(101)); // live, whatever the timing
    // Every frame that follows is a message: what it missed in order, once, then the live ones.
    for (long expected = last + 1; expected <= 101; expected++) {
      JsonNode frame = next(back);
      assertEquals("message", frame.get("type").asText(), frame.toString());
      assertEquals(expected, frame.get("offset").asLong(), frame.toString());
      assertEquals(expected, frame.get("msg").asLong(), frame.toString());
    }
    // The publisher saw its own 101 messages and nothing else: no departure, no join.
    for (int i = 1; i <= 101; i++) {
      JsonNode frame = parse(publisher.next());
      assertEquals("message", frame.get("type").asText(), "after " + (i - 1) + ": " + frame);
    }
    publisher.expectNothing();
    back.sendClose(1000);
    back.close();
    publisher.close();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("shortGrace")
  void afterTheGraceTheRoomWasToldTimeoutAndTheClientGetsANewSession(String path, int port)
      throws Exception {
    String room = room("late-" + path);
    JdkClient witness = json(port, "/" + room);
    next(witness, "welcome");
    RawClient victim = raw(port, "/" + room);
    JsonNode welcome = next(victim);
    String id = welcome.get("id").asText();
    next(witness, "joined");
    victim.reset();

    JsonNode left = next(witness, "left");
    assertEquals(id, left.get("id").asText(), left.toString());
    assertEquals("timeout", left.get("reason").asText(), "after the grace: " + left);
    RawClient late = raw(port, "/" + room + "?" + resumeQuery(welcome));
    JsonNode again = next(late);
    assertEquals("welcome", again.get("type").asText(), again.toString());
    assertFalse(again.get("resumed").booleanValue(), again.toString());
    assertNotEquals(id, again.get("id").asText(), "a new session");
    assertEquals(again.get("id").asText(), next(witness, "joined").get("id").asText());
    late.sendClose(1000);
    late.close();
    witness.close();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void aWelcomeLostWithItsConnectionDoesNotLoseTheSessionButOlderKeysNoLongerWork(
      String path, int port) throws Exception {
    String room = room("lost-welcome-" + path);
    JdkClient witness = json(port, "/" + room);
    next(witness, "welcome");
    RawClient victim = raw(port, "/" + room);
    JsonNode first = next(victim);
    String id = first.get("id").asText();
    next(witness, "joined");
    victim.reset();

    // The client resumes with its key; the server's welcome (with a new key) is lost with the
    // connection, so the client knows only the key it resumed with.
    RawClient lost = raw(port, "/" + room + "?" + resumeQuery(first));
    JsonNode unseen = next(lost);
    assertTrue(unseen.get("resumed").booleanValue(), unseen.toString());
    lost.reset();
    RawClient back = raw(port, "/" + room + "?" + resumeQuery(first));
    JsonNode again = next(back);
    assertTrue(again.get("resumed").booleanValue(), "the key resumed with still works: " + again);
    assertEquals(id, again.get("id").asText());
    back.reset();

    // Now the key of the lost welcome is one resume old: it no longer works.
    RawClient stale = raw(port, "/" + room + "?" + resumeQuery(unseen));
    JsonNode refused = next(stale);
    assertFalse(refused.get("resumed").booleanValue(), refused.toString());
    assertNotEquals(id, refused.get("id").asText(), "a new session");
    // The witness saw nobody leave or join but that new session.
    JsonNode joined = parse(witness.next());
    assertEquals("joined", joined.get("type").asText(), joined.toString());
    assertEquals(refused.get("id").asText(), joined.get("id").asText());
    witness.expectNothing();
    stale.sendClose(1000);
    stale.close();
    witness.close();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void resumingAConnectionThatLooksOpenClosesItWith4002(String path, int port) throws Exception {
    String room = room("takeover-" + path);
    JdkClient witness = json(port, "/" + room);
    next(witness, "welcome");
    RawClient old = raw(port, "/" + room);
    JsonNode welcome = next(old);
    next(witness, "joined");

    RawClient back = raw(port, "/" + room + "?" + resumeQuery(welcome));
    JsonNode again = next(back);
    assertTrue(again.get("resumed").booleanValue(), again.toString());
    assertEquals(welcome.get("id").asText(), again.get("id").asText());
    assertEquals(4002, old.readUntilClose());
    witness.send(send(1));
    assertEquals(1, next(back).get("msg").asInt());
    JsonNode echo = parse(witness.next());
    assertEquals("message", echo.get("type").asText(), "no departure, no join before: " + echo);
    witness.expectNothing();
    old.close();
    back.sendClose(1000);
    back.close();
    witness.close();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void aClientThatClosesLeavesAtOnceEvenWithAGrace(String path, int port) throws Exception {
    String room = room("bye-" + path);
    JdkClient witness = json(port, "/" + room);
    next(witness, "welcome");
    RawClient leaving = raw(port, "/" + room);
    JsonNode welcome = next(leaving);
    next(witness, "joined");
    leaving.sendClose(1000);
    JsonNode left = next(witness, "left");
    assertEquals("closed", left.get("reason").asText(), left.toString());
    leaving.close();
    RawClient late = raw(port, "/" + room + "?" + resumeQuery(welcome));
    assertFalse(next(late).get("resumed").booleanValue());
    late.close();
    witness.close();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void aJsonUpgradeWithABadResumeOrKeyIs400(String path, int port) throws Exception {
    String id = "0d4c5a1e-3f8b-4f6e-9c1a-2b7d8e9f0a11";
    String key65 = "K".repeat(65);
    for (String query :
        List.of(
            "?resume=" + id,
            "?key=abc",
            "?resume=" + id + "&key=",
            "?resume=" + id + "&key=" + key65,
            "?resume=" + id + "&resume=" + id + "&key=abc",
            "?resume=" + id + "&key=abc&key=abc",
            "?resume=not-a-session&key=abc",
            "?resume=&key=abc")) {
      RawHttp.Answer answer = RawHttp.upgrade(port, "/lounge" + query, SUBPROTOCOL);
      assertEquals(400, answer.status(), query + ": " + answer.head());
      assertTrue(
          answer.head().toLowerCase().contains("content-type: application/json"), answer.head());
      JsonNode body = JSON.readTree(answer.body());
      assertEquals("bad_request", body.get("error").asText(), answer.body());
      String message = body.get("message").asText();
      assertTrue(message.contains("resume") || message.contains("key"), answer.body());
      assertFalse(answer.body().contains(key65), "the key is not quoted: " + answer.body());
    }
    assertEquals(
        "resume and key go together: the id of the session to resume and the resume_key of its"
            + " welcome",
        JSON.readTree(RawHttp.upgrade(port, "/lounge?key=abc", SUBPROTOCOL).body())
            .get("message")
            .asText());
    assertEquals(
        "key must be 1 to 64 characters, as a welcome gave it",
        JSON.readTree(
                RawHttp.upgrade(port, "/lounge?resume=" + id + "&key=" + key65, SUBPROTOCOL)
                    .body())
            .get("message")
            .asText());
    // A valid query is taken (a session nobody has: a new one), and classic mode reads none.
    String k64 = "K".repeat(64);
    assertEquals(
        101, RawHttp.upgrade(port, "/lounge?resume=" + id + "&key=" + k64, SUBPROTOCOL).status());
    assertEquals(101, RawHttp.upgrade(port, "/lounge?resume=x&key=" + key65, "").status());
  }

  @Test
  void withoutAGraceTheFramesAreThoseOfBeforeAndAResumeGetsANewSession() throws Exception {
    String room = room("plain");
    JdkClient a = JdkClient.connectJson(PLAIN, "/" + room);
    String welcome = a.next();
    String id = parse(welcome).get("id").asText();
    assertEquals(
        "{\"type\":\"welcome\",\"id\":\"" + id + "\",\"room_id\":\"" + room + "\",\"members\":[\""
            + id + "\"]}",
        welcome);
    RawClient b = raw(PLAIN.port(), "/" + room + "?resume=" + id + "&key=abc");
    String bWelcome = b.readFrameSkippingPings().text();
    String bId = parse(bWelcome).get("id").asText();
    assertNotEquals(id, bId);
    assertEquals(
        "{\"type\":\"welcome\",\"id\":\"" + bId + "\",\"room_id\":\"" + room + "\",\"members\":[\""
            + id + "\",\"" + bId + "\"],\"resumed\":false}",
        bWelcome);
    b.reset();
    JsonNode joined = parse(a.next());
    assertEquals("joined", joined.get("type").asText());
    JsonNode left = parse(a.next());
    assertEquals("left", left.get("type").asText(), left.toString());
    assertEquals("error", left.get("reason").asText(), "a reset leaves at once, as before");
    a.close();
  }

  /**
   * With every Lobby and Pekko logger at DEBUG, connections that are resumed, taken over, refused
   * for a wrong key or for a bad query write no resume key to any log line.
   */
  @Test
  void noResumeKeyEverReachesALogLine() throws Exception {
    DebugLogCapture logs = DebugLogCapture.start();
    List<String> keys = new ArrayList<>();
    try {
      for (int port : List.of(LEAN.port(), ROUTES.port())) {
        String room = room("quiet");
        RawClient first = raw(port, "/" + room);
        JsonNode welcome = next(first);
        keys.add(welcome.get("resume_key").asText());
        first.reset();
        // A wrong key (the right one backwards), then the right one, then a takeover.
        String wrong = new StringBuilder(keys.get(keys.size() - 1)).reverse().toString();
        keys.add(wrong);
        RawClient refused =
            raw(port, "/" + room + "?resume=" + welcome.get("id").asText() + "&key=" + wrong);
        assertFalse(next(refused).get("resumed").booleanValue());
        refused.reset();
        RawClient second = raw(port, "/" + room + "?" + resumeQuery(welcome));
        JsonNode again = next(second);
        assertTrue(again.get("resumed").booleanValue(), again.toString());
        keys.add(again.get("resume_key").asText());
        RawClient third = raw(port, "/" + room + "?" + resumeQuery(again));
        JsonNode taken = next(third);
        assertTrue(taken.get("resumed").booleanValue(), taken.toString());
        keys.add(taken.get("resume_key").asText());
        assertEquals(4002, second.readUntilClose());
        second.close();
        String tooLong = "L".repeat(65);
        keys.add(tooLong);
        assertEquals(
            400,
            RawHttp.upgrade(
                    port,
                    "/" + room + "?resume=" + welcome.get("id").asText() + "&key=" + tooLong,
                    SUBPROTOCOL)
                .status());
        // A request line Pekko HTTP's parser refuses, with a key in its query: its parse error
        // is logged without the query.
        String unparsable = "U".repeat(16);
        keys.add(unparsable);
        RawHttp.Answer refusedLine =
            RawHttp.upgrade(
                port,
                "/" + room + "?resume=" + welcome.get("id").asText() + "&key=" + unparsable + "|",
                SUBPROTOCOL);
        assertEquals(400, refusedLine.status(), refusedLine.head());
        third.sendClose(1000);
        third.readUntilClose();
        third.close();
      }
    } finally {
      logs.close();
    }
    List<String> lines = logs.lines();
    assertTrue(
        lines.stream().anyMatch(l -> l.contains("resumed in room")),
        "the debug lines were captured: " + lines.size());
    assertTrue(
        lines.stream().anyMatch(l -> l.contains("Unparsable request answered with 400")),
        "Pekko's debug lines were captured: " + lines.size());
    for (String line : lines) {
      for (String key : keys) {
        assertFalse(line.contains(key), "a resume key in: " + line);
      }
    }
  }

  private static List<String> ids(JsonNode array) {
    List<String> ids = new ArrayList<>();
    array.forEach(node -> ids.add(node.asText()));
    return ids;
  }
}
