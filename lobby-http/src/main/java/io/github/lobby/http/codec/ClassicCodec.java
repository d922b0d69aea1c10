package io.github.lobby.http.codec;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.ClientRequest;
import io.github.lobby.core.Payload;
import io.github.lobby.core.WireCodec;
import java.util.List;

/**
 * The classic wire format (PROTOCOL.md section 2), compatible with the original tutorial's
 * clients: plain-text notices, and JSON objects {@code id, msg, room_id[, to]} in that order for
 * messages.
 *
 * <p>Client text {@code \w <target id> <text>} is a whisper; anything else is a broadcast. A
 * {@code \w} with no target is broadcast as it is.
 */
public final class ClassicCodec implements WireCodec {

  /** The shared instance; the codec is stateless. */
  public static final ClassicCodec INSTANCE = new ClassicCodec();

  private static final String WHISPER = "\\w";

  private ClassicCodec() {}

  @JsonPropertyOrder({"id", "msg", "room_id"})
  record Message(String id, Payload msg, @JsonProperty("room_id") String roomId) {}

  @JsonPropertyOrder({"id", "msg", "room_id", "to"})
  record Whisper(String id, Payload msg, @JsonProperty("room_id") String roomId, String to) {}

  @JsonPropertyOrder({"room_id", "members"})
  record Members(@JsonProperty("room_id") String roomId, List<String> members) {}

  @Override
  public String render(ClientEvent event) {
    if (event instanceof ClientEvent.Message m) {
      return WireJson.write(new Message(m.from().toString(), m.msg(), m.room().value()));
    } else if (event instanceof ClientEvent.Whisper w) {
      return WireJson.write(
          new Whisper(w.from().toString(), w.msg(), w.room().value(), w.to().toString()));
    } else if (event instanceof ClientEvent.Welcome w) {
      return "your id is " + w.id();
    } else if (event instanceof ClientEvent.Joined j) {
      return j.id() + " just joined!";
    } else if (event instanceof ClientEvent.Left l) {
      return l.id() + " disconnected.";
    } else if (event instanceof ClientEvent.NoSession n) {
      return "no session " + n.target();
    } else if (event instanceof ClientEvent.Members m) {
      // Classic clients cannot ask for members; rendered for completeness.
      return WireJson.write(
          new Members(m.room().value(), m.members().stream().map(Object::toString).toList()));
    } else if (event instanceof ClientEvent.Error e) {
      return "error: " + e.message();
    } else if (event instanceof ClientEvent.NoUser n) {
      // Classic clients cannot whisper to users; rendered for completeness.
      return "no user " + n.user();
    } else if (event instanceof ClientEvent.Refreshed r) {
      return "token refreshed";
    } else if (event instanceof ClientEvent.HistoryReset r) {
      // Classic clients have no history; rooms never send them this. Rendered for completeness.
      return "history reset";
    } else if (event instanceof ClientEvent.Ack a) {
      // Classic clients send no references; rendered for completeness.
      return "ack " + a.ref();
    }
    throw new IllegalArgumentException("unknown event " + event.getClass().getName());
  }

  @Override
  public ClientRequest decode(String text) {
    if (text.startsWith(WHISPER) && text.length() > WHISPER.length()
        && Character.isWhitespace(text.charAt(WHISPER.length()))) {
      String rest = text.substring(WHISPER.length()).stripLeading();
      if (!rest.isEmpty()) {
        int end = 0;
        while (end < rest.length() && !Character.isWhitespace(rest.charAt(end))) {
          end++;
        }
        String target = rest.substring(0, end);
        String msg = end < rest.length() ? rest.substring(end + 1) : "";
        return new ClientRequest.Whisper(target, new Payload.Text(msg));
      }
    }
    return new ClientRequest.Broadcast(new Payload.Text(text));
  }
}
