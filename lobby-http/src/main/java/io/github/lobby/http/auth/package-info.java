/**
 * Authentication of WebSocket upgrades ({@code lobby.auth}): {@link
 * io.github.lobby.http.auth.AuthSettings} reads the configuration, {@link
 * io.github.lobby.http.auth.Authenticators} makes the configured {@link
 * io.github.lobby.core.auth.Authenticator}, and {@link io.github.lobby.http.auth.JwtAuthenticator}
 * is the built-in one for JSON Web Tokens.
 */
package io.github.lobby.http.auth;
