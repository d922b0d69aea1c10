package io.github.lobby.client;

import static io.github.lobby.client.Recorder.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.github.lobby.testkit.LobbyServerExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The client on a server with JWT authentication (HS256, no clock skew, so a session ends at its
 * token's {@code exp}): refresh before expiry, 4001 with and without a token supplier, 401 and
 * 403 on connect, whispers to users.
 */
class AuthTest extends Scenarios {

  static final String SECRET = "client-test-secret-0123456789-abcdefghij";
  static final String WRONG = "another-secret-0123456789-abcdefghijklmn";

  @RegisterExtension
  static final LobbyServerExtension server =
      LobbyServerExtension.create()
          .withConfig(
              "lobby.auth { mode = jwt, jwt { secret = \""
                  + SECRET
                  + "\", clock-skew = 0s } }\n"
                  + "lobby.history.size = 100\nlobby.resumption.grace = 30s\n");

  private static final AtomicInteger rooms = new AtomicInteger();

  static String room() {
    return "auth-" + rooms.incrementAndGet();
  }

  static String token(String user, Instant expires, String secret, List<String> rooms) {
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder().subject(user).expirationTime(Date.from(expires));
    if (rooms != null) {
      claims.claim("rooms", rooms);
    }
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
      jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static String token(String user, Duration life) {
    return token(user, Instant.now().plus(life), SECRET, null);
  }

  static Supplier<CompletionStage<String>> supplier(Supplier<String> tokens) {
    return () -> CompletableFuture.supplyAsync(tokens);
  }

  LobbyClient.Builder alice(Recorder recorder, String room) {
    return builder(direct(server.port()), room, recorder);
  }

  @Test
  void aSupplierRefreshesTheSessionBeforeItsTokenExpires() {
    Recorder alice = new Recorder();
    AtomicInteger asked = new AtomicInteger();
    LobbyClient client =
        connect(
            alice(alice, room())
                .tokenSupplier(
                    supplier(
                        () -> {
                          asked.incrementAndGet();
                          return token("alice", Duration.ofSeconds(3));
                        })));
    sleep(5000); // past the first token's expiry (2 to 3 s: exp is in whole seconds)
    assertEquals(1, alice.welcomes.size());
    assertEquals(List.of(), alice.disconnects);
    assertEquals(List.of(), alice.errors);
    assertEquals(LobbyClient.State.OPEN, client.state());
    assertTrue(asked.get() >= 2, "refreshes: " + (asked.get() - 1));
    join(client.send("still here"));
  }

  @Test
  void at4001TheSupplierGivesANewTokenAndTheClientReconnects() {
    Recorder alice = new Recorder();
    Instant firstExpiry = Instant.now().plusSeconds(2).truncatedTo(ChronoUnit.SECONDS);
    AtomicInteger asked = new AtomicInteger();
    // The first token is good; until it expires every new one is wrongly signed, so refreshes
    // fail and the server closes with 4001; after, good tokens again.
    LobbyClient client =
        connect(
            alice(alice, room())
                .tokenSupplier(
                    supplier(
                        () -> {
                          if (asked.getAndIncrement() == 0) {
                            return token("alice", firstExpiry, SECRET, null);
                          }
                          return Instant.now().isBefore(firstExpiry)
                              ? token("alice", Instant.now().plusSeconds(60), WRONG, null)
                              : token("alice", Duration.ofMinutes(1));
                        })));
    String first = client.id().orElseThrow();
    await(WAIT, "welcomed again", () -> alice.welcomes.size() == 2);
    assertEquals(List.of(4001), alice.disconnects);
    assertTrue(
        alice.errors.stream().allMatch(e -> e.code().equals("unauthorized")),
        alice.errors.toString());
    assertTrue(alice.errors.size() >= 1, "the refused refreshes");
    assertEquals(
        List.of(
            LobbyClient.State.CONNECTING,
            LobbyClient.State.OPEN,
            LobbyClient.State.RECONNECTING,
            LobbyClient.State.OPEN),
        alice.states);
    // The server ended the session at 4001: a new session.
    assertNotEquals(first, client.id().orElseThrow());
    join(client.send("back"));
  }

  @Test
  void at4001WithoutASupplierTheClientStops() {
    Recorder alice = new Recorder();
    LobbyClient client =
        connect(alice(alice, room()).token(token("alice", Duration.ofSeconds(2))));
    await(WAIT, "closed", () -> alice.states.contains(LobbyClient.State.CLOSED));
    assertEquals(List.of(4001), alice.disconnects);
    LobbyClientException cause = client.closeCause().orElseThrow();
    assertEquals(LobbyClientException.TOKEN_EXPIRED, cause.code());
    assertEquals(4001, cause.status());
    assertEquals(LobbyClientException.CLOSED, failure(client.send("late")).code());
    sleep(1000);
    assertEquals(1, alice.welcomes.size());
    assertEquals(List.of(4001), alice.disconnects);
  }

  @Test
  void http401WithoutASupplierFailsConnect() {
    Recorder alice = new Recorder();
    LobbyClient client =
        build(alice(alice, room()).token(token("alice", Duration.ofSeconds(-60))));
    LobbyClientException refused = failure(client.connect());
    assertEquals(LobbyClientException.UNAUTHORIZED, refused.code());
    assertEquals(401, refused.status());
    assertEquals(LobbyClient.State.CLOSED, client.state());
    sleep(500);
    assertEquals(List.of(401), alice.disconnects);
  }

  @Test
  void http401WithASupplierAsksItAgain() {
    Recorder alice = new Recorder();
    AtomicInteger asked = new AtomicInteger();
    LobbyClient client =
        connect(
            alice(alice, room())
                .tokenSupplier(
                    supplier(
                        () ->
                            asked.getAndIncrement() == 0
                                ? token("alice", Duration.ofSeconds(-60))
                                : token("alice", Duration.ofMinutes(1)))));
    assertEquals(List.of(401), alice.disconnects);
    assertEquals(2, asked.get());
    assertEquals("alice", alice.welcomes.get(0).user().orElseThrow());
    assertEquals(LobbyClient.State.OPEN, client.state());
  }

  @Test
  void http403FailsConnectAndIsNotRetried() {
    Recorder alice = new Recorder();
    AtomicInteger asked = new AtomicInteger();
    LobbyClient client =
        build(
            alice(alice, room())
                .tokenSupplier(
                    supplier(
                        () -> {
                          asked.incrementAndGet();
                          return token(
                              "alice", Instant.now().plusSeconds(60), SECRET, List.of("other"));
                        })));
    LobbyClientException refused = failure(client.connect());
    assertEquals(LobbyClientException.FORBIDDEN, refused.code());
    assertEquals(403, refused.status());
    assertEquals(LobbyClient.State.CLOSED, client.state());
    assertEquals(LobbyClientException.FORBIDDEN, client.closeCause().orElseThrow().code());
    sleep(700);
    assertEquals(List.of(403), alice.disconnects);
    assertEquals(1, asked.get());
  }

  @Test
  void whispersToAUserReachItsSessionsAndNoUserFails() {
    String room = room();
    Recorder bobEvents = new Recorder();
    LobbyClient bob =
        connect(
            builder(direct(server.port()), room, bobEvents)
                .token(token("bob", Duration.ofMinutes(1))));
    Recorder alice = new Recorder();
    LobbyClient client =
        connect(alice(alice, room).token(token("alice", Duration.ofMinutes(1))));
    assertEquals("alice", alice.welcomes.get(0).users().get(client.id().orElseThrow()));
    assertTrue(join(client.whisperUser("bob", "psst")).offset().isEmpty());
    await(WAIT, "bob's whisper", () -> bobEvents.whispers.size() == 1);
    assertEquals(bob.id().orElseThrow(), bobEvents.whispers.get(0).to());
    assertEquals("no_user", failure(client.whisperUser("nobody", "psst")).code());
  }

  @Test
  void aBroadcastTheTokenDoesNotAllowFailsWithForbiddenAndIsNotSentAgain() throws Exception {
    String room = room();
    Recorder observer = new Recorder();
    connect(
        builder(direct(server.port()), room, observer).token(token("bob", Duration.ofMinutes(1))));
    Recorder alice = new Recorder();
    String readOnly;
    try {
      JWTClaimsSet.Builder claims =
          new JWTClaimsSet.Builder()
              .subject("alice")
              .expirationTime(Date.from(Instant.now().plusSeconds(60)))
              .claim("publish", List.of("elsewhere"));
      SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
      jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
      readOnly = jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    LobbyClient client = connect(alice(alice, room).token(readOnly));
    LobbyClientException refused = failure(client.send("not allowed"));
    assertEquals("forbidden", refused.code());
    assertEquals(1, alice.errors.size());
    assertEquals("forbidden", alice.errors.get(0).code());
    assertTrue(alice.errors.get(0).ref().isPresent());
    assertTrue(join(client.whisperUser("bob", "a whisper is allowed")).offset().isEmpty());
    sleep(200);
    assertEquals(List.of(), observer.messages);
  }
}
