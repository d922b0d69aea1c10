package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lobby.http.tls}: read, checked with its files, refused at start with a clear message. */
class TlsSettingsTest {

  @TempDir Path dir;

  private static Config config(String tls) {
    return ConfigFactory.parseString("lobby.http.tls {" + tls + "}")
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }

  private static String path(Path p) {
    return "\"" + p.toString().replace("\\", "/") + "\"";
  }

  private static String refusal(String tls) {
    return assertThrows(ConfigException.class, () -> TlsSettings.fromConfig(config(tls)))
        .getMessage();
  }

  @Test
  void offByDefault() {
    TlsSettings tls = HttpSettings.fromConfig(config("")).tls();
    assertFalse(tls.enabled());
    assertEquals(List.of("TLSv1.3", "TLSv1.2"), tls.protocols());
    assertEquals(Duration.ofSeconds(10), tls.reloadInterval());
    assertEquals("PKCS12", tls.keyStoreType());
  }

  @Test
  void aGoodKeyStoreIsEnabledAndItsPasswordNeverShown() {
    Path store = TlsCerts.keyStore(dir, "s.p12", "Lobby");
    TlsSettings tls =
        HttpSettings.fromConfig(
                config("key-store = " + path(store) + ", key-store-password = changeit"))
            .tls();
    assertTrue(tls.enabled());
    assertFalse(tls.toString().contains("changeit"), tls.toString());
    assertEquals(List.of(store), tls.files());
  }

  @Test
  void aMissingKeyStoreIsRefused() {
    String message = refusal("key-store = " + path(dir.resolve("nope.p12")));
    assertTrue(message.contains("lobby.http.tls.key-store"), message);
    assertTrue(message.contains("no such file"), message);
  }

  @Test
  void aFileThatIsNotAKeyStoreIsRefused() throws Exception {
    Path garbage = Files.writeString(dir.resolve("garbage.p12"), "not a key store");
    String message = refusal("key-store = " + path(garbage) + ", key-store-password = changeit");
    assertTrue(message.contains("lobby.http.tls.key-store"), message);
    assertTrue(message.contains("cannot read"), message);
  }

  @Test
  void aWrongPasswordIsRefused() {
    Path store = TlsCerts.keyStore(dir, "s.p12", "Lobby");
    String message = refusal("key-store = " + path(store) + ", key-store-password = wrong");
    assertTrue(message.contains("lobby.http.tls.key-store-password"), message);
    assertTrue(message.contains("wrong password"), message);
  }

  @Test
  void aKeyStoreWithoutAPrivateKeyIsRefused() {
    Path store = TlsCerts.certificateOnly(dir, TlsCerts.keyStore(dir, "s.p12", "Lobby"));
    String message = refusal("key-store = " + path(store) + ", key-store-password = changeit");
    assertTrue(message.contains("no private key entry"), message);
  }

  @Test
  void aKeyStoreAndACertificateTogetherAreRefused() throws Exception {
    Path store = TlsCerts.keyStore(dir, "s.p12", "Lobby");
    List<Path> pem = TlsCerts.pem(dir, store);
    String message =
        refusal(
            "key-store = " + path(store) + ", key-store-password = changeit, certificate = "
                + path(pem.get(0)) + ", private-key = " + path(pem.get(1)));
    assertTrue(message.contains("not both"), message);
  }

  @Test
  void aCertificateWithoutItsKeyIsRefusedAndTheOtherWayRound() throws Exception {
    List<Path> pem = TlsCerts.pem(dir, TlsCerts.keyStore(dir, "s.p12", "Lobby"));
    String message = refusal("certificate = " + path(pem.get(0)));
    assertTrue(message.contains("lobby.http.tls.private-key"), message);
    assertTrue(message.contains("needs private-key"), message);
    message = refusal("private-key = " + path(pem.get(1)));
    assertTrue(message.contains("needs certificate"), message);
  }

  @Test
  void pemFilesAreReadAndBadOnesRefused() throws Exception {
    Path store = TlsCerts.keyStore(dir, "s.p12", "Lobby");
    List<Path> pem = TlsCerts.pem(dir, store);
    TlsSettings tls =
        TlsSettings.fromConfig(
            config("certificate = " + path(pem.get(0)) + ", private-key = " + path(pem.get(1))));
    assertTrue(tls.enabled());
    assertEquals(List.of(pem.get(0), pem.get(1)), tls.files());

    Path rsa = Files.writeString(dir.resolve("rsa.pem"),
        "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
    String message =
        refusal("certificate = " + path(pem.get(0)) + ", private-key = " + path(rsa));
    assertTrue(message.contains("openssl pkcs8"), message);

    Path notCert = Files.writeString(dir.resolve("notcert.pem"), "hello");
    message = refusal("certificate = " + path(notCert) + ", private-key = " + path(pem.get(1)));
    assertTrue(message.contains("lobby.http.tls.certificate"), message);

    // The key of another certificate.
    List<Path> other = TlsCerts.pem(Files.createDirectory(dir.resolve("o")),
        TlsCerts.keyStore(dir, "o.p12", "Other"));
    message = refusal("certificate = " + path(pem.get(0)) + ", private-key = " + path(other.get(1)));
    assertTrue(message.contains("lobby.http.tls.private-key"), message);
  }

  @Test
  void onlyTls13AndTls12AreAllowed() {
    String message = refusal("protocols = [\"TLSv1.3\", \"TLSv1.1\"]");
    assertTrue(message.contains("lobby.http.tls.protocols"), message);
    assertTrue(message.contains("TLSv1.1"), message);
    message = refusal("protocols = []");
    assertTrue(message.contains("empty"), message);
    assertEquals(
        List.of("TLSv1.2"), TlsSettings.fromConfig(config("protocols = [TLSv1.2]")).protocols());
  }

  @Test
  void aNegativeReloadIntervalIsRefused() {
    String message = refusal("reload-interval = -1s");
    assertTrue(message.contains("lobby.http.tls.reload-interval"), message);
  }

  @Test
  void aServerWithABadKeyStoreDoesNotStart() {
    Config config =
        ConfigFactory.parseString(
                "lobby.http { port = 0, tls { key-store = " + path(dir.resolve("missing.p12"))
                    + " } }\npekko.loglevel = WARNING")
            .withFallback(ConfigFactory.load());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "badtls", config);
    try {
      ConfigException e =
          assertThrows(
              ConfigException.class, () -> LobbyServer.builder(system).config(config).start());
      assertTrue(e.getMessage().contains("lobby.http.tls.key-store"), e.getMessage());
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }
}
