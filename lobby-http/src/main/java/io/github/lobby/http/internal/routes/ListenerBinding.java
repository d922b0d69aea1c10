package io.github.lobby.http.internal.routes;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * A listener of {@code LobbyServer} (the lean path's, or the TLS binding's), as its stop drives
 * it: unbind, then (after the sessions have closed) terminate.
 */
public interface ListenerBinding {

  /** The address the listener is bound to (useful with port 0). */
  InetSocketAddress localAddress();

  /** Stops accepting connections; completes once unbound, or after {@code timeout}. */
  CompletionStage<Done> unbind(Duration timeout);

  /**
   * Lets open connections finish what they have received, waits up to {@code deadline} for every
   * connection to end, then drops what is left.
   */
  CompletionStage<Done> terminate(Duration deadline);

  /** How many TCP connections of this listener are open. */
  CompletionStage<Integer> openConnections();
}
