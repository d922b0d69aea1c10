package io.github.lobby.http.auth;

import static io.github.lobby.http.auth.Tokens.AUDIENCE;
import static io.github.lobby.http.auth.Tokens.CLOCK;
import static io.github.lobby.http.auth.Tokens.DIRECT;
import static io.github.lobby.http.auth.Tokens.EC;
import static io.github.lobby.http.auth.Tokens.ISSUER;
import static io.github.lobby.http.auth.Tokens.NOW;
import static io.github.lobby.http.auth.Tokens.RSA;
import static io.github.lobby.http.auth.Tokens.SECRET;
import static io.github.lobby.http.auth.Tokens.SKEW;
import static io.github.lobby.http.auth.Tokens.anonymous;
import static io.github.lobby.http.auth.Tokens.es256;
import static io.github.lobby.http.auth.Tokens.hs256;
import static io.github.lobby.http.auth.Tokens.hs256Authenticator;
import static io.github.lobby.http.auth.Tokens.query;
import static io.github.lobby.http.auth.Tokens.rs256;
import static io.github.lobby.http.auth.Tokens.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.DirectEncrypter;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.AuthResult.Grant;
import io.github.lobby.core.auth.AuthResult.Refusal;
import io.github.lobby.core.auth.ConnectRequest;
import io.github.lobby.core.auth.Principal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JwtAuthenticator} on real tokens minted with Nimbus: every refusal names what is wrong
 * with the status PROTOCOL.md section 7 gives it, and every acceptance grants what the token says.
 */
class JwtAuthenticatorTest {

  @TempDir static Path dir;

  private static JwtAuthenticator jwks;
  private final JwtAuthenticator hs256 = hs256Authenticator();

  @BeforeAll
  static void jwksFile() throws Exception {
    jwks =
        JwtAuthenticator.create(
            Tokens.jwtSettings(new AuthSettings.JwksFile(Tokens.writeJwks(dir))), DIRECT, CLOCK);
  }

  /** The result of a stage that must be complete on return (local keys: no thread hop). */
  private static AuthResult now(CompletionStage<AuthResult> stage) {
    CompletableFuture<AuthResult> future = stage.toCompletableFuture();
    assertTrue(future.isDone(), "complete on return");
    return future.join();
  }

  private static Grant granted(CompletionStage<AuthResult> stage) {
    return assertInstanceOf(Grant.class, now(stage));
  }

  private static void refused(
      CompletionStage<AuthResult> stage, AuthResult.Status status, String message) {
    assertEquals(new Refusal(status, message), now(stage));
  }

  private static void unauthorized(CompletionStage<AuthResult> stage, String message) {
    refused(stage, AuthResult.Status.UNAUTHORIZED, message);
  }

  private void unauthorized(JWTClaimsSet.Builder claims, String message) {
    unauthorized(hs256.authenticate(query("chat", hs256(claims))), message);
  }

  // Refusals

  @Test
  void aRequestWithoutATokenIsUnauthorized() {
    unauthorized(hs256.authenticate(anonymous("chat")), JwtAuthenticator.TOKEN_REQUIRED);
    unauthorized(hs256.authenticate(Tokens.header("chat", "")), JwtAuthenticator.TOKEN_REQUIRED);
  }

  @Test
  void aMalformedTokenIsUnauthorized() {
    for (String token : List.of("not-a-jwt", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30", "x.y.z.v.w")) {
      unauthorized(
          hs256.authenticate(query("chat", token)),
          "the token is malformed (not a JSON Web Token)");
    }
    // A valid header and signature over a payload that is not a claims set.
    String header = hs256(valid("ann")).split("\\.")[0];
    unauthorized(
        hs256.authenticate(query("chat", header + ".WzEsMiwzXQ.c2ln")),
        "the token is malformed (its claims are not a JSON object of claims)");
  }

  @Test
  void aTokenSignedWithAnotherSecretIsUnauthorized() {
    String token = hs256(valid("ann"), "another-secret-of-more-than-32-bytes-9876543210");
    unauthorized(hs256.authenticate(query("chat", token)), "the token's signature is not valid");
  }

  @Test
  void aTamperedPayloadIsUnauthorized() {
    String[] parts = hs256(valid("ann")).split("\\.");
    String forged =
        java.util.Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(valid("root").build().toString().getBytes(StandardCharsets.UTF_8));
    unauthorized(
        hs256.authenticate(query("chat", parts[0] + "." + forged + "." + parts[2])),
        "the token's signature is not valid");
  }

  @Test
  void anExpiredTokenIsUnauthorizedOnlyBeyondTheClockSkew() {
    unauthorized(
        valid("ann").expirationTime(Date.from(NOW.minus(SKEW).minusSeconds(1))),
        "the token has expired");
    granted(
        hs256.authenticate(
            query(
                "chat",
                hs256(valid("ann").expirationTime(Date.from(NOW.minus(SKEW).plusSeconds(1)))))));
  }

  @Test
  void aTokenBeforeItsNotBeforeTimeIsUnauthorizedOnlyBeyondTheClockSkew() {
    unauthorized(
        valid("ann").notBeforeTime(Date.from(NOW.plus(SKEW).plusSeconds(1))),
        "the token is not valid yet");
    granted(
        hs256.authenticate(
            query(
                "chat",
                hs256(valid("ann").notBeforeTime(Date.from(NOW.plus(SKEW).minusSeconds(1)))))));
  }

  @Test
  void aTokenForAnotherAudienceIsUnauthorized() {
    unauthorized(valid("ann").audience("other"), "the token's audience is not accepted");
    unauthorized(valid("ann").audience((String) null), "the token's audience is not accepted");
    granted(
        hs256.authenticate(
            query("chat", hs256(valid("ann").audience(List.of("other", AUDIENCE))))));
  }

  @Test
  void aTokenOfAnotherIssuerIsUnauthorized() {
    unauthorized(valid("ann").issuer("https://evil.test"), "the token's issuer is not accepted");
    unauthorized(valid("ann").issuer(null), "the token's issuer is not accepted");
  }

  @Test
  void withoutIssuerAndAudienceConfiguredAnyAreAccepted() {
    JwtAuthenticator lax =
        JwtAuthenticator.create(
            new AuthSettings.Jwt(
                new AuthSettings.Secret(SECRET),
                Optional.empty(),
                Optional.empty(),
                SKEW,
                java.time.Duration.ofMinutes(5),
                java.time.Duration.ofSeconds(2)),
            DIRECT,
            CLOCK);
    granted(lax.authenticate(query("chat", hs256(valid("ann").issuer(null).audience("x")))));
  }

  @Test
  void anUnsignedTokenIsUnauthorized() {
    String none = new PlainJWT(valid("ann").build()).serialize();
    unauthorized(
        hs256.authenticate(query("chat", none)),
        "the token is not signed (alg none is not accepted)");
    // "alg":"none" with a signature part glued on is no JWT at all.
    unauthorized(
        hs256.authenticate(query("chat", none + "c2ln")),
        "the token is malformed (not a JSON Web Token)");
  }

  @Test
  void anotherAlgorithmIsUnauthorizedEvenWithTheRightSecret() throws JOSEException {
    String secret48 = SECRET + "-and-some-more-for-384";
    JwtAuthenticator longSecret =
        JwtAuthenticator.create(
            Tokens.jwtSettings(new AuthSettings.Secret(secret48)), DIRECT, CLOCK);
    String hs384 =
        Tokens.sign(
            new JWSHeader(JWSAlgorithm.HS384),
            valid("ann"),
            new MACSigner(secret48.getBytes(StandardCharsets.UTF_8)));
    unauthorized(
        longSecret.authenticate(query("chat", hs384)),
        "the token's signing algorithm is not accepted (accepted: [HS256])");
    unauthorized(
        jwks.authenticate(query("chat", hs256(valid("ann")))),
        "the token's signing algorithm is not accepted (accepted: [ES256, RS256])");
  }

  @Test
  void anHs256TokenKeyedWithTheRsaPublicKeyIsRefusedByAJwksAuthenticator() throws Exception {
    // The classic algorithm confusion: the public key, which anyone has, used as an HMAC secret.
    byte[] publicKey = RSA.toRSAPublicKey().getEncoded();
    String token =
        Tokens.sign(new JWSHeader(JWSAlgorithm.HS256), valid("ann"), new MACSigner(publicKey));
    unauthorized(
        jwks.authenticate(query("chat", token)),
        "the token's signing algorithm is not accepted (accepted: [ES256, RS256])");
  }

  @Test
  void anEncryptedTokenIsUnauthorized() throws JOSEException {
    EncryptedJWT jwe =
        new EncryptedJWT(
            new JWEHeader(JWEAlgorithm.DIR, EncryptionMethod.A256GCM), valid("ann").build());
    jwe.encrypt(new DirectEncrypter(new byte[32]));
    unauthorized(
        hs256.authenticate(query("chat", jwe.serialize())),
        "the token is encrypted, which is not accepted");
  }

  @Test
  void aTokenWithoutSubjectIsUnauthorized() {
    unauthorized(valid("ann").subject(null), "the token has no subject (sub)");
    unauthorized(valid(" "), "the token has no subject (sub)");
    unauthorized(valid("u".repeat(257)), "the token's subject (sub) is longer than 256 characters");
    granted(hs256.authenticate(query("chat", hs256(valid("u".repeat(256))))));
  }

  @Test
  void aTokenWithoutExpiryIsUnauthorized() {
    unauthorized(valid("ann").expirationTime(null), "the token has no expiry (exp)");
  }

  @Test
  void aTokenOfAnotherTypeIsUnauthorizedJwtAndAccessTokensPass() {
    unauthorized(
        hs256.authenticate(query("chat", Tokens.withType(valid("ann"), "dpop+jwt"))),
        "the token's type (typ) is not accepted (accepted: JWT, at+jwt)");
    for (String type : List.of("JWT", "at+jwt", "application/at+jwt")) {
      granted(hs256.authenticate(query("chat", Tokens.withType(valid("ann"), type))));
    }
  }

  @Test
  void anOverlongTokenIsUnauthorizedBeforeItIsParsed() {
    String token = "a".repeat(JwtAuthenticator.MAX_TOKEN_LENGTH + 1);
    unauthorized(
        hs256.authenticate(query("chat", token)), "the token is longer than 16384 characters");
  }

  @Test
  void aRoomTheTokenDoesNotListIsForbidden() {
    JWTClaimsSet.Builder claims = valid("ann").claim("rooms", List.of("chat", "team-*"));
    String token = hs256(claims);
    for (String room : List.of("chats", "cha", "team", "teamred", "other")) {
      refused(
          hs256.authenticate(query(room, token)),
          AuthResult.Status.FORBIDDEN,
          "this token does not allow room " + room);
    }
    refused(
        hs256.authenticate(query("chat", hs256(valid("ann").claim("rooms", List.of())))),
        AuthResult.Status.FORBIDDEN,
        "this token does not allow room chat");
  }

  @Test
  void aRoomsClaimThatIsNotAnArrayOfStringsIsUnauthorized() {
    unauthorized(
        valid("ann").claim("rooms", "chat"),
        "the token's rooms claim is not an array of room names and prefix* patterns");
    unauthorized(
        valid("ann").claim("publish", List.of("chat", 7)),
        "the token's publish claim is not an array of room names and prefix* patterns");
  }

  // Acceptance

  @Test
  void aRoomIsAllowedByNameAndByPrefixPattern() {
    String token = hs256(valid("ann").claim("rooms", List.of("chat", "team-*")));
    for (String room : List.of("chat", "team-", "team-red", "team-red:1")) {
      assertEquals("ann", granted(hs256.authenticate(query(room, token))).principal().user());
    }
    String everywhere = hs256(valid("ann").claim("rooms", List.of("*")));
    granted(hs256.authenticate(query("anything", everywhere)));
    granted(hs256.authenticate(query("anything", hs256(valid("ann")))));
  }

  @Test
  void thePublishClaimDecidesWhereTheSessionMayBroadcast() {
    String token =
        hs256(valid("ann").claim("rooms", List.of("*")).claim("publish", List.of("team-*", "q")));
    assertTrue(granted(hs256.authenticate(query("team-red", token))).mayPublish());
    assertTrue(granted(hs256.authenticate(query("q", token))).mayPublish());
    assertFalse(granted(hs256.authenticate(query("chat", token))).mayPublish());
    String readOnly = hs256(valid("ann").claim("publish", List.of()));
    assertFalse(granted(hs256.authenticate(query("chat", readOnly))).mayPublish());
    assertTrue(granted(hs256.authenticate(query("chat", hs256(valid("ann"))))).mayPublish());
  }

  @Test
  void theTokenMayComeInTheQueryOrTheAuthorizationHeader() {
    String token = hs256(valid("ann"));
    assertEquals("ann", granted(hs256.authenticate(query("chat", token))).principal().user());
    assertEquals(
        "ann", granted(hs256.authenticate(Tokens.header("chat", token))).principal().user());
  }

  @Test
  void rs256AndEs256TokensPassWithAJwksFile() {
    Grant rsa = granted(jwks.authenticate(query("chat", rs256(valid("ann"), RSA))));
    assertEquals("ann", rsa.principal().user());
    Grant ec = granted(jwks.authenticate(query("chat", es256(valid("bob"), EC))));
    assertEquals("bob", ec.principal().user());
  }

  @Test
  void aJwksTokenSignedWithAnotherKeyOrNamingAnUnknownKidIsUnauthorized() throws Exception {
    unauthorized(
        jwks.authenticate(query("chat", rs256(valid("ann"), Tokens.impostorRsa()))),
        "the token's signature is not valid");
    String unknownKid =
        Tokens.sign(
            new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("nobody").build(),
            valid("ann"),
            new com.nimbusds.jose.crypto.RSASSASigner(RSA));
    unauthorized(
        jwks.authenticate(query("chat", unknownKid)),
        "no configured key matches the token (its kid and algorithm)");
  }

  @Test
  void theGrantExpiresAtExpPlusTheClockSkew() {
    Instant exp = NOW.plusSeconds(600);
    Grant grant = granted(hs256.authenticate(query("chat", hs256(valid("ann")))));
    assertEquals(Optional.of(exp.plus(SKEW)), grant.expiresAt());
  }

  @Test
  void theOtherClaimsArePassedThroughAsPlainJavaValues() {
    String token =
        hs256(
            valid("ann")
                .claim("name", "Ann")
                .claim("level", 3)
                .claim("score", 1.5)
                .claim("admin", false)
                .claim("tags", List.of("a", "b"))
                .claim("org", Map.of("id", "o1", "units", List.of(1, 2)))
                .claim("rooms", List.of("chat")));
    Map<String, Object> claims =
        granted(hs256.authenticate(query("chat", token))).principal().claims();
    assertFalse(claims.containsKey("sub"), "sub is the user, not a claim");
    assertEquals("Ann", claims.get("name"));
    assertEquals(3L, claims.get("level"));
    assertEquals(1.5, claims.get("score"));
    assertEquals(false, claims.get("admin"));
    assertEquals(List.of("a", "b"), claims.get("tags"));
    assertEquals(Map.of("id", "o1", "units", List.of(1L, 2L)), claims.get("org"));
    assertEquals(List.of("chat"), claims.get("rooms"));
    assertEquals(ISSUER, claims.get("iss"));
    assertEquals(AUDIENCE, claims.get("aud"));
    assertEquals(NOW.plusSeconds(600).getEpochSecond(), claims.get("exp"));
    assertTrue(claims.get("org").getClass().getName().startsWith("java."), "no library types");
  }

  // Refresh

  @Test
  void aRefreshWithANewTokenOfTheSameUserExtendsTheSession() {
    Principal ann = granted(hs256.authenticate(query("chat", hs256(valid("ann"))))).principal();
    Instant later = NOW.plusSeconds(3600);
    String fresh = hs256(valid("ann").expirationTime(Date.from(later)).claim("publish", List.of()));
    Grant grant = granted(hs256.refresh(ann, new RoomId("chat"), fresh));
    assertEquals("ann", grant.principal().user());
    assertEquals(Optional.of(later.plus(SKEW)), grant.expiresAt());
    assertFalse(grant.mayPublish(), "the new token's publish claim replaces the old");
  }

  @Test
  void aRefreshWithAnotherUsersTokenIsForbidden() {
    refused(
        hs256.refresh(Principal.of("ann"), new RoomId("chat"), hs256(valid("bob"))),
        AuthResult.Status.FORBIDDEN,
        "the token is for another user");
  }

  @Test
  void aRefreshWithAnExpiredTokenIsUnauthorized() {
    String expired = hs256(valid("ann").expirationTime(Date.from(NOW.minusSeconds(3600))));
    unauthorized(
        hs256.refresh(Principal.of("ann"), new RoomId("chat"), expired), "the token has expired");
    unauthorized(hs256.refresh(Principal.of("ann"), new RoomId("chat"), ""), "a token is required");
  }

  @Test
  void aRefreshWithATokenThatNoLongerAllowsTheRoomIsForbidden() {
    refused(
        hs256.refresh(
            Principal.of("ann"),
            new RoomId("chat"),
            hs256(valid("ann").claim("rooms", List.of("team-*")))),
        AuthResult.Status.FORBIDDEN,
        "this token does not allow room chat");
  }

  // Admin

  @Test
  void isAdminOnlyForAValidTokenWithTheBooleanAdminClaim() {
    assertTrue(hs256.isAdmin(hs256(valid("ops").claim("admin", true))));
    assertTrue(
        hs256.isAdminAsync(hs256(valid("ops").claim("admin", true))).toCompletableFuture().join());
    assertFalse(hs256.isAdmin(hs256(valid("ops"))));
    assertFalse(hs256.isAdmin(hs256(valid("ops").claim("admin", "true"))));
    assertFalse(hs256.isAdmin(hs256(valid("ops").claim("admin", 1))));
    assertFalse(
        hs256.isAdmin(
            hs256(
                valid("ops")
                    .claim("admin", true)
                    .expirationTime(Date.from(NOW.minusSeconds(3600))))));
    assertFalse(hs256.isAdmin(hs256(valid("ops").claim("admin", true), "x".repeat(40))));
    assertFalse(hs256.isAdmin(hs256(valid("ops").claim("admin", true).audience("other"))));
    assertFalse(hs256.isAdmin("garbage"));
    assertFalse(hs256.isAdmin(""));
    assertFalse(hs256.isAdmin(null));
  }

  // Printing

  @Test
  void toStringNamesTheKeySourceNeverTheSecret() {
    String text = hs256.toString();
    assertFalse(text.contains(SECRET), text);
    assertTrue(text.contains("HS256 secret"), text);
    assertTrue(jwks.toString().contains("jwks-file"), jwks.toString());
    assertFalse(new AuthSettings.Secret(SECRET).toString().contains(SECRET));
    assertFalse(Tokens.jwtSettings(new AuthSettings.Secret(SECRET)).toString().contains(SECRET));
  }

  @Test
  void roomPatternsMatchNamesAndPrefixes() {
    assertTrue(JwtAuthenticator.matches(List.of("a"), new RoomId("a")));
    assertFalse(JwtAuthenticator.matches(List.of("a"), new RoomId("ab")));
    assertTrue(JwtAuthenticator.matches(List.of("a*"), new RoomId("a")));
    assertTrue(JwtAuthenticator.matches(List.of("a*"), new RoomId("ab")));
    assertFalse(JwtAuthenticator.matches(List.of("a*b"), new RoomId("axb")));
    assertFalse(JwtAuthenticator.matches(List.of(), new RoomId("a")));
  }

  @Test
  void aRequestPrintedWholeDoesNotShowItsToken() {
    String token = hs256(valid("ann"));
    ConnectRequest request = query("chat", token);
    assertFalse(request.toString().contains(token));
  }
}
