package io.github.lobby.cluster;

/**
 * Marks the messages that travel between nodes; bound to Pekko's Jackson CBOR serializer in this
 * module's {@code reference.conf}.
 */
interface ClusterMessage {}
