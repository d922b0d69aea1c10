package io.github.lobby.core;

import java.util.Objects;

/** What a client asks for, as a {@link WireCodec} decodes it from one text frame. */
public sealed interface ClientRequest {

  /**
   * Send to every member of the sender's room, the sender included.
   *
   * @param msg the content
   * @param ref the client's reference for the acknowledgement, or null when it wants none
   */
  record Broadcast(Payload msg, String ref) implements ClientRequest {
    /** Rejects a null {@code msg}. */
    public Broadcast {
      Objects.requireNonNull(msg, "msg");
    }

    /** A broadcast without acknowledgement. */
    public Broadcast(Payload msg) {
      this(msg, null);
    }
  }

  /**
   * Send to one session by id, in any room.
   *
   * @param to the target id as the client wrote it (it may name no session, or not be a UUID)
   * @param msg the content
   * @param ref the client's reference for the acknowledgement, or null when it wants none
   */
  record Whisper(String to, Payload msg, String ref) implements ClientRequest {
    /** Rejects a null {@code to} or {@code msg}. */
    public Whisper {
      Objects.requireNonNull(to, "to");
      Objects.requireNonNull(msg, "msg");
    }

    /** A whisper without acknowledgement. */
    public Whisper(String to, Payload msg) {
      this(to, msg, null);
    }
  }

  /**
   * Send to every session of one user, on every node (authenticated sessions only).
   *
   * @param user the user id as the client wrote it
   * @param msg the content
   * @param ref the client's reference for the acknowledgement, or null when it wants none
   */
  record WhisperUser(String user, Payload msg, String ref) implements ClientRequest {
    /** Rejects a null {@code user} or {@code msg}. */
    public WhisperUser {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(msg, "msg");
    }

    /** A whisper to a user without acknowledgement. */
    public WhisperUser(String user, Payload msg) {
      this(user, msg, null);
    }
  }

  /**
   * A new credential, to extend the session before its current one expires.
   *
   * @param token the credential; never logged
   */
  record Refresh(String token) implements ClientRequest {
    /** Rejects null. */
    public Refresh {
      Objects.requireNonNull(token, "token");
    }

    /** Hides the token. */
    @Override
    public String toString() {
      return "Refresh[token=...]";
    }
  }

  /** Ask for the member list of the sender's room. */
  enum ListMembers implements ClientRequest {
    INSTANCE
  }

  /**
   * The frame could not be decoded; answered with an {@link ClientEvent.Error}.
   *
   * @param code a stable machine-readable code
   * @param message what is wrong, for humans; never parser internals
   * @param ref the frame's {@code ref}, when it carried a valid one: the error answers it
   */
  record Invalid(String code, String message, String ref) implements ClientRequest {
    /** An error that answers no reference. */
    public Invalid(String code, String message) {
      this(code, message, null);
    }
  }

  /** The longest {@code ref} a client may give a message or whisper, in characters. */
  int MAX_REF_LENGTH = 64;
}
