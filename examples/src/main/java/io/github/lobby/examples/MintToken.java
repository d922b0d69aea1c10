package io.github.lobby.examples;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.auth.Principal;
import io.github.lobby.http.auth.AuthSettings;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * Prints a JSON Web Token for a server with {@code lobby.auth.mode = jwt} and an HS256 secret, for
 * trying authentication out (README, Authentication). An application issues its users' tokens
 * from its own backend; this tool stands in for it.
 *
 * <pre>{@code
 * LOBBY_JWT_SECRET=... java -cp examples/target/lobby-example-server.jar \
 *     io.github.lobby.examples.MintToken --sub alice --rooms 'team-*,lobby' --ttl 1h
 * }</pre>
 *
 * <p>The token is signed with {@code LOBBY_JWT_SECRET} (at least 32 bytes, as the server requires)
 * and carries {@code sub}, {@code iat}, {@code exp} and whichever of {@code rooms}, {@code
 * publish}, {@code admin}, {@code iss} and {@code aud} the options ask for. It alone goes to
 * standard output, so that {@code TOKEN=$(...)} takes it.
 */
public final class MintToken {

  static final String USAGE =
      "usage: MintToken --sub <user> [--rooms <room or prefix*>,...] [--publish <room or"
          + " prefix*>,...] [--ttl <duration, 1h by default>] [--admin] [--iss <issuer>] [--aud"
          + " <audience>]\n"
          + "Signs with HS256 and the secret in the environment variable LOBBY_JWT_SECRET.";

  private static final Duration DEFAULT_TTL = Duration.ofHours(1);

  private MintToken() {}

  /** Prints the token of the options, or says what is wrong and exits with 2. */
  public static void main(String[] args) {
    int status =
        run(args, System.getenv("LOBBY_JWT_SECRET"), Clock.systemUTC(), System.out, System.err);
    if (status != 0) {
      System.exit(status);
    }
  }

  /**
   * Prints the token of {@code args} to {@code out}; or the problem and the usage to {@code err}.
   *
   * @param secret the HS256 secret; null when not set
   * @return the exit status: 0, or 2 for bad arguments or secret
   */
  static int run(String[] args, String secret, Clock clock, PrintStream out, PrintStream err) {
    try {
      out.println(mint(args, secret, clock));
      return 0;
    } catch (IllegalArgumentException e) {
      err.println(e.getMessage());
      err.println(USAGE);
      return 2;
    }
  }

  /**
   * The signed token of the options.
   *
   * @throws IllegalArgumentException naming what is wrong with the options or the secret
   */
  static String mint(String[] args, String secret, Clock clock) {
    if (secret == null || secret.isEmpty()) {
      throw new IllegalArgumentException("LOBBY_JWT_SECRET is not set");
    }
    byte[] key = secret.getBytes(StandardCharsets.UTF_8);
    if (key.length < AuthSettings.MIN_SECRET_BYTES) {
      throw new IllegalArgumentException(
          "LOBBY_JWT_SECRET has "
              + key.length
              + " bytes; HS256 needs at least "
              + AuthSettings.MIN_SECRET_BYTES);
    }
    Instant now = clock.instant();
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().issueTime(Date.from(now));
    Duration ttl = DEFAULT_TTL;
    boolean hasSubject = false;
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      if (option.equals("--admin")) {
        claims.claim("admin", true);
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(
            option.startsWith("--") ? option + " needs a value" : "unknown argument " + option);
      }
      String value = args[++i];
      switch (option) {
        case "--sub" -> {
          if (value.isBlank() || value.length() > Principal.MAX_USER_LENGTH) {
            throw new IllegalArgumentException(
                "--sub is a user id of 1 to " + Principal.MAX_USER_LENGTH + " characters");
          }
          claims.subject(value);
          hasSubject = true;
        }
        case "--rooms" -> claims.claim("rooms", rooms(option, value));
        case "--publish" -> claims.claim("publish", rooms(option, value));
        case "--ttl" -> ttl = duration(value);
        case "--iss" -> claims.issuer(value);
        case "--aud" -> claims.audience(value);
        default -> throw new IllegalArgumentException("unknown option " + option);
      }
    }
    if (!hasSubject) {
      throw new IllegalArgumentException("--sub is required");
    }
    claims.expirationTime(Date.from(now.plus(ttl)));
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(),
            claims.build());
    try {
      jwt.sign(new MACSigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("HS256 signing failed", e);
    }
    return jwt.serialize();
  }

  /** A comma-separated list of room names and {@code prefix*} patterns. */
  private static List<String> rooms(String option, String value) {
    List<String> rooms =
        Arrays.stream(value.split(",")).map(String::strip).filter(r -> !r.isEmpty()).toList();
    if (rooms.isEmpty()) {
      throw new IllegalArgumentException(option + " needs at least one room or prefix*");
    }
    return rooms;
  }

  /** A duration as the configuration writes them: {@code 90s}, {@code 15m}, {@code 1h}. */
  private static Duration duration(String value) {
    Duration ttl;
    try {
      ttl =
          ConfigFactory.parseMap(Map.of("ttl", value))
              .getDuration("ttl");
    } catch (ConfigException e) {
      throw new IllegalArgumentException("--ttl is a duration such as 90s, 15m or 1h: " + value);
    }
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("--ttl must be positive: " + value);
    }
    return ttl;
  }
}
