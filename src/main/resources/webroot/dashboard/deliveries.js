// The deliveries view: the list by status and channel with cursor paging, retry and cancel per row,
// the CSV export, and (through detail.js and bulk.js) the detail panel and retry-all-matching. Rows
// an operator acted on are watched until they settle. The list follows the dashboard's refresh: rows
// that did not change are left as they are (focus, text selection, an armed "Confirm cancel"), and a
// row the operator acted on stays on screen for a while after it left the list's status.

import {query} from './api.js';
import {createBulkRetry} from './bulk.js';
import {createDetail, actionsFor, statusBadge, errorSummary} from './detail.js';
import {DASH, ago, arr, count, h, num, obj, str, timeEl} from './dom.js';

export const STATUSES = ['dead', 'failed', 'pending', 'sending', 'sent', 'cancelled', 'held', 'digested'];
const CHANNELS = ['email', 'sms', 'whatsapp', 'webhook'];
const SETTLED_AFTER_MS = 120_000;
/** How long a row the operator acted on stays after it settled, though it no longer matches the list. */
const KEEP_SETTLED_MS = 30_000;
const POLL_MS = 1500;

const $ = id => document.getElementById(id);

/** The view, bound to an API client; `toast(text, tone)` reports what an action did. */
export function createDeliveries(api, toast) {
  const state = {
    status: 'dead', channel: '', limit: 50,
    cursors: [null], next: null, items: [], listedAt: null, loadSeq: 0, loading: false,
    focus: null, openNotification: null,
    watched: new Map(), pollTimer: null,
    pinned: new Map(), // delivery id → until when its row stays though the list no longer has it
    departed: new Set(), // rows shown only because they are pinned
    counts: null,
  };
  const detail = createDetail(api, {act, onClose: () => markOpen(null)});
  // a bulk retry can re-queue thousands: the list is listed again (one call), not each row followed
  const bulk = createBulkRetry(api, {toast, onRequeued: () => load()});
  const sigs = new WeakMap(); // row element → the data it was drawn from

  // ---- filters ----
  const statusBar = $('status-filter');
  statusBar.replaceChildren(...[['', 'all'], ...STATUSES.map(x => [x, x])].map(([value, label]) =>
    h('button', {type: 'button', class: 'seg', data: {statusFilter: value || 'all'}, 'aria-pressed': 'false',
      onclick: () => navigate({status: value})}, h('span', {class: value ? 'dot status-' + value : 'dot', text: ''}), label,
    h('span', {class: 'seg-count'}))));
  $('f-channel').addEventListener('change', e => navigate({channel: e.target.value}));
  $('f-limit').addEventListener('change', e => navigate({limit: e.target.value}));
  $('reload').addEventListener('click', () => load());
  $('page-next').addEventListener('click', () => {
    if (state.next) {
      state.cursors.push(state.next);
      load();
    }
  });
  $('page-prev').addEventListener('click', () => {
    if (state.cursors.length > 1) {
      state.cursors.pop();
      load();
    }
  });
  $('export').addEventListener('click', exportCsv);
  $('bulk-retry').addEventListener('click', () => bulk.open({status: state.status, channel: state.channel}, scopeText()));
  $('delivery-rows').addEventListener('keydown', e => {
    const row = e.target.closest('tr[data-delivery-id]');
    if (!row || e.target !== row) {
      return;
    }
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = e.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling;
      if (next) {
        next.focus();
      }
    } else if (e.key === 'Enter') {
      openDetail(row.dataset.deliveryId);
    }
  });

  function navigate(change) {
    const next = {status: state.status, channel: state.channel, limit: String(state.limit), ...change};
    location.hash = '#/deliveries' + query({status: next.status || 'all', channel: next.channel,
      limit: next.limit === '50' ? '' : next.limit});
  }

  /** Shows the view for the hash's parameters; reloads when the filters changed or `force`. */
  function show(params, force) {
    const rawStatus = params.get('status');
    const status = rawStatus === 'all' ? '' : STATUSES.includes(rawStatus) ? rawStatus : rawStatus == null ? state.status : 'dead';
    const channel = CHANNELS.includes(params.get('channel')) ? params.get('channel') : '';
    const limit = ['25', '50', '100', '200'].includes(params.get('limit')) ? Number(params.get('limit')) : 50;
    const changed = status !== state.status || channel !== state.channel || limit !== state.limit;
    Object.assign(state, {status, channel, limit});
    state.focus = params.get('focus');
    state.openNotification = params.get('notification');
    syncFilters();
    // coming back to the view after a while lists again; a fresh visit keeps the page it was on
    if (changed || force || state.focus || state.listedAt == null || Date.now() - state.listedAt.getTime() > 30_000) {
      state.cursors = [null];
      load();
    }
  }

  function syncFilters() {
    for (const b of statusBar.querySelectorAll('button')) {
      const on = (b.dataset.statusFilter === 'all' ? '' : b.dataset.statusFilter) === state.status;
      b.setAttribute('aria-pressed', String(on));
      b.classList.toggle('on', on);
    }
    $('f-channel').value = state.channel;
    $('f-limit').value = String(state.limit);
    const bulkable = state.status === '' || state.status === 'failed' || state.status === 'dead';
    $('bulk-retry').disabled = !bulkable;
    $('bulk-retry').title = bulkable ? 'Re-queue every ' + scopeText() + ' (a preview comes first)'
      : 'Only failed and dead deliveries can be re-queued in bulk: pick "dead", "failed" or "all"';
    renderCounts();
  }

  function scopeText() {
    const what = state.status === '' ? 'failed and dead' : state.status;
    return what + ' delivery' + (state.channel ? ' on ' + state.channel : '');
  }

  /** Numbers on the status buttons, from the last stats (only those the gateway gives). */
  function setCounts(stats) {
    state.counts = obj(stats);
    renderCounts();
  }

  function renderCounts() {
    const stats = obj(state.counts);
    const queue = obj(obj(stats.queue).channels);
    const sum = key => {
      const values = Object.entries(queue).filter(([c]) => !state.channel || c === state.channel).map(([, q]) => num(obj(q)[key]));
      return values.some(v => v != null) ? values.reduce((a, v) => a + (v ?? 0), 0) : null;
    };
    const dead = state.channel ? num(obj(stats.deadByChannel)[state.channel]) : num(stats.dead);
    const known = {dead, failed: sum('failed'), pending: sum('pending'), sending: sum('sending'), held: sum('held')};
    for (const b of statusBar.querySelectorAll('button')) {
      const n = known[b.dataset.statusFilter];
      b.querySelector('.seg-count').textContent = n == null ? '' : count(n);
    }
  }

  // ---- the list ----

  /**
   * Lists the current page. `background` (the refresh loop): nothing happens while a load runs, no
   * "Loading…", no scrolling to the focused delivery, and a failure keeps the rows on screen.
   */
  async function load({background = false} = {}) {
    if (background && state.loading) {
      return;
    }
    const seq = ++state.loadSeq;
    state.loading = true;
    const tbody = $('delivery-rows');
    if (!background) {
      tbody.classList.add('loading');
      $('deliveries-note').replaceChildren(h('span', {class: 'muted', text: 'Loading…'}));
    }
    const before = state.cursors[state.cursors.length - 1];
    try {
      const page = obj(await api.get('/v1/deliveries' + query({status: state.status, channel: state.channel, limit: state.limit,
        before})));
      if (seq !== state.loadSeq) {
        return;
      }
      const items = arr(page.items).map(obj).filter(d => str(d.id));
      const openBefore = JSON.stringify(state.items.find(d => d.id === detail.openId()) ?? null);
      state.departed = new Set();
      if (background) {
        keepPinned(items);
      }
      state.items = items;
      state.next = str(page.next);
      state.listedAt = new Date();
      renderList(background);
      if (!background && state.openNotification && state.focus) {
        detail.open(state.items.find(d => d.id === state.focus) ?? {id: state.focus, notificationId: state.openNotification});
        markOpen(state.focus);
        state.openNotification = null;
      }
      // the panel follows its delivery: when the listing shows it changed, its attempts are fetched again
      const open = state.items.find(d => d.id === detail.openId());
      if (background && open && JSON.stringify(open) !== openBefore) {
        detail.refresh(open);
        detail.reload();
      }
    } catch (e) {
      if (seq === state.loadSeq && !e.auth) {
        $('deliveries-note').replaceChildren(h('span', {class: 'error-text',
          text: (background ? 'Could not refresh the deliveries (the rows below are from the last listing): ' : 'Could not load the deliveries: ')
            + e.message}),
        ' ', h('button', {type: 'button', class: 'btn btn-small', text: 'Try again', onclick: () => load()}));
      }
    } finally {
      if (seq === state.loadSeq) {
        state.loading = false;
        tbody.classList.remove('loading');
      }
    }
  }

  /** Rows the operator acted on lately stay where they were, though this listing no longer has them. */
  function keepPinned(items) {
    const now = Date.now();
    for (const [id, until] of state.pinned) {
      if (now > until) {
        state.pinned.delete(id);
      }
    }
    const listed = new Set(items.map(d => d.id));
    state.items.forEach((d, i) => {
      if (!listed.has(d.id) && state.pinned.has(d.id)) {
        items.splice(Math.min(i, items.length), 0, d);
        state.departed.add(d.id);
      }
    });
  }

  function renderList(background) {
    const tbody = $('delivery-rows');
    reconcile(tbody);
    const pageNo = state.cursors.length;
    $('page-prev').disabled = pageNo <= 1;
    $('page-next').disabled = !state.next;
    const first = (pageNo - 1) * state.limit + 1;
    const listed = state.items.length - state.departed.size;
    $('page-info').textContent = listed
      ? `Page ${pageNo} · rows ${count(first)}–${count(first + listed - 1)}${state.next ? '' : ' (last page)'}`
      : `Page ${pageNo}`;
    const note = [h('span', {class: 'muted', text: 'Most recently changed first · listed ', title: state.listedAt.toISOString()}),
      timeEl(state.listedAt.toISOString())];
    if (state.focus && !state.items.some(d => d.id === state.focus)) {
      note.push(h('span', {class: 'warn-text', text: ` · delivery ${state.focus} is not on this page`}));
    }
    $('deliveries-note').replaceChildren(...note);
    const empty = $('deliveries-empty');
    empty.hidden = state.items.length > 0;
    empty.textContent = emptyText();
    if (state.focus && !background) {
      const focused = tbody.querySelector(`tr[data-delivery-id="${CSS.escape(state.focus)}"]`);
      if (focused) {
        focused.scrollIntoView({block: 'center'});
        focused.focus();
      }
    }
    markOpen(detail.openId());
  }

  /** What a row is drawn from: a row whose data did not change is kept, not drawn again. */
  function signature(d) {
    return JSON.stringify([d, state.departed.has(d.id), d.id === state.focus, state.status]);
  }

  /**
   * Makes the rows match state.items with as few changes as possible: unchanged rows stay (only
   * their "… ago" times are brought up to date), changed ones are drawn again in place, and the
   * keyboard focus moves to the new copy of a row that had it.
   */
  function reconcile(tbody) {
    const active = document.activeElement;
    const focusedRow = active && tbody.contains(active) ? active.closest('tr[data-delivery-id]') : null;
    const focus = focusedRow ? {id: focusedRow.dataset.deliveryId, action: active === focusedRow ? null : active.dataset.action} : null;
    const old = new Map([...tbody.children].map(tr => [tr.dataset.deliveryId, tr]));
    const wanted = state.items.map(d => {
      const sig = signature(d);
      const kept = old.get(d.id);
      if (kept && sigs.get(kept) === sig) {
        for (const t of kept.querySelectorAll('time.ago')) {
          t.textContent = ago(t.getAttribute('datetime'));
        }
        return kept;
      }
      const fresh = row(d);
      sigs.set(fresh, sig);
      return fresh;
    });
    const keep = new Set(wanted);
    for (const tr of [...tbody.children]) {
      if (!keep.has(tr)) {
        tr.remove();
      }
    }
    wanted.forEach((tr, i) => {
      if (tbody.children[i] !== tr) {
        tbody.insertBefore(tr, tbody.children[i] ?? null);
      }
    });
    if (focus && !tbody.contains(document.activeElement)) {
      const again = tbody.querySelector(`tr[data-delivery-id="${CSS.escape(focus.id)}"]`);
      if (again) {
        (focus.action ? again.querySelector(`[data-action="${focus.action}"]`) ?? again : again).focus();
      }
    }
  }

  function emptyText() {
    const where = state.channel ? ' on ' + state.channel : '';
    if (state.cursors.length > 1) {
      return 'No more deliveries on this page. Go back with "Newer".';
    }
    switch (state.status) {
      case 'dead': return `The dead letter is empty${where}: every delivery that failed for good has been dealt with.`;
      case 'failed': return `Nothing is waiting to be retried${where}.`;
      case 'pending': return `Nothing is waiting to be sent${where}.`;
      case 'sending': return `No attempt is in flight${where} right now.`;
      case 'held': return `No e-mail is held for a digest${where}.`;
      default: return `No ${state.status || ''} deliveries${where} yet. Deliveries appear here once a notification asks for `
        + 'e-mail, SMS, WhatsApp or a webhook.';
    }
  }

  function row(d) {
    const status = str(d.status);
    const tr = h('tr', {tabindex: 0, class: ['delivery', d.id === state.focus && 'focused'],
      data: {deliveryId: d.id, status: status ?? 'unknown'}},
    h('td', {}, statusBadge(status), str(d.reason) ? h('div', {class: 'muted small', text: d.reason}) : null,
      state.departed.has(d.id) && state.status ? h('div', {class: 'departed muted small', text: 'no longer ' + state.status,
        title: 'You acted on this delivery; it is kept here for a while though the list no longer has it'}) : null),
    h('td', {class: 'col-channel'}, h('span', {class: 'chip', text: str(d.channel) ?? DASH}),
      d.priority === 'critical' || d.priority === 'high' ? h('span', {class: 'chip p-' + d.priority, text: d.priority}) : null),
    h('td', {class: 'who'}, h('div', {class: 'recipient', text: str(d.recipient) ?? DASH}),
      h('div', {class: 'muted mono small', text: str(d.destination) ?? ''})),
    h('td', {class: 'num attempts', text: `${count(d.attempts)} / ${count(d.maxAttempts)}`}),
    h('td', {class: 'error-cell'}, status === 'sent' && (d.lastError || d.lastErrorClass)
      ? h('div', {class: 'earlier', title: 'an earlier attempt failed; the delivery went through after it'},
        h('span', {class: 'muted small', text: 'before it went through:'}), errorSummary(d))
      : errorSummary(d)),
    h('td', {class: 'when'}, agoEl(d.updatedAt),
      d.nextAttemptAt ? h('div', {class: 'muted small'}, 'next ', agoEl(d.nextAttemptAt)) : null),
    h('td', {class: 'actions'}, actionsFor(d, act),
      h('button', {type: 'button', class: 'btn btn-small btn-ghost', data: {action: 'details'}, text: 'Details',
        'aria-label': 'Details of delivery ' + d.id, onclick: () => openDetail(d.id)})));
    tr.addEventListener('click', e => {
      if (!e.target.closest('button, a')) {
        openDetail(d.id);
      }
    });
    return tr;
  }

  function agoEl(iso) {
    const t = timeEl(iso, ago(iso));
    t.classList.add('ago');
    return t;
  }

  function openDetail(id) {
    const d = state.items.find(x => x.id === id);
    if (d) {
      detail.open(d);
      markOpen(id);
    }
  }

  function markOpen(id) {
    for (const tr of $('delivery-rows').querySelectorAll('tr.open')) {
      tr.classList.remove('open');
    }
    if (id) {
      const tr = $('delivery-rows').querySelector(`tr[data-delivery-id="${CSS.escape(id)}"]`);
      if (tr) {
        tr.classList.add('open');
      }
    }
  }

  /** Puts a fresher copy of a delivery in the list (where it is listed; unchanged rows stay as they are). */
  function update(d) {
    const i = state.items.findIndex(x => x.id === d.id);
    if (i >= 0) {
      state.items[i] = {...state.items[i], ...d};
      reconcile($('delivery-rows'));
      markOpen(detail.openId());
    }
  }

  // ---- actions ----

  /** Retries or cancels one delivery, then watches it until it settles. */
  async function act(d, action, button) {
    if (button) {
      button.disabled = true;
      button.classList.add('busy');
    }
    try {
      const changed = obj(await api.post(`/v1/deliveries/${encodeURIComponent(d.id)}/${action}`));
      if (str(changed.id)) {
        update(changed);
        detail.refresh(changed);
      }
      toast(action === 'retry' ? 'Re-queued: it is being sent now.' : 'Cancelled: it will not be sent.', 'good');
      watch(str(changed.id) ? changed : d);
    } catch (e) {
      if (!e.auth) {
        toast((action === 'retry' ? 'Retry refused: ' : 'Cancel refused: ') + e.message, 'bad');
        watch(d, true);
      }
    } finally {
      if (button && button.isConnected) {
        button.disabled = false;
        button.classList.remove('busy');
      }
    }
  }

  /** Follows a delivery through its notification until it is no longer pending or sending (or once, `once`). */
  function watch(d, once) {
    if (!str(d.notificationId)) {
      return;
    }
    state.watched.set(d.id, {notificationId: d.notificationId, until: once ? 0 : Date.now() + SETTLED_AFTER_MS});
    state.pinned.set(d.id, Date.now() + (once ? KEEP_SETTLED_MS : SETTLED_AFTER_MS));
    if (!state.pollTimer) {
      state.pollTimer = setTimeout(poll, once ? 0 : POLL_MS);
    }
  }

  async function poll() {
    state.pollTimer = null;
    const byNotification = new Map();
    for (const [id, w] of state.watched) {
      byNotification.set(w.notificationId, [...(byNotification.get(w.notificationId) ?? []), id]);
    }
    for (const [notificationId, ids] of byNotification) {
      try {
        const n = obj(await api.get('/v1/notifications/' + encodeURIComponent(notificationId)));
        for (const d of arr(n.deliveries).map(obj)) {
          if (!ids.includes(d.id)) {
            continue;
          }
          update(d);
          const w = state.watched.get(d.id);
          if ((d.status !== 'pending' && d.status !== 'sending') || !w || Date.now() > w.until) {
            state.watched.delete(d.id);
            state.pinned.set(d.id, Math.min(state.pinned.get(d.id) ?? Infinity, Date.now() + KEEP_SETTLED_MS));
          }
        }
        detail.refreshNotification(n);
      } catch (e) {
        if (e.auth || e.status === 404) {
          ids.forEach(id => state.watched.delete(id));
        }
      }
      for (const id of ids) {
        const w = state.watched.get(id);
        if (w && Date.now() > w.until) {
          state.watched.delete(id);
        }
      }
    }
    if (state.watched.size && !state.pollTimer) {
      state.pollTimer = setTimeout(poll, POLL_MS);
    }
  }

  // ---- export ----

  async function exportCsv() {
    const button = $('export');
    button.disabled = true;
    try {
      // a link cannot carry the Authorization header: fetch, then hand the browser a blob
      const response = await api.fetch('/v1/deliveries/export.csv' + query({status: state.status, channel: state.channel}));
      const blob = await response.blob();
      const named = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '');
      const name = named ? named[1] : 'deliveries' + (state.status ? '-' + state.status : '') + '.csv';
      const url = URL.createObjectURL(blob);
      const link = h('a', {href: url, download: name, hidden: true});
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      toast(`Exported ${name} (${count(Math.max(1, Math.round(blob.size / 1024)))} KB).`, 'good');
    } catch (e) {
      if (!e.auth) {
        toast('Export failed: ' + e.message, 'bad');
      }
    } finally {
      button.disabled = false;
    }
  }

  return {
    show,
    setCounts,
    refresh: load,
    closeDetail: () => detail.close(),
    detailOpen: () => detail.openId() != null,
  };
}
