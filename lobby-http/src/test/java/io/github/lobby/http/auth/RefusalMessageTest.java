package io.github.lobby.http.auth;

import static io.github.lobby.http.auth.Tokens.CLOCK;
import static io.github.lobby.http.auth.Tokens.DIRECT;
import static io.github.lobby.http.auth.Tokens.EC;
import static io.github.lobby.http.auth.Tokens.NOW;
import static io.github.lobby.http.auth.Tokens.RSA;
import static io.github.lobby.http.auth.Tokens.SECRET;
import static io.github.lobby.http.auth.Tokens.hs256;
import static io.github.lobby.http.auth.Tokens.query;
import static io.github.lobby.http.auth.Tokens.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jwt.PlainJWT;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.AuthResult.Refusal;
import io.github.lobby.core.auth.Principal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whatever is wrong with a token, the refusal never quotes it: not the token, not any of its
 * parts, not the secret, and no text of the JOSE library (which quotes parts of tokens). Runs every
 * refusal path, then thousands of corrupted tokens (a fixed seed, so a failure repeats).
 */
class RefusalMessageTest {

  /** A part this long appearing in a message is a leak; a shorter one could be a word. */
  private static final int MIN_PART = 6;

  private static final List<String> LIBRARY_TEXT =
      List.of("JWT rejected", "JWS", "JOSE", "Exception", "com.nimbusds", "Invalid", "Base64");

  @TempDir Path dir;

  private final JwtAuthenticator hs256 = Tokens.hs256Authenticator();

  private final Set<String> messagesSeen = new LinkedHashSet<>();

  private void check(JwtAuthenticator authenticator, String token) {
    AuthResult result =
        authenticator.authenticate(query("chat", token)).toCompletableFuture().join();
    if (result instanceof Refusal refusal) {
      assertClean(refusal.message(), token);
    }
    AuthResult refreshed =
        authenticator
            .refresh(Principal.of("someone-else"), new RoomId("chat"), token)
            .toCompletableFuture()
            .join();
    assertClean(assertInstanceOf(Refusal.class, refreshed).message(), token);
  }

  private void assertClean(String message, String token) {
    messagesSeen.add(message);
    assertFalse(message.contains(token), () -> "quotes the token: " + message);
    assertFalse(message.contains(SECRET), () -> "quotes the secret: " + message);
    for (String part : token.split("[.]")) {
      if (part.length() >= MIN_PART) {
        assertFalse(message.contains(part), () -> "quotes a part of the token: " + message);
      }
    }
    for (String text : LIBRARY_TEXT) {
      assertFalse(message.contains(text), () -> "library text: " + message);
    }
  }

  @Test
  void everyRefusalPathLeavesTheTokenOut() throws Exception {
    JwtAuthenticator jwks =
        JwtAuthenticator.create(
            Tokens.jwtSettings(new AuthSettings.JwksFile(Tokens.writeJwks(dir))), DIRECT, CLOCK);
    List<String> tokens =
        List.of(
            "not-a-jwt-but-long-enough",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ",
            hs256(valid("ann"), "another-secret-of-more-than-32-bytes-9876543210"),
            hs256(valid("ann").expirationTime(Date.from(NOW.minusSeconds(3600)))),
            hs256(valid("ann").notBeforeTime(Date.from(NOW.plusSeconds(3600)))),
            hs256(valid("ann").audience("other")),
            hs256(valid("ann").issuer("https://other.test")),
            hs256(valid("ann").subject(null)),
            hs256(valid("u".repeat(300))),
            hs256(valid("ann").expirationTime(null)),
            hs256(valid("ann").claim("rooms", List.of("elsewhere"))),
            hs256(valid("ann").claim("rooms", "chat")),
            Tokens.withType(valid("ann"), "secevent+jwt"),
            new PlainJWT(valid("ann").build()).serialize(),
            Tokens.rs256(valid("ann"), RSA),
            Tokens.es256(valid("ann"), EC),
            "x".repeat(JwtAuthenticator.MAX_TOKEN_LENGTH + 1));
    for (String token : tokens) {
      check(hs256, token);
      check(jwks, token);
    }
    assertTrue(messagesSeen.size() >= 15, "every path was taken: " + messagesSeen);
  }

  @Test
  void corruptedTokensAreRefusedWithoutBeingQuoted() {
    Random random = new Random(20260301L);
    String original = hs256(valid("ann").claim("rooms", List.of("chat")));
    int signingInput = original.lastIndexOf('.');
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ %\"{}";
    List<String> corrupted = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      StringBuilder token = new StringBuilder(original);
      int edits = 1 + random.nextInt(3);
      for (int e = 0; e < edits; e++) {
        int at = random.nextInt(signingInput);
        char replacement = alphabet.charAt(random.nextInt(alphabet.length()));
        switch (random.nextInt(3)) {
          case 0 -> token.setCharAt(at, replacement);
          case 1 -> token.insert(at, replacement);
          default -> token.deleteCharAt(at);
        }
      }
      corrupted.add(token.toString());
    }
    for (String token : corrupted) {
      if (token.equals(original)) {
        continue;
      }
      AuthResult result = hs256.authenticate(query("chat", token)).toCompletableFuture().join();
      // The header and payload are the signed text itself: no change of them may pass.
      Refusal refusal = assertInstanceOf(Refusal.class, result, token);
      assertEquals(AuthResult.Status.UNAUTHORIZED, refusal.status());
      assertClean(refusal.message(), token);
    }
  }
}
