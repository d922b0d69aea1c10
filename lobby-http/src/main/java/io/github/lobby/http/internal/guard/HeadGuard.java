package io.github.lobby.http.internal.guard;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.github.lobby.http.internal.routes.HttpErrors;
import java.time.Duration;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.TLSProtocol.SendBytes;
import org.apache.pekko.stream.TLSProtocol.SessionBytes;
import org.apache.pekko.stream.TLSProtocol.SslTlsInbound;
import org.apache.pekko.stream.TLSProtocol.SslTlsOutbound;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.TLSPlacebo;
import org.apache.pekko.util.ByteString;

/**
 * The request-head guard of a server's HTTP/1.1 connections: a deadline for every request head
 * ({@code lobby.http.request-head-timeout}, 408), CR LF line ends in heads (400), the size of one
 * head ({@code lobby.http.max-request-head}, 431) and one byte budget for the unfinished heads of
 * all connections ({@code lobby.http.head-buffer-budget}, 503). Each answer has the JSON error
 * body and closes the connection. See {@link HeadWatch} for the rules.
 *
 * <p>Make one per server ({@link #fromConfig}) and share it between its listeners: the budget is
 * the instance's. The lean listener uses {@link #watch(long)} per connection. A listener built on
 * Pekko Streams (a TLS listener: {@code Tcp.bind}, the TLS stage, Pekko HTTP's {@code
 * serverLayer}) puts {@link #tlsBidiFlow()} between the server layer and the TLS stage, one
 * materialization per connection:
 *
 * <pre>{@code
 * // once per server, shared by all its listeners (the budget is the instance's)
 * HeadGuard guard = HeadGuard.fromConfig(config);
 * // per accepted connection
 * if (!admission.openConnection(remote.getAddress())) {
 *   // answer HttpErrors.responseBytes(429, ...) and close
 * }
 * Flow<ByteString, ByteString, ?> connection =
 *     handler.join(
 *         http.serverLayer(settings, Optional.of(remote), log)
 *             .atop(guard.tlsBidiFlow())
 *             .atop(tls));               // BidiFlow<SslTlsOutbound, ByteString, ByteString, SslTlsInbound, ?>
 * // and when the connection's stream ends: admission.closeConnection(remote.getAddress())
 * }</pre>
 *
 * <p>On a listener without TLS, {@link #bidiFlow()} goes on the bytes directly (below {@code
 * TLSPlacebo}).
 *
 * <p>The guard sees the bytes Pekko HTTP parses, so it must be the layer right below it, under
 * any decryption. It does not bound how long a connection may stay idle between requests besides
 * the head deadline, nor count connections per address: such a listener keeps its idle timeout
 * and calls {@link io.github.lobby.http.internal.ws.Admission#openConnection} on accept and
 * {@link io.github.lobby.http.internal.ws.Admission#closeConnection} when the connection ends.
 */
public final class HeadGuard {

  private final Duration headTimeout;
  private final int maxHead;
  private final HeadBudget budget;

  /**
   * @param headTimeout the head deadline
   * @param maxHead the most bytes one request head may have
   * @param budget the budget of all unfinished heads, shared by the server's connections
   */
  public HeadGuard(Duration headTimeout, int maxHead, HeadBudget budget) {
    if (headTimeout.isNegative() || headTimeout.isZero()) {
      throw new IllegalArgumentException("the head timeout must be positive");
    }
    if (maxHead < 1) {
      throw new IllegalArgumentException("a head needs at least one byte");
    }
    this.headTimeout = headTimeout;
    this.maxHead = maxHead;
    this.budget = budget;
  }

  /**
   * The guard {@code lobby.http} configures: {@code request-head-timeout}, {@code
   * max-request-head} and {@code head-buffer-budget}.
   *
   * @throws ConfigException when a key is missing or has a bad value
   */
  public static HeadGuard fromConfig(Config config) {
    Config c = config.getConfig("lobby.http");
    Duration timeout = c.getDuration("request-head-timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new ConfigException.BadValue(
          "lobby.http.request-head-timeout", "must be positive, was " + timeout);
    }
    long maxHead = c.getBytes("max-request-head");
    if (maxHead < 1024 || maxHead > 1024 * 1024) {
      throw new ConfigException.BadValue(
          "lobby.http.max-request-head", "must be 1 KiB to 1 MiB, was " + maxHead);
    }
    long budget = c.getBytes("head-buffer-budget");
    if (budget < maxHead) {
      throw new ConfigException.BadValue(
          "lobby.http.head-buffer-budget", "must be at least max-request-head, was " + budget);
    }
    return new HeadGuard(timeout, (int) maxHead, new HeadBudget(budget));
  }

  /** The head deadline. */
  public Duration headTimeout() {
    return headTimeout;
  }

  /** The most bytes one request head may have. */
  public int maxHead() {
    return maxHead;
  }

  /** The budget of all unfinished heads. */
  public HeadBudget budget() {
    return budget;
  }

  /** The watch of a connection accepted at {@code nowNanos} ({@link System#nanoTime()}). */
  public HeadWatch watch(long nowNanos) {
    return new HeadWatch(this, nowNanos);
  }

  /**
   * The guard as a stage of one connection, on its plaintext side right below Pekko HTTP's server
   * layer, in Pekko's stacking order: the top goes out (answers from Pekko HTTP to the client),
   * the bottom comes in (the client's bytes to Pekko HTTP). Its deadline runs from
   * materialization, which is the accept. Each materialization is one connection; all share this
   * guard's budget.
   */
  public BidiFlow<ByteString, ByteString, ByteString, ByteString, NotUsed> bidiFlow() {
    return BidiFlow.fromGraph(new HeadGuardStage(this));
  }

  /**
   * {@link #bidiFlow()} for the plaintext side of a TLS stage: Pekko HTTP's server layer stacks on
   * it ({@code serverLayer.atop(guard.tlsBidiFlow()).atop(tls)}). The session that Pekko HTTP
   * sees is a placeholder ({@code TLSPlacebo}'s): Lobby reads nothing of it (no client
   * certificates, no {@code Tls-Session-Info} header).
   */
  public BidiFlow<SslTlsOutbound, SslTlsOutbound, SslTlsInbound, SslTlsInbound, NotUsed>
      tlsBidiFlow() {
    @SuppressWarnings({"unchecked", "rawtypes"})
    BidiFlow<SslTlsOutbound, ByteString, ByteString, SslTlsInbound, NotUsed> plain =
        (BidiFlow) TLSPlacebo.getInstance();
    BidiFlow<ByteString, SslTlsOutbound, SslTlsInbound, ByteString, NotUsed> tls =
        BidiFlow.fromFlows(
            Flow.of(ByteString.class).map(bytes -> (SslTlsOutbound) new SendBytes(bytes)),
            Flow.of(SslTlsInbound.class)
                .filter(in -> in instanceof SessionBytes)
                .map(in -> ((SessionBytes) in).bytes()));
    return plain.atop(bidiFlow()).atop(tls);
  }

  /** The answer that ends a connection whose head deadline passed: 408 with the JSON body. */
  public static ByteString timeoutAnswer() {
    return HttpErrors.responseBytes(408, "the request head did not arrive in time");
  }

  /** The answer to a verdict with a status: its status with the JSON body. */
  public static ByteString answer(HeadWatch.Verdict verdict) {
    return HttpErrors.responseBytes(verdict.status(), verdict.message());
  }
}
