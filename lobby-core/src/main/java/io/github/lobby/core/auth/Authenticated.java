package io.github.lobby.core.auth;

import java.util.Objects;

/**
 * What a session knows of its authentication: the grant its upgrade got, and the authenticator
 * that decides on the new credentials its client sends ({@link Authenticator#refresh}).
 */
public record Authenticated(AuthResult.Grant grant, Authenticator authenticator) {
  /** Rejects nulls. */
  public Authenticated {
    Objects.requireNonNull(grant, "grant");
    Objects.requireNonNull(authenticator, "authenticator");
  }

  /** The session's user id. */
  public String user() {
    return grant.principal().user();
  }
}
