package io.github.lobby.http.internal.routes;

import io.github.lobby.core.Recovery;
import io.github.lobby.core.Resume;
import io.github.lobby.core.ResumeKey;
import io.github.lobby.core.SessionId;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a reconnecting JSON-mode upgrade asks for (PROTOCOL.md, history and recovery): the messages
 * it missed with {@code ?since=<offset>&epoch=<epoch>}, and its session back with {@code
 * ?resume=<session id>&key=<resume key>}. Both connection paths read them here so that they take
 * and refuse the same requests: the lean path hands a request refused here to Pekko HTTP, whose
 * routes answer it with 400. Classic mode never reads them (classic never changes).
 */
public final class RecoveryQuery {

  /**
   * What a query asks for: a recovery and a resume (or none), or the reason it is refused.
   *
   * @param resume the session asked for; its key is a credential, hidden from {@code toString}
   */
  public record Parsed(Optional<Recovery> recovery, Optional<Resume> resume, String problem) {
    /** Whether the query is taken. */
    public boolean valid() {
      return problem == null;
    }
  }

  /** A query that asks for neither. */
  public static final Parsed NONE = new Parsed(Optional.empty(), Optional.empty(), null);

  private RecoveryQuery() {}

  /** Reads {@code since} and {@code epoch}, {@code resume} and {@code key}. */
  public static Parsed parse(Map<String, List<String>> query) {
    Parsed recovery = recovery(query);
    if (!recovery.valid()) {
      return recovery;
    }
    List<String> resume = query.get("resume");
    List<String> key = query.get("key");
    if (resume == null && key == null) {
      return recovery;
    }
    if (resume == null || key == null) {
      return refused(
          "resume and key go together: the id of the session to resume and the resume_key of its"
              + " welcome");
    }
    if (resume.size() > 1 || key.size() > 1) {
      return refused("resume and key may each be given once");
    }
    Optional<SessionId> id = SessionId.parse(resume.get(0));
    if (id.isEmpty()) {
      return refused("resume must be a session id (a UUID), as a welcome gave it");
    }
    String value = key.get(0);
    if (value.isEmpty() || value.length() > ResumeKey.MAX_LENGTH) {
      // The value is not quoted: it is a credential.
      return refused(
          "key must be 1 to " + ResumeKey.MAX_LENGTH + " characters, as a welcome gave it");
    }
    return new Parsed(
        recovery.recovery(), Optional.of(new Resume(id.get(), new ResumeKey(value))), null);
  }

  /** Reads {@code since} and {@code epoch}. */
  private static Parsed recovery(Map<String, List<String>> query) {
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
    return new Parsed(Optional.of(new Recovery(offset, value)), Optional.empty(), null);
  }

  /**
   * An offset written in decimal digits only (no sign, no spaces), or -1 when {@code text} is not
   * one or is over {@link Long#MAX_VALUE}.
   */
  public static long offset(String text) {
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
    return new Parsed(Optional.empty(), Optional.empty(), problem);
  }
}
