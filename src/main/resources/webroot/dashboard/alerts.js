// The alerts view: what the health monitor raised, active or resolved, newest first. A gateway
// without GET /v1/alerts (404) says so instead of failing.

import {alertCard} from './overview.js';
import {arr, h, obj} from './dom.js';

const $ = id => document.getElementById(id);
const FILTERS = ['active', 'resolved', 'all'];

export function createAlerts(api) {
  let status = 'active';
  let seq = 0;
  const bar = $('alert-filter');
  bar.replaceChildren(...FILTERS.map(f => h('button', {type: 'button', class: 'seg', data: {alertFilter: f}, text: f,
    onclick: () => {
      status = f;
      load();
    }})));

  async function load() {
    const mine = ++seq;
    for (const b of bar.querySelectorAll('button')) {
      const on = b.dataset.alertFilter === status;
      b.classList.toggle('on', on);
      b.setAttribute('aria-pressed', String(on));
    }
    const host = $('alerts-list');
    host.classList.add('loading');
    try {
      const answer = obj(await api.get('/v1/alerts?status=' + status + '&limit=100'));
      if (mine !== seq) {
        return;
      }
      const items = arr(answer.items).map(obj);
      host.replaceChildren(...(items.length ? items.map(alertCard) : [h('p', {class: 'empty', text: status === 'active'
        ? 'No active alerts: nothing the health monitor watches is wrong right now.'
        : 'No ' + (status === 'all' ? '' : status + ' ') + 'alerts recorded yet.'})]));
    } catch (e) {
      if (mine === seq && !e.auth) {
        host.replaceChildren(h('p', {class: 'empty' + (e.status === 404 ? '' : ' error-text'), text: e.status === 404
          ? 'Alerts are not available on this gateway version (it has no GET /v1/alerts).'
          : 'Could not load the alerts: ' + e.message}));
      }
    } finally {
      if (mine === seq) {
        host.classList.remove('loading');
      }
    }
  }

  return {show: load};
}
