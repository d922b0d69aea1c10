package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.server.Directives;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LobbyServer with {@code lobby.http.tls}: HTTPS and wss:// on its own port. */
class TlsServerTest {

  @TempDir Path dir;

  private ActorSystem<Void> system;
  private LobbyServer server;

  @AfterEach
  void stop() {
    if (system != null) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }

  private static String keyStoreConfig(Path keyStore) {
    return "lobby.http.tls { key-store = \"" + keyStore.toString().replace("\\", "/")
        + "\", key-store-password = \"" + TlsCerts.PASSWORD + "\" }\n";
  }

  private void start(String extra, Consumer<LobbyServer.Builder> customise) {
    Config config =
        ConfigFactory.parseString(extra)
            .withFallback(
                ConfigFactory.parseString(
                    "lobby.http { host = 127.0.0.1, port = 0, admin-token = \""
                        + TestServer.TOKEN + "\" }\npekko.loglevel = WARNING\n"))
            .withFallback(ConfigFactory.load());
    system = ActorSystem.create(Behaviors.empty(), "tls", config);
    LobbyServer.Builder builder = LobbyServer.builder(system).config(config);
    customise.accept(builder);
    server = builder.start().toCompletableFuture().join();
  }

  private void start(String extra) {
    start(extra, b -> {});
  }

  private URI wss(String path) {
    return URI.create("wss://127.0.0.1:" + server.localAddress().getPort() + path);
  }

  private URI https(String path) {
    return URI.create("https://127.0.0.1:" + server.localAddress().getPort() + path);
  }

  private static HttpResponse<String> send(HttpClient http, HttpRequest.Builder request)
      throws Exception {
    return http.send(
        request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void wssJoinBroadcastAndWhisper() throws Exception {
    Path keyStore = TlsCerts.keyStore(dir, "server.p12", "Lobby");
    start(keyStoreConfig(keyStore));
    HttpClient http = HttpClient.newBuilder().sslContext(TlsCerts.trusting(keyStore)).build();

    JdkClient a = new JdkClient(http, wss("/tlsroom"), null);
    String aId = a.welcomeId();
    JdkClient b = new JdkClient(http, wss("/tlsroom"), null);
    String bId = b.welcomeId();
    a.expect(bId + " just joined!");

    a.send("over tls");
    String expected = WebSocketTest.message(aId, "\"over tls\"", "tlsroom");
    a.expect(expected);
    b.expect(expected);

    JdkClient far = new JdkClient(http, wss("/elsewhere"), null);
    String farId = far.welcomeId();
    b.send("\\w " + farId + " psst");
    far.expect(
        "{\"id\":\"" + bId + "\",\"msg\":\"psst\",\"room_id\":\"tlsroom\",\"to\":\"" + farId
            + "\"}");
    a.expectNothing();
  }

  @Test
  void plaintextWebSocketClientsAreNotServedOnATlsPort() throws Exception {
    Path keyStore = TlsCerts.keyStore(dir, "server.p12", "Lobby");
    start(keyStoreConfig(keyStore));
    URI ws = URI.create("ws://127.0.0.1:" + server.localAddress().getPort() + "/room");
    assertThrows(Exception.class, () -> new JdkClient(ws, null));
  }

  @Test
  void httpsServesTheAdminApiHealthAndOwnRoutes() throws Exception {
    Path keyStore = TlsCerts.keyStore(dir, "server.p12", "Lobby");
    start(
        keyStoreConfig(keyStore),
        b ->
            b.routes(
                Directives.path(
                    "page",
                    () ->
                        Directives.complete(
                            org.apache.pekko.http.javadsl.model.HttpResponse.create()
                                .withEntity(
                                    org.apache.pekko.http.javadsl.model.ContentTypes
                                        .TEXT_HTML_UTF8,
                                    "<html>lobby</html>")))));
    HttpClient http = HttpClient.newBuilder().sslContext(TlsCerts.trusting(keyStore)).build();

    JdkClient news = new JdkClient(http, wss("/dailyNews"), null);
    news.welcomeId();
    String stats =
        "[{\"product_line\":\"cards\",\"product_line_id\":7,\"total_trx\":9000000000,"
            + "\"total_amount\":12.5,\"currency\":\"EUR\",\"group_status\":null}]";
    HttpResponse<String> posted =
        send(
            http,
            HttpRequest.newBuilder(https("/dailyDashBoard"))
                .header("Authorization", "Bearer " + TestServer.TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(stats)));
    assertEquals(200, posted.statusCode(), posted.body());
    assertEquals("{\"room_id\":\"dailyNews\",\"delivered\":1}", posted.body());
    news.expect(
        WebSocketTest.message("00000000-0000-0000-0000-000000000000", stats, "dailyNews"));

    HttpResponse<String> unauthorised =
        send(
            http,
            HttpRequest.newBuilder(https("/dailyDashBoard"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(stats)));
    assertEquals(401, unauthorised.statusCode());

    HttpResponse<String> live = send(http, HttpRequest.newBuilder(https("/health/live")));
    assertEquals("200 {\"status\":\"live\"}", live.statusCode() + " " + live.body());
    HttpResponse<String> ready = send(http, HttpRequest.newBuilder(https("/health/ready")));
    assertEquals("200 {\"status\":\"ready\"}", ready.statusCode() + " " + ready.body());
    HttpResponse<String> page = send(http, HttpRequest.newBuilder(https("/page")));
    assertEquals(200, page.statusCode());
    assertEquals("<html>lobby</html>", page.body());
    assertTrue(page.headers().firstValue("content-type").orElse("").startsWith("text/html"));
  }

  @Test
  void onlyTheConfiguredProtocolsAreOffered() throws Exception {
    Path keyStore = TlsCerts.keyStore(dir, "server.p12", "Lobby");
    start(keyStoreConfig(keyStore) + "lobby.http.tls.protocols = [\"TLSv1.3\"]\n");
    int port = server.localAddress().getPort();

    assertEquals("CN=localhost, O=Lobby",
        TlsCerts.presented(port, "TLSv1.3").getSubjectX500Principal().getName().replace(",", ", "));
    // A client that speaks TLS 1.2 at most is refused by a TLS 1.3-only server...
    assertThrows(SSLHandshakeException.class, () -> TlsCerts.presented(port, "TLSv1.2"));
    // ... and one that speaks TLS 1.1 only by any (the JDK client must be allowed to offer it,
    // which it is not by default: the refusal here is the client's, documented for the record).
    assertThrows(Exception.class, () -> TlsCerts.presented(port, "TLSv1.1"));
    // The server stays healthy.
    assertEquals("CN=localhost, O=Lobby",
        TlsCerts.presented(port).getSubjectX500Principal().getName().replace(",", ", "));
  }

  @Test
  void tls12IsServedByDefault() throws Exception {
    Path keyStore = TlsCerts.keyStore(dir, "server.p12", "Lobby");
    start(keyStoreConfig(keyStore));
    int port = server.localAddress().getPort();
    try (SSLSocket socket =
        (SSLSocket) TlsCerts.trustingAll().getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.setEnabledProtocols(new String[] {"TLSv1.2"});
      socket.startHandshake();
      assertEquals("TLSv1.2", socket.getSession().getProtocol());
    }
  }

  @Test
  void aPlaintextRequestToTheTlsPortIsNotServedAndTheServerStaysHealthy() throws Exception {
    Path keyStore = TlsCerts.keyStore(dir, "server.p12", "Lobby");
    start(keyStoreConfig(keyStore));
    int port = server.localAddress().getPort();
    for (int i = 0; i < 3; i++) {
      try (Socket raw = TlsCerts.raw(port)) {
        OutputStream out = raw.getOutputStream();
        out.write(
            "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = raw.getInputStream();
        byte[] answer = in.readAllBytes(); // until the server closes (the socket times out else)
        String text = new String(answer, StandardCharsets.ISO_8859_1);
        assertFalse(text.contains("HTTP/1.1"), "a plaintext request was answered: " + text);
        assertFalse(text.contains("live"), text);
      }
    }
    HttpClient http = HttpClient.newBuilder().sslContext(TlsCerts.trusting(keyStore)).build();
    HttpResponse<String> live = send(http, HttpRequest.newBuilder(https("/health/live")));
    assertEquals(200, live.statusCode());
  }

  @Test
  void aConnectionBeyondMaxConnectionsIsNotServedUntilAnotherCloses() throws Exception {
    Path keyStore = TlsCerts.keyStore(dir, "server.p12", "Lobby");
    start(keyStoreConfig(keyStore) + "lobby.http.max-connections = 2\n");
    HttpClient http = HttpClient.newBuilder().sslContext(TlsCerts.trusting(keyStore)).build();
    JdkClient first = new JdkClient(http, wss("/limit"), null);
    first.welcomeId();
    JdkClient second = new JdkClient(http, wss("/limit"), null);
    second.welcomeId();

    int port = server.localAddress().getPort();
    CompletableFuture<BigInteger> third =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return TlsCerts.presented(port).getSerialNumber();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    Thread.sleep(1_000);
    assertFalse(third.isDone(), "a third connection was served past max-connections = 2");

    first.close();
    assertEquals(first.awaitClose(Duration.ofSeconds(10)), 1000);
    assertEquals(TlsCerts.serial(keyStore), third.get(10, TimeUnit.SECONDS));
  }

  @Test
  void aRotatedKeyStoreServesNewConnectionsAndOpenSessionsGoOn() throws Exception {
    Path old = TlsCerts.keyStore(dir, "old.p12", "Old");
    Path rotated = TlsCerts.keyStore(dir, "new.p12", "New");
    Path live = dir.resolve("live.p12");
    Files.copy(old, live);
    start(keyStoreConfig(live) + "lobby.http.tls.reload-interval = 100ms\n");
    int port = server.localAddress().getPort();
    assertEquals(TlsCerts.serial(old), TlsCerts.presented(port).getSerialNumber());
    HttpClient oldTrust = HttpClient.newBuilder().sslContext(TlsCerts.trusting(old)).build();
    JdkClient before = new JdkClient(oldTrust, wss("/rotate"), null);
    String beforeId = before.welcomeId();

    Path staged = dir.resolve("staged.p12");
    Files.copy(rotated, staged);
    Files.move(staged, live, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    BigInteger seen = awaitSerial(port, TlsCerts.serial(rotated));
    assertEquals(TlsCerts.serial(rotated), seen);

    // A client that trusts only the new certificate gets in, and the old session still talks.
    HttpClient newTrust = HttpClient.newBuilder().sslContext(TlsCerts.trusting(rotated)).build();
    JdkClient after = new JdkClient(newTrust, wss("/rotate"), null);
    String afterId = after.welcomeId();
    before.expect(afterId + " just joined!");
    before.send("still here");
    String expected = WebSocketTest.message(beforeId, "\"still here\"", "rotate");
    before.expect(expected);
    after.expect(expected);

    // A broken file is not taken: the server keeps the certificate in use.
    Files.writeString(staged, "not a key store");
    Files.move(staged, live, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    Thread.sleep(500); // five checks
    assertEquals(TlsCerts.serial(rotated), TlsCerts.presented(port).getSerialNumber());
    JdkClient third = new JdkClient(newTrust, wss("/rotate"), null);
    third.welcomeId();
  }

  private static BigInteger awaitSerial(int port, BigInteger expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    BigInteger seen = TlsCerts.presented(port).getSerialNumber();
    while (!seen.equals(expected) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      seen = TlsCerts.presented(port).getSerialNumber();
    }
    return seen;
  }

  @Test
  void theBuildersSslContextIsAskedPerConnectionAndOverridesTheConfiguration() throws Exception {
    Path configured = TlsCerts.keyStore(dir, "configured.p12", "Configured");
    Path given = TlsCerts.keyStore(dir, "given.p12", "Given");
    SSLContext context =
        new TlsSettings(
                given.toString(), TlsCerts.PASSWORD, "PKCS12", "", "", List.of("TLSv1.3"),
                Duration.ZERO)
            .sslContext();
    AtomicInteger asked = new AtomicInteger();
    start(
        keyStoreConfig(configured),
        b ->
            b.sslContext(
                () -> {
                  asked.incrementAndGet();
                  return context;
                }));
    int port = server.localAddress().getPort();
    assertEquals(TlsCerts.serial(given), TlsCerts.presented(port).getSerialNumber());
    assertEquals(TlsCerts.serial(given), TlsCerts.presented(port).getSerialNumber());
    assertEquals(2, asked.get());
  }

  @Test
  void theBuildersSslContextServesTlsWithoutConfiguration() throws Exception {
    Path given = TlsCerts.keyStore(dir, "given.p12", "Given");
    SSLContext context =
        new TlsSettings(
                given.toString(), TlsCerts.PASSWORD, "PKCS12", "", "", List.of("TLSv1.3"),
                Duration.ZERO)
            .sslContext();
    start("", b -> b.sslContext(() -> context));
    HttpClient http = HttpClient.newBuilder().sslContext(TlsCerts.trusting(given)).build();
    JdkClient a = new JdkClient(http, wss("/given"), null);
    a.welcomeId();
  }

  @Test
  void pemCertificateAndKeyServeTls() throws Exception {
    Path keyStore = TlsCerts.keyStore(dir, "server.p12", "Pem");
    List<Path> pem = TlsCerts.pem(dir, keyStore);
    start(
        "lobby.http.tls { certificate = \"" + pem.get(0).toString().replace("\\", "/")
            + "\", private-key = \"" + pem.get(1).toString().replace("\\", "/") + "\" }\n");
    HttpClient http = HttpClient.newBuilder().sslContext(TlsCerts.trusting(keyStore)).build();
    JdkClient a = new JdkClient(http, wss("/pem"), null);
    a.welcomeId();
    assertEquals(TlsCerts.serial(keyStore),
        TlsCerts.presented(server.localAddress().getPort()).getSerialNumber());
  }

  @Test
  void aStopClosesWssSessionsWith1001AndUnbinds() throws Exception {
    Path keyStore = TlsCerts.keyStore(dir, "server.p12", "Lobby");
    start(keyStoreConfig(keyStore));
    HttpClient http = HttpClient.newBuilder().sslContext(TlsCerts.trusting(keyStore)).build();
    JdkClient a = new JdkClient(http, wss("/stopping"), null);
    a.welcomeId();
    JdkClient b = new JdkClient(http, wss("/stopping"), null);
    b.welcomeId();
    int port = server.localAddress().getPort();

    server.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertEquals(1001, a.awaitClose(Duration.ofSeconds(10)));
    assertEquals(1001, b.awaitClose(Duration.ofSeconds(10)));
    assertThrows(Exception.class, () -> TlsCerts.presented(port));
  }

  @Test
  void anIdleTlsConnectionIsClosedAfterPekkoHttpsIdleTimeout() throws Exception {
    Path keyStore = TlsCerts.keyStore(dir, "server.p12", "Lobby");
    start(keyStoreConfig(keyStore) + "pekko.http.server.idle-timeout = 1s\n");
    try (SSLSocket socket =
        (SSLSocket)
            TlsCerts.trustingAll()
                .getSocketFactory()
                .createSocket("127.0.0.1", server.localAddress().getPort())) {
      socket.setSoTimeout(15_000);
      socket.startHandshake();
      // Nothing sent: the server closes the connection (a timeout here fails the test).
      int read;
      try {
        read = socket.getInputStream().read();
      } catch (javax.net.ssl.SSLException | java.net.SocketException closed) {
        read = -1;
      }
      assertEquals(-1, read);
    }
  }

  @Test
  void aTls11ClientHelloIsAnsweredWithAnAlertNotAServerHello() throws Exception {
    Path keyStore = TlsCerts.keyStore(dir, "server.p12", "Lobby");
    start(keyStoreConfig(keyStore));
    int port = server.localAddress().getPort();
    for (int i = 0; i < 2; i++) {
      try (Socket raw = TlsCerts.raw(port)) {
        raw.getOutputStream().write(clientHello(0x0302)); // TLS 1.1
        raw.getOutputStream().flush();
        int contentType = raw.getInputStream().read();
        // 21: an alert (protocol_version), or the connection closed (-1); 22 would be a ServerHello.
        assertTrue(contentType == 21 || contentType == -1, "record type " + contentType);
      }
    }
    HttpClient http = HttpClient.newBuilder().sslContext(TlsCerts.trusting(keyStore)).build();
    assertEquals(200, send(http, HttpRequest.newBuilder(https("/health/live"))).statusCode());
  }

  /**
   * A TLS ClientHello of {@code version} written by hand (the JDK's client will not offer TLS
   * 1.1): ECDHE-ECDSA suites, P-256, ECDSA with SHA-256, no session, no compression.
   */
  private static byte[] clientHello(int version) {
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    body.write(version >> 8);
    body.write(version & 0xff);
    byte[] random = new byte[32];
    new java.security.SecureRandom().nextBytes(random);
    body.writeBytes(random);
    body.write(0); // session id
    int[] suites = {0xc02b, 0xc009, 0xc00a};
    body.write(0);
    body.write(suites.length * 2);
    for (int suite : suites) {
      body.write(suite >> 8);
      body.write(suite & 0xff);
    }
    body.write(1); // compression methods: null
    body.write(0);
    byte[] extensions = {
      0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17, // supported_groups: secp256r1
      0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, // ec_point_formats: uncompressed
      0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x03 // signature_algorithms: ecdsa_secp256r1_sha256
    };
    body.write(extensions.length >> 8);
    body.write(extensions.length & 0xff);
    body.writeBytes(extensions);
    byte[] hello = body.toByteArray();
    java.io.ByteArrayOutputStream record = new java.io.ByteArrayOutputStream();
    record.writeBytes(new byte[] {0x16, 0x03, 0x01}); // handshake record, TLS 1.0 framing
    int length = hello.length + 4;
    record.write(length >> 8);
    record.write(length & 0xff);
    record.write(1); // ClientHello
    record.write(0);
    record.write(hello.length >> 8);
    record.write(hello.length & 0xff);
    record.writeBytes(hello);
    return record.toByteArray();
  }

  @Test
  void theLimitPerClientAddressHoldsOverTls() throws Exception {
    Path keyStore = TlsCerts.keyStore(dir, "server.p12", "Lobby");
    start(keyStoreConfig(keyStore) + "lobby.http.max-connections-per-ip = 1\n");
    HttpClient http = HttpClient.newBuilder().sslContext(TlsCerts.trusting(keyStore)).build();
    JdkClient first = new JdkClient(http, wss("/perip"), null);
    first.welcomeId();
    java.util.concurrent.CompletionException refused =
        assertThrows(
            java.util.concurrent.CompletionException.class,
            () ->
                http.newWebSocketBuilder()
                    .buildAsync(wss("/perip"), new java.net.http.WebSocket.Listener() {})
                    .orTimeout(10, TimeUnit.SECONDS)
                    .join());
    assertTrue(
        refused.getCause() instanceof java.net.http.WebSocketHandshakeException h
            && h.getResponse().statusCode() == 429,
        String.valueOf(refused.getCause()));
  }

  /** A TLS socket to the server, its handshake done. */
  private SSLSocket tlsSocket(Path keyStore) throws Exception {
    SSLSocket socket =
        (SSLSocket)
            TlsCerts.trusting(keyStore)
                .getSocketFactory()
                .createSocket("127.0.0.1", server.localAddress().getPort());
    socket.setSoTimeout(10_000);
    socket.startHandshake();
    return socket;
  }

  /** Everything the server sends until it closes the connection (or the read times out). */
  private static String readToEnd(InputStream in) throws Exception {
    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
    byte[] buffer = new byte[4096];
    try {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        all.write(buffer, 0, n);
      }
    } catch (java.net.SocketException closed) {
      // the server's close may reach us as a reset
    }
    return all.toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void aSlowHeadOverTlsIsAnswered408AndClosedAtTheDeadline() throws Exception {
    Path keyStore = TlsCerts.keyStore(dir, "server.p12", "Lobby");
    start(keyStoreConfig(keyStore) + "lobby.http.request-head-timeout = 3s\n");
    try (SSLSocket socket = tlsSocket(keyStore)) {
      OutputStream out = socket.getOutputStream();
      byte[] head = "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      // One byte every 2 s: the whole head would take more than a minute.
      Thread trickle =
          new Thread(
              () -> {
                try {
                  for (byte b : head) {
                    out.write(b);
                    out.flush();
                    Thread.sleep(2000);
                  }
                } catch (Exception closed) {
                  // the server closed the connection
                }
              });
      trickle.setDaemon(true);
      long start = System.nanoTime();
      trickle.start();
      String answer = readToEnd(socket.getInputStream());
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
      assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
      assertTrue(answer.contains("\"error\":\"request_timeout\""), answer);
      // Closed at the deadline, long before the head could have been complete.
      assertTrue(seconds < 9, "closed after " + seconds + " s");
      trickle.interrupt();
    }
  }

  @Test
  void everyTlsConnectionCountsForItsAddressFromItsAccept() throws Exception {
    Path keyStore = TlsCerts.keyStore(dir, "server.p12", "Lobby");
    start(keyStoreConfig(keyStore) + "lobby.http.max-connections-per-ip = 2\n");
    byte[] request =
        "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);
    SSLSocket idle1 = tlsSocket(keyStore);
    SSLSocket idle2 = tlsSocket(keyStore);
    try (SSLSocket third = tlsSocket(keyStore)) {
      third.getOutputStream().write(request);
      third.getOutputStream().flush();
      String answer = readToEnd(third.getInputStream());
      assertTrue(answer.startsWith("HTTP/1.1 429 "), answer);
      assertTrue(answer.contains("\"error\":\"too_many_connections\""), answer);
    }
    idle1.close();
    idle2.close();
    // Their places are given back as they end.
    String answer = "";
    for (int i = 0; i < 50 && !answer.startsWith("HTTP/1.1 200 "); i++) {
      Thread.sleep(100);
      try (SSLSocket again = tlsSocket(keyStore)) {
        again.getOutputStream().write(request);
        again.getOutputStream().flush();
        answer = readToEnd(again.getInputStream());
      }
    }
    assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
  }
}
