package io.github.lobby.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real WebSocket client for tests: the JDK's {@link WebSocket}, collecting every message it
 * receives so that a test can wait for them one by one. It answers Pings by itself, as browsers
 * do. Classic mode by default; {@link #connectJson} asks for the {@value #JSON_SUBPROTOCOL}
 * subprotocol.
 *
 * <pre>{@code
 * try (TestClient alice = TestClient.connectJson(server.ws("chat"))) {
 *   String id = alice.welcomeId();
 *   alice.send("{\"type\":\"message\",\"msg\":\"hi\"}");
 *   assertEquals("hi", alice.nextJson("message").get("msg").asText());
 * }
 * }</pre>
 *
 * <p>Every wait is bounded: by the timeout given, else by {@link #DEFAULT_TIMEOUT}, after which
 * the method fails with an {@link AssertionError}.
 */
public final class TestClient implements WebSocket.Listener, AutoCloseable {

  /** The subprotocol of JSON mode. */
  public static final String JSON_SUBPROTOCOL = "lobby.v1.json";

  /** How long the methods without a timeout wait. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient SHARED = HttpClient.newHttpClient();

  /** A received binary message, to tell it apart from text in {@link #nextMessage()}. */
  public record Binary(ByteBuffer data) {
    /** The message's bytes. */
    public byte[] bytes() {
      ByteBuffer copy = data.duplicate();
      byte[] bytes = new byte[copy.remaining()];
      copy.get(bytes);
      return bytes;
    }
  }

  /**
   * How the connection ended.
   *
   * @param code the close code the server sent, or -1 when the connection failed without one
   * @param reason the close reason, or the error's message
   */
  public record Closed(int code, String reason) {}

  private final LinkedBlockingQueue<Object> received = new LinkedBlockingQueue<>();
  private final CompletableFuture<Closed> closed = new CompletableFuture<>();
  private final StringBuilder text = new StringBuilder();
  private ByteBuffer binary = ByteBuffer.allocate(0);
  private final WebSocket socket;

  private TestClient(HttpClient http, URI uri, String subprotocol) {
    WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(DEFAULT_TIMEOUT);
    if (subprotocol != null) {
      builder.subprotocols(subprotocol);
    }
    socket = await(builder.buildAsync(uri, this), DEFAULT_TIMEOUT, "the WebSocket handshake");
  }

  /** Connects in classic mode (no subprotocol). */
  public static TestClient connect(URI uri) {
    return new TestClient(SHARED, uri, null);
  }

  /** Connects in JSON mode (subprotocol {@value #JSON_SUBPROTOCOL}). */
  public static TestClient connectJson(URI uri) {
    return new TestClient(SHARED, uri, JSON_SUBPROTOCOL);
  }

  /**
   * Connects through an HttpClient of the caller's (many clients can share one selector thread),
   * asking for a subprotocol, or none if {@code null}.
   */
  public static TestClient connect(HttpClient http, URI uri, String subprotocol) {
    return new TestClient(http, uri, subprotocol);
  }

  /** The underlying JDK WebSocket, for what this class does not offer. */
  public WebSocket socket() {
    return socket;
  }

  /** The subprotocol the server chose: {@value #JSON_SUBPROTOCOL}, or empty for classic mode. */
  public String subprotocol() {
    return socket.getSubprotocol();
  }

  // ---- WebSocket.Listener: runs on the HttpClient's threads, one call at a time.

  @Override
  public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
    text.append(data);
    if (last) {
      received.add(text.toString());
      text.setLength(0);
    }
    ws.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
    ByteBuffer joined = ByteBuffer.allocate(binary.remaining() + data.remaining());
    joined.put(binary).put(data).flip();
    binary = joined;
    if (last) {
      received.add(new Binary(binary.asReadOnlyBuffer()));
      binary = ByteBuffer.allocate(0);
    }
    ws.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
    closed.complete(new Closed(statusCode, reason));
    return null;
  }

  @Override
  public void onError(WebSocket ws, Throwable error) {
    closed.complete(new Closed(-1, String.valueOf(error)));
  }

  // ---- Sending

  /** Sends a text message and waits until it is handed to the socket. */
  public TestClient send(String message) {
    await(socket.sendText(message, true), DEFAULT_TIMEOUT, "sending text");
    return this;
  }

  /** Sends a JSON value (a record, a map, a {@link JsonNode}...) as a text message. */
  public TestClient sendJson(Object value) {
    try {
      return send(JSON.writeValueAsString(value));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** Sends a binary message and waits until it is handed to the socket. */
  public TestClient sendBinary(byte[] data) {
    await(socket.sendBinary(ByteBuffer.wrap(data), true), DEFAULT_TIMEOUT, "sending binary");
    return this;
  }

  // ---- Receiving

  /** The next message, text ({@link String}) or binary ({@link Binary}). */
  public Object nextMessage() {
    return nextMessage(DEFAULT_TIMEOUT);
  }

  /** The next message, text or binary, waiting up to {@code timeout}. */
  public Object nextMessage(Duration timeout) {
    try {
      Object message = received.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
      if (message == null) {
        throw new AssertionError(
            "no message within " + timeout + (closed.isDone() ? "; " + closed.join() : ""));
      }
      return message;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The next message, which must be text. */
  public String next() {
    return next(DEFAULT_TIMEOUT);
  }

  /** The next message, which must be text, waiting up to {@code timeout}. */
  public String next(Duration timeout) {
    Object message = nextMessage(timeout);
    if (!(message instanceof String text)) {
      throw new AssertionError("expected a text message, got " + message);
    }
    return text;
  }

  /** The next message, which must be binary. */
  public byte[] nextBinary() {
    Object message = nextMessage(DEFAULT_TIMEOUT);
    if (!(message instanceof Binary data)) {
      throw new AssertionError("expected a binary message, got " + message);
    }
    return data.bytes();
  }

  /** The next message, which must be a JSON text. */
  public JsonNode nextJson() {
    return parse(next());
  }

  /**
   * The next JSON message whose {@code type} is {@code type}, skipping the others (join notices,
   * say), waiting up to the default timeout in all.
   */
  public JsonNode nextJson(String type) {
    long deadline = System.nanoTime() + DEFAULT_TIMEOUT.toNanos();
    while (true) {
      Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
      JsonNode message = parse(next(left));
      if (type.equals(message.path("type").asText())) {
        return message;
      }
    }
  }

  /** Expects the next message to be exactly this text. */
  public void expect(String message) {
    String actual = next();
    if (!message.equals(actual)) {
      throw new AssertionError("expected <" + message + "> but got <" + actual + ">");
    }
  }

  /** Expects no message for this long. */
  public void expectNothing(Duration during) {
    try {
      Object message = received.poll(during.toNanos(), TimeUnit.NANOSECONDS);
      if (message != null) {
        throw new AssertionError("unexpected message: " + message);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Messages received and not yet taken, as they are (for diagnostics). */
  public int pending() {
    return received.size();
  }

  /** Drops every message received and not yet taken. */
  public void clear() {
    received.clear();
  }

  /**
   * Reads the welcome, the first message of a session, and returns the session id it announces:
   * {@code your id is <id>} in classic mode, {@code {"type":"welcome","id":...}} in JSON mode.
   */
  public String welcomeId() {
    String welcome = next();
    if (JSON_SUBPROTOCOL.equals(subprotocol())) {
      JsonNode json = parse(welcome);
      if (!"welcome".equals(json.path("type").asText())) {
        throw new AssertionError("expected a welcome, got " + welcome);
      }
      return json.get("id").asText();
    }
    if (!welcome.startsWith("your id is ")) {
      throw new AssertionError("expected a welcome, got " + welcome);
    }
    return welcome.substring("your id is ".length());
  }

  // ---- Closing

  /** Waits up to {@code timeout} for the connection to end, and returns how. */
  public Closed awaitClosed(Duration timeout) {
    return await(closed, timeout, "the connection to close");
  }

  /** Waits up to {@code timeout} for the connection to end, and returns the server's close code. */
  public int awaitClose(Duration timeout) {
    return awaitClosed(timeout).code();
  }

  /** Whether the connection has ended (the server's Close received, or an error). */
  public boolean isClosed() {
    return closed.isDone();
  }

  /**
   * Sends a Close (1000) unless the connection has ended, and waits up to the default timeout for
   * the server's answer. Idempotent.
   */
  @Override
  public void close() {
    close(WebSocket.NORMAL_CLOSURE, "bye");
  }

  /** Sends a Close with this code and reason, and waits for the server's answer. */
  public void close(int code, String reason) {
    if (!closed.isDone() && !socket.isOutputClosed()) {
      try {
        await(socket.sendClose(code, reason), DEFAULT_TIMEOUT, "sending Close");
      } catch (AssertionError e) {
        socket.abort();
        throw e;
      }
    }
    try {
      closed.get(DEFAULT_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      socket.abort();
    }
  }

  /** Drops the TCP connection without a close handshake. */
  public void abort() {
    socket.abort();
  }

  private static JsonNode parse(String text) {
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }

  private static <T> T await(CompletableFuture<T> future, Duration timeout, String what) {
    Objects.requireNonNull(future);
    try {
      return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("timed out after " + timeout + " waiting for " + what);
    } catch (ExecutionException e) {
      throw new AssertionError(what + " failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
