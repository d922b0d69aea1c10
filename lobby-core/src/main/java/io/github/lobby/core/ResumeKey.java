package io.github.lobby.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;

/**
 * The secret with which a client resumes its session ({@code lobby.resumption}; PROTOCOL.md,
 * resuming a session): random per session, new on every resume (the key resumed with stays valid
 * until the new one is used), told only to the session's own client in its {@code welcome}.
 * Whoever knows it and the session id may take the session over, so it never reaches a log line:
 * {@link #toString()} hides it, and so does every record that holds one.
 *
 * @param value the key as the client sends it back, 1 to {@value #MAX_LENGTH} characters
 */
public record ResumeKey(String value) {

  /** The longest key accepted from a client, in characters. */
  public static final int MAX_LENGTH = 64;

  /** Random bytes in a new key: 192 bits, written as 32 URL-safe Base64 characters. */
  private static final int RANDOM_BYTES = 24;

  /** Rejects a missing, empty or overlong key. */
  public ResumeKey {
    Objects.requireNonNull(value, "value");
    if (value.isEmpty() || value.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "a resume key is 1 to " + MAX_LENGTH + " characters, as a welcome gave it");
    }
  }

  /** A new random key, URL-safe (no escaping in a query), from {@code random}. */
  public static ResumeKey random(SecureRandom random) {
    byte[] bytes = new byte[RANDOM_BYTES];
    random.nextBytes(bytes);
    return new ResumeKey(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
  }

  /** Whether {@code other} is this key, compared in constant time. */
  public boolean matches(ResumeKey other) {
    return MessageDigest.isEqual(
        value.getBytes(StandardCharsets.UTF_8), other.value.getBytes(StandardCharsets.UTF_8));
  }

  /** Hides the key: it is a credential. */
  @Override
  public String toString() {
    return "ResumeKey[hidden]";
  }
}
