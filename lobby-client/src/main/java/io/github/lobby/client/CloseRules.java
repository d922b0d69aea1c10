package io.github.lobby.client;

import java.net.http.WebSocketHandshakeException;

/**
 * Which ends of a connection end the client (the table in {@link LobbyClient}'s comment): the
 * HTTP statuses of a refused upgrade and the close codes that are final, and the exception each
 * one stops the client with. Everything else is retried.
 */
final class CloseRules {

  /** The server's close code for an expired token. */
  static final int CODE_TOKEN_EXPIRED = 4001;

  /** The server's close code for a session that another connection resumed. */
  static final int CODE_SESSION_RESUMED = 4002;

  private CloseRules() {}

  /**
   * The final refusal an HTTP status of a failed upgrade means, or null to try again: 400, 403,
   * 401 without a token supplier, another 4xx but 408 and 429.
   */
  static LobbyClientException refusal(int status, boolean hasTokenSupplier, Throwable error) {
    String code;
    String message;
    if (status == 400) {
      code = LobbyClientException.BAD_REQUEST;
      message = "the server refused the upgrade";
    } else if (status == 403) {
      code = LobbyClientException.FORBIDDEN;
      message = "the token (or the Origin) does not allow this room";
    } else if (status == 401) {
      if (hasTokenSupplier) {
        return null;
      }
      code = LobbyClientException.UNAUTHORIZED;
      message = "the server does not accept the token, and there is no token supplier";
    } else if (status >= 400 && status < 500 && status != 408 && status != 429) {
      code = LobbyClientException.REFUSED;
      message = "the server refused the connection";
    } else {
      return null;
    }
    return new LobbyClientException(code, message + " (HTTP " + status + ")", status, error);
  }

  /**
   * What a close code stops the client with, or null to reconnect: 4002 always, 4001 without a
   * token supplier (with one, the reconnect asks it for a new token).
   */
  static LobbyClientException finalClose(int code, boolean hasTokenSupplier) {
    if (code == CODE_SESSION_RESUMED) {
      return new LobbyClientException(
          LobbyClientException.SESSION_RESUMED,
          "another connection resumed this session (close 4002)",
          code,
          null);
    }
    if (code == CODE_TOKEN_EXPIRED && !hasTokenSupplier) {
      return new LobbyClientException(
          LobbyClientException.TOKEN_EXPIRED,
          "the token expired (close 4001), and there is no token supplier",
          code,
          null);
    }
    return null;
  }

  /** The HTTP status of a refused upgrade in this failure's causes, or -1. */
  static int httpStatus(Throwable error) {
    for (Throwable e = error; e != null; e = e.getCause()) {
      if (e instanceof WebSocketHandshakeException handshake && handshake.getResponse() != null) {
        return handshake.getResponse().statusCode();
      }
    }
    return -1;
  }

  /** The innermost cause of a failure, for the reasons given to the listener. */
  static Throwable rootCause(Throwable error) {
    Throwable e = error;
    while (e.getCause() != null && e.getCause() != e) {
      e = e.getCause();
    }
    return e;
  }
}
