package io.github.lobby.core.auth;

import io.github.lobby.core.RoomId;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Decides who a connecting client is and whether it may join the room it asks for
 * ({@code lobby.auth.mode}; PROTOCOL.md, authentication).
 *
 * <p>Called once per WebSocket upgrade, before it is answered, on a thread of the server: an
 * implementation must not block it (do I/O asynchronously and complete the stage later). A stage
 * that fails or completes with null is answered with HTTP 500 and logged; a {@link
 * AuthResult.Refusal} with 401 or 403. Implementations must be thread-safe, and must never log or
 * return the credential itself.
 */
@FunctionalInterface
public interface Authenticator {

  /** Decides on an upgrade. */
  CompletionStage<AuthResult> authenticate(ConnectRequest request);

  /**
   * Decides on a new credential that a session's client sent ({@code {"type":"refresh",...}} in
   * JSON mode) to extend its session. A {@link AuthResult.Grant} replaces the session's expiry and
   * publish permission; its user must be the session's. The default refuses: this authenticator
   * issues no credentials that expire.
   *
   * @param current who the session is
   * @param room the session's room
   * @param token the new credential, as the client sent it
   */
  default CompletionStage<AuthResult> refresh(Principal current, RoomId room, String token) {
    return CompletableFuture.completedFuture(
        AuthResult.Refusal.unauthorized("this server does not refresh credentials"));
  }
}
