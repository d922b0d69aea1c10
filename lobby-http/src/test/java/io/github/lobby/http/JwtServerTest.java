package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The built-in JWT authentication end to end: {@link LobbyServer} configured with {@code
 * lobby.auth.mode = jwt}, real HS256 tokens, real sockets. The claims that limit rooms and
 * broadcasts, expiry and refresh on the wire, admin JWTs, and that no token or secret reaches a
 * response or a log line.
 */
class JwtServerTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  static final String SECRET = "server-test-secret-0123456789-abcdefghij";

  private static final TestServer SERVER =
      new TestServer(
          "lobby.auth { mode = jwt, admin-jwt = on,"
              + " jwt { secret = \""
              + SECRET
              + "\", audience = lobby, clock-skew = 0s } }");

  @AfterAll
  static void stop() {
    SERVER.close();
  }

  static String token(JWTClaimsSet.Builder claims) {
    return token(claims, SECRET);
  }

  static String token(JWTClaimsSet.Builder claims, String secret) {
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
      jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static JWTClaimsSet.Builder claims(String user, Duration ttl) {
    return new JWTClaimsSet.Builder()
        .subject(user)
        .audience("lobby")
        .expirationTime(Date.from(Instant.now().plus(ttl)));
  }

  static JdkClient join(String target) {
    return new JdkClient(SERVER.ws(target), "lobby.v1.json");
  }

  static RawHttp.Answer upgrade(String target) throws Exception {
    return RawHttp.upgrade(SERVER.port(), target, "");
  }

  static String message(RawHttp.Answer answer) throws Exception {
    return JSON.readTree(answer.body()).get("message").asText();
  }

  @Test
  void theRoomsAndPublishClaimsLimitJoinsAndBroadcasts() throws Exception {
    String token =
        token(
            claims("alice", Duration.ofMinutes(10))
                .claim("rooms", List.of("team-*", "lobby"))
                .claim("publish", List.of("team-a")));
    JdkClient teamA = join("/team-a?token=" + token);
    JsonNode welcome = JSON.readTree(teamA.next());
    assertEquals("alice", welcome.get("user").asText());
    teamA.send("{\"type\":\"message\",\"msg\":\"hi\"}");
    assertEquals("message", JSON.readTree(teamA.next()).get("type").asText());

    JdkClient teamB = join("/team-b?token=" + token);
    teamB.next();
    teamB.send("{\"type\":\"message\",\"msg\":\"hi\"}");
    JsonNode refused = JSON.readTree(teamB.next());
    assertEquals("forbidden", refused.get("code").asText());

    RawHttp.Answer other = upgrade("/other?token=" + token);
    assertEquals(403, other.status());
    assertEquals("this token does not allow room other", message(other));
    teamA.close();
    teamB.close();
  }

  @Test
  void everyBadTokenIs401NamingWhatIsWrong() throws Exception {
    assertEquals(401, upgrade("/r").status());
    assertEquals(
        "the token has expired",
        message(upgrade("/r?token=" + token(claims("bob", Duration.ofMinutes(-1))))));
    assertEquals(
        "the token's signature is not valid",
        message(
            upgrade(
                "/r?token="
                    + token(claims("bob", Duration.ofMinutes(5)), SECRET.replace('0', '1')))));
    RawHttp.Answer audience =
        upgrade("/r?token=" + token(claims("bob", Duration.ofMinutes(5)).audience("other")));
    assertEquals(401, audience.status());
  }

  @Test
  void aSessionExpiresWith4001UnlessItsClientRefreshesInTime() throws Exception {
    JdkClient brief = join("/expiring?token=" + token(claims("carol", Duration.ofSeconds(2))));
    brief.next();
    JdkClient refreshed = join("/expiring?token=" + token(claims("carol", Duration.ofSeconds(2))));
    refreshed.next();
    brief.next(); // joined
    Instant later = Instant.now().plus(Duration.ofHours(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    refreshed.send(
        "{\"type\":\"refresh\",\"token\":\""
            + token(claims("carol", Duration.ZERO).expirationTime(Date.from(later)))
            + "\"}");
    JsonNode answer = JSON.readTree(refreshed.next());
    assertEquals("refreshed", answer.get("type").asText(), answer.toString());
    assertEquals(later.toString(), answer.get("expires_at").asText());
    assertEquals(4001, brief.awaitClose(Duration.ofSeconds(10)));
    // The refreshed session outlives the first token, and sees the other leave.
    JsonNode left = JSON.readTree(refreshed.next());
    assertEquals("left", left.get("type").asText());
    assertEquals("carol", left.get("user").asText());
    refreshed.close();
  }

  @Test
  void anAdminJwtOpensTheAdminApiAndAUserJwtDoesNot() {
    String admin = token(claims("ops", Duration.ofMinutes(5)).claim("admin", true));
    String user = token(claims("ops", Duration.ofMinutes(5)));
    assertEquals(200, rooms("Bearer " + admin).statusCode());
    assertEquals(401, rooms("Bearer " + user).statusCode());
    assertEquals(200, rooms("Bearer " + TestServer.TOKEN).statusCode());
  }

  private static HttpResponse<String> rooms(String authorization) {
    return SERVER.send(
        HttpRequest.newBuilder(SERVER.uri("/rooms")).header("Authorization", authorization).GET());
  }

  /**
   * Generated cases (a fixed seed): valid, expired, foreign-signed, truncated and corrupted tokens,
   * in the query and in the header, upgrades and refreshes; with every Lobby and Pekko logger at
   * DEBUG, no response and no log line holds the secret or any of the tokens, nor their signatures.
   */
  @Test
  void noTokenNorTheSecretEverReachesALogLineOrAResponse() throws Exception {
    DebugLogCapture logs = DebugLogCapture.start();
    List<String> tokens = new ArrayList<>();
    List<String> responses = new ArrayList<>();
    Random random = new Random(20261126);
    try {
      for (int i = 0; i < 40; i++) {
        String token =
            switch (i % 5) {
              case 0 -> token(claims("u" + i, Duration.ofMinutes(5)));
              case 1 -> token(claims("u" + i, Duration.ofMinutes(-5)));
              case 2 -> token(claims("u" + i, Duration.ofMinutes(5)), "another-secret-of-32-bytes-or-more!!");
              case 3 -> token(claims("u" + i, Duration.ofMinutes(5))).substring(0, 20 + random.nextInt(60));
              default -> corrupt(token(claims("u" + i, Duration.ofMinutes(5))), random);
            };
        tokens.add(token);
        if (i % 2 == 0) {
          RawHttp.Answer answer = upgrade("/leak?token=" + token);
          responses.add(answer.head() + answer.body());
        } else {
          RawHttp.Answer answer =
              RawHttp.send(
                  SERVER.port(),
                  ("GET /leak HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                          + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          + "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer "
                          + token
                          + "\r\n\r\n")
                      .getBytes(StandardCharsets.US_ASCII));
          responses.add(answer.head() + answer.body());
        }
      }
      // Refreshes with the same kinds of tokens, answered on an open session.
      JdkClient client = join("/leak?token=" + token(claims("u", Duration.ofMinutes(5))));
      client.next();
      for (String token : tokens.subList(0, 10)) {
        client.send("{\"type\":\"refresh\",\"token\":\"" + token + "\"}");
        responses.add(client.next());
      }
      client.close();
      client.awaitClose(Duration.ofSeconds(5));
    } finally {
      logs.close();
    }
    List<String> lines = logs.lines();
    assertTrue(lines.size() > 10, "the debug lines were captured: " + lines.size());
    assertTrue(responses.stream().anyMatch(r -> r.contains("101 Switching")), "some upgrades passed");
    assertTrue(responses.stream().anyMatch(r -> r.contains("401 Unauthorized")), "some were refused");
    for (String text : concat(lines, responses)) {
      assertFalse(text.contains(SECRET), "the secret in: " + text);
      for (String token : tokens) {
        String[] parts = token.split("\\.");
        for (String part : parts) {
          if (part.length() >= 16) {
            assertFalse(text.contains(part), "a token part in: " + text);
          }
        }
      }
    }
  }

  private static String corrupt(String token, Random random) {
    char[] chars = token.toCharArray();
    for (int k = 0; k < 3; k++) {
      int at = random.nextInt(chars.length);
      chars[at] = chars[at] == 'A' ? 'B' : 'A';
    }
    return new String(chars);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
