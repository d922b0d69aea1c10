package io.github.lobby.http.auth;

import static io.github.lobby.http.auth.Tokens.CLOCK;
import static io.github.lobby.http.auth.Tokens.RSA;
import static io.github.lobby.http.auth.Tokens.query;
import static io.github.lobby.http.auth.Tokens.valid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.sun.net.httpserver.HttpServer;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.AuthResult.Grant;
import io.github.lobby.core.auth.AuthResult.Refusal;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link JwtAuthenticator} with {@code jwks-url}: keys fetched from a JWK Set served on loopback,
 * once, then cached; verification runs on the given executor, never on the caller's thread; a JWK
 * Set that cannot be fetched fails the stage rather than refusing or accepting the token.
 */
class JwksUrlTest {

  private HttpServer server;
  private final AtomicInteger fetches = new AtomicInteger();
  private final AtomicInteger tasks = new AtomicInteger();
  private ExecutorService pool;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/jwks.json",
        exchange -> {
          fetches.incrementAndGet();
          byte[] body = Tokens.publicJwks().getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/jwk-set+json");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    pool = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-jwks-pool"));
  }

  @AfterEach
  void stop() throws InterruptedException {
    server.stop(0);
    pool.shutdownNow();
    assertTrue(pool.awaitTermination(5, TimeUnit.SECONDS));
  }

  private JwtAuthenticator authenticator(String path) {
    URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    return JwtAuthenticator.create(
        Tokens.jwtSettings(new AuthSettings.JwksUrl(url)),
        task -> {
          tasks.incrementAndGet();
          pool.execute(task);
        },
        CLOCK);
  }

  @Test
  void keysAreFetchedOnFirstUseThenCachedAndVerificationRunsOnTheExecutor() throws Exception {
    JwtAuthenticator jwt = authenticator("/jwks.json");
    assertEquals(0, fetches.get(), "nothing fetched at creation");

    // Hold the pool's one thread: the stage cannot complete on the caller's thread meanwhile.
    CountDownLatch release = new CountDownLatch(1);
    pool.execute(
        () -> {
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    CompletableFuture<AuthResult> first =
        jwt.authenticate(query("chat", Tokens.rs256(valid("ann"), RSA))).toCompletableFuture();
    assertFalse(first.isDone(), "verification waits for the executor");
    release.countDown();
    Grant grant = assertInstanceOf(Grant.class, first.get(10, TimeUnit.SECONDS));
    assertEquals("ann", grant.principal().user());

    AuthResult second =
        jwt.authenticate(query("chat", Tokens.es256(valid("bob"), Tokens.EC)))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    assertInstanceOf(Grant.class, second);
    assertEquals(1, fetches.get(), "the JWK Set is cached");
    assertEquals(2, tasks.get(), "each verification ran on the executor");
    assertTrue(
        jwt.isAdminAsync(Tokens.rs256(valid("ops").claim("admin", true), RSA))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS));
  }

  @Test
  void aTokenNamingAKidTheJwkSetDoesNotHaveIsUnauthorized() throws Exception {
    JwtAuthenticator jwt = authenticator("/jwks.json");
    String unknownKid =
        Tokens.sign(
            new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rotated-away").build(),
            valid("ann"),
            new RSASSASigner(RSA));
    for (int i = 0; i < 5; i++) {
      assertEquals(
          Refusal.unauthorized("no configured key matches the token (its kid and algorithm)"),
          jwt.authenticate(query("chat", unknownKid))
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS));
    }
    // The first use fetched, the miss fetched again; then no more within 30 s (Nimbus' rate limit
    // allows two fetches per interval), so forged kids cannot make us hammer the issuer.
    assertEquals(2, fetches.get());
  }

  @Test
  void aJwkSetThatCannotBeFetchedFailsTheStage() {
    JwtAuthenticator jwt = authenticator("/missing.json");
    String token = Tokens.rs256(valid("ann"), RSA);
    CompletionException e =
        assertThrows(
            CompletionException.class,
            () -> jwt.authenticate(query("chat", token)).toCompletableFuture().join());
    JwtAuthenticator.KeysUnavailableException cause =
        assertInstanceOf(JwtAuthenticator.KeysUnavailableException.class, e.getCause());
    assertTrue(cause.getMessage().contains("/missing.json"), cause.getMessage());
    assertFalse(cause.getMessage().contains(token));
    assertFalse(jwt.isAdmin(Tokens.rs256(valid("ops").claim("admin", true), RSA)));
  }
}
