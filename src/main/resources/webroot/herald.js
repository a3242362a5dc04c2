/**
 * herald.js: the browser client for Herald's push endpoint. A plain ES module with no dependencies
 * and no build step, served by the gateway at /herald.js (any origin may import it).
 *
 *   import { Herald } from 'https://herald.example.com/herald.js';
 *   const herald = new Herald({ token: () => fetch('/my/herald-token').then(r => {
 *     if (!r.ok) throw new Error(`token: HTTP ${r.status}`); // retried with backoff
 *     return r.text();
 *   }) });
 *   herald.on('notification', n => showInBell(n));
 *   herald.on('unread', count => setBadge(count));
 *   herald.connect();
 *
 * What it does for you:
 * - WebSocket to /v1/ws first; when a WebSocket cannot be opened at all (a proxy that breaks the
 *   upgrade, a browser that refuses it) the same protocol over SockJS at /v1/sockjs, with a small
 *   SockJS client built in (xhr-streaming, or xhr-polling where streaming never gets through).
 *   Such a fallback is remembered for `fallbackFor` (5 minutes), then WebSocket is tried first again.
 * - Reconnects by itself with exponential backoff and full jitter (0.5 s doubling up to 30 s),
 *   at once when the server drains (close 1001), at once when the browser comes back online.
 * - On every reconnect it sends {"type":"resume","after": lastId}, so what arrived while the page
 *   was away is replayed, and it fires `notification` once per id however often the server sends
 *   it (push is at-least-once; the last ids seen are remembered).
 * - A refused token stops it (state 'unauthorized') instead of retrying forever; a token
 *   function is asked once more, with {fresh: true}, first. A token function that throws or
 *   rejects is a passing failure: retried with backoff.
 * - A resume the server cannot serve costs the connection, so the next one resumes again; when the
 *   server no longer knows the last id, a `gap` event says that what came meanwhile was not emitted.
 * - Pings when the connection has been quiet, so a dead connection is noticed and replaced.
 *
 * The wire protocol is in the gateway's README ("Push protocol"); this file is written to be read.
 */

const EVENTS = new Set(['notification', 'unread', 'broadcast', 'state', 'error', 'gap']);
/** Frames that change the inbox: kept across a lost connection, unlike pings, acks and lists. */
const MARKS = new Set(['read', 'unread', 'read_all', 'delete']);
const TRANSPORTS = ['websocket', 'sockjs'];

const DEFAULTS = {
  transports: TRANSPORTS,
  ack: true, // tell the server each notification reached this device (it records delivered_at)
  pingInterval: 25_000, // ms of silence before a ping (the server's push.pingIntervalSeconds, 25 s)
  pongTimeout: 10_000, // a ping unanswered for this long means the connection is dead
  connectTimeout: 10_000, // from dialling to the server's welcome
  backoff: { initial: 500, max: 30_000 },
  stableAfter: 10_000, // a connection that stayed up this long resets the backoff
  fallbackFor: 300_000, // how long a fallback (SockJS first, xhr-polling) is kept before WebSocket/streaming get another chance
  memory: 1000, // notification ids remembered for de-duplication
};

/** The server refuses more than 100 frames a second per socket: stay well under it. */
const FRAMES_PER_SECOND = 50;
/** The server takes at most 500 ids per read/unread/delete frame. */
const MAX_IDS = 500;
/** Marks made while disconnected are kept (and sent on reconnect) up to this many frames. */
const OUTBOX_MAX = 200;
const LIST_TIMEOUT = 30_000;
/** list() calls waiting for an answer at most; more are refused (an app calling it in a loop). */
const LISTS_MAX = 100;

/**
 * A notification's link ({@code actionUrl}, {@code data.url}) made safe to follow: the absolute URL
 * when it is http(s), else null, so a javascript: or data: URL never becomes clickable.
 */
export function safeUrl(value) {
  if (typeof value !== 'string' || value === '') {
    return null;
  }
  try {
    const url = new URL(value, location.href);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * How long ago an ISO time was, for people: "now" (or {@code justNow}) within 45 s, then minutes,
 * hours and days through {@code format} (an Intl.RelativeTimeFormat), then the date in
 * {@code locale}, its year shown when it is not this year's (or always, with {@code alwaysYear}).
 * '' when {@code iso} is not a time.
 */
export function timeAgo(iso, { format, locale = undefined, justNow = null, alwaysYear = false }) {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) {
    return '';
  }
  const seconds = (at - Date.now()) / 1000;
  const abs = Math.abs(seconds);
  if (abs < 45) {
    return justNow ?? format.format(0, 'second');
  }
  if (abs < 45 * 60) {
    return format.format(Math.round(seconds / 60), 'minute');
  }
  if (abs < 22 * 3600) {
    return format.format(Math.round(seconds / 3600), 'hour');
  }
  if (abs < 6 * 86400) {
    return format.format(Math.round(seconds / 86400), 'day');
  }
  const date = new Date(at);
  const year = alwaysYear || date.getFullYear() !== new Date().getFullYear();
  return date.toLocaleDateString(locale, { day: 'numeric', month: 'short', ...(year ? { year: 'numeric' } : {}) });
}

/** A client of one user's notifications. Events: notification, unread, broadcast, state, error, gap. */
export class Herald {
  #opts;
  #base;
  #listeners = new Map();
  #state = 'closed';
  #unread = null;
  #userId = null;
  #lastId = null;
  /** True once this client knows where the inbox stood (a cursor, or that it was empty). */
  #cursorKnown = false;
  #seen;

  /** Bumped whenever the current attempt or connection is abandoned: late callbacks of old ones are ignored. */
  #epoch = 0;
  #conn = null; // { transport, kind, since } once the server has welcomed us
  #everOpened = false;
  #attempt = 0; // failed or short-lived connections since the last stable one
  #retryTimer = null;
  #retryAt = 0;
  #beatTimer = null;
  #lastHeard = 0;
  #pingSentAt = 0;
  // until when SockJS goes first (a WebSocket failed where SockJS worked) and SockJS polls
  // (xhr-streaming never opened): for a while only, since in a rolling deploy or on another network
  // the failure may be long gone
  #sockJsFirstUntil = 0;
  #pollUntil = 0;
  #triedFreshToken = false;
  #wantFresh = false; // the last token was refused: ask the token function for a fresh one
  #resumedAfter = null; // the cursor of the resume sent on this connection

  #outbox = []; // marks waiting for a connection
  #urgent = []; // frames waiting for send budget
  #acks = []; // acks waiting for send budget (sent after everything else)
  #windowStart = 0;
  #sentInWindow = 0;
  #pumpTimer = null;
  #lists = []; // list requests in order; the first is in flight once sent; `cursor`: our own lookup

  #onOnline = () => this.#online();
  #onOffline = () => this.#offline();
  #onVisible = () => this.#visible();

  /**
   * @param {object} options
   * @param {string} [options.url] the gateway, e.g. 'https://herald.example.com' (default: where this module was loaded from)
   * @param {string | (() => string | Promise<string>)} options.token the user's JWT, or a function asked before every connection
   * @param {string[]} [options.transports] 'websocket' and/or 'sockjs', tried in this order (default both)
   * @param {boolean} [options.ack] acknowledge each notification (default true)
   * @param {number} [options.fallbackFor] ms a fallback to SockJS (or to xhr-polling) is kept (default 5 minutes)
   */
  constructor(options = {}) {
    if (typeof options.token !== 'string' && typeof options.token !== 'function') {
      throw new TypeError('Herald: options.token must be a JWT string or a function returning one');
    }
    const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
    this.#opts = { ...DEFAULTS, ...given, backoff: { ...DEFAULTS.backoff, ...given.backoff } };
    const transports = this.#opts.transports;
    if (!Array.isArray(transports) || transports.length === 0 || transports.some(t => !TRANSPORTS.includes(t))) {
      throw new TypeError("Herald: options.transports must list 'websocket' and/or 'sockjs'");
    }
    const base = new URL(options.url ?? './', import.meta.url);
    if (!base.pathname.endsWith('/')) {
      base.pathname += '/';
    }
    this.#base = base;
    this.#seen = new RecentIds(this.#opts.memory);
  }

  /** The unread count from the server (null until the first welcome). */
  get unread() {
    return this.#unread;
  }

  /** 'connecting' | 'open' | 'reconnecting' | 'offline' | 'closed' | 'unauthorized' */
  get state() {
    return this.#state;
  }

  /** The id of the last notification received: where the next resume starts. */
  get lastId() {
    return this.#lastId;
  }

  /** The user id from the server's welcome (null until then). */
  get userId() {
    return this.#userId;
  }

  /** 'websocket' or 'sockjs' while open, else null. */
  get transport() {
    return this.#conn?.kind ?? null;
  }

  /**
   * Calls fn for each event of this type and returns a function that stops it.
   * - 'notification' (n): a notification, once per id
   * - 'unread' (count): the unread count (from the welcome and after every change)
   * - 'broadcast' ({message, level, at}): a live announcement
   * - 'state' (state, {transport, retryIn, attempt, code, reason}): on every change of state or of its details
   * - 'error' ({code, message}): something the server refused or the client could not do; the client carries on
   * - 'gap' ({after, reason}): the server could not resume after `after` (no longer in the inbox):
   *   notifications that arrived meanwhile were not emitted; reload what you show with list()
   */
  on(type, fn) {
    if (!EVENTS.has(type)) {
      throw new TypeError(`Herald: no event '${type}' (there are: ${[...EVENTS].join(', ')})`);
    }
    if (typeof fn !== 'function') {
      throw new TypeError('Herald: on(type, fn) needs a function');
    }
    if (!this.#listeners.has(type)) {
      this.#listeners.set(type, new Set());
    }
    this.#listeners.get(type).add(fn);
    return () => this.off(type, fn);
  }

  off(type, fn) {
    this.#listeners.get(type)?.delete(fn);
  }

  /** Starts connecting (again, after close() or 'unauthorized'); does nothing while connecting or open. */
  connect() {
    if (!['closed', 'unauthorized'].includes(this.#state)) {
      return this;
    }
    this.#attempt = 0;
    this.#triedFreshToken = false;
    this.#wantFresh = false;
    globalThis.addEventListener?.('online', this.#onOnline);
    globalThis.addEventListener?.('offline', this.#onOffline);
    globalThis.document?.addEventListener('visibilitychange', this.#onVisible);
    if (globalThis.navigator?.onLine === false) {
      this.#setState('offline', {});
    } else {
      this.#dial();
    }
    return this;
  }

  /** Closes the connection and stops reconnecting; pending list() calls are rejected, unsent marks dropped. */
  close() {
    if (this.#state === 'closed') {
      return;
    }
    globalThis.removeEventListener?.('online', this.#onOnline);
    globalThis.removeEventListener?.('offline', this.#onOffline);
    globalThis.document?.removeEventListener('visibilitychange', this.#onVisible);
    this.#abandon();
    this.#outbox = [];
    this.#rejectLists(new Error('Herald: closed'));
    this.#setState('closed', {});
  }

  /** Marks notifications read (one id or a list). Sent now, or kept for the next connection. */
  markRead(idOrIds) {
    this.#mark('read', idOrIds);
  }

  markUnread(idOrIds) {
    this.#mark('unread', idOrIds);
  }

  markAllRead() {
    this.#post({ type: 'read_all' });
  }

  /** Deletes notifications (one id or a list) from the user's inbox. */
  remove(idOrIds) {
    this.#mark('delete', idOrIds);
  }

  /**
   * A page of the inbox, newest first: resolves to {items, next}; pass next as `before` for the
   * following page. Asked over the socket; made while disconnected, it waits for the connection
   * (and is rejected by close() or a refused token).
   * @param {{limit?: number, before?: string, unread?: boolean, category?: string, level?: string}} [query]
   */
  list(query = {}) {
    const frame = { type: 'list' };
    const { limit, before, unread, category, level } = query;
    if (limit !== undefined) {
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
        return Promise.reject(new RangeError('Herald: list limit must be a whole number from 1 to 100'));
      }
      frame.limit = limit;
    }
    for (const [name, value] of Object.entries({ before, category, level })) {
      if (value !== undefined && value !== null) {
        if (typeof value !== 'string' || value === '') {
          return Promise.reject(new TypeError(`Herald: list ${name} must be a non-empty string`));
        }
        frame[name] = value;
      }
    }
    if (unread !== undefined) {
      frame.unread = Boolean(unread);
    }
    if (this.#state === 'closed' || this.#state === 'unauthorized') {
      return Promise.reject(new Error(`Herald: cannot list while ${this.#state}`));
    }
    if (this.#lists.filter(request => !request.cursor).length >= LISTS_MAX) {
      return Promise.reject(new Error(`Herald: ${LISTS_MAX} list() calls are already waiting`));
    }
    return new Promise((resolve, reject) => {
      this.#lists.push({ frame, resolve, reject, sent: false, timer: null });
      this.#nextList();
    });
  }

  // ---- connecting ----

  /** One connection attempt: a token, then each transport in turn until one is welcomed. */
  #dial() {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    const epoch = ++this.#epoch;
    const token = this.#opts.token;
    Promise.resolve()
      .then(() => (typeof token === 'function' ? token({ fresh: this.#wantFresh }) : token))
      .then(
        value => {
          if (epoch !== this.#epoch) {
            return;
          }
          // a token read from a response body often ends in a newline, which the gateway refuses
          const jwt = typeof value === 'string' ? value.trim() : '';
          if (jwt === '') {
            this.#unauthorized('the token function gave no token');
            return;
          }
          this.#tryTransport(this.#order(), 0, jwt, epoch);
        },
        err => {
          // the app's token endpoint failing (a 5xx, no network) says nothing about the user: try again later
          if (epoch === this.#epoch) {
            const message = `the token function failed: ${err?.message ?? err}`;
            this.#emit('error', { code: 'token', message });
            if (epoch === this.#epoch) {
              this.#retry({ reason: message });
            }
          }
        });
  }

  /** The transports in the order to try them: WebSocket always among them, SockJS first for a while after a fallback. */
  #order() {
    const list = this.#opts.transports;
    return Date.now() < this.#sockJsFirstUntil && list.includes('sockjs') ? ['sockjs', ...list.filter(t => t !== 'sockjs')] : list;
  }

  #tryTransport(order, index, token, epoch) {
    const kind = order[index];
    this.#setState(this.#everOpened ? 'reconnecting' : 'connecting', { transport: kind, attempt: this.#attempt });
    let welcomed = false;
    let refusal = null;
    let transport = null;
    // from dialling to the welcome: a transport that hangs (a proxy holding the upgrade) counts as failed
    const timer = setTimeout(() => {
      if (epoch === this.#epoch && !welcomed) {
        transport.close();
        failed({ code: 4000, reason: `no welcome within ${this.#opts.connectTimeout} ms`, opened: transport.opened, timedOut: true });
      }
    }, this.#opts.connectTimeout);
    const failed = info => {
      clearTimeout(timer);
      this.#dialFailed(order, index, token, epoch, { ...info, kind, refusal });
    };
    const handlers = {
      frame: frame => {
        if (epoch !== this.#epoch) {
          return;
        }
        this.#lastHeard = Date.now();
        if (welcomed) {
          this.#onFrame(frame);
        } else if (frame.type === 'welcome') {
          welcomed = true;
          clearTimeout(timer);
          this.#welcomed(transport, kind, frame, index > 0 && order[0] === 'websocket');
        } else if (frame.type === 'error') {
          refusal = frame; // sent before the close that refuses us (SockJS auth, connection limit)
        }
      },
      beat: () => {
        this.#lastHeard = Date.now();
      },
      close: info => {
        if (epoch !== this.#epoch) {
          return;
        }
        if (welcomed) {
          this.#dropped({ ...info, kind });
        } else {
          failed(info);
        }
      },
    };
    transport = kind === 'websocket'
      ? new WebSocketTransport(this.#base, token, handlers)
      : new SockJsTransport(this.#base, token, handlers, Date.now() < this.#pollUntil);
  }

  #dialFailed(order, index, token, epoch, info) {
    const { kind, refusal } = info;
    if (refusal && (refusal.code === 'unauthorized' || refusal.code === 'forbidden')) {
      this.#refused(refusal.message);
      return;
    }
    if (kind === 'sockjs' && info.timedOut && !info.opened) {
      // something between us and the server holds streamed responses back
      this.#pollUntil = Date.now() + this.#opts.fallbackFor;
    }
    if (refusal) {
      this.#emit('error', { code: refusal.code, message: refusal.message });
      if (epoch !== this.#epoch) {
        return; // a listener closed the client
      }
    }
    if (!info.opened && index + 1 < order.length) {
      // this transport could not even open (a proxy in the way, or SockJS down while WebSockets
      // work again): try the next one now
      this.#tryTransport(order, index + 1, token, epoch);
      return;
    }
    if (!info.opened && kind === 'websocket') {
      // a refused handshake looks like any other failure to a page (no status): ask over HTTP why
      this.#probe(token).then(status => {
        if (epoch !== this.#epoch) {
          return;
        }
        if (status === 401 || status === 403) {
          this.#refused(`the server answered ${status} to this token`);
        } else {
          this.#retry(info);
        }
      });
      return;
    }
    this.#retry(info);
  }

  /** The HTTP status of an authenticated request, or 0 when there is no answer (server down, CORS). */
  #probe(token) {
    return fetch(new URL('v1/me/notifications/unread-count', this.#base), {
      headers: { Authorization: `Bearer ${token}` }, credentials: 'omit', cache: 'no-store',
    }).then(r => r.status, () => 0);
  }

  #refused(message) {
    if (typeof this.#opts.token === 'function' && !this.#triedFreshToken) {
      this.#triedFreshToken = true; // maybe it just expired: one fresh token, then we stop
      this.#wantFresh = true;
      this.#dial();
      return;
    }
    this.#unauthorized(message);
  }

  #unauthorized(message) {
    this.#abandon();
    this.#rejectLists(new Error('Herald: unauthorized'));
    this.#setState('unauthorized', { reason: message });
  }

  /** The server welcomed us: the connection is live. */
  #welcomed(transport, kind, welcome, webSocketFailed) {
    this.#conn = { transport, kind, since: Date.now() };
    this.#everOpened = true;
    if (webSocketFailed && kind === 'sockjs') {
      this.#sockJsFirstUntil = Date.now() + this.#opts.fallbackFor;
    } else if (kind === 'websocket') {
      this.#sockJsFirstUntil = 0;
    }
    this.#triedFreshToken = false;
    this.#wantFresh = false;
    this.#userId = welcome.userId ?? null;
    this.#windowStart = 0;
    this.#setState('open', { transport: kind });
    this.#setUnread(welcome.unread);
    this.#nextList(); // an unanswered list from before goes first: it is older than what follows
    this.#resumedAfter = this.#lastId;
    if (this.#lastId) {
      // everything after the last notification we saw, oldest first, then the unread count
      this.#send({ type: 'resume', after: this.#lastId });
    } else {
      this.#findCursor(this.#cursorKnown);
    }
    for (const frame of this.#outbox.splice(0)) {
      this.#send(frame);
    }
    this.#nextList();
    this.#heartbeat();
  }

  /**
   * Without a last id there is nothing to resume after. The newest notification in the inbox becomes
   * the cursor (it is old news, so not emitted). When the inbox was known to be empty, everything in
   * it now came while we were away: up to 100 of them are emitted, oldest first.
   *
   * The welcome carries no cursor, so there is a narrow gap: a notification committed between the
   * welcome and this list is in the answer and also on its way as a frame; should the connection
   * drop after the answer and before that frame, the frame is not replayed (it is in the inbox).
   */
  #findCursor(emitMissed) {
    if (this.#lists.some(request => request.cursor)) {
      return; // one lookup is waiting already (welcomes came and went before its answer): its answer will do
    }
    const apply = page => {
      if (emitMissed) {
        for (const n of [...page.items].reverse()) {
          this.#notification(n);
        }
      }
      if (!this.#lastId && page.items.length > 0) {
        this.#lastId = page.items[0].id;
      }
      this.#cursorKnown = true;
    };
    this.#lists.push({
      frame: { type: 'list', limit: emitMissed ? 100 : 1 }, resolve: apply, reject: () => {}, sent: false, timer: null, cursor: true,
    });
  }

  /** The live connection went away. */
  #dropped(info) {
    const upFor = Date.now() - (this.#conn?.since ?? Date.now());
    this.#disconnected();
    if (upFor >= this.#opts.stableAfter) {
      this.#attempt = 0;
    }
    // 1001: the server is going away (drain) and wants us back at once, elsewhere; SockJS reports
    // every server-side close as 3000 "Go away!"
    const goingAway = info.code === 1001 || (info.kind === 'sockjs' && info.code === 3000);
    this.#retry(info, goingAway && this.#attempt === 0 ? Math.random() * 1000 : null);
  }

  /** Waits (backoff with full jitter unless told) and dials again. */
  #retry(info, delay = null) {
    const { initial, max } = this.#opts.backoff;
    const wait = delay ?? Math.random() * Math.min(max, initial * 2 ** this.#attempt);
    this.#attempt++;
    this.#epoch++;
    this.#retryAt = Date.now() + wait;
    this.#setState('reconnecting', {
      retryIn: Math.round(wait), attempt: this.#attempt, code: info.code, reason: info.reason,
    });
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#dial(), wait);
  }

  /** Stops the current attempt or connection and any pending retry. */
  #abandon() {
    this.#epoch++;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#conn?.transport.close();
    this.#disconnected();
  }

  /** Forgets the connection; lists in flight are asked again on the next one. */
  #disconnected() {
    this.#conn = null;
    this.#stopHeartbeat();
    clearTimeout(this.#pumpTimer);
    this.#pumpTimer = null;
    this.#outbox.unshift(...this.#urgent.filter(frame => MARKS.has(frame.type)));
    this.#urgent = [];
    this.#acks = [];
    for (const request of this.#lists) {
      clearTimeout(request.timer);
      request.sent = false;
    }
  }

  #offline() {
    if (this.#state === 'closed' || this.#state === 'unauthorized') {
      return;
    }
    this.#abandon();
    this.#setState('offline', {});
  }

  #online() {
    if (this.#state === 'offline') {
      this.#attempt = 0;
      // perhaps another network: give the WebSocket and streaming another chance
      this.#sockJsFirstUntil = 0;
      this.#pollUntil = 0;
      this.#retry({}, Math.random() * 1000);
    }
  }

  /** Back in a tab that was waiting a long time to retry: retry soon instead. */
  #visible() {
    if (globalThis.document?.visibilityState === 'visible' && this.#state === 'reconnecting' && this.#retryTimer
        && this.#retryAt - Date.now() > 1000) {
      this.#retry({}, Math.random() * 1000);
    }
  }

  // ---- heartbeat ----

  /**
   * The server pings WebSockets itself (the browser answers, invisibly) and SockJS sends heartbeat
   * frames; neither lets the page notice a dead connection. So after pingInterval of silence we
   * ping, and a ping unanswered for pongTimeout ends the connection. Timestamps, not timer counts:
   * background tabs run timers late.
   */
  #heartbeat() {
    this.#lastHeard = Date.now();
    this.#pingSentAt = 0;
    const tick = Math.min(5000, this.#opts.pingInterval / 2);
    this.#beatTimer = setInterval(() => {
      const now = Date.now();
      if (this.#pingSentAt && this.#lastHeard < this.#pingSentAt && now - this.#pingSentAt > this.#opts.pongTimeout) {
        this.#conn?.transport.close();
        this.#dropped({ code: 4000, reason: 'no answer to ping', kind: this.#conn?.kind });
      } else if (now - this.#lastHeard >= this.#opts.pingInterval && this.#lastHeard >= this.#pingSentAt) {
        this.#pingSentAt = now;
        this.#send({ type: 'ping' });
      }
    }, tick);
  }

  #stopHeartbeat() {
    clearInterval(this.#beatTimer);
    this.#beatTimer = null;
  }

  // ---- frames from the server ----

  #onFrame(frame) {
    switch (frame.type) {
      case 'notification':
        this.#notification(frame.notification, true);
        break;
      case 'unread':
        this.#setUnread(frame.count);
        break;
      case 'broadcast':
        this.#emit('broadcast', { message: frame.message, level: frame.level, at: frame.at });
        break;
      case 'list': {
        const request = this.#lists[0];
        if (request?.sent) {
          this.#lists.shift();
          clearTimeout(request.timer);
          request.resolve({ items: frame.items ?? [], next: frame.next ?? null });
          this.#nextList();
        }
        break;
      }
      case 'error':
        this.#serverError(frame);
        break;
      default:
        break; // 'pong', and frame types newer than this client
    }
  }

  /** Emits a notification unless its id was seen already; a live one moves the resume cursor. */
  #notification(n, live = false) {
    if (!n || typeof n.id !== 'string') {
      return;
    }
    if (live) {
      this.#lastId = n.id; // the server sends in inbox order, so the last one seen is a safe cursor
      this.#cursorKnown = true;
    }
    if (!this.#seen.add(n.id)) {
      return;
    }
    this.#emit('notification', n);
    if (this.#opts.ack) {
      this.#acks.push({ type: 'ack', id: n.id });
      if (this.#acks.length > OUTBOX_MAX) {
        this.#acks.shift(); // acks are best effort
      }
      this.#pump();
    }
  }

  /** Error frames carry no request id: one that names the list or its fields fails the list in flight. */
  #serverError(frame) {
    const message = String(frame.message ?? '');
    const request = this.#lists[0];
    if (frame.code === 'unknown_cursor') {
      // our last id is gone from the inbox (cleaned up): what came after it cannot be replayed
      const after = this.#resumedAfter;
      if (this.#lastId === after) {
        // nothing live since: start again from the newest (a live one since is a good cursor already)
        this.#lastId = null;
        this.#cursorKnown = false;
        this.#findCursor(false);
        this.#nextList();
      }
      this.#emit('gap', { after, reason: 'unknown_cursor' });
      return;
    }
    if (frame.code === 'unavailable' && message.includes("'resume'")) {
      // the server could not replay what we missed (a database blip) and kept the socket open (a
      // gateway before 1011 for this): a new connection resumes again, after a backoff
      this.#emit('error', { code: frame.code, message });
      if (this.#conn) {
        const kind = this.#conn.kind;
        this.#conn.transport.close();
        this.#dropped({ code: 4002, reason: 'resume failed', kind });
      }
      return;
    }
    if (request?.sent && (frame.code === 'invalid_cursor' || message.includes("'list'")
        || /^(limit|before|unread|category|level):/.test(message))) {
      this.#lists.shift();
      clearTimeout(request.timer);
      request.reject(Object.assign(new Error(`Herald: list failed: ${message}`), { code: frame.code }));
      this.#nextList();
      return;
    }
    this.#emit('error', { code: frame.code, message });
  }

  #setUnread(count) {
    if (typeof count === 'number' && count !== this.#unread) {
      this.#unread = count;
      this.#emit('unread', count);
    }
  }

  // ---- frames to the server ----

  #mark(type, idOrIds) {
    const ids = [...new Set(Array.isArray(idOrIds) ? idOrIds : [idOrIds])];
    if (ids.some(id => typeof id !== 'string' || id === '')) {
      throw new TypeError('Herald: ids must be notification id strings');
    }
    for (let i = 0; i < ids.length; i += MAX_IDS) {
      this.#post({ type, ids: ids.slice(i, i + MAX_IDS) });
    }
  }

  /** Sends a mark now, or keeps it for the next connection. */
  #post(frame) {
    if (this.#conn) {
      this.#send(frame);
    } else {
      this.#outbox.push(frame);
      if (this.#outbox.length > OUTBOX_MAX) {
        this.#outbox.shift();
        this.#emit('error', { code: 'outbox_full', message: 'too many marks while disconnected; the oldest was dropped' });
      }
    }
  }

  #send(frame) {
    if (!this.#conn) {
      return; // a listener closed the client meanwhile
    }
    this.#urgent.push(frame);
    this.#pump();
  }

  /** Writes queued frames within the budget of FRAMES_PER_SECOND; acks go last. */
  #pump() {
    if (!this.#conn || this.#pumpTimer) {
      return;
    }
    while (this.#urgent.length > 0 || this.#acks.length > 0) {
      const now = Date.now();
      if (now - this.#windowStart >= 1000) {
        this.#windowStart = now;
        this.#sentInWindow = 0;
      }
      if (this.#sentInWindow >= FRAMES_PER_SECOND) {
        this.#pumpTimer = setTimeout(() => {
          this.#pumpTimer = null;
          this.#pump();
        }, this.#windowStart + 1000 - now);
        return;
      }
      this.#sentInWindow++;
      this.#conn.transport.send(this.#urgent.length > 0 ? this.#urgent.shift() : this.#acks.shift());
    }
  }

  #nextList() {
    const request = this.#lists[0];
    if (!this.#conn || !request || request.sent) {
      return;
    }
    request.sent = true;
    this.#send(request.frame);
    // answers carry no request id; one that never comes would pair the next answer with the wrong
    // request, so a stuck list costs this connection (the next one asks again)
    request.timer = setTimeout(() => {
      if (this.#lists[0] === request && request.sent) {
        this.#lists.shift();
        request.reject(new Error('Herald: no answer to list'));
        const kind = this.#conn?.kind;
        this.#conn?.transport.close();
        this.#dropped({ code: 4001, reason: 'no answer to list', kind });
      }
    }, LIST_TIMEOUT);
  }

  #rejectLists(error) {
    for (const request of this.#lists.splice(0)) {
      clearTimeout(request.timer);
      request.reject(error);
    }
  }

  // ---- events ----

  #setState(state, details) {
    this.#state = state;
    this.#emit('state', state, { ...details });
  }

  #emit(type, ...args) {
    for (const fn of [...(this.#listeners.get(type) ?? [])]) {
      try {
        fn(...args);
      } catch (err) {
        // a listener's bug must not break the client: report it as uncaught, carry on
        if (typeof reportError === 'function') {
          reportError(err);
        } else {
          setTimeout(() => {
            throw err;
          });
        }
      }
    }
  }
}

/** The last `max` ids seen, oldest forgotten first. */
class RecentIds {
  #ids = new Set();
  #max;

  constructor(max) {
    this.#max = max;
  }

  /** Adds the id; false when it was there already. */
  add(id) {
    if (this.#ids.has(id)) {
      return false;
    }
    this.#ids.add(id);
    if (this.#ids.size > this.#max) {
      this.#ids.delete(this.#ids.values().next().value);
    }
    return true;
  }
}

/**
 * The transports share one small shape: they call handlers.frame(object) for each protocol frame,
 * handlers.beat() for transport heartbeats, and handlers.close({code, reason, opened}) once when
 * the connection ends by itself (`opened`: whether it ever opened). close() ends it quietly.
 */
class WebSocketTransport {
  #ws = null;
  #opened = false;

  constructor(base, token, handlers) {
    const url = new URL('v1/ws', base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('token', token); // browsers cannot set headers on a WebSocket
    try {
      this.#ws = new WebSocket(url);
    } catch (err) {
      setTimeout(() => handlers.close({ code: 1006, reason: String(err?.message ?? err), opened: false }));
      return;
    }
    this.#ws.onopen = () => {
      this.#opened = true;
    };
    this.#ws.onmessage = event => {
      const frame = parseFrame(event.data);
      if (frame) {
        handlers.frame(frame);
      }
    };
    this.#ws.onerror = () => {}; // a close event always follows, with what little the browser tells
    this.#ws.onclose = event => handlers.close({ code: event.code, reason: event.reason, opened: this.#opened });
  }

  get opened() {
    return this.#opened;
  }

  send(frame) {
    if (this.#ws?.readyState === WebSocket.OPEN) {
      this.#ws.send(JSON.stringify(frame));
    }
  }

  close() {
    if (this.#ws) {
      this.#ws.onopen = this.#ws.onmessage = this.#ws.onclose = null;
      this.#ws.close(1000);
    }
  }
}

/**
 * A minimal SockJS client over its HTTP transports. A session is a URL,
 * /v1/sockjs/<server>/<session>/; the page POSTs to .../xhr_streaming and reads the answer as it
 * arrives (xhr-polling: POSTs to .../xhr, one frame per answer), POSTing again whenever an answer
 * ends, and sends by POSTing a JSON array of strings to .../xhr_send. Server frames, one a line:
 * `o` (open), `h` (heartbeat), `a["msg",...]` (messages), `c[code,"reason"]` (closed). Streaming
 * answers start with a line of 2048 `h` (a prelude that gets them past buffering proxies).
 */
class SockJsTransport {
  #handlers;
  #session;
  #token;
  #receiveOn;
  #abort = new AbortController();
  #opened = false;
  #done = false;
  #queue = [];
  #sending = false;

  constructor(base, token, handlers, polling) {
    const server = String(Math.floor(Math.random() * 1000)).padStart(3, '0');
    this.#session = new URL(`v1/sockjs/${server}/${randomId()}/`, base);
    this.#token = token;
    this.#handlers = handlers;
    this.#receiveOn = polling ? 'xhr' : 'xhr_streaming';
    this.#receive();
  }

  get opened() {
    return this.#opened;
  }

  send(frame) {
    this.#queue.push(JSON.stringify(frame));
    this.#flush();
  }

  close() {
    this.#done = true;
    this.#abort.abort(); // the server ends the session when its receiving request goes away
  }

  async #receive() {
    const decoder = new TextDecoder();
    while (!this.#done) {
      let response;
      try {
        response = await fetch(new URL(this.#receiveOn, this.#session), {
          method: 'POST', signal: this.#abort.signal, cache: 'no-store', credentials: 'omit',
        });
      } catch {
        this.#end(1006, 'network error');
        return;
      }
      if (!response.ok) {
        this.#end(1006, `HTTP ${response.status}`);
        return;
      }
      const reader = response.body.getReader();
      let pending = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done || this.#done) {
            break;
          }
          pending += decoder.decode(value, { stream: true });
          let newline;
          while ((newline = pending.indexOf('\n')) >= 0 && !this.#done) {
            const line = pending.slice(0, newline);
            pending = pending.slice(newline + 1);
            this.#line(line);
          }
        }
      } catch {
        this.#end(1006, 'network error');
        return;
      }
      // an answer ended (streaming: after ~128 KB; polling: after each frame): ask again, same session
    }
  }

  #line(line) {
    if (line === '') {
      return;
    }
    if (/^h+$/.test(line)) {
      this.#handlers.beat();
    } else if (line === 'o') {
      if (this.#opened) {
        // a second open frame is a new session: ours expired on the server
        this.#end(1006, 'session lost');
        return;
      }
      this.#opened = true;
      // the first frame authenticates the session; everything else waits for the welcome
      this.#queue.unshift(JSON.stringify({ type: 'auth', token: this.#token }));
      this.#flush();
    } else if (line[0] === 'a') {
      let messages;
      try {
        messages = JSON.parse(line.slice(1));
      } catch {
        return;
      }
      for (const message of Array.isArray(messages) ? messages : []) {
        const frame = parseFrame(message);
        if (frame && !this.#done) {
          this.#handlers.frame(frame);
        }
      }
    } else if (line[0] === 'c') {
      let code = 3000;
      let reason = '';
      try {
        [code, reason] = JSON.parse(line.slice(1));
      } catch {
        // keep the defaults
      }
      this.#end(code, reason);
    }
  }

  /** One xhr_send at a time, so frames arrive in order; whatever queued meanwhile goes in the next. */
  async #flush() {
    if (this.#sending || this.#done || !this.#opened || this.#queue.length === 0) {
      return;
    }
    this.#sending = true;
    const batch = this.#queue.splice(0);
    try {
      const response = await fetch(new URL('xhr_send', this.#session), {
        method: 'POST', body: JSON.stringify(batch), signal: this.#abort.signal, cache: 'no-store', credentials: 'omit',
        headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
      });
      if (!response.ok) {
        this.#end(1006, `send: HTTP ${response.status}`);
        return;
      }
    } catch {
      this.#end(1006, 'send: network error');
      return;
    }
    this.#sending = false;
    this.#flush();
  }

  #end(code, reason) {
    if (this.#done) {
      return;
    }
    this.#done = true;
    this.#abort.abort();
    this.#handlers.close({ code, reason, opened: this.#opened });
  }
}

/** A server frame: one JSON object with a string `type`, else null (ignored). */
function parseFrame(text) {
  if (typeof text !== 'string') {
    return null;
  }
  try {
    const frame = JSON.parse(text);
    return frame && typeof frame === 'object' && typeof frame.type === 'string' ? frame : null;
  } catch {
    return null;
  }
}

/** A session id for SockJS (crypto.randomUUID needs a secure context; getRandomValues does not). */
function randomId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), b => b.toString(16).padStart(2, '0')).join('');
}
