package io.github.lobby.core.internal;

/**
 * Text that a client chose (or that may quote what a client sent, like a parser's message), made
 * safe for a log line: control characters, CR and LF first, are written as {@code \r}, {@code \n}
 * or {@code \}{@code uXXXX}, so a client cannot forge log lines, and long text is cut.
 */
public final class LogText {

  /** Characters kept of a longer text; the rest is replaced by an ellipsis. */
  public static final int MAX = 200;

  private LogText() {}

  /** The escaped, possibly shortened text; {@code "null"} for null. */
  public static String escape(CharSequence text) {
    if (text == null) {
      return "null";
    }
    int n = Math.min(text.length(), MAX);
    StringBuilder out = new StringBuilder(n + 8);
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c == '\n') {
        out.append("\\n");
      } else if (c == '\r') {
        out.append("\\r");
      } else if (c == '\\') {
        out.append("\\\\");
      } else if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    if (text.length() > MAX) {
      out.append("...");
    }
    return out.toString();
  }
}
