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
 *
 * <p>A listener of the server also counts every TCP connection per client address from its
 * accept ({@link #openConnection}, {@link #closeConnection}) against the same per-address limit:
 * unfinished request heads, plain HTTP connections and WebSockets alike, so that one address
 * cannot take every connection of the server. Sessions are counted apart: a server bound by hand
 * (routes only) has no listener of Lobby's, and there the session count is the only limit.
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
  private final ConcurrentHashMap<InetAddress, Integer> connections = new ConcurrentHashMap<>();

  public Admission(int maxTotal, int maxPerAddress) {
    this.maxTotal = maxTotal;
    this.maxPerAddress = maxPerAddress;
  }

  /** What a listener answers (429) to a connection {@link #openConnection} did not count. */
  public String addressFullMessage() {
    return "this address holds " + maxPerAddress + " connections already";
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

  /**
   * Counts a TCP connection accepted from {@code address}, unless the address holds {@code
   * max-connections-per-ip} connections already: then it is not counted and the listener answers
   * 429 and closes. Every {@code true} needs one {@link #closeConnection} when the connection ends.
   */
  public boolean openConnection(InetAddress address) {
    if (maxPerAddress == Integer.MAX_VALUE) {
      return true;
    }
    boolean[] opened = {false};
    connections.compute(
        address,
        (a, n) -> {
          int count = n == null ? 0 : n;
          opened[0] = count < maxPerAddress;
          return opened[0] ? count + 1 : n;
        });
    return opened[0];
  }

  /** A connection that {@link #openConnection} counted ended. */
  public void closeConnection(InetAddress address) {
    if (maxPerAddress != Integer.MAX_VALUE) {
      connections.computeIfPresent(address, (a, n) -> n > 1 ? n - 1 : null);
    }
  }

  /** Connections counted for {@code address} now. */
  public int connections(InetAddress address) {
    return connections.getOrDefault(address, 0);
  }
}
