package io.github.lobby.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.core.auth.ConnectRequest;
import io.github.lobby.http.auth.Authenticators;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The token tool of the README's authentication example: what it prints, and that the server's
 * JWT authenticator takes it.
 */
class MintTokenTest {

  private static final String SECRET = "a test secret of at least thirty-two bytes";
  private static final Instant NOW = Instant.parse("2026-11-27T10:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  /** What {@code main} prints: exit status, standard output, standard error. */
  private record Run(int status, String out, String err) {}

  private static Run run(String secret, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        MintToken.run(
            args,
            secret,
            CLOCK,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static SignedJWT printed(Run run) throws Exception {
    assertEquals(0, run.status(), run.err());
    assertEquals("", run.err());
    assertTrue(run.out().endsWith("\n"), run.out());
    String token = run.out().strip();
    assertFalse(token.contains("\n"), "one line, the token alone: " + run.out());
    SignedJWT jwt = SignedJWT.parse(token);
    assertTrue(jwt.verify(new MACVerifier(SECRET.getBytes(StandardCharsets.UTF_8))));
    byte[] other = "another secret, also of thirty-two bytes".getBytes(StandardCharsets.UTF_8);
    assertFalse(jwt.verify(new MACVerifier(other)));
    return jwt;
  }

  @Test
  void printsAnHs256TokenWithTheUserAndAnHoursLife() throws Exception {
    SignedJWT jwt = printed(run(SECRET, "--sub", "alice"));
    assertEquals(JWSAlgorithm.HS256, jwt.getHeader().getAlgorithm());
    assertEquals(JOSEObjectType.JWT, jwt.getHeader().getType());
    JWTClaimsSet claims = jwt.getJWTClaimsSet();
    assertEquals("alice", claims.getSubject());
    assertEquals(NOW, claims.getIssueTime().toInstant());
    assertEquals(NOW.plusSeconds(3600), claims.getExpirationTime().toInstant());
    for (String absent : List.of("rooms", "publish", "admin", "iss", "aud")) {
      assertNull(claims.getClaim(absent), absent);
    }
  }

  @Test
  void carriesTheRoomsPublishAdminIssuerAudienceAndLifeAsked() throws Exception {
    JWTClaimsSet claims =
        printed(
                run(
                    SECRET,
                    "--sub", "bob",
                    "--rooms", "team-*, lobby",
                    "--publish", "team-*",
                    "--ttl", "15m",
                    "--admin",
                    "--iss", "https://app.example",
                    "--aud", "lobby"))
            .getJWTClaimsSet();
    assertEquals("bob", claims.getSubject());
    assertEquals(List.of("team-*", "lobby"), claims.getStringListClaim("rooms"));
    assertEquals(List.of("team-*"), claims.getStringListClaim("publish"));
    assertEquals(Boolean.TRUE, claims.getClaim("admin"));
    assertEquals("https://app.example", claims.getIssuer());
    assertEquals(List.of("lobby"), claims.getAudience());
    assertEquals(NOW.plusSeconds(15 * 60), claims.getExpirationTime().toInstant());
  }

  @Test
  void theServersJwtAuthenticatorTakesTheToken() throws Exception {
    String token =
        MintToken.mint(
            new String[] {"--sub", "alice", "--rooms", "team-*", "--publish", "team-1"},
            SECRET,
            Clock.systemUTC());
    Authenticator server =
        Authenticators.fromConfig(
                ConfigFactory.parseString(
                        "lobby.auth { mode = jwt, jwt.secret = \"" + SECRET + "\" }")
                    .withFallback(ConfigFactory.load()),
                getClass().getClassLoader())
            .orElseThrow();
    AuthResult inTeam1 = decide(server, "team-1", token);
    AuthResult.Grant grant = assertInstanceOf(AuthResult.Grant.class, inTeam1);
    assertEquals("alice", grant.principal().user());
    assertTrue(grant.mayPublish());
    AuthResult inTeam2 = decide(server, "team-2", token);
    assertFalse(assertInstanceOf(AuthResult.Grant.class, inTeam2).mayPublish());
    assertEquals(
        AuthResult.Status.FORBIDDEN,
        assertInstanceOf(AuthResult.Refusal.class, decide(server, "lobby", token)).status());
  }

  private static AuthResult decide(Authenticator server, String room, String token) {
    return server
        .authenticate(
            new ConnectRequest(
                new RoomId(room),
                Map.of("token", List.of(token)),
                Map.of(),
                List.of(),
                Optional.empty()))
        .toCompletableFuture()
        .join();
  }

  @Test
  void badArgumentsOrSecretPrintTheProblemAndTheUsageAndExitWith2() {
    String shortSecret = "only 20 bytes long..";
    String[][] cases = {
      {SECRET, "--sub is required", "--rooms", "lobby"},
      {SECRET, "--sub needs a value", "--sub"},
      {SECRET, "unknown option --room", "--sub", "alice", "--room", "lobby"},
      {SECRET, "--ttl is a duration", "--sub", "alice", "--ttl", "soon"},
      {SECRET, "--ttl must be positive", "--sub", "alice", "--ttl", "0s"},
      {SECRET, "--rooms needs at least one", "--sub", "alice", "--rooms", " , "},
      {SECRET, "--sub is a user id", "--sub", " "},
      {null, "LOBBY_JWT_SECRET is not set", "--sub", "alice"},
      {shortSecret, "20 bytes; HS256 needs at least 32", "--sub", "alice"},
    };
    for (String[] c : cases) {
      String[] args = Arrays.copyOfRange(c, 2, c.length);
      Run run = run(c[0], args);
      assertEquals(2, run.status(), c[1]);
      assertEquals("", run.out(), c[1]);
      assertTrue(run.err().contains(c[1]), c[1] + ": " + run.err());
      assertTrue(run.err().contains(MintToken.USAGE), run.err());
      if (c[0] != null) {
        assertFalse(run.err().contains(c[0]), "the secret is never printed");
      }
    }
    assertThrows(
        IllegalArgumentException.class, () -> MintToken.mint(new String[0], SECRET, CLOCK));
  }
}
