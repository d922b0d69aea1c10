package io.github.lobby.core;

import java.util.Objects;

/**
 * The {@code msg} of a message: either client text, written as a JSON string, or a JSON value that
 * a codec has already validated, kept as its compact text so that the core needs no JSON library.
 */
public sealed interface Payload {

  /**
   * Text typed by a classic client; rendered as a JSON string.
   *
   * @param value the text
   */
  record Text(String value) implements Payload {
    /** Rejects null. */
    public Text {
      Objects.requireNonNull(value, "value");
    }
  }

  /**
   * A JSON value (object, array, string, number, boolean or null) as validated, compact JSON text.
   * Only codecs and the admin API create these, after parsing.
   *
   * @param json the JSON text
   */
  record Json(String json) implements Payload {
    /** Rejects null or blank text. */
    public Json {
      Objects.requireNonNull(json, "json");
      if (json.isBlank()) {
        throw new IllegalArgumentException("json is blank");
      }
    }
  }
}
