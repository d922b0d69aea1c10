package io.github.lobby.http.auth;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code lobby.auth} configuration, read once at start and checked: a server whose
 * authentication is misconfigured must not start and accept everyone, so every problem is a
 * {@link ConfigException} naming the key.
 *
 * <p>The {@code lobby.auth.jwt} keys are read and checked only with {@code mode = jwt}; with
 * another mode they may hold anything, as the defaults do.
 *
 * @param mode who decides on upgrades
 * @param customClass with {@link Mode#CUSTOM}, the class name of the {@code Authenticator}; empty
 *     otherwise
 * @param jwt with {@link Mode#JWT}, how tokens are checked; empty otherwise
 * @param adminJwt whether the admin API also accepts a JWT with the claim {@code "admin": true}
 *     (only with {@link Mode#JWT})
 */
public record AuthSettings(
    Mode mode, Optional<String> customClass, Optional<Jwt> jwt, boolean adminJwt) {

  /** The HS256 secret's least length in bytes (RFC 7518 section 3.2: the hash's 256 bits). */
  public static final int MIN_SECRET_BYTES = 32;

  private static final String JWT = "lobby.auth.jwt.";

  /** The least {@code jwks-refresh}: longer than the 30 s interval that rate-limits fetches. */
  public static final Duration MIN_JWKS_REFRESH = Duration.ofMinutes(1);

  /** Who decides on upgrades ({@code lobby.auth.mode}). */
  public enum Mode {
    /** Anyone may join any room. */
    NONE,
    /** A JSON Web Token per upgrade, checked by {@link JwtAuthenticator}. */
    JWT,
    /** The application's own {@code Authenticator} class. */
    CUSTOM
  }

  /** Checks that the parts agree with the mode. */
  public AuthSettings {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(customClass, "customClass");
    Objects.requireNonNull(jwt, "jwt");
    if (customClass.isPresent() != (mode == Mode.CUSTOM)) {
      throw new IllegalArgumentException("a custom class goes with mode CUSTOM, and only with it");
    }
    if (jwt.isPresent() != (mode == Mode.JWT)) {
      throw new IllegalArgumentException("JWT settings go with mode JWT, and only with it");
    }
    if (adminJwt && mode != Mode.JWT) {
      throw new IllegalArgumentException("admin-jwt needs mode JWT");
    }
  }

  /**
   * How JSON Web Tokens are checked ({@code lobby.auth.jwt}).
   *
   * @param keys where the verification keys come from
   * @param issuer when present, the {@code iss} every token must have
   * @param audience when present, a value every token's {@code aud} must contain
   * @param clockSkew leeway for the issuer's clock: tokens are accepted from {@code nbf} minus it
   *     until {@code exp} plus it
   * @param jwksRefresh with {@link JwksUrl}, how long a fetched JWK Set is used
   * @param jwksTimeout with {@link JwksUrl}, the connect and the read timeout of one fetch
   */
  public record Jwt(
      KeySource keys,
      Optional<String> issuer,
      Optional<String> audience,
      Duration clockSkew,
      Duration jwksRefresh,
      Duration jwksTimeout) {

    /** Rejects nulls, a negative skew, a refresh under a minute, a timeout that is not positive. */
    public Jwt {
      Objects.requireNonNull(keys, "keys");
      Objects.requireNonNull(issuer, "issuer");
      Objects.requireNonNull(audience, "audience");
      if (clockSkew.isNegative()) {
        throw new IllegalArgumentException("clock-skew must not be negative, was " + clockSkew);
      }
      if (jwksRefresh.compareTo(MIN_JWKS_REFRESH) < 0) {
        throw new IllegalArgumentException("jwks-refresh must be at least 1m, was " + jwksRefresh);
      }
      if (jwksTimeout.isNegative() || jwksTimeout.isZero()) {
        throw new IllegalArgumentException("jwks-timeout must be positive, was " + jwksTimeout);
      }
      if (jwksTimeout.toMillis() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("jwks-timeout is too long: " + jwksTimeout);
      }
    }
  }

  /** Where the keys that verify token signatures come from: exactly one of three. */
  public sealed interface KeySource {}

  /**
   * An HS256 shared secret ({@code lobby.auth.jwt.secret}).
   *
   * @param value the secret as configured, at least {@link #MIN_SECRET_BYTES} bytes in UTF-8
   */
  public record Secret(String value) implements KeySource {
    /** Rejects a short secret without quoting it. */
    public Secret {
      Objects.requireNonNull(value, "value");
      int bytes = value.getBytes(StandardCharsets.UTF_8).length;
      if (bytes < MIN_SECRET_BYTES) {
        throw new IllegalArgumentException(
            "the HS256 secret must be at least "
                + MIN_SECRET_BYTES
                + " bytes (UTF-8), was "
                + bytes
                + " bytes");
      }
    }

    /** The secret's bytes, a new array each time. */
    public byte[] bytes() {
      return value.getBytes(StandardCharsets.UTF_8);
    }

    /** Never prints the secret, so that logging the settings never logs it. */
    @Override
    public String toString() {
      return "Secret[****]";
    }
  }

  /**
   * A JWK Set file with RSA and EC public keys ({@code lobby.auth.jwt.jwks-file}).
   *
   * @param file the file, as configured (relative paths resolve against the working directory)
   */
  public record JwksFile(Path file) implements KeySource {
    /** Rejects null. */
    public JwksFile {
      Objects.requireNonNull(file, "file");
    }
  }

  /**
   * An http(s) URL of a JWK Set with RSA and EC public keys ({@code lobby.auth.jwt.jwks-url}).
   *
   * @param url an absolute {@code https} URL, or an {@code http} one whose host is loopback
   */
  public record JwksUrl(URI url) implements KeySource {
    /**
     * Rejects anything but an absolute http(s) URL with a host, and plain {@code http} to any
     * host but loopback ({@code localhost}, {@code 127.0.0.0/8}, {@code ::1}): keys fetched in
     * clear text can be swapped on the way, and whoever swaps them signs the tokens.
     */
    public JwksUrl {
      Objects.requireNonNull(url, "url");
      String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
        throw new IllegalArgumentException(
            "must be an absolute http or https URL with a host, was " + url);
      }
      if (scheme.equals("http") && !isLoopback(url.getHost())) {
        throw new IllegalArgumentException(
            "must be https: keys fetched over plain http can be replaced on the way, and whoever"
                + " replaces them can sign any token (http is accepted only for a loopback host:"
                + " localhost, 127.0.0.0/8, [::1]), was "
                + url);
      }
    }

    /**
     * Whether a URL's host names loopback, by its text alone (no name is looked up, so that a
     * DNS answer cannot make a remote host pass): {@code localhost}, an IPv4 literal in {@code
     * 127.0.0.0/8}, or the IPv6 literal {@code ::1} (in brackets, as a URI has it).
     */
    static boolean isLoopback(String host) {
      String h = host.toLowerCase(Locale.ROOT);
      if (h.equals("localhost")) {
        return true;
      }
      if (h.startsWith("[") && h.endsWith("]") && h.contains(":")) {
        // An IPv6 literal (it has a colon): parsing a literal looks nothing up.
        try {
          return InetAddress.getByName(h.substring(1, h.length() - 1)).isLoopbackAddress();
        } catch (UnknownHostException e) {
          return false;
        }
      }
      String[] parts = h.split("\\.", -1);
      if (parts.length != 4 || !parts[0].equals("127")) {
        return false;
      }
      for (String part : parts) {
        boolean digits = part.chars().allMatch(c -> c >= '0' && c <= '9');
        if (part.isEmpty() || part.length() > 3 || !digits) {
          return false;
        }
        if (Integer.parseInt(part) > 255) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * Reads {@code lobby.auth} from a configuration that includes lobby-http's {@code
   * reference.conf}. Reads only: a JWK Set file is read by {@link Authenticators}, and a custom
   * class is loaded there.
   *
   * @param config a configuration with the {@code lobby.auth} section
   * @return the settings
   * @throws ConfigException naming the key, when one is missing or has a bad value, when {@code
   *     mode = jwt} has not exactly one key source, too short a secret or a {@code jwks-url} over
   *     plain http to a host that is not loopback, and when {@code admin-jwt} is on without {@code
   *     mode = jwt}
   */
  public static AuthSettings fromConfig(Config config) {
    Mode mode = mode(config);
    boolean adminJwt = config.getBoolean("lobby.auth.admin-jwt");
    if (adminJwt && mode != Mode.JWT) {
      throw new ConfigException.BadValue(
          config.getValue("lobby.auth.admin-jwt").origin(),
          "lobby.auth.admin-jwt",
          "needs lobby.auth.mode = jwt, was " + mode.name().toLowerCase(Locale.ROOT));
    }
    Optional<String> customClass = Optional.empty();
    if (mode == Mode.CUSTOM) {
      String name = config.getString("lobby.auth.custom-class").strip();
      if (name.isEmpty()) {
        throw new ConfigException.BadValue(
            config.getValue("lobby.auth.custom-class").origin(),
            "lobby.auth.custom-class",
            "lobby.auth.mode = custom needs the name of a class implementing"
                + " io.github.lobby.core.auth.Authenticator");
      }
      customClass = Optional.of(name);
    }
    Optional<Jwt> jwt = mode == Mode.JWT ? Optional.of(jwt(config)) : Optional.empty();
    return new AuthSettings(mode, customClass, jwt, adminJwt);
  }

  private static Mode mode(Config config) {
    String text = config.getString("lobby.auth.mode");
    return switch (text) {
      case "none" -> Mode.NONE;
      case "jwt" -> Mode.JWT;
      case "custom" -> Mode.CUSTOM;
      default ->
          throw new ConfigException.BadValue(
              config.getValue("lobby.auth.mode").origin(),
              "lobby.auth.mode",
              "none, jwt or custom, was \"" + text + "\"");
    };
  }

  private static Jwt jwt(Config config) {
    KeySource keys = keySource(config);
    try {
      return new Jwt(
          keys,
          optional(config, JWT + "issuer"),
          optional(config, JWT + "audience"),
          config.getDuration(JWT + "clock-skew"),
          config.getDuration(JWT + "jwks-refresh"),
          config.getDuration(JWT + "jwks-timeout"));
    } catch (IllegalArgumentException e) {
      throw new ConfigException.Generic("invalid " + JWT + "* configuration: " + e.getMessage());
    }
  }

  private static KeySource keySource(Config config) {
    String secret = config.getString(JWT + "secret");
    String file = config.getString(JWT + "jwks-file").strip();
    String url = config.getString(JWT + "jwks-url").strip();
    List<String> set = new ArrayList<>();
    if (!secret.isEmpty()) {
      set.add("secret");
    }
    if (!file.isEmpty()) {
      set.add("jwks-file");
    }
    if (!url.isEmpty()) {
      set.add("jwks-url");
    }
    if (set.isEmpty()) {
      throw new ConfigException.BadValue(
          config.getValue(JWT + "secret").origin(),
          JWT + "secret",
          "lobby.auth.mode = jwt needs a key source: set lobby.auth.jwt.secret (HS256; or"
              + " LOBBY_JWT_SECRET), lobby.auth.jwt.jwks-file or lobby.auth.jwt.jwks-url (RS256,"
              + " ES256)");
    }
    if (set.size() > 1) {
      throw new ConfigException.BadValue(
          config.getValue(JWT + set.get(1)).origin(),
          JWT + set.get(1),
          "set exactly one of lobby.auth.jwt.secret, jwks-file and jwks-url; set are "
              + String.join(" and ", set));
    }
    String key = JWT + set.get(0);
    try {
      return switch (set.get(0)) {
        case "secret" -> new Secret(secret);
        case "jwks-file" -> new JwksFile(path(file));
        default -> new JwksUrl(new URI(url));
      };
    } catch (IllegalArgumentException | URISyntaxException e) {
      // The messages name lengths, paths and URLs, never the secret.
      throw new ConfigException.BadValue(config.getValue(key).origin(), key, e.getMessage());
    }
  }

  private static Path path(String file) {
    try {
      return Path.of(file);
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException("not a file path: " + e.getMessage());
    }
  }

  private static Optional<String> optional(Config config, String key) {
    String value = config.getString(key);
    return value.isEmpty() ? Optional.empty() : Optional.of(value);
  }
}
