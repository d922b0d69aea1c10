package io.github.lobby.client;

import java.util.Objects;

/**
 * Why a stage of {@link LobbyClient} failed: a code of the server's (the {@code code} of its
 * {@code error} frame, such as {@code forbidden} or {@code no_session}) or one of the client's
 * own, listed here as constants.
 */
public final class LobbyClientException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * A send was written to a connection that was lost before its answer came, and the reconnect
   * made a new session (it was not resumed): the server may or may not have taken it, and the
   * client does not send it again blindly. The application decides.
   */
  public static final String OUTCOME_UNKNOWN = "outcome_unknown";

  /** {@link LobbyClient.Builder#maxQueued(int)} sends already wait; this one was not taken. */
  public static final String QUEUE_FULL = "queue_full";

  /**
   * The client is closed: by {@link LobbyClient#close()}, or after a refusal or a close code that
   * no reconnect can fix (then {@link LobbyClient#closeCause()} says which).
   */
  public static final String CLOSED = "closed";

  /** The server refused the upgrade with HTTP 401: no token, or one it does not accept. */
  public static final String UNAUTHORIZED = "unauthorized";

  /** The server refused the upgrade with HTTP 403: the token does not allow the room. */
  public static final String FORBIDDEN = "forbidden";

  /** The server refused the upgrade with HTTP 400: a bad room name or query. */
  public static final String BAD_REQUEST = "bad_request";

  /**
   * The server refused the upgrade with another HTTP 4xx than 400, 401, 403, 408 and 429: a URL
   * it will never take (404, 414...).
   */
  public static final String REFUSED = "refused";


  /** The server closed the connection with 4001: the token expired, and there is no new one. */
  public static final String TOKEN_EXPIRED = "token_expired";

  /** The server closed the connection with 4002: another connection resumed this session. */
  public static final String SESSION_RESUMED = "session_resumed";

  private final String code;
  private final int status;

  /**
   * An exception with a code and a message.
   *
   * @param code the server's error code or one of the constants of this class
   * @param message what happened, for people
   */
  public LobbyClientException(String code, String message) {
    this(code, message, -1, null);
  }

  /**
   * An exception with a code, a message, the HTTP status or close code that caused it, and a
   * cause.
   *
   * @param code the server's error code or one of the constants of this class
   * @param message what happened, for people
   * @param status the HTTP status of a refused upgrade or the close code of a final close, or -1
   * @param cause the underlying exception, or {@code null}
   */
  public LobbyClientException(String code, String message, int status, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
    this.status = status;
  }

  /** The server's error code, or one of the constants of this class. */
  public String code() {
    return code;
  }

  /**
   * The HTTP status of the refused upgrade (400, 401, 403...) or the close code (4001, 4002)
   * that made the client stop, or -1 when neither caused this.
   */
  public int status() {
    return status;
  }
}
