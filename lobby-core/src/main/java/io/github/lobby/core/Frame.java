package io.github.lobby.core;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.Function;
import org.apache.pekko.util.ByteString;

/**
 * A rendered text frame: the event it came from and its UTF-8 bytes, encoded once and shared,
 * unchanged, by every recipient of the event.
 *
 * <p>A value: two frames are equal when their event, text and bytes are. Besides them a frame holds
 * one {@link #derived derived form} that the network layer computes once from the bytes and shares
 * among recipients as it shares the bytes (the compressed bytes of permessage-deflate). (It was a
 * record; it is a class for that one lazily computed field, with the same constructor and
 * accessors.)
 */
public final class Frame {

  private final ClientEvent event;
  private final String text;
  private final ByteString utf8;

  /** The derived form and its key; null until first asked for. */
  private volatile Derived derived;

  private record Derived(Object key, Object value) {}

  /**
   * Rejects nulls.
   *
   * @param event the event, for tests and diagnostics
   * @param text the frame text
   * @param utf8 the frame text encoded as UTF-8
   */
  public Frame(ClientEvent event, String text, ByteString utf8) {
    this.event = Objects.requireNonNull(event, "event");
    this.text = Objects.requireNonNull(text, "text");
    this.utf8 = Objects.requireNonNull(utf8, "utf8");
  }

  /** The event, for tests and diagnostics. */
  public ClientEvent event() {
    return event;
  }

  /** The frame text. */
  public String text() {
    return text;
  }

  /** The frame text encoded as UTF-8. */
  public ByteString utf8() {
    return utf8;
  }

  /**
   * A form of this frame derived from it once and then shared by every recipient, like its bytes:
   * the first call with a key computes it, on the calling thread, and every later call with the
   * same key (compared with {@code equals}) returns that same instance, whatever the thread. A
   * frame keeps one derived form: asked with another key, it computes without keeping (a server has
   * one way to derive, so this does not happen in practice).
   *
   * @param key what the form depends on (for compression, the compressor and its settings)
   * @param derive computes the form from this frame; called at most once per frame and key
   * @return the form
   */
  @SuppressWarnings("unchecked")
  public <T> T derived(Object key, Function<? super Frame, ? extends T> derive) {
    Derived d = derived;
    if (d == null) {
      synchronized (this) {
        d = derived;
        if (d == null) {
          d = new Derived(key, derive.apply(this));
          derived = d;
        }
      }
    }
    return d.key().equals(key) ? (T) d.value() : derive.apply(this);
  }

  @Override
  public boolean equals(Object o) {
    return o == this
        || (o instanceof Frame f
            && event.equals(f.event)
            && text.equals(f.text)
            && utf8.equals(f.utf8));
  }

  @Override
  public int hashCode() {
    return Objects.hash(event, text, utf8);
  }

  /** Names the event; the text only when it holds no {@link ResumeKey}, which it must not show. */
  @Override
  public String toString() {
    boolean secret = event instanceof ClientEvent.Welcome w && w.resumeKey() != null;
    return "Frame[event=" + event + ", text=" + (secret ? "(hidden)" : text) + "]";
  }

  /** Renders an event with a codec and encodes it once. */
  public static Frame render(ClientEvent event, WireCodec codec) {
    String text = codec.render(event);
    return new Frame(event, text, ByteString.fromString(text, StandardCharsets.UTF_8));
  }
}
