package io.github.lobby.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A client of one Lobby room, in JSON mode ({@value #SUBPROTOCOL}), that keeps its session
 * through lost connections: it reconnects with backoff, resumes its session, gets the messages it
 * missed, refreshes its token before it expires and sends again what the server has not
 * acknowledged, so that the application sees every message of the room once and in order, and
 * learns, through {@link Listener#onReset}, when that could not be kept.
 *
 * <pre>{@code
 * LobbyClient client =
 *     LobbyClient.builder(URI.create("ws://127.0.0.1:8081"), "team-1")
 *         .tokenSupplier(() -> myBackend.fetchToken())
 *         .listener(new LobbyClient.Listener() {
 *           public void onMessage(Message m) { show(m.id(), m.msg()); }
 *           public void onReset(String reason) { reloadFromApplication(); }
 *         })
 *         .build();
 * client.connect().toCompletableFuture().join();
 * client.send(Map.of("text", "hello")).thenAccept(ack -> markSent(ack.offset()));
 * }</pre>
 *
 * <h2>Connections</h2>
 *
 * <p>A lost connection (a network error, or a close that is not final) is replaced after a delay
 * drawn at random between 0 and {@code initial × 2^attempts}, capped at {@code max} ("full
 * jitter", so that the clients of a restarted server do not all come back at once); the attempts
 * count again from 0 after each {@code welcome}. What ends the client for good (state {@link
 * State#CLOSED}, no reconnect):
 *
 * <table>
 *   <caption>How the client answers closes and refusals</caption>
 *   <tr><th>event</th><th>the client</th></tr>
 *   <tr><td>{@link #close()}</td><td>closes with 1000; final</td></tr>
 *   <tr><td>close 4002 (resumed elsewhere)</td><td>final: {@link
 *       LobbyClientException#SESSION_RESUMED}</td></tr>
 *   <tr><td>HTTP 400, 403 on upgrade</td><td>final: {@link LobbyClientException#BAD_REQUEST},
 *       {@link LobbyClientException#FORBIDDEN}</td></tr>
 *   <tr><td>close 4001 (token expired), HTTP 401</td><td>with a token supplier: asks it for a
 *       new token and reconnects with backoff; without one, final ({@link
 *       LobbyClientException#TOKEN_EXPIRED}, {@link LobbyClientException#UNAUTHORIZED})</td></tr>
 *   <tr><td>close 1001, 1012, 1013 or any other code, HTTP 429, 503 or any other status, a
 *       network error</td><td>reconnects with backoff</td></tr>
 * </table>
 *
 * <p>Each reconnect names the session ({@code resume}, {@code key}) when the server gave a resume
 * key, and the last offset and epoch ({@code since}, {@code epoch}) when the server keeps a
 * history. A message whose offset the client already delivered is dropped. When messages may
 * have been missed, {@link Listener#onReset} says why: {@value #RESET_RECOVERED_FALSE} (a reconnect
 * whose messages the server could not replay, or a server without a history), {@value
 * #RESET_NEW_EPOCH} (the room started again: a restarted server), {@value #RESET_HISTORY_RESET}
 * (the server's {@code history_reset} error frame), {@value #RESET_GAP} (an offset was skipped).
 *
 * <h2>Sends</h2>
 *
 * <p>{@link #send}, {@link #whisper} and {@link #whisperUser} give every frame a reference
 * ({@code ref}) unique in this client, and complete with the server's {@code ack}, or fail with
 * its {@code error} frame's code. While the client is not connected, sends wait, up to {@link
 * Builder#maxQueued} of them, and go out in order after the next {@code welcome}; beyond, a send
 * fails at once with {@link LobbyClientException#QUEUE_FULL}. Sends written to a connection that
 * was lost before their answer are written again, with the same references and before the
 * waiting ones, when the session is resumed (the server answers a reference it has seen with its
 * first outcome, so nothing is broadcast twice); when the reconnect makes a new session they fail
 * with {@link LobbyClientException#OUTCOME_UNKNOWN}.
 *
 * <h2>Tokens</h2>
 *
 * <p>A fixed {@link Builder#token} is sent on every connect. A {@link Builder#tokenSupplier} is
 * asked at every connect and reconnect, and, when the token is a JWT with an {@code exp} claim,
 * again at three quarters of its remaining life, to extend the session with a {@code refresh}
 * frame (and then at three quarters of the life the server's {@code refreshed} answer gives). The
 * token travels in the {@code token} query parameter of the upgrade.
 *
 * <h2>Threads</h2>
 *
 * <p>Every public method may be called from any thread and returns at once. The client's state
 * is kept by one internal serial executor (its tasks run one at a time on a small shared pool of
 * daemon threads), so no lock is held while the application's code runs. The {@link Listener}'s
 * methods, and the completion of every stage this class returns, run on {@link Builder#executor},
 * one at a time and in the order the events came; by default on a serial executor of the client's
 * own (daemon threads of the same shared pool), so that a listener needs no synchronization of
 * its own. A listener should not block for long: events for it wait meanwhile. The getters read a
 * snapshot that the internal executor updates as frames arrive, ahead of the listener.
 */
public final class LobbyClient {

  /** The subprotocol of JSON mode, the only mode this client speaks. */
  public static final String SUBPROTOCOL = "lobby.v1.json";

  /**
   * A reset reason: a reconnect's {@code welcome} did not say {@code "recovered":true}: the
   * history no longer reached back to the last offset, or the server keeps none.
   */
  public static final String RESET_RECOVERED_FALSE = "recovered_false";

  /** A reset reason: the server's {@code history_reset} error frame (a cluster node was lost). */
  public static final String RESET_HISTORY_RESET = "history_reset";

  /** A reset reason: a reconnect found the room in another epoch (it started again). */
  public static final String RESET_NEW_EPOCH = "new_epoch";

  /** A reset reason: a message's offset skipped one or more offsets within a connection. */
  public static final String RESET_GAP = "gap";

  /** The default first backoff cap: the first reconnect waits up to this long. */
  public static final Duration DEFAULT_BACKOFF_INITIAL = Duration.ofMillis(250);

  /** The default largest backoff: no reconnect waits longer. */
  public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofSeconds(10);

  /** The default bound of sends waiting to be written. */
  public static final int DEFAULT_MAX_QUEUED = 100;

  /**
   * The default bound of sends written but not answered; below the server's default window of
   * remembered references ({@code lobby.recovery.ref-window}, 256), which a resend must not outrun.
   */
  public static final int DEFAULT_MAX_IN_FLIGHT = 128;

  static final System.Logger LOG = System.getLogger(LobbyClient.class.getName());

  private static final Pattern ROOM = Pattern.compile("[A-Za-z0-9\\-_.~:]{1,128}");
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
  private static final int CODE_TOKEN_EXPIRED = 4001;
  private static final int CODE_SESSION_RESUMED = 4002;

  private static final AtomicInteger THREADS = new AtomicInteger();
  private static final ExecutorService POOL =
      Executors.newCachedThreadPool(
          task -> {
            Thread thread = new Thread(task, "lobby-client-" + THREADS.incrementAndGet());
            thread.setDaemon(true);
            return thread;
          });
  private static final ScheduledThreadPoolExecutor TIMER = timer();
  private static volatile HttpClient sharedHttp;

  /** The connection states, as {@link Listener#onState} reports them. */
  public enum State {
    /** Connecting for the first time, retries included: no welcome yet. */
    CONNECTING,
    /** A welcome came on the current connection; sends go out at once. */
    OPEN,
    /** The connection was lost after a welcome; the client is reconnecting. */
    RECONNECTING,
    /** Not connected and not trying: before {@link #connect()}, and for good after a close. */
    CLOSED
  }

  /**
   * What a client tells its application. Every method has an empty default; they run on the
   * builder's {@link Builder#executor}, one at a time, in the order of the events. An exception
   * thrown by one is logged and otherwise ignored.
   */
  public interface Listener {

    /** A {@code welcome}: after the first connect and after every reconnect. */
    default void onWelcome(Welcome welcome) {}

    /** A broadcast to the room, once, in offset order (replayed ones included). */
    default void onMessage(Message message) {}

    /** Another session joined the room. */
    default void onJoined(Joined joined) {}

    /** A member left the room. */
    default void onLeft(Left left) {}

    /** A private message to this session. */
    default void onWhisper(Whisper whisper) {}

    /** A {@code members} answer (also completes the stage of {@link LobbyClient#members()}). */
    default void onMembers(Members members) {}

    /**
     * An {@code error} frame of the server, those that fail a send included (a {@code
     * history_reset} is told through {@link #onReset} instead).
     */
    default void onError(ServerError error) {}

    /** The client's state changed. */
    default void onState(State state) {}

    /**
     * Messages of the room may have been missed: get the application's state again some other
     * way. The reason is one of {@link LobbyClient#RESET_RECOVERED_FALSE}, {@link
     * LobbyClient#RESET_NEW_EPOCH}, {@link LobbyClient#RESET_HISTORY_RESET}, {@link
     * LobbyClient#RESET_GAP}. After a reconnect it comes after the {@link #onWelcome} and before
     * the messages that follow it.
     */
    default void onReset(String reason) {}

    /**
     * A connection attempt ended, or a connection was lost: with the server's close code (4001,
     * 1001...), with the HTTP status of a refused upgrade (401, 503...), or with -1 for a network
     * error. For logs and tests; what the client does next is told by {@link #onState}.
     */
    default void onDisconnected(int code, String reason) {}
  }

  /**
   * A new builder.
   *
   * @param baseUri the server, {@code ws://host:port} or {@code wss://host:port} ({@code http}
   *     and {@code https} are taken as {@code ws} and {@code wss}), optionally with a path prefix
   *     that a proxy in front of the server strips
   * @param room the room's name: 1 to 128 characters of {@code A-Z a-z 0-9 - _ . ~ :}
   */
  public static Builder builder(URI baseUri, String room) {
    return new Builder(baseUri, room);
  }

  /** Configures and builds a {@link LobbyClient}. Not thread-safe; build once, use the client. */
  public static final class Builder {
    private final URI baseUri;
    private final String room;
    private String token;
    private Supplier<? extends CompletionStage<String>> tokenSupplier;
    private Duration backoffInitial = DEFAULT_BACKOFF_INITIAL;
    private Duration backoffMax = DEFAULT_BACKOFF_MAX;
    private int maxQueued = DEFAULT_MAX_QUEUED;
    private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
    private Executor executor;
    private Listener listener = new Listener() {};
    private HttpClient httpClient;

    private Builder(URI baseUri, String room) {
      this.baseUri = Objects.requireNonNull(baseUri, "baseUri");
      this.room = Objects.requireNonNull(room, "room");
      if (!ROOM.matcher(room).matches() || room.equals(".") || room.equals("..")) {
        throw new IllegalArgumentException(
            "a room name is 1 to 128 characters of A-Z a-z 0-9 - _ . ~ :, other than . and ..");
      }
      String scheme = baseUri.getScheme();
      if (scheme == null || !List.of("ws", "wss", "http", "https").contains(scheme)) {
        throw new IllegalArgumentException("the base URI must be ws, wss, http or https");
      }
      if (baseUri.getRawQuery() != null || baseUri.getRawFragment() != null) {
        throw new IllegalArgumentException("the base URI must have no query and no fragment");
      }
    }

    /** A fixed token, sent on every connect (the {@code token} query parameter). */
    public Builder token(String token) {
      this.token = Objects.requireNonNull(token, "token");
      return this;
    }

    /**
     * Where tokens come from: asked before every connect and reconnect and, for a JWT with an
     * {@code exp} claim, before it expires, to refresh the session. Its stage may complete on any
     * thread. A failed stage counts as a failed connection attempt (retried with backoff) or a
     * failed refresh (tried again later). Replaces {@link #token}.
     */
    public Builder tokenSupplier(Supplier<? extends CompletionStage<String>> tokenSupplier) {
      this.tokenSupplier = Objects.requireNonNull(tokenSupplier, "tokenSupplier");
      return this;
    }

    /**
     * The reconnect delays: a random delay up to {@code initial}, then up to twice as long at
     * each failed attempt, never over {@code max}. Defaults {@link #DEFAULT_BACKOFF_INITIAL}
     * (250 ms) and {@link #DEFAULT_BACKOFF_MAX} (10 s).
     */
    public Builder backoff(Duration initial, Duration max) {
      if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
        throw new IllegalArgumentException("backoff: 0 < initial <= max");
      }
      this.backoffInitial = initial;
      this.backoffMax = max;
      return this;
    }

    /**
     * How many sends may wait to be written (while not connected, or while {@link #maxInFlight}
     * are unanswered); beyond, a send fails with {@link LobbyClientException#QUEUE_FULL}. Default
     * {@value #DEFAULT_MAX_QUEUED}.
     */
    public Builder maxQueued(int maxQueued) {
      if (maxQueued < 0) {
        throw new IllegalArgumentException("maxQueued must not be negative");
      }
      this.maxQueued = maxQueued;
      return this;
    }

    /**
     * How many sends may be written and not yet answered; the others wait in the queue. It must
     * not exceed the server's {@code lobby.recovery.ref-window}: a send resent after a resume
     * must still be remembered there to be answered rather than broadcast again. Default {@value
     * #DEFAULT_MAX_IN_FLIGHT}.
     */
    public Builder maxInFlight(int maxInFlight) {
      if (maxInFlight < 1) {
        throw new IllegalArgumentException("maxInFlight must be at least 1");
      }
      this.maxInFlight = maxInFlight;
      return this;
    }

    /**
     * Where the listener's methods and the completions of the returned stages run. They are
     * given to it one at a time, in order, each after the previous one returned, so even a
     * multi-threaded executor runs them one at a time. Default: a serial executor on the client's
     * shared daemon threads.
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /** Who is told the client's events; by default nobody. */
    public Builder listener(Listener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** The HttpClient that opens the WebSockets; by default one shared by all clients. */
    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
      return this;
    }

    /** A client with this configuration, not yet connected (state {@link State#CLOSED}). */
    public LobbyClient build() {
      return new LobbyClient(this);
    }
  }

  // ---- Configuration

  private final String base;
  private final String room;
  private final String fixedToken;
  private final Supplier<? extends CompletionStage<String>> tokenSupplier;
  private final long backoffInitialMs;
  private final long backoffMaxMs;
  private final int maxQueued;
  private final int maxInFlight;
  private final Listener listener;
  private final HttpClient http;
  private final String refPrefix;

  /** Where the client's state lives: every field below is read and written only by its tasks. */
  private final SerialExecutor loop = new SerialExecutor(POOL);

  /** Where the listener and the completions run, one at a time (see the class comment). */
  private final SerialExecutor callbacks;

  // ---- State, owned by the loop

  private State state = State.CLOSED;
  private boolean started;
  private boolean stopped;
  private LobbyClientException stopCause;
  private final CompletableFuture<Welcome> connected = new CompletableFuture<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private boolean welcomedOnce;
  private Connection current;
  private int attempts;
  private long timerGeneration;
  private ScheduledFuture<?> reconnectTimer;
  private ScheduledFuture<?> refreshTimer;
  private boolean refreshing;
  private Instant expiresAt;
  private String sessionId;
  private String resumeKey;
  private String epoch;
  private long lastOffset = -1;
  private long refs;
  private final LinkedHashMap<String, Pending> inFlight = new LinkedHashMap<>();
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private final ArrayDeque<CompletableFuture<Members>> membersAsked = new ArrayDeque<>();

  // ---- Snapshot for the getters, written by the loop

  private volatile State publicState = State.CLOSED;
  private volatile String publicId;
  private volatile String publicEpoch;
  private volatile long publicOffset = -1;
  private volatile LobbyClientException publicStopCause;

  private LobbyClient(Builder builder) {
    String uri = builder.baseUri.toString();
    if (uri.startsWith("http")) {
      uri = "ws" + uri.substring(4);
    }
    while (uri.endsWith("/")) {
      uri = uri.substring(0, uri.length() - 1);
    }
    this.base = uri;
    this.room = builder.room;
    this.fixedToken = builder.token;
    this.tokenSupplier = builder.tokenSupplier;
    this.backoffInitialMs = Math.max(1, builder.backoffInitial.toMillis());
    this.backoffMaxMs = Math.max(backoffInitialMs, builder.backoffMax.toMillis());
    this.maxQueued = builder.maxQueued;
    this.maxInFlight = builder.maxInFlight;
    this.listener = builder.listener;
    this.http = builder.httpClient != null ? builder.httpClient : sharedHttp();
    this.callbacks = new SerialExecutor(builder.executor != null ? builder.executor : POOL);
    this.refPrefix = randomPrefix();
  }

  // ---- Public API

  /**
   * Connects, and keeps connecting until closed. The stage completes with the first {@code
   * welcome}; it fails with a {@link LobbyClientException} when the server refuses for good
   * (HTTP 400, 403, or 401 without a token supplier: {@link LobbyClientException#status()} is
   * the status) or when {@link #close()} comes first. A network error does not fail it: the
   * client retries with backoff. Calling it again returns the same stage.
   */
  public CompletionStage<Welcome> connect() {
    loop.execute(
        () -> {
          if (started) {
            return;
          }
          started = true;
          setState(State.CONNECTING);
          attempt();
        });
    return connected;
  }

  /**
   * Broadcasts a value to the room: a {@link JsonNode}, a {@link String} (sent as a JSON
   * string), or any object that Jackson can write (a map, a record...). The stage completes
   * with the server's ack (after this client's own copy of the message reached {@link
   * Listener#onMessage}), or fails with a {@link LobbyClientException}: the server's error code
   * ({@code forbidden}, ...), {@link LobbyClientException#QUEUE_FULL}, {@link
   * LobbyClientException#OUTCOME_UNKNOWN} or {@link LobbyClientException#CLOSED}.
   */
  public CompletionStage<Ack> send(Object value) {
    return submit("message", null, null, value);
  }

  /**
   * Sends a value to one session, in whatever room; completes when it was delivered, fails with
   * {@code no_session} when there is no such session (and as {@link #send} says otherwise).
   */
  public CompletionStage<Ack> whisper(String sessionId, Object value) {
    return submit("whisper", "to", Objects.requireNonNull(sessionId, "sessionId"), value);
  }

  /**
   * Sends a value to every session of a user, on a server that authenticates sessions; fails
   * with {@code no_user} when the user has none (and as {@link #send} says otherwise).
   */
  public CompletionStage<Ack> whisperUser(String user, Object value) {
    return submit("whisper", "user", Objects.requireNonNull(user, "user"), value);
  }

  /**
   * Asks the room's members. Asked while not connected, the question goes out after the next
   * welcome; a question whose answer a lost connection took is asked again. Fails with {@link
   * LobbyClientException#CLOSED} when the client closes first.
   */
  public CompletionStage<Members> members() {
    CompletableFuture<Members> answer = new CompletableFuture<>();
    loop.execute(
        () -> {
          if (stopped) {
            fail(answer, closedException());
            return;
          }
          membersAsked.add(answer);
          if (isOpen()) {
            current.write("{\"type\":\"members\"}");
          }
        });
    return answer;
  }

  /**
   * Closes the client for good: the connection with 1000 (its session leaves the room at once),
   * no reconnect, waiting sends and unanswered ones fail with {@link
   * LobbyClientException#CLOSED}. The stage completes when the connection is closed (the
   * server's Close came, or after 5 s without it). Closing a closed client completes at once.
   */
  public CompletionStage<Void> close() {
    loop.execute(
        () -> {
          if (stopped) {
            if (current == null) {
              closed.complete(null);
            }
            return;
          }
          stop(closedException());
          Connection connection = current;
          if (connection == null) {
            closed.complete(null);
            return;
          }
          WebSocket ws = connection.ws;
          if (ws == null) {
            // The handshake is under way: cancelled, and should it end all the same, its end
            // aborts the socket (see opened).
            current = null;
            if (connection.handshake != null) {
              connection.handshake.cancel(true);
            }
            closed.complete(null);
            return;
          }
          ws.sendClose(WebSocket.NORMAL_CLOSURE, "")
              .whenComplete(
                  (done, error) -> {
                    if (error != null) {
                      loop.execute(() -> finishClose(connection));
                    }
                  });
          schedule(CLOSE_TIMEOUT.toMillis(), () -> finishClose(connection));
        });
    return closed.thenApplyAsync(done -> null, callbacks);
  }

  /** This session's id, from the last welcome; empty before the first. */
  public Optional<String> id() {
    return Optional.ofNullable(publicId);
  }

  /** The client's state now. */
  public State state() {
    return publicState;
  }

  /** The room's epoch, from the last welcome or {@code history_reset}; empty without history. */
  public Optional<String> epoch() {
    return Optional.ofNullable(publicEpoch);
  }

  /**
   * The offset of the last message received (the last welcome's, or {@code history_reset}'s,
   * when none came since); empty without history. A reconnect asks for what came after it.
   */
  public OptionalLong offset() {
    long offset = publicOffset;
    return offset < 0 ? OptionalLong.empty() : OptionalLong.of(offset);
  }

  /**
   * Why the client stopped, when a refusal or a close code stopped it (not after {@link
   * #close()}): {@link LobbyClientException#FORBIDDEN}, {@link
   * LobbyClientException#TOKEN_EXPIRED}, {@link LobbyClientException#SESSION_RESUMED}...
   */
  public Optional<LobbyClientException> closeCause() {
    return Optional.ofNullable(publicStopCause);
  }

  // ---- Sends

  /** A send: its frame (without {@code ref} until it is given one) and its stage. */
  private static final class Pending {
    final ObjectNode frame;
    final CompletableFuture<Ack> answer;
    String ref;
    String text;

    Pending(ObjectNode frame, CompletableFuture<Ack> answer) {
      this.frame = frame;
      this.answer = answer;
    }
  }

  private CompletionStage<Ack> submit(String type, String field, String target, Object value) {
    CompletableFuture<Ack> answer = new CompletableFuture<>();
    ObjectNode frame = Frames.JSON.createObjectNode();
    frame.put("type", type);
    if (field != null) {
      frame.put(field, target);
    }
    try {
      frame.set("msg", toJson(value));
    } catch (IllegalArgumentException e) {
      answer.completeExceptionally(e);
      return answer;
    }
    loop.execute(() -> enqueue(new Pending(frame, answer)));
    return answer;
  }

  /** The value as JSON, a copy of the caller's, which it may change once this returns. */
  private static JsonNode toJson(Object value) {
    if (value instanceof JsonNode node) {
      return node.deepCopy();
    }
    if (value instanceof CharSequence text) {
      return TextNode.valueOf(text.toString());
    }
    return Frames.JSON.valueToTree(value);
  }

  private void enqueue(Pending pending) {
    if (stopped) {
      fail(pending.answer, closedException());
      return;
    }
    pending.ref = refPrefix + (++refs);
    pending.frame.put("ref", pending.ref);
    try {
      pending.text = Frames.JSON.writeValueAsString(pending.frame);
    } catch (JsonProcessingException e) {
      fail(pending.answer, new IllegalArgumentException("the value cannot be written", e));
      return;
    }
    if (isOpen() && queue.isEmpty() && inFlight.size() < maxInFlight) {
      write(pending);
    } else if (queue.size() < maxQueued) {
      queue.add(pending);
    } else {
      fail(
          pending.answer,
          new LobbyClientException(
              LobbyClientException.QUEUE_FULL,
              maxQueued + " sends already wait to be written (maxQueued); this one was not taken"));
    }
  }

  private void write(Pending pending) {
    inFlight.put(pending.ref, pending);
    current.write(pending.text);
  }

  /** Writes waiting sends while the connection is open and fewer than maxInFlight are out. */
  private void flush() {
    while (isOpen() && !queue.isEmpty() && inFlight.size() < maxInFlight) {
      write(queue.poll());
    }
  }

  private boolean isOpen() {
    return state == State.OPEN && current != null && current.welcomed;
  }

  // ---- Connecting

  private void attempt() {
    reconnectTimer = null;
    if (stopped) {
      return;
    }
    Connection connection = new Connection();
    current = connection;
    CompletionStage<String> token;
    if (tokenSupplier != null) {
      try {
        token = tokenSupplier.get();
      } catch (RuntimeException e) {
        token = CompletableFuture.failedFuture(e);
      }
    } else {
      token = CompletableFuture.completedFuture(fixedToken);
    }
    token.whenComplete(
        (value, error) ->
            loop.execute(
                () -> {
                  if (connection != current) {
                    return;
                  }
                  if (error != null) {
                    disconnected(connection, -1, "the token supplier failed: " + error);
                    return;
                  }
                  open(connection, value);
                }));
  }

  private void open(Connection connection, String token) {
    connection.token = token;
    URI uri = target(token);
    WebSocket.Builder builder =
        http.newWebSocketBuilder().subprotocols(SUBPROTOCOL).connectTimeout(CONNECT_TIMEOUT);
    CompletableFuture<WebSocket> handshake;
    try {
      handshake = builder.buildAsync(uri, connection);
    } catch (RuntimeException e) {
      handshake = CompletableFuture.failedFuture(e);
    }
    connection.handshake = handshake;
    handshake.whenComplete((ws, error) -> loop.execute(() -> opened(connection, ws, error)));
  }

  private void opened(Connection connection, WebSocket ws, Throwable error) {
    if (connection != current) {
      if (ws != null) {
        ws.abort();
      }
      return;
    }
    if (error == null) {
      connection.ws = ws;
      return;
    }
    int status = httpStatus(error);
    current = null;
    notifyDisconnected(status, status > 0 ? "HTTP " + status : String.valueOf(rootCause(error)));
    switch (status) {
      case 400 ->
          stop(refused(LobbyClientException.BAD_REQUEST, "the server refused the upgrade", error));
      case 403 ->
          stop(
              refused(LobbyClientException.FORBIDDEN, "the token does not allow this room", error));
      case 401 -> {
        if (tokenSupplier == null) {
          stop(
              refused(
                  LobbyClientException.UNAUTHORIZED,
                  "the server does not accept the token, and there is no token supplier",
                  error));
        } else {
          reconnectLater();
        }
      }
      default -> reconnectLater();
    }
  }

  private static LobbyClientException refused(String code, String message, Throwable error) {
    int status = httpStatus(error);
    return new LobbyClientException(code, message + " (HTTP " + status + ")", status, error);
  }

  private URI target(String token) {
    StringBuilder uri = new StringBuilder(base).append('/').append(room);
    char separator = '?';
    List<String[]> query = new ArrayList<>();
    if (token != null) {
      query.add(new String[] {"token", token});
    }
    if (sessionId != null && resumeKey != null) {
      query.add(new String[] {"resume", sessionId});
      query.add(new String[] {"key", resumeKey});
    }
    if (epoch != null && lastOffset >= 0) {
      query.add(new String[] {"since", Long.toString(lastOffset)});
      query.add(new String[] {"epoch", epoch});
    }
    for (String[] parameter : query) {
      uri.append(separator)
          .append(parameter[0])
          .append('=')
          .append(URLEncoder.encode(parameter[1], StandardCharsets.UTF_8));
      separator = '&';
    }
    return URI.create(uri.toString());
  }

  /** The connection ended (or never opened): decide between reconnecting and stopping. */
  private void disconnected(Connection connection, int code, String reason) {
    if (connection != current) {
      return;
    }
    current = null;
    if (stopped) {
      closed.complete(null);
      return;
    }
    notifyDisconnected(code, reason);
    if (code == CODE_SESSION_RESUMED) {
      stop(
          new LobbyClientException(
              LobbyClientException.SESSION_RESUMED,
              "another connection resumed this session (close 4002)",
              code,
              null));
    } else if (code == CODE_TOKEN_EXPIRED && tokenSupplier == null) {
      stop(
          new LobbyClientException(
              LobbyClientException.TOKEN_EXPIRED,
              "the token expired (close 4001), and there is no token supplier",
              code,
              null));
    } else {
      reconnectLater();
    }
  }

  private void reconnectLater() {
    cancelRefresh();
    setState(welcomedOnce ? State.RECONNECTING : State.CONNECTING);
    long cap = backoffInitialMs << Math.min(attempts, 20);
    if (cap <= 0 || cap > backoffMaxMs) {
      cap = backoffMaxMs;
    }
    attempts++;
    long delay = ThreadLocalRandom.current().nextLong(cap + 1);
    long generation = ++timerGeneration;
    reconnectTimer =
        schedule(
            delay,
            () -> {
              if (generation == timerGeneration && !stopped && current == null) {
                attempt();
              }
            });
  }

  /**
   * Stops for good: state CLOSED, every stage that waits fails. {@code cause} is what {@link
   * #connect()} fails with; the sends fail with {@link LobbyClientException#CLOSED}.
   */
  private void stop(LobbyClientException cause) {
    if (stopped) {
      return;
    }
    stopped = true;
    started = true;
    if (!LobbyClientException.CLOSED.equals(cause.code())) {
      stopCause = cause;
      publicStopCause = cause;
    }
    timerGeneration++;
    if (reconnectTimer != null) {
      reconnectTimer.cancel(false);
      reconnectTimer = null;
    }
    cancelRefresh();
    setState(State.CLOSED);
    LobbyClientException sendsFail =
        stopCause == null
            ? cause
            : new LobbyClientException(
                LobbyClientException.CLOSED,
                "the client stopped: " + stopCause.getMessage(),
                stopCause.status(),
                stopCause);
    for (Pending pending : inFlight.values()) {
      fail(pending.answer, sendsFail);
    }
    inFlight.clear();
    for (Pending pending : queue) {
      fail(pending.answer, sendsFail);
    }
    queue.clear();
    for (CompletableFuture<Members> answer : membersAsked) {
      fail(answer, sendsFail);
    }
    membersAsked.clear();
    fail(connected, cause);
    if (current == null) {
      closed.complete(null);
    }
  }

  private LobbyClientException closedException() {
    return stopCause != null
        ? new LobbyClientException(
            LobbyClientException.CLOSED,
            "the client stopped: " + stopCause.getMessage(),
            stopCause.status(),
            stopCause)
        : new LobbyClientException(LobbyClientException.CLOSED, "the client is closed");
  }

  private void finishClose(Connection connection) {
    if (connection == current) {
      current = null;
      if (connection.ws != null) {
        connection.ws.abort();
      }
    }
    closed.complete(null);
  }

  // ---- Frames

  private void received(Connection connection, String text) {
    if (connection != current || stopped) {
      return;
    }
    JsonNode frame;
    try {
      frame = Frames.JSON.readTree(text);
    } catch (JsonProcessingException e) {
      LOG.log(System.Logger.Level.WARNING, "a frame of the server is not JSON; ignored");
      return;
    }
    if (frame == null || !frame.isObject()) {
      return;
    }
    String type = frame.path("type").asText();
    if (!connection.welcomed) {
      if (type.equals("welcome")) {
        welcome(connection, frame);
      }
      return;
    }
    switch (type) {
      case "message" -> message(frame);
      case "ack" -> ack(frame);
      case "error" -> error(frame);
      case "joined" -> dispatch(listener::onJoined, Frames.joined(frame));
      case "left" -> dispatch(listener::onLeft, Frames.left(frame));
      case "whisper" -> dispatch(listener::onWhisper, Frames.whisper(frame));
      case "members" -> members(frame);
      case "refreshed" -> refreshed(frame);
      default -> {
        // A frame type of a later protocol version: ignored, as the protocol asks of clients.
      }
    }
  }

  private void welcome(Connection connection, JsonNode frame) {
    Welcome welcome = Frames.welcome(frame);
    boolean recovered = welcome.recovered().orElse(false);
    boolean resumed = welcome.resumed().orElse(false);
    String reset = null;
    if (welcomedOnce) {
      if (epoch != null && !epoch.equals(welcome.epoch().orElse(null))) {
        reset = RESET_NEW_EPOCH;
      } else if (!recovered) {
        reset = RESET_RECOVERED_FALSE;
      }
    }
    epoch = welcome.epoch().orElse(null);
    if (!recovered) {
      lastOffset = welcome.offset().orElse(-1);
    }
    sessionId = welcome.id();
    resumeKey = welcome.resumeKey().orElse(null);
    publicId = sessionId;
    publicEpoch = epoch;
    publicOffset = lastOffset;
    connection.welcomed = true;
    welcomedOnce = true;
    attempts = 0;
    expiresAt = connection.token == null ? null : Frames.jwtExpiry(connection.token);

    dispatch(listener::onWelcome, welcome);
    if (reset != null) {
      dispatch(listener::onReset, reset);
    }
    setState(State.OPEN);
    callbacks.execute(() -> connected.complete(welcome));
    List<Pending> unanswered = new ArrayList<>(inFlight.values());
    inFlight.clear();
    if (!resumed) {
      for (Pending pending : unanswered) {
        fail(
            pending.answer,
            new LobbyClientException(
                LobbyClientException.OUTCOME_UNKNOWN,
                "the connection was lost before the server answered, and the reconnect made a new"
                    + " session: the message may or may not have been taken"));
      }
      unanswered.clear();
    }
    // A resumed session: what was written and not answered goes again, first, in its order, with
    // its references (answered again, not broadcast again); then what waited.
    for (Pending pending : unanswered) {
      write(pending);
    }
    flush();
    for (int i = 0; i < membersAsked.size(); i++) {
      connection.write("{\"type\":\"members\"}");
    }
    scheduleRefresh();
  }

  private void message(JsonNode frame) {
    Message message = Frames.message(frame);
    if (message.offset().isPresent() && epoch != null) {
      long offset = message.offset().getAsLong();
      if (lastOffset >= 0 && offset <= lastOffset) {
        return; // delivered already (a replay overlapping what came live)
      }
      boolean gap = lastOffset >= 0 && offset > lastOffset + 1;
      lastOffset = offset;
      publicOffset = offset;
      if (gap) {
        dispatch(listener::onReset, RESET_GAP);
      }
    }
    dispatch(listener::onMessage, message);
  }

  private void ack(JsonNode frame) {
    Ack ack = Frames.ack(frame);
    Pending pending = inFlight.remove(ack.ref());
    if (pending != null) {
      callbacks.execute(() -> pending.answer.complete(ack));
      flush();
    }
  }

  private void error(JsonNode frame) {
    ServerError error = Frames.error(frame);
    if (error.code().equals("history_reset")) {
      JsonNode newEpoch = frame.get("epoch");
      JsonNode offset = frame.get("offset");
      if (newEpoch != null && newEpoch.isTextual()) {
        epoch = newEpoch.asText();
        publicEpoch = epoch;
      }
      if (offset != null && offset.isIntegralNumber()) {
        lastOffset = offset.asLong();
        publicOffset = lastOffset;
      }
      dispatch(listener::onReset, RESET_HISTORY_RESET);
      return;
    }
    if (error.ref().isPresent()) {
      Pending pending = inFlight.remove(error.ref().get());
      dispatch(listener::onError, error);
      if (pending != null) {
        fail(pending.answer, new LobbyClientException(error.code(), error.message()));
        flush();
      }
      return;
    }
    dispatch(listener::onError, error);
    if (refreshing) {
      // The answer to a refresh (the only frame this client sends that is answered by an error
      // without a reference): the session keeps its old expiry; try again before it.
      refreshing = false;
      retryRefresh();
    }
  }

  private void members(JsonNode frame) {
    Members members = Frames.members(frame);
    CompletableFuture<Members> answer = membersAsked.poll();
    dispatch(listener::onMembers, members);
    if (answer != null) {
      callbacks.execute(() -> answer.complete(members));
    }
  }

  // ---- Refresh

  private void refreshed(JsonNode frame) {
    refreshing = false;
    expiresAt = Frames.expiresAt(frame);
    scheduleRefresh();
  }

  /** Asks for a new token at three quarters of the remaining life, when it can be refreshed. */
  private void scheduleRefresh() {
    cancelRefresh();
    if (tokenSupplier == null || expiresAt == null) {
      return;
    }
    long remaining = Duration.between(Instant.now(), expiresAt).toMillis();
    refreshIn(Math.max(0, remaining * 3 / 4));
  }

  /** After a refused refresh: again at half of what is left, while enough is left. */
  private void retryRefresh() {
    if (tokenSupplier == null || expiresAt == null) {
      return;
    }
    long remaining = Duration.between(Instant.now(), expiresAt).toMillis();
    if (remaining > 200) {
      refreshIn(remaining / 2);
    }
  }

  private void refreshIn(long delayMs) {
    Connection connection = current;
    refreshTimer = schedule(delayMs, () -> refresh(connection));
  }

  private void refresh(Connection connection) {
    if (connection != current || !isOpen() || refreshing) {
      return;
    }
    refreshing = true;
    CompletionStage<String> token;
    try {
      token = tokenSupplier.get();
    } catch (RuntimeException e) {
      token = CompletableFuture.failedFuture(e);
    }
    token.whenComplete(
        (value, error) ->
            loop.execute(
                () -> {
                  if (connection != current || !isOpen()) {
                    refreshing = false;
                    return;
                  }
                  if (error != null || value == null) {
                    refreshing = false;
                    retryRefresh();
                    return;
                  }
                  ObjectNode refresh = Frames.JSON.createObjectNode();
                  refresh.put("type", "refresh");
                  refresh.put("token", value);
                  connection.token = value;
                  connection.write(refresh.toString());
                }));
  }

  private void cancelRefresh() {
    refreshing = false;
    if (refreshTimer != null) {
      refreshTimer.cancel(false);
      refreshTimer = null;
    }
  }

  // ---- Events

  private void setState(State next) {
    if (state == next) {
      return;
    }
    state = next;
    publicState = next;
    dispatch(listener::onState, next);
  }

  private void notifyDisconnected(int code, String reason) {
    callbacks.execute(() -> guarded(() -> listener.onDisconnected(code, reason)));
  }

  private <T> void dispatch(Consumer<T> method, T event) {
    callbacks.execute(() -> guarded(() -> method.accept(event)));
  }

  private static void guarded(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "a Lobby client listener failed", e);
    }
  }

  private <T> void fail(CompletableFuture<T> future, Throwable error) {
    callbacks.execute(() -> future.completeExceptionally(error));
  }

  private ScheduledFuture<?> schedule(long delayMs, Runnable task) {
    return TIMER.schedule(() -> loop.execute(task), delayMs, TimeUnit.MILLISECONDS);
  }

  // ---- One connection

  /**
   * One WebSocket, from its handshake to its end. The JDK calls the Listener methods one at a
   * time; they hand whole frames to the loop and ask for the next part at once (the JDK delivers
   * nothing unrequested).
   */
  private final class Connection implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();
    private final ArrayDeque<String> outbox = new ArrayDeque<>();
    volatile WebSocket ws;
    CompletableFuture<WebSocket> handshake;
    String token;
    boolean welcomed;
    boolean writing;
    boolean ended;

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
                          lost(-1, "writing failed: " + rootCause(error));
                        } else {
                          pump();
                        }
                      }));
    }

    /** Ends this connection from the client's side, as lost. */
    private void lost(int code, String reason) {
      if (ended) {
        return;
      }
      ended = true;
      WebSocket socket = ws;
      if (socket != null) {
        socket.abort();
      }
      disconnected(this, code, reason);
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      ws = webSocket;
      webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        String frame = text.toString();
        text.setLength(0);
        loop.execute(() -> received(this, frame));
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      webSocket.request(1); // the protocol's binary echo; this client sends none
      return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
      webSocket.request(1); // the JDK answers with a Pong by itself
      return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      loop.execute(
          () -> {
            if (!ended) {
              ended = true;
              disconnected(this, statusCode, reason);
            }
          });
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      loop.execute(() -> lost(-1, String.valueOf(rootCause(error))));
    }
  }

  // ---- Helpers

  private static int httpStatus(Throwable error) {
    for (Throwable e = error; e != null; e = e.getCause()) {
      if (e instanceof WebSocketHandshakeException handshake && handshake.getResponse() != null) {
        return handshake.getResponse().statusCode();
      }
    }
    return -1;
  }

  private static Throwable rootCause(Throwable error) {
    Throwable e = error;
    while (e.getCause() != null && e.getCause() != e) {
      e = e.getCause();
    }
    return e;
  }

  private static String randomPrefix() {
    byte[] bytes = new byte[6];
    new SecureRandom().nextBytes(bytes);
    StringBuilder prefix = new StringBuilder();
    for (byte b : bytes) {
      prefix.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return prefix.append('-').toString();
  }

  private static HttpClient sharedHttp() {
    HttpClient client = sharedHttp;
    if (client == null) {
      synchronized (LobbyClient.class) {
        client = sharedHttp;
        if (client == null) {
          client = HttpClient.newBuilder().executor(POOL).build();
          sharedHttp = client;
        }
      }
    }
    return client;
  }

  private static ScheduledThreadPoolExecutor timer() {
    ScheduledThreadPoolExecutor timer =
        new ScheduledThreadPoolExecutor(
            1,
            task -> {
              Thread thread = new Thread(task, "lobby-client-timer");
              thread.setDaemon(true);
              return thread;
            });
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }
}
