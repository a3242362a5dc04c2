// The side panel of one delivery: its facts, its actions, every attempt (time, duration, outcome,
// error class, HTTP status, error) and the notification it belongs to with its other deliveries.
// Also the small pieces the list shares with it: status badges, error summaries, action buttons.

import {DASH, ago, arr, count, h, millis, obj, shortId, str, timeEl, when} from './dom.js';

const RETRYABLE = ['failed', 'dead', 'cancelled'];
const CANCELLABLE = ['pending', 'failed', 'dead', 'held'];
const CONFIRM_MS = 6000;
const CHANNEL_NAMES = {sms: 'SMS', email: 'E-mail', whatsapp: 'WhatsApp', webhook: 'Webhook'};

const $ = id => document.getElementById(id);

/** A coloured status (or attempt outcome) badge: `.status.status-dead`. */
export function statusBadge(status) {
  const known = typeof status === 'string' && /^[a-z_]+$/.test(status);
  return h('span', {class: 'status status-' + (known ? status : 'unknown'), text: status ?? DASH});
}

/** The last error of a delivery: its class, HTTP status and message (the full text in the title). */
export function errorSummary(d) {
  const cls = str(d.lastErrorClass);
  const http = str(d.lastHttpStatus);
  const message = str(d.lastError);
  if (!cls && !message && !http) {
    return h('span', {class: 'muted', text: DASH});
  }
  return [
    h('div', {class: 'error-tags'},
      cls ? h('span', {class: 'chip err err-' + (/^[a-z_]+$/.test(cls) ? cls : 'other'), text: cls}) : null,
      http ? h('span', {class: 'chip mono', text: 'HTTP ' + http}) : null),
    message ? h('div', {class: 'error-text clamp', title: message, text: message}) : null,
  ];
}

/**
 * Delivery id → the timer that disarms its "Confirm cancel". Kept here, not in the button: the row
 * and the panel are drawn again while a delivery is watched, and a redrawn button must still be
 * armed (the row's and the panel's button for one delivery share the state).
 */
const armedCancels = new Map();

function paintCancel(button, armed) {
  button.textContent = armed ? 'Confirm cancel' : 'Cancel';
  button.classList.toggle('armed', armed);
}

function cancelButtons(id) {
  return [...document.querySelectorAll('button[data-action="cancel"]')].filter(b => b.dataset.cancels === id);
}

function disarm(id) {
  clearTimeout(armedCancels.get(id));
  armedCancels.delete(id);
  cancelButtons(id).forEach(b => paintCancel(b, false));
}

/** Retry and cancel buttons for what the delivery's status allows; cancel asks to be clicked twice. */
export function actionsFor(d, act) {
  const out = [];
  if (RETRYABLE.includes(d.status)) {
    out.push(h('button', {type: 'button', class: 'btn btn-small btn-primary', data: {action: 'retry'}, text: 'Retry',
      'aria-label': 'Retry delivery ' + d.id, onclick: e => act(d, 'retry', e.currentTarget)}));
  }
  if (CANCELLABLE.includes(d.status)) {
    const cancel = h('button', {type: 'button', class: 'btn btn-small btn-danger-ghost', data: {action: 'cancel', cancels: d.id},
      'aria-label': 'Cancel delivery ' + d.id});
    paintCancel(cancel, armedCancels.has(d.id));
    cancel.addEventListener('click', () => {
      if (armedCancels.has(d.id)) {
        disarm(d.id);
        act(d, 'cancel', cancel);
        return;
      }
      armedCancels.set(d.id, setTimeout(() => disarm(d.id), CONFIRM_MS));
      cancelButtons(d.id).forEach(b => paintCancel(b, true));
    });
    out.push(cancel);
  }
  return out;
}

/** The panel; `act(delivery, action, button)` performs retry or cancel, `onClose` runs when it closes. */
export function createDetail(api, {act, onClose}) {
  const panel = $('detail');
  const body = $('detail-body');
  let current = null;
  let notification = null;
  let problem = null;
  let seq = 0;
  let returnFocus = null;
  let drawn = null; // what the panel shows now: an unchanged delivery is not drawn again

  $('detail-close').addEventListener('click', close);
  $('detail-scrim').addEventListener('click', close);
  panel.addEventListener('keydown', e => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      close();
    }
  });

  async function open(d) {
    const mine = ++seq;
    if (panel.hidden) {
      returnFocus = document.activeElement;
    }
    current = d;
    notification = null;
    problem = null;
    drawn = null;
    panel.hidden = false;
    document.body.classList.add('with-detail');
    render();
    $('detail-title').focus();
    if (!str(d.notificationId)) {
      return;
    }
    try {
      const n = obj(await api.get('/v1/notifications/' + encodeURIComponent(d.notificationId)));
      if (mine === seq) {
        refreshNotification(n);
      }
    } catch (e) {
      if (mine === seq && !e.auth) {
        problem = e.status === 404 ? 'The notification is gone (removed by retention, or deleted).'
          : 'Could not load the notification and its attempts: ' + e.message;
        render();
      }
    }
  }

  function close() {
    if (panel.hidden) {
      return;
    }
    seq++;
    current = null;
    panel.hidden = true;
    document.body.classList.remove('with-detail');
    onClose();
    if (returnFocus && returnFocus.isConnected) {
      returnFocus.focus();
    }
  }

  /** A fresher copy of the delivery shown (after an action). */
  function refresh(d) {
    if (current && d.id === current.id) {
      current = {...current, ...d};
      render();
    }
  }

  /** Fetches the notification of the delivery shown again (the list saw the delivery change). */
  async function reload() {
    if (!current || !str(current.notificationId)) {
      return;
    }
    const mine = seq;
    try {
      const n = obj(await api.get('/v1/notifications/' + encodeURIComponent(current.notificationId)));
      if (mine === seq) {
        refreshNotification(n);
      }
    } catch (e) {
      // the panel keeps what it shows; the list and the top bar say when the gateway is not answering
    }
  }

  /** A fresher copy of the notification of the delivery shown, with every delivery and attempt. */
  function refreshNotification(n) {
    if (!current || n.id !== current.notificationId) {
      return;
    }
    notification = n;
    const mine = arr(n.deliveries).map(obj).find(x => x.id === current.id);
    if (mine) {
      current = {...current, ...mine};
    }
    render();
  }

  function show(id) {
    const d = arr(notification && notification.deliveries).map(obj).find(x => x.id === id);
    if (d) {
      current = d;
      render();
    }
  }

  function render() {
    if (!current) {
      return;
    }
    const d = current;
    const key = JSON.stringify([d, notification, problem]);
    if (key === drawn) {
      return;
    }
    drawn = key;
    // a redraw keeps the keyboard where it was (the same action button, or the panel)
    const active = document.activeElement;
    const focused = active && body.contains(active) ? active.dataset.action ?? 'panel' : null;
    const channel = str(d.channel);
    $('detail-title').textContent = channel ? (CHANNEL_NAMES[channel] ?? channel[0].toUpperCase() + channel.slice(1)) + ' delivery'
      : 'Delivery';
    // (replaceChildren would show a missing section as the text "null")
    body.replaceChildren(...[
      h('div', {class: 'detail-head', data: {deliveryId: d.id}},
        statusBadge(str(d.status)),
        d.priority ? h('span', {class: 'chip p-' + d.priority, text: d.priority}) : null,
        h('span', {class: 'mono select-all small', text: d.id})),
      h('div', {class: 'detail-actions'}, actionsFor(d, act)),
      facts(d),
      str(d.lastError) ? h('section', {class: 'detail-section'},
        h('h3', {text: d.status === 'sent' ? 'Earlier error (it went through after it)' : 'Last error'}),
        h('pre', {class: ['error-box', d.status === 'sent' && 'earlier'], text: d.lastError})) : null,
      attemptsSection(d),
      notificationSection(d)].filter(Boolean));
    if (focused) {
      (body.querySelector(`.detail-actions [data-action="${focused}"]`) ?? $('detail-title')).focus();
    }
  }

  function facts(d) {
    const rows = [
      ['Recipient', str(d.recipient)],
      ['Destination', str(d.destination)],
      ['Attempts', `${count(d.attempts)} of ${count(d.maxAttempts)}`],
      ['Next attempt', d.nextAttemptAt ? [timeEl(d.nextAttemptAt), ' (' + ago(d.nextAttemptAt) + ')'] : null],
      ['Last error class', str(d.lastErrorClass)],
      ['Last HTTP status', str(d.lastHttpStatus)],
      ['Reason', str(d.reason)],
      ['Provider message id', str(d.providerMessageId)],
      ['Created', d.createdAt ? timeEl(d.createdAt) : null],
      ['Updated', d.updatedAt ? [timeEl(d.updatedAt), ' (' + ago(d.updatedAt) + ')'] : null],
      ['Sent', d.sentAt ? timeEl(d.sentAt) : null],
      ['Digest', str(d.digestId)],
    ].filter(([, v]) => v != null);
    return h('dl', {class: 'facts'}, rows.map(([k, v]) => [h('dt', {text: k}), h('dd', {}, v)]));
  }

  function attemptsSection(d) {
    const title = h('h3', {text: 'Attempts'});
    if (!str(d.notificationId)) {
      return h('section', {class: 'detail-section'}, title, h('p', {class: 'empty',
        text: 'A digest e-mail has no notification, so its attempt history is not available here; the last error is above.'}));
    }
    if (problem) {
      return h('section', {class: 'detail-section'}, title, h('p', {class: 'empty error-text', text: problem}));
    }
    if (!notification) {
      return h('section', {class: 'detail-section'}, title, h('p', {class: 'muted', text: 'Loading the attempt history…'}));
    }
    const log = arr(d.attemptLog).map(obj);
    if (!log.length) {
      return h('section', {class: 'detail-section'}, title, h('p', {class: 'empty',
        text: 'No attempt yet: the delivery is waiting for its first try.'}));
    }
    // one <tbody> per attempt: its facts on one line, its error (often long) across the whole width below
    return h('section', {class: 'detail-section'}, title,
      h('table', {id: 'attempts', class: 'grid-table compact attempts'},
        h('thead', {}, h('tr', {}, ...['#', 'Started', 'Took', 'Outcome', 'Error class', 'HTTP']
          .map(t => h('th', {class: t === '#' || t === 'Took' || t === 'HTTP' ? 'num' : null, text: t})))),
        log.map(a => h('tbody', {data: {attempt: a.attempt}},
          h('tr', {},
            h('td', {class: 'num', text: count(a.attempt)}),
            h('td', {}, timeEl(a.startedAt)),
            h('td', {class: 'num', text: millis(a.durationMs)}),
            h('td', {}, statusBadge(str(a.outcome))),
            h('td', {}, str(a.errorClass) ? h('span', {class: 'chip err err-' + (/^[a-z_]+$/.test(a.errorClass) ? a.errorClass : 'other'),
              text: a.errorClass}) : DASH),
            h('td', {class: 'num', text: str(a.httpStatus) ?? DASH})),
          str(a.error) ? h('tr', {class: 'attempt-error-row'}, h('td'),
            h('td', {colspan: 5, class: 'error-text attempt-error', text: a.error})) : null))));
  }

  function notificationSection(d) {
    if (!notification) {
      return null;
    }
    const n = notification;
    const siblings = arr(n.deliveries).map(obj);
    return h('section', {class: 'detail-section notification'},
      h('h3', {text: 'Notification'}),
      h('div', {class: 'note-title', text: str(n.title) ?? '(no title)'}),
      str(n.body) ? h('p', {class: 'note-body', text: n.body}) : null,
      h('dl', {class: 'facts'},
        [['Id', h('span', {class: 'mono select-all small', text: str(n.id) ?? DASH})], ['Recipient', str(n.recipient)],
          ['Level', str(n.level)], ['Category', str(n.category)], ['Priority', str(n.priority)],
          ['Created', n.createdAt ? timeEl(n.createdAt) : null], ['Expires', n.expiresAt ? timeEl(n.expiresAt) : null],
          ['Action', str(n.actionUrl) ? (str(n.actionLabel) ? n.actionLabel + ' → ' : '') + n.actionUrl : null],
          ['Read', n.read === true ? 'yes, ' + when(n.readAt) : n.read === false ? 'not yet' : null],
          ['Channels', arr(n.channels).filter(c => typeof c === 'string').join(', ') || null]]
          .filter(([, v]) => v != null).map(([k, v]) => [h('dt', {text: k}), h('dd', {}, v)])),
      siblings.length > 1 ? h('div', {class: 'siblings'}, h('h4', {text: 'Its deliveries'}),
        h('ul', {}, siblings.map(x => h('li', {},
          h('button', {type: 'button', class: ['sibling', x.id === d.id && 'current'], 'aria-current': x.id === d.id ? 'true' : null,
            onclick: () => show(x.id)},
          h('span', {class: 'chip', text: str(x.channel) ?? DASH}), statusBadge(str(x.status)),
          h('span', {class: 'muted small', text: `${count(x.attempts)} attempt${x.attempts === 1 ? '' : 's'} · ${shortId(x.id)}`})))))) : null);
  }

  return {open, close, refresh, reload, refreshNotification, openId: () => (current && !panel.hidden ? current.id : null)};
}
