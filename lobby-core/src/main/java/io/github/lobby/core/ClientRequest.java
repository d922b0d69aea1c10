package io.github.lobby.core;

import java.util.Objects;

/** What a client asks for, as a {@link WireCodec} decodes it from one text frame. */
public sealed interface ClientRequest {

  /**
   * Send to every member of the sender's room, the sender included.
   *
   * @param msg the content
   */
  record Broadcast(Payload msg) implements ClientRequest {
    /** Rejects null. */
    public Broadcast {
      Objects.requireNonNull(msg, "msg");
    }
  }

  /**
   * Send to one session by id, in any room.
   *
   * @param to the target id as the client wrote it (it may name no session, or not be a UUID)
   * @param msg the content
   */
  record Whisper(String to, Payload msg) implements ClientRequest {
    /** Rejects nulls. */
    public Whisper {
      Objects.requireNonNull(to, "to");
      Objects.requireNonNull(msg, "msg");
    }
  }

  /**
   * Send to every session of one user, on every node (authenticated sessions only).
   *
   * @param user the user id as the client wrote it
   * @param msg the content
   */
  record WhisperUser(String user, Payload msg) implements ClientRequest {
    /** Rejects nulls. */
    public WhisperUser {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(msg, "msg");
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
   */
  record Invalid(String code, String message) implements ClientRequest {}
}
