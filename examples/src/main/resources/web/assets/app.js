// Browser client of the Lobby example server, in JSON mode (subprotocol lobby.v1.json).
// No framework and no build step; every text from the network is inserted with textContent.
// A token, when the server wants one (GET /client-config.json), lives in this script's variables
// only: never in storage or cookies, never in the page's address. It goes to the server as
// ?token= on the WebSocket URL, since a browser's WebSocket cannot set headers.
(function () {
  'use strict';

  const SUBPROTOCOL = 'lobby.v1.json';
  const ROOM_PATTERN = /^[A-Za-z0-9\-_.~:]{1,128}$/;
  const BACKOFF_FIRST_MS = 500;
  const BACKOFF_MAX_MS = 15000;

  const $ = (id) => document.getElementById(id);
  const ui = {
    joinForm: $('join-form'), room: $('room'), join: $('join'), leave: $('leave'), state: $('state'),
    tokenField: $('token-field'), token: $('token'),
    log: $('log'), sendForm: $('send-form'), text: $('text'), send: $('send'),
    target: $('target'), targetLabel: $('target-label'), targetClear: $('target-clear'),
    me: $('me'), meUser: $('me-user'), members: $('members'), count: $('count'), userHint: $('user-hint'),
  };

  let socket = null;       // the open or opening WebSocket
  let room = null;         // the room we want to be in; null once the user left
  let myId = null;         // our session id, from the welcome frame
  let members = [];        // member ids in join order
  let users = new Map();   // member id -> user id, for members the server named a user of
  let whisperTo = null;    // { to: member id } or { user: user id }, or null to talk to the room
  let authMode = 'none';   // the server's lobby.auth.mode: none, jwt or custom
  let token = null;        // the token in use; in this variable only
  let pendingToken = null; // the token of the last refresh sent, in use once it is `refreshed`
  let attempt = 0;         // failed connection attempts since the last welcome
  let epoch = null;        // the room's history epoch, when the server keeps a history
  let lastOffset = null;   // the offset of the last message received in that epoch
  let sinceAsked = null;   // the offset this connection asked to recover from, or null
  let session = null;      // { id, key } to resume this session with, when the server allows it
  let resumeAsked = false; // whether this connection asked to resume the session
  let retryTimer = null;
  let countdownTimer = null;

  function setState(state, label) {
    ui.state.className = 'state ' + state;
    ui.state.dataset.state = state;
    ui.state.textContent = label || state;
    const live = state === 'connected';
    ui.text.disabled = !live;
    ui.send.disabled = !live;
    ui.leave.disabled = state === 'disconnected';
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
    const who = document.createElement('span');
    who.className = 'sender';
    who.textContent = senderLabel;
    li.appendChild(who);
    if (typeof msg === 'string') {
      li.appendChild(document.createTextNode(msg));
    } else {
      const pre = document.createElement('pre');
      pre.textContent = JSON.stringify(msg, null, 2);
      li.appendChild(pre);
    }
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
        return 'Whisper not delivered: ' + frame.message + '.';
      case 'unauthorized':
      case 'unavailable':
        return 'Token not refreshed: ' + frame.message + '. The session keeps its current token.';
      default:
        return 'Error (' + frame.code + '): ' + frame.message;
    }
  }

  function handle(frame) {
    switch (frame.type) {
      case 'welcome':
        attempt = 0;
        if (resumeAsked) {
          notice(frame.resumed === true
            ? 'Resumed the same session: the room did not see you leave.'
            : 'Could not resume the session: you joined again as a new one.',
          frame.resumed === true ? 'notice' : 'error');
        }
        // A new key with every welcome; a server that does not resume sessions gives none.
        session = frame.resume_key !== undefined ? { id: frame.id, key: frame.resume_key } : null;
        if (frame.epoch !== undefined) {
          if (sinceAsked !== null) {
            if (frame.recovered === true) {
              const n = frame.offset - sinceAsked;
              notice('Reconnected: recovered ' + n + (n === 1 ? ' message.' : ' messages.'));
            } else {
              notice('Reconnected: some messages may be missing.', 'error');
            }
          }
          epoch = frame.epoch;
          // What it missed follows a recovered welcome and moves lastOffset on as it arrives.
          lastOffset = frame.recovered === true ? sinceAsked : frame.offset;
        }
        myId = frame.id;
        members = frame.members.slice();
        users = new Map(Object.entries(frame.users || {}));
        ui.me.textContent = myId;
        ui.meUser.textContent = frame.user || '';
        ui.meUser.hidden = frame.user === undefined;
        renderMembers();
        setState('connected');
        notice('You joined ' + frame.room_id + ' as ' + withUser(myId, frame.user) + '.');
        break;
      case 'joined':
        if (!members.includes(frame.id)) members.push(frame.id);
        if (frame.user !== undefined) users.set(frame.id, frame.user);
        renderMembers();
        notice(withUser(frame.id, frame.user) + ' joined.');
        break;
      case 'left':
        members = members.filter((m) => m !== frame.id);
        users.delete(frame.id);
        renderMembers();
        notice(withUser(frame.id, frame.user) + ' left (' + frame.reason + ').');
        break;
      case 'message':
        if (frame.offset !== undefined) lastOffset = frame.offset;
        message('message', who(frame.id), frame.msg);
        break;
      case 'whisper':
        message('whisper', 'whisper from ' + who(frame.id), frame.msg);
        break;
      case 'members':
        members = frame.members.slice();
        users = new Map(Object.entries(frame.users || {}));
        renderMembers();
        break;
      case 'refreshed':
        if (pendingToken !== null) token = pendingToken;
        pendingToken = null;
        showToken();
        notice(frame.expires_at
          ? 'Token refreshed: the session now lasts until ' + new Date(frame.expires_at).toLocaleString() + '.'
          : 'Token refreshed: the session does not expire.');
        break;
      case 'error':
        if (frame.code === 'history_reset') {
          // The room's history was lost (a cluster node left): offsets count in a new epoch.
          epoch = frame.epoch;
          lastOffset = frame.offset;
          notice('The room\'s history was reset: some messages may be missing.', 'error');
          break;
        }
        notice(errorText(frame), 'error');
        break;
      default:
        // Future event types are ignored, as the protocol allows.
        break;
    }
  }

  function connect() {
    clearTimers();
    // Reconnecting to the same room with a history: ask for what was missed meanwhile.
    sinceAsked = epoch !== null && lastOffset !== null ? lastOffset : null;
    const query = [];
    if (token !== null) query.push('token=' + encodeURIComponent(token));
    if (sinceAsked !== null) {
      query.push('since=' + sinceAsked, 'epoch=' + encodeURIComponent(epoch));
    }
    // Back in the same room: ask to be the same session, so that the others see no leave or join.
    resumeAsked = session !== null;
    if (resumeAsked) {
      query.push('resume=' + encodeURIComponent(session.id), 'key=' + encodeURIComponent(session.key));
    }
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/' + room
        + (query.length === 0 ? '' : '?' + query.join('&'));
    setState(attempt === 0 ? 'connecting' : 'reconnecting', attempt === 0 ? 'connecting' : 'reconnecting…');
    const ws = new WebSocket(url, SUBPROTOCOL);
    socket = ws;
    let opened = false;
    ws.onopen = () => { opened = true; };
    ws.onmessage = (event) => {
      if (ws !== socket || typeof event.data !== 'string') return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        notice('Unreadable frame from the server.', 'error');
        return;
      }
      handle(frame);
    };
    ws.onclose = (event) => {
      if (ws !== socket) return;
      socket = null;
      myId = null;
      members = [];
      users = new Map();
      pendingToken = null;
      renderMembers();
      ui.me.textContent = '–';
      ui.meUser.hidden = true;
      if (room === null) {
        setState('disconnected');
        return;
      }
      if (event.code === 4002) {
        session = null; // the session went on another connection: this page starts a new one
      }
      if (event.code === 4001) {
        // The same token would be refused: wait for a new one.
        stopWithToken('token expired', 'Token expired: enter a new token and press Join.');
        return;
      }
      if (!opened && authMode !== 'none') {
        checkRefused();
        return;
      }
      const why = event.code === 1006 ? 'connection lost' : 'closed with ' + event.code
          + (event.reason ? ' (' + event.reason + ')' : '');
      notice('Disconnected: ' + why + '.');
      scheduleReconnect();
    };
  }

  // The upgrade failed, and a browser is not told why. A server that answers plain HTTP is up, so
  // it refused the upgrade (most likely the token); a server that does not is down: retry later.
  function checkRefused() {
    const wanted = room;
    fetch('/health', { cache: 'no-store' }).then(() => true, () => false).then((up) => {
      if (room !== wanted || socket !== null) return; // Leave or Join in the meantime
      if (up) {
        stopWithToken('refused', 'The server refused to let you in to ' + wanted + ': the token is missing, not'
            + ' valid or expired, or it does not allow this room. Enter a token and press Join.');
      } else {
        notice('Disconnected: connection lost.');
        scheduleReconnect();
      }
    });
  }

  function stopWithToken(label, text) {
    room = null;
    token = null;
    clearTimers();
    setState('disconnected', label);
    showToken();
    notice(text, 'error');
    ui.token.focus();
  }

  // Exponential backoff with full jitter, reset by the next welcome.
  function scheduleReconnect() {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * Math.pow(2, attempt));
    const delay = Math.round(ceiling / 2 + Math.random() * ceiling / 2);
    attempt++;
    let due = Date.now() + delay;
    const show = () => setState('reconnecting',
        'reconnecting in ' + Math.max(0, Math.ceil((due - Date.now()) / 1000)) + ' s');
    show();
    countdownTimer = setInterval(show, 250);
    retryTimer = setTimeout(connect, delay);
  }

  function clearTimers() {
    clearTimeout(retryTimer);
    clearInterval(countdownTimer);
    retryTimer = countdownTimer = null;
  }

  function leave() {
    room = null;
    clearTimers();
    if (socket) {
      socket.close(1000, 'left');
    } else {
      setState('disconnected');
    }
    history.replaceState(null, '', location.pathname);
  }

  ui.joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const wanted = ui.room.value.trim();
    if (!ROOM_PATTERN.test(wanted)) {
      notice('A room name is 1 to 128 of A-Z a-z 0-9 - _ . ~ :', 'error');
      return;
    }
    const entered = ui.token.value.trim();
    ui.token.value = '';
    if (entered !== '' && wanted === room && myId !== null) {
      // A new token in the room we are in extends this session instead of starting another.
      pendingToken = entered;
      socket.send(JSON.stringify({ type: 'refresh', token: entered }));
      return;
    }
    if (entered !== '') token = entered;
    showToken();
    if (authMode === 'jwt' && token === null) {
      notice('This server needs a token: enter one and press Join.', 'error');
      ui.token.focus();
      return;
    }
    if (socket) {
      const old = socket;
      socket = null;
      old.close(1000, 'changing room');
    }
    room = wanted;
    attempt = 0;
    epoch = null; // another room, or the same one joined afresh: nothing to recover
    lastOffset = null;
    session = null;
    setWhisperTarget(null);
    ui.log.replaceChildren();
    history.replaceState(null, '', '#' + room);
    connect();
  });

  ui.leave.addEventListener('click', leave);
  ui.targetClear.addEventListener('click', () => setWhisperTarget(null));

  ui.sendForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = ui.text.value;
    if (!text || !socket || socket.readyState !== WebSocket.OPEN) return;
    if (whisperTo !== null && whisperTo.user !== undefined) {
      socket.send(JSON.stringify({ type: 'whisper', user: whisperTo.user, msg: text }));
      message('whisper', 'you to user ' + whisperTo.user, text);
    } else if (whisperTo !== null) {
      socket.send(JSON.stringify({ type: 'whisper', to: whisperTo.to, msg: text }));
      message('whisper', 'you to ' + whisperTo.to.slice(0, 8), text);
    } else {
      socket.send(JSON.stringify({ type: 'message', msg: text }));
    }
    ui.text.value = '';
  });

  setState('disconnected');
  // Whether the server wants a token; a server without this resource wants none.
  fetch('/client-config.json', { cache: 'no-store' })
    .then((response) => (response.ok ? response.json() : {}))
    .catch(() => ({}))
    .then((config) => {
      authMode = config.auth === 'jwt' || config.auth === 'custom' ? config.auth : 'none';
      showToken();
      document.body.dataset.auth = authMode;
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
    });
})();
