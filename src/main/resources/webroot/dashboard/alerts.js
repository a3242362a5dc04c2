// The alerts view: what the health monitor raised, active or resolved, newest first. A gateway
// without GET /v1/alerts (404) says so instead of failing. While it is on screen it follows the
// dashboard's refresh; an answer that changed nothing leaves the page as it is.

import {alertCard} from './overview.js';
import {arr, h, obj} from './dom.js';

const $ = id => document.getElementById(id);
const FILTERS = ['active', 'resolved', 'all'];

export function createAlerts(api) {
  let status = 'active';
  let seq = 0;
  let loading = false;
  let shown = null; // what the list shows now, to leave an unchanged answer alone
  const bar = $('alert-filter');
  bar.replaceChildren(...FILTERS.map(f => h('button', {type: 'button', class: 'seg', data: {alertFilter: f}, text: f,
    onclick: () => {
      status = f;
      load();
    }})));

  /** Lists the alerts; `background` (the refresh loop) does nothing while a load runs and shows no "loading". */
  async function load({background = false} = {}) {
    if (background && loading) {
      return;
    }
    const mine = ++seq;
    loading = true;
    for (const b of bar.querySelectorAll('button')) {
      const on = b.dataset.alertFilter === status;
      b.classList.toggle('on', on);
      b.setAttribute('aria-pressed', String(on));
    }
    const host = $('alerts-list');
    if (!background) {
      host.classList.add('loading');
    }
    try {
      const answer = obj(await api.get('/v1/alerts?status=' + status + '&limit=100'));
      if (mine !== seq) {
        return;
      }
      const items = arr(answer.items).map(obj);
      // redrawn when something changed, and every half minute for the "since" and "last seen" ages
      draw(JSON.stringify([status, items, Math.floor(Date.now() / 30_000)]), () => items.length ? items.map(alertCard) : [h('p', {class: 'empty', text: status === 'active'
        ? 'No active alerts: nothing the health monitor watches is wrong right now.'
        : 'No ' + (status === 'all' ? '' : status + ' ') + 'alerts recorded yet.'})]);
    } catch (e) {
      if (mine === seq && !e.auth) {
        if (e.status === 404) {
          draw('404', () => [h('p', {class: 'empty', text: 'Alerts are not available on this gateway version (it has no GET /v1/alerts).'})]);
        } else if (!background || shown == null) {
          draw('error', () => [h('p', {class: 'empty error-text', text: 'Could not load the alerts: ' + e.message})]);
        }
        // a background refresh that failed keeps the last list: the top bar already says the gateway is not answering
      }
    } finally {
      if (mine === seq) {
        loading = false;
        host.classList.remove('loading');
      }
    }
  }

  function draw(key, nodes) {
    if (key !== shown) {
      shown = key;
      $('alerts-list').replaceChildren(...nodes());
    }
  }

  return {show: () => load(), refresh: load};
}
