package io.github.lobby.core;

import java.util.List;
import java.util.Objects;

/**
 * What a client can be told. A {@link WireCodec} renders each event into the frame text of one
 * {@link Mode}; rooms render an event once per mode and share the frame among all recipients.
 */
public sealed interface ClientEvent {

  /**
   * The first event a session receives.
   *
   * @param id the new session's id
   * @param room the room it joined
   * @param members the room's members in join order, the new session included
   */
  record Welcome(SessionId id, RoomId room, List<SessionId> members) implements ClientEvent {
    /** Copies the member list. */
    public Welcome {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(room, "room");
      members = List.copyOf(members);
    }
  }

  /**
   * Another session joined the room.
   *
   * @param id the session that joined
   * @param room the room
   */
  record Joined(SessionId id, RoomId room) implements ClientEvent {}

  /**
   * A member left the room.
   *
   * @param id the session that left
   * @param room the room
   * @param reason why it left
   */
  record Left(SessionId id, RoomId room, LeaveReason reason) implements ClientEvent {}

  /**
   * A broadcast to the room, from a member or from the server (admin publish).
   *
   * @param from the sender's session id, or the configured server id
   * @param room the room
   * @param msg the content
   */
  record Message(SessionId from, RoomId room, Payload msg) implements ClientEvent {}

  /**
   * A private message to one session.
   *
   * @param from the sender
   * @param to the recipient
   * @param room the sender's room
   * @param msg the content
   */
  record Whisper(SessionId from, SessionId to, RoomId room, Payload msg) implements ClientEvent {}

  /**
   * The answer to a client's request for the member list.
   *
   * @param room the room
   * @param members the members in join order
   */
  record Members(RoomId room, List<SessionId> members) implements ClientEvent {
    /** Copies the member list. */
    public Members {
      Objects.requireNonNull(room, "room");
      members = List.copyOf(members);
    }
  }

  /**
   * A whisper named no live session.
   *
   * @param target the target exactly as the client wrote it
   */
  record NoSession(String target) implements ClientEvent {}

  /**
   * The client sent something invalid; the connection stays open.
   *
   * @param code a stable machine-readable code, e.g. {@code bad_request}
   * @param message a human-readable description of the problem
   */
  record Error(String code, String message) implements ClientEvent {}
}
