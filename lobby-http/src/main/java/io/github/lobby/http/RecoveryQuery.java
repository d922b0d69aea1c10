package io.github.lobby.http;

import io.github.lobby.core.Recovery;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The recovery a JSON-mode upgrade asks for with {@code ?since=<offset>&epoch=<epoch>}
 * (PROTOCOL.md, history and recovery). Both connection paths read it here so that they take and
 * refuse the same requests: the lean path hands a request refused here to Pekko HTTP, whose routes
 * answer it with 400. Classic mode never reads it (classic never changes).
 */
final class RecoveryQuery {

  /** What a query asks for: a recovery (or none), or the reason it is refused. */
  record Parsed(Optional<Recovery> recovery, String problem) {
    boolean valid() {
      return problem == null;
    }
  }

  /** A query that asks for no recovery. */
  static final Parsed NONE = new Parsed(Optional.empty(), null);

  private RecoveryQuery() {}

  /** Reads {@code since} and {@code epoch} from decoded query parameters. */
  static Parsed parse(Map<String, List<String>> query) {
    List<String> since = query.get("since");
    List<String> epoch = query.get("epoch");
    if (since == null && epoch == null) {
      return NONE;
    }
    if (since == null || epoch == null) {
      return refused(
          "since and epoch go together: the offset of the last message received and the epoch"
              + " of its room");
    }
    if (since.size() > 1 || epoch.size() > 1) {
      return refused("since and epoch may each be given once");
    }
    long offset = offset(since.get(0));
    if (offset < 0) {
      return refused("since must be an offset: a whole number, 0 or more");
    }
    String value = epoch.get(0);
    if (value.isBlank() || value.length() > Recovery.MAX_EPOCH_LENGTH) {
      // The value is not quoted: it is the client's, and may be anything.
      return refused(
          "epoch must be 1 to " + Recovery.MAX_EPOCH_LENGTH + " characters, as a welcome gave it");
    }
    return new Parsed(Optional.of(new Recovery(offset, value)), null);
  }

  /**
   * An offset written in decimal digits only (no sign, no spaces), or -1 when {@code text} is not
   * one or is over {@link Long#MAX_VALUE}.
   */
  static long offset(String text) {
    if (text.isEmpty()) {
      return -1;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return -1; // too large
    }
  }

  private static Parsed refused(String problem) {
    return new Parsed(Optional.empty(), problem);
  }
}
