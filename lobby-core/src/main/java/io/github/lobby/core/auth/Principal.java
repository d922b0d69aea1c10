package io.github.lobby.core.auth;

import java.util.Map;
import java.util.Objects;

/**
 * Who an authenticated session is.
 *
 * @param user the user id (a JWT's {@code sub}); one user may hold several sessions
 * @param claims what the credential said about the user, for the application's own use; never
 *     sent to clients
 */
public record Principal(String user, Map<String, Object> claims) {

  /** The longest user id accepted, in characters. */
  public static final int MAX_USER_LENGTH = 256;

  /** Rejects a blank or overlong user id; copies the claims. */
  public Principal {
    Objects.requireNonNull(user, "user");
    if (user.isBlank() || user.length() > MAX_USER_LENGTH) {
      throw new IllegalArgumentException(
          "a user id is 1 to " + MAX_USER_LENGTH + " characters, not blank");
    }
    claims = Map.copyOf(claims);
  }

  /** A principal with no claims. */
  public static Principal of(String user) {
    return new Principal(user, Map.of());
  }
}
