package io.github.lobby.http.internal.ws;

import io.github.lobby.core.Frame;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.Transport;
import io.github.lobby.http.internal.deflate.Compression;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.util.ByteString;

/**
 * The {@link Transport} of one connection: the bounded outbound queue that rooms on any thread
 * offer frames into, and the wake-up of the connection's own thread.
 *
 * <p>An offer never blocks. It answers {@code FULL} once {@code outbound-buffer} frames or {@code
 * outbound-buffer-bytes} bytes wait (a frame is taken while fewer bytes wait, however large it
 * is, so the queue holds at most the budget and one frame), and {@code CLOSED} once the
 * connection is closing. What a client that does not read holds here is therefore bounded in
 * bytes, whatever it is sent; the one write in flight holds at most what the queue held. The
 * first offer into an empty burst wakes the owner with {@link WsSignal#WAKE}; later offers only
 * queue until the owner has re-armed the wake-up ({@link #rearm()}), so a burst of frames costs
 * one wake-up and, on the lean path, one write. The other Transport calls (Ping, close,
 * acknowledge) are handed to the owner as {@link WsSignal}s, to run on its thread.
 *
 * <p>With a {@link DirectWriter} (the lean path), the wake-up flag is also the connection's write
 * token: whoever holds it is the only one writing to the socket until the write is acknowledged. An
 * offer that finds the connection idle takes the token and writes its frame itself, on the offering
 * thread, without waking the owner: one message to the socket instead of three at moderate rates.
 * Otherwise it queues, and the owner drains the queue into one write when the write in flight is
 * acknowledged. The owner releases the token only when the queue is empty, so frames from one
 * sender stay in order. The flag and the queue live here; who writes when, with the token held, is
 * the lean path's socket writer's.
 *
 * <p>With permessage-deflate negotiated, a text frame is offered compressed: its compressed bytes
 * come from the frame, computed once for all recipients ({@link Compression#text}). The byte budget
 * counts the bytes queued, compressed or not.
 */
public final class Outbox implements Transport {

  /** Runs signals on the connection's own thread. */
  public interface Owner {
    /** Thread-safe; never blocks. */
    void signal(WsSignal signal);
  }

  /** Writes one frame to the socket; called with the write token held. */
  public interface DirectWriter {
    /** Thread-safe; never blocks. The write's acknowledgement goes to the owner. */
    void write(WsFrame frame);
  }

  private final int capacity;
  private final long capacityBytes;
  private final Owner owner;
  private final ConcurrentLinkedQueue<WsFrame> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicLong queuedBytes = new AtomicLong();
  private final AtomicBoolean wakeScheduled = new AtomicBoolean();
  private volatile boolean closed;
  /** Our Close frame is out: nothing may follow it (see {@link #seal()}). */
  private volatile boolean sealed;
  private volatile DirectWriter direct;
  private final LobbyMetrics metrics;

  /** permessage-deflate, when the client negotiated it; null otherwise. */
  private final Compression compression;

  /**
   * @param capacity frames that may wait
   * @param capacityBytes bytes of frames that may wait
   * @param metrics where the queue's depth is recorded
   */
  public Outbox(int capacity, long capacityBytes, Owner owner, LobbyMetrics metrics) {
    this(capacity, capacityBytes, owner, metrics, null);
  }

  /**
   * @param compression the server's permessage-deflate, when this client negotiated it; null when
   *     not
   */
  public Outbox(
      int capacity,
      long capacityBytes,
      Owner owner,
      LobbyMetrics metrics,
      Compression compression) {
    this.compression = compression;
    this.capacity = capacity;
    this.capacityBytes = capacityBytes;
    this.owner = owner;
    this.metrics = metrics;
  }

  /** Lets offers write straight to the socket when it is idle (see the class comment). */
  public void writeDirectly(DirectWriter writer) {
    this.direct = writer;
  }

  @Override
  public Offer sendText(Frame frame) {
    if (compression != null) {
      ByteString compressed = compression.text(frame);
      if (compressed != null) {
        return offer(new WsFrame(WsFrame.TEXT, compressed, true));
      }
    }
    return offer(new WsFrame(WsFrame.TEXT, frame.utf8()));
  }

  @Override
  public Offer sendBinary(ByteString data) {
    if (compression != null) {
      ByteString compressed = compression.binary(data);
      if (compressed != null) {
        return offer(new WsFrame(WsFrame.BINARY, compressed, true));
      }
    }
    return offer(new WsFrame(WsFrame.BINARY, data));
  }

  private Offer offer(WsFrame frame) {
    if (closed) {
      return Offer.CLOSED;
    }
    int size = frame.data().length();
    long bytes = queuedBytes.addAndGet(size);
    if (bytes - size >= capacityBytes) { // a frame is taken while the queue is under budget
      queuedBytes.addAndGet(-size);
      return full();
    }
    if (queued.incrementAndGet() > capacity) {
      queued.decrementAndGet();
      queuedBytes.addAndGet(-size);
      return full();
    }
    DirectWriter writer = direct;
    if (writer != null && wakeScheduled.compareAndSet(false, true)) {
      // The connection is idle and the token is ours: no queue, no wake-up.
      queued.decrementAndGet();
      queuedBytes.addAndGet(-size);
      writer.write(frame);
      return Offer.ACCEPTED;
    }
    queue.add(frame);
    if (!wakeScheduled.getAndSet(true)) {
      owner.signal(WsSignal.WAKE);
    }
    return Offer.ACCEPTED;
  }

  /**
   * A refused frame makes every later offer refused too, before the session has closed the
   * connection: otherwise the queue could drain meanwhile and take the next frame, and the client
   * would see a gap (offsets N-1, N+1), then a recovery from N+1 that looks complete.
   */
  private Offer full() {
    closed = true;
    return Offer.FULL;
  }

  @Override
  public void ping() {
    owner.signal(WsSignal.PING);
  }

  @Override
  public void close(int code, String reason) {
    owner.signal(new WsSignal.CloseRequest(code, reason, false));
  }

  @Override
  public void closeNow(int code, String reason) {
    closed = true; // refuse offers at once: the client is not reading
    owner.signal(new WsSignal.CloseRequest(code, reason, true));
  }

  @Override
  public void acknowledge() {
    owner.signal(WsSignal.ACK);
  }

  // ---- the owner's side, on its own thread ----

  /** The next queued data frame, or null. */
  public WsFrame poll() {
    if (sealed) {
      dropQueued(); // offers that raced with the close
      return null;
    }
    WsFrame frame = queue.poll();
    if (frame != null) {
      queued.decrementAndGet();
      queuedBytes.addAndGet(-frame.data().length());
    }
    return frame;
  }

  /** Lets the next offer wake the owner again; call before draining the queue. */
  public void rearm() {
    sampleDepth();
    wakeScheduled.set(false);
  }

  /**
   * Records how many frames wait, when some do (the owner's side, before it drains them): not on
   * the common path at moderate rates, where each frame went straight to an idle socket and nothing
   * queued behind it.
   */
  public void sampleDepth() {
    int depth = queued.get();
    if (depth > 0) {
      metrics.outboundQueueDepth(depth);
    }
  }

  /** Takes the write token if nobody holds it (the owner's own frames: Pong, Ping, Close). */
  public boolean acquire() {
    return wakeScheduled.compareAndSet(false, true);
  }

  /**
   * Gives the write token back once the owner found nothing to write; returns true when frames were
   * queued meanwhile and the token was taken again, so the owner must drain once more.
   */
  public boolean release() {
    wakeScheduled.set(false);
    return !sealed && !queue.isEmpty() && wakeScheduled.compareAndSet(false, true);
  }

  /**
   * Our Close frame has been handed out: nothing may follow it. An offer that passed the closed
   * check just before {@link #close} may still have queued a frame; it is dropped, and it no longer
   * takes the write token back (a writer would otherwise find nothing to write and loop).
   */
  public void seal() {
    closed = true;
    sealed = true;
    dropQueued();
  }

  private void dropQueued() {
    queue.clear();
    queued.set(0);
    queuedBytes.set(0);
  }

  /** Refuses further offers; drops the queued frames when asked to. */
  public void close(boolean dropQueued) {
    closed = true;
    if (dropQueued) {
      dropQueued();
    }
  }
}
