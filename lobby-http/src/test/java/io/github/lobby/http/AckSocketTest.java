package io.github.lobby.http;

import static io.github.lobby.http.JsonFrames.json;
import static io.github.lobby.http.JsonFrames.next;
import static io.github.lobby.http.JsonFrames.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Acknowledged sends (PROTOCOL.md, acknowledged sends) over real sockets, on both connection
 * paths: a {@code message} or {@code whisper} with a {@code ref} is answered with an {@code ack}
 * (after the sender's own copy, with the offset when the room keeps a history) or an error carrying
 * the ref; the same ref again, also after a resume, is answered again and not broadcast twice;
 * bad refs are refused; frames without a ref are as before.
 */
class AckSocketTest {

  private static final String SUBPROTOCOL = "Sec-WebSocket-Protocol: lobby.v1.json\r\n";
  private static final String WITH_GRACE =
      "lobby.history { size = 200 }\nlobby.recovery.grace = 30s\n";

  private static final TestServer LEAN = new TestServer(WITH_GRACE);
  private static final RoutesTestServer ROUTES = new RoutesTestServer(WITH_GRACE);
  /** Neither grace nor history: the defaults. */
  private static final TestServer PLAIN = new TestServer();

  private static final AtomicInteger rooms = new AtomicInteger();

  @AfterAll
  static void stop() {
    LEAN.close();
    ROUTES.close();
    PLAIN.close();
  }

  static Stream<Arguments> paths() {
    return Stream.of(Arguments.of("lean", LEAN.port()), Arguments.of("routes", ROUTES.port()));
  }

  private static String room(String prefix) {
    return prefix + "-" + rooms.incrementAndGet();
  }

  private static RawClient raw(int port, String target) throws IOException {
    RawClient raw = new RawClient(port, target, SUBPROTOCOL);
    assertTrue(raw.upgraded(), target + ": " + raw.statusLine);
    return raw;
  }

  private static String message(Object msg, String ref) {
    return "{\"type\":\"message\",\"msg\":" + msg + ",\"ref\":\"" + ref + "\"}";
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void aMessageWithARefIsAckedAfterTheSendersOwnCopyWithItsOffset(String path, int port) {
    String room = room("ack-" + path);
    JdkClient sender = json(port, "/" + room);
    JsonNode welcome = next(sender, "welcome");
    long offset = welcome.get("offset").asLong();
    sender.send(message("\"hello\"", "c-1"));
    JsonNode own = parse(sender.next());
    assertEquals("message", own.get("type").asText(), own.toString());
    assertEquals(offset + 1, own.get("offset").asLong(), own.toString());
    assertEquals("{\"type\":\"ack\",\"ref\":\"c-1\",\"offset\":" + (offset + 1) + "}", sender.next());
    sender.send(message("\"again\"", "c-2"));
    assertEquals(offset + 2, parse(sender.next()).get("offset").asLong());
    assertEquals("{\"type\":\"ack\",\"ref\":\"c-2\",\"offset\":" + (offset + 2) + "}", sender.next());
    sender.close();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void theSameRefAgainIsAnsweredAgainAndNotBroadcastAgain(String path, int port) {
    String room = room("twice-" + path);
    JdkClient witness = json(port, "/" + room);
    next(witness, "welcome");
    JdkClient sender = json(port, "/" + room);
    next(sender, "welcome");
    next(witness, "joined");
    sender.send(message(1, "dup"));
    JsonNode own = parse(sender.next());
    String ack = sender.next();
    assertEquals(
        "{\"type\":\"ack\",\"ref\":\"dup\",\"offset\":" + own.get("offset").asLong() + "}", ack);
    sender.send(message(2, "dup")); // another body, the same ref: the client's repeat
    assertEquals(ack, sender.next(), "the same answer, nothing broadcast");
    sender.send(message(3, "next"));
    assertEquals(3, parse(sender.next()).get("msg").asInt());
    assertEquals("ack", parse(sender.next()).get("type").asText());
    assertEquals(1, next(witness, "message").get("msg").asInt());
    assertEquals(3, next(witness, "message").get("msg").asInt(), "the repeat was not broadcast");
    witness.expectNothing();
    sender.close();
    witness.close();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void aRefSentAgainAfterAResumeIsAnsweredAgainAndNotBroadcastAgain(String path, int port)
      throws Exception {
    String room = room("resume-" + path);
    JdkClient witness = json(port, "/" + room);
    next(witness, "welcome");
    RawClient victim = raw(port, "/" + room);
    JsonNode welcome = next(victim);
    next(witness, "joined");
    victim.sendText(message("\"once\"", "r-1"));
    // The broadcast went out (the witness has it); the victim's connection is reset before it
    // reads its ack: it cannot know whether the message arrived.
    JsonNode seen = next(witness, "message");
    assertEquals("once", seen.get("msg").asText());
    victim.reset();

    RawClient back =
        raw(
            port,
            "/"
                + room
                + "?resume="
                + welcome.get("id").asText()
                + "&key="
                + welcome.get("resume_key").asText());
    JsonNode again = next(back);
    assertTrue(again.get("resumed").booleanValue(), again.toString());
    back.sendText(message("\"once\"", "r-1"));
    assertEquals(
        "{\"type\":\"ack\",\"ref\":\"r-1\",\"offset\":" + seen.get("offset").asLong() + "}",
        back.readFrameSkippingPings().text(),
        "answered again with the offset it had");
    back.sendText(message("\"new\"", "r-2"));
    JsonNode fresh = next(back);
    assertEquals("new", fresh.get("msg").asText(), fresh.toString());
    assertEquals(
        "{\"type\":\"ack\",\"ref\":\"r-2\",\"offset\":" + fresh.get("offset").asLong() + "}",
        back.readFrameSkippingPings().text());
    assertEquals("new", next(witness, "message").get("msg").asText(), "r-1 came once only");
    witness.expectNothing();
    back.sendClose(1000);
    back.close();
    witness.close();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void whispersWithARefAreAckedWhenDeliveredAndRefusedWithTheRef(String path, int port) {
    String room = room("whisper-" + path);
    JdkClient target = json(port, "/" + room);
    String targetId = next(target, "welcome").get("id").asText();
    JdkClient sender = json(port, "/" + room);
    next(sender, "welcome");
    sender.send("{\"type\":\"whisper\",\"to\":\"" + targetId + "\",\"msg\":\"psst\",\"ref\":\"w-1\"}");
    assertEquals("psst", next(target, "whisper").get("msg").asText());
    assertEquals("{\"type\":\"ack\",\"ref\":\"w-1\"}", sender.next());
    String nobody = UUID.randomUUID().toString();
    sender.send("{\"type\":\"whisper\",\"to\":\"" + nobody + "\",\"msg\":1,\"ref\":\"w-2\"}");
    assertEquals(
        "{\"type\":\"error\",\"code\":\"no_session\",\"message\":\"no session "
            + nobody
            + "\",\"ref\":\"w-2\"}",
        sender.next());
    sender.send("{\"type\":\"whisper\",\"user\":\"bob\",\"msg\":1,\"ref\":\"w-3\"}");
    assertEquals(
        "{\"type\":\"error\",\"code\":\"no_user\",\"message\":\"no session of user bob\","
            + "\"ref\":\"w-3\"}",
        sender.next());
    target.close();
    sender.close();
  }

  @Test
  void badRefsAreRefusedAndAnInvalidFrameWithAGoodRefCarriesIt() {
    JdkClient client = json(PLAIN.port(), "/" + room("bad"));
    next(client, "welcome");
    String tooLong = "x".repeat(65);
    for (String ref : new String[] {"\"\"", "\"" + tooLong + "\"", "7", "null", "[\"a\"]"}) {
      client.send("{\"type\":\"message\",\"msg\":1,\"ref\":" + ref + "}");
      assertEquals(
          "{\"type\":\"error\",\"code\":\"bad_request\","
              + "\"message\":\"\\\"ref\\\" must be a string of 1 to 64 characters\"}",
          client.next(),
          "ref " + ref);
    }
    client.send("{\"type\":\"message\",\"ref\":\"" + "y".repeat(64) + "\"}");
    JsonNode error = parse(client.next());
    assertEquals("bad_request", error.get("code").asText(), error.toString());
    assertEquals("y".repeat(64), error.get("ref").asText(), "the longest ref is a good one");
    client.send("{\"type\":\"whisper\",\"to\":\"nobody\",\"msg\":1,\"ref\":\"w\"}");
    error = parse(client.next());
    assertEquals("w", error.get("ref").asText(), error.toString());
    client.expectNothing();
    client.close();
  }

  @Test
  void withoutHistoryTheAckHasNoOffsetAndFramesWithoutARefAreAsBefore() {
    String room = room("plain");
    JdkClient client = json(PLAIN.port(), "/" + room);
    String id = next(client, "welcome").get("id").asText();
    client.send("{\"type\":\"message\",\"msg\":\"a\",\"ref\":\"p-1\"}");
    String own = "{\"type\":\"message\",\"id\":\"" + id + "\",\"room_id\":\"" + room + "\",\"msg\":\"a\"}";
    assertEquals(own, client.next());
    assertEquals("{\"type\":\"ack\",\"ref\":\"p-1\"}", client.next());
    client.send("{\"type\":\"message\",\"msg\":\"a\"}");
    assertEquals(own, client.next(), "no ref: the frame of before, and no ack");
    client.send("{\"type\":\"message\",\"msg\":\"a\",\"ref\":\"p-1\"}");
    assertEquals("{\"type\":\"ack\",\"ref\":\"p-1\"}", client.next(), "a session without grace");
    client.expectNothing();
    client.close();
  }
}
