package io.github.lobby.core;

import org.apache.pekko.util.ByteString;

/**
 * One client connection, independent of the transport that carries it: what a transport tells the
 * session actor of its connection.
 *
 * <p>The {@link Lobby} spawns one session actor per connection ({@link Lobby.Connect} answers its
 * reference) and joins it to its room. The session decodes each text message with its mode's codec
 * and hands the work to its room or delivers it itself, answers bad input with an {@code error}
 * frame while the connection stays open, and echoes binary messages. It reaches its client only
 * through the {@link Transport} port.
 *
 * <p>Guarantees a transport relies on: every message sent here is acknowledged ({@link
 * Transport#acknowledge()}) once the work it caused is done, so a transport that reads at most
 * {@code inbound-window} unacknowledged messages bounds what one client can make the server hold;
 * every client frame counts against the inbound rate limits (throttled or closed with 1008). The
 * session pings through the transport every {@code heartbeat-interval} and closes with 1001 after
 * {@code client-timeout} of silence. However it ends, its room is told why; with {@code
 * lobby.resumption.grace}, a JSON-mode session whose connection was lost waits for its client to
 * resume it ({@link Resume}) instead.
 */
public final class Session {

  private Session() {}

  /**
   * What a transport sends to its session actor: the client's messages and the connection's end.
   */
  public sealed interface Command {}

  /**
   * A complete text message from the client, already checked to be valid UTF-8 and within {@code
   * max-message-bytes}. The session calls {@link Transport#acknowledge()} once it is processed.
   */
  public record ClientText(String text) implements Command {}

  /** A complete binary message from the client; echoed, then acknowledged. */
  public record ClientBinary(ByteString data) implements Command {}

  /** The client answered a Ping; acknowledged. */
  public enum ClientPong implements Command {
    INSTANCE
  }

  /** Some other frame arrived (a Ping, say): the client is alive; acknowledged. */
  public enum ClientActivity implements Command {
    INSTANCE
  }

  /**
   * The client closed the connection (its Close frame), or the connection ended before the session
   * served it: the session leaves (reason {@code closed}).
   */
  public enum TransportClosed implements Command {
    INSTANCE
  }

  /**
   * The connection failed: a protocol violation; the transport has closed it. The session leaves
   * (reason {@code error}).
   */
  public record TransportFailed(String cause) implements Command {}

  /**
   * The connection was lost without a close handshake: the client's end of stream without a Close
   * frame ({@code cause} null), or an I/O error such as a reset ({@code cause} says which). With
   * {@code lobby.resumption.grace}, a JSON-mode session waits for its client to resume it;
   * otherwise it leaves as after {@link TransportClosed} (end of stream) or {@link TransportFailed}
   * (I/O error).
   */
  public record TransportLost(String cause) implements Command {}

  /**
   * The client broke the protocol after the messages delivered before this one: the session lets
   * its room handle those first (their echoes still go out), then closes with this code. Sent by
   * the transport, which stops reading the client.
   */
  public record ClientFailed(int code, String reason) implements Command {}
}
