package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Property-based tests of bad input against a live server: whatever a client or an admin sends,
 * the server answers per PROTOCOL.md (an error frame, a 400, a close code), keeps the connection
 * where the protocol says it stays open, and no other session notices anything.
 *
 * <p>Oracles use a plain Jackson {@link ObjectMapper} and the generators' own knowledge, never
 * the server's code. Each try ends with a sync message that both clients must see next, which
 * proves that nothing else was sent in between.
 */
class BadInputPropertyTest {

  /** Plain Jackson, as any client would parse our frames. */
  private static final ObjectMapper PLAIN = new ObjectMapper();

  private static final List<String> INTERNALS =
      List.of("Exception", "exception", "com.fasterxml", "jackson", "org.apache", "java.", "\tat ",
          "[Source", "scala.", "pekko");

  private static TestServer server;
  private static JdkClient jsonSender;
  private static JdkClient jsonWitness;
  private static JdkClient classicSender;
  private static JdkClient classicWitness;
  private static String classicSenderId;
  private static JdkClient adminWitness;
  private static final AtomicInteger syncs = new AtomicInteger();

  @BeforeContainer
  static void start() throws Exception {
    server = new TestServer();
    jsonSender = JdkClient.connectJson(server, "/fuzz-json");
    read(jsonSender);
    jsonWitness = JdkClient.connectJson(server, "/fuzz-json");
    read(jsonWitness);
    read(jsonSender);
    classicSender = JdkClient.connect(server, "/fuzz-classic");
    classicSenderId = classicSender.welcomeId();
    classicWitness = JdkClient.connect(server, "/fuzz-classic");
    classicWitness.welcomeId();
    classicSender.next();
    adminWitness = JdkClient.connectJson(server, "/fuzz-admin");
    read(adminWitness);
  }

  @AfterContainer
  static void stop() {
    server.close();
  }

  private static JsonNode read(JdkClient client) throws JsonProcessingException {
    return PLAIN.readTree(client.next());
  }

  static void assertClean(String text) {
    for (String internal : INTERNALS) {
      assertFalse(text.contains(internal), "leaks internals (" + internal + "): " + text);
    }
  }

  // ---- JSON mode ----

  /**
   * Every frame the generator makes gets exactly one answer to its sender: an echo, the member
   * list, or an error (whispers name random ids, so they are answered {@code no_session}). The
   * sync is sent only after that answer has arrived, since a whisper's answer comes from the Lobby
   * and is not ordered against the room's messages (docs/PROTOCOL.md, delivery).
   */
  @Property(tries = 400)
  void everyJsonModeFrameGetsOneAnswerAndTheSessionStays(@ForAll("jsonModeFrames") String frame)
      throws Exception {
    jsonSender.send(frame);
    JsonNode answer = read(jsonSender);
    JsonNode echoToWitness = null;
    switch (answer.path("type").asText()) {
      case "error" -> {
        assertTrue(
            List.of("bad_request", "no_session").contains(answer.get("code").asText()), answer.toString());
        assertClean(answer.get("message").asText());
        assertTrue(answer.get("message").asText().length() < 300, "short error message");
      }
      case "message" -> echoToWitness = answer;
      case "members" -> assertEquals(2, answer.get("members").size());
      default -> throw new AssertionError("unexpected answer " + answer);
    }

    String sync = "sync-" + syncs.incrementAndGet();
    jsonSender.send("{\"type\":\"message\",\"msg\":\"" + sync + "\"}");
    assertTrue(isSync(read(jsonSender), sync), "exactly one answer per frame");
    JsonNode first = read(jsonWitness);
    if (echoToWitness != null) {
      assertEquals(echoToWitness, first, "the broadcast reached the other member unchanged");
      assertEquals(PLAIN.readTree(frame).get("msg"), first.get("msg"));
      first = read(jsonWitness);
    }
    assertTrue(isSync(first, sync), "the other member saw nothing else: " + first);
  }

  private static boolean isSync(JsonNode frame, String sync) {
    return frame.path("type").asText().equals("message") && frame.path("msg").asText().equals(sync);
  }

  @Provide
  Arbitrary<String> jsonModeFrames() {
    Arbitrary<String> types =
        Arbitraries.oneOf(
            Arbitraries.of("\"message\"", "\"whisper\"", "\"members\"", "null", "1", "[]", "{}",
                "\"MESSAGE\"", "\"\""),
            text().map(BadInputPropertyTest::quote));
    Arbitrary<String> to =
        Arbitraries.oneOf(
            Arbitraries.create(() -> quote(UUID.randomUUID().toString())),
            jsonValue(),
            Arbitraries.just(quote("not-a-uuid")));
    Arbitrary<String> shaped =
        Combinators.combine(
                types.injectNull(0.1), jsonValue().injectNull(0.2), to.injectNull(0.3),
                jsonValue().injectNull(0.7))
            .as(
                (type, msg, target, unknown) -> {
                  List<String> fields = new ArrayList<>();
                  if (type != null) fields.add("\"type\":" + type);
                  if (msg != null) fields.add("\"msg\":" + msg);
                  if (target != null) fields.add("\"to\":" + target);
                  if (unknown != null) fields.add("\"extra\":" + unknown);
                  return "{" + String.join(",", fields) + "}";
                });
    return Arbitraries.oneOf(
        text(),
        jsonValue(),
        shaped,
        shaped.map(s -> s + " trailing"),
        shaped.map(s -> s.replaceFirst("\\{", "{\"type\":\"members\",")), // duplicate keys
        Arbitraries.integers().between(1, 3_000).map(BadInputPropertyTest::deep),
        Arbitraries.integers().between(1, 3_000).map(n -> "{\"type\":\"message\",\"msg\":" + deep(n) + "}"),
        Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(3_000)
            .map(n -> "{\"type\":\"message\",\"msg\":" + n.replaceFirst("^0+(?=.)", "") + "}"),
        Arbitraries.of("1e999999999", "-1e-999999999", "1E400", "-0", "123456789012345678901234567890")
            .map(n -> "{\"type\":\"message\",\"msg\":" + n + "}"),
        Arbitraries.of("", " ", "\u0000", "{", "}", "[", "\"", "nul", "{\"type\":}", "{\"type\":\"message\",}"));
  }

  private static String deep(int depth) {
    return "[".repeat(depth) + "]".repeat(depth);
  }

  /** Any valid JSON value, nested up to three levels. */
  private static Arbitrary<String> jsonValue() {
    return jsonValue(3);
  }

  private static Arbitrary<String> jsonValue(int depth) {
    Arbitrary<String> scalar =
        Arbitraries.oneOf(
            text().map(BadInputPropertyTest::quote),
            Arbitraries.longs().map(String::valueOf),
            Arbitraries.doubles().map(d -> Double.isFinite(d) ? String.valueOf(d) : "0"),
            Arbitraries.of("true", "false", "null"));
    if (depth == 0) {
      return scalar;
    }
    Arbitrary<String> inner = jsonValue(depth - 1);
    return Arbitraries.oneOf(
        scalar,
        inner.list().ofMaxSize(4).map(l -> "[" + String.join(",", l) + "]"),
        Combinators.combine(text(), inner)
            .as((k, v) -> quote(k) + ":" + v)
            .list()
            .ofMaxSize(4)
            .uniqueElements(kv -> kv.substring(0, kv.indexOf("\":") + 1))
            .map(l -> "{" + String.join(",", l) + "}"));
  }

  /** Unicode text that a client can send (no unpaired surrogates). */
  private static Arbitrary<String> text() {
    return Arbitraries.strings().all().ofMaxLength(40).filter(BadInputPropertyTest::encodable);
  }

  private static boolean encodable(String s) {
    return StandardCharsets.UTF_8.newEncoder().canEncode(s);
  }

  private static String quote(String s) {
    try {
      return PLAIN.writeValueAsString(s);
    } catch (JsonProcessingException e) {
      throw new AssertionError(e);
    }
  }

  // ---- classic mode ----

  @Property(tries = 300)
  void classicTextIsBroadcastVerbatimToEveryMember(@ForAll("classicText") String text) throws Exception {
    classicSender.send(text);
    for (JdkClient member : List.of(classicSender, classicWitness)) {
      JsonNode message = PLAIN.readTree(member.next());
      assertEquals(classicSenderId, message.get("id").asText());
      assertEquals(text, message.get("msg").asText());
      assertEquals("fuzz-classic", message.get("room_id").asText());
    }
  }

  @Provide
  Arbitrary<String> classicText() {
    return Arbitraries.oneOf(
            Arbitraries.strings().all().ofMaxLength(200),
            Arbitraries.strings().all().ofMinLength(10_000).ofMaxLength(20_000),
            Arbitraries.of("", "\\w", "\\w ", "\\w\t", "\\", "{\"type\":\"message\"}", "\u0000"))
        .filter(BadInputPropertyTest::encodable)
        .filter(s -> !(s.startsWith("\\w") && s.length() > 2 && Character.isWhitespace(s.charAt(2))
            && !s.substring(2).isBlank()));
  }

  @Property(tries = 200)
  void aClassicWhisperToNoLiveSessionIsAnsweredToTheSenderOnly(
      @ForAll("whisperTargets") String target, @ForAll("classicText") String text) throws Exception {
    classicSender.send("\\w " + target + " " + text);
    assertEquals("no session " + target, classicSender.next());
    String sync = "sync-" + syncs.incrementAndGet();
    classicSender.send(sync);
    assertEquals(sync, PLAIN.readTree(classicWitness.next()).get("msg").asText(), "witness saw nothing else");
    classicSender.next();
  }

  @Provide
  Arbitrary<String> whisperTargets() {
    return Arbitraries.oneOf(
        Arbitraries.create(() -> UUID.randomUUID().toString()),
        Arbitraries.strings().all().ofMinLength(1).ofMaxLength(60)
            .filter(BadInputPropertyTest::encodable)
            .filter(s -> s.chars().noneMatch(Character::isWhitespace)));
  }

  // ---- admin bodies ----

  @Property(tries = 300)
  void anyAdminMessageBodyIs200WithTheValueOr400AndNothingSent(@ForAll("adminBodies") String body)
      throws Exception {
    HttpResponse<String> response = server.adminPost("/rooms/fuzz-admin/messages", body);
    JsonNode expected = parsePlain(body);
    if (expected != null) {
      assertEquals(200, response.statusCode(), response.body());
      assertEquals(1, PLAIN.readTree(response.body()).get("delivered").asInt());
      assertEquals(expected, read(adminWitness).get("msg"));
    } else {
      assertEquals(400, response.statusCode(), body + " -> " + response.body());
      assertBadRequestBody(response);
    }
    String sync = "sync-" + syncs.incrementAndGet();
    assertEquals(200, server.adminPost("/rooms/fuzz-admin/messages", quote(sync)).statusCode());
    assertEquals(sync, read(adminWitness).get("msg").asText(), "nothing else was sent");
  }

  /** The body as a strict JSON parser reads it (one value, no duplicate keys), or null. */
  private static JsonNode parsePlain(String body) {
    try {
      ObjectMapper strict =
          PLAIN.copy()
              .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
              .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
      JsonNode node = strict.readTree(body);
      return node == null || node.isMissingNode() ? null : node;
    } catch (Exception e) {
      return null;
    }
  }

  @Provide
  Arbitrary<String> adminBodies() {
    return Arbitraries.oneOf(
        jsonModeFrames(), jsonValue(), Arbitraries.integers().between(1, 3_000).map(BadInputPropertyTest::deep));
  }

  @Property(tries = 200)
  void statisticsAreSentOnlyWhenEveryRecordIsValid(@ForAll("statistics") List<Record> records)
      throws Exception {
    String body = "[" + String.join(",", records.stream().map(Record::json).toList()) + "]";
    HttpResponse<String> response = server.adminPost("/dailyDashBoard", body);
    int firstBad = -1;
    for (int i = 0; i < records.size() && firstBad < 0; i++) {
      if (!records.get(i).valid()) {
        firstBad = i;
      }
    }
    if (firstBad < 0) {
      assertEquals(200, response.statusCode(), body + " -> " + response.body());
    } else {
      assertEquals(400, response.statusCode(), body + " -> " + response.body());
      assertBadRequestBody(response);
      assertTrue(
          PLAIN.readTree(response.body()).get("message").asText().contains("record " + firstBad),
          "names the first bad record: " + response.body());
    }
  }

  /** A generated statistic record and whether the protocol accepts it. */
  record Record(String json, boolean valid) {}

  @Provide
  Arbitrary<List<Record>> statistics() {
    Arbitrary<String[]> good =
        Combinators.combine(
                Arbitraries.integers().map(String::valueOf),
                Arbitraries.oneOf(text().map(BadInputPropertyTest::quote), Arbitraries.just("null")),
                Arbitraries.oneOf(Arbitraries.longs().map(String::valueOf), Arbitraries.just("null")),
                Arbitraries.oneOf(
                    Arbitraries.bigDecimals().ofScale(2).map(d -> d.toPlainString()), Arbitraries.just("null")))
            .as((id, line, trx, amount) -> new String[] {id, line, trx, amount});
    Arbitrary<Record> record =
        Combinators.combine(good, Arbitraries.integers().between(0, 9))
            .as(
                (f, mutation) ->
                    switch (mutation) {
                      case 0 -> new Record("{\"product_line\":" + f[1] + "}", false); // id missing
                      case 1 -> new Record("{\"product_line_id\":\"7\"}", false);
                      case 2 -> new Record("{\"product_line_id\":1.5}", false);
                      case 3 -> new Record("{\"product_line_id\":4294967296}", false);
                      case 4 -> new Record("{\"product_line_id\":1,\"total_trx\":\"x\"}", false);
                      case 5 -> new Record("[" + f[0] + "]", false);
                      default ->
                          new Record(
                              "{\"product_line_id\":" + f[0] + ",\"product_line\":" + f[1]
                                  + ",\"total_trx\":" + f[2] + ",\"total_amount\":" + f[3]
                                  + ",\"unknown_field\":true}",
                              true);
                    });
    return record.list().ofMaxSize(6);
  }

  private static void assertBadRequestBody(HttpResponse<String> response) throws Exception {
    assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
    JsonNode error = PLAIN.readTree(response.body());
    assertEquals("bad_request", error.get("error").asText());
    assertClean(error.get("message").asText());
  }

  // ---- invalid UTF-8 ----

  @Property(tries = 40)
  void invalidUtf8IsClosedWith1007AndNobodyElseNotices(@ForAll("invalidUtf8") byte[] bytes)
      throws Exception {
    try (RawClient bad = new RawClient(server.port(), "/fuzz-json")) {
      read(jsonSender); // joined
      read(jsonWitness);
      bad.sendFrame(0x1, bytes, true, true, 0);
      assertEquals(1007, bad.readUntilClose());
    }
    for (JdkClient member : List.of(jsonSender, jsonWitness)) {
      JsonNode left = read(member);
      assertEquals("left", left.get("type").asText());
      assertEquals("error", left.get("reason").asText());
    }
  }

  @Provide
  Arbitrary<byte[]> invalidUtf8() {
    return Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(64).filter(b -> !validUtf8(b));
  }

  private static boolean validUtf8(byte[] bytes) {
    try {
      StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  // ---- requests that must never be answered with 5xx ----

  @Property(tries = 100)
  void adminRequestsWithArbitraryContentTypesAreNever5xx(
      @ForAll("contentTypes") String contentType, @ForAll("adminBodies") String body) {
    HttpResponse<String> response =
        server.send(
            HttpRequest.newBuilder(server.uri("/rooms/fuzz-admin/messages"))
                .header("Authorization", "Bearer " + TestServer.TOKEN)
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    assertTrue(response.statusCode() < 500, response.statusCode() + " " + response.body());
    if (response.statusCode() == 200) {
      try {
        read(adminWitness);
      } catch (JsonProcessingException e) {
        throw new AssertionError(e);
      }
    } else {
      assertClean(response.body());
    }
  }

  @Provide
  Arbitrary<String> contentTypes() {
    return Arbitraries.of(
        "application/json", "application/json; charset=utf-8", "text/plain", "application/xml",
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/octet-stream",
        "application/merge-patch+json");
  }
}
