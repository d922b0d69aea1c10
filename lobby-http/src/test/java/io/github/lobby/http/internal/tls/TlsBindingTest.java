package io.github.lobby.http.internal.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.http.HttpSettings;
import io.github.lobby.http.internal.ws.Admission;
import io.github.lobby.http.TlsCerts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plaintext hook of the TLS binding sees the decrypted bytes, both ways. */
class TlsBindingTest {

  @TempDir Path dir;

  private ActorSystem<Void> system;

  @AfterEach
  void stop() {
    if (system != null) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }

  @Test
  void theHookSeesTheRequestAndTheAnswerInPlaintext() throws Exception {
    Path keyStore = TlsCerts.keyStore(dir, "server.p12", "Hook");
    Config config =
        ConfigFactory.parseString(
                "lobby.http { host = 127.0.0.1, port = 0 }\npekko.loglevel = WARNING")
            .withFallback(ConfigFactory.load());
    system = ActorSystem.create(Behaviors.empty(), "hook", config);
    HttpSettings http = HttpSettings.fromConfig(config);
    ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
    PlaintextHook hook =
        remote ->
            BidiFlow.fromFlows(
                Flow.<ByteString>create().map(b -> record(seen, "out ", b)),
                Flow.<ByteString>create().map(b -> record(seen, "in " + remote.getAddress()
                    .getHostAddress() + " ", b)));
    TlsBinding binding =
        TlsBinding.bind(
                system,
                http,
                Directives.path("hello", () -> Directives.complete("hello back")),
                () ->
                    new io.github.lobby.http.TlsSettings(
                            keyStore.toString(), TlsCerts.PASSWORD, "PKCS12", "", "",
                            List.of("TLSv1.3"), Duration.ZERO)
                        .sslContext(),
                List.of("TLSv1.3"),
                new Admission(Integer.MAX_VALUE, Integer.MAX_VALUE),
                hook,
                () -> {},
                TlsBindingTest.class)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    HttpClient client = HttpClient.newBuilder().sslContext(TlsCerts.trusting(keyStore)).build();
    HttpResponse<String> answer =
        client.send(
            HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + binding.localAddress().getPort() + "/hello"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals("hello back", answer.body());
    String all = String.join("|", seen);
    assertTrue(all.contains("in 127.0.0.1 GET /hello HTTP/1.1"), all);
    assertTrue(all.contains("out HTTP/1.1 200 OK"), all);
    assertTrue(all.contains("hello back"), all);
    assertEquals(1, (int) binding.openConnections().toCompletableFuture().get());
    binding.unbind(Duration.ofSeconds(5)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    binding.terminate(Duration.ofSeconds(5)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(0, (int) binding.openConnections().toCompletableFuture().get());
  }

  @Test
  void terminateLetsARequestInFlightBeAnsweredAndClosesTheIdleConnections() throws Exception {
    Path keyStore = TlsCerts.keyStore(dir, "server.p12", "Drain");
    Config config =
        ConfigFactory.parseString(
                "lobby.http { host = 127.0.0.1, port = 0 }\npekko.loglevel = WARNING")
            .withFallback(ConfigFactory.load());
    system = ActorSystem.create(Behaviors.empty(), "drain", config);
    java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CompletableFuture<String> release = new java.util.concurrent.CompletableFuture<>();
    TlsBinding binding =
        TlsBinding.bind(
                system,
                HttpSettings.fromConfig(config),
                Directives.concat(
                    Directives.path(
                        "slow",
                        () ->
                            Directives.completeOKWithFutureString(
                                java.util.concurrent.CompletableFuture.runAsync(started::countDown)
                                    .thenCompose(v -> release))),
                    Directives.path("quick", () -> Directives.complete("quick"))),
                () ->
                    new io.github.lobby.http.TlsSettings(
                            keyStore.toString(), TlsCerts.PASSWORD, "PKCS12", "", "",
                            List.of("TLSv1.3"), Duration.ZERO)
                        .sslContext(),
                List.of("TLSv1.3"),
                new Admission(Integer.MAX_VALUE, Integer.MAX_VALUE),
                PlaintextHook.IDENTITY,
                () -> {},
                TlsBindingTest.class)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    String base = "https://127.0.0.1:" + binding.localAddress().getPort();
    // Two clients: one keeps an idle connection, the other waits for a slow answer.
    HttpClient idle = HttpClient.newBuilder().sslContext(TlsCerts.trusting(keyStore)).build();
    assertEquals(
        "quick",
        idle.send(
                HttpRequest.newBuilder(URI.create(base + "/quick")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body());
    HttpClient waiting = HttpClient.newBuilder().sslContext(TlsCerts.trusting(keyStore)).build();
    java.util.concurrent.CompletableFuture<HttpResponse<String>> slow =
        waiting.sendAsync(
            HttpRequest.newBuilder(URI.create(base + "/slow"))
                .timeout(Duration.ofSeconds(20))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertTrue(started.await(10, TimeUnit.SECONDS));
    assertEquals(2, (int) binding.openConnections().toCompletableFuture().get());

    java.util.concurrent.CompletableFuture<org.apache.pekko.Done> terminated =
        binding.terminate(Duration.ofSeconds(30)).toCompletableFuture();
    // The idle connection goes at once; the busy one stays for its answer.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (binding.openConnections().toCompletableFuture().get() > 1
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(1, (int) binding.openConnections().toCompletableFuture().get());
    release.complete("slow answer");
    HttpResponse<String> answer = slow.get(10, TimeUnit.SECONDS);
    assertEquals(200, answer.statusCode());
    assertEquals("slow answer", answer.body());
    terminated.get(10, TimeUnit.SECONDS);
    assertEquals(0, (int) binding.openConnections().toCompletableFuture().get());
  }

  private static ByteString record(ConcurrentLinkedQueue<String> seen, String side, ByteString b) {
    seen.add(side + b.decodeString(StandardCharsets.ISO_8859_1));
    return b;
  }
}
