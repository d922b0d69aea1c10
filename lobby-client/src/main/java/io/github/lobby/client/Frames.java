package io.github.lobby.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The JSON-mode frames of the protocol, read into the public records. Reading is lenient where
 * the protocol lets a server add fields: what is not known is ignored, what is absent is empty.
 */
final class Frames {

  static final ObjectMapper JSON = new ObjectMapper();

  private Frames() {}

  static Welcome welcome(JsonNode frame) {
    return new Welcome(
        text(frame, "id"),
        text(frame, "room_id"),
        strings(frame.get("members")),
        optionalText(frame, "user"),
        users(frame.get("users")),
        optionalText(frame, "epoch"),
        optionalLong(frame, "offset"),
        optionalBoolean(frame, "recovered"),
        optionalBoolean(frame, "resumed"),
        optionalText(frame, "resume_key"));
  }

  static Message message(JsonNode frame) {
    return new Message(
        text(frame, "id"), text(frame, "room_id"), msg(frame), optionalLong(frame, "offset"));
  }

  static Whisper whisper(JsonNode frame) {
    return new Whisper(text(frame, "id"), text(frame, "to"), text(frame, "room_id"), msg(frame));
  }

  static Joined joined(JsonNode frame) {
    return new Joined(text(frame, "id"), text(frame, "room_id"), optionalText(frame, "user"));
  }

  static Left left(JsonNode frame) {
    return new Left(
        text(frame, "id"),
        text(frame, "room_id"),
        text(frame, "reason"),
        optionalText(frame, "user"));
  }

  static Members members(JsonNode frame) {
    return new Members(
        text(frame, "room_id"), strings(frame.get("members")), users(frame.get("users")));
  }

  static Ack ack(JsonNode frame) {
    return new Ack(text(frame, "ref"), optionalLong(frame, "offset"));
  }

  static ServerError error(JsonNode frame) {
    return new ServerError(
        text(frame, "code"), text(frame, "message"), optionalText(frame, "ref"), frame);
  }

  /**
   * The instant of a {@code refreshed} frame's {@code expires_at}, or {@code null} when the
   * session no longer expires ({@code null} or no field, which the protocol treats alike) or the
   * value cannot be read.
   */
  static Instant expiresAt(JsonNode frame) {
    JsonNode at = frame.get("expires_at");
    if (at == null || !at.isTextual()) {
      return null;
    }
    try {
      return Instant.parse(at.asText());
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /**
   * The {@code exp} claim of a JWT, read without checking the signature (the server checks it;
   * the client only needs to know when to refresh), or {@code null} when the token is not a JWT
   * with a numeric {@code exp}.
   */
  static Instant jwtExpiry(String token) {
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3) {
      return null;
    }
    try {
      JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
      JsonNode exp = claims == null ? null : claims.get("exp");
      if (exp == null || !exp.isNumber()) {
        return null;
      }
      return Instant.ofEpochSecond(exp.asLong());
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
  }

  private static JsonNode msg(JsonNode frame) {
    JsonNode msg = frame.get("msg");
    return msg == null ? NullNode.getInstance() : msg;
  }

  private static String text(JsonNode frame, String field) {
    JsonNode value = frame.get(field);
    return value == null || value.isNull() ? "" : value.asText();
  }

  private static Optional<String> optionalText(JsonNode frame, String field) {
    JsonNode value = frame.get(field);
    return value == null || value.isNull() ? Optional.empty() : Optional.of(value.asText());
  }

  private static OptionalLong optionalLong(JsonNode frame, String field) {
    JsonNode value = frame.get(field);
    return value != null && value.canConvertToLong() && value.isIntegralNumber()
        ? OptionalLong.of(value.asLong())
        : OptionalLong.empty();
  }

  private static Optional<Boolean> optionalBoolean(JsonNode frame, String field) {
    JsonNode value = frame.get(field);
    return value != null && value.isBoolean() ? Optional.of(value.asBoolean()) : Optional.empty();
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    if (array != null && array.isArray()) {
      array.forEach(item -> out.add(item.asText()));
    }
    return out;
  }

  private static Map<String, String> users(JsonNode object) {
    Map<String, String> out = new LinkedHashMap<>();
    if (object != null && object.isObject()) {
      object.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    }
    return out;
  }
}
