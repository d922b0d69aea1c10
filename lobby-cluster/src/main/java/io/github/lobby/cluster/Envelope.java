package io.github.lobby.cluster;

import io.github.lobby.core.LeaveReason;
import io.github.lobby.core.Payload;
import io.github.lobby.core.PeerEvent;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link PeerEvent} of one room on the wire between nodes: plain strings only, so that its JSON
 * form is stable and small.
 *
 * <p>The users of authenticated sessions ride on {@code joined} and {@code members} only: a
 * {@code left} needs none, since every room remembers the user of each member it was told of. They
 * are null when there are none (authentication off), and come last: a node of an older version
 * ignores them (Pekko's Jackson serializer does not fail on unknown properties), and an envelope
 * from one reads as having no users.
 *
 * @param kind {@code joined}, {@code left}, {@code message}, {@code hello} or {@code members}
 * @param room the room's name
 * @param node the node it comes from
 * @param id the session that joined, left or sent
 * @param reason why it left ({@link LeaveReason} name)
 * @param text a text message, or null
 * @param json a JSON message, as JSON text, or null
 * @param members the node's members, for {@code members}
 * @param user the user of the session that joined, for {@code joined}; null when it has none
 * @param users the user of each of the node's members that has one, for {@code members}; null
 *     when none has
 */
record Envelope(
    String kind,
    String room,
    String node,
    String id,
    String reason,
    String text,
    String json,
    List<String> members,
    String user,
    Map<String, String> users)
    implements NodeHub.Command, ClusterMessage {

  static Envelope of(RoomId room, PeerEvent event) {
    String r = room.value();
    if (event instanceof PeerEvent.Message m) {
      return new Envelope(
          "message",
          r,
          m.node(),
          m.from().toString(),
          null,
          text(m.msg()),
          json(m.msg()),
          null,
          null,
          null);
    } else if (event instanceof PeerEvent.Joined j) {
      return new Envelope(
          "joined", r, j.node(), j.id().toString(), null, null, null, null, j.user(), null);
    } else if (event instanceof PeerEvent.Left l) {
      return new Envelope(
          "left", r, l.node(), l.id().toString(), l.reason().name(), null, null, null, null, null);
    } else if (event instanceof PeerEvent.Hello h) {
      return new Envelope("hello", r, h.node(), null, null, null, null, null, null, null);
    } else if (event instanceof PeerEvent.Members m) {
      List<String> ids = m.members().stream().map(SessionId::toString).toList();
      return new Envelope(
          "members", r, m.node(), null, null, null, null, ids, null, users(m.users()));
    }
    throw new IllegalArgumentException("not published between nodes: " + event);
  }

  PeerEvent toEvent() {
    return switch (kind) {
      case "message" -> new PeerEvent.Message(node, session(id), payload(text, json));
      case "joined" -> new PeerEvent.Joined(node, session(id), user);
      case "left" -> new PeerEvent.Left(node, session(id), LeaveReason.valueOf(reason));
      case "hello" -> new PeerEvent.Hello(node);
      case "members" ->
          new PeerEvent.Members(
              node, members.stream().map(Envelope::session).toList(), sessionUsers(users));
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
    size += user == null ? 0 : 3L * user.length();
    size += usersSizeBound(users);
    return size;
  }

  /** An upper bound of the serialized size of {@link #users(Map)}: an id and a user per entry. */
  static long usersSizeBound(Map<String, String> users) {
    if (users == null) {
      return 0;
    }
    long size = 8;
    for (String user : users.values()) {
      size += 48 + 3L * user.length();
    }
    return size;
  }

  /** Users on the wire between nodes, by session id text; null when there are none. */
  static Map<String, String> users(Map<SessionId, String> users) {
    if (users.isEmpty()) {
      return null;
    }
    Map<String, String> byId = new LinkedHashMap<>();
    users.forEach((id, user) -> byId.put(id.toString(), user));
    return byId;
  }

  /** The users that {@link #users(Map)} wrote. */
  static Map<SessionId, String> sessionUsers(Map<String, String> users) {
    if (users == null || users.isEmpty()) {
      return Map.of();
    }
    Map<SessionId, String> bySession = new LinkedHashMap<>();
    users.forEach((id, user) -> bySession.put(session(id), user));
    return bySession;
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
