package io.github.lobby.http.internal.guard;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes that unfinished request heads of one server may hold at once, all connections
 * together ({@code lobby.http.head-buffer-budget}). A connection takes bytes as its head grows and
 * gives them all back when the head is complete or the connection ends; a head that would take
 * more than is left is answered 503. One instance per server, shared by all its listeners.
 */
public final class HeadBudget {

  private final long capacity;
  private final AtomicLong used = new AtomicLong();

  /** A budget of {@code capacity} bytes. */
  public HeadBudget(long capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("a head budget needs at least one byte");
    }
    this.capacity = capacity;
  }

  /** The budget in bytes. */
  public long capacity() {
    return capacity;
  }

  /** Bytes taken now. */
  public long used() {
    return used.get();
  }

  /** Takes {@code bytes} unless fewer are left; whether they were taken. */
  boolean take(long bytes) {
    long now = used.addAndGet(bytes);
    if (now > capacity) {
      used.addAndGet(-bytes);
      return false;
    }
    return true;
  }

  /** Gives back bytes taken. */
  void give(long bytes) {
    used.addAndGet(-bytes);
  }
}
