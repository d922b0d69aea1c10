package io.github.lobby.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The client's sends: those waiting (while not connected up to {@code maxQueued}, while
 * connected beyond {@code maxInFlight}) and those written and not answered, by reference. Every
 * send gets a reference unique in the client: a random prefix and a counter. After a welcome the
 * unanswered ones are written again, first, in their order and with their references, when the
 * session was resumed (the server answers a reference it has seen with its first outcome and does
 * not broadcast it twice); on a new session their outcome is unknown. Owned by the client's serial
 * executor; the stages complete through {@link Callbacks}.
 */
final class Sends {

  /** A send: its frame (without {@code ref} until it is given one) and its stage. */
  static final class Pending {
    final ObjectNode frame;
    final CompletableFuture<Ack> answer;
    String ref;
    String text;

    Pending(ObjectNode frame, CompletableFuture<Ack> answer) {
      this.frame = frame;
      this.answer = answer;
    }
  }

  private final int maxQueued;
  private final int maxInFlight;
  private final Callbacks callbacks;
  private final String refPrefix = randomPrefix();
  private long refs;
  private final LinkedHashMap<String, Pending> inFlight = new LinkedHashMap<>();
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();

  Sends(int maxQueued, int maxInFlight, Callbacks callbacks) {
    this.maxQueued = maxQueued;
    this.maxInFlight = maxInFlight;
    this.callbacks = callbacks;
  }

  /**
   * A send's frame, on the caller's thread: {@code {"type":type, field:target, "msg":value}}.
   *
   * @throws IllegalArgumentException when Jackson cannot turn the value into JSON
   */
  static ObjectNode frame(String type, String field, String target, Object value) {
    ObjectNode frame = Frames.JSON.createObjectNode();
    frame.put("type", type);
    if (field != null) {
      frame.put(field, target);
    }
    frame.set("msg", toJson(value));
    return frame;
  }

  /** The value as JSON, a copy of the caller's, which it may change once this returns. */
  private static JsonNode toJson(Object value) {
    if (value instanceof JsonNode node) {
      return node.deepCopy();
    }
    if (value instanceof CharSequence text) {
      return TextNode.valueOf(text.toString());
    }
    return Frames.JSON.valueToTree(value);
  }

  /**
   * Takes a send into the queue with its reference, unless the client is not connected ({@code
   * open} false) and {@code maxQueued} already wait: then it fails with {@link
   * LobbyClientException#QUEUE_FULL}. Whether it is taken or not, {@link #flush} comes next.
   */
  void enqueue(Pending pending, boolean open) {
    if (!open && queue.size() >= maxQueued) {
      callbacks.fail(
          pending.answer,
          new LobbyClientException(
              LobbyClientException.QUEUE_FULL,
              "not connected, and "
                  + maxQueued
                  + " sends already wait (maxQueued): this one was not taken"));
      return;
    }
    pending.ref = refPrefix + Long.toString(++refs, 36);
    pending.frame.put("ref", pending.ref);
    try {
      pending.text = Frames.JSON.writeValueAsString(pending.frame);
    } catch (JsonProcessingException e) {
      callbacks.fail(
          pending.answer, new IllegalArgumentException("the value cannot be written", e));
      return;
    }
    queue.add(pending);
  }

  /** Writes waiting sends on the open connection while fewer than maxInFlight are out. */
  void flush(Connection open) {
    while (!queue.isEmpty() && inFlight.size() < maxInFlight) {
      write(open, queue.poll());
    }
  }

  private void write(Connection connection, Pending pending) {
    inFlight.put(pending.ref, pending);
    connection.write(pending.text);
  }

  /** The written send this reference answers (an ack or an error frame), or null. */
  Pending answered(String ref) {
    return inFlight.remove(ref);
  }

  /**
   * After a welcome: the sends written and not answered go out again on a resumed session,
   * before the waiting ones ({@link #flush} comes next); on a new session they fail with {@link
   * LobbyClientException#OUTCOME_UNKNOWN}.
   */
  void welcomed(Connection connection, boolean resumed) {
    List<Pending> unanswered = new ArrayList<>(inFlight.values());
    inFlight.clear();
    for (Pending pending : unanswered) {
      if (resumed) {
        write(connection, pending);
      } else {
        callbacks.fail(
            pending.answer,
            new LobbyClientException(
                LobbyClientException.OUTCOME_UNKNOWN,
                "the connection was lost before the server answered, and the reconnect made a new"
                    + " session: the message may or may not have been taken"));
      }
    }
  }

  /**
   * The client stopped: the sends written and not answered fail with {@link
   * LobbyClientException#OUTCOME_UNKNOWN}, the waiting ones with what stopped it ({@link
   * #notSent}).
   */
  void stopped(String why, LobbyClientException cause) {
    for (Pending pending : inFlight.values()) {
      callbacks.fail(
          pending.answer,
          new LobbyClientException(
              LobbyClientException.OUTCOME_UNKNOWN,
              "the client stopped ("
                  + why
                  + ") before the server answered: the message may or may not have been taken"));
    }
    inFlight.clear();
    for (Pending pending : queue) {
      callbacks.fail(pending.answer, notSent(cause));
    }
    queue.clear();
  }

  /** What a send or a members question that was not written fails with when the client stops. */
  static LobbyClientException notSent(LobbyClientException cause) {
    return new LobbyClientException(
        cause.code(), cause.getMessage() + ": not sent", cause.status(), cause);
  }

  int waiting() {
    return queue.size();
  }

  int unanswered() {
    return inFlight.size();
  }

  private static String randomPrefix() {
    byte[] bytes = new byte[6];
    new SecureRandom().nextBytes(bytes);
    StringBuilder prefix = new StringBuilder();
    for (byte b : bytes) {
      prefix.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return prefix.append('-').toString();
  }
}
