package io.github.lobby.cluster;

import io.github.lobby.core.LeaveReason;
import io.github.lobby.core.Payload;
import io.github.lobby.core.PeerEvent;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import java.util.List;

/**
 * A {@link PeerEvent} of one room on the wire between nodes: plain strings only, so that its JSON
 * form is stable and small.
 *
 * @param kind {@code joined}, {@code left}, {@code message}, {@code hello} or {@code members}
 * @param room the room's name
 * @param node the node it comes from
 * @param id the session that joined, left or sent
 * @param reason why it left ({@link LeaveReason} name)
 * @param text a text message, or null
 * @param json a JSON message, as JSON text, or null
 * @param members the node's members, for {@code members}
 */
public record Envelope(
    String kind,
    String room,
    String node,
    String id,
    String reason,
    String text,
    String json,
    List<String> members)
    implements NodeHub.Command, ClusterMessage {

  static Envelope of(RoomId room, PeerEvent event) {
    String r = room.value();
    if (event instanceof PeerEvent.Message m) {
      return new Envelope(
          "message", r, m.node(), m.from().toString(), null, text(m.msg()), json(m.msg()), null);
    } else if (event instanceof PeerEvent.Joined j) {
      return new Envelope("joined", r, j.node(), j.id().toString(), null, null, null, null);
    } else if (event instanceof PeerEvent.Left l) {
      return new Envelope(
          "left", r, l.node(), l.id().toString(), l.reason().name(), null, null, null);
    } else if (event instanceof PeerEvent.Hello h) {
      return new Envelope("hello", r, h.node(), null, null, null, null, null);
    } else if (event instanceof PeerEvent.Members m) {
      List<String> ids = m.members().stream().map(SessionId::toString).toList();
      return new Envelope("members", r, m.node(), null, null, null, null, ids);
    }
    throw new IllegalArgumentException("not published between nodes: " + event);
  }

  PeerEvent toEvent() {
    return switch (kind) {
      case "message" -> new PeerEvent.Message(node, session(id), payload(text, json));
      case "joined" -> new PeerEvent.Joined(node, session(id));
      case "left" -> new PeerEvent.Left(node, session(id), LeaveReason.valueOf(reason));
      case "hello" -> new PeerEvent.Hello(node);
      case "members" ->
          new PeerEvent.Members(node, members.stream().map(Envelope::session).toList());
      default -> throw new IllegalArgumentException("unknown envelope kind " + kind);
    };
  }

  /**
   * An upper bound of this envelope's serialized size, without serializing it: UTF-8 takes at most
   * three bytes per UTF-16 char, a session id 36.
   */
  long sizeBound() {
    long size = 256 + 3L * (room.length() + node.length());
    size += text == null ? 0 : 3L * text.length();
    size += json == null ? 0 : 3L * json.length();
    size += members == null ? 0 : 40L * members.size();
    return size;
  }

  /** A payload's text on the wire between nodes, or null when it is JSON. */
  static String text(Payload msg) {
    return msg instanceof Payload.Text t ? t.value() : null;
  }

  /** A payload's JSON text on the wire between nodes, or null when it is text. */
  static String json(Payload msg) {
    return msg instanceof Payload.Json j ? j.json() : null;
  }

  /** The payload that {@link #text} and {@link #json} wrote. */
  static Payload payload(String text, String json) {
    return text != null ? new Payload.Text(text) : new Payload.Json(json);
  }

  static SessionId session(String text) {
    return SessionId.parse(text)
        .orElseThrow(() -> new IllegalArgumentException("not a session id: " + text));
  }
}
