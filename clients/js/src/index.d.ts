// Types of lobby-client (src/index.js), written by hand.

/** The subprotocol of Lobby's JSON mode: `lobby.v1.json`. */
export declare const SUBPROTOCOL: 'lobby.v1.json';

/** The defaults of the options. */
export declare const DEFAULTS: Readonly<{
  backoff: Readonly<{ initialMs: 250; maxMs: 10000 }>;
  maxQueued: 100;
  maxInFlight: 128;
  connectTimeoutMs: 10000;
  idleTimeoutMs: 0;
  closeTimeoutMs: 5000;
}>;

/** `connecting` (first attempt), `open` (welcomed), `reconnecting` (waiting or attempting again), `closed`. */
export type LobbyState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A WHATWG-compatible WebSocket constructor (browsers' WebSocket, the ws package's). */
export interface WebSocketConstructor {
  new (url: string, protocols?: string | string[]): WebSocketLike;
}

export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: { data: any }) => void) | null;
  onerror: ((event: any) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface GetTokenContext {
  /** `connect`: the first attempt; `reconnect`: a later attempt; `refresh`: ahead of expiry, for a refresh frame. */
  reason: 'connect' | 'reconnect' | 'refresh';
}

export interface LobbyClientOptions {
  /** Base URL of the server, e.g. `ws://127.0.0.1:8081` (`http`/`https` are taken as `ws`/`wss`). The room is appended as a path segment. */
  url: string | URL;
  /** The room: 1 to 128 of `A-Z a-z 0-9 - _ . ~ :`, not `.` or `..`. */
  room: string;
  /** A WebSocket constructor; default `globalThis.WebSocket`. In Node.js pass the `ws` package's. */
  WebSocket?: WebSocketConstructor | (new (...args: any[]) => any);
  /** The token of the first connection (sent as the `token` query parameter). */
  token?: string | null;
  /** Asked for a token at every connection attempt (the first only when `token` is not given) and ahead of expiry. */
  getToken?: ((context: GetTokenContext) => string | null | undefined | Promise<string | null | undefined>) | null;
  /** Reconnect delays: full jitter, random in [0, min(maxMs, initialMs * 2^n)) for the n-th retry since the last welcome. Default 250 and 10000. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Sends held while not connected; beyond, `send()` rejects with `queue_full`. Default 100. */
  maxQueued?: number;
  /** Sends written and not yet acknowledged at once; later ones wait in order. Default 128. */
  maxInFlight?: number;
  /** A connection without a welcome after this long is dropped and retried. Default 10000; 0: never. */
  connectTimeoutMs?: number;
  /** When above 0, a connection on which nothing arrived for this long is dropped and retried (with ws, Pings count). Default 0: off. */
  idleTimeoutMs?: number;
  /** How long `close()` waits for the Close handshake. Default 5000. */
  closeTimeoutMs?: number;
}

/** Users of members, on a server that authenticates: session id to user id. */
export type Users = Record<string, string>;

export interface WelcomeFrame {
  type: 'welcome';
  id: string;
  room_id: string;
  members: string[];
  user?: string;
  users?: Users;
  epoch?: string;
  offset?: number;
  recovered?: boolean;
  resume_key?: string;
  resumed?: boolean;
  [field: string]: unknown;
}

/** A broadcast as delivered to the application; `offset` when the server keeps a history. */
export interface LobbyMessage {
  id: string;
  room_id: string;
  msg: JsonValue;
  offset?: number;
}

export interface JoinedFrame { type: 'joined'; id: string; room_id: string; user?: string; [field: string]: unknown }
export interface LeftFrame {
  type: 'left'; id: string; room_id: string; reason: 'closed' | 'timeout' | 'slow_consumer' | 'error' | string; user?: string;
  [field: string]: unknown;
}
export interface WhisperFrame { type: 'whisper'; id: string; to: string; room_id: string; msg: JsonValue; [field: string]: unknown }
export interface MembersFrame { type: 'members'; room_id: string; members: string[]; users?: Users; [field: string]: unknown }
export interface ErrorFrame {
  type: 'error';
  code: string;
  message: string;
  /** The ref of the send it refuses. */
  ref?: string;
  /** With code `history_reset`: the new epoch and the offset the next messages follow. */
  epoch?: string;
  offset?: number;
  [field: string]: unknown;
}
export interface RefreshedFrame { type: 'refreshed'; expires_at?: string | null; [field: string]: unknown }

/** Messages may have been missed. */
export interface ResetEvent {
  /**
   * `not_recovered`: the welcome said `recovered:false`; `new_epoch`: the room started again (a
   * server restart); `history_reset`: the server's `history_reset` error frame; `gap`: an offset
   * was skipped on an open connection; `no_history`: a reconnect to a server without history.
   */
  reason: 'not_recovered' | 'new_epoch' | 'history_reset' | 'gap' | 'no_history';
  /** The epoch from now on (null without history). */
  epoch: string | null;
  /** The offset the next message follows (null without history). */
  offset: number | null;
}

/** A connection closed (or an attempt failed). */
export interface CloseEvent {
  /** The WebSocket close code (1006 for a lost connection or a refused upgrade; 0 when getToken failed). */
  code: number;
  reason: string;
  /** The HTTP status of a refused upgrade, when the WebSocket tells it (the ws package does, browsers do not). */
  status?: number;
  /** True when the client stops: close(), 4002, a refusal no retry fixes. */
  final: boolean;
  /** When not final: the delay before the next attempt. */
  retryInMs?: number;
  /** When final because of the server, or when getToken failed: why. */
  error?: LobbyError | unknown;
}

export interface Ack {
  ref: string;
  /** The broadcast's offset, on a server that keeps a history (broadcasts only). */
  offset?: number;
}

export interface LobbyEvents {
  welcome: WelcomeFrame;
  message: LobbyMessage;
  joined: JoinedFrame;
  left: LeftFrame;
  whisper: WhisperFrame;
  members: MembersFrame;
  error: ErrorFrame;
  state: LobbyState;
  reset: ResetEvent;
  refreshed: RefreshedFrame;
  close: CloseEvent;
  /** Every frame the server sent on the current connection, as parsed, before it is handled. */
  frame: { type: string; [field: string]: unknown };
}

/**
 * Codes: `queue_full`, `closed`, `outcome_unknown`, `session_resumed` (4002), `token_expired`
 * (4001 without getToken), `unauthorized` (401), `forbidden` (403), `bad_request` (400),
 * `refused` (another 4xx), `connect_failed`, or the code of the server's error frame that refused
 * a send (`forbidden`, `no_session`, `no_user`, `bad_request`).
 */
export declare class LobbyError extends Error {
  constructor(code: string, message: string, details?: { status?: number; closeCode?: number; frame?: object; ref?: string; cause?: unknown });
  readonly name: 'LobbyError';
  readonly code: string;
  /** HTTP status of a refused upgrade. */
  readonly status?: number;
  /** Close code that ended the client. */
  readonly closeCode?: number;
  /** The server's error frame. */
  readonly frame?: ErrorFrame;
  /** The ref of the send. */
  readonly ref?: string;
}

export declare class LobbyClient {
  constructor(options: LobbyClientOptions);

  /** The current state. */
  readonly state: LobbyState;
  /** The session id of the last welcome; null before the first. */
  readonly id: string | null;
  /** The room's history epoch; null when the server keeps no history. */
  readonly epoch: string | null;
  /** The offset of the last message delivered (or of the welcome when none came since); null without history. */
  readonly offset: number | null;
  /** The room. */
  readonly room: string;
  /** Sends held, not yet written. */
  readonly queued: number;
  /** Sends written, not yet acknowledged. */
  readonly inFlight: number;

  /** Listens to an event; returns a function that removes the listener. */
  on<K extends keyof LobbyEvents>(event: K, listener: (payload: LobbyEvents[K]) => void): () => void;
  /** Listens to the next event only; returns a function that removes the listener. */
  once<K extends keyof LobbyEvents>(event: K, listener: (payload: LobbyEvents[K]) => void): () => void;

  /** Resolves with the first welcome; retries failed attempts; rejects on a refusal no retry fixes, or on close(). */
  connect(): Promise<WelcomeFrame>;
  /** Broadcasts a JSON value to the room; resolves with the server's ack. */
  send(value: unknown): Promise<Ack>;
  /** Whispers to one session; resolves once delivered, rejects with `no_session`. */
  whisper(sessionId: string, value: unknown): Promise<Ack>;
  /** Whispers to every session of a user; resolves once delivered, rejects with `no_user`. */
  whisperUser(user: string, value: unknown): Promise<Ack>;
  /** Resolves with the next members answer. */
  members(): Promise<MembersFrame>;
  /** Closes (the session leaves) and stops reconnecting; resolves once closed. */
  close(): Promise<void>;
}

/** The `exp` claim of a JWT in milliseconds since the epoch, or null. */
export declare function jwtExpiry(token: unknown): number | null;
