// Browser client of the Lobby example server, in JSON mode (subprotocol lobby.v1.json).
// No framework and no build step; every text from the network is inserted with textContent.
(function () {
  'use strict';

  const SUBPROTOCOL = 'lobby.v1.json';
  const ROOM_PATTERN = /^[A-Za-z0-9\-_.~:]{1,128}$/;
  const BACKOFF_FIRST_MS = 500;
  const BACKOFF_MAX_MS = 15000;

  const $ = (id) => document.getElementById(id);
  const ui = {
    joinForm: $('join-form'), room: $('room'), join: $('join'), leave: $('leave'), state: $('state'),
    log: $('log'), sendForm: $('send-form'), text: $('text'), send: $('send'),
    target: $('target'), targetLabel: $('target-label'), targetClear: $('target-clear'),
    me: $('me'), members: $('members'), count: $('count'),
  };

  let socket = null;       // the open or opening WebSocket
  let room = null;         // the room we want to be in; null once the user left
  let myId = null;         // our session id, from the welcome frame
  let members = [];        // member ids in join order
  let whisperTo = null;    // a member id, or null to talk to the room
  let attempt = 0;         // failed connection attempts since the last welcome
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
      li.textContent = id;
      li.dataset.id = id;
      if (id === myId) {
        li.className = 'self';
      } else {
        li.title = 'Whisper to ' + id;
        li.addEventListener('click', () => setWhisperTarget(id));
      }
      ui.members.appendChild(li);
    }
    ui.count.textContent = String(members.length);
    if (whisperTo !== null && !members.includes(whisperTo)) setWhisperTarget(null);
  }

  function setWhisperTarget(id) {
    whisperTo = id;
    ui.target.hidden = id === null;
    ui.targetLabel.textContent = id === null ? '' : 'to ' + id.slice(0, 8);
    ui.text.placeholder = id === null ? 'Message to the room' : 'Whisper to ' + id;
    if (!ui.text.disabled) ui.text.focus();
  }

  function handle(frame) {
    switch (frame.type) {
      case 'welcome':
        attempt = 0;
        myId = frame.id;
        members = frame.members.slice();
        ui.me.textContent = myId;
        renderMembers();
        setState('connected');
        notice('You joined ' + frame.room_id + ' as ' + myId + '.');
        break;
      case 'joined':
        if (!members.includes(frame.id)) members.push(frame.id);
        renderMembers();
        notice(frame.id + ' joined.');
        break;
      case 'left':
        members = members.filter((m) => m !== frame.id);
        renderMembers();
        notice(frame.id + ' left (' + frame.reason + ').');
        break;
      case 'message':
        message('message', short(frame.id), frame.msg);
        break;
      case 'whisper':
        message('whisper', 'whisper from ' + short(frame.id), frame.msg);
        break;
      case 'members':
        members = frame.members.slice();
        renderMembers();
        break;
      case 'error':
        notice('Error (' + frame.code + '): ' + frame.message, 'error');
        break;
      default:
        // Future event types are ignored, as the protocol allows.
        break;
    }
  }

  function connect() {
    clearTimers();
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/' + room;
    setState(attempt === 0 ? 'connecting' : 'reconnecting', attempt === 0 ? 'connecting' : 'reconnecting…');
    const ws = new WebSocket(url, SUBPROTOCOL);
    socket = ws;
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
      renderMembers();
      ui.me.textContent = '–';
      if (room === null) {
        setState('disconnected');
        return;
      }
      const why = event.code === 1006 ? 'connection lost' : 'closed with ' + event.code
          + (event.reason ? ' (' + event.reason + ')' : '');
      notice('Disconnected: ' + why + '.');
      scheduleReconnect();
    };
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
    if (socket) {
      const old = socket;
      socket = null;
      old.close(1000, 'changing room');
    }
    room = wanted;
    attempt = 0;
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
    if (whisperTo !== null) {
      socket.send(JSON.stringify({ type: 'whisper', to: whisperTo, msg: text }));
      message('whisper', 'you to ' + whisperTo.slice(0, 8), text);
    } else {
      socket.send(JSON.stringify({ type: 'message', msg: text }));
    }
    ui.text.value = '';
  });

  setState('disconnected');
  // A room in the address (http://127.0.0.1:8081/#myroom) is joined at once.
  if (location.hash.length > 1) {
    ui.room.value = decodeURIComponent(location.hash.slice(1));
    ui.joinForm.requestSubmit();
  }
})();
