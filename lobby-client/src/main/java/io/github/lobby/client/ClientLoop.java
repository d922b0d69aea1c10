package io.github.lobby.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.lobby.client.LobbyClient.Listener;
import io.github.lobby.client.LobbyClient.State;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;

/**
 * The state machine behind a {@link LobbyClient}: its connection attempts, reconnects and stops,
 * and the frames of the current connection, which it routes to the collaborators ({@link
 * Sends}, {@link StreamPosition}, {@link Tokens}) and to the listener ({@link Callbacks}). All of
 * it runs on one serial executor, the loop: every field is read and written only by its tasks,
 * but for the volatile snapshot that the getters read.
 */
final class ClientLoop implements Connection.Owner {

  // ---- Configuration

  private final Endpoint endpoint;
  private final Duration connectTimeout;
  private final long idleTimeoutMs;
  private final Listener listener;
  private final HttpClient http;

  /** Where the client's state lives: every field below is read and written only by its tasks. */
  private final SerialExecutor loop = new SerialExecutor(SharedThreads.POOL);

  /** Where the listener and the completions run, one at a time (see {@link LobbyClient}). */
  private final Callbacks callbacks;

  private final Backoff backoff;
  private final Sends sends;
  private final StreamPosition position = new StreamPosition();
  private final Tokens tokens;

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
  private long timerGeneration;
  private ScheduledFuture<?> reconnectTimer;
  private String sessionId;
  private String resumeKey;
  private final ArrayDeque<CompletableFuture<Members>> membersAsked = new ArrayDeque<>();

  // ---- Snapshot for the getters, written by the loop

  private volatile State publicState = State.CLOSED;
  private volatile String publicId;
  private volatile LobbyClientException publicStopCause;

  ClientLoop(LobbyClient.Builder builder) {
    this.endpoint = new Endpoint(builder.baseUri, builder.room);
    this.backoff = new Backoff(builder.backoffInitial.toMillis(), builder.backoffMax.toMillis());
    this.connectTimeout = builder.connectTimeout;
    this.idleTimeoutMs = builder.idleTimeout.toMillis();
    this.listener = builder.listener;
    this.http =
        builder.httpClient != null
            ? builder.httpClient
            : builder.sslContext != null
                ? SharedThreads.httpWith(builder.sslContext)
                : SharedThreads.sharedHttp();
    this.callbacks =
        new Callbacks(builder.executor != null ? builder.executor : SharedThreads.POOL, listener);
    this.sends = new Sends(builder.maxQueued, builder.maxInFlight, callbacks);
    this.tokens =
        new Tokens(
            builder.token,
            builder.tokenSupplier,
            loop,
            connection -> connection == current && isOpen());
  }

  // ---- The public methods' work

  CompletionStage<Welcome> connect() {
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
          backoff.reset();
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

  /** A send: its frame is made on the caller's thread, the rest on the loop. */
  CompletionStage<Ack> submit(String type, String field, String target, Object value) {
    CompletableFuture<Ack> answer = new CompletableFuture<>();
    ObjectNode frame;
    try {
      frame = Sends.frame(type, field, target, value);
    } catch (IllegalArgumentException e) {
      answer.completeExceptionally(e);
      return answer;
    }
    loop.execute(() -> enqueue(new Sends.Pending(frame, answer)));
    return answer;
  }

  private void enqueue(Sends.Pending pending) {
    if (stopped) {
      callbacks.fail(pending.answer, closedException());
      return;
    }
    sends.enqueue(pending, isOpen());
    flush();
  }

  CompletionStage<Members> members() {
    CompletableFuture<Members> answer = new CompletableFuture<>();
    loop.execute(
        () -> {
          if (stopped) {
            callbacks.fail(answer, closedException());
            return;
          }
          membersAsked.add(answer);
          if (isOpen()) {
            current.write("{\"type\":\"members\"}");
          }
        });
    return answer;
  }

  CompletionStage<Void> close() {
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

  // ---- The snapshot

  State publicState() {
    return publicState;
  }

  String publicId() {
    return publicId;
  }

  String publicEpoch() {
    return position.publicEpoch();
  }

  long publicOffset() {
    return position.publicOffset();
  }

  LobbyClientException publicStopCause() {
    return publicStopCause;
  }

  // ---- Connecting

  private boolean isOpen() {
    return state == State.OPEN && current != null && current.welcomed;
  }

  /** Writes waiting sends while the connection is open (up to maxInFlight of them out). */
  private void flush() {
    if (isOpen()) {
      sends.flush(current);
    }
  }

  private void attempt() {
    reconnectTimer = null;
    if (stopped) {
      return;
    }
    Connection connection = new Connection(this, loop, idleTimeoutMs);
    current = connection;
    connection.deadline =
        SharedThreads.schedule(
            loop,
            connectTimeout.toMillis(),
            () -> {
              if (connection == current && !connection.welcomed) {
                connection.lost(-1, "no welcome within " + connectTimeout.toMillis() + " ms");
              }
            });
    tokens
        .next()
        .whenComplete(
            (value, error) ->
                loop.execute(
                    () -> {
                      if (connection != current) {
                        return;
                      }
                      if (error != null) {
                        connection.lost(
                            -1, "the token supplier failed: " + CloseRules.rootCause(error));
                        return;
                      }
                      open(connection, value);
                    }));
  }

  private void open(Connection connection, String token) {
    connection.token = token;
    connection.since = position.since();
    connection.sinceEpoch = connection.since >= 0 ? position.epoch() : null;
    connection.askedResume = sessionId != null && resumeKey != null;
    connection
        .open(
            http,
            endpoint.target(
                token,
                connection.since,
                connection.sinceEpoch,
                connection.askedResume ? sessionId : null,
                resumeKey),
            LobbyClient.SUBPROTOCOL,
            connectTimeout)
        .whenComplete((ws, error) -> loop.execute(() -> opened(connection, ws, error)));
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
    int status = CloseRules.httpStatus(error);
    connection.ended = true;
    connection.cancelTimers();
    current = null;
    callbacks.disconnected(
        status, status > 0 ? "HTTP " + status : String.valueOf(CloseRules.rootCause(error)));
    LobbyClientException refusal = CloseRules.refusal(status, tokens.hasSupplier(), error);
    if (refusal != null) {
      stop(refusal, "refused");
    } else {
      reconnectLater(false);
    }
  }

  /** The connection ended, or was given up: decide between reconnecting and stopping. */
  @Override
  public void disconnected(Connection connection, int code, String reason) {
    if (connection != current) {
      return;
    }
    current = null;
    callbacks.disconnected(code, reason);
    LobbyClientException end = CloseRules.finalClose(code, tokens.hasSupplier());
    if (code == CloseRules.CODE_SESSION_RESUMED) {
      resumeKey = null; // the other connection is the session now
      stop(end, "session resumed");
    } else if (end != null) {
      stop(end, "token expired");
    } else {
      reconnectLater(code == CloseRules.CODE_TOKEN_EXPIRED);
    }
  }

  /** Schedules the next attempt: at once (a new token for an expired one), or after backoff. */
  private void reconnectLater(boolean now) {
    tokens.cancel();
    setState(State.RECONNECTING);
    long delay = backoff.next(now);
    long generation = ++timerGeneration;
    reconnectTimer =
        SharedThreads.schedule(
            loop,
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
    tokens.cancel();
    resumeKey = null;
    setState(State.CLOSED);
    sends.stopped(why, cause);
    for (CompletableFuture<Members> answer : membersAsked) {
      callbacks.fail(answer, Sends.notSent(cause));
    }
    membersAsked.clear();
    callbacks.fail(connected, cause);
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

  @Override
  public void received(Connection connection, String text) {
    if (connection != current) {
      return;
    }
    JsonNode frame;
    try {
      frame = Frames.JSON.readTree(text);
    } catch (JsonProcessingException e) {
      LobbyClient.LOG.log(
          System.Logger.Level.WARNING, "a frame of the server is not JSON; ignored");
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
      case "joined" -> callbacks.dispatch(listener::onJoined, Frames.joined(frame));
      case "left" -> callbacks.dispatch(listener::onLeft, Frames.left(frame));
      case "whisper" -> callbacks.dispatch(listener::onWhisper, Frames.whisper(frame));
      case "members" -> members(frame);
      case "refreshed" -> tokens.refreshed(frame, current);
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
    backoff.reset();

    String reset = position.welcomed(welcome, connection.since, connection.sinceEpoch, first);
    sessionId = welcome.id();
    resumeKey = welcome.resumeKey().orElse(null);
    publicId = sessionId;

    setState(State.OPEN);
    callbacks.dispatch(listener::onWelcome, welcome);
    if (reset != null) {
      callbacks.dispatch(listener::onReset, reset);
    }
    callbacks.complete(connected, welcome);

    // Sends written and not answered go again (resumed) or fail (a new session); then what
    // waited, then the members questions whose answers the lost connection took.
    sends.welcomed(connection, resumed);
    flush();
    for (int i = 0; i < membersAsked.size(); i++) {
      connection.write("{\"type\":\"members\"}");
    }
    connection.watchIdle();
    tokens.welcomed(connection);
  }

  private void message(JsonNode frame) {
    Message message = Frames.message(frame);
    StreamPosition.Verdict verdict = position.message(message.offset());
    if (verdict == StreamPosition.Verdict.DUPLICATE) {
      return;
    }
    if (verdict == StreamPosition.Verdict.GAP) {
      callbacks.dispatch(listener::onReset, LobbyClient.RESET_GAP);
    }
    callbacks.dispatch(listener::onMessage, message);
  }

  private void ack(JsonNode frame) {
    Ack ack = Frames.ack(frame);
    Sends.Pending pending = sends.answered(ack.ref());
    if (pending != null) {
      callbacks.complete(pending.answer, ack);
      flush();
    }
  }

  private void error(JsonNode frame) {
    ServerError error = Frames.error(frame);
    callbacks.dispatch(listener::onError, error);
    if (error.code().equals("history_reset")) {
      position.historyReset(frame);
      callbacks.dispatch(listener::onReset, LobbyClient.RESET_HISTORY_RESET);
      return;
    }
    if (error.ref().isPresent()) {
      Sends.Pending pending = sends.answered(error.ref().get());
      if (pending != null) {
        callbacks.fail(pending.answer, new LobbyClientException(error.code(), error.message()));
        flush();
      }
      return;
    }
    tokens.error(error.code(), current);
  }

  private void members(JsonNode frame) {
    Members members = Frames.members(frame);
    CompletableFuture<Members> answer = membersAsked.poll();
    callbacks.dispatch(listener::onMembers, members);
    if (answer != null) {
      callbacks.complete(answer, members);
    }
  }

  // ---- Events

  private void setState(State next) {
    if (state == next) {
      return;
    }
    state = next;
    publicState = next;
    callbacks.dispatch(listener::onState, next);
  }
}
