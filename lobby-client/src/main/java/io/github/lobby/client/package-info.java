/**
 * A Java client of a Lobby room over the JDK's {@link java.net.http.WebSocket}, in JSON mode: it
 * reconnects with backoff, resumes its session, gets the messages it missed exactly once and in
 * order, refreshes its token before it expires, and completes every send with the server's
 * acknowledgement. It needs Jackson and nothing else; it has no Pekko dependency.
 *
 * <pre>{@code
 * LobbyClient client =
 *     LobbyClient.builder(URI.create("ws://127.0.0.1:8081"), "team-1")
 *         .token(jwt)                                   // or .tokenSupplier(() -> fetchToken())
 *         .listener(
 *             new LobbyClient.Listener() {
 *               @Override
 *               public void onMessage(Message message) {
 *                 System.out.println(message.id() + ": " + message.msg());
 *               }
 *
 *               @Override
 *               public void onReset(String reason) {
 *                 // messages may have been missed: reload the state from the application
 *               }
 *             })
 *         .build();
 * Welcome welcome = client.connect().toCompletableFuture().join();
 * client.send(Map.of("text", "hello"))
 *     .whenComplete((ack, error) -> System.out.println(error == null ? "sent" : error));
 * client.whisper(welcome.members().get(0), "psst");
 * client.members().thenAccept(members -> System.out.println(members.members()));
 * client.close().toCompletableFuture().join();
 * }</pre>
 *
 * <p>{@link io.github.lobby.client.LobbyClient} says what the client does on each close code and
 * refusal, how it resends, and on which threads the listener runs.
 */
package io.github.lobby.client;
