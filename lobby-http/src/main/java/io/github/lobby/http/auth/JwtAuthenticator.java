package io.github.lobby.http.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.typesafe.config.ConfigException;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.AuthResult.Grant;
import io.github.lobby.core.auth.AuthResult.Refusal;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.core.auth.ConnectRequest;
import io.github.lobby.core.auth.Principal;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built-in {@link Authenticator} of {@code lobby.auth.mode = jwt}: a JSON Web Token (RFC 7519)
 * per upgrade, verified with Nimbus JOSE+JWT.
 *
 * <p>What a token must be: signed with HS256 and the configured secret, or with RS256 or ES256
 * and a key of the configured JWK Set (its {@code kid} picks the key when it has one); never
 * unsigned ({@code alg: none}), encrypted or signed with any other algorithm, so that a token
 * cannot choose how it is checked. Its {@code exp} is required, its {@code nbf} honoured, both
 * with {@code clock-skew} of leeway; {@code iss} and {@code aud} must match when configured. Its
 * {@code sub}, 1 to 256 characters, is the user; its other claims become {@link
 * Principal#claims()}. An optional {@code rooms} claim (an array of room names and {@code
 * prefix*} patterns; {@code "*"} is every room) limits the rooms it may join, an optional {@code
 * publish} claim of the same form the rooms it may broadcast to; without them it may join and
 * publish anywhere.
 *
 * <p>A session may stay until {@code exp} plus {@code clock-skew} ({@link Grant#expiresAt()}):
 * the same instant at which the token stops being accepted, so a session never outlives what a
 * new connection with the same token would get.
 *
 * <p>Refusals name what is wrong ("the token has expired") and never quote the token, the secret
 * or a message of the JOSE library (which may quote the token's parts).
 *
 * <p>Threads: with a secret or a JWK Set file, verification uses the CPU only (an HMAC, or an
 * RSA or EC signature check), so {@link #authenticate} and {@link #refresh} complete before they
 * return. With a JWK Set URL the keys are fetched on first use, again after {@code jwks-refresh}
 * and when a token names an unknown {@code kid} (at most two fetches per 30 s); a fetch blocks its
 * thread for up to twice {@code jwks-timeout} (connect, then read), so verification then always
 * runs on the executor given at creation and never on the caller's (an actor's or the HTTP
 * server's) thread. When the JWK Set cannot be fetched and none is cached, the stage fails with
 * {@link KeysUnavailableException} (the upgrade is answered with 500 and logged); after an
 * outage begins, the last JWK Set fetched stays in use for another {@code jwks-refresh}.
 */
public final class JwtAuthenticator implements Authenticator {

  private static final Logger log = LoggerFactory.getLogger(JwtAuthenticator.class);

  /**
   * The longest token accepted, in characters. Real tokens are well under 8 KiB; the cap keeps a
   * client from making the server decode and hash megabytes (a refresh frame may be that large).
   */
  public static final int MAX_TOKEN_LENGTH = 16 * 1024;

  /** The refusal when a request carries no token. */
  public static final String TOKEN_REQUIRED =
      "a token is required (?token= or Authorization: Bearer)";

  private final AuthSettings.Jwt settings;
  private final Set<JWSAlgorithm> algorithms;
  private final DefaultJWTProcessor<SecurityContext> processor;
  private final Optional<Executor> remote;
  private final Clock clock;

  private JwtAuthenticator(
      AuthSettings.Jwt settings,
      Set<JWSAlgorithm> algorithms,
      JWSKeySelector<SecurityContext> keys,
      Optional<Executor> remote,
      Clock clock) {
    this.settings = settings;
    this.algorithms = algorithms;
    this.remote = remote;
    this.clock = clock;
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    // The typ header is checked before, with a message of our own (see checkType).
    p.setJWSTypeVerifier((type, context) -> {});
    p.setJWSKeySelector(keys);
    // The claims are checked after, with a message of our own for each (see checkClaims).
    p.setJWTClaimsSetVerifier(null);
    this.processor = p;
  }

  /**
   * Creates the authenticator of {@code lobby.auth.jwt} settings: reads a JWK Set file now;
   * fetches a JWK Set URL only on first use.
   *
   * @param settings the checked settings
   * @param executor where verification runs when the keys come from a JWK Set URL (fetching may
   *     block it; a server passes Pekko's blocking-I/O dispatcher); unused otherwise
   * @return the authenticator
   * @throws ConfigException naming {@code lobby.auth.jwt.jwks-file} when the file cannot be read,
   *     is not a JWK Set or holds no RSA or EC key
   */
  public static JwtAuthenticator create(AuthSettings.Jwt settings, Executor executor) {
    return create(settings, executor, Clock.systemUTC());
  }

  /** {@link #create(AuthSettings.Jwt, Executor)} with another clock: the tests' seam. */
  static JwtAuthenticator create(AuthSettings.Jwt settings, Executor executor, Clock clock) {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(executor, "executor");
    Objects.requireNonNull(clock, "clock");
    JwtKeys keys = JwtKeys.of(settings);
    warnIfUnbound(settings);
    return new JwtAuthenticator(
        settings,
        keys.algorithms(),
        keys.selector(),
        keys.remote() ? Optional.of(executor) : Optional.empty(),
        clock);
  }

  /**
   * Warns, once per authenticator (so once per server start), when the keys are a JWK Set and
   * neither {@code issuer} nor {@code audience} is set. An identity provider's keys usually sign
   * the tokens of every application it serves; without an {@code aud} (or {@code iss}) check a
   * token made for any of them is accepted here, and with {@code admin-jwt} on opens the admin API
   * when it says {@code "admin": true}. An HS256 secret is this application's own, so it is not
   * warned about.
   */
  private static void warnIfUnbound(AuthSettings.Jwt settings) {
    if (settings.keys() instanceof AuthSettings.Secret
        || settings.issuer().isPresent()
        || settings.audience().isPresent()) {
      return;
    }
    log.warn(
        "lobby.auth.jwt: {} is set without issuer and without audience, so every token signed by"
            + " those keys is accepted, including tokens the identity provider issued for other"
            + " applications (and, with lobby.auth.admin-jwt on, as admin tokens when they carry"
            + " \"admin\": true). Set lobby.auth.jwt.audience to the audience (client id) of this"
            + " server's tokens, and lobby.auth.jwt.issuer to the provider's iss.",
        JwtKeys.describe(settings.keys()));
  }

  /**
   * Decides on an upgrade with the token of {@link ConnectRequest#bearerToken()}: a {@link Grant}
   * for its {@code sub}, 401 when the token is missing or not valid, 403 when it does not allow
   * the room. Complete on return, except with a JWK Set URL (see the class comment).
   */
  @Override
  public CompletionStage<AuthResult> authenticate(ConnectRequest request) {
    Optional<String> token = request.bearerToken();
    if (token.isEmpty()) {
      return CompletableFuture.completedFuture(Refusal.unauthorized(TOKEN_REQUIRED));
    }
    return run(() -> decide(token.get(), request.room(), Optional.empty()));
  }

  /**
   * Decides on a new token for a session: the same checks as on upgrade, and its {@code sub} must
   * be the session's user (else 403 "the token is for another user"). The grant's principal
   * carries the new token's claims, its expiry and publish permission replace the session's.
   */
  @Override
  public CompletionStage<AuthResult> refresh(Principal current, RoomId room, String token) {
    Objects.requireNonNull(current, "current");
    Objects.requireNonNull(room, "room");
    if (token == null || token.isEmpty()) {
      return CompletableFuture.completedFuture(Refusal.unauthorized("a token is required"));
    }
    return run(() -> decide(token, room, Optional.of(current.user())));
  }

  /**
   * Whether a token opens the admin API ({@code lobby.auth.admin-jwt}): it passes every check of
   * an upgrade but the room's, and carries the claim {@code "admin": true} (the boolean, not the
   * string). False for null, an invalid token, and when the keys of a JWK Set URL cannot be
   * fetched.
   *
   * <p>Runs on the caller's thread. With a JWK Set URL a check may wait for a fetch (up to twice
   * {@code jwks-timeout}, on first use and once per {@code jwks-refresh}): prefer {@link
   * #isAdminAsync(String)} from a route there.
   *
   * @param token the bearer token of an admin request
   * @return whether it is a valid admin token
   */
  public boolean isAdmin(String token) {
    if (token == null || token.isEmpty()) {
      return false;
    }
    try {
      return Boolean.TRUE.equals(verify(token).claims().getClaim("admin"));
    } catch (Rejected e) {
      return false;
    } catch (KeysUnavailableException e) {
      log.warn("admin JWT not checked: {}", e.getMessage(), e);
      return false;
    }
  }

  /**
   * {@link #isAdmin(String)} off the caller's thread when the keys come from a JWK Set URL (on the
   * executor given at creation); complete on return otherwise.
   *
   * @param token the bearer token of an admin request
   * @return whether it is a valid admin token
   */
  public CompletionStage<Boolean> isAdminAsync(String token) {
    if (remote.isEmpty()) {
      return CompletableFuture.completedFuture(isAdmin(token));
    }
    return CompletableFuture.supplyAsync(() -> isAdmin(token), remote.get());
  }

  private <T> CompletionStage<T> run(Supplier<T> decision) {
    if (remote.isEmpty()) {
      try {
        return CompletableFuture.completedFuture(decision.get());
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    try {
      return CompletableFuture.supplyAsync(decision, remote.get());
    } catch (RuntimeException e) { // a rejecting executor
      return CompletableFuture.failedFuture(e);
    }
  }

  private AuthResult decide(String token, RoomId room, Optional<String> user) {
    Verified verified;
    try {
      verified = verify(token);
    } catch (Rejected e) {
      return e.refusal;
    }
    if (user.isPresent() && !user.get().equals(verified.user())) {
      return Refusal.forbidden("the token is for another user");
    }
    if (verified.rooms().isPresent() && !matches(verified.rooms().get(), room)) {
      return Refusal.forbidden("this token does not allow room " + room.value());
    }
    boolean mayPublish = verified.publish().map(p -> matches(p, room)).orElse(true);
    Principal principal = new Principal(verified.user(), plainClaims(verified.claims()));
    return new Grant(principal, mayPublish, Optional.of(verified.expiresAt()));
  }

  /** Whether a room is one of the names, or starts with the part of a {@code prefix*} before *. */
  static boolean matches(List<String> patterns, RoomId room) {
    String name = room.value();
    for (String pattern : patterns) {
      boolean match =
          pattern.endsWith("*")
              ? name.startsWith(pattern.substring(0, pattern.length() - 1))
              : name.equals(pattern);
      if (match) {
        return true;
      }
    }
    return false;
  }

  /** What a valid token says. */
  private record Verified(
      JWTClaimsSet claims,
      String user,
      Instant expiresAt,
      Optional<List<String>> rooms,
      Optional<List<String>> publish) {}

  /** A refusal as an exception, so that each check is one line; no stack trace, it is no error. */
  private static final class Rejected extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient Refusal refusal;

    Rejected(Refusal refusal) {
      super(refusal.message(), null, false, false);
      this.refusal = refusal;
    }
  }

  private static Rejected unauthorized(String message) {
    return new Rejected(Refusal.unauthorized(message));
  }

  private Verified verify(String token) throws Rejected {
    if (token.length() > MAX_TOKEN_LENGTH) {
      throw unauthorized("the token is longer than " + MAX_TOKEN_LENGTH + " characters");
    }
    JWT jwt;
    try {
      jwt = JWTParser.parse(token);
    } catch (ParseException e) {
      throw unauthorized("the token is malformed (not a JSON Web Token)");
    }
    if (jwt instanceof PlainJWT) {
      throw unauthorized("the token is not signed (alg none is not accepted)");
    }
    if (jwt instanceof EncryptedJWT) {
      throw unauthorized("the token is encrypted, which is not accepted");
    }
    if (!(jwt instanceof SignedJWT signed)) {
      throw unauthorized("the token is malformed (not a JSON Web Token)");
    }
    if (!algorithms.contains(signed.getHeader().getAlgorithm())) {
      throw unauthorized(
          "the token's signing algorithm is not accepted (accepted: " + algorithmNames() + ")");
    }
    checkType(signed.getHeader().getType());
    JWTClaimsSet claims;
    try {
      claims = processor.process(signed, null);
    } catch (BadJWSException e) {
      throw unauthorized("the token's signature is not valid");
    } catch (BadJWTException e) {
      throw unauthorized("the token is malformed (its claims are not a JSON object of claims)");
    } catch (BadJOSEException | RateLimitReachedException e) {
      // Rate limited: the kid is not in the JWK Set, fetched twice in the last 30 s.
      throw unauthorized("no configured key matches the token (its kid and algorithm)");
    } catch (KeySourceException e) {
      throw new KeysUnavailableException(
          "the keys of " + JwtKeys.describe(settings.keys()) + " are unavailable", e);
    } catch (JOSEException e) {
      throw unauthorized("the token's signature is not valid");
    }
    return checkClaims(claims);
  }

  /** RFC 7519 section 5.1 and RFC 9068 section 2.1: the types of a JWT and a JWT access token. */
  private static void checkType(JOSEObjectType type) throws Rejected {
    if (type == null) {
      return;
    }
    String t = type.getType().toLowerCase(Locale.ROOT);
    if (t.startsWith("application/")) {
      t = t.substring("application/".length());
    }
    if (!(t.equals("jwt") || t.equals("at+jwt"))) {
      throw unauthorized("the token's type (typ) is not accepted (accepted: JWT, at+jwt)");
    }
  }

  private Verified checkClaims(JWTClaimsSet claims) throws Rejected {
    Instant now = clock.instant();
    Duration skew = settings.clockSkew();
    if (claims.getExpirationTime() == null) {
      throw unauthorized("the token has no expiry (exp)");
    }
    Instant expiresAt = claims.getExpirationTime().toInstant().plus(skew);
    if (now.isAfter(expiresAt)) {
      throw unauthorized("the token has expired");
    }
    if (claims.getNotBeforeTime() != null
        && now.isBefore(claims.getNotBeforeTime().toInstant().minus(skew))) {
      throw unauthorized("the token is not valid yet");
    }
    if (settings.issuer().isPresent() && !settings.issuer().get().equals(claims.getIssuer())) {
      throw unauthorized("the token's issuer is not accepted");
    }
    if (settings.audience().isPresent()
        && (claims.getAudience() == null
            || !claims.getAudience().contains(settings.audience().get()))) {
      throw unauthorized("the token's audience is not accepted");
    }
    String user = claims.getSubject();
    if (user == null || user.isBlank()) {
      throw unauthorized("the token has no subject (sub)");
    }
    if (user.length() > Principal.MAX_USER_LENGTH) {
      throw unauthorized(
          "the token's subject (sub) is longer than " + Principal.MAX_USER_LENGTH + " characters");
    }
    return new Verified(
        claims, user, expiresAt, roomList(claims, "rooms"), roomList(claims, "publish"));
  }

  private static Optional<List<String>> roomList(JWTClaimsSet claims, String name) throws Rejected {
    Object value = claims.getClaim(name);
    if (value == null) {
      return Optional.empty();
    }
    if (value instanceof List<?> list && list.stream().allMatch(e -> e instanceof String)) {
      return Optional.of(list.stream().map(String.class::cast).toList());
    }
    throw unauthorized(
        "the token's " + name + " claim is not an array of room names and prefix* patterns");
  }

  /** Every claim but {@code sub}, as JSON values: numbers, strings, booleans, lists and maps. */
  private static Map<String, Object> plainClaims(JWTClaimsSet claims) {
    Map<String, Object> plain = new LinkedHashMap<>();
    // toJSONObject: dates as seconds since the epoch, as in the token; claims set to null left out.
    for (Map.Entry<String, Object> e : claims.toJSONObject().entrySet()) {
      if (!e.getKey().equals("sub") && e.getValue() != null) {
        plain.put(e.getKey(), plain(e.getValue()));
      }
    }
    return plain;
  }

  private static Object plain(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> copy = new LinkedHashMap<>();
      map.forEach((k, v) -> copy.put(String.valueOf(k), plain(v)));
      return Collections.unmodifiableMap(copy);
    }
    if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>(list.size());
      list.forEach(v -> copy.add(plain(v)));
      return Collections.unmodifiableList(copy);
    }
    return value; // String, Boolean, Long, Double, or null inside a list or map
  }

  private String algorithmNames() {
    return algorithms.stream().map(JWSAlgorithm::getName).sorted().toList().toString();
  }

  /** Names the key source and the checks; never the secret. */
  @Override
  public String toString() {
    return "JwtAuthenticator[keys="
        + JwtKeys.describe(settings.keys())
        + ", algorithms="
        + algorithmNames()
        + ", issuer="
        + settings.issuer().orElse("(any)")
        + ", audience="
        + settings.audience().orElse("(any)")
        + ", clockSkew="
        + settings.clockSkew()
        + "]";
  }

  /**
   * The JWK Set of {@code lobby.auth.jwt.jwks-url} could not be fetched, and none is cached: the
   * token can be neither accepted nor refused. A stage of {@link #authenticate} or {@link #refresh}
   * fails with it (the server answers 500 and logs it); the cause says why.
   */
  public static final class KeysUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which JWK Set
     * @param cause why it is unavailable
     */
    public KeysUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
