package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A real client: the JDK's WebSocket, collecting what it receives (it answers Pings itself). */
final class JdkClient implements WebSocket.Listener {

  /** A received binary message, wrapped so it can share the queue with text. */
  record Binary(ByteBuffer data) {}

  final LinkedBlockingQueue<Object> received = new LinkedBlockingQueue<>();
  /** When each text message of {@link #received} arrived ({@link System#nanoTime()}). */
  final LinkedBlockingQueue<Long> receivedAt = new LinkedBlockingQueue<>();
  final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
  private final StringBuilder text = new StringBuilder();
  final WebSocket socket;

  JdkClient(URI uri, String subprotocol) {
    this(HttpClient.newHttpClient(), uri, subprotocol);
  }

  /** A client on a shared HttpClient (one selector thread for many sockets). */
  JdkClient(HttpClient http, URI uri, String subprotocol) {
    this(http.newWebSocketBuilder(), uri, subprotocol);
  }

  /** A client from a builder the test prepared (headers, say). */
  JdkClient(WebSocket.Builder builder, URI uri, String subprotocol) {
    if (subprotocol != null) {
      builder.subprotocols(subprotocol);
    }
    socket = builder.buildAsync(uri, this).orTimeout(10, TimeUnit.SECONDS).join();
  }

  static JdkClient connect(TestServer server, String path) {
    return new JdkClient(server.ws(path), null);
  }

  static JdkClient connectJson(TestServer server, String path) {
    return new JdkClient(server.ws(path), "lobby.v1.json");
  }

  @Override
  public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
    text.append(data);
    if (last) {
      receivedAt.add(System.nanoTime());
      received.add(text.toString());
      text.setLength(0);
    }
    ws.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
    ByteBuffer copy = ByteBuffer.allocate(data.remaining());
    copy.put(data).flip();
    received.add(new Binary(copy));
    ws.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
    closeCode.complete(statusCode);
    return null;
  }

  @Override
  public void onError(WebSocket ws, Throwable error) {
    closeCode.complete(-1);
  }

  void send(String message) {
    socket.sendText(message, true).join();
  }

  /** The next message, waiting up to 10 seconds. */
  Object nextMessage() {
    try {
      Object message = received.poll(10, TimeUnit.SECONDS);
      assertNotNull(message, "no message within 10 s");
      return message;
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  String next() {
    return (String) nextMessage();
  }

  void expect(String message) {
    assertEquals(message, next());
  }

  void expectNothing() {
    try {
      Object message = received.poll(200, TimeUnit.MILLISECONDS);
      assertEquals(null, message, "unexpected message");
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** Reads the classic welcome and returns the id it announces. */
  String welcomeId() {
    String welcome = next();
    assertEquals(true, welcome.startsWith("your id is "), welcome);
    return welcome.substring("your id is ".length());
  }

  int awaitClose(Duration timeout) {
    return closeCode.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).join();
  }

  void close() {
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
  }
}
