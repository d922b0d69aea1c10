package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.ClientRequest;
import io.github.lobby.core.LeaveReason;
import io.github.lobby.core.Payload;
import io.github.lobby.core.ResumeKey;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import io.github.lobby.http.codec.ClassicCodec;
import io.github.lobby.http.codec.JsonModeCodec;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The wire text of every event in both modes, and the decoding of client frames. */
class CodecTest {

  static final SessionId A = new SessionId(UUID.fromString("11111111-1111-4111-8111-111111111111"));
  static final SessionId B = new SessionId(UUID.fromString("22222222-2222-4222-8222-222222222222"));
  static final RoomId ROOM = new RoomId("r");

  @Test
  void classicRendersTheTutorialsFrames() {
    ClassicCodec c = ClassicCodec.INSTANCE;
    assertEquals("your id is " + A, c.render(new ClientEvent.Welcome(A, ROOM, List.of(A))));
    assertEquals(B + " just joined!", c.render(new ClientEvent.Joined(B, ROOM)));
    assertEquals(B + " disconnected.", c.render(new ClientEvent.Left(B, ROOM, LeaveReason.TIMEOUT)));
    assertEquals("no session x", c.render(new ClientEvent.NoSession("x")));
    assertEquals(
        "{\"id\":\"" + A + "\",\"msg\":\"a\\\"b\\n\",\"room_id\":\"r\"}",
        c.render(new ClientEvent.Message(A, ROOM, new Payload.Text("a\"b\n"))));
    assertEquals(
        "{\"id\":\"" + A + "\",\"msg\":[1],\"room_id\":\"r\",\"to\":\"" + B + "\"}",
        c.render(new ClientEvent.Whisper(A, B, ROOM, new Payload.Json("[1]"))));
  }

  @Test
  void classicDecodesWhispersAndEverythingElseAsBroadcast() {
    ClassicCodec c = ClassicCodec.INSTANCE;
    assertEquals(new ClientRequest.Whisper("id", new Payload.Text("two words")), c.decode("\\w id two words"));
    assertEquals(new ClientRequest.Whisper("id", new Payload.Text("")), c.decode("\\w id"));
    assertEquals(new ClientRequest.Whisper("id", new Payload.Text("x")), c.decode("\\w   id x"));
    for (String text : List.of("\\w", "\\w ", "\\wid x", "hello", "", " \\w id x")) {
      assertEquals(new ClientRequest.Broadcast(new Payload.Text(text)), c.decode(text), text);
    }
  }

  @Test
  void jsonModeAddsUsersOnlyWhenSessionsAreAuthenticated() {
    JsonModeCodec j = JsonModeCodec.INSTANCE;
    java.util.Map<SessionId, String> users = new java.util.LinkedHashMap<>();
    users.put(A, "alice");
    assertEquals(
        "{\"type\":\"welcome\",\"id\":\"" + A + "\",\"room_id\":\"r\",\"members\":[\"" + A + "\",\""
            + B + "\"],\"user\":\"alice\",\"users\":{\"" + A + "\":\"alice\"}}",
        j.render(new ClientEvent.Welcome(A, ROOM, List.of(A, B), users)));
    assertEquals(
        "{\"type\":\"welcome\",\"id\":\"" + B + "\",\"room_id\":\"r\",\"members\":[]}",
        j.render(new ClientEvent.Welcome(B, ROOM, List.of())));
    assertEquals(
        "{\"type\":\"joined\",\"id\":\"" + A + "\",\"room_id\":\"r\",\"user\":\"alice\"}",
        j.render(new ClientEvent.Joined(A, ROOM, "alice")));
    assertEquals(
        "{\"type\":\"joined\",\"id\":\"" + A + "\",\"room_id\":\"r\"}",
        j.render(new ClientEvent.Joined(A, ROOM)));
    assertEquals(
        "{\"type\":\"left\",\"id\":\"" + A + "\",\"room_id\":\"r\",\"reason\":\"closed\",\"user\":\"alice\"}",
        j.render(new ClientEvent.Left(A, ROOM, LeaveReason.CLOSED, "alice")));
    assertEquals(
        "{\"type\":\"members\",\"room_id\":\"r\",\"members\":[\"" + A + "\"],\"users\":{\"" + A
            + "\":\"alice\"}}",
        j.render(new ClientEvent.Members(ROOM, List.of(A), users)));
    assertEquals(
        "{\"type\":\"members\",\"room_id\":\"r\",\"members\":[]}",
        j.render(new ClientEvent.Members(ROOM, List.of())));
    assertEquals(
        "{\"type\":\"error\",\"code\":\"no_user\",\"message\":\"no session of user bob\"}",
        j.render(new ClientEvent.NoUser("bob")));
    assertEquals(
        "{\"type\":\"refreshed\",\"expires_at\":\"2030-01-01T00:00:00Z\"}",
        j.render(new ClientEvent.Refreshed(java.time.Instant.parse("2030-01-01T00:00:00Z"))));
    assertEquals("{\"type\":\"refreshed\"}", j.render(new ClientEvent.Refreshed(null)));
  }

  @Test
  void jsonModeAddsTheResumeKeyAndResumedOnlyWhenTheyHaveAValue() {
    JsonModeCodec j = JsonModeCodec.INSTANCE;
    ResumeKey key = new ResumeKey("q9Xv-3_kLm0aBcDeFgHiJkLmNoPqRsTu");
    assertEquals(
        "{\"type\":\"welcome\",\"id\":\"" + A + "\",\"room_id\":\"r\",\"members\":[\"" + A
            + "\"],\"resume_key\":\"q9Xv-3_kLm0aBcDeFgHiJkLmNoPqRsTu\"}",
        j.render(
            new ClientEvent.Welcome(A, ROOM, List.of(A), Map.of(), null, null, null, key, null)));
    // After users, epoch, offset and recovered; resumed last, false too.
    assertEquals(
        "{\"type\":\"welcome\",\"id\":\"" + A + "\",\"room_id\":\"r\",\"members\":[\"" + B
            + "\",\"" + A + "\"],\"user\":\"alice\",\"users\":{\"" + A
            + "\":\"alice\"},\"epoch\":\"e\",\"offset\":3,\"recovered\":true,"
            + "\"resume_key\":\"q9Xv-3_kLm0aBcDeFgHiJkLmNoPqRsTu\",\"resumed\":true}",
        j.render(
            new ClientEvent.Welcome(
                A, ROOM, List.of(B, A), Map.of(A, "alice"), "e", 3L, true, key, true)));
    assertEquals(
        "{\"type\":\"welcome\",\"id\":\"" + A + "\",\"room_id\":\"r\",\"members\":[\"" + A
            + "\"],\"resumed\":false}",
        j.render(
            new ClientEvent.Welcome(A, ROOM, List.of(A), Map.of(), null, null, null, null, false)));
    // Classic mode never changes.
    assertEquals(
        "your id is " + A,
        ClassicCodec.INSTANCE.render(
            new ClientEvent.Welcome(A, ROOM, List.of(A), Map.of(), null, null, null, key, true)));
  }

  @Test
  void jsonModeAddsOffsetsEpochAndRecoveredOnlyWithHistory() {
    JsonModeCodec j = JsonModeCodec.INSTANCE;
    // Without history: exactly the frames of before.
    assertEquals(
        "{\"type\":\"message\",\"id\":\"" + A + "\",\"room_id\":\"r\",\"msg\":\"hi\"}",
        j.render(new ClientEvent.Message(A, ROOM, new Payload.Text("hi"))));
    assertEquals(
        "{\"type\":\"welcome\",\"id\":\"" + A + "\",\"room_id\":\"r\",\"members\":[\"" + A + "\"]}",
        j.render(new ClientEvent.Welcome(A, ROOM, List.of(A), Map.of(), null, null, null)));
    // With history: offset after msg; epoch, offset and recovered after users, 0 and false too.
    assertEquals(
        "{\"type\":\"message\",\"id\":\"" + A
            + "\",\"room_id\":\"r\",\"msg\":{\"a\":[1]},\"offset\":7}",
        j.render(new ClientEvent.Message(A, ROOM, new Payload.Json("{\"a\":[1]}"), 7L)));
    assertEquals(
        "{\"type\":\"welcome\",\"id\":\"" + A + "\",\"room_id\":\"r\",\"members\":[\"" + A
            + "\"],\"epoch\":\"0123456789abcdef\",\"offset\":0}",
        j.render(
            new ClientEvent.Welcome(
                A, ROOM, List.of(A), Map.of(), "0123456789abcdef", 0L, null)));
    assertEquals(
        "{\"type\":\"welcome\",\"id\":\"" + A + "\",\"room_id\":\"r\",\"members\":[\"" + A
            + "\"],\"user\":\"alice\",\"users\":{\"" + A
            + "\":\"alice\"},\"epoch\":\"e\",\"offset\":12,\"recovered\":false}",
        j.render(
            new ClientEvent.Welcome(A, ROOM, List.of(A), Map.of(A, "alice"), "e", 12L, false)));
    assertEquals(
        "{\"type\":\"welcome\",\"id\":\"" + A + "\",\"room_id\":\"r\",\"members\":[\"" + A
            + "\"],\"epoch\":\"e\",\"offset\":3,\"recovered\":true}",
        j.render(new ClientEvent.Welcome(A, ROOM, List.of(A), Map.of(), "e", 3L, true)));
    // Classic mode never changes.
    assertEquals(
        "{\"id\":\"" + A + "\",\"msg\":\"hi\",\"room_id\":\"r\"}",
        ClassicCodec.INSTANCE.render(new ClientEvent.Message(A, ROOM, new Payload.Text("hi"), 7L)));
    assertEquals(
        "your id is " + A,
        ClassicCodec.INSTANCE.render(
            new ClientEvent.Welcome(A, ROOM, List.of(A), Map.of(), "e", 3L, true)));
  }

  @Test
  void jsonModeDecodesWhispersToUsersAndRefreshes() {
    JsonModeCodec j = JsonModeCodec.INSTANCE;
    assertEquals(
        new ClientRequest.WhisperUser("alice", new Payload.Json("{\"a\":1}")),
        j.decode("{\"type\":\"whisper\",\"user\":\"alice\",\"msg\":{\"a\":1}}"));
    assertEquals(
        new ClientRequest.Refresh("t.o.k"), j.decode("{\"type\":\"refresh\",\"token\":\"t.o.k\"}"));
    for (String bad :
        List.of(
            "{\"type\":\"refresh\"}",
            "{\"type\":\"refresh\",\"token\":1}",
            "{\"type\":\"refresh\",\"token\":\"\"}",
            "{\"type\":\"whisper\",\"user\":\"\",\"msg\":1}",
            "{\"type\":\"whisper\",\"user\":7,\"msg\":1}",
            "{\"type\":\"whisper\",\"user\":\"alice\"}")) {
      assertEquals(
          "bad_request",
          ((ClientRequest.Invalid) j.decode(bad)).code(),
          bad);
    }
    // The token never shows in the request's text form (it may reach a log line).
    assertEquals("Refresh[token=...]", new ClientRequest.Refresh("secret-token").toString());
  }

  @Test
  void jsonModeRendersExactlyTheListedFields() {
    JsonModeCodec j = JsonModeCodec.INSTANCE;
    assertEquals(
        "{\"type\":\"left\",\"id\":\"" + B + "\",\"room_id\":\"r\",\"reason\":\"slow_consumer\"}",
        j.render(new ClientEvent.Left(B, ROOM, LeaveReason.SLOW_CONSUMER)));
    assertEquals(
        "{\"type\":\"error\",\"code\":\"no_session\",\"message\":\"no session x\"}",
        j.render(new ClientEvent.NoSession("x")));
  }

  @Test
  void jsonModeKeepsTheMessageValueExactly() {
    ClientRequest request =
        JsonModeCodec.INSTANCE.decode("{\"type\":\"message\",\"msg\":{\"big\":123456789012345678901234567890,\"f\":1.00000000000000000001}}");
    assertEquals(
        new ClientRequest.Broadcast(new Payload.Json("{\"big\":123456789012345678901234567890,\"f\":1.00000000000000000001}")),
        request);
  }

  @Test
  void jsonModeKeepsTrailingZerosOfDecimals() {
    // Found by BadInputPropertyTest: 1.0 and 2.18034336721281E14 used to be relayed as integers.
    assertEquals(
        new ClientRequest.Broadcast(new Payload.Json("[1.0,0.50,1E+400,218034336721281.0,7]")),
        JsonModeCodec.INSTANCE.decode(
            "{\"type\":\"message\",\"msg\":[1.0,0.50,1E400,2.18034336721281E14,7]}"));
  }

  @Test
  void jsonModeRejectsDuplicateKeys() {
    assertEquals(
        new ClientRequest.Invalid("bad_request", "the frame is not valid JSON"),
        JsonModeCodec.INSTANCE.decode("{\"type\":\"message\",\"msg\":1,\"msg\":2}"));
  }

  @Test
  void aHistoryResetIsAnErrorFrameWithTheNewEpochAndOffset() {
    assertEquals(
        "{\"type\":\"error\",\"code\":\"history_reset\",\"message\":\"the room's history was"
            + " reset: messages may be missing\",\"epoch\":\"0123456789abcdef\",\"offset\":0}",
        JsonModeCodec.INSTANCE.render(new ClientEvent.HistoryReset("0123456789abcdef", 0)));
  }
}
