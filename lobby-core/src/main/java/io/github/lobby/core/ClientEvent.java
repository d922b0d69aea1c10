package io.github.lobby.core;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a client can be told. A {@link WireCodec} renders each event into the frame text of one
 * {@link Mode}; rooms render an event once per mode and share the frame among all recipients.
 *
 * <p>User ids ({@code user}, {@code users}) are those of authenticated sessions
 * ({@code lobby.auth.mode}); they are null or empty when authentication is off, and JSON mode then
 * writes no such field.
 */
public sealed interface ClientEvent {

  /** An unmodifiable copy of a session-to-user map that keeps its order; nulls rejected. */
  static Map<SessionId, String> copyUsers(Map<SessionId, String> users) {
    if (users.isEmpty()) {
      return Map.of();
    }
    LinkedHashMap<SessionId, String> copy = new LinkedHashMap<>();
    users.forEach((id, user) -> copy.put(Objects.requireNonNull(id), Objects.requireNonNull(user)));
    return Collections.unmodifiableMap(copy);
  }

  /**
   * The first event a session receives.
   *
   * @param id the new session's id
   * @param room the room it joined
   * @param members the room's members in join order, the new session included
   * @param users the user of each authenticated member, in join order
   * @param epoch the room's history epoch, or null when rooms keep no history
   * @param offset the offset of the room's latest broadcast (0 before any), or null without history
   * @param recovered whether the broadcasts the session asked for ({@code since}) follow, or null
   *     when it asked for none
   * @param resumeKey the key with which the client may resume this session ({@code
   *     lobby.recovery}), or null when sessions are not resumed
   * @param resumed whether the client resumed the session it asked for ({@code resume}), or null
   *     when it asked for none
   */
  record Welcome(
      SessionId id,
      RoomId room,
      List<SessionId> members,
      Map<SessionId, String> users,
      String epoch,
      Long offset,
      Boolean recovered,
      ResumeKey resumeKey,
      Boolean resumed)
      implements ClientEvent {
    /** Copies the member list and the users. */
    public Welcome {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(room, "room");
      members = List.copyOf(members);
      users = copyUsers(users);
    }

    /** A welcome without resumption. */
    public Welcome(
        SessionId id,
        RoomId room,
        List<SessionId> members,
        Map<SessionId, String> users,
        String epoch,
        Long offset,
        Boolean recovered) {
      this(id, room, members, users, epoch, offset, recovered, null, null);
    }

    /** A welcome without history. */
    public Welcome(SessionId id, RoomId room, List<SessionId> members, Map<SessionId, String> users) {
      this(id, room, members, users, null, null, null);
    }

    /** A welcome without users (authentication off) and without history. */
    public Welcome(SessionId id, RoomId room, List<SessionId> members) {
      this(id, room, members, Map.of());
    }
  }

  /**
   * Another session joined the room.
   *
   * @param id the session that joined
   * @param room the room
   * @param user its user, or null when it is not authenticated
   */
  record Joined(SessionId id, RoomId room, String user) implements ClientEvent {
    /** A join notice without a user (authentication off). */
    public Joined(SessionId id, RoomId room) {
      this(id, room, null);
    }
  }

  /**
   * A member left the room.
   *
   * @param id the session that left
   * @param room the room
   * @param reason why it left
   * @param user its user, or null when it was not authenticated
   */
  record Left(SessionId id, RoomId room, LeaveReason reason, String user) implements ClientEvent {
    /** A leave notice without a user (authentication off). */
    public Left(SessionId id, RoomId room, LeaveReason reason) {
      this(id, room, reason, null);
    }
  }

  /**
   * A broadcast to the room, from a member or from the server (admin publish).
   *
   * @param from the sender's session id, or the configured server id
   * @param room the room
   * @param msg the content
   * @param offset its offset in the room's history, or null when rooms keep no history
   */
  record Message(SessionId from, RoomId room, Payload msg, Long offset) implements ClientEvent {
    /** A broadcast without an offset (no history). */
    public Message(SessionId from, RoomId room, Payload msg) {
      this(from, room, msg, null);
    }
  }

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
   * @param users the user of each authenticated member, in join order
   */
  record Members(RoomId room, List<SessionId> members, Map<SessionId, String> users)
      implements ClientEvent {
    /** Copies the member list and the users. */
    public Members {
      Objects.requireNonNull(room, "room");
      members = List.copyOf(members);
      users = copyUsers(users);
    }

    /** A member list without users (authentication off). */
    public Members(RoomId room, List<SessionId> members) {
      this(room, members, Map.of());
    }
  }

  /**
   * A whisper named no live session.
   *
   * @param target the target exactly as the client wrote it
   * @param ref the whisper's reference, or null when it had none
   */
  record NoSession(String target, String ref) implements ClientEvent {
    /** The answer to a whisper without a reference. */
    public NoSession(String target) {
      this(target, null);
    }
  }

  /**
   * A whisper to a user reached none of that user's sessions: the user has none, on any node.
   *
   * @param user the user id exactly as the client wrote it
   * @param ref the whisper's reference, or null when it had none
   */
  record NoUser(String user, String ref) implements ClientEvent {
    /** The answer to a whisper without a reference. */
    public NoUser(String user) {
      this(user, null);
    }
  }

  /**
   * The client's new credential was accepted ({@link ClientRequest.Refresh}).
   *
   * @param expiresAt when the session now expires, or null for never
   */
  record Refreshed(Instant expiresAt) implements ClientEvent {}

  /**
   * The client sent something invalid; the connection stays open.
   *
   * @param code a stable machine-readable code, e.g. {@code bad_request}
   * @param message a human-readable description of the problem
   * @param ref the reference of the client message this refuses, or null
   */
  record Error(String code, String message, String ref) implements ClientEvent {
    /** An error that answers no reference. */
    public Error(String code, String message) {
      this(code, message, null);
    }
  }

  /**
   * A client message that carried a reference was done: its broadcast was handed to every member
   * of the room (the sender's own copy before this), or its whisper was delivered. JSON mode only.
   *
   * @param ref the client's reference
   * @param offset the broadcast's offset in the room's history, or null (no history, a whisper)
   */
  record Ack(String ref, Long offset) implements ClientEvent {
    /** Rejects a null reference. */
    public Ack {
      Objects.requireNonNull(ref, "ref");
    }
  }

  /**
   * The room's history was lost (its sequencer's node left the cluster) or this node missed
   * broadcasts it could not get back: messages may be missing, and offsets now count in {@code
   * epoch}. JSON mode only: an {@code error} frame with code {@code history_reset} that also
   * carries the new {@code epoch} and the room's current {@code offset}, to reconnect with.
   */
  record HistoryReset(String epoch, long offset) implements ClientEvent {}
}
