package io.github.lobby.http.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.typesafe.config.ConfigException;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.text.ParseException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys a {@link JwtAuthenticator} verifies with, made from the key source of {@code
 * lobby.auth.jwt}: the HS256 secret; the RSA and EC keys of a JWK Set file, read once; or those of
 * a JWK Set URL, fetched on first use, cached for {@code jwks-refresh}, fetched again for an
 * unknown {@code kid} at most twice per 30 s, and kept through an outage for another {@code
 * jwks-refresh}.
 *
 * @param algorithms the signing algorithms a token may use: HS256 with a secret, RS256 and ES256
 *     with a JWK Set
 * @param selector picks the keys for a token's header
 * @param remote whether a selection may fetch (a JWK Set URL), so verification must not run on the
 *     caller's thread
 */
record JwtKeys(
    Set<JWSAlgorithm> algorithms, JWSKeySelector<SecurityContext> selector, boolean remote) {

  private static final Logger log = LoggerFactory.getLogger(JwtKeys.class);

  /** Fetches of a JWK Set URL are rate-limited to two per this interval (Nimbus' default). */
  private static final Duration JWKS_MIN_INTERVAL = Duration.ofSeconds(30);

  /** The largest JWK Set document fetched (a few keys take a few KiB). */
  private static final int JWKS_SIZE_LIMIT = 256 * 1024;

  private static final Set<JWSAlgorithm> ASYMMETRIC =
      Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);

  /**
   * The keys of checked settings: reads a JWK Set file now; fetches a JWK Set URL only on first
   * use.
   *
   * @throws ConfigException naming {@code lobby.auth.jwt.jwks-file} when the file cannot be read,
   *     is not a JWK Set or holds no RSA or EC key, or {@code jwks-url} when it is not a URL
   */
  static JwtKeys of(AuthSettings.Jwt settings) {
    AuthSettings.KeySource source = settings.keys();
    if (source instanceof AuthSettings.Secret secret) {
      SecretKeySpec key = new SecretKeySpec(secret.bytes(), "HmacSHA256");
      // Any kid is ignored: there is one secret, and a kid is not part of it.
      JWSKeySelector<SecurityContext> keys =
          (header, context) ->
              JWSAlgorithm.HS256.equals(header.getAlgorithm()) ? List.of(key) : List.of();
      return new JwtKeys(Set.of(JWSAlgorithm.HS256), keys, false);
    }
    if (source instanceof AuthSettings.JwksFile file) {
      JWKSource<SecurityContext> jwks = new ImmutableJWKSet<>(loadJwks(file));
      return new JwtKeys(ASYMMETRIC, new JWSVerificationKeySelector<>(ASYMMETRIC, jwks), false);
    }
    AuthSettings.JwksUrl url = (AuthSettings.JwksUrl) source;
    return new JwtKeys(
        ASYMMETRIC,
        new JWSVerificationKeySelector<>(ASYMMETRIC, remoteJwks(url, settings)),
        true);
  }

  /** A key source for messages: the file or URL, never the secret. */
  static String describe(AuthSettings.KeySource keys) {
    if (keys instanceof AuthSettings.JwksFile file) {
      return "jwks-file " + file.file();
    }
    if (keys instanceof AuthSettings.JwksUrl url) {
      return "jwks-url " + url.url();
    }
    return "HS256 secret";
  }

  /** Never the selector's keys. */
  @Override
  public String toString() {
    return "JwtKeys[algorithms=" + algorithms + ", remote=" + remote + "]";
  }

  private static JWKSet loadJwks(AuthSettings.JwksFile file) {

    String key = "lobby.auth.jwt.jwks-file";
    JWKSet loaded;
    try {
      loaded = JWKSet.load(file.file().toFile());
    } catch (IOException e) {
      throw new ConfigException.BadValue(
          key, "cannot read " + file.file().toAbsolutePath() + ": " + e, e);
    } catch (ParseException e) {
      throw new ConfigException.BadValue(
          key, file.file().toAbsolutePath() + " is not a JWK Set (RFC 7517): " + e.getMessage(), e);
    }
    if (loaded.getKeys().stream().anyMatch(JWK::isPrivate)) {
      log.warn(
          "{} holds private keys; only their public parts are used. Keep private keys away from"
              + " this server: it only verifies.",
          file.file().toAbsolutePath());
    }
    JWKSet publicKeys = loaded.toPublicJWKSet();
    boolean usable =
        publicKeys.getKeys().stream()
            .anyMatch(k -> k.getKeyType() == KeyType.RSA || k.getKeyType() == KeyType.EC);
    if (!usable) {
      throw new ConfigException.BadValue(
          key, file.file().toAbsolutePath() + " holds no RSA or EC key (for RS256 or ES256)");
    }
    return publicKeys;
  }

  private static JWKSource<SecurityContext> remoteJwks(
      AuthSettings.JwksUrl url, AuthSettings.Jwt settings) {
    URL location;
    try {
      location = url.url().toURL();
    } catch (MalformedURLException | IllegalArgumentException e) {
      throw new ConfigException.BadValue("lobby.auth.jwt.jwks-url", "not a URL: " + url.url(), e);
    }
    int timeout = (int) settings.jwksTimeout().toMillis();
    long ttl = settings.jwksRefresh().toMillis();
    return JWKSourceBuilder.<SecurityContext>create(
            location, new DefaultResourceRetriever(timeout, timeout, JWKS_SIZE_LIMIT))
        // A caller waits for another's fetch as long as that fetch may take.
        .cache(ttl, 2L * timeout)
        // Off: Nimbus would refresh ahead on threads of its own, which never end.
        .refreshAheadCache(false)
        .rateLimited(JWKS_MIN_INTERVAL.toMillis())
        .outageTolerant(ttl)
        .build();
  }
}
