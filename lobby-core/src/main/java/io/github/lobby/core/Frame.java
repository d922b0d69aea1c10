package io.github.lobby.core;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.pekko.util.ByteString;

/**
 * A rendered text frame: the event it came from and its UTF-8 bytes, encoded once and shared,
 * unchanged, by every recipient of the event.
 *
 * @param event the event, for tests and diagnostics
 * @param text the frame text
 * @param utf8 the frame text encoded as UTF-8
 */
public record Frame(ClientEvent event, String text, ByteString utf8) {

  /** Rejects nulls. */
  public Frame {
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(utf8, "utf8");
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
