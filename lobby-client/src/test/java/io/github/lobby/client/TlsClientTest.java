package io.github.lobby.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.lobby.testkit.LobbyServerExtension;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link LobbyClient.Builder#sslContext}: {@code wss://} to a server with a self-signed certificate. */
class TlsClientTest {

  @TempDir Path dir;

  @Test
  void aClientWithTheServersCertificateInItsContextTalksOverWss() throws Exception {
    Path keyStore = dir.resolve("server.p12");
    keytool(
        "-genkeypair", "-alias", "lobby", "-keyalg", "EC", "-groupname", "secp256r1",
        "-validity", "2", "-dname", "CN=localhost", "-ext", "san=ip:127.0.0.1,dns:localhost",
        "-storetype", "PKCS12", "-keystore", keyStore.toString(), "-storepass", "changeit",
        "-keypass", "changeit");
    LobbyServerExtension server =
        LobbyServerExtension.create()
            .withConfig(
                "lobby.http.tls { key-store = \"" + keyStore.toString().replace("\\", "/")
                    + "\", key-store-password = changeit }");
    server.start();
    try {
      URI base = URI.create("wss://127.0.0.1:" + server.port());
      SSLContext trusting = trusting(keyStore);
      Recorder recorder = new Recorder();
      LobbyClient client =
          LobbyClient.builder(base, "tls-room").sslContext(trusting).listener(recorder).build();
      try {
        Welcome welcome = client.connect().toCompletableFuture().get(15, TimeUnit.SECONDS);
        assertEquals("tls-room", welcome.roomId());
        client.send("over wss").toCompletableFuture().get(15, TimeUnit.SECONDS);
        // The ack comes after the client's own copy of the message reached the listener.
        assertEquals(1, recorder.messages.size());
        assertEquals("over wss", recorder.messages.get(0).msg().asText());
        assertEquals(welcome.id(), recorder.messages.get(0).id());
      } finally {
        client.close();
      }
      assertThrows(
          IllegalStateException.class,
          () ->
              LobbyClient.builder(base, "r")
                  .sslContext(trusting)
                  .httpClient(java.net.http.HttpClient.newHttpClient())
                  .build());
    } finally {
      server.stop();
    }
  }

  private static SSLContext trusting(Path keyStore) throws Exception {
    KeyStore server = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      server.load(in, "changeit".toCharArray());
    }
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("server", server.getCertificate("lobby"));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  private static void keytool(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: " + out);
    }
  }
}
