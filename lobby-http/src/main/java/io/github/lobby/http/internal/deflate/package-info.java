/**
 * permessage-deflate (RFC 7692) for both connection paths: the negotiation of a client's offers
 * ({@link io.github.lobby.http.internal.deflate.PerMessageDeflate}), the server's compression of a
 * broadcast, once for all of its recipients, with pooled deflaters, and the inflation of what a
 * client sends, bounded by {@code max-message-bytes} ({@link
 * io.github.lobby.http.internal.deflate.Compression}, {@link
 * io.github.lobby.http.internal.deflate.MessageInflater}). Not API.
 */
package io.github.lobby.http.internal.deflate;
