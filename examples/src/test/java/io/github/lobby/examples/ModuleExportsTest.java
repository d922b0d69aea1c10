package io.github.lobby.examples;

import static java.util.stream.Collectors.toMap;
import static java.util.stream.Collectors.toSet;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.lobby.cluster.ClusterFederation;
import io.github.lobby.core.Lobby;
import io.github.lobby.http.LobbyServer;
import io.github.lobby.testkit.TestClient;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Opens;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The API line of the library modules, read from their compiled {@code module-info.class} (the
 * jar or classes directory each is loaded from): the exact packages each module exports to
 * everyone, exports to its siblings only, and opens. A package exported by mistake, or an API
 * package moved, fails here; a deliberate change of the API changes this test too.
 */
class ModuleExportsTest {

  @Test
  void coreExportsItsProtocolAndAuthAndItsInternalsToHttpAndClusterOnly() {
    ModuleDescriptor core = descriptor(Lobby.class, "io.github.lobby.core");

    assertEquals(Set.of("io.github.lobby.core", "io.github.lobby.core.auth"), exported(core));
    assertEquals(
        Map.of(
            "io.github.lobby.core.internal",
            Set.of("io.github.lobby.http", "io.github.lobby.cluster")),
        exportedToSiblings(core));
    assertEquals(Map.of(), opened(core));
    assertEquals(Set.of("io.github.lobby.core.internal"), internal(core));
    assertEquals(Set.of("io.github.lobby.core.Federation$Provider"), core.uses());
  }

  @Test
  void httpExportsServerRoutesAuthAndCodecsAndNoneOfItsConnectionLayer() {
    ModuleDescriptor http = descriptor(LobbyServer.class, "io.github.lobby.http");

    assertEquals(
        Set.of("io.github.lobby.http", "io.github.lobby.http.auth", "io.github.lobby.http.codec"),
        exported(http));
    assertEquals(Map.of(), exportedToSiblings(http));
    assertEquals(
        Map.of("io.github.lobby.http.codec", Set.of("com.fasterxml.jackson.databind")),
        opened(http));
    assertEquals(
        Set.of(
            "io.github.lobby.http.internal.deflate",
            "io.github.lobby.http.internal.engine",
            "io.github.lobby.http.internal.guard",
            "io.github.lobby.http.internal.lean",
            "io.github.lobby.http.internal.routes",
            "io.github.lobby.http.internal.tls",
            "io.github.lobby.http.internal.ws"),
        internal(http));
  }

  @Test
  void clusterExportsItsFederationAndProvidesItToCore() {
    ModuleDescriptor cluster = descriptor(ClusterFederation.class, "io.github.lobby.cluster");

    assertEquals(Set.of("io.github.lobby.cluster"), exported(cluster));
    assertEquals(Map.of(), exportedToSiblings(cluster));
    assertEquals(
        Map.of("io.github.lobby.cluster", Set.of("com.fasterxml.jackson.databind")),
        opened(cluster));
    assertEquals(Set.of(), internal(cluster));
    assertEquals(
        Set.of("io.github.lobby.core.Federation$Provider"),
        cluster.provides().stream().map(ModuleDescriptor.Provides::service).collect(toSet()));
  }

  @Test
  void testkitExportsItsOnePackage() {
    ModuleDescriptor testkit = descriptor(TestClient.class, "io.github.lobby.testkit");

    assertEquals(Set.of("io.github.lobby.testkit"), exported(testkit));
    assertEquals(Map.of(), exportedToSiblings(testkit));
    assertEquals(Map.of(), opened(testkit));
    assertEquals(Set.of(), internal(testkit));
  }

  /**
   * The descriptor of the module {@code type} was loaded from: the tests run on the class path,
   * where {@code module-info.class} is ignored, but it is in the same jar or classes directory.
   */
  private static ModuleDescriptor descriptor(Class<?> type, String name) {
    Path location;
    try {
      location = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    ModuleReference module =
        ModuleFinder.of(location)
            .find(name)
            .orElseThrow(() -> new AssertionError("no module " + name + " at " + location));
    ModuleDescriptor descriptor = module.descriptor();
    assertFalse(descriptor.isAutomatic(), name + " has no module-info.class");
    return descriptor;
  }

  /** The packages exported to every module. */
  private static Set<String> exported(ModuleDescriptor module) {
    return module.exports().stream()
        .filter(e -> !e.isQualified())
        .map(Exports::source)
        .collect(toSet());
  }

  /** The packages exported to named modules only, with those modules. */
  private static Map<String, Set<String>> exportedToSiblings(ModuleDescriptor module) {
    return module.exports().stream()
        .filter(Exports::isQualified)
        .collect(toMap(Exports::source, Exports::targets));
  }

  /** The packages open to reflection, with the modules they are open to. */
  private static Map<String, Set<String>> opened(ModuleDescriptor module) {
    return module.opens().stream().collect(toMap(Opens::source, Opens::targets));
  }

  /**
   * The packages not exported to everyone: each must be an {@code internal} package, so that the
   * name says what the module says.
   */
  private static Set<String> internal(ModuleDescriptor module) {
    Set<String> hidden = new TreeSet<>(module.packages());
    hidden.removeAll(exported(module));
    for (String name : hidden) {
      assertTrue(
          name.contains(".internal"),
          module.name() + " hides " + name + ", which is not an internal package");
    }
    return hidden;
  }
}
