package io.github.lobby.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;

/**
 * One WebSocket, from its attempt to its end. The JDK calls the Listener methods one at a time;
 * they assemble whole text frames, hand them to the client's serial executor (the loop) and ask
 * for the next part at once (the JDK delivers nothing unrequested). Writes go out one at a time,
 * in order. The fields without {@code volatile} belong to the loop.
 */
final class Connection implements WebSocket.Listener {

  /** The client's side of a connection, called on the loop. */
  interface Owner {
    /** A whole text frame arrived. */
    void received(Connection connection, String text);

    /** It ended (the server's Close, an error) or was given up ({@link Connection#lost}). */
    void disconnected(Connection connection, int code, String reason);
  }

  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private final Owner owner;
  private final Executor loop;
  private final long idleTimeoutMs;
  private final StringBuilder text = new StringBuilder();
  private final ArrayDeque<String> outbox = new ArrayDeque<>();
  volatile WebSocket ws;
  private volatile long lastReceived = System.nanoTime();
  private CompletableFuture<WebSocket> handshake;
  /** The connect timeout: given up when no welcome came by then. */
  ScheduledFuture<?> deadline;
  private ScheduledFuture<?> idleCheck;
  private CompletableFuture<Void> closing;
  /** The token of the upgrade, or of the last refresh. */
  String token;
  /** What the attempt asked to be replayed after, -1 for nothing, and in which epoch. */
  long since = -1;
  String sinceEpoch;
  /** Whether the attempt named a session to resume. */
  boolean askedResume;
  boolean welcomed;
  private boolean writing;
  boolean ended;

  Connection(Owner owner, Executor loop, long idleTimeoutMs) {
    this.owner = owner;
    this.loop = loop;
    this.idleTimeoutMs = idleTimeoutMs;
  }

  /** Starts the upgrade; the stage completes when it succeeded or failed. */
  CompletableFuture<WebSocket> open(
      HttpClient http, URI uri, String subprotocol, Duration connectTimeout) {
    WebSocket.Builder builder =
        http.newWebSocketBuilder().subprotocols(subprotocol).connectTimeout(connectTimeout);
    try {
      handshake = builder.buildAsync(uri, this);
    } catch (RuntimeException e) {
      handshake = CompletableFuture.failedFuture(e);
    }
    return handshake;
  }

  /** Writes one text frame after those before it (the JDK takes one send at a time). */
  void write(String frame) {
    outbox.add(frame);
    pump();
  }

  private void pump() {
    if (writing || ended || ws == null || outbox.isEmpty()) {
      return;
    }
    writing = true;
    String frame = outbox.poll();
    ws.sendText(frame, true)
        .whenComplete(
            (done, error) ->
                loop.execute(
                    () -> {
                      writing = false;
                      if (error != null) {
                        lost(-1, "writing failed: " + CloseRules.rootCause(error));
                      } else {
                        pump();
                      }
                    }));
  }

  /**
   * Gives this connection up from the client's side: the socket is dropped without a Close, so
   * that a server that resumes sessions keeps this one for the reconnect.
   */
  void lost(int code, String reason) {
    if (ended) {
      return;
    }
    ended = true;
    cancelTimers();
    WebSocket socket = ws;
    if (socket != null) {
      socket.abort();
    } else if (handshake != null) {
      handshake.cancel(true);
    }
    owner.disconnected(this, code, reason);
  }

  void cancelTimers() {
    if (deadline != null) {
      deadline.cancel(false);
    }
    if (idleCheck != null) {
      idleCheck.cancel(false);
    }
  }

  /**
   * Closes with 1000, for {@link LobbyClient#close()}; {@code done} completes when the server's
   * Close came, or after {@code CLOSE_TIMEOUT}. A handshake under way is cancelled (should it end
   * all the same, the client aborts its socket when it opens).
   */
  void close(CompletableFuture<Void> done) {
    closing = done;
    cancelTimers();
    WebSocket socket = ws;
    if (ended || socket == null) {
      ended = true;
      if (handshake != null) {
        handshake.cancel(true);
      }
      done.complete(null);
      return;
    }
    ended = true;
    socket
        .sendClose(WebSocket.NORMAL_CLOSURE, "")
        .whenComplete(
            (sent, error) -> {
              if (error != null) {
                loop.execute(this::closeEnded);
              }
            });
    SharedThreads.schedule(loop, CLOSE_TIMEOUT.toMillis(), this::closeEnded);
  }

  private void closeEnded() {
    WebSocket socket = ws;
    if (socket != null) {
      socket.abort();
    }
    closing.complete(null);
  }

  /** While welcomed: drops the connection when nothing arrived for the idle timeout. */
  void watchIdle() {
    if (idleTimeoutMs <= 0 || ended) {
      return;
    }
    long quiet = (System.nanoTime() - lastReceived) / 1_000_000;
    if (quiet >= idleTimeoutMs) {
      lost(-1, "nothing received for " + idleTimeoutMs + " ms");
      return;
    }
    idleCheck = SharedThreads.schedule(loop, idleTimeoutMs - quiet, this::watchIdle);
  }

  /** The connection ended by itself: the server's Close, or an error. */
  private void ended(int code, String reason) {
    if (closing != null) {
      closing.complete(null);
      return;
    }
    if (ended) {
      return;
    }
    ended = true;
    cancelTimers();
    owner.disconnected(this, code, reason);
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    ws = webSocket;
    lastReceived = System.nanoTime();
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    lastReceived = System.nanoTime();
    text.append(data);
    if (last) {
      String frame = text.toString();
      text.setLength(0);
      loop.execute(() -> owner.received(this, frame));
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    lastReceived = System.nanoTime();
    webSocket.request(1); // the protocol's binary echo; this client sends none
    return null;
  }

  @Override
  public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
    lastReceived = System.nanoTime();
    webSocket.request(1); // the JDK answers with a Pong by itself
    return null;
  }

  @Override
  public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
    lastReceived = System.nanoTime();
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    loop.execute(() -> ended(statusCode, reason));
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    loop.execute(() -> ended(-1, String.valueOf(CloseRules.rootCause(error))));
  }
}
