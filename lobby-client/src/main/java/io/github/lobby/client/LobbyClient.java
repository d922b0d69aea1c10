package io.github.lobby.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

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
    final URI baseUri;
    final String room;
    String token;
    Supplier<? extends CompletionStage<String>> tokenSupplier;
    Duration backoffInitial = DEFAULT_BACKOFF_INITIAL;
    Duration backoffMax = DEFAULT_BACKOFF_MAX;
    int maxQueued = DEFAULT_MAX_QUEUED;
    int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
    Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    Duration idleTimeout = Duration.ZERO;
    Executor executor;
    Listener listener = new Listener() {};
    HttpClient httpClient;
    SSLContext sslContext;

    private Builder(URI baseUri, String room) {
      this.baseUri = Objects.requireNonNull(baseUri, "baseUri");
      this.room = Objects.requireNonNull(room, "room");
      Endpoint.check(baseUri, room);
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

    /**
     * The TLS context of {@code wss://} connections, to trust a server certificate the JDK's
     * default trust store does not (a self-signed or private CA certificate). Clients given the
     * same context one after the other share one HttpClient. Not with {@link #httpClient}: set it on that client
     * instead. Default: the JDK's default context.
     */
    public Builder sslContext(SSLContext sslContext) {
      this.sslContext = Objects.requireNonNull(sslContext, "sslContext");
      return this;
    }

    /**
     * A client with this configuration, not yet connected (state {@link State#CLOSED}).
     *
     * @throws IllegalStateException when both {@link #httpClient} and {@link #sslContext} are set
     */
    public LobbyClient build() {
      if (httpClient != null && sslContext != null) {
        throw new IllegalStateException(
            "set either httpClient or sslContext, not both (give the HttpClient the SSLContext)");
      }
      return new LobbyClient(this);
    }
  }

  /** The client's state and its connections, on the client's serial executor. */
  private final ClientLoop loop;

  private LobbyClient(Builder builder) {
    this.loop = new ClientLoop(builder);
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
    return loop.connect();
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
    return loop.submit("message", null, null, value);
  }

  /**
   * Sends a value to one session, in whatever room; completes when it was delivered, fails with
   * {@code no_session} when there is no such session (and as {@link #send} says otherwise).
   */
  public CompletionStage<Ack> whisper(String sessionId, Object value) {
    return loop.submit("whisper", "to", Objects.requireNonNull(sessionId, "sessionId"), value);
  }

  /**
   * Sends a value to every session of a user, on a server that authenticates sessions; fails
   * with {@code no_user} when the user has none (and as {@link #send} says otherwise).
   */
  public CompletionStage<Ack> whisperUser(String user, Object value) {
    return loop.submit("whisper", "user", Objects.requireNonNull(user, "user"), value);
  }

  /**
   * Asks the room's members. Asked while not connected, the question goes out after the next
   * welcome; a question whose answer a lost connection took is asked again. Fails with {@link
   * LobbyClientException#CLOSED} when the client is closed, or with what stopped it.
   */
  public CompletionStage<Members> members() {
    return loop.members();
  }

  /**
   * Closes the client: the connection with 1000 (its session leaves the room at once), no
   * reconnect. Sends that wait fail with {@link LobbyClientException#CLOSED}, sends written and
   * not answered with {@link LobbyClientException#OUTCOME_UNKNOWN}. The stage completes when the
   * connection is closed (the server's Close came, or after 5 s without it). Closing a closed
   * client completes at once.
   */
  public CompletionStage<Void> close() {
    return loop.close();
  }

  /** This session's id, from the last welcome; empty before the first. */
  public Optional<String> id() {
    return Optional.ofNullable(loop.publicId());
  }

  /** The client's state now. */
  public State state() {
    return loop.publicState();
  }

  /** The room's epoch, from the last welcome or {@code history_reset}; empty without history. */
  public Optional<String> epoch() {
    return Optional.ofNullable(loop.publicEpoch());
  }

  /**
   * The offset of the last message received (the last welcome's, or {@code history_reset}'s,
   * when none came since); empty without history. A reconnect asks for what came after it.
   */
  public OptionalLong offset() {
    long offset = loop.publicOffset();
    return offset < 0 ? OptionalLong.empty() : OptionalLong.of(offset);
  }

  /**
   * Why the client stopped, when a refusal or a close code stopped it (not after {@link
   * #close()}): {@link LobbyClientException#FORBIDDEN}, {@link
   * LobbyClientException#TOKEN_EXPIRED}, {@link LobbyClientException#SESSION_RESUMED}...
   */
  public Optional<LobbyClientException> closeCause() {
    return Optional.ofNullable(loop.publicStopCause());
  }
}
