// "Retry all matching": POST /v1/deliveries/retry for the list's filters, always as a dry run first
// (what would be re-queued, listed), and for real only when the operator confirms that count.

import {statusBadge} from './detail.js';
import {DASH, arr, count, h, num, obj, str} from './dom.js';

const $ = id => document.getElementById(id);
const PREVIEW_ROWS = 12;

/** The dialog; `onRequeued(deliveries)` runs after a re-queue (the list is listed again), `toast(text, tone)` reports. */
export function createBulkRetry(api, {toast, onRequeued}) {
  let scope = {status: '', channel: ''};

  $('bulk-preview').addEventListener('click', () => run(true));
  $('bulk-confirm').addEventListener('click', () => run(false));
  $('bulk-limit').addEventListener('input', () => {
    // a new limit needs a new preview before anything is re-queued
    $('bulk-confirm').disabled = true;
  });

  /** Opens for `filters` ({status: '' | 'failed' | 'dead', channel}), described to the operator as `what`. */
  function open(filters, what) {
    scope = {...filters};
    $('bulk-scope').textContent = 'Re-queues every ' + what + ', critical and high priority first, then the oldest. '
      + 'Nothing happens until you confirm.';
    $('bulk-result').replaceChildren();
    $('bulk-confirm').disabled = true;
    $('bulk').showModal();
    run(true);
  }

  async function run(dryRun) {
    const limit = Math.trunc(Number($('bulk-limit').value));
    if (!(limit >= 1 && limit <= 10000)) {
      $('bulk-result').replaceChildren(h('p', {class: 'error-text', text: 'At most: a whole number from 1 to 10,000.'}));
      return;
    }
    const body = {dryRun, limit};
    if (scope.status) {
      body.status = scope.status;
    }
    if (scope.channel) {
      body.channel = scope.channel;
    }
    $('bulk-confirm').disabled = true;
    $('bulk-preview').disabled = true;
    $('bulk-result').replaceChildren(h('p', {class: 'muted', text: dryRun ? 'Finding the deliveries…' : 'Re-queueing…'}));
    try {
      const answer = obj(await api.post('/v1/deliveries/retry', body));
      const rows = arr(answer.deliveries).map(obj).filter(d => str(d.id));
      const n = num(answer.count) ?? rows.length;
      if (dryRun) {
        $('bulk-result').replaceChildren(
          h('p', {class: 'bulk-count', data: {count: n}},
            n ? h('b', {text: count(n) + (n === 1 ? ' delivery' : ' deliveries')}) : 'No delivery',
            n ? ' would be re-queued' + (n >= limit ? ' (the limit; more may match)' : '') + '.' : ' matches: nothing to re-queue.'),
          n ? preview(rows) : null);
        $('bulk-confirm').textContent = 'Re-queue ' + count(n);
        $('bulk-confirm').disabled = n === 0;
      } else {
        $('bulk').close();
        toast(`Re-queued ${count(n)} ${n === 1 ? 'delivery' : 'deliveries'}: they are being sent now`
          + (scope.status ? `, so they leave the ${scope.status} list (pick "all" to follow them).` : '.'), 'good');
        onRequeued(rows);
      }
    } catch (e) {
      if (!e.auth) {
        $('bulk-result').replaceChildren(h('p', {class: 'error-text', text: 'The gateway refused: ' + e.message}));
      }
    } finally {
      $('bulk-preview').disabled = false;
    }
  }

  function preview(rows) {
    const shown = rows.slice(0, PREVIEW_ROWS);
    return h('div', {class: 'bulk-preview'},
      h('table', {class: 'grid-table compact'},
        h('thead', {}, h('tr', {}, ...['status', 'channel', 'recipient', 'attempts', 'last error'].map(t => h('th', {text: t})))),
        h('tbody', {}, shown.map(d => h('tr', {data: {deliveryId: d.id}},
          h('td', {}, statusBadge(str(d.status))), h('td', {text: str(d.channel) ?? DASH}), h('td', {text: str(d.recipient) ?? DASH}),
          h('td', {class: 'num', text: count(d.attempts)}), h('td', {class: 'error-text clamp', text: str(d.lastError) ?? ''}))))),
      rows.length > shown.length ? h('p', {class: 'muted', text: `and ${count(rows.length - shown.length)} more`}) : null);
  }

  return {open};
}
