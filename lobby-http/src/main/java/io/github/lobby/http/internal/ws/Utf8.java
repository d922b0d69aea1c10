package io.github.lobby.http.internal.ws;

/**
 * An incremental UTF-8 validator (RFC 3629): rejects overlong forms, surrogates and code points
 * above U+10FFFF at the first byte that makes the input invalid, and keeps its state across calls
 * so a character may be split between fragments.
 */
final class Utf8 {
  private int needed;
  private int lower = 0x80;
  private int upper = 0xBF;

  void reset() {
    needed = 0;
    lower = 0x80;
    upper = 0xBF;
  }

  /** Checks {@code bytes[from, to)}; false at the first invalid byte. */
  boolean accept(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      int b = bytes[i] & 0xff;
      if (needed == 0) {
        if (b < 0x80) {
          continue;
        }
        if (b < 0xC2) {
          return false;
        } else if (b < 0xE0) {
          needed = 1;
        } else if (b < 0xF0) {
          needed = 2;
          lower = b == 0xE0 ? 0xA0 : 0x80;
          upper = b == 0xED ? 0x9F : 0xBF;
        } else if (b < 0xF5) {
          needed = 3;
          lower = b == 0xF0 ? 0x90 : 0x80;
          upper = b == 0xF4 ? 0x8F : 0xBF;
        } else {
          return false;
        }
      } else {
        if (b < lower || b > upper) {
          return false;
        }
        needed--;
        lower = 0x80;
        upper = 0xBF;
      }
    }
    return true;
  }

  /** Whether the input so far ends on a character boundary. */
  boolean complete() {
    return needed == 0;
  }
}
