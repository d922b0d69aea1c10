package io.github.lobby.http.codec;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.ClientRequest;
import io.github.lobby.core.Payload;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.WireCodec;
import io.github.lobby.core.auth.Principal;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The JSON wire format ({@code lobby.v1.json}, PROTOCOL.md section 3): one object per frame with a
 * {@code type}. Server frames carry exactly the fields the protocol lists (sections 7 and 8 add
 * some, only on servers that authenticate or keep a history). Client frames that are not an object
 * of a known type with the right fields decode to {@link ClientRequest.Invalid} with code {@code
 * bad_request} and a message naming the problem; fields the protocol does not know are ignored.
 */
public final class JsonModeCodec implements WireCodec {

  /** The WebSocket subprotocol that selects this codec. */
  public static final String SUBPROTOCOL = "lobby.v1.json";

  /** The shared instance; the codec is stateless. */
  public static final JsonModeCodec INSTANCE = new JsonModeCodec();

  private static final String BAD_REQUEST = "bad_request";

  private JsonModeCodec() {}

  // Fields of authenticated sessions (user, users), of rooms with a history (epoch, offset,
  // recovered) and of resumable sessions (resume_key, resumed) are written only when they have a
  // value, so that frames without authentication, history and resumption are exactly those of
  // PROTOCOL.md section 3.

  @JsonPropertyOrder({
    "type",
    "id",
    "room_id",
    "members",
    "user",
    "users",
    "epoch",
    "offset",
    "recovered",
    "resume_key",
    "resumed"
  })
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  record Welcome(
      String type,
      String id,
      @JsonProperty("room_id") String roomId,
      @JsonInclude(JsonInclude.Include.ALWAYS) List<String> members,
      String user,
      Map<String, String> users,
      @JsonInclude(JsonInclude.Include.NON_NULL) String epoch,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long offset,
      @JsonInclude(JsonInclude.Include.NON_NULL) Boolean recovered,
      @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("resume_key") String resumeKey,
      @JsonInclude(JsonInclude.Include.NON_NULL) Boolean resumed) {

    /** Hides the resume key: it is a credential. */
    @Override
    public String toString() {
      return "Welcome[id=" + id + ", room_id=" + roomId + "]";
    }
  }

  @JsonPropertyOrder({"type", "id", "room_id", "user"})
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Joined(String type, String id, @JsonProperty("room_id") String roomId, String user) {}

  @JsonPropertyOrder({"type", "id", "room_id", "reason", "user"})
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Left(
      String type, String id, @JsonProperty("room_id") String roomId, String reason, String user) {}

  @JsonPropertyOrder({"type", "id", "room_id", "msg", "offset"})
  record Message(
      String type,
      String id,
      @JsonProperty("room_id") String roomId,
      Payload msg,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long offset) {}

  @JsonPropertyOrder({"type", "id", "to", "room_id", "msg"})
  record Whisper(
      String type, String id, String to, @JsonProperty("room_id") String roomId, Payload msg) {}

  @JsonPropertyOrder({"type", "room_id", "members", "users"})
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  record Members(
      String type,
      @JsonProperty("room_id") String roomId,
      @JsonInclude(JsonInclude.Include.ALWAYS) List<String> members,
      Map<String, String> users) {}

  @JsonPropertyOrder({"type", "expires_at"})
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Refreshed(String type, @JsonProperty("expires_at") String expiresAt) {}

  @JsonPropertyOrder({"type", "code", "message", "ref"})
  record Error(
      String type,
      String code,
      String message,
      @JsonInclude(JsonInclude.Include.NON_NULL) String ref) {}

  @JsonPropertyOrder({"type", "ref", "offset"})
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Ack(String type, String ref, Long offset) {}

  @JsonPropertyOrder({"type", "code", "message", "epoch", "offset"})
  record HistoryReset(String type, String code, String message, String epoch, long offset) {}

  @Override
  public String render(ClientEvent event) {
    return WireJson.write(wire(event));
  }

  private static Object wire(ClientEvent event) {
    if (event instanceof ClientEvent.Message m) {
      return new Message("message", m.from().toString(), m.room().value(), m.msg(), m.offset());
    } else if (event instanceof ClientEvent.Whisper w) {
      return new Whisper(
          "whisper", w.from().toString(), w.to().toString(), w.room().value(), w.msg());
    } else if (event instanceof ClientEvent.Welcome w) {
      return new Welcome(
          "welcome",
          w.id().toString(),
          w.room().value(),
          ids(w.members()),
          w.users().get(w.id()),
          WireJson.users(w.users()),
          w.epoch(),
          w.offset(),
          w.recovered(),
          w.resumeKey() == null ? null : w.resumeKey().value(),
          w.resumed());
    } else if (event instanceof ClientEvent.Joined j) {
      return new Joined("joined", j.id().toString(), j.room().value(), j.user());
    } else if (event instanceof ClientEvent.Left l) {
      return new Left(
          "left", l.id().toString(), l.room().value(), l.reason().wireName(), l.user());
    } else if (event instanceof ClientEvent.Members m) {
      return new Members("members", m.room().value(), ids(m.members()), WireJson.users(m.users()));
    } else if (event instanceof ClientEvent.NoSession n) {
      return new Error("error", "no_session", "no session " + n.target(), n.ref());
    } else if (event instanceof ClientEvent.NoUser n) {
      return new Error("error", "no_user", "no session of user " + shorten(n.user()), n.ref());
    } else if (event instanceof ClientEvent.Refreshed r) {
      return new Refreshed(
          "refreshed", r.expiresAt() == null ? null : r.expiresAt().toString());
    } else if (event instanceof ClientEvent.Error e) {
      return new Error("error", e.code(), e.message(), e.ref());
    } else if (event instanceof ClientEvent.Ack a) {
      return new Ack("ack", a.ref(), a.offset());
    } else if (event instanceof ClientEvent.HistoryReset r) {
      return new HistoryReset(
          "error",
          "history_reset",
          "the room's history was reset: messages may be missing",
          r.epoch(),
          r.offset());
    }
    throw new IllegalArgumentException("unknown event " + event.getClass().getName());
  }

  private static List<String> ids(List<SessionId> ids) {
    return ids.stream().map(SessionId::toString).toList();
  }

  @Override
  public ClientRequest decode(String text) {
    Optional<JsonNode> parsed = WireJson.parse(text);
    if (parsed.isEmpty()) {
      return invalid("the frame is not valid JSON");
    }
    JsonNode node = parsed.get();
    if (!node.isObject()) {
      return invalid("the frame must be a JSON object with a \"type\"");
    }
    JsonNode type = node.get("type");
    if (type == null || !type.isTextual()) {
      return invalid("field \"type\" is missing or not a string");
    }
    switch (type.textValue()) {
      case "message":
        return message(node);
      case "whisper":
        return whisper(node);
      case "members":
        return ClientRequest.ListMembers.INSTANCE;
      case "refresh":
        return refresh(node);
      default:
        return invalid(
            "unknown type \""
                + shorten(type.textValue())
                + "\"; expected message, whisper, members or refresh");
    }
  }

  private static ClientRequest message(JsonNode node) {
    JsonNode ref = node.get("ref");
    if (ref != null && !validRef(ref)) {
      return invalid(BAD_REF);
    }
    String r = ref == null ? null : ref.textValue();
    JsonNode msg = node.get("msg");
    if (msg == null) {
      return invalid("a message needs a field \"msg\"", r);
    }
    return new ClientRequest.Broadcast(WireJson.payload(msg), r);
  }

  private static final String BAD_REF = "\"ref\" must be a string of 1 to 64 characters";

  /** A client's reference: a string of 1 to {@link ClientRequest#MAX_REF_LENGTH} characters. */
  private static boolean validRef(JsonNode ref) {
    return ref.isTextual()
        && !ref.textValue().isEmpty()
        && ref.textValue().length() <= ClientRequest.MAX_REF_LENGTH;
  }

  private static ClientRequest refresh(JsonNode node) {
    JsonNode token = node.get("token");
    if (token == null || !token.isTextual() || token.textValue().isEmpty()) {
      return invalid("a refresh needs a field \"token\" holding the new token");
    }
    return new ClientRequest.Refresh(token.textValue());
  }

  private static ClientRequest whisper(JsonNode node) {
    JsonNode ref = node.get("ref");
    if (ref != null && !validRef(ref)) {
      return invalid(BAD_REF);
    }
    String r = ref == null ? null : ref.textValue();
    JsonNode user = node.get("user");
    if (user != null && node.get("to") == null) {
      if (!user.isTextual() || user.textValue().isEmpty()
          || user.textValue().length() > Principal.MAX_USER_LENGTH) {
        return invalid(
            "a whisper's \"user\" must be a user id (a string of 1 to 256 characters)", r);
      }
      JsonNode msg = node.get("msg");
      if (msg == null) {
        return invalid("a whisper needs a field \"msg\"", r);
      }
      return new ClientRequest.WhisperUser(user.textValue(), WireJson.payload(msg), r);
    }
    JsonNode to = node.get("to");
    if (to == null || !to.isTextual() || SessionId.parse(to.textValue()).isEmpty()) {
      return invalid("a whisper needs a field \"to\" holding a session id (a UUID)", r);
    }
    JsonNode msg = node.get("msg");
    if (msg == null) {
      return invalid("a whisper needs a field \"msg\"", r);
    }
    return new ClientRequest.Whisper(to.textValue(), WireJson.payload(msg), r);
  }

  private static ClientRequest invalid(String message) {
    return invalid(message, null);
  }

  private static ClientRequest invalid(String message, String ref) {
    return new ClientRequest.Invalid(BAD_REQUEST, message, ref);
  }

  /** Keeps echoed client input short, so an error frame never grows with the request. */
  private static String shorten(String text) {
    return text.length() <= 64 ? text : text.substring(0, 64) + "...";
  }
}
