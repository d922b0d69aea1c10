package io.github.lobby.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.Authenticated;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.core.auth.Principal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import org.apache.pekko.actor.Cancellable;
import org.junit.jupiter.api.Test;

/** A session's credential: when it expires, and what the decisions on its refreshes do. */
class CredentialTest {

  static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
  static final RoomId ROOM = new RoomId("auth");

  /** Records what the credential schedules and pipes; cancels nothing for real. */
  static final class Host implements SessionHost {
    record Scheduled(Duration delay, SessionControl message) {}

    final List<Scheduled> scheduled = new ArrayList<>();
    final List<SessionControl> piped = new ArrayList<>();
    int cancelled;

    @Override
    public void acknowledge() {
      throw new AssertionError("the credential acknowledges nothing");
    }

    @Override
    public Cancellable scheduleOnce(Duration delay, SessionControl message) {
      scheduled.add(new Scheduled(delay, message));
      return new Cancellable() {
        @Override
        public boolean cancel() {
          cancelled++;
          return true;
        }

        @Override
        public boolean isCancelled() {
          return false;
        }
      };
    }

    @Override
    public <T> void pipeToSelf(
        CompletionStage<T> stage, BiFunction<T, Throwable, SessionControl> adapt) {
      stage.whenComplete((value, failure) -> piped.add(adapt.apply(value, failure)));
    }
  }

  final Host host = new Host();

  static Authenticated auth(String user, Instant expiresAt, Authenticator authenticator) {
    return new Authenticated(
        new AuthResult.Grant(Principal.of(user), true, Optional.ofNullable(expiresAt)),
        authenticator);
  }

  static AuthResult.Grant grant(String user, Instant expiresAt, boolean mayPublish) {
    return new AuthResult.Grant(Principal.of(user), mayPublish, Optional.of(expiresAt));
  }

  static final Authenticator REFUSES = request -> CompletableFuture.completedFuture(null);

  @Test
  void theCloseIsScheduledAtTheExpiryAndAFarOneIsCheckedDaily() {
    Credential soon = new Credential(auth("ann", NOW.plusSeconds(60), REFUSES));
    soon.scheduleExpiry(NOW, host);
    assertEquals(Duration.ofSeconds(60), host.scheduled.get(0).delay());
    assertTrue(soon.expired(1, NOW.plusSeconds(60), host));

    Credential far = new Credential(auth("ann", NOW.plus(Duration.ofDays(3)), REFUSES));
    far.scheduleExpiry(NOW, host);
    assertEquals(Duration.ofDays(1), host.scheduled.get(1).delay());
    assertFalse(far.expired(1, NOW.plus(Duration.ofDays(1)), host), "a day passed");
    assertEquals(Duration.ofDays(1), host.scheduled.get(2).delay());
    assertEquals(new SessionControl.Expired(2), host.scheduled.get(2).message());

    Credential never = new Credential(auth("ann", null, REFUSES));
    never.scheduleExpiry(NOW, host);
    assertEquals(3, host.scheduled.size(), "nothing scheduled");
  }

  @Test
  void aTimerOfAReplacedGenerationIsIgnored() {
    Credential credential = new Credential(auth("ann", NOW.plusSeconds(60), REFUSES));
    credential.scheduleExpiry(NOW, host);
    Credential.Decision decision =
        credential.refreshed(grant("ann", NOW.plusSeconds(600), false), 1, NOW, host);
    assertTrue(decision.applied());
    assertEquals(1, host.cancelled, "the first timer");
    assertEquals(new SessionControl.Expired(2), host.scheduled.get(1).message());
    assertFalse(credential.expired(1, NOW.plusSeconds(60), host));
    assertTrue(credential.expired(2, NOW.plusSeconds(600), host));
  }

  @Test
  void aRefreshForAnotherUserIsForbiddenAndAnOlderDecisionNeverUndoesANewerOne() {
    Credential credential = new Credential(auth("ann", NOW.plusSeconds(60), REFUSES));
    ClientEvent.Error other =
        assertInstanceOf(
            ClientEvent.Error.class,
            credential.refreshed(grant("bob", NOW.plusSeconds(600), true), 1, NOW, host).answer());
    assertEquals("forbidden", other.code());
    assertTrue(
        credential.refreshed(grant("ann", NOW.plusSeconds(900), false), 3, NOW, host).applied());
    Credential.Decision older =
        credential.refreshed(grant("ann", NOW.plusSeconds(600), true), 2, NOW, host);
    assertFalse(older.applied());
    assertEquals(new ClientEvent.Refreshed(NOW.plusSeconds(900)), older.answer());
    assertFalse(credential.auth().grant().mayPublish());
  }

  @Test
  void anExpiryDuringARefreshWaitsForItsDecision() {
    Credential credential = new Credential(auth("ann", NOW.plusSeconds(60), REFUSES));
    credential.scheduleExpiry(NOW, host);
    credential.refresh(ROOM, "new-token", Duration.ofSeconds(1), 42, host);
    assertFalse(credential.expired(1, NOW.plusSeconds(60), host), "the refresh decides");
    assertEquals(1, host.piped.size());
    SessionControl.Refreshed refused = (SessionControl.Refreshed) host.piped.get(0);
    assertInstanceOf(AuthResult.Refusal.class, refused.result());
    assertNull(refused.failure());
    assertEquals(42, refused.due());
    assertEquals(
        "unauthorized",
        ((ClientEvent.Error)
                credential.refreshed(refused.result(), refused.sequence(), NOW, host).answer())
            .code());
    assertTrue(credential.expiredMeanwhile(), "the only refresh failed");
  }

  @Test
  void anAuthenticatorThatThrowsIsToldAsAFailureWithoutItsMessage() {
    Authenticator throwing =
        new Authenticator() {
          @Override
          public CompletionStage<AuthResult> authenticate(
              io.github.lobby.core.auth.ConnectRequest request) {
            throw new AssertionError();
          }

          @Override
          public CompletionStage<AuthResult> refresh(Principal current, RoomId room, String token) {
            throw new IllegalStateException("secret " + token);
          }
        };
    Credential credential = new Credential(auth("ann", null, throwing));
    credential.refresh(ROOM, "t0ken", Duration.ofSeconds(1), 0, host);
    SessionControl.Refreshed failed = (SessionControl.Refreshed) host.piped.get(0);
    assertNull(failed.result());
    assertEquals(IllegalStateException.class.getName(), failed.failure());
    assertEquals(
        new ClientEvent.Error("unavailable", "the token could not be checked; try again"),
        credential.refreshed(null, failed.sequence(), NOW, host).answer());
  }
}
