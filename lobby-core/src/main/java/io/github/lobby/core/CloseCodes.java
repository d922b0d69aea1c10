package io.github.lobby.core;

/** The WebSocket close codes (RFC 6455 section 7.4.1) that the protocol uses. */
public final class CloseCodes {

  /** Normal closure. */
  public static final int NORMAL = 1000;
  /** The server is going away (shutdown) or the client timed out. */
  public static final int GOING_AWAY = 1001;
  /** The client broke the WebSocket framing rules. */
  public static final int PROTOCOL_ERROR = 1002;
  /** A text frame was not valid UTF-8. */
  public static final int INVALID_PAYLOAD = 1007;
  /** A policy was violated: a slow consumer or a flooding client. */
  public static final int POLICY_VIOLATION = 1008;
  /** A client message was larger than allowed. */
  public static final int TOO_BIG = 1009;
  /** The server met an unexpected condition. */
  public static final int INTERNAL_ERROR = 1011;
  /** The server is at a connection limit; the client may try again later. */
  public static final int TRY_AGAIN_LATER = 1013;

  /**
   * The session's credential expired and was not refreshed ({@code lobby.auth}); the client may
   * reconnect with a new one. Codes 4000–4999 are the application's own (RFC 6455 section 7.4.2).
   */
  public static final int TOKEN_EXPIRED = 4001;

  /**
   * The session was resumed on another connection ({@code lobby.resumption}): its client came back
   * while the server still held this connection (half-open), which is closed with this code.
   */
  public static final int SESSION_RESUMED = 4002;

  private CloseCodes() {}
}
