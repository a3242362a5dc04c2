// The notification-bell demo: everything the page shows comes through herald.js. Every piece of
// notification text is set with textContent (titles and bodies are untrusted), action links only
// when they are http(s).
import { Herald, safeUrl, timeAgo } from '../herald.js';

const PAGE_SIZE = 20;
const LEVELS = new Set(['info', 'success', 'warning', 'error']);
const TOAST_MS = 6000;
const TOKEN_KEY = 'herald-demo-token';

const $ = id => document.getElementById(id);
const bell = $('bell');
const badge = $('badge');
const panel = $('panel');
const list = $('list');
const more = $('more');
const empty = $('empty');
const listError = $('list-error');
const stateEl = $('state');
const stateText = $('state-text');
const itemTemplate = $('item-template');
const toastTemplate = $('toast-template');

/** What the list shows: id → { n, el }. */
const items = new Map();
let herald = null;
let next = null; // cursor of the next page, null when everything is loaded
let loaded = false; // the first page has arrived
let loading = false; // a page is on its way
let refreshTimer = null;
let countdown = null;

// ---- start ----

const params = new URLSearchParams(location.search);
const transports = params.get('transports')?.split(',').map(t => t.trim()).filter(Boolean);
const token = params.get('token') || sessionStorage.getItem(TOKEN_KEY);
if (token) {
  start(token);
} else {
  $('signin').hidden = false;
}

$('token-form').addEventListener('submit', event => {
  event.preventDefault();
  const value = $('token-input').value.trim();
  if (value) {
    sessionStorage.setItem(TOKEN_KEY, value);
    start(value);
  }
});

$('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  if (params.has('token')) {
    location.href = location.pathname; // drop the token from the address
    return;
  }
  stop();
  $('signin').hidden = false;
  $('try').hidden = true;
});

function start(jwt) {
  stop();
  $('signin').hidden = true;
  $('signin-error').hidden = true;
  try {
    herald = new Herald({ token: jwt, ...(transports ? { transports } : {}) });
  } catch (err) {
    showSignInError(err.message);
    return;
  }
  window.herald = herald; // for trying things in the console
  herald.on('state', renderState);
  herald.on('unread', onUnread);
  herald.on('notification', n => {
    upsert(n);
    ring();
    renderEmpty();
  });
  herald.on('broadcast', b => toast(b.message, b.level, 'broadcast'));
  // the server could not replay what came while we were away: what the list shows may be stale
  herald.on('gap', () => (loaded ? refresh() : loadPage()));
  herald.on('error', e => console.warn('herald:', e.code, e.message));
  herald.connect();
}

function stop() {
  herald?.close();
  herald = null;
  items.clear();
  list.replaceChildren();
  next = null;
  loaded = false;
  loading = false;
  listError.hidden = true;
  renderBadge(0);
  renderMore();
  renderEmpty();
}

function showSignInError(message) {
  $('signin').hidden = false;
  const el = $('signin-error');
  el.textContent = message;
  el.hidden = false;
}

// ---- connection state ----

function renderState(state, details) {
  stateEl.dataset.state = state;
  clearInterval(countdown);
  const via = details.transport ? ` · ${details.transport}` : '';
  switch (state) {
    case 'connecting':
      stateText.textContent = `Connecting${via}…`;
      break;
    case 'open':
      stateText.textContent = `Live${via}`;
      $('who').textContent = herald.userId;
      $('who').hidden = false;
      showTryIt(herald.userId);
      if (loaded) {
        refresh(); // read states may have changed while we were away
      } else {
        loadPage(); // the first time, or again when the first page failed
      }
      break;
    case 'reconnecting':
      if (details.retryIn > 0) {
        const at = Date.now() + details.retryIn;
        const tick = () => {
          const seconds = Math.ceil((at - Date.now()) / 1000);
          stateText.textContent = seconds > 0 ? `Reconnecting in ${seconds} s` : 'Reconnecting…';
        };
        tick();
        countdown = setInterval(tick, 500);
      } else {
        stateText.textContent = `Reconnecting${via}…`;
      }
      break;
    case 'offline':
      stateText.textContent = 'Offline: waiting for the network';
      break;
    case 'unauthorized':
      stateText.textContent = 'Token refused';
      sessionStorage.removeItem(TOKEN_KEY);
      showSignInError('The gateway refused this token (expired, or signed with another secret). Make a new one.');
      break;
    default:
      stateText.textContent = 'Not connected';
  }
}

function showTryIt(user) {
  const origin = new URL('../', location.href).href.replace(/\/$/, '');
  const notification = {
    recipient: user, title: 'Ticket #42 assigned to you', body: 'Printer on floor 3 is on fire (again).',
    level: 'warning', category: 'ticket.assigned', actionUrl: 'https://example.com/tickets/42', actionLabel: 'Open ticket',
  };
  $('curl-notify').textContent = `curl -s -H 'Authorization: Bearer change-me' -H 'Content-Type: application/json' \\\n`
    + `  -d '${JSON.stringify(notification).replaceAll("'", "'\\''")}' \\\n  ${origin}/v1/notifications`;
  $('curl-broadcast').textContent = `curl -s -H 'Authorization: Bearer change-me' -H 'Content-Type: application/json' \\\n`
    + `  -d '{"message":"Deploy at 18:00, expect a minute of downtime","level":"warning"}' \\\n  ${origin}/v1/broadcasts`;
  $('try').hidden = false;
}

// ---- badge ----

function onUnread(count) {
  renderBadge(count);
  if (!loaded) {
    return;
  }
  // the server tells every tab the new count, not which notifications changed: when the count
  // disagrees with what this list shows, another tab (or the API) changed something; ask again
  const shown = [...items.values()].filter(({ n }) => !n.read).length;
  if (shown > count || (next === null && shown !== count)) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 250);
  }
}

function renderBadge(count) {
  badge.hidden = !(count > 0);
  badge.textContent = count > 99 ? '99+' : String(count);
  bell.setAttribute('aria-label', count > 0 ? `Notifications, ${count} unread` : 'Notifications');
  document.title = (count > 0 ? `(${count > 99 ? '99+' : count}) ` : '') + 'Herald · notification bell demo';
}

function ring() {
  bell.classList.remove('ring');
  void bell.offsetWidth; // restart the animation
  bell.classList.add('ring');
}

// ---- the list ----

function loadPage() {
  if (!herald || loading) {
    return;
  }
  loading = true;
  const client = herald;
  client.list({ limit: PAGE_SIZE, ...(next ? { before: next } : {}) }).then(page => {
    if (client !== herald) {
      return; // signed out meanwhile
    }
    loading = false;
    listError.hidden = true;
    page.items.forEach(upsert);
    next = page.next;
    loaded = true;
    renderMore();
    renderEmpty();
  }, err => {
    if (client !== herald) {
      return;
    }
    loading = false;
    console.warn('herald: list failed', err.message);
    $('list-error-text').textContent = loaded ? 'Could not load more notifications.' : 'Could not load your notifications.';
    listError.hidden = false;
  });
}

/** Reloads what is shown: read states, and notifications deleted elsewhere disappear. */
function refresh() {
  if (!herald || !loaded) {
    return;
  }
  const limit = Math.min(100, Math.max(PAGE_SIZE, items.size));
  const before = new Set(items.keys()); // what arrives while the answer is on its way stays
  herald.list({ limit }).then(page => {
    const fresh = new Set(page.items.map(n => n.id));
    const oldest = page.items.at(-1);
    for (const id of before) {
      const item = items.get(id);
      // everything from the oldest in this page onwards should be in it: what is not was deleted
      if (item && !fresh.has(id) && (page.next === null || (oldest && newer(item.n, oldest)))) {
        removeItem(id);
      }
    }
    page.items.forEach(upsert);
    if (items.size <= limit) {
      next = page.next;
    }
    renderMore();
    renderEmpty();
  }, err => console.warn('herald: list failed', err.message));
}

/** Newest first: by creation time, then id (ids are time-ordered). */
function newer(a, b) {
  return a.createdAt === b.createdAt ? a.id > b.id : a.createdAt > b.createdAt;
}

function upsert(n) {
  const known = items.get(n.id);
  if (known) {
    known.n = { ...known.n, read: n.read, readAt: n.readAt };
    render(known.el, known.n);
    return;
  }
  const el = itemTemplate.content.firstElementChild.cloneNode(true);
  el.dataset.id = n.id;
  items.set(n.id, { n, el });
  render(el, n);
  const after = [...list.children].find(other => newer(n, items.get(other.dataset.id).n));
  list.insertBefore(el, after ?? null);
}

function render(el, n) {
  const level = LEVELS.has(n.level) ? n.level : 'info';
  el.className = `item level-${level}${n.read ? '' : ' unread'}`;
  el.querySelector('.title').textContent = n.title || '(no title)';
  const body = el.querySelector('.body');
  body.textContent = n.body ?? '';
  body.hidden = !n.body;
  const time = el.querySelector('.time');
  time.dateTime = n.createdAt;
  time.textContent = relative(n.createdAt);
  time.title = new Date(n.createdAt).toLocaleString();
  el.querySelector('.category').textContent = n.category ?? '';
  const action = el.querySelector('.action');
  const href = safeUrl(n.actionUrl);
  action.hidden = !href;
  if (href) {
    action.href = href;
    action.textContent = n.actionLabel || 'Open';
  } else {
    action.removeAttribute('href');
  }
  const toggle = el.querySelector('.toggle');
  toggle.textContent = n.read ? 'Mark unread' : 'Mark read';
}


function setRead(id, read) {
  const item = items.get(id);
  if (!item || item.n.read === read) {
    return;
  }
  item.n = { ...item.n, read };
  render(item.el, item.n);
  if (read) {
    herald.markRead(id);
  } else {
    herald.markUnread(id);
  }
}

function removeItem(id) {
  items.get(id)?.el.remove();
  items.delete(id);
}

function renderMore() {
  more.hidden = !next;
}

function renderEmpty() {
  empty.hidden = !loaded || items.size > 0;
}

list.addEventListener('click', event => {
  const el = event.target.closest('.item');
  if (!el) {
    return;
  }
  const id = el.dataset.id;
  if (event.target.closest('.delete')) {
    herald.remove(id);
    removeItem(id);
    renderEmpty();
  } else if (event.target.closest('.toggle')) {
    setRead(id, !items.get(id).n.read);
  } else {
    setRead(id, true); // opening an item (or following its link) reads it
  }
});

list.addEventListener('keydown', event => {
  if (event.key === 'Enter' && event.target.classList.contains('item')) {
    setRead(event.target.dataset.id, true);
  }
});

$('mark-all').addEventListener('click', () => {
  if (!herald) {
    return;
  }
  herald.markAllRead();
  for (const item of items.values()) {
    item.n = { ...item.n, read: true };
    render(item.el, item.n);
  }
});

more.addEventListener('click', () => loadPage());
$('list-retry').addEventListener('click', () => loadPage());

// ---- the dropdown ----

bell.addEventListener('click', () => setOpen(panel.hidden));
document.addEventListener('click', event => {
  // the path as dispatched: a deleted item's button is no longer in the document by now
  if (!panel.hidden && !event.composedPath().includes($('bell-wrap'))) {
    setOpen(false);
  }
});
document.addEventListener('keydown', event => {
  if (event.key === 'Escape' && !panel.hidden) {
    setOpen(false);
    bell.focus();
  }
});

function setOpen(open) {
  panel.hidden = !open;
  bell.setAttribute('aria-expanded', String(open));
}

// ---- toasts ----

function toast(message, level, kind) {
  const el = toastTemplate.content.firstElementChild.cloneNode(true);
  const safeLevel = LEVELS.has(level) ? level : 'info';
  el.classList.add(`level-${safeLevel}`, kind);
  el.querySelector('.toast-level').textContent = safeLevel;
  el.querySelector('.toast-message').textContent = message ?? '';
  const dismiss = () => {
    el.classList.add('leaving');
    setTimeout(() => el.remove(), 300);
  };
  el.querySelector('.toast-close').addEventListener('click', dismiss);
  $('toasts').append(el);
  setTimeout(dismiss, TOAST_MS);
}

// ---- relative times ----

const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

function relative(iso) {
  return timeAgo(iso, { format: relativeFormat, justNow: 'just now', alwaysYear: true });
}

setInterval(() => {
  for (const { n, el } of items.values()) {
    el.querySelector('.time').textContent = relative(n.createdAt);
  }
}, 30_000);
