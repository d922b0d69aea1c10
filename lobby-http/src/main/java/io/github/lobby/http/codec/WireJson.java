package io.github.lobby.http.codec;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ValueNode;
import java.math.BigDecimal;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import io.github.lobby.core.Payload;
import io.github.lobby.core.SessionId;
import java.util.LinkedHashMap;
import java.util.Map;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * The one configured Jackson {@link ObjectMapper} of the project, and the few operations on it
 * that the codecs and the admin API share.
 *
 * <p>Parsing is strict: duplicate keys are an error, numbers keep their exact value (so that a
 * value out of a field's range is seen as such, and a broadcast repeats exactly what was posted),
 * and nothing is coerced.
 */
public final class WireJson {

  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          // Numbers keep their kind and digits: 1.0 stays 1.0 rather than becoming 1.
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .nodeFactory(new FloatKeepingNodeFactory())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .addModule(new SimpleModule("lobby-wire").addSerializer(Payload.class, new PayloadSerializer()))
          .build();

  private WireJson() {}

  /**
   * Keeps a number written as a float a float: {@code 2.5E14} parses to a decimal of scale 0,
   * which would be written back as the integer {@code 250000000000000}; it is written as {@code
   * 250000000000000.0} instead, so that clients in typed languages see the kind that was sent.
   */
  private static final class FloatKeepingNodeFactory extends JsonNodeFactory {
    private static final long serialVersionUID = 1L;

    @Override
    public ValueNode numberNode(BigDecimal value) {
      return super.numberNode(value != null && value.scale() == 0 ? value.setScale(1) : value);
    }
  }

  /** Returns the shared mapper; thread-safe, never reconfigure it. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * The users of sessions as JSON objects write them, keyed by session id text, in the map's order
   * (the {@code users} of JSON-mode frames and of the admin API).
   */
  public static Map<String, String> users(Map<SessionId, String> users) {
    Map<String, String> byId = new LinkedHashMap<>();
    users.forEach((id, user) -> byId.put(id.toString(), user));
    return byId;
  }

  /** Writes a wire record as compact JSON text. */
  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      // Wire records hold only strings, lists and validated JSON: this is a programming error.
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Parses JSON text into a tree.
   *
   * @return the tree, or empty when the text is not exactly one JSON value
   */
  public static Optional<JsonNode> parse(String text) {
    try {
      JsonNode node = MAPPER.readTree(text);
      return node == null || node.isMissingNode() ? Optional.empty() : Optional.of(node);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Parses JSON bytes into a tree, or empty when they are not exactly one JSON value. */
  public static Optional<JsonNode> parse(byte[] bytes) {
    try {
      JsonNode node = MAPPER.readTree(bytes);
      return node == null || node.isMissingNode() ? Optional.empty() : Optional.of(node);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Turns a parsed JSON value into a payload that is broadcast exactly as compact JSON. */
  public static Payload.Json payload(JsonNode node) {
    return new Payload.Json(write(node));
  }

  /** Writes a {@link Payload}: text as a JSON string, JSON as the value it already is. */
  private static final class PayloadSerializer extends StdSerializer<Payload> {
    PayloadSerializer() {
      super(Payload.class);
    }

    @Override
    public void serialize(Payload value, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      if (value instanceof Payload.Text text) {
        gen.writeString(text.value());
      } else {
        gen.writeRawValue(((Payload.Json) value).json());
      }
    }
  }
}
