package io.github.lobby.core;

import java.util.Optional;

/**
 * The name of a room: 1 to 128 characters from {@code A-Z a-z 0-9 - _ . ~ :}, other than the dot
 * segments {@code .} and {@code ..}.
 *
 * <p>The constructor rejects anything else, so an invalid name can never reach an actor.
 *
 * @param value the name as it appears in the URL path and on the wire
 */
public record RoomId(String value) {

  /** The longest room name accepted. */
  public static final int MAX_LENGTH = 128;

  /** Validates the name; throws {@link IllegalArgumentException} naming what is wrong. */
  public RoomId {
    Optional<String> problem = problem(value);
    if (problem.isPresent()) {
      throw new IllegalArgumentException(problem.get());
    }
  }

  /**
   * Checks a candidate room name without throwing.
   *
   * @return a human-readable description of what is wrong, or empty when the name is valid
   */
  public static Optional<String> problem(String value) {
    if (value == null || value.isEmpty()) {
      return Optional.of("room name is empty");
    }
    if (value.length() > MAX_LENGTH) {
      return Optional.of(
          "room name is " + value.length() + " characters long, at most " + MAX_LENGTH + " allowed");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (!allowed(c)) {
        return Optional.of(
            String.format(
                "room name has a character that is not allowed (U+%04X at position %d);"
                    + " allowed are A-Z a-z 0-9 - _ . ~ :",
                (int) c, i));
      }
    }
    if (value.equals(".") || value.equals("..")) {
      // Dot segments: URL normalization (RFC 3986 section 5.2.4) removes them on the way.
      return Optional.of("room name \"" + value + "\" is a dot segment, which URLs cannot carry");
    }
    return Optional.empty();
  }

  /** Parses a room name, returning empty when it is invalid. */
  public static Optional<RoomId> parse(String value) {
    return problem(value).isPresent() ? Optional.empty() : Optional.of(new RoomId(value));
  }

  private static boolean allowed(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '-'
        || c == '_'
        || c == '.'
        || c == '~'
        || c == ':';
  }

  @Override
  public String toString() {
    return value;
  }
}
