package io.github.lobby.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

/**
 * The {@code lobby.compression} configuration: permessage-deflate (RFC 7692) on both connection
 * paths, read once at start and checked.
 *
 * <p>Compression is negotiated only with clients that offer it, and the server compresses each
 * message on its own ({@code server_no_context_takeover}): a broadcast is compressed once and its
 * compressed bytes are shared by every recipient that negotiated it, and an idle session holds no
 * compression memory.
 *
 * @param enabled whether the server accepts a client's permessage-deflate offer
 * @param minBytes messages shorter than this (in bytes, before compression) go uncompressed
 * @param binary whether binary messages are compressed too (text only when off)
 * @param level the deflate level, 1 (fastest) to 9 (smallest)
 * @param clientContextTakeover whether a client may keep its compression context between the
 *     messages it sends; off, the server answers every offer with {@code
 *     client_no_context_takeover}, so that no connection needs an inflater of its own
 */
public record CompressionSettings(
    boolean enabled, int minBytes, boolean binary, int level, boolean clientContextTakeover) {

  /**
   * The defaults of {@code reference.conf}: on, 512 bytes, text only, level 6, no client context
   * takeover.
   */
  public static final CompressionSettings DEFAULT =
      new CompressionSettings(true, 512, false, 6, false);

  /** No compression: no offer is accepted. */
  public static final CompressionSettings DISABLED =
      new CompressionSettings(false, 512, false, 6, false);

  /**
   * Checks the values.
   *
   * @throws IllegalArgumentException when {@code minBytes} is negative or {@code level} is not 1 to
   *     9
   */
  public CompressionSettings {
    if (minBytes < 0) {
      throw new IllegalArgumentException("min-bytes must not be negative, was " + minBytes);
    }
    if (level < 1 || level > 9) {
      throw new IllegalArgumentException("level must be 1 to 9, was " + level);
    }
  }

  /**
   * Reads {@code lobby.compression} from a configuration that includes this module's {@code
   * reference.conf}.
   *
   * @throws ConfigException when a key is missing or has a bad value
   */
  public static CompressionSettings fromConfig(Config config) {
    Config c = config.getConfig("lobby.compression");
    long minBytes = c.getBytes("min-bytes");
    if (minBytes < 0 || minBytes > Integer.MAX_VALUE) {
      throw new ConfigException.BadValue(
          "lobby.compression.min-bytes", "must be 0 B to 2 GiB, was " + minBytes);
    }
    int level = c.getInt("level");
    if (level < 1 || level > 9) {
      throw new ConfigException.BadValue(
          "lobby.compression.level", "must be 1 (fastest) to 9 (smallest), was " + level);
    }
    return new CompressionSettings(
        c.getBoolean("enabled"),
        (int) minBytes,
        c.getBoolean("binary"),
        level,
        c.getBoolean("client-context-takeover"));
  }
}
