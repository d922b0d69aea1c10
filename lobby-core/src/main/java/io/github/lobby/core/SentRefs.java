package io.github.lobby.core;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The answers to the last client messages of one session that carried a {@code ref}, so that a
 * message its client sends again (after a lost connection, not knowing whether it arrived) is
 * answered again instead of being broadcast or whispered twice: exactly once within a session.
 *
 * <p>A resumed session keeps them: the Lobby hands them from a session actor to the one that
 * serves the client's new connection. The predecessor may still be waiting for the answers to
 * what it sent when the client sends those messages again, so both actors use this at once; its
 * methods are synchronized, and the client's repeat of a message still under way waits for the
 * predecessor's answer ({@link #begin}, {@link #finish}).
 *
 * <p>Bounded: the last {@code capacity} references, the oldest forgotten first. No map is held
 * until the first reference, so sessions whose clients use none pay one small object.
 */
final class SentRefs {

  /** What {@link #begin} found for a reference. */
  sealed interface Seen {}

  /** Not seen before (or forgotten): the caller does the work and calls {@link #finish}. */
  enum New implements Seen {
    INSTANCE
  }

  /** Already done: answer this again. */
  record Done(ClientEvent answer) implements Seen {}

  /** Under way: the actor that does it tells the waiting one its answer when done. */
  enum Waiting implements Seen {
    INSTANCE
  }

  /** One reference: its answer once done, and who waits for it meanwhile. */
  private static final class Entry {
    ClientEvent answer;
    ActorRef<Session.Command> waiting;
  }

  private final int capacity;
  private LinkedHashMap<String, Entry> entries;

  /**
   * @param capacity how many references are remembered ({@code lobby.recovery.ref-window})
   */
  SentRefs(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, not " + capacity);
    }
    this.capacity = capacity;
  }

  /**
   * Looks a reference up and, when it is new, records it as under way; when it is under way,
   * records {@code asker} as waiting for its answer.
   */
  synchronized Seen begin(String ref, ActorRef<Session.Command> asker) {
    Objects.requireNonNull(ref, "ref");
    if (entries == null) {
      entries =
          new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
              return size() > capacity;
            }
          };
    }
    Entry entry = entries.get(ref);
    if (entry == null) {
      entries.put(ref, new Entry());
      return New.INSTANCE;
    }
    if (entry.answer != null) {
      return new Done(entry.answer);
    }
    entry.waiting = asker;
    return Waiting.INSTANCE;
  }

  /**
   * Records the answer to a reference that was under way.
   *
   * @return the actor that waits for it (a successor whose client sent it again), or null
   */
  synchronized ActorRef<Session.Command> finish(String ref, ClientEvent answer) {
    Objects.requireNonNull(answer, "answer");
    if (entries == null) {
      return null;
    }
    Entry entry = entries.get(ref);
    if (entry == null) {
      // Forgotten while under way (more than capacity newer ones): remembered again as done.
      entry = new Entry();
      entries.put(ref, entry);
    }
    entry.answer = answer;
    ActorRef<Session.Command> waiting = entry.waiting;
    entry.waiting = null;
    return waiting;
  }

  /** How many references are remembered. */
  synchronized int size() {
    return entries == null ? 0 : entries.size();
  }
}
