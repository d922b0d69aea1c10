package io.github.lobby.http.internal.deflate;

import io.github.lobby.core.Frame;
import io.github.lobby.http.CompressionSettings;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.apache.pekko.util.ByteString;

/**
 * permessage-deflate of one server, shared by all of its connections: the negotiation by its {@link
 * CompressionSettings}, the compression of what it sends and the pools of zlib streams.
 *
 * <p>Sending: the server compresses every message on its own ({@code server_no_context_takeover}),
 * so a text frame's compressed bytes depend on nothing but its bytes and the level. They are
 * computed once per {@link Frame}, by the first recipient's offer, kept on the frame ({@link
 * Frame#derived}) and shared by every other recipient that negotiated compression, as the frame's
 * bytes are. A message shorter than {@code min-bytes}, or that deflate does not make shorter, goes
 * uncompressed (RFC 7692 lets every message choose).
 *
 * <p>Deflaters are pooled: one holds about 260 KB of native memory at level 6, so none belongs to a
 * connection. The pool is bounded ({@link #POOL}); a thread that finds it empty makes a deflater,
 * and one given back to a full pool is ended. Inflaters for clients without context takeover are
 * pooled the same way; a client with context takeover (only with {@code
 * lobby.compression.client-context-takeover = on}) has its own ({@link MessageInflater}).
 */
public final class Compression {

  /** The most idle deflaters (and inflaters) kept: about as many as threads compress at once. */
  static final int POOL = Math.max(2, 2 * Runtime.getRuntime().availableProcessors());

  /** The end of a sync flush, which RFC 7692 section 7.2.1 removes from each message. */
  private static final byte[] TAIL = {0, 0, (byte) 0xff, (byte) 0xff};

  /** The derived form of a frame that deflate does not make shorter: sent as it is. */
  private static final ByteString NO_GAIN = ByteString.emptyByteString();

  private final CompressionSettings settings;
  private final ArrayBlockingQueue<Deflater> deflaters = new ArrayBlockingQueue<>(POOL);
  private final ArrayBlockingQueue<Inflater> inflaters = new ArrayBlockingQueue<>(POOL);

  public Compression(CompressionSettings settings) {
    this.settings = settings;
  }

  /** The settings. */
  public CompressionSettings settings() {
    return settings;
  }

  /** The agreement on a {@code Sec-WebSocket-Extensions} offer; empty when off or declined. */
  public Optional<PerMessageDeflate.Agreement> negotiate(String extensions) {
    return settings.enabled()
        ? PerMessageDeflate.negotiate(extensions, settings.clientContextTakeover())
        : Optional.empty();
  }

  /**
   * The compressed payload of a text frame, computed once per frame and shared; null when it goes
   * uncompressed (shorter than {@code min-bytes}, or no shorter compressed).
   */
  public ByteString text(Frame frame) {
    if (frame.utf8().size() < settings.minBytes()) {
      return null;
    }
    ByteString compressed = frame.derived(this, f -> deflateOrNoGain(f.utf8()));
    return compressed == NO_GAIN ? null : compressed;
  }

  /**
   * The compressed payload of a binary message (each is one client's echo, so nothing is shared);
   * null when it goes uncompressed ({@code binary = off}, shorter than {@code min-bytes}, or no
   * shorter compressed).
   */
  public ByteString binary(ByteString data) {
    if (!settings.binary() || data.size() < settings.minBytes()) {
      return null;
    }
    ByteString compressed = deflateOrNoGain(data);
    return compressed == NO_GAIN ? null : compressed;
  }

  /** Raw deflate with a sync flush, its tail removed; {@link #NO_GAIN} when not shorter. */
  ByteString deflateOrNoGain(ByteString data) {
    Deflater deflater = deflaters.poll();
    if (deflater == null) {
      deflater = new Deflater(settings.level(), true);
    }
    try {
      int size = data.size();
      deflater.setInput(data.toArrayUnsafe());
      // Text of chat and statistics shrinks to well under half; grow if it does not.
      byte[] out = new byte[Math.max(64, size / 2 + 64)];
      int length = 0;
      while (true) {
        int room = out.length - length;
        length += deflater.deflate(out, length, room, Deflater.SYNC_FLUSH);
        if (out.length - length > 0) {
          break; // a sync flush that leaves room has written everything
        }
        if (length - TAIL.length >= size) {
          return NO_GAIN;
        }
        out = Arrays.copyOf(out, out.length * 2);
      }
      if (length < TAIL.length
          || !Arrays.equals(out, length - TAIL.length, length, TAIL, 0, TAIL.length)) {
        throw new IllegalStateException("a sync flush must end with 00 00 ff ff");
      }
      length -= TAIL.length;
      // Trimmed to its length: the frame keeps it while any recipient's queue holds it.
      return length >= size ? NO_GAIN : ByteString.fromArrayUnsafe(Arrays.copyOf(out, length));
    } finally {
      deflater.reset();
      if (!deflaters.offer(deflater)) {
        deflater.end();
      }
    }
  }

  /** How many idle deflaters the pool holds (for tests). */
  int pooledDeflaters() {
    return deflaters.size();
  }

  /** An inflater from the pool, for one message of a client without context takeover. */
  Inflater borrowInflater() {
    Inflater inflater = inflaters.poll();
    return inflater != null ? inflater : new Inflater(true);
  }

  /** Gives an inflater back, reset; ended when the pool is full. */
  void returnInflater(Inflater inflater) {
    inflater.reset();
    if (!inflaters.offer(inflater)) {
      inflater.end();
    }
  }
}
