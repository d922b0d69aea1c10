/**
 * Authenticated sessions: the {@link io.github.lobby.core.auth.Authenticator} SPI, what it is
 * given ({@link io.github.lobby.core.auth.ConnectRequest}) and what it decides ({@link
 * io.github.lobby.core.auth.AuthResult}). The HTTP module wires it into the upgrade and brings the
 * built-in JWT authenticator.
 */
package io.github.lobby.core.auth;
