// Browser client of the Lobby example server, in JSON mode (subprotocol lobby.v1.json), built on
// the JavaScript client library (clients/js), which the jar serves as /assets/lobby-client/.
// This script is the page only: what it shows and what the user does. Connecting, reconnecting
// with backoff, resuming the session, recovering missed messages, acknowledged sends and token
// refresh are the library's (LobbyClient); the page listens to its events.
// No framework and no build step; every text from the network is inserted with textContent.
// A token, when the server wants one (GET /client-config.json), lives in this script's variables
// and the library's only: never in storage or cookies, never in the page's address. The library
// asks for it through getToken (at each connection and before it expires); when the page has no
// usable token it asks the user, and the library waits for the answer.
// A classic script (index.html loads it with <script src>) that imports the library, an ES module,
// relative to itself.
(function () {
  'use strict';

  const ROOM_PATTERN = /^[A-Za-z0-9\-_.~:]{1,128}$/;
  const BACKOFF = { initialMs: 500, maxMs: 15000 };
  // The errors without ref that answer a refresh (docs/PROTOCOL.md, Authentication).
  const REFRESH_ERRORS = ['unauthorized', 'forbidden', 'unavailable', 'bad_request'];

  const $ = (id) => document.getElementById(id);
  const ui = {
    joinForm: $('join-form'), room: $('room'), join: $('join'), leave: $('leave'), state: $('state'),
    tokenField: $('token-field'), token: $('token'),
    log: $('log'), sendForm: $('send-form'), text: $('text'), send: $('send'),
    target: $('target'), targetLabel: $('target-label'), targetClear: $('target-clear'),
    me: $('me'), meUser: $('me-user'), members: $('members'), count: $('count'), userHint: $('user-hint'),
  };

  let LobbyClient = null;  // the library's class, once imported
  let client = null;       // the LobbyClient of the room we are in; null once the user left
  let room = null;         // its room
  let lastSocket = null;   // the WebSocket the client opened last (did the attempt ever open?)
  let connected = false;   // whether the client's current connection was welcomed
  let myId = null;         // our session id, from the last welcome
  let members = [];        // member ids in join order
  let users = new Map();   // member id -> user id, for members the server named a user of
  let whisperTo = null;    // { to: member id } or { user: user id }, or null to talk to the room
  let authMode = 'none';   // the server's lobby.auth.mode: none, jwt or custom
  let token = null;        // the token in use; in this variable (and the client) only
  let pendingToken = null; // the token of the last refresh sent, in use once it is `refreshed`
  let tokenWaiters = [];   // getToken calls of the client waiting for the user's token
  let asking = null;       // why the page waits for a token to connect again ('refused', ...), or null
  let lastLoss = null;     // { code, opened } of the client's last connection that ended
  let awaitingEcho = [];   // our broadcasts whose own copy has not come back yet, in order
  let reconnectDue = null; // when the next attempt starts (Date.now() based), while reconnecting
  let countdownTimer = null;

  // ---------------------------------------------------------------------------------------------
  // Display

  function setState(state, label) {
    ui.state.className = 'state ' + state;
    ui.state.dataset.state = state;
    ui.state.textContent = label || state;
    // While the client is (re)connecting, a message waits in its queue and goes once it is in.
    const live = state === 'connected' || state === 'connecting' || state === 'reconnecting';
    ui.text.disabled = !live;
    ui.send.disabled = !live;
    ui.leave.disabled = client === null;
  }

  // The state shown: the client's, unless the page waits for the user's token.
  function renderState() {
    clearInterval(countdownTimer);
    countdownTimer = null;
    if (client === null) {
      setState('disconnected');
    } else if (asking !== null) {
      setState('disconnected', asking);
    } else if (client.state === 'open') {
      setState('connected');
    } else if (client.state === 'connecting') {
      setState('connecting');
    } else if (client.state === 'reconnecting') {
      const show = () => {
        const left = reconnectDue === null ? 0 : reconnectDue - Date.now();
        setState('reconnecting', left > 0 ? 'reconnecting in ' + Math.ceil(left / 1000) + ' s' : 'reconnecting…');
      };
      show();
      if (reconnectDue !== null && reconnectDue > Date.now()) countdownTimer = setInterval(show, 250);
    } else {
      setState('disconnected');
    }
  }

  function entry(kind) {
    const li = document.createElement('li');
    li.className = kind;
    const stick = ui.log.scrollTop + ui.log.clientHeight >= ui.log.scrollHeight - 4;
    ui.log.appendChild(li);
    if (stick) ui.log.scrollTop = ui.log.scrollHeight;
    return li;
  }

  function notice(text, kind) {
    entry(kind || 'notice').textContent = text;
  }

  function short(id) {
    return id === myId ? 'you' : id.slice(0, 8);
  }

  // A member as the log names it: its user, when the server said, and its short id.
  function who(id) {
    const user = users.get(id);
    return user === undefined ? short(id) : user + ' (' + short(id) + ')';
  }

  function withUser(id, user) {
    return user === undefined ? id : id + ' (' + user + ')';
  }

  // A message's msg is any JSON value: strings are shown as text, anything else as JSON.
  function message(kind, senderLabel, msg) {
    const li = entry(kind);
    const sender = document.createElement('span');
    sender.className = 'sender';
    sender.textContent = senderLabel;
    li.appendChild(sender);
    if (typeof msg === 'string') {
      li.appendChild(document.createTextNode(msg));
    } else {
      const pre = document.createElement('pre');
      pre.textContent = JSON.stringify(msg, null, 2);
      li.appendChild(pre);
    }
    return li;
  }

  // Something we sent: pending (…) until the server acknowledges it (✓), or refused (✗), or
  // of unknown outcome (?) when the session it went on ended first.
  function outgoing(kind, senderLabel, msg) {
    const li = message(kind + ' mine', senderLabel, msg);
    const status = document.createElement('span');
    status.className = 'status';
    li.appendChild(status);
    setStatus(li, 'pending', '…', 'sending: not acknowledged yet');
    return li;
  }

  function setStatus(li, status, mark, title) {
    li.dataset.status = status;
    const span = li.querySelector('.status');
    span.textContent = mark;
    span.title = title;
  }

  function renderMembers() {
    ui.members.replaceChildren();
    for (const id of members) {
      const li = document.createElement('li');
      li.dataset.id = id;
      const user = users.get(id);
      if (user !== undefined) {
        // Another member's user name whispers to every session of that user.
        const name = document.createElement(id === myId ? 'span' : 'button');
        name.className = 'user';
        name.textContent = user;
        li.dataset.user = user;
        if (id !== myId) {
          name.type = 'button';
          name.title = 'Whisper to every session of ' + user;
          name.addEventListener('click', (event) => {
            event.stopPropagation();
            setWhisperTarget({ user });
          });
        }
        li.appendChild(name);
      }
      li.appendChild(document.createTextNode(id));
      if (id === myId) {
        li.className = 'self';
      } else {
        li.title = 'Whisper to ' + id;
        li.addEventListener('click', () => setWhisperTarget({ to: id }));
      }
      ui.members.appendChild(li);
    }
    ui.count.textContent = String(members.length);
    ui.userHint.hidden = users.size === 0;
    if (whisperTo !== null && whisperTo.to !== undefined && !members.includes(whisperTo.to)) {
      setWhisperTarget(null);
    }
  }

  // While the connection is lost, the members and our id are the last ones known: shown faded.
  function setStale(stale) {
    ui.members.classList.toggle('stale', stale);
    ui.me.classList.toggle('stale', stale);
  }

  function clearSession() {
    connected = false;
    myId = null;
    members = [];
    users = new Map();
    renderMembers();
    setStale(false);
    ui.me.textContent = '–';
    ui.meUser.hidden = true;
  }

  function setWhisperTarget(target) {
    whisperTo = target;
    ui.target.hidden = target === null;
    if (target === null) {
      ui.targetLabel.textContent = '';
      ui.text.placeholder = 'Message to the room';
    } else if (target.user !== undefined) {
      ui.targetLabel.textContent = 'to user ' + target.user;
      ui.text.placeholder = 'Whisper to every session of ' + target.user;
    } else {
      ui.targetLabel.textContent = 'to ' + target.to.slice(0, 8);
      ui.text.placeholder = 'Whisper to ' + target.to;
    }
    if (!ui.text.disabled) ui.text.focus();
  }

  function showToken() {
    ui.tokenField.hidden = authMode === 'none';
    ui.token.placeholder = token !== null ? 'token in use; paste a new one to replace it'
      : authMode === 'custom' ? 'token, if you have one' : 'paste a token';
  }

  // Errors name what went wrong; these are the ones a person can act on.
  function errorText(frame) {
    switch (frame.code) {
      case 'forbidden':
        return 'Not allowed: ' + frame.message + '.';
      case 'no_user':
      case 'no_session':
        return 'Whisper not delivered: ' + frame.message + '.';
      case 'unauthorized':
      case 'unavailable':
        return 'Token not refreshed: ' + frame.message + '. The session keeps its current token.';
      default:
        return 'Error (' + frame.code + '): ' + frame.message;
    }
  }

  function resetText(reason) {
    switch (reason) {
      case 'history_reset':
        return 'The room\'s history was reset: messages may have been missed.';
      case 'gap':
        return 'Messages may have been missed: the room skipped some.';
      default: // not_recovered, new_epoch, no_history
        return 'Reconnected: messages may have been missed meanwhile.';
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Tokens: the client asks for one at each connection and before the token expires.

  function waitForToken() {
    return new Promise((resolve) => tokenWaiters.push(resolve));
  }

  function giveToken(value) {
    const waiters = tokenWaiters;
    tokenWaiters = [];
    for (const resolve of waiters) resolve(value);
  }

  // The client cannot connect with the token it has: stop showing progress and ask the user.
  function askForToken(c, label, text) {
    if (c !== client) return null;
    asking = label;
    renderState();
    showToken();
    notice(text, 'error');
    ui.token.focus();
    return waitForToken();
  }

  function getToken(c, context) {
    if (c !== client) return null;
    if (context.reason === 'connect') return token;
    if (context.reason === 'refresh') {
      // The token expires soon: ask for a new one; the session goes on meanwhile, and ends at
      // expiry if none comes (4001, then the page asks again).
      const expiresAt = expiryOf(token);
      notice('Your token expires' + (expiresAt === null ? ' soon' : ' at ' + expiresAt.toLocaleTimeString())
          + ': paste a new one and press Join to stay in the room.');
      ui.token.placeholder = 'token expires soon: paste a new one';
      return waitForToken().then((value) => {
        if (c === client) pendingToken = value;
        return value;
      });
    }
    // reconnect
    if (lastLoss !== null && lastLoss.code === 4001) {
      return askForToken(c, 'token expired', 'Token expired: enter a new token and press Join.');
    }
    if (lastLoss !== null && !lastLoss.opened && authMode !== 'none') {
      // The upgrade failed, and a browser is not told why. A server that answers plain HTTP is
      // up, so it refused the upgrade (most likely the token); one that does not is down: retry.
      return fetch('/health', { cache: 'no-store' }).then(() => true, () => false).then((up) => {
        if (c !== client) return null;
        if (!up) return token;
        return askForToken(c, 'refused', 'The server refused to let you in to ' + room + ': the token is'
            + ' missing, not valid or expired, or it does not allow this room. Enter a token and press Join.');
      });
    }
    return token;
  }

  // A JWT's expiry, for the notice; null for other tokens.
  function expiryOf(value) {
    const parts = typeof value === 'string' ? value.split('.') : [];
    if (parts.length !== 3) return null;
    try {
      const claims = JSON.parse(atob(parts[1].replace(/-/g, '+').replace(/_/g, '/')));
      return typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : null;
    } catch (e) {
      return null;
    }
  }

  // A new token while in the room extends the session instead of starting another.
  function refresh(entered) {
    pendingToken = entered;
    if (tokenWaiters.length > 0) {
      giveToken(entered); // the client asked for it ahead of expiry: it sends the refresh
      return;
    }
    // The client refreshes by itself only ahead of expiry; the user's token goes now. Its answer
    // (refreshed, or an error frame) is shown by the handlers of those events.
    if (client !== null) client.refresh(entered).catch(() => {});
  }

  // ---------------------------------------------------------------------------------------------
  // The client

  function start(wanted) {
    const options = {
      url: (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host,
      room: wanted,
      backoff: BACKOFF,
    };
    // The client's WebSockets, so that the page sees whether an attempt ever opened (a refused
    // upgrade does not).
    options.WebSocket = class PageSocket extends WebSocket {
      constructor(url, protocols) {
        super(url, protocols);
        this.opened = false;
        this.addEventListener('open', () => { this.opened = true; });
        if (c === client) lastSocket = this;
      }
    };
    if (authMode !== 'none') options.getToken = (context) => getToken(c, context);
    const c = new LobbyClient(options);
    client = c;
    room = wanted;
    asking = null;
    lastLoss = null;
    lastSocket = null;
    awaitingEcho = [];
    reconnectDue = null;

    c.on('state', () => { if (c === client) renderState(); });

    c.on('welcome', (frame) => {
      if (c !== client) return;
      connected = true;
      reconnectDue = null;
      if (frame.resumed === true) {
        notice('Resumed the same session: the room did not see you leave.');
      } else if (frame.resumed === false) {
        notice('Could not resume the session: you joined again as a new one.', 'error');
      }
      if (frame.recovered === true) {
        // The client's offset is where the replay starts; it follows this welcome.
        const n = frame.offset - c.offset;
        notice('Reconnected: recovered ' + n + (n === 1 ? ' message.' : ' messages.'));
      }
      // recovered: false is told by the reset event that follows.
      myId = frame.id;
      members = frame.members.slice();
      users = new Map(Object.entries(frame.users || {}));
      ui.me.textContent = myId;
      ui.meUser.textContent = frame.user || '';
      ui.meUser.hidden = frame.user === undefined;
      setStale(false);
      renderMembers();
      renderState();
      if (frame.resumed !== true) {
        notice('You joined ' + frame.room_id + ' as ' + withUser(myId, frame.user) + '.');
      }
    });

    c.on('close', (event) => {
      if (c !== client) return;
      const wasConnected = connected;
      connected = false;
      lastLoss = { code: event.code, opened: lastSocket !== null && lastSocket.opened };
      pendingToken = null;
      if (event.final) {
        // The client stopped: 4002, or a refusal no retry fixes.
        stop();
        const reason = event.error && event.error.message ? event.error.message : 'closed with ' + event.code;
        notice('Disconnected for good: ' + reason + '. Press Join to come back.', 'error');
        renderState();
        return;
      }
      if (wasConnected && event.code !== 4001) {
        const why = event.code === 1006 ? 'connection lost' : 'closed with ' + event.code
            + (event.reason ? ' (' + event.reason + ')' : '');
        notice('Disconnected: ' + why + '.');
      }
      if (wasConnected) setStale(true);
      reconnectDue = Date.now() + (event.retryInMs || 0);
      renderState();
    });

    c.on('message', (m) => {
      if (c !== client) return;
      if (m.id === myId) {
        // Our own broadcast coming back: it is already in the log, as sent.
        const key = JSON.stringify(m.msg);
        const i = awaitingEcho.findIndex((li) => li.echoKey === key);
        if (i >= 0) {
          awaitingEcho.splice(i, 1);
          return;
        }
      }
      message('message', who(m.id), m.msg);
    });

    c.on('joined', (frame) => {
      if (c !== client) return;
      if (!members.includes(frame.id)) members.push(frame.id);
      if (frame.user !== undefined) users.set(frame.id, frame.user);
      renderMembers();
      notice(withUser(frame.id, frame.user) + ' joined.');
    });

    c.on('left', (frame) => {
      if (c !== client) return;
      members = members.filter((m) => m !== frame.id);
      users.delete(frame.id);
      renderMembers();
      notice(withUser(frame.id, frame.user) + ' left (' + frame.reason + ').');
    });

    c.on('whisper', (frame) => {
      if (c !== client) return;
      message('whisper', 'whisper from ' + who(frame.id), frame.msg);
    });

    c.on('members', (frame) => {
      if (c !== client) return;
      members = frame.members.slice();
      users = new Map(Object.entries(frame.users || {}));
      renderMembers();
    });

    c.on('refreshed', (frame) => {
      if (c !== client) return;
      if (pendingToken !== null) token = pendingToken;
      pendingToken = null;
      showToken();
      notice(frame.expires_at
        ? 'Token refreshed: the session now lasts until ' + new Date(frame.expires_at).toLocaleString() + '.'
        : 'Token refreshed: the session does not expire.');
    });

    c.on('error', (frame) => {
      if (c !== client) return;
      // A refused send is shown on the send (its ref); a history reset by the reset event.
      if (frame.ref !== undefined || frame.code === 'history_reset') return;
      if (REFRESH_ERRORS.includes(frame.code)) pendingToken = null;
      notice(errorText(frame), 'error');
    });

    c.on('reset', (event) => {
      if (c !== client) return;
      notice(resetText(event.reason), 'error');
    });

    renderState();
    c.connect().catch(() => {
      // A refusal no retry fixes is told by the close event; Leave or Join rejects it too.
    });
  }

  // Forgets the client (it closed by itself, or is being closed).
  function stop() {
    client = null;
    room = null;
    asking = null;
    reconnectDue = null;
    giveToken(null);
    clearSession();
  }

  // Sends what the user typed; it shows as pending until the server acknowledges it.
  function send(text) {
    const c = client;
    let li;
    let sent;
    if (whisperTo !== null && whisperTo.user !== undefined) {
      li = outgoing('whisper', 'you to user ' + whisperTo.user, text);
      sent = c.whisperUser(whisperTo.user, text);
    } else if (whisperTo !== null) {
      li = outgoing('whisper', 'you to ' + whisperTo.to.slice(0, 8), text);
      sent = c.whisper(whisperTo.to, text);
    } else {
      li = outgoing('message', 'you', text);
      li.echoKey = JSON.stringify(text);
      awaitingEcho.push(li);
      sent = c.send(text);
    }
    sent.then((ack) => {
      setStatus(li, 'acked', '✓', ack.offset === undefined ? 'delivered' : 'delivered, offset ' + ack.offset);
    }, (error) => {
      if (c === client) awaitingEcho = awaitingEcho.filter((other) => other !== li);
      if (error.code === 'outcome_unknown') {
        setStatus(li, 'unknown', '?', error.message);
        if (c === client) notice('Not confirmed: a message may or may not have been delivered (' + error.message + ').', 'error');
      } else {
        setStatus(li, 'failed', '✗', error.message);
        if (c !== client) return;
        notice(error.frame !== undefined ? errorText(error.frame) : 'Not sent: ' + error.message + '.', 'error');
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // The user

  function join(wanted, entered) {
    if (!ROOM_PATTERN.test(wanted)) {
      notice('A room name is 1 to 128 of A-Z a-z 0-9 - _ . ~ :', 'error');
      return;
    }
    if (client !== null && wanted === room) {
      if (asking !== null) {
        // The client waits for a token to connect again (refused, or expired): here it is.
        if (entered === '' && authMode === 'jwt') {
          notice('This server needs a token: enter one and press Join.', 'error');
          ui.token.focus();
          return;
        }
        token = entered === '' ? null : entered;
        asking = null;
        showToken();
        renderState();
        giveToken(token);
        return;
      }
      if (entered !== '' && client.state === 'open') {
        refresh(entered);
        return;
      }
    }
    if (entered !== '') token = entered;
    showToken();
    if (authMode === 'jwt' && token === null) {
      notice('This server needs a token: enter one and press Join.', 'error');
      ui.token.focus();
      return;
    }
    const old = client;
    stop();
    if (old !== null) old.close();
    setWhisperTarget(null);
    ui.log.replaceChildren();
    history.replaceState(null, '', location.pathname + location.search + '#' + wanted);
    start(wanted);
  }

  function leave() {
    const old = client;
    stop();
    renderState();
    history.replaceState(null, '', location.pathname + location.search);
    if (old !== null) old.close();
  }

  setState('disconnected');

  const ready = Promise.all([
    import('./lobby-client/index.js').then((library) => { LobbyClient = library.LobbyClient; }),
    // Whether the server wants a token; a server without this resource wants none.
    fetch('/client-config.json', { cache: 'no-store' })
      .then((response) => (response.ok ? response.json() : {}))
      .catch(() => ({}))
      .then((config) => {
        authMode = config.auth === 'jwt' || config.auth === 'custom' ? config.auth : 'none';
        showToken();
        document.body.dataset.auth = authMode;
      }),
  ]);

  ui.joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const wanted = ui.room.value.trim();
    const entered = ui.token.value.trim();
    ui.token.value = '';
    ready.then(() => join(wanted, entered));
  });

  ui.leave.addEventListener('click', leave);
  ui.targetClear.addEventListener('click', () => setWhisperTarget(null));

  ui.sendForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = ui.text.value;
    if (!text || client === null || ui.text.disabled) return;
    send(text);
    ui.text.value = '';
  });

  ready.then(() => {
    // For tests and debugging, with ?debug in the page's address: the client (its id, state,
    // epoch, offset) and the WebSocket it opened last. Off by default: the client holds the token.
    if (new URLSearchParams(location.search).has('debug')) {
      window.lobbyDebug = {
        get client() { return client; },
        get socket() { return lastSocket; },
      };
    }
    // A room in the address (http://127.0.0.1:8081/#myroom) is joined at once, with a token
    // when one is needed: it never comes in the address.
    if (location.hash.length > 1) {
      ui.room.value = decodeURIComponent(location.hash.slice(1));
      if (authMode === 'jwt') {
        notice('This server needs a token: enter one and press Join.');
        ui.token.focus();
      } else {
        ui.joinForm.requestSubmit();
      }
    }
  }, (e) => {
    notice('The page could not load the client library: ' + (e && e.message) + '.', 'error');
    ui.join.disabled = true;
  });
})();
