package io.github.lobby.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * The {@code lobby} configuration, read once at start and checked: bad values fail fast with the
 * offending key named.
 *
 * @param serverId the sender id of admin broadcasts
 * @param heartbeatInterval how often every session is pinged
 * @param clientTimeout how long a session may stay silent before it is closed
 * @param maxMessageBytes the largest client message accepted
 * @param outboundBuffer how many frames may wait for a slow client before it is closed
 * @param maxSessions the connection limit ({@link Integer#MAX_VALUE} when unlimited)
 * @param inboundWindow how many client messages may wait for their session at once
 * @param maxInboundPerSecond messages a client may send per second, sustained, before it is
 *     closed with 1008 ({@link Integer#MAX_VALUE} when unlimited); bursts up to one second's worth
 */
public record LobbySettings(
    SessionId serverId,
    Duration heartbeatInterval,
    Duration clientTimeout,
    int maxMessageBytes,
    int outboundBuffer,
    int maxSessions,
    int inboundWindow,
    int maxInboundPerSecond) {

  /** Checks every value. */
  public LobbySettings {
    Objects.requireNonNull(serverId, "server-id");
    positive(heartbeatInterval, "heartbeat-interval");
    positive(clientTimeout, "client-timeout");
    atLeast(maxMessageBytes, 1, "max-message-bytes");
    atLeast(outboundBuffer, 1, "outbound-buffer");
    atLeast(maxSessions, 1, "max-sessions");
    atLeast(inboundWindow, 1, "inbound-window");
    atLeast(maxInboundPerSecond, 1, "max-inbound-per-second");
  }

  /**
   * Reads the {@code lobby} section of a configuration that includes this module's {@code
   * reference.conf} (as {@code ConfigFactory.load()} and every ActorSystem's settings do).
   *
   * @throws ConfigException when a key is missing or has a bad value
   */
  public static LobbySettings fromConfig(Config config) {
    Config c = config.getConfig("lobby");
    try {
      return new LobbySettings(
          serverId(c),
          c.getDuration("heartbeat-interval"),
          c.getDuration("client-timeout"),
          bytes(c, "max-message-bytes"),
          c.getInt("outbound-buffer"),
          unlimitedOrInt(c, "max-sessions"),
          c.getInt("inbound-window"),
          unlimitedOrInt(c, "max-inbound-per-second"));
    } catch (IllegalArgumentException e) {
      throw new ConfigException.Generic("invalid lobby configuration: " + e.getMessage(), e);
    }
  }

  /** Returns a copy with another heartbeat interval and client timeout. */
  public LobbySettings withHeartbeat(Duration interval, Duration timeout) {
    return new LobbySettings(
        serverId,
        interval,
        timeout,
        maxMessageBytes,
        outboundBuffer,
        maxSessions,
        inboundWindow,
        maxInboundPerSecond);
  }

  /** Returns a copy with another inbound rate limit. */
  public LobbySettings withMaxInboundPerSecond(int limit) {
    return new LobbySettings(
        serverId,
        heartbeatInterval,
        clientTimeout,
        maxMessageBytes,
        outboundBuffer,
        maxSessions,
        inboundWindow,
        limit);
  }

  private static SessionId serverId(Config c) {
    String text = c.getString("server-id");
    try {
      return new SessionId(UUID.fromString(text));
    } catch (IllegalArgumentException e) {
      throw new ConfigException.BadValue(c.origin(), "lobby.server-id", "not a UUID: " + text);
    }
  }

  private static int unlimitedOrInt(Config c, String key) {
    if ("unlimited".equals(c.getValue(key).unwrapped())) {
      return Integer.MAX_VALUE;
    }
    return c.getInt(key);
  }

  private static int bytes(Config c, String key) {
    long value = c.getBytes(key);
    if (value > Integer.MAX_VALUE) {
      throw new ConfigException.BadValue(c.origin(), "lobby." + key, "too large: " + value);
    }
    return (int) value;
  }

  private static void positive(Duration d, String key) {
    Objects.requireNonNull(d, key);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(key + " must be positive, was " + d);
    }
  }

  private static void atLeast(int value, int min, String key) {
    if (value < min) {
      throw new IllegalArgumentException(key + " must be at least " + min + ", was " + value);
    }
  }
}
