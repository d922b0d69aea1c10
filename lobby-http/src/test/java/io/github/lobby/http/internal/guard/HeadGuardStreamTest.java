package io.github.lobby.http.internal.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.github.lobby.http.SlowSocket;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.event.Logging;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.TLSProtocol.SslTlsInbound;
import org.apache.pekko.stream.TLSProtocol.SslTlsOutbound;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.TLSPlacebo;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link HeadGuard#bidiFlow()} where a Pekko Streams listener (the TLS listener) puts it: on a
 * plain {@code Tcp.bind} whose connections run Pekko HTTP's server layer on the guard, with real
 * sockets: the head deadline (3 s here), bare CR or LF, the head size and the shared budget.
 */
class HeadGuardStreamTest {

  static ActorSystem system;
  static HeadGuard guard;
  static int port;
  /** A listener with the guard where a TLS listener puts it ({@link HeadGuard#tlsBidiFlow()}). */
  static int tlsShapedPort;

  @BeforeAll
  static void bind() {
    system =
        ActorSystem.create(
            "head-guard",
            ConfigFactory.parseString("pekko.loglevel = WARNING").withFallback(ConfigFactory.load()));
    guard = new HeadGuard(Duration.ofSeconds(3), 4 * 1024, new HeadBudget(8 * 1024));
    Materializer materializer = Materializer.matFromSystem(system);
    ServerSettings settings = ServerSettings.create(system);
    Flow<HttpRequest, HttpResponse, NotUsed> handler =
        Flow.of(HttpRequest.class)
            .mapAsync(
                1,
                request ->
                    request
                        .entity()
                        .toStrict(5000, materializer)
                        .thenApply(
                            body ->
                                HttpResponse.create()
                                    .withEntity(
                                        ContentTypes.TEXT_PLAIN_UTF8,
                                        "ok " + body.getData().size())));
    @SuppressWarnings({"unchecked", "rawtypes"})
    BidiFlow<SslTlsOutbound, ByteString, ByteString, SslTlsInbound, NotUsed> placebo =
        (BidiFlow) TLSPlacebo.getInstance();
    port =
        Tcp.get(system)
            .bind("127.0.0.1", 0)
            .to(
                org.apache.pekko.stream.javadsl.Sink.foreach(
                    connection ->
                        connection.handleWith(
                            handler.join(
                                Http.get(system)
                                    .serverLayer(
                                        settings,
                                        Optional.of(connection.remoteAddress()),
                                        Logging.getLogger(system, HeadGuardStreamTest.class))
                                    .atop(placebo)
                                    .atop(guard.bidiFlow())),
                            materializer)))
            .run(materializer)
            .toCompletableFuture()
            .join()
            .localAddress()
            .getPort();
    // serverLayer.atop(guard.tlsBidiFlow()).atop(tls), with TLSPlacebo standing in for the TLS
    // stage (same shape: SslTlsOutbound / SslTlsInbound above, bytes below).
    tlsShapedPort =
        Tcp.get(system)
            .bind("127.0.0.1", 0)
            .to(
                org.apache.pekko.stream.javadsl.Sink.foreach(
                    connection ->
                        connection.handleWith(
                            handler.join(
                                Http.get(system)
                                    .serverLayer(
                                        settings,
                                        Optional.of(connection.remoteAddress()),
                                        Logging.getLogger(system, HeadGuardStreamTest.class))
                                    .atop(guard.tlsBidiFlow())
                                    .atop(placebo)),
                            materializer)))
            .run(materializer)
            .toCompletableFuture()
            .join()
            .localAddress()
            .getPort();
  }

  @Test
  void inATlsShapedStackTheGuardServesAndCutsAlike() throws Exception {
    try (SlowSocket socket = new SlowSocket(tlsShapedPort)) {
      socket.send(GET);
      assertEquals("ok 0", socket.readAnswer().body());
      socket.send("GET /x HTTP/1.1\r\n");
      socket.trickle("Host: 127.0.0.1\r\n\r\n", Duration.ofSeconds(2));
      assertAnswer(socket.readAnswer(), 408, "request_timeout");
    }
    try (SlowSocket socket = new SlowSocket(tlsShapedPort)) {
      socket.send("GET /x HTTP/1.1\r\nHost: x\nX: y\r\n\r\n");
      assertAnswer(socket.readAnswer(), 400, "bad_request");
    }
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  static final String GET = "GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

  private static void assertAnswer(SlowSocket.Answer answer, int status, String code) {
    assertNotNull(answer, "closed without an answer");
    assertEquals(status, answer.status(), answer.head());
    assertTrue(answer.head().toLowerCase().contains("content-type: application/json"));
    assertTrue(answer.body().contains("\"error\":\"" + code + "\""), answer.body());
  }

  @Test
  void aSlowHeadIsCutWith408AndTheNextHeadOfAKeepAliveConnectionToo() throws Exception {
    try (SlowSocket socket = new SlowSocket(port)) {
      socket.send("GET /x HTTP/1.1\r\n");
      AtomicInteger sent = socket.trickle("Host: 127.0.0.1\r\n\r\n", Duration.ofSeconds(2));
      assertAnswer(socket.readAnswer(), 408, "request_timeout");
      assertTrue(sent.get() < 19, "cut before the head was complete");
      assertTrue(socket.endsWithNothingMore());
    }
    try (SlowSocket socket = new SlowSocket(port)) {
      socket.send(GET);
      assertEquals("ok 0", socket.readAnswer().body());
      socket.send("P");
      socket.trickle("OST /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", Duration.ofSeconds(2));
      assertAnswer(socket.readAnswer(), 408, "request_timeout");
    }
  }

  @Test
  void aConnectionThatSendsNothingIsClosedWithoutAnAnswer() throws Exception {
    try (SlowSocket socket = new SlowSocket(port)) {
      assertNull(socket.readAnswer());
    }
  }

  @Test
  void slowButCompleteRequestsBodiesAndPipelinedRequestsAreServed() throws Exception {
    try (SlowSocket socket = new SlowSocket(port)) {
      socket.send("GET /x HT");
      Thread.sleep(1000);
      socket.send("TP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertEquals("ok 0", socket.readAnswer().body());
      // A chunked body with a bare LF in its data, a slow body (past the head deadline), then
      // two pipelined requests in one write.
      socket.send(
          "POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
              + "3\r\na\nb\r\n0\r\n\r\n");
      assertEquals("ok 3", socket.readAnswer().body());
      socket.send("POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n");
      Thread.sleep(2000);
      socket.send("a");
      Thread.sleep(2000);
      socket.send("b");
      assertEquals("ok 2", socket.readAnswer().body());
      socket.send(GET + "POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\n\r\n\n");
      assertEquals("ok 0", socket.readAnswer().body());
      assertEquals("ok 1", socket.readAnswer().body());
      // Still in step: the next slow head is cut.
      socket.trickle(GET, Duration.ofSeconds(2));
      assertAnswer(socket.readAnswer(), 408, "request_timeout");
    }
  }

  private static void assertRefused(String request, int status, String code) throws Exception {
    try (SlowSocket socket = new SlowSocket(port)) {
      socket.send(request);
      assertAnswer(socket.readAnswer(), status, code);
      assertTrue(socket.endsWithNothingMore());
    }
  }

  @Test
  void aBareCarriageReturnOrLineFeedIs400() throws Exception {
    assertRefused("GET /room HTTP/1.1\nHost: x\n\n", 400, "bad_request");
    assertRefused("GET /x HTTP/1.1\r\nHost: x\r\nX-Note: a\rb\r\n\r\n", 400, "bad_request");
    assertRefused("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\n\r\n", 400, "bad_request");
  }

  @Test
  void headsHaveAMostAndShareTheBudget() throws Exception {
    String start = "GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ";
    assertRefused(start + "p".repeat(4200) + "\r\n\r\n", 431, "headers_too_large");
    String held = start + "p".repeat(3000 - start.length());
    try (SlowSocket a = new SlowSocket(port);
        SlowSocket b = new SlowSocket(port)) {
      a.send(held);
      b.send(held);
      Thread.sleep(500); // 6,000 of the 8,192 bytes are held
      assertRefused(held, 503, "unavailable");
      a.send("\r\n\r\n");
      assertEquals("ok 0", a.readAnswer().body());
      try (SlowSocket c = new SlowSocket(port)) {
        c.send(held + "\r\n\r\n");
        assertEquals("ok 0", c.readAnswer().body());
      }
    }
    Thread.sleep(200);
    assertEquals(0, guard.budget().used(), "every connection gave its bytes back");
  }

}
