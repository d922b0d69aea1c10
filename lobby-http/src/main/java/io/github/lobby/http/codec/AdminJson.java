package io.github.lobby.http.codec;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.lobby.core.Payload;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Validation of admin request bodies (PROTOCOL.md section 4) and the admin API's response bodies.
 * A body is checked whole before anything is broadcast; problems are reported naming the record
 * and field, never with parser internals.
 */
public final class AdminJson {

  private AdminJson() {}

  /** A request body that breaks the protocol; its message is safe to show to the client. */
  public static final class BadBody extends Exception {
    private static final long serialVersionUID = 1L;

    BadBody(String message) {
      super(message, null, false, false);
    }
  }

  /** Field checks of a statistic record, in the order they are reported. */
  private record Field(String name, boolean required, String expected, Predicate<JsonNode> ok) {}

  private static final List<Field> STATISTIC_FIELDS =
      List.of(
          new Field("product_line", false, "a string or null", n -> n.isNull() || n.isTextual()),
          new Field(
              "product_line_id",
              true,
              "a 32-bit integer",
              n -> n.isIntegralNumber() && n.canConvertToInt()),
          new Field(
              "total_trx",
              false,
              "a 64-bit integer or null",
              n -> n.isNull() || (n.isIntegralNumber() && n.canConvertToLong())),
          new Field("total_amount", false, "a number or null", n -> n.isNull() || n.isNumber()),
          new Field("currency", false, "a string or null", n -> n.isNull() || n.isTextual()),
          new Field("group_status", false, "a string or null", n -> n.isNull() || n.isTextual()));

  /**
   * Parses any JSON value, as {@code POST /rooms/{room}/messages} takes.
   *
   * @throws BadBody when the body is not exactly one JSON value
   */
  public static Payload.Json anyValue(byte[] body) throws BadBody {
    return WireJson.payload(parse(body));
  }

  /**
   * Parses and checks an array of statistic records, as {@code POST /dailyDashBoard} takes.
   *
   * @throws BadBody naming the first record and field that is wrong
   */
  public static Payload.Json statistics(byte[] body) throws BadBody {
    JsonNode node = parse(body);
    if (!node.isArray()) {
      throw new BadBody("the body must be a JSON array of statistic records");
    }
    for (int i = 0; i < node.size(); i++) {
      JsonNode record = node.get(i);
      if (!record.isObject()) {
        throw new BadBody("record " + i + " is not a JSON object");
      }
      for (Field field : STATISTIC_FIELDS) {
        JsonNode value = record.get(field.name());
        if (value == null) {
          if (field.required()) {
            throw new BadBody("record " + i + ": field \"" + field.name() + "\" is missing");
          }
        } else if (!field.ok().test(value)) {
          throw new BadBody(
              "record " + i + ": field \"" + field.name() + "\" must be " + field.expected());
        }
      }
    }
    return WireJson.payload(node);
  }

  private static JsonNode parse(byte[] body) throws BadBody {
    return WireJson.parse(body).orElseThrow(() -> new BadBody("the body is not valid JSON"));
  }

  /** The error body of every admin and HTTP error: {@code {"error":..,"message":..}}. */
  @JsonPropertyOrder({"error", "message"})
  public record ErrorBody(String error, String message) {}

  /** The answer to a publish. */
  @JsonPropertyOrder({"room_id", "delivered"})
  public record Delivered(@JsonProperty("room_id") String roomId, int delivered) {}

  /** One room in {@code GET /rooms}. */
  @JsonPropertyOrder({"room_id", "members"})
  public record RoomCount(@JsonProperty("room_id") String roomId, int members) {}

  /** The answer to {@code GET /rooms}. */
  public record Rooms(List<RoomCount> rooms) {}

  /**
   * The answer to {@code GET /rooms/{room}}.
   *
   * @param users the user of each authenticated member by session id; not written when empty
   *     (authentication off)
   */
  @JsonPropertyOrder({"room_id", "members", "users"})
  public record RoomMembers(
      @JsonProperty("room_id") String roomId,
      List<String> members,
      @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, String> users) {}

  /**
   * The answer to {@code GET /rooms/{room}/history}: what the room keeps of its broadcasts.
   *
   * @param epoch the room's epoch
   * @param offset the offset of its latest broadcast (0 before any)
   * @param messages the kept broadcasts after the offset asked for, oldest first
   */
  @JsonPropertyOrder({"room_id", "epoch", "offset", "messages"})
  public record History(
      @JsonProperty("room_id") String roomId, String epoch, long offset, List<Kept> messages) {}

  /**
   * One kept broadcast: its offset, its sender and its content, written as a {@code message}
   * frame writes it (a JSON value as it was sent, client text as a JSON string). The wire form of a
   * {@link io.github.lobby.core.KeptMessage}: the admin API names the sender {@code id} and shows
   * no age.
   */
  @JsonPropertyOrder({"offset", "id", "msg"})
  public record Kept(long offset, String id, Payload msg) {}

  /** The answer to {@code GET /health}. */
  @JsonPropertyOrder({"status", "sessions", "rooms"})
  public record Health(String status, int sessions, int rooms) {}

  /** The answer to {@code GET /health/live} and {@code GET /health/ready}. */
  public record Status(String status) {}
}
