/**
 * The inside of lobby-core: the actors behind {@link io.github.lobby.core.Lobby} and {@link
 * io.github.lobby.core.Session} and the plain classes that do their work. Not API: a type here is
 * public only where a sibling module needs it ({@code LobbyActor} for {@code Lobby.create}, {@code
 * LogText} and {@code AuthCalls} for lobby-http, {@code RoomHistory} for lobby-cluster's
 * sequencer), and {@code module-info.java} exports this package to those modules alone.
 *
 * <p>Three actors, each a thin message switch: {@link io.github.lobby.core.internal.LobbyActor}
 * (one per server) over a {@code RoomDirectory}, a {@code SessionDirectory}, a {@code
 * WhisperRouter} and the {@code Resumption} of detached sessions; {@code SessionActor} (one per
 * connection) over its {@code InboundFlow}, its {@code Credential}, its {@code SentRefs} and the
 * shared {@code WhisperDispatch}, a {@code DetachedSession} once its connection is gone; {@code
 * Room} (one per room with members or a history) over its {@code Members}, their {@code
 * RemotePresence} on other nodes, its {@code RoomLog} and, when a sequencer numbers its
 * broadcasts, a {@code SequencedDelivery}, {@code AwaitingHistory} until the first one.
 *
 * <p>Each actor's mailbox takes two protocols: its callers' ({@code Lobby.Command}, {@code
 * Session.Command}, public) and its own ({@code LobbyControl}, {@code SessionControl}, here); each
 * is sealed in its own package, as the unnamed module requires, and references are narrowed to one
 * of them per caller.
 */
package io.github.lobby.core.internal;
