package io.github.lobby.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

/**
 * The {@code lobby.http} configuration, read once at start and checked.
 *
 * <p>{@link #fromConfig} only reads: with no {@code admin-token} configured the token is blank.
 * Where a server starts, {@link #withGeneratedAdminToken()} generates one, once ({@code
 * LobbyServer} and {@code LobbyRoutes} do it, and log it once).
 *
 * @param host address to bind
 * @param port port to bind, 0 for any free port
 * @param adminToken bearer token of the admin API, at least {@link #MIN_ADMIN_TOKEN_LENGTH}
 *     characters; blank when none is configured and none has been generated yet
 * @param adminTokenGenerated whether the token was generated because none was configured
 * @param statisticsRoom room of {@code POST /dailyDashBoard}
 * @param maxBody largest admin request body in bytes
 * @param askTimeout how long routes wait for the Lobby
 * @param closeTimeout how long a server-initiated close waits for the client's Close
 * @param shutdownTimeout how long stopping waits for sessions to close
 * @param unbindDelay how long {@code /health/ready} answers 503 before the listener stops
 *     accepting, on stop
 * @param maxConnections open TCP connections of the binding, WebSocket and plain HTTP
 * @param backlog the listen backlog of the binding
 * @param allowedOrigins the WebSocket {@code Origin}s accepted; empty accepts any
 * @param maxConnectionsPerIp connection limit per client address ({@link Integer#MAX_VALUE}
 *     when unlimited)
 * @param metricsPublic whether {@code GET /metrics} is served without the admin token
 * @param tls {@code lobby.http.tls}: how {@code LobbyServer} serves TLS, {@link
 *     TlsSettings#enabled()} or not
 */
public record HttpSettings(
    String host,
    int port,
    String adminToken,
    boolean adminTokenGenerated,
    String statisticsRoom,
    int maxBody,
    Duration askTimeout,
    Duration closeTimeout,
    Duration shutdownTimeout,
    Duration unbindDelay,
    int maxConnections,
    int backlog,
    List<String> allowedOrigins,
    int maxConnectionsPerIp,
    boolean metricsPublic,
    TlsSettings tls) {

  /**
   * The least length of a configured admin token, in characters. A short token can be guessed;
   * the generated one is 32 characters.
   */
  public static final int MIN_ADMIN_TOKEN_LENGTH = 16;

  /**
   * Copies the origin list; rejects an admin token that is neither blank (none yet) nor at least
   * {@link #MIN_ADMIN_TOKEN_LENGTH} characters long.
   */
  public HttpSettings {
    allowedOrigins = List.copyOf(allowedOrigins);
    String tooShort = tooShort(adminToken);
    if (tooShort != null) {
      throw new IllegalArgumentException("admin token " + tooShort);
    }
  }

  /**
   * Reads {@code lobby.http} from a configuration that includes this module's {@code
   * reference.conf}, and nothing else: the same configuration always gives equal settings (an
   * unset {@code admin-token} stays blank, see {@link #withGeneratedAdminToken()}).
   *
   * @param config a configuration with the {@code lobby.http} section
   * @return the settings
   * @throws ConfigException when a key is missing or has a bad value, among them an {@code
   *     admin-token} shorter than {@link #MIN_ADMIN_TOKEN_LENGTH} characters
   */
  public static HttpSettings fromConfig(Config config) {
    Config c = config.getConfig("lobby.http");
    String token = c.getString("admin-token");
    String tooShort = tooShort(token);
    if (tooShort != null) {
      // The message gives the length, never the token.
      throw new ConfigException.BadValue(
          c.getValue("admin-token").origin(),
          "lobby.http.admin-token",
          tooShort + "; leave it unset to have one generated and logged at start");
    }
    int port = c.getInt("port");
    if (port < 0 || port > 65535) {
      throw new ConfigException.BadValue("lobby.http.port", "must be 0 to 65535, was " + port);
    }
    long maxBody = c.getBytes("max-body");
    if (maxBody < 1 || maxBody > Integer.MAX_VALUE) {
      throw new ConfigException.BadValue("lobby.http.max-body", "must be 1 B to 2 GiB");
    }
    return new HttpSettings(
        c.getString("host"),
        port,
        token,
        false,
        c.getString("statistics-room"),
        (int) maxBody,
        c.getDuration("ask-timeout"),
        c.getDuration("close-timeout"),
        c.getDuration("shutdown-timeout"),
        nonNegative(c.getDuration("unbind-delay"), "lobby.http.unbind-delay"),
        c.getInt("max-connections"),
        c.getInt("backlog"),
        origins(c),
        perIp(c),
        c.getBoolean("metrics-public"),
        TlsSettings.fromConfig(config));
  }

  /**
   * These settings with a random admin token (24 random bytes, URL-safe Base64) when none is
   * configured, marked {@link #adminTokenGenerated()}; these very settings otherwise. Called once
   * where a server starts, which then logs the generated token once.
   *
   * @return settings with a non-blank admin token
   */
  public HttpSettings withGeneratedAdminToken() {
    if (!adminToken.isBlank()) {
      return this;
    }
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    return new HttpSettings(
        host,
        port,
        Base64.getUrlEncoder().withoutPadding().encodeToString(random),
        true,
        statisticsRoom,
        maxBody,
        askTimeout,
        closeTimeout,
        shutdownTimeout,
        unbindDelay,
        maxConnections,
        backlog,
        allowedOrigins,
        maxConnectionsPerIp,
        metricsPublic,
        tls);
  }

  /** Why a configured token is too short, or null when it is blank (unset) or long enough. */
  private static String tooShort(String token) {
    if (token == null || token.isBlank()) {
      return null;
    }
    int length = token.codePointCount(0, token.length());
    if (length >= MIN_ADMIN_TOKEN_LENGTH) {
      return null;
    }
    return "must be at least "
        + MIN_ADMIN_TOKEN_LENGTH
        + " characters (a random one, e.g. openssl rand -base64 24), was "
        + length;
  }

  private static Duration nonNegative(Duration d, String key) {
    if (d.isNegative()) {
      throw new ConfigException.BadValue(key, "must not be negative, was " + d);
    }
    return d;
  }

  private static List<String> origins(Config c) {
    List<String> origins = c.getStringList("allowed-origins");
    for (String origin : origins) {
      if (!origin.equals(origin.strip()) || origin.isEmpty() || origin.endsWith("/")) {
        throw new ConfigException.BadValue(
            "lobby.http.allowed-origins",
            "an origin is scheme://host[:port] without a path, was \"" + origin + "\"");
      }
    }
    return origins;
  }

  private static int perIp(Config c) {
    if ("unlimited".equals(c.getValue("max-connections-per-ip").unwrapped())) {
      return Integer.MAX_VALUE;
    }
    int limit = c.getInt("max-connections-per-ip");
    if (limit < 1) {
      throw new ConfigException.BadValue(
          "lobby.http.max-connections-per-ip", "must be at least 1 or \"unlimited\"");
    }
    return limit;
  }

  /** Hides the token, so that logging the settings never logs it. */
  @Override
  public String toString() {
    return "HttpSettings[host=" + host + ", port=" + port + ", statisticsRoom=" + statisticsRoom
        + ", maxBody=" + maxBody + ", askTimeout=" + askTimeout + ", closeTimeout=" + closeTimeout
        + ", shutdownTimeout=" + shutdownTimeout + ", unbindDelay=" + unbindDelay
        + ", maxConnections=" + maxConnections
        + ", backlog=" + backlog + ", allowedOrigins=" + allowedOrigins
        + ", maxConnectionsPerIp=" + maxConnectionsPerIp + ", metricsPublic=" + metricsPublic + ", tls=" + tls + "]";
  }
}
