package io.github.lobby.http.internal.engine;

import io.github.lobby.http.internal.ws.WsFrame;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.impl.engine.ws.FrameData;
import org.apache.pekko.http.impl.engine.ws.FrameEvent;
import org.apache.pekko.http.impl.engine.ws.FrameEvent$;
import org.apache.pekko.http.impl.engine.ws.FrameHeader;
import org.apache.pekko.http.impl.engine.ws.FrameStart;
import org.apache.pekko.http.impl.engine.ws.Protocol;
import org.apache.pekko.http.impl.engine.ws.UpgradeToWebSocketLowLevel;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Graph;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;
import scala.Option;

/**
 * The one place that uses Pekko HTTP's internal WebSocket frame API, for {@code LobbyRoutes}
 * mounted in a server the application binds itself (the engine path). {@code LobbyServer}'s own
 * binding does not come here: it serves upgrades on the lean path ({@code internal.lean}).
 *
 * <p>Why: through the public {@code Message} API Pekko HTTP answers Pings itself, drops Pongs
 * before the application sees them, can close only with 1000 or 1011, and its idle timeout counts
 * outgoing traffic too, so server Pings would keep a dead peer alive. PROTOCOL.md needs a Ping with
 * a Pong deadline and the close codes 1001, 1002, 1007, 1008 and 1009. Play Framework, which runs
 * on Pekko HTTP, has the same needs and takes the same way: the low-level upgrade {@code
 * UpgradeToWebSocketLowLevel.handleFrames}, which hands the application raw parsed frames
 * (still masked) and renders the frames it returns. The frames then go through the same {@code
 * FrameDecoder} and {@code WsConnection} as on the lean path ({@link EngineConnection}). This API
 * is internal: the Pekko HTTP version is pinned in the parent pom, and the real-socket tests prove
 * every close code and the heartbeat on both paths.
 *
 * <p>permessage-deflate (RFC 7692), which Pekko HTTP's WebSocket support does not offer, fits
 * this API: the engine parses and renders the reserved bits of every frame and leaves their
 * meaning to the handler (it checks none of them on this API), so RSV1 on a client's frame reaches
 * the {@code FrameDecoder}, and a compressed {@link WsFrame} is rendered with RSV1 set. The 101
 * that Pekko HTTP builds carries the {@code Sec-WebSocket-Extensions} answer as one more header.
 *
 * <p>Everything else works on {@link InPart} and {@link WsFrame}, which are plain Java.
 */
public final class EngineFrames {

  private EngineFrames() {}

  /**
   * One part of a client frame as the engine parsed it: a frame start carries the header and the
   * first bytes, later parts carry more bytes of the same frame.
   *
   * @param start whether this part starts a frame (the header fields are valid only then)
   * @param opcode the frame's opcode
   * @param fin the frame's FIN bit
   * @param rsv the reserved bits as they stand in the header's first byte (RSV1 0x40, RSV2 0x20,
   *     RSV3 0x10)
   * @param masked whether the client masked the frame, as it must
   * @param mask the masking key
   * @param length the frame's payload length
   * @param data payload bytes of this part, still masked
   * @param last whether this part ends the frame
   */
  public record InPart(
      boolean start,
      int opcode,
      boolean fin,
      int rsv,
      boolean masked,
      int mask,
      long length,
      ByteString data,
      boolean last) {}

  /** The WebSocket upgrade of a request, if it asks for one. */
  public static Optional<WebSocketUpgrade> upgradeOf(HttpRequest request) {
    return request.getAttribute(AttributeKeys.webSocketUpgrade);
  }

  /**
   * Answers an upgrade request with 101 and runs {@code handler} on the connection's frames.
   *
   * @param subprotocol the subprotocol to select, or empty for none
   * @param extensions the {@code Sec-WebSocket-Extensions} answer, or empty for none
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static HttpResponse accept(
      WebSocketUpgrade upgrade,
      Flow<InPart, WsFrame, NotUsed> handler,
      Optional<String> subprotocol,
      Optional<String> extensions) {
    if (!(upgrade instanceof UpgradeToWebSocketLowLevel lowLevel)) {
      throw new IllegalStateException(
          "this Pekko HTTP version offers no low-level WebSocket upgrade; use the pinned version");
    }
    Flow<FrameEvent, FrameEvent, NotUsed> frames =
        Flow.<FrameEvent>create()
            .map(EngineFrames::in)
            .via(handler)
            .map(EngineFrames::out);
    Graph graph = frames;
    HttpResponse response =
        lowLevel.handleFrames(
            (Graph<FlowShape<FrameEvent, FrameEvent>, Object>) graph,
            subprotocol.map(Option::apply).orElse(Option.empty()));
    return extensions.isEmpty()
        ? response
        : response.addHeader(RawHeader.create("Sec-WebSocket-Extensions", extensions.get()));
  }

  private static InPart in(FrameEvent event) {
    if (event instanceof FrameStart start) {
      FrameHeader h = start.header();
      Option<Object> mask = h.mask();
      return new InPart(
          true,
          h.opcode().code(),
          h.fin(),
          (h.rsv1() ? 0x40 : 0) | (h.rsv2() ? 0x20 : 0) | (h.rsv3() ? 0x10 : 0),
          mask.isDefined(),
          mask.isDefined() ? (Integer) mask.get() : 0,
          h.length(),
          start.data(),
          start.lastPart());
    }
    FrameData data = (FrameData) event;
    return new InPart(false, 0, false, 0, false, 0, 0, data.data(), data.lastPart());
  }

  private static FrameEvent out(WsFrame frame) {
    return FrameEvent$.MODULE$.fullFrame(
        Protocol.Opcode$.MODULE$.forCode((byte) frame.opcode()),
        Option.empty(),
        frame.data(),
        true,
        frame.compressed(), // RSV1: permessage-deflate
        false,
        false);
  }
}
