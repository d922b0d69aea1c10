package io.github.lobby.http.internal.tls;

import java.net.InetSocketAddress;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.util.ByteString;

/**
 * What a TLS connection's decrypted bytes pass through between the TLS stage and Pekko HTTP's
 * server layer, made once per connection: the top (outbound) side carries the server's answers
 * towards TLS, the bottom (inbound) side the client's bytes towards Pekko HTTP. A guard on the
 * plaintext (a deadline for the request head, say) goes here, where it sees what Pekko HTTP sees.
 */
@FunctionalInterface
public interface PlaintextHook {

  /** Passes the bytes through untouched. */
  PlaintextHook IDENTITY = remote -> BidiFlow.identity();

  /**
   * The stage for one connection.
   *
   * @param remote the client's address
   * @return outbound ByteString to ByteString on top, inbound ByteString to ByteString below
   */
  BidiFlow<ByteString, ByteString, ByteString, ByteString, ?> forConnection(
      InetSocketAddress remote);
}
