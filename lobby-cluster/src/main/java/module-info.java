/**
 * Rooms across a Pekko Cluster: {@code ClusterFederation}, the {@code Federation} that lobby-core
 * finds through {@link java.util.ServiceLoader} when {@code lobby.cluster.enabled} is on.
 *
 * <p>The API is {@code ClusterFederation} alone; everything else in {@code io.github.lobby.cluster}
 * is package-private.
 */
// Pekko and Scala are automatic modules, named by their manifests. Jackson is not read here: Pekko's
// serializer brings it, and only needs this package open to it.
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic", "module"})
module io.github.lobby.cluster {
  // In the API: Federation and its types, ActorRef and ActorContext, Config.
  requires transitive io.github.lobby.core;
  requires pekko.cluster;
  requires pekko.cluster.typed;
  requires pekko.cluster.sharding;
  requires pekko.cluster.sharding.typed;
  requires scala.library;
  requires org.slf4j;

  exports io.github.lobby.cluster;

  // The messages between nodes are records bound to Pekko's Jackson CBOR serializer
  // (reference.conf), which reads and writes them by reflection.
  opens io.github.lobby.cluster to
      com.fasterxml.jackson.databind;

  provides io.github.lobby.core.Federation.Provider with
      io.github.lobby.cluster.ClusterFederation.Provider;
}
