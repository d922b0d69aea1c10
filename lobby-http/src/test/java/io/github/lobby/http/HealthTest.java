package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.junit.jupiter.api.Test;

/** {@code /health/live}, {@code /health/ready} and the stop in CoordinatedShutdown's phases. */
class HealthTest {

  /** One keep-alive HTTP/1.1 connection, opened before the stop (a new one is refused then). */
  static final class KeepAlive implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    KeepAlive(int port) throws IOException {
      socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout(10_000);
      in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
      out = socket.getOutputStream();
    }

    /** The status and body of {@code GET path}. */
    synchronized String get(String path) throws IOException {
      out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String head = readHead(in);
      int length = 0;
      for (String line : head.split("\r\n")) {
        if (line.toLowerCase().startsWith("content-length:")) {
          length = Integer.parseInt(line.substring(15).trim());
        }
      }
      byte[] body = new byte[length];
      in.readFully(body);
      return head.substring(9, 12) + " " + new String(body, StandardCharsets.UTF_8);
    }

    private static String readHead(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int matched = 0;
      while (matched < 4) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("connection closed");
        }
        head.write(b);
        matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
      }
      return head.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  @Test
  void readinessTurns503BeforeSessionsGetTheir1001AndLivenessStays200() throws Exception {
    try (TestServer server = new TestServer();
        KeepAlive probe = new KeepAlive(server.port())) {
      assertEquals("200 {\"status\":\"ready\"}", probe.get("/health/ready"));
      assertEquals("200 {\"status\":\"live\"}", probe.get("/health/live"));
      assertTrue(probe.get("/health").startsWith("200 "));

      // What the probes answer at the moment a session's Close arrives; the client answers the
      // Close only after asking them.
      CompletableFuture<String> atClose = new CompletableFuture<>();
      WebSocket.Listener listener =
          new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
              try {
                atClose.complete(
                    code + " " + probe.get("/health/ready") + " " + probe.get("/health/live"));
              } catch (IOException e) {
                atClose.completeExceptionally(e);
              }
              return null;
            }
          };
      HttpClient.newHttpClient()
          .newWebSocketBuilder()
          .buildAsync(server.ws("/ready-room"), listener)
          .get(10, TimeUnit.SECONDS);
      server.awaitStats(new io.github.lobby.core.Lobby.Stats(1, 1, 2));

      CoordinatedShutdown.get(server.system).runAll(CoordinatedShutdown.unknownReason());
      assertEquals(
          "1001 503 {\"status\":\"shutting_down\"} 200 {\"status\":\"live\"}",
          atClose.get(20, TimeUnit.SECONDS));
    }
  }

  @Test
  void duringTheUnbindDelayReadinessIs503AndNewConnectionsAreStillAccepted() throws Exception {
    try (TestServer server = new TestServer("lobby.http.unbind-delay = 3s");
        KeepAlive probe = new KeepAlive(server.port())) {
      assertEquals("200 {\"status\":\"ready\"}", probe.get("/health/ready"));

      CompletableFuture<Done> stopped =
          CoordinatedShutdown.get(server.system)
              .runAll(CoordinatedShutdown.unknownReason())
              .toCompletableFuture();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      String ready;
      do {
        ready = probe.get("/health/ready");
      } while (!ready.startsWith("503") && System.nanoTime() < deadline);
      assertEquals("503 {\"status\":\"shutting_down\"}", ready);
      // Still inside the delay: the listener takes a new connection and serves it.
      try (KeepAlive late = new KeepAlive(server.port())) {
        assertEquals("503 {\"status\":\"shutting_down\"}", late.get("/health/ready"));
      }
      assertFalse(stopped.isDone(), "the stop waits out the delay");
      stopped.get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aStopWithLongTimeoutsIsNotCutByPekkosDefaultPhaseTimeouts() throws Exception {
    // A client that never answers our Close holds its connection for close-timeout (12 s here),
    // in service-requests-done, whose timeout lobby-http's reference.conf raises to 20 s. With
    // Pekko's default of 5 s per phase the stop was cut after 5 s, or 10 s with the binding's
    // own service-stop phase.
    try (TestServer server =
            new TestServer("lobby.http { close-timeout = 12s, shutdown-timeout = 10s }");
        RawClient client = new RawClient(server.port(), "/long-stop")) {
      assertTrue(client.upgraded());
      client.readFrame(); // welcome
      long start = System.nanoTime();
      CompletionStage<?> stopped =
          CoordinatedShutdown.get(server.system).runAll(CoordinatedShutdown.unknownReason());
      assertEquals(1001, client.readUntilClose());
      client.socket.setSoTimeout(30_000);
      int read;
      try {
        read = client.in.read();
      } catch (IOException reset) {
        read = -1;
      }
      long heldFor = System.nanoTime() - start;
      assertEquals(-1, read, "nothing after the Close");
      assertTrue(
          heldFor >= Duration.ofMillis(11_500).toNanos(),
          "the connection was cut after " + heldFor / 1_000_000 + " ms, before close-timeout");
      stopped.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
