package io.github.lobby.http.internal.ws;

import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The connection limits of one server: {@code lobby.max-sessions} in all and {@code
 * lobby.http.max-connections-per-ip} per client address. Routes check before the upgrade, so
 * that a refusal is an HTTP error; connections take their place when they start (on the lean
 * path, before the authenticator is asked), which is where the limits hold exactly (a burst of
 * upgrades that all passed the check is cut there).
 */
public final class Admission {

  /** Why a connection is refused. */
  public enum Refusal {
    SERVER_FULL,
    ADDRESS_FULL
  }

  private final int maxTotal;
  private final int maxPerAddress;
  private final AtomicInteger total = new AtomicInteger();
  private final ConcurrentHashMap<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();

  public Admission(int maxTotal, int maxPerAddress) {
    this.maxTotal = maxTotal;
    this.maxPerAddress = maxPerAddress;
  }

  /** Connections admitted and not yet released. */
  public int total() {
    return total.get();
  }

  /** Whether a connection from this address would be refused now; takes no place. */
  public Optional<Refusal> check(Optional<InetAddress> address) {
    if (total.get() >= maxTotal) {
      return Optional.of(Refusal.SERVER_FULL);
    }
    if (address.isPresent() && perAddress.getOrDefault(address.get(), 0) >= maxPerAddress) {
      return Optional.of(Refusal.ADDRESS_FULL);
    }
    return Optional.empty();
  }

  /** Takes a place for a connection, unless a limit is reached; {@link #release} gives it back. */
  public Optional<Refusal> admit(Optional<InetAddress> address) {
    if (total.incrementAndGet() > maxTotal) {
      total.decrementAndGet();
      return Optional.of(Refusal.SERVER_FULL);
    }
    if (address.isPresent() && maxPerAddress != Integer.MAX_VALUE) {
      boolean[] admitted = {false};
      perAddress.compute(
          address.get(),
          (a, n) -> {
            int count = n == null ? 0 : n;
            admitted[0] = count < maxPerAddress;
            return admitted[0] ? count + 1 : n;
          });
      if (!admitted[0]) {
        total.decrementAndGet();
        return Optional.of(Refusal.ADDRESS_FULL);
      }
    }
    return Optional.empty();
  }

  /** Gives back the place of a connection that was admitted. */
  public void release(Optional<InetAddress> address) {
    total.decrementAndGet();
    if (address.isPresent() && maxPerAddress != Integer.MAX_VALUE) {
      perAddress.computeIfPresent(address.get(), (a, n) -> n > 1 ? n - 1 : null);
    }
  }
}
