package io.github.lobby.core;

import java.util.Objects;

/**
 * What a reconnecting JSON-mode client asks for with {@code ?resume=<session id>&key=<resume
 * key>}: to be again the session it was, if that session still waits for it on this node ({@code
 * lobby.resumption.grace}). Its room then sees no departure and no join, and it keeps its id.
 *
 * @param id the session's id, as its welcome gave it
 * @param key the {@code resume_key} of its latest welcome
 */
public record Resume(SessionId id, ResumeKey key) {

  /** Rejects nulls. */
  public Resume {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(key, "key");
  }
}
