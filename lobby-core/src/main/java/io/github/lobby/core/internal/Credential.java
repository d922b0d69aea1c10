package io.github.lobby.core.internal;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.Authenticated;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.Cancellable;

/**
 * How an authenticated session is authenticated now ({@code lobby.auth}): its grant, when it
 * expires, and the refreshes its client sent ({@code {"type":"refresh"}}).
 *
 * <p>The session closes its client with 4001 at the expiry, unless a refresh replaced the grant
 * first. A refresh that is under way at the expiry decides: the session closes only if every such
 * refresh failed. Decisions may come back out of order: an older one never undoes a newer one. The
 * scheduler takes delays of a few months at most, so a later expiry is checked daily.
 *
 * <p>Confined to its session's actor; allocated only for authenticated sessions.
 */
final class Credential {

  /**
   * The answer to a refresh.
   *
   * @param answer what the client is told
   * @param applied whether the grant was replaced (and its expiry scheduled): the session may
   *     publish as the new grant says
   */
  record Decision(ClientEvent answer, boolean applied) {}

  private static final Duration DAY = Duration.ofDays(1);

  private Authenticated auth;
  private Cancellable expiry;

  /** Whether {@link #expiry} fires at the expiry itself, not at a daily check before it. */
  private boolean expiryFinal;

  private int expiryGeneration;
  private int refreshesSent;

  /** The sequence number of the newest refresh applied. */
  private int refreshApplied;

  private int refreshesPending;

  /** The expiry came while refreshes were under way: they decide. */
  private boolean expiredWhilePending;

  Credential(Authenticated auth) {
    this.auth = auth;
  }

  /** The grant in force and its authenticator. */
  Authenticated auth() {
    return auth;
  }

  /**
   * Schedules the session's close at the expiry (or, for a far expiry, the next daily check); a
   * timer scheduled before no longer counts.
   */
  void scheduleExpiry(Instant now, SessionHost host) {
    if (expiry != null) {
      expiry.cancel();
      expiry = null;
    }
    expiryGeneration++;
    Optional<Instant> at = auth.grant().expiresAt();
    if (at.isPresent()) {
      Duration left = Duration.between(now, at.get());
      Duration wait = left.isNegative() ? Duration.ZERO : left.compareTo(DAY) > 0 ? DAY : left;
      expiryFinal = wait != DAY;
      expiry = host.scheduleOnce(wait, new SessionControl.Expired(expiryGeneration));
    }
  }

  /**
   * An expiry timer fired ({@link SessionControl.Expired}).
   *
   * @return whether the credential expired and the session is to close now; not when a refresh
   *     replaced the timer, when a day passed before a far expiry (checked again), or when
   *     refreshes are under way (their decisions decide)
   */
  boolean expired(int generation, Instant now, SessionHost host) {
    if (generation != expiryGeneration) {
      return false; // scheduled before a refresh replaced it
    }
    expiry = null;
    if (!expiryFinal) {
      scheduleExpiry(now, host); // a far expiry: one more day passed
      return false;
    }
    if (refreshesPending > 0) {
      // The client asked in time; the answer decides (it comes within client-timeout).
      expiredWhilePending = true;
      return false;
    }
    return true;
  }

  /**
   * Asks the authenticator about a client's new credential, for at most {@code timeout}; its
   * decision comes back to the session as {@link SessionControl.Refreshed}.
   *
   * @param room the session's room
   * @param token the new credential; never logged
   * @param due when the client message may be acknowledged
   */
  void refresh(RoomId room, String token, Duration timeout, long due, SessionHost host) {
    Authenticated current = auth;
    CompletableFuture<AuthResult> decided =
        AuthCalls.bounded(
            () -> current.authenticator().refresh(current.grant().principal(), room, token),
            timeout);
    refreshesPending++;
    int sequence = ++refreshesSent;
    host.pipeToSelf(
        decided,
        (result, failure) ->
            failure == null
                ? new SessionControl.Refreshed(result, null, due, sequence)
                // Not the exception's message: it may quote the credential.
                : new SessionControl.Refreshed(null, failure.getClass().getName(), due, sequence));
  }

  /**
   * The authenticator decided on refresh {@code sequence}: a newer grant replaces the one in force
   * and its expiry is scheduled.
   *
   * @param result its decision, or null when it failed or took too long
   */
  Decision refreshed(AuthResult result, int sequence, Instant now, SessionHost host) {
    refreshesPending--;
    if (result instanceof AuthResult.Grant grant) {
      if (!grant.principal().user().equals(auth.user())) {
        return refused(
            new ClientEvent.Error(
                AuthResult.Status.FORBIDDEN.code(), "the token is for another user"));
      }
      boolean applied = sequence > refreshApplied; // an older decision never undoes a newer
      if (applied) {
        refreshApplied = sequence;
        auth = new Authenticated(grant, auth.authenticator());
        expiredWhilePending = false;
        scheduleExpiry(now, host);
      }
      return new Decision(
          new ClientEvent.Refreshed(auth.grant().expiresAt().orElse(null)), applied);
    } else if (result instanceof AuthResult.Refusal refusal) {
      return refused(new ClientEvent.Error(refusal.status().code(), refusal.message()));
    }
    return refused(
        new ClientEvent.Error("unavailable", "the token could not be checked; try again"));
  }

  private static Decision refused(ClientEvent answer) {
    return new Decision(answer, false);
  }

  /** Whether the expiry came while refreshes were under way, and every one of them has failed. */
  boolean expiredMeanwhile() {
    return expiredWhilePending && refreshesPending == 0;
  }

  /** Cancels the expiry timer, if one is scheduled. */
  void cancel() {
    if (expiry != null) {
      expiry.cancel();
    }
  }
}
