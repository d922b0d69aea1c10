package io.github.lobby.examples;

import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.core.auth.ConnectRequest;
import io.github.lobby.core.auth.Principal;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The embedding example's {@link Authenticator}: lets in the browsers that signed in to the
 * application, by the session cookie the application gave them ({@value #COOKIE}). Browsers send
 * a site's cookies with a WebSocket upgrade as with any request to it, so the page needs no token.
 *
 * <p>With cookies, set {@code lobby.http.allowed-origins} to the application's own origin: any
 * page the browser has open may start a WebSocket to this server, and the browser adds the cookie
 * (cross-site WebSocket hijacking); the {@code Origin} check refuses such pages before this
 * authenticator is asked.
 */
public final class SessionCookieAuthenticator implements Authenticator {

  /** The name of the application's session cookie. */
  public static final String COOKIE = "app_session";

  private final Map<String, String> sessions;

  /**
   * Creates the authenticator.
   *
   * @param sessions the application's signed-in sessions: cookie value to user id; read at each
   *     upgrade, so sign-ins and sign-outs count at once (a thread-safe map)
   */
  public SessionCookieAuthenticator(Map<String, String> sessions) {
    this.sessions = Objects.requireNonNull(sessions, "sessions");
  }

  /** A grant for the user of the request's session cookie; 401 without a known one. */
  @Override
  public CompletionStage<AuthResult> authenticate(ConnectRequest request) {
    // README:begin authenticator
    Optional<String> user = sessionId(request).map(sessions::get);
    return CompletableFuture.completedFuture(
        user.isPresent()
            ? AuthResult.Grant.of(Principal.of(user.get()))
            : AuthResult.Refusal.unauthorized("sign in to the application first"));
    // README:end
  }

  /** The value of the {@value #COOKIE} cookie in the request's {@code Cookie} headers. */
  static Optional<String> sessionId(ConnectRequest request) {
    for (String header : request.headers().getOrDefault("cookie", List.of())) {
      for (String pair : header.split(";")) {
        String cookie = pair.strip();
        if (cookie.startsWith(COOKIE + "=")) {
          return Optional.of(cookie.substring(COOKIE.length() + 1));
        }
      }
    }
    return Optional.empty();
  }
}
