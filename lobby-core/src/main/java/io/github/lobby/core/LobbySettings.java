package io.github.lobby.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * @param outboundBufferBytes how many bytes of frames may wait for a slow client before it is
 *     closed
 * @param maxSessions the connection limit ({@link Integer#MAX_VALUE} when unlimited)
 * @param inboundWindow how many client messages may wait for their session at once
 * @param maxInboundPerSecond messages a client may send per second, sustained ({@link
 *     Integer#MAX_VALUE} when unlimited); bursts up to one second's worth
 * @param maxInboundBytesPerSecond payload bytes (text counted in characters) a client may send per
 *     second, sustained ({@link Integer#MAX_VALUE} when unlimited); bursts up to one second's worth
 * @param inboundRateExceeded what happens to a client over either rate
 * @param history what each room keeps of its broadcasts for clients that reconnect ({@code
 *     lobby.history}); {@link History#OFF} by default
 * @param resumption how long a session that lost its connection waits for its client to resume it
 *     ({@code lobby.recovery}); {@link Resumption#OFF} by default
 */
public record LobbySettings(
    SessionId serverId,
    Duration heartbeatInterval,
    Duration clientTimeout,
    int maxMessageBytes,
    int outboundBuffer,
    int outboundBufferBytes,
    int maxSessions,
    int inboundWindow,
    int maxInboundPerSecond,
    int maxInboundBytesPerSecond,
    RateExceeded inboundRateExceeded,
    History history,
    Resumption resumption) {

  /**
   * The history of each room ({@code lobby.history}; PROTOCOL.md, history and recovery): the last
   * {@code size} broadcasts, none older than {@code ttl}, at most {@code maxBytes} of message text
   * (in characters) per room. Off when {@code size} is 0. At most {@code maxKeptRooms} rooms
   * without members are kept for their history at once; beyond, the one that emptied first ends.
   */
  public record History(int size, Duration ttl, long maxBytes, int maxKeptRooms) {
    /** No history: broadcasts carry no offset, and rooms end with their last member. */
    public static final History OFF = new History(0, Duration.ofMinutes(5), 128 * 1024);

    /**
     * The most bytes the frames of a replay of {@code size} messages of {@code maxBytes}
     * characters in all can take: a character of text is at most 6 bytes in a JSON string (an
     * escape), and a frame adds at most about 300 bytes (type, ids, room name, offset).
     */
    public long replayBytes() {
      return 6 * maxBytes + 300L * size;
    }

    /** Checks every value. */
    public History {
      atLeast(size, 0, "history.size");
      positive(ttl, "history.ttl");
      if (maxBytes < 1) {
        throw new IllegalArgumentException("history.max-bytes must be at least 1, not " + maxBytes);
      }
      atLeast(maxKeptRooms, 0, "history.max-kept-rooms");
    }

    /** A history with the default bound on kept rooms (1,000). */
    public History(int size, Duration ttl, long maxBytes) {
      this(size, ttl, maxBytes, 1_000);
    }

    /** Whether rooms keep a history. */
    public boolean on() {
      return size > 0;
    }
  }

  /**
   * How long a JSON-mode session whose connection was lost waits for its client to come back as
   * the same session ({@code lobby.recovery}; PROTOCOL.md, resuming a session): for {@code grace},
   * after which it leaves with reason {@code timeout}. At most {@code maxDetached} sessions wait at
   * once; beyond, the one that has waited longest leaves. Off when {@code grace} is zero.
   *
   * <p>Each session remembers the answers to the last {@code refWindow} client messages that
   * carried a {@code ref}, so that a message its client sends again after a lost connection is
   * answered again rather than broadcast twice; a resumed session keeps them.
   */
  public record Resumption(Duration grace, int maxDetached, int refWindow) {
    /** The default {@code recovery.ref-window}. */
    public static final int REF_WINDOW = 256;

    /** The longest grace accepted. */
    public static final Duration MAX_GRACE = Duration.ofHours(1);

    /** No resumption: a lost connection leaves its room at once. */
    public static final Resumption OFF = new Resumption(Duration.ZERO, 10_000);

    /** Resumption with the default {@code ref-window}. */
    public Resumption(Duration grace, int maxDetached) {
      this(grace, maxDetached, REF_WINDOW);
    }

    /** Checks every value. */
    public Resumption {
      Objects.requireNonNull(grace, "recovery.grace");
      if (grace.isNegative() || grace.compareTo(MAX_GRACE) > 0) {
        throw new IllegalArgumentException(
            "recovery.grace must be 0s (off) to 1h, was "
                + (grace.toMillis() % 1000 == 0 ? grace.toSeconds() + "s" : grace.toMillis() + "ms"));
      }
      atLeast(maxDetached, 1, "recovery.max-detached");
      atLeast(refWindow, 1, "recovery.ref-window");
    }

    /** Whether a lost session waits for its client. */
    public boolean on() {
      return !grace.isZero();
    }
  }

  /** Settings without resumption, as before {@code lobby.recovery} existed. */
  public LobbySettings(
      SessionId serverId,
      Duration heartbeatInterval,
      Duration clientTimeout,
      int maxMessageBytes,
      int outboundBuffer,
      int outboundBufferBytes,
      int maxSessions,
      int inboundWindow,
      int maxInboundPerSecond,
      int maxInboundBytesPerSecond,
      RateExceeded inboundRateExceeded,
      History history) {
    this(
        serverId,
        heartbeatInterval,
        clientTimeout,
        maxMessageBytes,
        outboundBuffer,
        outboundBufferBytes,
        maxSessions,
        inboundWindow,
        maxInboundPerSecond,
        maxInboundBytesPerSecond,
        inboundRateExceeded,
        history,
        Resumption.OFF);
  }

  /** Settings without a history, as before {@code lobby.history} existed. */
  public LobbySettings(
      SessionId serverId,
      Duration heartbeatInterval,
      Duration clientTimeout,
      int maxMessageBytes,
      int outboundBuffer,
      int outboundBufferBytes,
      int maxSessions,
      int inboundWindow,
      int maxInboundPerSecond,
      int maxInboundBytesPerSecond,
      RateExceeded inboundRateExceeded) {
    this(
        serverId,
        heartbeatInterval,
        clientTimeout,
        maxMessageBytes,
        outboundBuffer,
        outboundBufferBytes,
        maxSessions,
        inboundWindow,
        maxInboundPerSecond,
        maxInboundBytesPerSecond,
        inboundRateExceeded,
        History.OFF);
  }

  /** What happens to a client that sends faster than {@code max-inbound-per-second}. */
  public enum RateExceeded {
    /**
     * Its messages are acknowledged only as its budget refills, so the server stops reading from
     * it and TCP slows it down; nothing it sent is lost.
     */
    THROTTLE,
    /** It is closed with 1008 {@code rate limit}. */
    CLOSE
  }

  /** Checks every value. */
  public LobbySettings {
    Objects.requireNonNull(serverId, "server-id");
    positive(heartbeatInterval, "heartbeat-interval");
    positive(clientTimeout, "client-timeout");
    atLeast(maxMessageBytes, 1, "max-message-bytes");
    atLeast(outboundBuffer, 1, "outbound-buffer");
    atLeast(outboundBufferBytes, 1, "outbound-buffer-bytes");
    atLeast(maxSessions, 1, "max-sessions");
    atLeast(inboundWindow, 1, "inbound-window");
    atLeast(maxInboundPerSecond, 1, "max-inbound-per-second");
    atLeast(maxInboundBytesPerSecond, 1, "max-inbound-bytes-per-second");
    if (maxInboundBytesPerSecond < maxMessageBytes) {
      // A message of max-message-bytes would never be within a second's worth: throttled for
      // longer than a second each, or closed at once in close mode.
      throw new IllegalArgumentException(
          "max-inbound-bytes-per-second ("
              + maxInboundBytesPerSecond
              + ") must be at least max-message-bytes ("
              + maxMessageBytes
              + ")");
    }
    Objects.requireNonNull(inboundRateExceeded, "inbound-rate-exceeded");
    Objects.requireNonNull(history, "history");
    Objects.requireNonNull(resumption, "recovery");
    if (resumption.refWindow() < inboundWindow) {
      // A reference still being worked on must not be forgotten: its client could send it again
      // and have it done twice. A session has at most inbound-window messages under way.
      throw new IllegalArgumentException(
          "recovery.ref-window ("
              + resumption.refWindow()
              + ") must be at least inbound-window ("
              + inboundWindow
              + ")");
    }
    if (history.on()
        && (history.size() >= outboundBuffer || history.replayBytes() > outboundBufferBytes)) {
      // A client that recovers gets the whole history at once, after its welcome: the frames must
      // fit its outbound queue, or the recovery itself would close it as a slow consumer.
      throw new IllegalArgumentException(
          "history.size ("
              + history.size()
              + ") must be less than outbound-buffer ("
              + outboundBuffer
              + "), and 6 x history.max-bytes + 300 x history.size ("
              + history.replayBytes()
              + " bytes, the most a replay can take) at most outbound-buffer-bytes ("
              + outboundBufferBytes
              + "): a recovering client gets the whole history at once");
    }
  }

  /**
   * Reads the {@code lobby} section of a configuration that includes this module's {@code
   * reference.conf} (as {@code ConfigFactory.load()} and every ActorSystem's settings do), after
   * {@link #checkKeys(Config)}.
   *
   * @param config a configuration with the {@code lobby} section
   * @return the settings
   * @throws ConfigException when a key is unknown or missing or has a bad value
   */
  public static LobbySettings fromConfig(Config config) {
    checkKeys(config);
    Config c = config.getConfig("lobby");
    try {
      return new LobbySettings(
          serverId(c),
          c.getDuration("heartbeat-interval"),
          c.getDuration("client-timeout"),
          bytes(c, "max-message-bytes"),
          c.getInt("outbound-buffer"),
          bytes(c, "outbound-buffer-bytes"),
          unlimitedOrInt(c, "max-sessions"),
          c.getInt("inbound-window"),
          unlimitedOrInt(c, "max-inbound-per-second"),
          unlimitedOrBytes(c, "max-inbound-bytes-per-second"),
          rateExceeded(c),
          history(c),
          new Resumption(
              c.getDuration("recovery.grace"),
              c.getInt("recovery.max-detached"),
              c.getInt("recovery.ref-window")));
    } catch (IllegalArgumentException e) {
      throw new ConfigException.Generic("invalid lobby configuration: " + e.getMessage(), e);
    }
  }

  /**
   * Checks every key under {@code lobby} against the {@code reference.conf} files of the Lobby
   * modules on the class path: a key that none of them defines (a misspelt one, or one of a module
   * that is not there) fails, naming the key and where it was set, and so does a known key whose
   * value has the wrong type ({@link Config#checkValid}). Every way of starting a Lobby calls it
   * through {@link #fromConfig(Config)}.
   *
   * @param config a configuration with the {@code lobby} section
   * @throws ConfigException.ValidationFailed naming each unknown or mistyped key
   */
  public static void checkKeys(Config config) {
    // Not defaultReference(): it folds in the system properties, so -Dlobby.<typo> would pass.
    Config reference =
        ConfigFactory.defaultReferenceUnresolved(LobbySettings.class.getClassLoader())
            .resolve(ConfigResolveOptions.noSystem());
    List<ConfigException.ValidationProblem> problems = new ArrayList<>();
    if (config.hasPath("lobby")) {
      for (Map.Entry<String, ConfigValue> entry : config.getConfig("lobby").entrySet()) {
        String path = "lobby." + entry.getKey();
        if (!reference.hasPathOrNull(path)) {
          problems.add(
              new ConfigException.ValidationProblem(
                  path,
                  entry.getValue().origin(),
                  "unknown key "
                      + path
                      + ": no Lobby module on the class path defines it (check its spelling, and"
                      + " that the module it belongs to, such as lobby-cluster, is a dependency)"));
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException.ValidationFailed(problems);
    }
    config.checkValid(reference, "lobby");
  }

  /** Returns a copy with another heartbeat interval and client timeout. */
  public LobbySettings withHeartbeat(Duration interval, Duration timeout) {
    return new LobbySettings(
        serverId,
        interval,
        timeout,
        maxMessageBytes,
        outboundBuffer,
        outboundBufferBytes,
        maxSessions,
        inboundWindow,
        maxInboundPerSecond,
        maxInboundBytesPerSecond,
        inboundRateExceeded,
        history,
        resumption);
  }

  /** Returns a copy with another inbound rate limit and what happens to a client over it. */
  public LobbySettings withInboundRate(int limit, RateExceeded exceeded) {
    return new LobbySettings(
        serverId,
        heartbeatInterval,
        clientTimeout,
        maxMessageBytes,
        outboundBuffer,
        outboundBufferBytes,
        maxSessions,
        inboundWindow,
        limit,
        maxInboundBytesPerSecond,
        exceeded,
        history,
        resumption);
  }

  /** Returns a copy with another inbound byte rate limit. */
  public LobbySettings withInboundBytesPerSecond(int limit) {
    return new LobbySettings(
        serverId,
        heartbeatInterval,
        clientTimeout,
        maxMessageBytes,
        outboundBuffer,
        outboundBufferBytes,
        maxSessions,
        inboundWindow,
        maxInboundPerSecond,
        limit,
        inboundRateExceeded,
        history,
        resumption);
  }

  /** Returns a copy with another history. */
  public LobbySettings withHistory(History history) {
    return new LobbySettings(
        serverId,
        heartbeatInterval,
        clientTimeout,
        maxMessageBytes,
        outboundBuffer,
        outboundBufferBytes,
        maxSessions,
        inboundWindow,
        maxInboundPerSecond,
        maxInboundBytesPerSecond,
        inboundRateExceeded,
        history,
        resumption);
  }

  /** Returns a copy with another resumption ({@code lobby.recovery}). */
  public LobbySettings withResumption(Resumption resumption) {
    return new LobbySettings(
        serverId,
        heartbeatInterval,
        clientTimeout,
        maxMessageBytes,
        outboundBuffer,
        outboundBufferBytes,
        maxSessions,
        inboundWindow,
        maxInboundPerSecond,
        maxInboundBytesPerSecond,
        inboundRateExceeded,
        history,
        resumption);
  }

  private static History history(Config c) {
    History history =
        new History(
            c.getInt("history.size"),
            c.getDuration("history.ttl"),
            c.getBytes("history.max-bytes"),
            c.getInt("history.max-kept-rooms"));
    return history;
  }

  private static RateExceeded rateExceeded(Config c) {
    String text = c.getString("inbound-rate-exceeded");
    return switch (text) {
      case "throttle" -> RateExceeded.THROTTLE;
      case "close" -> RateExceeded.CLOSE;
      default ->
          throw new ConfigException.BadValue(
              c.origin(), "lobby.inbound-rate-exceeded", "throttle or close, was " + text);
    };
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

  private static int unlimitedOrBytes(Config c, String key) {
    if ("unlimited".equals(c.getValue(key).unwrapped())) {
      return Integer.MAX_VALUE;
    }
    return bytes(c, key);
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
