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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
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
 * count again from 0 after each {@code welcome}. What ends the client (state {@link
 * State#CLOSED}, no reconnect until {@link #connect()} is called again):
 *
 * <table>
 *   <caption>How the client answers closes and refusals</caption>
 *   <tr><th>event</th><th>the client</th></tr>
 *   <tr><td>{@link #close()}</td><td>closes with 1000 (the session leaves its room);
 *       final</td></tr>
 *   <tr><td>close 4002 (resumed elsewhere)</td><td>final: {@link
 *       LobbyClientException#SESSION_RESUMED}; the resume key is forgotten</td></tr>
 *   <tr><td>close 4001 (token expired)</td><td>with a token supplier: asks it for a new token and
 *       reconnects at once; without one, final: {@link
 *       LobbyClientException#TOKEN_EXPIRED}</td></tr>
 *   <tr><td>HTTP 401 on upgrade</td><td>with a token supplier: asks it again and reconnects with
 *       backoff; without one, final: {@link LobbyClientException#UNAUTHORIZED}</td></tr>
 *   <tr><td>HTTP 400, 403, another 4xx but 408 and 429</td><td>final: {@link
 *       LobbyClientException#BAD_REQUEST}, {@link LobbyClientException#FORBIDDEN}, {@link
 *       LobbyClientException#REFUSED}</td></tr>
 *   <tr><td>close 1000, 1001, 1008, 1011, 1012, 1013 or any other code; HTTP 408, 429, 5xx; a
 *       network error; no welcome within {@link Builder#connectTimeout}; nothing received within
 *       {@link Builder#idleTimeout}</td><td>reconnects with backoff</td></tr>
 * </table>
 *
 * <p>Each reconnect names the session ({@code resume}, {@code key}) when the server gave a resume
 * key, and the last offset and epoch ({@code since}, {@code epoch}) when the server keeps a
 * history. A message whose offset the client already delivered is dropped. When messages may
 * have been missed, {@link Listener#onReset} says why: {@value #RESET_NOT_RECOVERED} (the history
 * no longer reached back to the last offset), {@value #RESET_NEW_EPOCH} (the room started again:
 * a restarted server), {@value #RESET_NO_HISTORY} (a reconnect to a server without history:
 * whatever was said meanwhile is gone), {@value #RESET_HISTORY_RESET} (the server's {@code
 * history_reset} error frame), {@value #RESET_GAP} (an offset was skipped on an open connection).
 *
 * <h2>Sends</h2>
 *
 * <p>{@link #send}, {@link #whisper} and {@link #whisperUser} give every frame a reference
 * ({@code ref}) unique in this client, and complete with the server's {@code ack}, or fail with
 * its {@code error} frame's code; nothing the server refused is sent again. While the client is
 * not connected, sends wait, up to {@link Builder#maxQueued} of them, and go out in order after
 * the next {@code welcome}; beyond, a send fails at once with {@link
 * LobbyClientException#QUEUE_FULL}. Sends written to a connection that was lost before their
 * answer are written again, with the same references and before the waiting ones, when the
 * session is resumed (the server answers a reference it has seen with its first outcome, so
 * nothing is broadcast twice); when the reconnect makes a new session they fail with {@link
 * LobbyClientException#OUTCOME_UNKNOWN}, and so they do when the client stops.
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
   * A reset reason: a reconnect asked for what it missed and the welcome said {@code
   * "recovered":false} in the same epoch: the history no longer reached back that far.
   */
  public static final String RESET_NOT_RECOVERED = "not_recovered";

  /**
   * A reset reason: a reconnect to a server that keeps no history (its welcome has no epoch):
   * whatever the room said meanwhile is gone.
   */
  public static final String RESET_NO_HISTORY = "no_history";

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

  /** The default bound of sends waiting while the client is not connected. */
  public static final int DEFAULT_MAX_QUEUED = 100;

  /** The default time an attempt may take from its start to its welcome. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /**
   * The default bound of sends written but not answered; below the server's default window of
   * remembered references ({@code lobby.resumption.ref-window}, 256), which a resend must not outrun.
   */
  public static final int DEFAULT_MAX_IN_FLIGHT = 128;

  static final System.Logger LOG = System.getLogger(LobbyClient.class.getName());

  private static final Pattern ROOM = Pattern.compile("[A-Za-z0-9\\-_.~:]{1,128}");
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
    /** The first attempt after {@link #connect()}. */
    CONNECTING,
    /** A welcome came on the current connection; sends go out at once. */
    OPEN,
    /** Waiting before the next attempt, or trying again: after a loss or a failed attempt. */
    RECONNECTING,
    /**
     * Not connected and not trying: before {@link #connect()}, after {@link #close()} and after a
     * final close or refusal.
     */
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
     * Every {@code error} frame of the server: those that fail a send, a refused refresh, and a
     * {@code history_reset} (then also told through {@link #onReset}).
     */
    default void onError(ServerError error) {}

    /** The client's state changed. */
    default void onState(State state) {}

    /**
     * Messages of the room may have been missed: get the application's state again some other
     * way. The reason is one of {@link LobbyClient#RESET_NOT_RECOVERED}, {@link
     * LobbyClient#RESET_NEW_EPOCH}, {@link LobbyClient#RESET_NO_HISTORY}, {@link
     * LobbyClient#RESET_HISTORY_RESET}, {@link LobbyClient#RESET_GAP}. After a reconnect it comes
     * after the {@link #onWelcome} and before the messages that follow it; {@link
     * LobbyClient#epoch()} and {@link LobbyClient#offset()} say where the stream goes on.
     */
    default void onReset(String reason) {}

    /**
     * A connection attempt ended, or a connection was lost: with the server's close code (4001,
     * 1001...), with the HTTP status of a refused upgrade (401, 503...), or with -1 for a network
     * error, a timeout or a failed token supplier. For logs and tests; what the client does next
     * is told by {@link #onState}.
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
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration idleTimeout = Duration.ZERO;
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
     * How many sends may wait while the client is not connected; one more fails at once with
     * {@link LobbyClientException#QUEUE_FULL}. (While connected, sends beyond {@link #maxInFlight}
     * wait too, in order, without this bound.) Default {@value #DEFAULT_MAX_QUEUED}.
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
     * not exceed the server's {@code lobby.resumption.ref-window}: a send resent after a resume
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
     * How long an attempt may take, from its start to the welcome; then it is given up and
     * retried with backoff. Default {@link #DEFAULT_CONNECT_TIMEOUT} (10 s).
     */
    public Builder connectTimeout(Duration connectTimeout) {
      if (connectTimeout.isNegative() || connectTimeout.isZero()) {
        throw new IllegalArgumentException("connectTimeout must be positive");
      }
      this.connectTimeout = connectTimeout;
      return this;
    }

    /**
     * When positive, a connection on which nothing arrived for this long (no frame and no Ping:
     * the server pings every {@code lobby.heartbeat-interval}, 5 s by default) is dropped without
     * a Close and the session resumed: it catches a half-open connection that TCP would not
     * notice for a long time. Zero (the default) turns it off.
     */
    public Builder idleTimeout(Duration idleTimeout) {
      if (idleTimeout.isNegative()) {
        throw new IllegalArgumentException("idleTimeout must not be negative");
      }
      this.idleTimeout = idleTimeout;
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
  private final Duration connectTimeout;
  private final long idleTimeoutMs;
  private final Listener listener;
  private final HttpClient http;
  private final String refPrefix;

  /** Where the client's state lives: every field below is read and written only by its tasks. */
  private final SerialExecutor loop = new SerialExecutor(POOL);

  /** Where the listener and the completions run, one at a time (see the class comment). */
  private final SerialExecutor callbacks;

  // ---- State, owned by the loop

  private State state = State.CLOSED;
  /** Between {@link #connect()} and a stop. */
  private boolean started;
  /** After {@link #close()} or a final close, until {@link #connect()} starts again. */
  private boolean stopped;
  private LobbyClientException stopCause;
  /** The stage of the {@link #connect()} that started this run. */
  private CompletableFuture<Welcome> connected = new CompletableFuture<>();
  /** Completes when the connection that {@link #close()} closes has ended. */
  private CompletableFuture<Void> closed = CompletableFuture.completedFuture(null);
  private boolean welcomedSinceStart;
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
    this.connectTimeout = builder.connectTimeout;
    this.idleTimeoutMs = builder.idleTimeout.toMillis();
    this.listener = builder.listener;
    this.http = builder.httpClient != null ? builder.httpClient : sharedHttp();
    this.callbacks = new SerialExecutor(builder.executor != null ? builder.executor : POOL);
    this.refPrefix = randomPrefix();
  }

  // ---- Public API

  /**
   * Connects, and keeps connecting until closed. The stage completes with the first {@code
   * welcome}; it fails with a {@link LobbyClientException} when the server refuses for good
   * (HTTP 400, 403, another 4xx, or 401 without a token supplier: {@link
   * LobbyClientException#status()} is the status) or when {@link #close()} comes first. A network
   * error does not fail it: the client retries with backoff. Called while connecting or
   * connected, it completes with the same welcome as the call that started. Called after a close,
   * it starts again: a new session, which gets what it missed when the history still has it.
   */
  public CompletionStage<Welcome> connect() {
    CompletableFuture<Welcome> answer = new CompletableFuture<>();
    loop.execute(
        () -> {
          if (started) {
            connected.whenCompleteAsync(
                (welcome, error) -> copy(welcome, error, answer), callbacks);
            return;
          }
          started = true;
          stopped = false;
          stopCause = null;
          publicStopCause = null;
          welcomedSinceStart = false;
          attempts = 0;
          connected = answer;
          setState(State.CONNECTING);
          attempt();
        });
    return answer;
  }

  private static <T> void copy(T value, Throwable error, CompletableFuture<T> to) {
    if (error != null) {
      to.completeExceptionally(error);
    } else {
      to.complete(value);
    }
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
   * LobbyClientException#CLOSED} when the client is closed, or with what stopped it.
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
   * Closes the client: the connection with 1000 (its session leaves the room at once), no
   * reconnect. Sends that wait fail with {@link LobbyClientException#CLOSED}, sends written and
   * not answered with {@link LobbyClientException#OUTCOME_UNKNOWN}. The stage completes when the
   * connection is closed (the server's Close came, or after 5 s without it). Closing a closed
   * client completes at once.
   */
  public CompletionStage<Void> close() {
    CompletableFuture<Void> answer = new CompletableFuture<>();
    loop.execute(
        () -> {
          if (!stopped) {
            closed = new CompletableFuture<>();
            stop(closedException(), "closed");
            Connection connection = current;
            current = null;
            if (connection == null) {
              closed.complete(null);
            } else {
              connection.close(closed);
            }
          }
          closed.whenCompleteAsync((done, error) -> answer.complete(null), callbacks);
        });
    return answer;
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
    if (!isOpen() && queue.size() >= maxQueued) {
      fail(
          pending.answer,
          new LobbyClientException(
              LobbyClientException.QUEUE_FULL,
              "not connected, and "
                  + maxQueued
                  + " sends already wait (maxQueued): this one was not taken"));
      return;
    }
    pending.ref = refPrefix + Long.toString(++refs, 36);
    pending.frame.put("ref", pending.ref);
    try {
      pending.text = Frames.JSON.writeValueAsString(pending.frame);
    } catch (JsonProcessingException e) {
      fail(pending.answer, new IllegalArgumentException("the value cannot be written", e));
      return;
    }
    queue.add(pending);
    flush();
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
    connection.deadline =
        schedule(
            connectTimeout.toMillis(),
            () -> {
              if (connection == current && !connection.welcomed) {
                connection.lost(-1, "no welcome within " + connectTimeout.toMillis() + " ms");
              }
            });
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
                    connection.lost(-1, "the token supplier failed: " + rootCause(error));
                    return;
                  }
                  open(connection, value);
                }));
  }

  private void open(Connection connection, String token) {
    connection.token = token;
    connection.since = epoch != null && lastOffset >= 0 ? lastOffset : -1;
    connection.sinceEpoch = connection.since >= 0 ? epoch : null;
    connection.askedResume = sessionId != null && resumeKey != null;
    URI uri = target(connection);
    WebSocket.Builder builder =
        http.newWebSocketBuilder().subprotocols(SUBPROTOCOL).connectTimeout(connectTimeout);
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
    connection.ended = true;
    connection.cancelTimers();
    current = null;
    notifyDisconnected(status, status > 0 ? "HTTP " + status : String.valueOf(rootCause(error)));
    LobbyClientException refusal = refusal(status, error);
    if (refusal != null) {
      stop(refusal, "refused");
    } else {
      reconnectLater(false);
    }
  }

  /** The final refusal an HTTP status of a failed upgrade means, or null to try again. */
  private LobbyClientException refusal(int status, Throwable error) {
    String code;
    String message;
    if (status == 400) {
      code = LobbyClientException.BAD_REQUEST;
      message = "the server refused the upgrade";
    } else if (status == 403) {
      code = LobbyClientException.FORBIDDEN;
      message = "the token (or the Origin) does not allow this room";
    } else if (status == 401) {
      if (tokenSupplier != null) {
        return null;
      }
      code = LobbyClientException.UNAUTHORIZED;
      message = "the server does not accept the token, and there is no token supplier";
    } else if (status >= 400 && status < 500 && status != 408 && status != 429) {
      code = LobbyClientException.REFUSED;
      message = "the server refused the connection";
    } else {
      return null;
    }
    return new LobbyClientException(code, message + " (HTTP " + status + ")", status, error);
  }

  private URI target(Connection connection) {
    StringBuilder uri = new StringBuilder(base).append('/').append(room);
    List<String[]> query = new ArrayList<>();
    if (connection.token != null) {
      query.add(new String[] {"token", connection.token});
    }
    if (connection.since >= 0) {
      query.add(new String[] {"since", Long.toString(connection.since)});
      query.add(new String[] {"epoch", connection.sinceEpoch});
    }
    if (connection.askedResume) {
      query.add(new String[] {"resume", sessionId});
      query.add(new String[] {"key", resumeKey});
    }
    char separator = '?';
    for (String[] parameter : query) {
      uri.append(separator)
          .append(parameter[0])
          .append('=')
          .append(URLEncoder.encode(parameter[1], StandardCharsets.UTF_8));
      separator = '&';
    }
    return URI.create(uri.toString());
  }

  /** The connection ended, or was given up: decide between reconnecting and stopping. */
  private void disconnected(Connection connection, int code, String reason) {
    if (connection != current) {
      return;
    }
    current = null;
    notifyDisconnected(code, reason);
    if (code == CODE_SESSION_RESUMED) {
      resumeKey = null; // the other connection is the session now
      stop(
          new LobbyClientException(
              LobbyClientException.SESSION_RESUMED,
              "another connection resumed this session (close 4002)",
              code,
              null),
          "session resumed");
    } else if (code == CODE_TOKEN_EXPIRED && tokenSupplier == null) {
      stop(
          new LobbyClientException(
              LobbyClientException.TOKEN_EXPIRED,
              "the token expired (close 4001), and there is no token supplier",
              code,
              null),
          "token expired");
    } else {
      reconnectLater(code == CODE_TOKEN_EXPIRED);
    }
  }

  /** Schedules the next attempt: at once (a new token for an expired one), or after backoff. */
  private void reconnectLater(boolean now) {
    cancelRefresh();
    setState(State.RECONNECTING);
    long cap = backoffInitialMs << Math.min(attempts, 20);
    if (cap <= 0 || cap > backoffMaxMs) {
      cap = backoffMaxMs;
    }
    attempts++;
    long delay = now ? 0 : ThreadLocalRandom.current().nextLong(cap);
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
   * Stops: state CLOSED, no reconnect, every stage that waits fails. {@code cause} is what {@link
   * #connect()}, the waiting sends and {@link #members()} fail with; sends written and not
   * answered fail with {@link LobbyClientException#OUTCOME_UNKNOWN}. The session cannot be
   * resumed after it (its key is forgotten).
   */
  private void stop(LobbyClientException cause, String why) {
    stopped = true;
    started = false;
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
    resumeKey = null;
    setState(State.CLOSED);
    for (Pending pending : inFlight.values()) {
      fail(
          pending.answer,
          new LobbyClientException(
              LobbyClientException.OUTCOME_UNKNOWN,
              "the client stopped ("
                  + why
                  + ") before the server answered: the message may or may not have been taken"));
    }
    inFlight.clear();
    for (Pending pending : queue) {
      fail(pending.answer, sendsFail(cause));
    }
    queue.clear();
    for (CompletableFuture<Members> answer : membersAsked) {
      fail(answer, sendsFail(cause));
    }
    membersAsked.clear();
    fail(connected, cause);
  }

  private static LobbyClientException sendsFail(LobbyClientException cause) {
    return new LobbyClientException(
        cause.code(), cause.getMessage() + ": not sent", cause.status(), cause);
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

  // ---- Frames

  private void received(Connection connection, String text) {
    if (connection != current) {
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
    boolean first = !welcomedSinceStart;
    boolean resumed = connection.askedResume && welcome.resumed().orElse(false);
    connection.welcomed = true;
    connection.deadline.cancel(false);
    welcomedSinceStart = true;
    attempts = 0;

    // History: where the messages that follow start, and whether some were missed.
    String reset = null;
    if (welcome.epoch().isPresent() && welcome.offset().isPresent()) {
      String now = welcome.epoch().get();
      if (connection.since >= 0) {
        boolean sameEpoch = now.equals(connection.sinceEpoch);
        if (welcome.recovered().orElse(false) && sameEpoch) {
          lastOffset = connection.since; // the replay follows and moves it on
        } else {
          reset = sameEpoch ? RESET_NOT_RECOVERED : RESET_NEW_EPOCH;
          lastOffset = welcome.offset().getAsLong();
        }
      } else {
        if (epoch != null && !epoch.equals(now)) {
          reset = RESET_NEW_EPOCH;
        }
        lastOffset = welcome.offset().getAsLong();
      }
      epoch = now;
    } else {
      if (!first) {
        reset = RESET_NO_HISTORY;
      }
      epoch = null;
      lastOffset = -1;
    }
    sessionId = welcome.id();
    resumeKey = welcome.resumeKey().orElse(null);
    publicId = sessionId;
    publicEpoch = epoch;
    publicOffset = lastOffset;
    expiresAt = connection.token == null ? null : Frames.jwtExpiry(connection.token);

    setState(State.OPEN);
    dispatch(listener::onWelcome, welcome);
    if (reset != null) {
      dispatch(listener::onReset, reset);
    }
    CompletableFuture<Welcome> waiting = connected;
    callbacks.execute(() -> waiting.complete(welcome));

    // Sends written and not answered: on a resumed session again, first, in their order, with
    // their references (the server answers one it has seen again and does not broadcast it
    // twice); on a new session their outcome is unknown. Then what waited.
    List<Pending> unanswered = new ArrayList<>(inFlight.values());
    inFlight.clear();
    for (Pending pending : unanswered) {
      if (resumed) {
        write(pending);
      } else {
        fail(
            pending.answer,
            new LobbyClientException(
                LobbyClientException.OUTCOME_UNKNOWN,
                "the connection was lost before the server answered, and the reconnect made a new"
                    + " session: the message may or may not have been taken"));
      }
    }
    flush();
    for (int i = 0; i < membersAsked.size(); i++) {
      connection.write("{\"type\":\"members\"}");
    }
    connection.watchIdle();
    scheduleRefresh();
  }

  private void message(JsonNode frame) {
    Message message = Frames.message(frame);
    if (message.offset().isPresent() && epoch != null && lastOffset >= 0) {
      long offset = message.offset().getAsLong();
      if (offset <= lastOffset) {
        return; // delivered already (a replay overlapping what came live)
      }
      if (offset > lastOffset + 1) {
        // Offsets have no gaps: messages were missed, and no recovery brings them now.
        lastOffset = offset - 1;
        publicOffset = lastOffset;
        dispatch(listener::onReset, RESET_GAP);
      }
    }
    if (message.offset().isPresent() && epoch != null) {
      lastOffset = message.offset().getAsLong();
      publicOffset = lastOffset;
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
    dispatch(listener::onError, error);
    if (error.code().equals("history_reset")) {
      // The room's history started again: offsets count in a new epoch from the frame's offset.
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
      if (pending != null) {
        fail(pending.answer, new LobbyClientException(error.code(), error.message()));
        flush();
      }
      return;
    }
    if (refreshing && REFRESH_ERRORS.contains(error.code())) {
      // The answer to a refresh: the session keeps its expiry. A token refused stays refused
      // (the session ends at expiry, 4001, and the reconnect asks the supplier); a server that
      // could not check it now is asked again.
      refreshing = false;
      if (error.code().equals("unavailable")) {
        refreshIn(0.5);
      }
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

  private static final Set<String> REFRESH_ERRORS =
      Set.of("unauthorized", "forbidden", "unavailable", "bad_request");

  private void refreshed(JsonNode frame) {
    refreshing = false;
    Instant previous = expiresAt;
    expiresAt = Frames.expiresAt(frame);
    // A refresh that did not move the expiry on (the supplier gave the same token) is not
    // repeated: the session ends at expiry and the reconnect asks the supplier again.
    if (expiresAt != null && previous != null && !expiresAt.isAfter(previous)) {
      return;
    }
    scheduleRefresh();
  }

  /** Asks for a new token at three quarters of the remaining life, when it can be refreshed. */
  private void scheduleRefresh() {
    refreshIn(0.75);
  }

  /** Asks for a new token after this share of the remaining life. */
  private void refreshIn(double share) {
    cancelRefresh();
    if (tokenSupplier == null || expiresAt == null || current == null) {
      return;
    }
    long remaining = Duration.between(Instant.now(), expiresAt).toMillis();
    Connection connection = current;
    refreshTimer = schedule(Math.max(0, (long) (remaining * share)), () -> refresh(connection));
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
                    return;
                  }
                  if (error != null || value == null || value.isEmpty()) {
                    refreshing = false;
                    refreshIn(0.5);
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
   * One WebSocket, from its attempt to its end. The JDK calls the Listener methods one at a time;
   * they hand whole frames to the loop and ask for the next part at once (the JDK delivers
   * nothing unrequested). The fields without {@code volatile} belong to the loop.
   */
  private final class Connection implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();
    private final ArrayDeque<String> outbox = new ArrayDeque<>();
    volatile WebSocket ws;
    volatile long lastReceived = System.nanoTime();
    CompletableFuture<WebSocket> handshake;
    ScheduledFuture<?> deadline;
    ScheduledFuture<?> idleCheck;
    CompletableFuture<Void> closing;
    String token;
    long since = -1;
    String sinceEpoch;
    boolean askedResume;
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
      disconnected(this, code, reason);
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
     * Closes with 1000, for {@link #close()}; {@code done} completes when the server's Close
     * came, or after {@code CLOSE_TIMEOUT}. A handshake under way is cancelled (should it end all
     * the same, {@code opened} aborts its socket).
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
      schedule(CLOSE_TIMEOUT.toMillis(), this::closeEnded);
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
      idleCheck = schedule(idleTimeoutMs - quiet, this::watchIdle);
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
      disconnected(this, code, reason);
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
        loop.execute(() -> received(this, frame));
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
      loop.execute(() -> ended(-1, String.valueOf(rootCause(error))));
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
