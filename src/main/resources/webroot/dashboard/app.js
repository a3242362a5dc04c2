// Herald's operators' dashboard: sign-in, the three views, the refresh loop, toasts and shortcuts.
// The admin key lives in sessionStorage (this tab only) and goes out as a Bearer token; a 401 or
// 403 anywhere forgets it and returns to the sign-in form with the reason.

import {createAlerts} from './alerts.js';
import {TIMEOUT_MS, createApi} from './api.js';
import {createDeliveries} from './deliveries.js';
import {h, when} from './dom.js';
import {renderOverview} from './overview.js';

const KEY = 'herald.dashboard.key';
const NOTICE = 'herald.dashboard.notice';
const REFRESH_MS = 5000;
/** Data older than this (two refreshes missed) is called stale on the top bar and in a banner. */
const STALE_MS = 2 * REFRESH_MS;
const VIEWS = {'/overview': 'overview', '/deliveries': 'deliveries', '/alerts': 'alerts'};
const TITLES = {overview: 'Overview', deliveries: 'Deliveries', alerts: 'Alerts'};

const $ = id => document.getElementById(id);

let session = null; // the API client of the signed-in key
let timer = null;
let lastGood = null; // {stats, alerts, at}: kept on screen while the gateway cannot be reached
let conn = {state: 'connecting', error: null};
let watchingSince = Date.now(); // since when an update is due (sign-in, or the tab becoming visible)
let drawProblem = null; // the last overview drawing failure, shown until a drawing succeeds
let alertsMissing = false;
let leaving = false;

// every view talks through this, so they are built once and follow whichever key is signed in
const client = {
  get: path => session.get(path),
  post: (path, body) => session.post(path, body),
  fetch: path => session.fetch(path),
};
const deliveries = createDeliveries(client, toast);
const alertsView = createAlerts(client);

function authMessage(e) {
  switch (e.status) {
    case 401: return `That key was refused (401: ${e.message}). Check it against auth.apiKeys in the gateway's configuration.`;
    case 403: return 'That key is valid but lacks the "admin" scope (403). The dashboard needs an admin key.';
    case 0: return e.message.replace(/^the gateway/, 'The gateway') + '.';
    default: return `The gateway answered ${e.status}: ${e.message}`;
  }
}

/** The key stopped working mid-session: forget it and start over from a clean page. */
function authLost(e) {
  if (leaving) {
    return;
  }
  leaving = true;
  sessionStorage.removeItem(KEY);
  sessionStorage.setItem(NOTICE, authMessage(e) + ' You have been signed out.');
  location.reload();
}

function showSignIn(message) {
  $('app').hidden = true;
  $('signin').hidden = false;
  const error = $('login-error');
  error.hidden = !message;
  error.textContent = message || '';
  $('key').focus();
}

$('login').addEventListener('submit', async e => {
  e.preventDefault();
  const key = $('key').value.trim();
  if (!key) {
    showSignIn('Enter the admin API key.');
    return;
  }
  const button = $('login-submit');
  button.disabled = true;
  button.textContent = 'Checking…';
  try {
    await createApi(key).get('/v1/stats');
    sessionStorage.setItem(KEY, key);
    $('key').value = '';
    start(key);
  } catch (err) {
    showSignIn(authMessage(err));
    $('key').select();
  } finally {
    button.disabled = false;
    button.textContent = 'Sign in';
  }
});

$('signout').addEventListener('click', () => {
  sessionStorage.removeItem(KEY);
  sessionStorage.setItem(NOTICE, 'Signed out. The key was removed from this tab.');
  leaving = true;
  location.hash = '';
  location.reload();
});

function start(key) {
  session = createApi(key, authLost);
  $('signin').hidden = true;
  $('app').hidden = false;
  watchingSince = Date.now();
  route();
  tick();
  // the top bar must turn stale on its own while a refresh hangs: it is checked every second
  setInterval(renderConn, 1000);
}

// ---- the refresh loop: every 5 s while the tab is visible, never two at once ----

let ticking = false;

async function tick() {
  clearTimeout(timer);
  timer = null;
  if (!session || ticking) {
    return;
  }
  if (document.hidden) {
    setConn('paused');
    return;
  }
  ticking = true;
  $('conn').classList.add('busy');
  try {
    const stats = await client.get('/v1/stats');
    show(stats, await activeAlerts(stats));
    setConn('ok');
    refreshActiveView();
  } catch (e) {
    if (!e.auth) {
      setConn('error', e);
    }
  } finally {
    ticking = false;
    $('conn').classList.remove('busy');
    if (session && !document.hidden && !leaving) {
      timer = setTimeout(tick, REFRESH_MS);
    }
  }
}

/** Active alerts: from the stats when the gateway puts them there, else from GET /v1/alerts. */
async function activeAlerts(stats) {
  if (stats && Array.isArray(stats.alerts)) {
    return {items: stats.alerts};
  }
  if (alertsMissing) {
    return {unavailable: true};
  }
  try {
    const answer = await client.get('/v1/alerts?status=active&limit=50');
    return {items: answer && Array.isArray(answer.items) ? answer.items : []};
  } catch (e) {
    if (e.status === 404) {
      alertsMissing = true;
      return {unavailable: true};
    }
    if (e.auth) {
      throw e;
    }
    return {error: e.message};
  }
}

/** The list or alerts on screen follow the refresh too (each view skips it while its own load runs). */
function refreshActiveView() {
  const view = currentView();
  if (view === 'deliveries') {
    deliveries.refresh({background: true});
  } else if (view === 'alerts') {
    alertsView.refresh({background: true});
  }
}

function show(stats, alerts) {
  lastGood = {stats, alerts, at: new Date()};
  try {
    renderOverview(stats, alerts);
    drawProblem = null;
  } catch (e) {
    // a drawing bug must not stop the refresh loop; it is reported so tests and operators see it
    console.error('the overview could not be drawn', e);
    drawProblem = 'Part of the overview could not be drawn (' + e.message + '); the data below may be incomplete.';
  }
  deliveries.setCounts(stats);
  const s = stats && typeof stats === 'object' ? stats : {};
  badge($('nav-dead'), typeof s.dead === 'number' ? s.dead : null, 'bad', 'dead deliveries');
  const active = alerts && Array.isArray(alerts.items) ? alerts.items.filter(a => a && a.status !== 'resolved') : [];
  badge($('nav-alerts'), active.length || null,
    active.some(a => a.severity === 'critical') ? 'bad' : 'warn', 'active alerts');
}

function badge(el, n, tone, what) {
  el.textContent = n ? String(n) : '';
  el.className = 'count-badge' + (n ? ' tone-' + tone : '');
  el.title = n ? n + ' ' + what : '';
}

function setConn(state, error) {
  conn = {state, error: error ?? null};
  renderConn();
}

/**
 * The top bar and the problem banner: live, stale (no good answer for two refresh intervals, say a
 * gateway that accepts connections but never answers), offline (a call failed or timed out), or
 * paused. Written only when the text changes, so screen readers are not told the same thing again.
 */
function renderConn() {
  if (!session) {
    return;
  }
  const last = lastGood ? when(lastGood.at.toISOString()) : null;
  const since = Math.max(lastGood ? lastGood.at.getTime() : 0, watchingSince);
  let state = conn.state;
  if (state === 'ok' && Date.now() - since > STALE_MS) {
    state = 'stale';
  }
  let text;
  let problem = null;
  if (state === 'ok') {
    text = 'Live · updated ' + last;
    problem = drawProblem;
  } else if (state === 'stale') {
    text = 'Not updating since ' + last;
    problem = [h('strong', {text: 'Not updating. '}), `The gateway has not answered since ${last} (the dashboard asks every `
      + `${REFRESH_MS / 1000} s and gives up on a call after ${TIMEOUT_MS / 1000} s); the figures below are from ${last} and may be `
      + 'out of date.'];
  } else if (state === 'paused') {
    text = 'Paused while the tab is hidden';
  } else if (state === 'error') {
    const error = conn.error;
    text = last ? 'Offline · last update ' + last : 'Offline';
    problem = [h('strong', {text: error.status === 0 ? 'Connection problem. ' : 'The gateway answered ' + error.status + '. '}),
      error.message + '. ', last ? 'Showing the data from ' + last + '; ' : '', 'retrying every ' + REFRESH_MS / 1000 + ' s.'];
  } else {
    text = 'Connecting…';
  }
  const bar = $('conn');
  bar.dataset.state = state;
  if ($('conn-text').textContent !== text) {
    $('conn-text').textContent = text;
  }
  const banner = $('problem');
  banner.dataset.state = state;
  if (problem == null) {
    banner.hidden = true;
    return;
  }
  const fresh = h('div', {}, problem);
  if (banner.hidden || banner.textContent !== fresh.textContent) {
    banner.replaceChildren(...fresh.childNodes);
  }
  banner.hidden = false;
}

document.addEventListener('visibilitychange', () => {
  if (document.hidden) {
    clearTimeout(timer);
    timer = null;
    if (session) {
      setConn('paused');
    }
  } else if (session) {
    watchingSince = Date.now();
    tick();
  }
});

// ---- views ----

function currentView() {
  const path = location.hash.replace(/^#/, '').split('?')[0];
  return VIEWS[path] ?? 'overview';
}

function route() {
  if (!session) {
    return;
  }
  const view = currentView();
  for (const name of Object.values(VIEWS)) {
    $('view-' + name).hidden = name !== view;
  }
  for (const link of document.querySelectorAll('.tabs a')) {
    if (link.dataset.view === view) {
      link.setAttribute('aria-current', 'page');
    } else {
      link.removeAttribute('aria-current');
    }
  }
  document.title = 'Herald · ' + TITLES[view];
  if (view === 'deliveries') {
    deliveries.show(new URLSearchParams(location.hash.split('?')[1] || ''));
  } else {
    deliveries.closeDetail();
  }
  if (view === 'alerts') {
    alertsView.show();
  }
}

window.addEventListener('hashchange', route);

function refreshView() {
  const view = currentView();
  if (view === 'deliveries') {
    deliveries.refresh();
  } else if (view === 'alerts') {
    alertsView.refresh();
  }
  if (!ticking) {
    // the view was just loaded: the tick only brings the figures (its background refresh is skipped)
    tick();
  }
}

document.addEventListener('keydown', e => {
  if (!session || e.ctrlKey || e.metaKey || e.altKey || document.querySelector('dialog[open]')) {
    return;
  }
  if (e.key === 'Escape') {
    deliveries.closeDetail();
    return;
  }
  if (e.target.closest('input, select, textarea, [contenteditable]')) {
    return;
  }
  const go = {1: '#/overview', 2: '#/deliveries', 3: '#/alerts'}[e.key];
  if (go) {
    location.hash = go;
  } else if (e.key === 'r') {
    refreshView();
  } else {
    return;
  }
  e.preventDefault();
});

// ---- toasts ----

function toast(text, tone) {
  const host = $('toasts');
  const note = h('div', {class: 'toast tone-' + (tone || 'info'), role: 'status', text});
  host.append(note);
  while (host.children.length > 4) {
    host.firstElementChild.remove();
  }
  setTimeout(() => note.remove(), 6000);
}

// ---- boot ----

const notice = sessionStorage.getItem(NOTICE);
sessionStorage.removeItem(NOTICE);
const saved = sessionStorage.getItem(KEY);
if (saved) {
  start(saved);
} else {
  showSignIn(notice);
}
