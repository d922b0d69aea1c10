package io.github.lobby.http.auth;

import static io.github.lobby.http.auth.Tokens.SECRET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.nimbusds.jwt.JWTClaimsSet;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.core.auth.ConnectRequest;
import io.github.lobby.core.auth.Principal;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@link AuthSettings} and {@link Authenticators} read {@code lobby.auth} and make what it names,
 * or fail at start with a {@link ConfigException} naming the key: a server whose authentication
 * is misconfigured must not start and let everyone in.
 */
class AuthenticatorsTest {

  private static final ClassLoader LOADER = AuthenticatorsTest.class.getClassLoader();

  @TempDir Path dir;

  /** The overrides over the reference configuration, with no secret from the environment. */
  private static Config with(String overrides) {
    return ConfigFactory.parseString(overrides)
        .withFallback(ConfigFactory.parseString("lobby.auth.jwt.secret = \"\""))
        .withFallback(ConfigFactory.load())
        .resolve();
  }

  private static Config jwtWithSecret(String secret) {
    return with("lobby.auth.mode = jwt")
        .withValue("lobby.auth.jwt.secret", ConfigValueFactory.fromAnyRef(secret));
  }

  private static ConfigException fails(Config config) {
    return assertThrows(ConfigException.class, () -> Authenticators.fromConfig(config, LOADER));
  }

  @Test
  void theDefaultIsNoAuthentication() {
    AuthSettings settings = AuthSettings.fromConfig(with(""));
    assertEquals(AuthSettings.Mode.NONE, settings.mode());
    assertFalse(settings.adminJwt());
    assertEquals(Optional.empty(), Authenticators.fromConfig(with(""), LOADER));
    // A stray JWT setting does not matter while the mode is none.
    assertEquals(
        Optional.empty(), Authenticators.fromConfig(with("lobby.auth.jwt.secret = short"), LOADER));
  }

  @Test
  void jwtWithASecretMakesTheJwtAuthenticator() {
    Config config =
        with("lobby.auth { mode = jwt, jwt { issuer = \"https://i.test\", clock-skew = 5s } }")
            .withValue("lobby.auth.jwt.secret", ConfigValueFactory.fromAnyRef(SECRET));
    AuthSettings.Jwt jwt = AuthSettings.fromConfig(config).jwt().orElseThrow();
    assertEquals(new AuthSettings.Secret(SECRET), jwt.keys());
    assertEquals(Optional.of("https://i.test"), jwt.issuer());
    assertEquals(Optional.empty(), jwt.audience());
    assertEquals(Duration.ofSeconds(5), jwt.clockSkew());
    Authenticator authenticator = Authenticators.fromConfig(config, LOADER).orElseThrow();
    assertInstanceOf(JwtAuthenticator.class, authenticator);
    assertFalse(authenticator.toString().contains(SECRET), authenticator.toString());
  }

  @Test
  void jwtWithoutAKeySourceFailsNamingTheSecretKey() {
    ConfigException e = fails(with("lobby.auth.mode = jwt"));
    assertTrue(e.getMessage().contains("lobby.auth.jwt.secret"), e.getMessage());
    assertTrue(e.getMessage().contains("jwks-url"), e.getMessage());
  }

  @Test
  void jwtWithTwoKeySourcesFails() {
    ConfigException e =
        fails(
            jwtWithSecret(SECRET)
                .withValue(
                    "lobby.auth.jwt.jwks-url", ConfigValueFactory.fromAnyRef("https://i.test/j")));
    assertTrue(e.getMessage().contains("exactly one"), e.getMessage());
    assertTrue(e.getMessage().contains("lobby.auth.jwt.jwks-url"), e.getMessage());
  }

  @Test
  void aSecretShorterThan32BytesFailsWithoutQuotingIt() {
    String secret = "thirty-one-bytes-of-secret-text";
    assertEquals(31, secret.length());
    ConfigException e = fails(jwtWithSecret(secret));
    assertTrue(e.getMessage().contains("lobby.auth.jwt.secret"), e.getMessage());
    assertTrue(e.getMessage().contains("at least 32 bytes"), e.getMessage());
    assertFalse(e.getMessage().contains(secret), e.getMessage());
    assertInstanceOf(
        JwtAuthenticator.class,
        Authenticators.fromConfig(jwtWithSecret(secret + "!"), LOADER).orElseThrow());
  }

  @Test
  void aJwksFileIsReadAtStartAndMustHoldAPublicKey() throws Exception {
    Path good = Tokens.writeJwks(dir);
    Config config =
        with("lobby.auth.mode = jwt")
            .withValue("lobby.auth.jwt.jwks-file", ConfigValueFactory.fromAnyRef(good.toString()));
    assertInstanceOf(
        JwtAuthenticator.class, Authenticators.fromConfig(config, LOADER).orElseThrow());

    for (String content : List.of("{\"keys\":[]}", "not json")) {
      Path bad = Files.writeString(dir.resolve("bad.json"), content);
      ConfigException e =
          fails(
              config.withValue(
                  "lobby.auth.jwt.jwks-file", ConfigValueFactory.fromAnyRef(bad.toString())));
      assertTrue(e.getMessage().contains("lobby.auth.jwt.jwks-file"), e.getMessage());
    }
    ConfigException missing =
        fails(
            config.withValue(
                "lobby.auth.jwt.jwks-file",
                ConfigValueFactory.fromAnyRef(dir.resolve("absent.json").toString())));
    assertTrue(missing.getMessage().contains("lobby.auth.jwt.jwks-file"), missing.getMessage());
  }

  @Test
  void aJwksUrlMustBeHttpAndTheRefreshAtLeastAMinute() {
    Config url =
        with("lobby.auth.mode = jwt\nlobby.auth.jwt.jwks-url = \"https://issuer.test/jwks.json\"");
    AuthSettings.Jwt jwt = AuthSettings.fromConfig(url).jwt().orElseThrow();
    assertEquals(new AuthSettings.JwksUrl(URI.create("https://issuer.test/jwks.json")), jwt.keys());
    assertEquals(Duration.ofMinutes(5), jwt.jwksRefresh());
    assertEquals(Duration.ofSeconds(2), jwt.jwksTimeout());
    assertTrue(Authenticators.fromConfig(url, LOADER).isPresent(), "nothing fetched at start");

    ConfigException ftp =
        fails(url.withValue("lobby.auth.jwt.jwks-url", ConfigValueFactory.fromAnyRef("ftp://x/j")));
    assertTrue(ftp.getMessage().contains("lobby.auth.jwt.jwks-url"), ftp.getMessage());
    ConfigException refresh =
        fails(url.withValue("lobby.auth.jwt.jwks-refresh", ConfigValueFactory.fromAnyRef("10s")));
    assertTrue(refresh.getMessage().contains("jwks-refresh"), refresh.getMessage());
  }

  @Test
  void aJwksUrlOverPlainHttpIsRefusedUnlessItsHostIsLoopback() {
    Config url =
        with("lobby.auth.mode = jwt\nlobby.auth.jwt.jwks-url = \"https://issuer.test/jwks.json\"");
    for (String remote :
        List.of(
            "http://issuer.test/jwks.json",
            "HTTP://issuer.test/jwks.json",
            "http://10.0.0.1/jwks.json",
            "http://128.0.0.1/jwks.json",
            "http://127.0.0.1.issuer.test/jwks.json",
            "http://localhost.issuer.test/jwks.json",
            "http://[::2]/jwks.json",
            "http://[fe80::1]/jwks.json")) {
      ConfigException e =
          fails(url.withValue("lobby.auth.jwt.jwks-url", ConfigValueFactory.fromAnyRef(remote)));
      assertTrue(e.getMessage().contains("lobby.auth.jwt.jwks-url"), e.getMessage());
      assertTrue(e.getMessage().contains("must be https"), e.getMessage());
      assertTrue(e.getMessage().contains("loopback"), e.getMessage());
    }
    for (String loopback :
        List.of(
            "http://127.0.0.1:8080/jwks.json",
            "http://127.1.2.3/jwks.json",
            "http://localhost:8080/jwks.json",
            "http://LocalHost/jwks.json",
            "http://[::1]:8080/jwks.json",
            "https://10.0.0.1/jwks.json")) {
      Config ok = url.withValue("lobby.auth.jwt.jwks-url", ConfigValueFactory.fromAnyRef(loopback));
      assertEquals(
          new AuthSettings.JwksUrl(URI.create(loopback)),
          AuthSettings.fromConfig(ok).jwt().orElseThrow().keys());
      assertTrue(Authenticators.fromConfig(ok, LOADER).isPresent(), loopback);
    }
  }

  /** The WARN lines {@link JwtAuthenticator} logs while {@code run} makes authenticators. */
  private static List<ILoggingEvent> warnings(Runnable run) {
    Logger logger = (Logger) LoggerFactory.getLogger(JwtAuthenticator.class);
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    logger.addAppender(captured);
    try {
      run.run();
    } finally {
      logger.detachAppender(captured);
    }
    return captured.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
  }

  @Test
  void aJwkSetWithoutIssuerAndAudienceIsWarnedAboutOnceSayingWhatToSet() throws Exception {
    String jwksUrl =
        "lobby.auth { mode = jwt, admin-jwt = on, jwt.jwks-url = \"https://issuer.test/jwks\" }";
    List<ILoggingEvent> unbound =
        warnings(() -> Authenticators.fromConfig(with(jwksUrl), LOADER).orElseThrow());
    assertEquals(1, unbound.size(), unbound.toString());
    String line = unbound.get(0).getFormattedMessage();
    assertTrue(line.contains("jwks-url https://issuer.test/jwks"), line);
    assertTrue(line.contains("without issuer and without audience"), line);
    assertTrue(line.contains("every token signed by those keys is accepted"), line);
    assertTrue(line.contains("other applications"), line);
    assertTrue(line.contains("admin"), line);
    assertTrue(line.contains("Set lobby.auth.jwt.audience"), line);
    assertTrue(line.contains("lobby.auth.jwt.issuer"), line);

    // The same risk with a JWK Set file: the provider's keys, shared with other applications.
    Path file = Tokens.writeJwks(dir);
    Config jwksFile =
        with("lobby.auth.mode = jwt")
            .withValue("lobby.auth.jwt.jwks-file", ConfigValueFactory.fromAnyRef(file.toString()));
    List<ILoggingEvent> fromFile =
        warnings(() -> Authenticators.fromConfig(jwksFile, LOADER).orElseThrow());
    assertEquals(1, fromFile.size(), fromFile.toString());
    assertTrue(fromFile.get(0).getFormattedMessage().contains("jwks-file " + file), fromFile.toString());

    // Either check silences it (as configured: neither is the warning's case); an HS256 secret is
    // this application's own.
    for (Config bound :
        List.of(
            with(jwksUrl + "\nlobby.auth.jwt.audience = lobby"),
            with(jwksUrl + "\nlobby.auth.jwt.issuer = \"https://issuer.test\""),
            jwksFile.withValue("lobby.auth.jwt.audience", ConfigValueFactory.fromAnyRef("lobby")),
            jwtWithSecret(SECRET))) {
      List<ILoggingEvent> none =
          warnings(() -> Authenticators.fromConfig(bound, LOADER).orElseThrow());
      assertEquals(List.of(), none, bound.getConfig("lobby.auth").root().render());
    }
  }

  @Test
  void anUnknownModeFails() {
    ConfigException e = fails(with("lobby.auth.mode = oauth"));
    assertTrue(e.getMessage().contains("lobby.auth.mode"), e.getMessage());
    assertTrue(e.getMessage().contains("none, jwt or custom"), e.getMessage());
  }

  @Test
  void adminJwtNeedsModeJwt() {
    ConfigException e = fails(with("lobby.auth.admin-jwt = on"));
    assertTrue(e.getMessage().contains("lobby.auth.admin-jwt"), e.getMessage());
  }

  @Test
  void theAdminCheckAcceptsAdminTokensOnlyWithAdminJwtOn() {
    String admin =
        Tokens.hs256(
            new JWTClaimsSet.Builder()
                .subject("ops")
                .claim("admin", true)
                .expirationTime(Date.from(Instant.now().plusSeconds(600))));
    Config off = jwtWithSecret(SECRET);
    Predicate<String> none = admin(Authenticators.adminCheck(off, Authenticators.fromConfig(off, LOADER)));
    assertFalse(none.test(admin));

    Config on = off.withValue("lobby.auth.admin-jwt", ConfigValueFactory.fromAnyRef(true));
    Predicate<String> check = admin(Authenticators.adminCheck(on, Authenticators.fromConfig(on, LOADER)));
    assertTrue(check.test(admin));
    assertFalse(
        check.test(
            Tokens.hs256(
                new JWTClaimsSet.Builder()
                    .subject("ops")
                    .expirationTime(Date.from(Instant.now().plusSeconds(600))))));
    assertFalse(check.test("garbage"));
    assertThrows(
        IllegalArgumentException.class,
        () -> Authenticators.adminCheck(on, Optional.of(new AllowAll())));
  }

  @Test
  void aCustomClassIsCreatedWithTheConfigOrWithoutArguments() {
    Config noArgs =
        with("lobby.auth { mode = custom, custom-class = \"" + AllowAll.class.getName() + "\" }");
    assertInstanceOf(AllowAll.class, Authenticators.fromConfig(noArgs, LOADER).orElseThrow());

    Config withConfig =
        with(
            "lobby.auth { mode = custom, custom-class = \""
                + Configured.class.getName()
                + "\" }\nexample.greeting = hello");
    Configured configured =
        assertInstanceOf(
            Configured.class, Authenticators.fromConfig(withConfig, LOADER).orElseThrow());
    assertEquals("hello", configured.greeting);
  }

  @Test
  void aMissingOrUnsuitableCustomClassFailsNamingTheKey() {
    for (String name :
        List.of(
            "com.example.NoSuchAuthenticator",
            String.class.getName(),
            NoSuitableConstructor.class.getName(),
            Abstract.class.getName(),
            Failing.class.getName())) {
      ConfigException e =
          fails(with("lobby.auth { mode = custom, custom-class = \"" + name + "\" }"));
      assertTrue(e.getMessage().contains("lobby.auth.custom-class"), e.getMessage());
      assertTrue(e.getMessage().contains(name), e.getMessage());
    }
    ConfigException empty = fails(with("lobby.auth.mode = custom"));
    assertTrue(empty.getMessage().contains("lobby.auth.custom-class"), empty.getMessage());
  }

  @Test
  void everyAuthKeyIsKnownAMisspeltOneIsNot() {
    LobbySettings.checkKeys(
        with("lobby.auth { mode = jwt, admin-jwt = on, jwt { audience = a, jwks-timeout = 1s } }"));
    ConfigException e =
        assertThrows(
            ConfigException.ValidationFailed.class,
            () -> LobbySettings.checkKeys(with("lobby.auth.jwt.secert = x")));
    assertTrue(e.getMessage().contains("unknown key lobby.auth.jwt.secert"), e.getMessage());
  }

  @Test
  void theSameSettingsAreEqual() {
    Config config = jwtWithSecret(SECRET);
    assertEquals(AuthSettings.fromConfig(config), AuthSettings.fromConfig(config));
    AuthSettings settings = AuthSettings.fromConfig(config);
    assertSame(AuthSettings.Mode.JWT, settings.mode());
  }

  /** A custom authenticator with a constructor taking nothing: lets everyone in. */
  public static final class AllowAll implements Authenticator {
    /** Creates it. */
    public AllowAll() {}

    @Override
    public CompletionStage<AuthResult> authenticate(ConnectRequest request) {
      return CompletableFuture.completedFuture(AuthResult.Grant.of(Principal.of("guest")));
    }
  }

  /** A custom authenticator that reads its own configuration. */
  public static final class Configured implements Authenticator {
    final String greeting;

    /** Creates it from the application's configuration. */
    public Configured(Config config) {
      this.greeting = config.getString("example.greeting");
    }

    @Override
    public CompletionStage<AuthResult> authenticate(ConnectRequest request) {
      return CompletableFuture.completedFuture(AuthResult.Grant.of(Principal.of(greeting)));
    }
  }

  /** An authenticator the configuration cannot create: its only constructor takes an int. */
  public static final class NoSuitableConstructor implements Authenticator {
    /** Creates it. */
    public NoSuitableConstructor(int unused) {}

    @Override
    public CompletionStage<AuthResult> authenticate(ConnectRequest request) {
      return CompletableFuture.completedFuture(AuthResult.Grant.of(Principal.of("x")));
    }
  }

  /** An abstract authenticator. */
  public abstract static class Abstract implements Authenticator {}

  /** An authenticator whose constructor fails. */
  public static final class Failing implements Authenticator {
    /** Fails. */
    public Failing() {
      throw new IllegalStateException("no database");
    }

    @Override
    public CompletionStage<AuthResult> authenticate(ConnectRequest request) {
      return CompletableFuture.completedFuture(AuthResult.Grant.of(Principal.of("x")));
    }
  }

  private static Predicate<String> admin(
      java.util.function.Function<String, java.util.concurrent.CompletionStage<Boolean>> check) {
    return token -> check.apply(token).toCompletableFuture().join();
  }
}
