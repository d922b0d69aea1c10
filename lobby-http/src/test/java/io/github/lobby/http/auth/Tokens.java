package io.github.lobby.http.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.auth.ConnectRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * Real tokens for the tests, minted with Nimbus: an HS256 secret, and an RSA and an EC key pair
 * (made once per test run, RSA key generation being slow) with their public JWK Set.
 */
final class Tokens {

  static final String SECRET = "a-test-secret-of-more-than-32-bytes-0123456789";
  static final String ISSUER = "https://issuer.test";
  static final String AUDIENCE = "lobby";
  static final Duration SKEW = Duration.ofSeconds(30);

  /** The tests' now: every authenticator here runs on a clock fixed at it. */
  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  static final RSAKey RSA = generateRsa("rsa-1");
  static final ECKey EC = generateEc("ec-1");

  /** Runs a task at once: the authenticators with local keys never use it. */
  static final Executor DIRECT = Runnable::run;

  private Tokens() {}

  private static RSAKey generateRsa(String kid) {
    try {
      return new RSAKeyGenerator(2048).keyID(kid).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ECKey generateEc(String kid) {
    try {
      return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Another RSA key with the kid of {@link #RSA}: its signatures must not pass. */
  static RSAKey impostorRsa() {
    return generateRsa("rsa-1");
  }

  /** Claims that pass every check of {@link #jwtSettings}: sub, exp in 10 minutes, iss, aud. */
  static JWTClaimsSet.Builder valid(String user) {
    return new JWTClaimsSet.Builder()
        .subject(user)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .issueTime(Date.from(NOW.minusSeconds(5)))
        .expirationTime(Date.from(NOW.plusSeconds(600)));
  }

  static String hs256(JWTClaimsSet.Builder claims) {
    return sign(new JWSHeader(JWSAlgorithm.HS256), claims, macSigner(SECRET));
  }

  static String hs256(JWTClaimsSet.Builder claims, String secret) {
    return sign(new JWSHeader(JWSAlgorithm.HS256), claims, macSigner(secret));
  }

  static String rs256(JWTClaimsSet.Builder claims, RSAKey key) {
    try {
      return sign(
          new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
          claims,
          new RSASSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static String es256(JWTClaimsSet.Builder claims, ECKey key) {
    try {
      return sign(
          new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(),
          claims,
          new ECDSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static String withType(JWTClaimsSet.Builder claims, String type) {
    return sign(
        new JWSHeader.Builder(JWSAlgorithm.HS256).type(new JOSEObjectType(type)).build(),
        claims,
        macSigner(SECRET));
  }

  static String sign(JWSHeader header, JWTClaimsSet.Builder claims, JWSSigner signer) {
    SignedJWT jwt = new SignedJWT(header, claims.build());
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    return jwt.serialize();
  }

  static MACSigner macSigner(String secret) {
    try {
      return new MACSigner(secret.getBytes(StandardCharsets.UTF_8));
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The public JWK Set of {@link #RSA} and {@link #EC}, as an issuer publishes it. */
  static String publicJwks() {
    return new JWKSet(List.of(RSA.toPublicJWK(), EC.toPublicJWK())).toString();
  }

  static Path writeJwks(Path dir) throws IOException {
    return Files.writeString(dir.resolve("jwks.json"), publicJwks());
  }

  static AuthSettings.Jwt jwtSettings(AuthSettings.KeySource keys) {
    return new AuthSettings.Jwt(
        keys,
        Optional.of(ISSUER),
        Optional.of(AUDIENCE),
        SKEW,
        Duration.ofMinutes(5),
        Duration.ofSeconds(2));
  }

  /** The HS256 authenticator of the tests: issuer and audience checked, clock at {@link #NOW}. */
  static JwtAuthenticator hs256Authenticator() {
    return JwtAuthenticator.create(jwtSettings(new AuthSettings.Secret(SECRET)), DIRECT, CLOCK);
  }

  /** An upgrade to a room with the token in {@code ?token=}. */
  static ConnectRequest query(String room, String token) {
    return new ConnectRequest(
        new RoomId(room), Map.of("token", List.of(token)), Map.of(), List.of(), Optional.empty());
  }

  /** An upgrade to a room with the token in {@code Authorization: Bearer}. */
  static ConnectRequest header(String room, String token) {
    return new ConnectRequest(
        new RoomId(room),
        Map.of(),
        Map.of("Authorization", List.of("Bearer " + token)),
        List.of(),
        Optional.empty());
  }

  /** An upgrade to a room without a token. */
  static ConnectRequest anonymous(String room) {
    return new ConnectRequest(new RoomId(room), Map.of(), Map.of(), List.of(), Optional.empty());
  }
}
