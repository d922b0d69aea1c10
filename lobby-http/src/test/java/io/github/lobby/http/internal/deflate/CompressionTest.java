package io.github.lobby.http.internal.deflate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Frame;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.http.CompressionSettings;
import io.github.lobby.http.internal.ws.Outbox;
import io.github.lobby.http.internal.ws.WsFrame;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/** Compression once per broadcast, and inflation bounded by the maximum message size. */
class CompressionTest {

  private static final Compression ON = new Compression(CompressionSettings.DEFAULT);

  /** A realistic row of daily statistics, repeated: 4 KB of repetitive JSON. */
  static String statistics(int bytes) {
    StringBuilder s = new StringBuilder("{\"rows\":[");
    for (int i = 0; s.length() < bytes; i++) {
      s.append("{\"day\":\"2026-12-")
          .append(10 + i % 20)
          .append("\",\"visits\":")
          .append(1000 + i * 7)
          .append(",\"users\":")
          .append(300 + i)
          .append(",\"bounce\":0.4")
          .append(i % 10)
          .append("},");
    }
    return s.append("{}]}").toString();
  }

  private static Frame frame(String text) {
    return new Frame(
        new ClientEvent.Refreshed(java.time.Instant.EPOCH),
        text,
        ByteString.fromString(text, StandardCharsets.UTF_8));
  }

  /** Inflates as a client does (RFC 7692 section 7.2.2): the tail put back. */
  static byte[] inflate(ByteString compressed) throws DataFormatException {
    Inflater inflater = new Inflater(true);
    byte[] in = Arrays.copyOf(compressed.toArray(), compressed.size() + 4);
    in[in.length - 2] = (byte) 0xff;
    in[in.length - 1] = (byte) 0xff;
    inflater.setInput(in);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[1024];
    while (!inflater.needsInput()) {
      out.write(buffer, 0, inflater.inflate(buffer));
    }
    inflater.end();
    return out.toByteArray();
  }

  /** An outbox of a client that negotiated compression, recording what it would write. */
  private static Outbox outbox(Compression compression) {
    return new Outbox(100, 1 << 20, signal -> {}, LobbyMetrics.NONE, compression);
  }

  @Test
  void aBroadcastIsCompressedOnceAndItsBytesAreSharedByEveryRecipient() throws Exception {
    Frame broadcast = frame(statistics(4096));
    Outbox first = outbox(ON);
    Outbox second = outbox(ON);
    Outbox plain = outbox(null);
    first.sendText(broadcast);
    second.sendText(broadcast);
    plain.sendText(broadcast);
    WsFrame a = first.poll();
    WsFrame b = second.poll();
    WsFrame c = plain.poll();
    assertTrue(a.compressed() && b.compressed());
    assertSame(a.data(), b.data(), "one compressed ByteString for both recipients");
    assertSame(a.data().toArrayUnsafe(), b.data().toArrayUnsafe(), "the same byte array instance");
    assertFalse(c.compressed());
    assertSame(broadcast.utf8(), c.data(), "the plain recipient gets the rendered bytes");
    assertArrayEquals(broadcast.utf8().toArray(), inflate(a.data()));
    byte[] bytes = a.data().toArray();
    assertFalse(
        bytes[bytes.length - 4] == 0
            && bytes[bytes.length - 3] == 0
            && bytes[bytes.length - 2] == (byte) 0xff
            && bytes[bytes.length - 1] == (byte) 0xff,
        "the tail 00 00 ff ff is removed (RFC 7692 section 7.2.1)");
    assertTrue(
        a.data().size() * 4 <= broadcast.utf8().size(),
        a.data().size() + " compressed bytes of " + broadcast.utf8().size());
  }

  @Test
  void theFrameIsCompressedOnlyOnceWhateverTheNumberOfRecipientsAndThreads() throws Exception {
    Frame broadcast = frame(statistics(4096));
    ByteString[] seen = new ByteString[16];
    Thread[] threads = new Thread[seen.length];
    for (int i = 0; i < threads.length; i++) {
      int n = i;
      threads[i] = new Thread(() -> seen[n] = ON.text(broadcast));
    }
    for (Thread t : threads) {
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    for (ByteString s : seen) {
      assertSame(seen[0], s, "every recipient, on any thread, gets the one compressed form");
    }
    assertSame(seen[0], ON.text(broadcast));
  }

  @Test
  void theByteBudgetCountsTheCompressedBytesQueued() {
    Frame broadcast = frame(statistics(4096));
    ByteString compressed = ON.text(broadcast);
    // A budget of three compressed frames: a plain 4 KB frame would fill it at once.
    long budget = 3L * compressed.size();
    Outbox outbox = new Outbox(1000, budget, signal -> {}, LobbyMetrics.NONE, ON);
    int accepted = 0;
    while (outbox.sendText(broadcast) == io.github.lobby.core.Transport.Offer.ACCEPTED) {
      accepted++;
    }
    assertEquals(3, accepted);
  }

  @Test
  void framesUnderMinBytesAndFramesDeflateDoesNotShortenGoPlain() {
    assertNull(ON.text(frame("x".repeat(511))), "under min-bytes");
    assertNotNull(ON.text(frame("x".repeat(512))));
    byte[] random = new byte[2048];
    new java.util.Random(7).nextBytes(random);
    String noise = java.util.Base64.getEncoder().encodeToString(random);
    Compression everything = new Compression(new CompressionSettings(true, 0, false, 6, false));
    ByteString compressed = everything.text(frame(noise));
    assertTrue(compressed == null || compressed.size() < noise.length());
    Outbox outbox = outbox(ON);
    outbox.sendText(frame("short"));
    assertFalse(outbox.poll().compressed());
  }

  @Test
  void binaryIsCompressedOnlyWhenConfigured() throws Exception {
    ByteString data = ByteString.fromString(statistics(4096));
    assertNull(ON.binary(data), "binary = off by default");
    Compression binary = new Compression(new CompressionSettings(true, 512, true, 6, false));
    assertArrayEquals(data.toArray(), inflate(binary.binary(data)));
    Outbox outbox = outbox(binary);
    outbox.sendBinary(data);
    WsFrame frame = outbox.poll();
    assertTrue(frame.compressed());
    assertEquals(WsFrame.BINARY, frame.opcode());
  }

  @Test
  void offNegotiatesNothing() {
    assertTrue(
        new Compression(CompressionSettings.DISABLED).negotiate("permessage-deflate").isEmpty());
    assertTrue(ON.negotiate("permessage-deflate").isPresent());
  }

  @Test
  void theDeflaterPoolIsBounded() throws Exception {
    Compression compression = new Compression(CompressionSettings.DEFAULT);
    Thread[] threads = new Thread[Compression.POOL * 3];
    for (int i = 0; i < threads.length; i++) {
      int n = i;
      threads[i] = new Thread(() -> compression.text(frame(statistics(4096) + n)));
      threads[i].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertTrue(compression.pooledDeflaters() <= Compression.POOL);
  }

  // ---- inflation ----

  private static byte[] deflate(Deflater deflater, byte[] data) {
    deflater.setInput(data);
    byte[] out = new byte[data.length + 1024];
    int n = deflater.deflate(out, 0, out.length, Deflater.SYNC_FLUSH);
    return Arrays.copyOf(out, n - 4);
  }

  @Test
  void aZipBombIsStoppedAfterMaxPlusOneBytes() throws Exception {
    Deflater deflater = new Deflater(9, true);
    byte[] bomb = deflate(deflater, new byte[8 * 1024 * 1024]);
    deflater.end();
    MessageInflater inflater = new MessageInflater(ON, false);
    assertThrows(
        MessageInflater.TooBigException.class, () -> inflater.inflate(bomb, bomb.length, 1000));
    // Exactly the maximum is fine.
    Deflater exact = new Deflater(9, true);
    byte[] justRight = deflate(exact, new byte[1000]);
    exact.end();
    assertEquals(1000, inflater.inflate(justRight, justRight.length, 1000).length);
  }

  @Test
  void contextTakeoverKeepsOneInflaterMadeOnTheFirstMessageAndReleasedAtTheEnd() throws Exception {
    MessageInflater inflater = new MessageInflater(ON, true);
    assertFalse(inflater.holdsInflater(), "nothing before the first compressed message");
    Deflater client = new Deflater(6, true);
    String text = statistics(2000);
    for (int i = 0; i < 3; i++) {
      byte[] message = deflate(client, text.getBytes(StandardCharsets.UTF_8));
      assertArrayEquals(
          text.getBytes(StandardCharsets.UTF_8), inflater.inflate(message, message.length, 65536));
      assertTrue(inflater.holdsInflater());
    }
    client.end();
    inflater.release();
    assertFalse(inflater.holdsInflater());
  }

  @Test
  void withoutContextTakeoverTheConnectionHoldsNoInflater() throws Exception {
    MessageInflater inflater = new MessageInflater(ON, false);
    for (int i = 0; i < 3; i++) {
      Deflater client = new Deflater(6, true);
      byte[] message = deflate(client, statistics(2000).getBytes(StandardCharsets.UTF_8));
      client.end();
      assertEquals(
          statistics(2000),
          new String(inflater.inflate(message, message.length, 65536), StandardCharsets.UTF_8));
      assertFalse(inflater.holdsInflater());
    }
  }

  @Test
  void corruptDataIsADataFormatException() {
    MessageInflater inflater = new MessageInflater(ON, true);
    byte[] corrupt = {(byte) 0xff, 1, 2, 3};
    assertThrows(DataFormatException.class, () -> inflater.inflate(corrupt, 4, 65536));
    assertFalse(inflater.holdsInflater(), "the failed connection's context is ended at once");
  }
}
