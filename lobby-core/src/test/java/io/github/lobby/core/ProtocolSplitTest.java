package io.github.lobby.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The Lobby's protocol split by caller: each sub-protocol holds exactly the messages of its
 * caller, so a narrowed reference cannot carry another caller's messages.
 */
class ProtocolSplitTest {

  private static Set<Class<?>> permitted(Class<?> sealed) {
    return Arrays.stream(sealed.getPermittedSubclasses()).collect(Collectors.toSet());
  }

  @Test
  void anApplicationMayPublishAndQueryOnly() {
    assertEquals(
        Set.of(
            Lobby.Publish.class,
            Lobby.GetRoom.class,
            Lobby.ListRooms.class,
            Lobby.GetStats.class,
            Lobby.GetHistory.class),
        permitted(Lobby.AdminCommand.class));
  }

  @Test
  void theNetworkLayerConnectsDisconnectsAndClosesAll() {
    assertEquals(
        Set.of(Lobby.Connect.class, Lobby.Disconnected.class, Lobby.CloseAll.class),
        permitted(Lobby.ConnectionCommand.class));
  }

  @Test
  void peersDeliverWhispersAndReportSearches() {
    assertEquals(
        Set.of(
            Lobby.DeliverWhisper.class,
            Lobby.WhisperSearched.class,
            Lobby.DeliverUserWhisper.class,
            Lobby.UserWhispered.class),
        permitted(Lobby.PeerCommand.class));
  }

  @Test
  void everyPublicMessageBelongsToExactlyOneCaller() {
    for (Class<?> message : permitted(Lobby.Command.class)) {
      if (message.isInterface() || !java.lang.reflect.Modifier.isPublic(message.getModifiers())) {
        continue; // the three sub-protocols, and the sessions' own messages
      }
      long callers =
          Set.of(Lobby.AdminCommand.class, Lobby.ConnectionCommand.class, Lobby.PeerCommand.class)
              .stream()
              .filter(c -> c.isAssignableFrom(message))
              .count();
      assertEquals(1, callers, message.getSimpleName());
    }
  }
}
