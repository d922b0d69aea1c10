/**
 * The request-head guard of a server's HTTP/1.1 connections, for every listener of the server:
 * {@link io.github.lobby.http.internal.guard.HeadGuard} (the settings, and a Pekko Streams stage
 * for a listener built on streams), {@link io.github.lobby.http.internal.guard.HeadWatch} (one
 * connection's state, for a listener that is not a stream), {@link
 * io.github.lobby.http.internal.guard.HeadBudget} (the bytes all unfinished heads may hold). Not
 * API.
 */
package io.github.lobby.http.internal.guard;
