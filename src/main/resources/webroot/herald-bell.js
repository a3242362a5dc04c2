/**
 * herald-bell.js: <herald-bell>, a notification bell for any page, built on herald.js. A plain ES
 * module with no dependencies and no build step, served by the gateway at /herald-bell.js (any
 * origin may import it):
 *
 *   <script type="module" src="https://herald.example.com/herald-bell.js"></script>
 *   <herald-bell></herald-bell>
 *   <script type="module">
 *     document.querySelector('herald-bell').token = () => fetch('/api/herald-token')
 *       .then(r => { if (!r.ok) throw new Error('token: HTTP ' + r.status); return r.text(); });
 *   </script>
 *
 * (checking r.ok matters: a failing token endpoint is retried, while its error page taken for a
 * token would be refused and stop the bell in 'unauthorized')
 *
 * The bell shows the unread count, and a dropdown with the newest notifications (read or unread,
 * in the level's colour); a click reads one and, when it has a link, opens it; "Mark all as read";
 * "Load more" pages back through the inbox. It follows reads made in other tabs, says whether it
 * is live, and announces the unread count to screen readers. When the gateway could not replay
 * what came while the connection was down (herald.js's `gap`), the list is loaded again from the
 * newest, so nothing missed is skipped.
 *
 * Attributes: url, page-size, locale, theme (light | dark), align (end | start), open.
 * Properties: token (a JWT, or a function, may be async, asked before every connection and again
 * for a fresh token when one was refused), url, pageSize, locale, strings, open; read-only unread,
 * state, herald (the underlying client). Methods: show(), hide(), toggle(), markAllRead(), refresh().
 * Events (bubbling, composed): herald-notification, herald-open (cancelable), herald-unread,
 * herald-state, herald-broadcast, herald-error. Styling: --herald-* custom properties and ::part().
 *
 * Notification text is untrusted: it only ever reaches the page through textContent, and only an
 * http(s) link is ever followed.
 */
import { Herald, safeUrl, timeAgo } from './herald.js';

const LEVELS = ['info', 'success', 'warning', 'error'];
/** Rendered items at most: the DOM stays small however long the inbox is. */
const MAX_RENDERED = 200;
const DEFAULT_PAGE_SIZE = 20;
/** Herald.list takes 1 to 100 a page. */
const MAX_PAGE_SIZE = 100;
const TIME_REFRESH_MS = 30_000;

/** Every text the bell shows itself; `bell.strings = {...}` replaces any of them. */
const STRINGS = {
  heading: 'Notifications',
  bell: count => (count > 0 ? `Notifications, ${count} unread` : 'Notifications'),
  announce: count => (count === 0 ? 'No unread notifications' : count === 1 ? '1 unread notification' : `${count} unread notifications`),
  markAllRead: 'Mark all as read',
  loadMore: 'Load more',
  retry: 'Try again',
  loadFailed: 'Could not load notifications.',
  empty: 'You’re all caught up',
  emptyHint: 'New notifications will show up here.',
  capped: count => `Showing the ${count} newest`,
  unread: 'Unread',
  justNow: null, // null: the locale's own word for "now"
  levels: { info: 'Info', success: 'Success', warning: 'Warning', error: 'Error' },
  states: {
    connecting: 'Connecting…',
    open: 'Live',
    reconnecting: 'Reconnecting…',
    offline: 'Offline',
    closed: 'Not connected',
    unauthorized: 'Signed out',
  },
  reconnectingIn: seconds => `Reconnecting in ${seconds} s`,
};

// ---- static markup: constants only, no notification text ever passes through a template ----

const ICONS = {
  bell: '<path d="M6 16.5V11a6 6 0 0 1 12 0v5.5l1.6 1.9H4.4z"/><path d="M10 21a2.2 2.2 0 0 0 4 0"/>',
  info: '<circle cx="12" cy="12" r="9"/><path d="M12 11v5.5M12 7.6v.1"/>',
  success: '<circle cx="12" cy="12" r="9"/><path d="m8 12.4 2.8 2.8L16.2 9.6"/>',
  warning: '<path d="M12 3.6 2.6 19.7h18.8z"/><path d="M12 10v4.4M12 17.3v.1"/>',
  error: '<circle cx="12" cy="12" r="9"/><path d="m9.2 9.2 5.6 5.6m0-5.6-5.6 5.6"/>',
  checks: '<path d="m2.5 12.6 4.2 4.2 8.4-9.6"/><path d="m11.6 16 .8.8 8.6-9.6"/>',
  done: '<path d="M6 16.5V11a6 6 0 0 1 12 0v5.5l1.6 1.9H4.4z"/><path d="m9.4 11.6 2 2 3.4-3.8"/>',
};

function icon(name, part) {
  return `<svg class="icon" ${part ? `part="${part}" ` : ''}viewBox="0 0 24 24" aria-hidden="true" focusable="false">${ICONS[name]}</svg>`;
}

const SHELL = `
<button class="bell" part="button" type="button" aria-expanded="false" aria-controls="panel">
  ${icon('bell', 'icon')}
  <span class="badge" part="badge" aria-hidden="true" hidden></span>
</button>
<span class="sr" role="status" aria-live="polite" aria-atomic="true"></span>
<section class="panel" id="panel" part="panel" aria-labelledby="heading" hidden>
  <header part="header">
    <div class="heading">
      <h2 id="heading" part="heading"></h2>
      <span class="state" part="state"><span class="state-dot" aria-hidden="true"></span><span class="state-text"></span></span>
    </div>
    <button class="mark-all" part="mark-all" type="button">${icon('checks')}<span></span></button>
  </header>
  <ul class="list" part="list"></ul>
  <div class="empty" part="empty" hidden>
    <span class="empty-icon">${icon('done')}</span>
    <p class="empty-title"></p>
    <p class="empty-hint"></p>
  </div>
  <footer part="footer" hidden>
    <p class="note"></p>
    <button class="more" part="more" type="button"></button>
  </footer>
</section>`;

const ITEM = `
<li class="item" part="item" tabindex="-1">
  <span class="level" aria-hidden="true"></span>
  <div class="content">
    <p class="title" part="title"><span class="sr"></span><span class="title-text"></span></p>
    <p class="body" part="body"></p>
    <p class="meta"><time part="time"></time><span class="action" part="action"></span></p>
  </div>
  <span class="dot" aria-hidden="true"></span>
</li>`;

const CSS = `
:host {
  --_accent: var(--herald-accent, light-dark(#4f46e5, #8f8aff));
  --_bg: var(--herald-bg, light-dark(#ffffff, #181c29));
  --_fg: var(--herald-fg, light-dark(#1b2232, #e8eaf2));
  --_muted: var(--herald-muted, light-dark(#677086, #9aa2b7));
  --_border: var(--herald-border, light-dark(#e5e8ef, #2b3246));
  --_hover: var(--herald-hover-bg, light-dark(#f5f6fa, #1f2435));
  --_unread-bg: var(--herald-unread-bg, light-dark(#f5f6ff, #1c2237));
  --_badge-bg: var(--herald-badge-bg, light-dark(#e5283d, #ff5466));
  --_badge-fg: var(--herald-badge-fg, #ffffff);
  --_icon: var(--herald-icon-color, currentColor);
  --_info: var(--herald-info, light-dark(#2563eb, #6aa1ff));
  --_success: var(--herald-success, light-dark(#15803d, #4ade80));
  --_warning: var(--herald-warning, light-dark(#c2620a, #fbbf24));
  --_error: var(--herald-error, light-dark(#dc2626, #f87171));
  --_radius: var(--herald-radius, 14px);
  --_width: var(--herald-panel-width, 380px);
  --_max-height: var(--herald-panel-max-height, min(560px, 75vh));
  --_shadow: var(--herald-shadow, 0 16px 40px light-dark(rgb(20 28 60 / 0.16), rgb(0 0 0 / 0.55)),
    0 2px 8px light-dark(rgb(20 28 60 / 0.08), rgb(0 0 0 / 0.3)));
  color-scheme: light dark;
  display: inline-block;
  position: relative;
  font-family: var(--herald-font, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif);
  font-size: 14px;
  line-height: 1.45;
  -webkit-font-smoothing: antialiased;
}
:host([theme=light]) { color-scheme: light; }
:host([theme=dark]) { color-scheme: dark; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
p, h2, ul { margin: 0; padding: 0; }
button { font: inherit; color: inherit; }
.sr {
  position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0;
  overflow: hidden; clip-path: inset(50%); white-space: nowrap;
}
.icon {
  width: 20px; height: 20px; flex: none;
  fill: none; stroke: currentColor; stroke-width: 1.8; stroke-linecap: round; stroke-linejoin: round;
}

.bell {
  position: relative; display: grid; place-items: center;
  width: var(--herald-bell-size, 40px); height: var(--herald-bell-size, 40px);
  padding: 0; border: 0; border-radius: 50%; background: transparent;
  color: var(--_icon); cursor: pointer;
  transition: background-color 0.15s;
}
.bell:hover, .bell[aria-expanded=true] { background: color-mix(in srgb, currentColor 10%, transparent); }
.bell:focus-visible { outline: 2px solid var(--_accent); outline-offset: 2px; }
.bell .icon { width: 22px; height: 22px; transform-origin: 50% 4px; }
.bell.ring .icon { animation: ring 0.9s ease-in-out; }
@keyframes ring {
  0%, 100% { transform: rotate(0); }
  15% { transform: rotate(14deg); } 30% { transform: rotate(-12deg); }
  45% { transform: rotate(9deg); } 60% { transform: rotate(-6deg); } 75% { transform: rotate(3deg); }
}
.badge {
  position: absolute; top: 3px; right: 1px;
  min-width: 18px; height: 18px; padding: 0 5px; border-radius: 9px;
  background: var(--_badge-bg); color: var(--_badge-fg);
  box-shadow: 0 0 0 2px var(--herald-badge-ring, Canvas);
  font-size: 11px; font-weight: 700; line-height: 18px; text-align: center; font-variant-numeric: tabular-nums;
}

.panel {
  position: absolute; top: calc(100% + 8px); right: 0; z-index: var(--herald-z-index, 1000);
  display: flex; flex-direction: column;
  width: var(--_width); max-width: calc(100vw - 16px); max-height: var(--_max-height);
  background: var(--_bg); color: var(--_fg);
  border: 1px solid var(--_border); border-radius: var(--_radius); box-shadow: var(--_shadow);
  overflow: hidden; text-align: start;
  animation: appear 0.14s ease-out;
}
@keyframes appear { from { opacity: 0; transform: translateY(-4px) scale(0.98); } }
header {
  display: flex; align-items: center; justify-content: space-between; gap: 12px;
  padding: 14px 16px 12px; border-bottom: 1px solid var(--_border);
}
.heading { display: flex; flex-direction: column; gap: 1px; min-width: 0; }
h2 { font-size: 15px; font-weight: 650; letter-spacing: -0.01em; }
.state { display: inline-flex; align-items: center; gap: 6px; font-size: 12px; color: var(--_muted); }
.state-dot { width: 7px; height: 7px; border-radius: 50%; background: var(--_muted); }
.state[data-state=open] .state-dot { background: var(--_success); box-shadow: 0 0 0 3px color-mix(in srgb, var(--_success) 22%, transparent); }
.state[data-state=connecting] .state-dot, .state[data-state=reconnecting] .state-dot {
  background: var(--_warning); animation: pulse 1.2s ease-in-out infinite;
}
.state[data-state=unauthorized] .state-dot { background: var(--_error); }
@keyframes pulse { 50% { opacity: 0.35; } }
.mark-all {
  display: inline-flex; align-items: center; gap: 6px; flex: none;
  padding: 6px 10px; border: 0; border-radius: 8px; background: transparent;
  color: var(--_accent); font-size: 13px; font-weight: 600; cursor: pointer;
}
.mark-all .icon { width: 17px; height: 17px; }
.mark-all:hover:not(:disabled) { background: color-mix(in srgb, var(--_accent) 10%, transparent); }
.mark-all:disabled { color: var(--_muted); opacity: 0.6; cursor: default; }
.mark-all:focus-visible, .more:focus-visible { outline: 2px solid var(--_accent); outline-offset: 1px; }

.list { list-style: none; overflow-y: auto; overscroll-behavior: contain; flex: 1 1 auto; }
.item {
  --_level: var(--_info);
  position: relative; display: flex; gap: 12px; align-items: flex-start;
  padding: 12px 16px 12px 14px; border-bottom: 1px solid var(--_border);
  border-inline-start: 3px solid transparent;
  cursor: pointer; outline: none;
  transition: background-color 0.12s;
}
.item:last-child { border-bottom: 0; }
.item.level-success { --_level: var(--_success); }
.item.level-warning { --_level: var(--_warning); }
.item.level-error { --_level: var(--_error); }
.item.unread { background: var(--_unread-bg); border-inline-start-color: var(--_level); }
.item:hover { background: var(--_hover); }
.item.unread:hover { background: color-mix(in srgb, var(--_unread-bg) 70%, var(--_hover)); }
.item:focus-visible { box-shadow: inset 0 0 0 2px var(--_accent); }
.level {
  display: grid; place-items: center; flex: none;
  width: 32px; height: 32px; border-radius: 50%;
  color: var(--_level); background: color-mix(in srgb, var(--_level) 13%, transparent);
}
.level .icon { width: 18px; height: 18px; }
.item:not(.unread) .level { opacity: 0.7; }
.content { flex: 1 1 auto; min-width: 0; display: flex; flex-direction: column; gap: 2px; }
.title { font-weight: 500; color: var(--_muted); overflow-wrap: anywhere; }
.unread .title { font-weight: 650; color: var(--_fg); }
.body {
  color: var(--_muted); font-size: 13px; overflow-wrap: anywhere;
  display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden;
}
.unread .body { color: color-mix(in srgb, var(--_fg) 78%, var(--_muted)); }
.meta { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 10px; margin-top: 3px; font-size: 12px; color: var(--_muted); }
.action { color: var(--_accent); font-weight: 600; }
.action::after { content: " →"; }
.dot { flex: none; width: 8px; height: 8px; margin-top: 7px; border-radius: 50%; background: transparent; }
.unread .dot { background: var(--_accent); }

.empty { display: flex; flex-direction: column; align-items: center; gap: 4px; padding: 36px 24px 40px; text-align: center; }
.empty-icon {
  display: grid; place-items: center; width: 48px; height: 48px; margin-bottom: 8px; border-radius: 50%;
  color: var(--_accent); background: color-mix(in srgb, var(--_accent) 12%, transparent);
}
.empty-icon .icon { width: 24px; height: 24px; }
.empty-title { font-weight: 650; }
.empty-hint { color: var(--_muted); font-size: 13px; }
footer { display: flex; flex-direction: column; align-items: stretch; border-top: 1px solid var(--_border); }
.note { padding: 8px 16px 0; font-size: 12px; color: var(--_muted); text-align: center; }
.note:empty { display: none; }
.more {
  margin: 6px; padding: 8px; border: 0; border-radius: 8px; background: transparent;
  color: var(--_accent); font-size: 13px; font-weight: 600; cursor: pointer;
}
.more:hover:not(:disabled) { background: color-mix(in srgb, var(--_accent) 10%, transparent); }
.more:disabled { color: var(--_muted); cursor: progress; }

@media (prefers-reduced-motion: reduce) {
  .panel, .bell.ring .icon, .state-dot { animation: none !important; }
}
`;

let shellTemplate;
let itemTemplate;
let levelIcons;
let sheet;

/** The shared templates and style sheet, made once on first use (from the constants above only). */
function assets() {
  if (!shellTemplate) {
    shellTemplate = document.createElement('template');
    shellTemplate.innerHTML = SHELL;
    itemTemplate = document.createElement('template');
    itemTemplate.innerHTML = ITEM.trim();
    levelIcons = Object.fromEntries(LEVELS.map(level => {
      const t = document.createElement('template');
      t.innerHTML = icon(level);
      return [level, t];
    }));
    try {
      // a constructed sheet is not an inline style, so pages whose Content-Security-Policy
      // forbids inline styles can use the bell too
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
    } catch {
      sheet = null;
    }
  }
  return { shellTemplate, itemTemplate, levelIcons, sheet };
}


/** The link a notification leads to: its actionUrl, else data.url. */
function linkOf(n) {
  return safeUrl(n.actionUrl) ?? safeUrl(n.data && typeof n.data === 'object' ? n.data.url : null);
}

/** Newest first: by creation time, then id (ids are time-ordered). */
function newer(a, b) {
  return a.createdAt === b.createdAt ? a.id > b.id : String(a.createdAt) > String(b.createdAt);
}

function text(value) {
  return typeof value === 'string' ? value : value == null ? '' : String(value);
}

/** A notification bell for one user, connected through herald.js. */
export class HeraldBell extends HTMLElement {
  static observedAttributes = ['url', 'locale', 'open'];

  #root;
  #els;
  #token = null;
  #strings = STRINGS;
  #herald = null;
  #state = 'closed';
  #unread = null;
  /** What the list shows: id → { n, el }, at most MAX_RENDERED. */
  #items = new Map();
  #next = null; // cursor of the next page; null when everything is loaded
  #loaded = false; // the first page has arrived
  #loading = false;
  #loadFailed = false;
  /** Bumped when the list starts over: answers to lists asked before are for a list that is gone. */
  #listEpoch = 0;
  #capped = false;
  #current = null; // the item that holds the list's tab stop
  #refocus = false; // the list was reloaded while an item had focus: give it to the first item again
  #refreshTimer = null;
  #countdown = null;
  #timeTimer = null;
  #relative = null;
  #localeTag = undefined; // the locale attribute when the browser knows it
  #announced = null;

  #onResize = () => this.#place();

  #onDocumentClick = event => {
    if (this.open && !event.composedPath().includes(this)) {
      this.hide(false);
    }
  };

  constructor() {
    super();
    const { shellTemplate: shell, sheet: css } = assets();
    this.#root = this.attachShadow({ mode: 'open' });
    if (css) {
      this.#root.adoptedStyleSheets = [css];
    } else {
      const style = document.createElement('style');
      style.textContent = CSS;
      this.#root.append(style);
    }
    this.#root.append(shell.content.cloneNode(true));
    const $ = selector => this.#root.querySelector(selector);
    this.#els = {
      bell: $('.bell'), badge: $('.badge'), live: $('[role=status]'), panel: $('.panel'), heading: $('h2'),
      state: $('.state'), stateText: $('.state-text'), markAll: $('.mark-all'), markAllText: $('.mark-all span'),
      list: $('.list'), empty: $('.empty'), footer: $('footer'), note: $('.note'), more: $('.more'),
    };
    this.#els.bell.addEventListener('click', () => this.toggle());
    this.#els.bell.addEventListener('keydown', event => this.#bellKey(event));
    this.#els.bell.addEventListener('animationend', () => this.#els.bell.classList.remove('ring'));
    this.#els.markAll.addEventListener('click', () => this.markAllRead());
    this.#els.more.addEventListener('click', () => this.#loadPage());
    this.#els.list.addEventListener('click', event => this.#itemClick(event));
    this.#els.list.addEventListener('focusin', event => this.#focusItem(event.target.closest?.('.item'), false));
    this.#root.addEventListener('keydown', event => this.#panelKey(event));
    this.#root.addEventListener('focusout', event => {
      const to = event.relatedTarget;
      if (this.open && to && to !== this && !this.#root.contains(to)) {
        this.hide(false); // focus went elsewhere on the page (Tab out of the panel)
      }
    });
    this.#setLocale(this.getAttribute('locale'));
    this.#renderTexts();
    this.#renderBadge();
    this.#renderState('closed', {});
    this.#renderList();
    // properties set before this element was defined sit on the instance: run them through the setters
    for (const name of ['strings', 'url', 'pageSize', 'locale', 'open', 'token']) {
      if (Object.prototype.hasOwnProperty.call(this, name)) {
        const value = this[name];
        delete this[name];
        this[name] = value;
      }
    }
  }

  connectedCallback() {
    document.addEventListener('click', this.#onDocumentClick, true);
    clearInterval(this.#timeTimer);
    this.#timeTimer = setInterval(() => this.#renderTimes(), TIME_REFRESH_MS);
    this.#renderOpen();
    this.#start();
  }

  disconnectedCallback() {
    document.removeEventListener('click', this.#onDocumentClick, true);
    window.removeEventListener('resize', this.#onResize);
    clearInterval(this.#timeTimer);
    // moved within the page (removed and inserted again at once): keep the connection
    queueMicrotask(() => {
      if (!this.isConnected) {
        this.#stop();
      }
    });
  }

  attributeChangedCallback(name, before, after) {
    if (before === after) {
      return;
    }
    if (name === 'url') {
      this.#restart();
    } else if (name === 'locale') {
      this.#setLocale(after);
      this.#renderTimes();
    } else if (name === 'open') {
      this.#renderOpen();
    }
  }

  // ---- properties ----

  /** The user's JWT, or a function (may be async) returning one; it gets {fresh: true} when the last was refused. */
  get token() {
    return this.#token;
  }

  set token(value) {
    if (value != null && typeof value !== 'string' && typeof value !== 'function') {
      throw new TypeError('herald-bell: token must be a JWT string or a function returning one');
    }
    this.#token = value === '' ? null : value ?? null;
    this.#restart();
  }

  /** The gateway (default: where herald-bell.js was loaded from). */
  get url() {
    return this.getAttribute('url');
  }

  set url(value) {
    if (value == null || value === '') {
      this.removeAttribute('url');
    } else {
      this.setAttribute('url', String(value));
    }
  }

  /** Notifications per page, 1 to 100 (default 20). */
  get pageSize() {
    const value = Number.parseInt(this.getAttribute('page-size'), 10);
    return Number.isInteger(value) ? Math.min(MAX_PAGE_SIZE, Math.max(1, value)) : DEFAULT_PAGE_SIZE;
  }

  set pageSize(value) {
    this.setAttribute('page-size', String(value));
  }

  /** The locale of relative times (default: the browser's). */
  get locale() {
    return this.getAttribute('locale');
  }

  set locale(value) {
    if (value == null || value === '') {
      this.removeAttribute('locale');
    } else {
      this.setAttribute('locale', String(value));
    }
  }

  /** The texts the bell shows itself (see STRINGS); setting replaces the ones given. */
  get strings() {
    return this.#strings;
  }

  set strings(value) {
    const given = value ?? {};
    this.#strings = {
      ...STRINGS, ...given,
      levels: { ...STRINGS.levels, ...given.levels },
      states: { ...STRINGS.states, ...given.states },
    };
    if (this.#els) {
      this.#renderTexts();
      this.#renderBadge();
      this.#renderState(this.#state, {});
      this.#renderList();
      for (const { n, el } of this.#items.values()) {
        this.#renderItem(el, n);
      }
    }
  }

  /** Whether the dropdown is open (the `open` attribute). */
  get open() {
    return this.hasAttribute('open');
  }

  set open(value) {
    this.toggleAttribute('open', Boolean(value));
  }

  /** The unread count from the gateway (null until connected). */
  get unread() {
    return this.#unread;
  }

  /** The connection: 'connecting' | 'open' | 'reconnecting' | 'offline' | 'closed' | 'unauthorized'. */
  get state() {
    return this.#state;
  }

  /** The herald.js client (null without a token), for what the bell does not do itself. */
  get herald() {
    return this.#herald;
  }

  // ---- methods ----

  show() {
    this.open = true;
  }

  /** Closes the dropdown; focus goes back to the bell unless told otherwise. */
  hide(focusBell = true) {
    const wasOpen = this.open;
    this.open = false;
    if (wasOpen && focusBell) {
      this.#els.bell.focus();
    }
  }

  toggle() {
    if (this.open) {
      this.hide();
    } else {
      this.show();
    }
  }

  markAllRead() {
    if (!this.#herald) {
      return;
    }
    this.#herald.markAllRead();
    for (const item of this.#items.values()) {
      if (!item.n.read) {
        item.n = { ...item.n, read: true, readAt: new Date().toISOString() };
        this.#renderItem(item.el, item.n);
      }
    }
    this.#renderMarkAll();
  }

  /** Reloads what the list shows: read states, and notifications deleted elsewhere disappear. */
  refresh() {
    const herald = this.#herald;
    if (!herald || !this.#loaded) {
      return;
    }
    const limit = Math.min(MAX_PAGE_SIZE, Math.max(this.pageSize, this.#items.size));
    const before = new Set(this.#items.keys()); // what arrives while the answer is on its way stays
    const epoch = this.#listEpoch;
    herald.list({ limit }).then(page => {
      if (this.#stale(herald, epoch)) {
        return;
      }
      const fresh = new Set(page.items.map(n => n.id));
      const oldest = page.items.at(-1);
      for (const id of before) {
        const item = this.#items.get(id);
        // everything from the oldest in this page onwards is in it: what is not was deleted
        if (item && !fresh.has(id) && (page.next === null || (oldest && newer(item.n, oldest)))) {
          this.#removeItem(id);
        }
      }
      page.items.forEach(n => this.#upsert(n));
      if (this.#items.size <= limit) {
        this.#next = page.next;
      }
      this.#renderList();
    }, error => this.#failed(herald, error));
  }

  // ---- connection ----

  #start() {
    if (this.#herald || this.#token == null || !this.isConnected) {
      return;
    }
    let herald;
    try {
      const url = this.getAttribute('url');
      herald = new Herald({ token: info => this.#tokenFor(info), ...(url ? { url } : {}) });
    } catch (error) {
      this.#emit('herald-error', { code: 'invalid_option', message: error.message });
      return;
    }
    this.#herald = herald;
    herald.on('state', (state, info) => {
      if (herald === this.#herald) {
        this.#onState(state, info);
      }
    });
    herald.on('unread', count => {
      if (herald === this.#herald) {
        this.#onUnread(count);
      }
    });
    herald.on('notification', n => {
      if (herald === this.#herald) {
        this.#onNotification(n);
      }
    });
    herald.on('gap', () => {
      if (herald === this.#herald) {
        this.#onGap();
      }
    });
    herald.on('broadcast', b => this.#emit('herald-broadcast', b));
    herald.on('error', e => this.#emit('herald-error', e));
    herald.connect();
  }

  #tokenFor(info) {
    const token = this.#token;
    return typeof token === 'function' ? token.call(this, info) : token;
  }

  #stop() {
    const herald = this.#herald;
    this.#herald = null;
    herald?.close();
    clearInterval(this.#countdown);
    this.#clearList();
    this.#unread = null;
    this.#announced = null;
    this.#renderBadge();
    this.#renderState('closed', {});
    this.#renderList();
  }

  #restart() {
    if (!this.#els) {
      return; // still constructing: connectedCallback starts it
    }
    if (this.#herald) {
      this.#stop();
    }
    this.#start();
  }

  #onState(state, info) {
    this.#renderState(state, info);
    this.#emit('herald-state', { state, ...info });
    if (state === 'open') {
      if (this.#loaded) {
        this.refresh(); // reads and deletes may have happened while we were away
      } else {
        this.#loadPage(); // the first connection, or a first page that failed: ask (again)
      }
    }
  }

  /**
   * The gateway could not replay what came while the connection was down (its resume cursor is
   * gone from the inbox): any number of notifications may be missing between what the list shows,
   * and a refresh of the newest page would leave the older ones out, "Load more" too. So the list
   * starts over from the newest page. The dropdown stays as it was; focus in the list goes to the
   * bell meanwhile, and to the first item once the page is in.
   */
  #onGap() {
    const focusedItem = this.#root.activeElement?.closest?.('.item');
    if (focusedItem) {
      this.#els.bell.focus();
    }
    this.#clearList();
    this.#refocus = Boolean(focusedItem);
    this.#renderList();
    this.#loadPage();
  }

  /** Forgets what the list shows and where it stood; lists asked before are ignored when they answer. */
  #clearList() {
    this.#listEpoch++;
    clearTimeout(this.#refreshTimer);
    this.#items.clear();
    this.#els.list.replaceChildren();
    this.#current = null;
    this.#next = null;
    this.#loaded = false;
    this.#loading = false;
    this.#loadFailed = false;
    this.#capped = false;
    this.#refocus = false;
  }

  #onUnread(count) {
    this.#unread = count;
    this.#renderBadge();
    this.#emit('herald-unread', { count });
    if (!this.#loaded) {
      return;
    }
    // the gateway tells every tab the new count, not which notifications changed: when the count
    // disagrees with what this list shows, another tab (or the API) changed something
    const shown = [...this.#items.values()].filter(({ n }) => !n.read).length;
    if (shown > count || (this.#next === null && !this.#capped && shown !== count)) {
      clearTimeout(this.#refreshTimer);
      this.#refreshTimer = setTimeout(() => this.refresh(), 250);
    }
  }

  #onNotification(n) {
    this.#upsert(n);
    this.#renderList();
    if (!n.read) {
      this.#els.bell.classList.remove('ring');
      void this.#els.bell.offsetWidth; // restart the animation
      this.#els.bell.classList.add('ring');
    }
    this.#emit('herald-notification', { notification: n });
  }

  /** Whether an answer to a list asked of {@code herald} in {@code epoch} is for a list that is gone. */
  #stale(herald, epoch) {
    return herald !== this.#herald || epoch !== this.#listEpoch;
  }

  #failed(herald, error) {
    if (herald === this.#herald) {
      this.#emit('herald-error', { code: error?.code ?? 'list_failed', message: text(error?.message) });
    }
  }

  // ---- the list ----

  #loadPage() {
    const herald = this.#herald;
    const room = MAX_RENDERED - this.#items.size;
    if (!herald || this.#loading || room <= 0 || (this.#loaded && this.#next === null)) {
      return;
    }
    const epoch = this.#listEpoch;
    this.#loading = true;
    this.#loadFailed = false;
    this.#renderList();
    herald.list({ limit: Math.min(this.pageSize, room), ...(this.#next ? { before: this.#next } : {}) }).then(page => {
      if (this.#stale(herald, epoch)) {
        return;
      }
      this.#loading = false;
      this.#loaded = true;
      this.#next = null; // while the page goes in: none of it is "older than what is shown"
      page.items.forEach(n => this.#upsert(n));
      this.#next = page.next;
      this.#renderList();
      if (this.#refocus) {
        this.#refocus = false;
        if (this.open && this.#root.activeElement === this.#els.bell) {
          this.#moveFocus('first'); // back in the list the gap took the focus from
        }
      }
    }, error => {
      if (this.#stale(herald, epoch)) {
        return;
      }
      this.#loading = false;
      this.#loadFailed = true;
      this.#renderList();
      this.#failed(herald, error);
    });
  }

  #upsert(n) {
    if (!n || typeof n.id !== 'string') {
      return;
    }
    const known = this.#items.get(n.id);
    if (known) {
      known.n = { ...known.n, read: n.read, readAt: n.readAt };
      this.#renderItem(known.el, known.n);
      return;
    }
    const last = this.#items.get(this.#els.list.lastElementChild?.dataset.id);
    if (this.#next !== null && last && newer(last.n, n)) {
      return; // older than what is shown: it comes with "Load more"
    }
    const { itemTemplate: template } = assets();
    const el = template.content.firstElementChild.cloneNode(true);
    el.dataset.id = n.id;
    this.#renderItem(el, n);
    const after = [...this.#els.list.children].find(other => newer(n, this.#items.get(other.dataset.id).n));
    this.#els.list.insertBefore(el, after ?? null);
    this.#items.set(n.id, { n, el });
    if (this.#items.size > MAX_RENDERED) {
      // keep the newest: the oldest leaves the DOM and "Load more" starts after the new last one
      const oldest = this.#els.list.lastElementChild;
      this.#removeItem(oldest.dataset.id);
      this.#next = this.#els.list.lastElementChild.dataset.id;
    }
  }

  #removeItem(id) {
    const item = this.#items.get(id);
    if (!item) {
      return;
    }
    if (this.#current === id) {
      this.#current = null;
    }
    item.el.remove();
    this.#items.delete(id);
  }

  #renderItem(el, n) {
    const s = this.#strings;
    const level = LEVELS.includes(n.level) ? n.level : 'info';
    const unread = !n.read;
    el.className = `item level-${level}${unread ? ' unread' : ''}`;
    el.setAttribute('part', unread ? 'item item-unread' : 'item');
    const levelEl = el.querySelector('.level');
    if (levelEl.dataset.level !== level) {
      levelEl.dataset.level = level;
      levelEl.replaceChildren(assets().levelIcons[level].content.cloneNode(true));
    }
    const spoken = [unread ? s.unread : '', level === 'info' ? '' : s.levels[level]].filter(Boolean).join(', ');
    el.querySelector('.title .sr').textContent = spoken ? `${spoken}: ` : '';
    el.querySelector('.title-text').textContent = text(n.title);
    const body = el.querySelector('.body');
    body.textContent = text(n.body);
    body.hidden = !n.body;
    const time = el.querySelector('time');
    time.dateTime = text(n.createdAt);
    time.textContent = this.#ago(n.createdAt);
    const at = Date.parse(n.createdAt);
    time.title = Number.isNaN(at) ? '' : new Date(at).toLocaleString(this.#localeTag);
    const action = el.querySelector('.action');
    const url = linkOf(n);
    action.hidden = !url;
    action.textContent = url ? text(n.actionLabel) || new URL(url).host : '';
    el.tabIndex = this.#current === n.id ? 0 : -1;
  }

  #renderList() {
    const s = this.#strings;
    const size = this.#items.size;
    this.#capped = size >= MAX_RENDERED && this.#next !== null;
    if (!this.#current || !this.#items.has(this.#current)) {
      this.#current = this.#els.list.firstElementChild?.dataset.id ?? null;
      this.#els.list.firstElementChild?.setAttribute('tabindex', '0');
    }
    this.#els.list.hidden = size === 0;
    this.#els.empty.hidden = size > 0 || !this.#loaded;
    this.#els.empty.querySelector('.empty-title').textContent = s.empty;
    this.#els.empty.querySelector('.empty-hint').textContent = s.emptyHint;
    const canLoad = this.#loaded ? this.#next !== null && !this.#capped : this.#loadFailed;
    this.#els.more.hidden = !canLoad;
    this.#els.more.disabled = this.#loading;
    this.#els.more.textContent = this.#loadFailed ? s.retry : s.loadMore;
    this.#els.note.textContent = this.#loadFailed ? s.loadFailed : this.#capped ? s.capped(size) : '';
    this.#els.footer.hidden = !canLoad && !this.#els.note.textContent;
    this.#renderMarkAll();
  }

  /** "Mark all as read" is there to press while something is unread. */
  #renderMarkAll() {
    const unread = this.#unread > 0 || [...this.#items.values()].some(({ n }) => !n.read);
    this.#els.markAll.disabled = !this.#herald || !unread;
  }

  #renderTimes() {
    for (const { n, el } of this.#items.values()) {
      el.querySelector('time').textContent = this.#ago(n.createdAt);
    }
  }

  #setLocale(locale) {
    try {
      this.#relative = new Intl.RelativeTimeFormat(locale || undefined, { numeric: 'auto' });
      this.#localeTag = locale || undefined;
    } catch {
      this.#relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
      this.#localeTag = undefined; // not a locale: the browser's own
    }
  }

  /** "now", "5 minutes ago", "yesterday", then the date: in the bell's locale. */
  #ago(iso) {
    return timeAgo(iso, { format: this.#relative, locale: this.#localeTag, justNow: this.#strings.justNow });
  }

  #itemClick(event) {
    const el = event.target.closest('.item');
    if (el) {
      this.#focusItem(el, false);
      this.#activate(el.dataset.id, event);
    }
  }

  /** Reads the notification and, when it has a link, opens it (unless a herald-open listener prevents it). */
  #activate(id, trigger) {
    const item = this.#items.get(id);
    if (!item) {
      return;
    }
    if (!item.n.read) {
      item.n = { ...item.n, read: true, readAt: new Date().toISOString() };
      this.#renderItem(item.el, item.n);
      this.#renderList();
      this.#herald?.markRead(id);
    }
    const url = linkOf(item.n);
    if (!url) {
      return;
    }
    const proceed = this.#emit('herald-open', { notification: item.n, url }, true);
    if (proceed) {
      if (trigger?.ctrlKey || trigger?.metaKey || trigger?.shiftKey) {
        window.open(url, '_blank', 'noopener');
      } else {
        location.assign(url);
      }
    }
  }

  // ---- open, close, keys ----

  #renderOpen() {
    const open = this.open;
    this.#els.panel.hidden = !open;
    this.#els.bell.setAttribute('aria-expanded', String(open));
    if (open) {
      this.#renderTimes();
      this.#place();
      window.addEventListener('resize', this.#onResize);
    } else {
      window.removeEventListener('resize', this.#onResize);
    }
  }

  /**
   * Puts the dropdown under the bell, its end edge on the bell's (or its start edge, with
   * align="start"), moved sideways as far as needed to stay 8 px inside the window.
   */
  #place() {
    const panel = this.#els.panel;
    const host = this.getBoundingClientRect();
    const width = panel.offsetWidth;
    const rtl = getComputedStyle(this).direction === 'rtl';
    const atStart = (this.getAttribute('align') === 'start') !== rtl;
    let left = host.left + (atStart ? 0 : host.width - width);
    left = Math.max(8, Math.min(left, document.documentElement.clientWidth - 8 - width));
    panel.style.left = `${Math.round(left - host.left)}px`;
    panel.style.right = 'auto';
  }

  #bellKey(event) {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      this.show();
      this.#moveFocus(event.key === 'ArrowDown' ? 'first' : 'last');
    }
  }

  #panelKey(event) {
    if (event.key === 'Escape' && this.open) {
      event.preventDefault();
      this.hide(true);
      return;
    }
    const item = event.target.closest?.('.item');
    const inPanel = this.#els.panel.contains(event.target);
    if (!inPanel) {
      return;
    }
    const moves = { ArrowDown: 'next', ArrowUp: 'previous', Home: 'first', End: 'last' };
    if (moves[event.key]) {
      event.preventDefault();
      this.#moveFocus(item ? moves[event.key] : (event.key === 'ArrowUp' || event.key === 'End' ? 'last' : 'first'), item);
    } else if (item && (event.key === 'Enter' || event.key === ' ')) {
      event.preventDefault();
      this.#activate(item.dataset.id, event);
    }
  }

  #moveFocus(where, from = null) {
    const list = this.#els.list;
    let target;
    if (where === 'first') {
      target = list.firstElementChild;
    } else if (where === 'last') {
      target = list.lastElementChild;
    } else if (from) {
      target = (where === 'next' ? from.nextElementSibling : from.previousElementSibling) ?? from;
    }
    if (target) {
      this.#focusItem(target, true);
    }
  }

  /** Gives the list's one tab stop to this item (roving tabindex), and focus when asked. */
  #focusItem(el, focus) {
    if (!el) {
      return;
    }
    const previous = this.#current && this.#items.get(this.#current)?.el;
    if (previous && previous !== el) {
      previous.tabIndex = -1;
    }
    this.#current = el.dataset.id;
    el.tabIndex = 0;
    if (focus) {
      el.focus();
      el.scrollIntoView({ block: 'nearest' });
    }
  }

  // ---- badge, state, texts ----

  #renderBadge() {
    const count = this.#unread ?? 0;
    const s = this.#strings;
    this.#els.badge.hidden = !(count > 0);
    this.#els.badge.textContent = count > 99 ? '99+' : String(count);
    this.#els.bell.setAttribute('aria-label', s.bell(count));
    if (this.#unread !== null && this.#announced !== count) {
      this.#announced = count;
      this.#els.live.textContent = s.announce(count);
    }
    this.#renderMarkAll();
  }

  #renderState(state, info) {
    this.#state = state;
    const s = this.#strings;
    clearInterval(this.#countdown);
    this.#els.state.dataset.state = state;
    const label = s.states[state] ?? state;
    if (state === 'reconnecting' && info?.retryIn > 0) {
      const at = Date.now() + info.retryIn;
      const tick = () => {
        const seconds = Math.ceil((at - Date.now()) / 1000);
        this.#els.stateText.textContent = seconds > 0 ? s.reconnectingIn(seconds) : label;
        if (seconds <= 0) {
          clearInterval(this.#countdown);
        }
      };
      tick();
      this.#countdown = setInterval(tick, 500);
    } else {
      this.#els.stateText.textContent = label;
    }
  }

  #renderTexts() {
    this.#els.heading.textContent = this.#strings.heading;
    this.#els.markAllText.textContent = this.#strings.markAllRead;
  }

  /** Dispatches a bubbling, composed event; false when a listener prevented a cancelable one. */
  #emit(type, detail, cancelable = false) {
    return this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable }));
  }
}

if (!customElements.get('herald-bell')) {
  customElements.define('herald-bell', HeraldBell);
}
