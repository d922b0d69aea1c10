package io.github.lobby.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spike, candidate (b): one TCP connection of {@link NettySpikeServer}, the {@link
 * LeanConnection} of the Netty design. One instance per channel; everything but {@link
 * #signal} and the Outbox's direct writes runs on the channel's event loop, which is the
 * connection's one thread for {@link WsConnection}.
 *
 * <ul>
 *   <li>head: reads (one chunk per {@code read()}, auto-read off) until {@link UpgradeHead#parse}
 *       decides, within Pekko HTTP's idle timeout; the same admission and Origin check as the
 *       lean path;
 *   <li>an accepted upgrade: the 101 answer, then raw bytes (copied out of the ByteBuf into a
 *       ByteString) to {@link WsConnection#onBytes}; auto-read is on exactly while {@link
 *       WsConnection#wantsRead()} (or while closing), so a client that sends faster than its
 *       session is served is held back by TCP;
 *   <li>anything else: the bytes read so far, then the rest of the connection, go through Pekko
 *       HTTP's server layer joined with the routes ({@link LeanConnection.Shared#http()}), bridged
 *       with a backpressured {@code Source.queue} (the next read after each offer) and a {@code
 *       Sink.foreachAsync(1)} (the next response chunk after each write completes).
 * </ul>
 *
 * <p>Writes follow the lean path's token rules ({@link Outbox}): whoever holds the token is the
 * only writer until its write completes. An offer that finds the connection idle frames its
 * data and calls {@code writeAndFlush} on the room's thread (Netty hands the write to the event
 * loop); the write's completion runs on the event loop and writes everything that queued
 * meanwhile, control frames included, as one buffer of at most 256 KiB, or gives the token back.
 * So one write is in flight at a time, frames from one sender stay in order, and a client that
 * does not read holds one write and its bounded queue.
 *
 * <p>Ending, as on the lean path: once {@link WsConnection#done()}, and after the last write
 * completed (Netty drops writes still pending at close), the channel closes if the handshake is
 * complete; otherwise it half-closes ({@code shutdownOutput}, FIN) and reads on, dropping bytes,
 * until the client's FIN, at most {@code close-timeout}. An abort is a close with {@code
 * SO_LINGER} 0 (RST), like Pekko IO's {@code Abort}.
 */
final class NettyConnection extends ChannelInboundHandlerAdapter
    implements WsConnection.Io, ChannelFutureListener {

  private static final Logger log = LoggerFactory.getLogger(NettyConnection.class);

  /** What to do with the socket once no write is in flight. */
  private enum End {
    CLOSE,
    HALF_CLOSE
  }

  private final LeanConnection.Shared shared;

  private Channel channel;
  private InetSocketAddress remote;
  private ByteString head = ByteString.emptyByteString();
  private ScheduledFuture<?> timer;
  private boolean closing;
  private boolean peerClosed;
  private boolean stopped;
  private String ioFailure;

  // WebSocket
  private WsConnection ws;
  /** Set while the last write is in flight: done when it completes. */
  private End pendingEnd;

  // Plain HTTP, bridged to Pekko HTTP's server layer.
  private SourceQueueWithComplete<ByteString> httpIn;
  private boolean httpInBusy;
  private boolean httpInDone;
  private volatile boolean httpWriting;
  private volatile long lastActivity;

  NettyConnection(LeanConnection.Shared shared) {
    this.shared = shared;
  }

  // ---- channel events, on the event loop ----

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    remote = (InetSocketAddress) channel.remoteAddress();
    timer = schedule(shared.idleTimeout(), this::onHeadTimeout);
    channel.read();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    stopped = true;
    cancelTimer();
    if (ws != null) {
      ws.stopped(ioFailure);
    }
    if (httpIn != null && !httpInDone) {
      httpInDone = true;
      httpIn.fail(new ClosedChannelException());
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf buf = (ByteBuf) msg;
    if (closing) {
      buf.release(); // draining until the client's FIN; auto-read is on
      return;
    }
    // One copy, as Pekko IO makes from its read buffer.
    byte[] bytes = new byte[buf.readableBytes()];
    buf.readBytes(bytes);
    buf.release();
    ByteString data = ByteString.fromArrayUnsafe(bytes);
    if (ws != null) {
      ws.onBytes(data);
      inputReady();
    } else if (httpIn != null) {
      lastActivity = System.nanoTime();
      offer(data);
    } else {
      onHead(data);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event == ChannelInputShutdownEvent.INSTANCE) {
      onPeerClosed();
    }
    ctx.fireUserEventTriggered(event);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // A reset or a failed read: client misbehaviour, so at debug only.
    log.debug("Connection from {} failed", remote, cause);
    if (ioFailure == null) {
      ioFailure = "connection failed";
    }
    ctx.close();
  }

  private void onPeerClosed() {
    peerClosed = true;
    if (httpIn != null && !closing) {
      // The client sent all its requests: Pekko HTTP answers them, then the sink completes.
      if (!httpInBusy) {
        completeHttpIn();
      }
      return;
    }
    if (closing) {
      // The client's FIN after our Close (or after a close already under way).
      if (pendingEnd != null) {
        pendingEnd = End.CLOSE;
      } else {
        channel.close();
      }
      return;
    }
    // A WebSocket client that goes without a Close frame, or a client that never finished its
    // request: the connection is over once a write in flight is done. A free token means none is.
    closing = true;
    cancelTimer();
    if (ws == null || ws.outbox().acquire()) {
      channel.close();
    } else {
      pendingEnd = End.CLOSE;
      timer = schedule(shared.context().http().closeTimeout(), () -> abort(null));
    }
  }

  // ---- the request head ----

  private void onHead(ByteString data) {
    head = head.concat(data);
    UpgradeHead.Result result = UpgradeHead.parse(head, data.size(), shared.maxHead());
    if (result == UpgradeHead.Incomplete.INSTANCE) {
      channel.read();
    } else if (result instanceof UpgradeHead.Upgrade upgrade && shared.admissible(upgrade, remote)) {
      startWebSocket(upgrade);
    } else {
      startHttp();
    }
  }

  // ---- WebSocket ----

  private void startWebSocket(UpgradeHead.Upgrade upgrade) {
    cancelTimer();
    ByteString rest = head.drop(upgrade.headLength());
    head = null;
    ws = shared.webSocket(upgrade, remote, java.util.Optional.empty(), this);
    ws.outbox().writeDirectly(frame -> write(FrameEncoder.frame(frame.opcode(), frame.data())));
    // The 101 goes out first, with the token held until it is written: frames that rooms offer
    // meanwhile queue behind it, and its completion drains them.
    ws.outbox().acquire();
    write(UpgradeHead.switchingProtocols(upgrade));
    ws.start();
    if (!rest.isEmpty()) {
      ws.onBytes(rest);
    }
    inputReady();
  }

  /**
   * Writes bytes with the token held, on any thread; the completion ({@link #operationComplete})
   * runs on the event loop. One copy, into a direct buffer, as Pekko IO makes for its writes.
   */
  private void write(ByteString bytes) {
    ChannelPromise promise = channel.newPromise();
    promise.addListener(this);
    channel.writeAndFlush(toBuf(bytes), promise);
  }

  private ByteBuf toBuf(ByteString bytes) {
    int size = bytes.size();
    ByteBuf buf = channel.alloc().directBuffer(size);
    bytes.copyToBuffer(buf.nioBuffer(0, size));
    buf.writerIndex(size);
    return buf;
  }

  /** A WebSocket write is done; this handler holds the token. */
  @Override
  public void operationComplete(ChannelFuture future) {
    if (!future.isSuccess()) {
      abort("write failed");
    } else if (!stopped) {
      pump();
    }
  }

  /**
   * Writes what is ready (Pong, Ping, queued data, Close) as one buffer, with the token held;
   * gives the token back when there is nothing, and ends the connection once ws is done.
   */
  private void pump() {
    if (closing) {
      // The token stays here for good; an end that waited for the write in flight goes now.
      if (pendingEnd != null) {
        End end = pendingEnd;
        pendingEnd = null;
        end(end);
      }
      return;
    }
    boolean wrote = false;
    Outbox outbox = ws.outbox();
    while (true) {
      ByteStringBuilder out = FrameEncoder.coalesce(null, ws::nextFrame);
      if (out != null) {
        write(out.result()); // its completion comes back here
        wrote = true;
        break;
      }
      if (ws.done() || !outbox.release()) {
        break;
      }
    }
    if (ws.done()) {
      // The token stays here for good: nothing more goes out.
      closing = true;
      cancelTimer();
      End end = ws.handshakeComplete() ? End.CLOSE : End.HALF_CLOSE;
      if (wrote) {
        pendingEnd = end; // Netty drops writes still pending when the socket closes
      } else {
        end(end);
      }
      timer = schedule(shared.context().http().closeTimeout(), () -> abort(null));
      channel.config().setAutoRead(true); // read on, dropping bytes, to the client's FIN
    }
  }

  private void end(End end) {
    if (end == End.CLOSE || peerClosed) {
      channel.close();
    } else {
      // Our Close is written: send FIN, read on until the client's FIN so that unread bytes do
      // not reset the connection under the Close frame.
      ((DuplexChannel) channel).shutdownOutput();
    }
  }

  private void onSignal(Object signal) {
    if (ws == null || stopped) {
      return;
    }
    if (signal == Outbox.WAKE) {
      pump(); // the waker took the token for us (after a close began too: pump ends it)
    } else {
      ws.onSignal(signal);
    }
  }

  // ---- WsConnection.Io ----

  @Override
  public void signal(Object signal) {
    try {
      channel.eventLoop().execute(() -> onSignal(signal));
    } catch (RejectedExecutionException e) {
      // The event loops are shutting down: the connection goes with them.
    }
  }

  @Override
  public void outputReady() {
    // A taken token means a write is in flight (its completion drains what is ready) or a WAKE
    // is on its way; either way pump() runs later.
    if (!closing && ws.outbox().acquire()) {
      pump();
    }
  }

  @Override
  public void inputReady() {
    boolean wanted = closing || ws.wantsRead();
    if (channel.config().isAutoRead() != wanted) {
      channel.config().setAutoRead(wanted);
    }
  }

  @Override
  public void startCloseTimer() {
    if (!closing) {
      cancelTimer();
      timer = schedule(shared.context().http().closeTimeout(), this::onCloseTimeout);
    }
  }

  @Override
  public void finish() {
    outputReady();
  }

  private void onCloseTimeout() {
    timer = null;
    if (ws != null && !closing) {
      // The client did not answer our Close, or does not read what we write: drop it.
      abort(null);
    }
  }

  // ---- plain HTTP ----

  private void startHttp() {
    cancelTimer();
    lastActivity = System.nanoTime();
    Pair<SourceQueueWithComplete<ByteString>, CompletionStage<Done>> bridge =
        Source.<ByteString>queue(1, OverflowStrategy.backpressure())
            .via(shared.http().apply(remote))
            .toMat(Sink.foreachAsync(1, this::writeHttp), Keep.both())
            .run(shared.materializer());
    httpIn = bridge.first();
    bridge.second().whenCompleteAsync((done, error) -> onHttpDone(), channel.eventLoop());
    ByteString bytes = head;
    head = null;
    offer(bytes);
    timer = schedule(shared.idleTimeout(), this::onIdleCheck);
  }

  private void offer(ByteString bytes) {
    httpInBusy = true;
    httpIn.offer(bytes).whenCompleteAsync(this::onOffered, channel.eventLoop());
  }

  private void onOffered(QueueOfferResult result, Throwable error) {
    httpInBusy = false;
    if (error != null || !result.isEnqueued()) {
      channel.close(); // the stream has ended
    } else if (peerClosed) {
      completeHttpIn();
    } else {
      channel.read();
    }
  }

  private void completeHttpIn() {
    if (!httpInDone) {
      httpInDone = true;
      httpIn.complete();
    }
  }

  /** Writes one chunk of Pekko HTTP's output; the next is pulled once it is written. */
  private CompletionStage<Void> writeHttp(ByteString bytes) {
    CompletableFuture<Void> written = new CompletableFuture<>();
    httpWriting = true;
    lastActivity = System.nanoTime();
    channel
        .writeAndFlush(toBuf(bytes))
        .addListener(
            f -> {
              httpWriting = false;
              lastActivity = System.nanoTime();
              if (f.isSuccess()) {
                written.complete(null);
              } else {
                written.completeExceptionally(f.cause());
              }
            });
    return written;
  }

  /** Pekko HTTP answered all it will (or failed): close, after the last write. */
  private void onHttpDone() {
    if (!closing) {
      closing = true;
      channel.close();
    }
  }

  private void onIdleCheck() {
    long idle = System.nanoTime() - lastActivity;
    if (idle >= shared.idleTimeout().toNanos() && !httpWriting) {
      abort(null);
    } else {
      timer =
          schedule(
              shared.idleTimeout().minusNanos(Math.max(0, idle)).plusMillis(10),
              this::onIdleCheck);
    }
  }

  private void onHeadTimeout() {
    timer = null;
    if (ws == null && httpIn == null) {
      abort(null); // a connection that never finished its first request
    }
  }

  // ---- helpers ----

  /** Ends the connection with a reset. */
  private void abort(String failure) {
    if (failure != null && ioFailure == null) {
      ioFailure = failure;
    }
    if (channel.isOpen()) {
      try {
        channel.config().setOption(ChannelOption.SO_LINGER, 0);
      } catch (RuntimeException e) {
        // closed meanwhile
      }
      channel.close();
    }
  }

  private ScheduledFuture<?> schedule(Duration delay, Runnable task) {
    return channel.eventLoop().schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void cancelTimer() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
