package io.github.lobby.core.auth;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/** What an {@link Authenticator} decides: a {@link Grant} or a {@link Refusal}. */
public sealed interface AuthResult {

  /**
   * The session may join.
   *
   * @param principal who the session is
   * @param mayPublish whether it may broadcast to its room (it may always receive and whisper)
   * @param expiresAt when the credential expires: the session is closed with 4001 {@code token
   *     expired} then, unless the client refreshed it; empty for no expiry
   */
  record Grant(Principal principal, boolean mayPublish, Optional<Instant> expiresAt)
      implements AuthResult {
    /** Rejects nulls. */
    public Grant {
      Objects.requireNonNull(principal, "principal");
      Objects.requireNonNull(expiresAt, "expiresAt");
    }

    /** A grant that may publish and does not expire. */
    public static Grant of(Principal principal) {
      return new Grant(principal, true, Optional.empty());
    }
  }

  /**
   * The session may not join. Answered before the upgrade with the status and the JSON error
   * body {@code {"error":"unauthorized"|"forbidden","message":...}}.
   *
   * @param status why
   * @param message what is wrong, for humans; never the credential itself
   */
  record Refusal(Status status, String message) implements AuthResult {
    /** Rejects nulls. */
    public Refusal {
      Objects.requireNonNull(status, "status");
      Objects.requireNonNull(message, "message");
    }

    /** 401: no credential, or one that is not valid. */
    public static Refusal unauthorized(String message) {
      return new Refusal(Status.UNAUTHORIZED, message);
    }

    /** 403: a valid credential that does not allow this. */
    public static Refusal forbidden(String message) {
      return new Refusal(Status.FORBIDDEN, message);
    }
  }

  /** The kinds of refusal, with their HTTP status and error code. */
  enum Status {
    /** No credential, or one that is not valid: HTTP 401, error code {@code unauthorized}. */
    UNAUTHORIZED(401, "unauthorized"),
    /** A valid credential that does not allow this: HTTP 403, error code {@code forbidden}. */
    FORBIDDEN(403, "forbidden");

    private final int httpStatus;
    private final String code;

    Status(int httpStatus, String code) {
      this.httpStatus = httpStatus;
      this.code = code;
    }

    /** The HTTP status of the refusal. */
    public int httpStatus() {
      return httpStatus;
    }

    /** The error code in JSON bodies and {@code error} frames. */
    public String code() {
      return code;
    }
  }
}
