package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.ClientRequest;
import io.github.lobby.core.LeaveReason;
import io.github.lobby.core.Payload;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import io.github.lobby.http.codec.ClassicCodec;
import io.github.lobby.http.codec.JsonModeCodec;
import java.util.List;
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
}
