// Loads the dashboard in Debian's headless Chromium (driven by playwright-core from tests/peers)
// and checks what a person would look at: the chart with its price and SMA lines and at least one
// BUY/SELL marker, the candle view (bars drawn in the up/down colours as the API gives them, BUY/
// SELL markers, the OHLCV read-out, an interval switch that asks the API again, zoom and pan that
// move the visible range, live bars), alert rows, a status panel with numbers that a live `status` event updates,
// and the SQL box (rows for a SELECT, the API's error for a statement that would write). Any
// console error, page error or failed request fails the run, except the one 4xx the script asks
// for on purpose.
//
//   node dashboard.mjs <dashboard url> <screenshot.png> <symbol with a signal>
//
// Exit 0 when everything holds; otherwise 1 with the reason on stderr. The screenshot is written
// either way (when the page got that far), so a failure can be looked at.
import fs from 'node:fs';
import {createRequire} from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const peers = process.env.STOCKPIPE_PEERS_DIR || path.resolve(here, '../../peers');
const require = createRequire(path.join(peers, 'package.json'));

const [url, screenshot, symbol] = process.argv.slice(2);
if (!url || !screenshot || !symbol) {
  console.error('usage: node dashboard.mjs <dashboard url> <screenshot.png> <symbol>');
  process.exit(2);
}
const chromiumPath = process.env.STOCKPIPE_CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(chromiumPath)) {
  console.error(`no Chromium at ${chromiumPath}: install Debian's chromium (scripts/setup.sh)`);
  process.exit(1);
}
let chromium;
try {
  ({chromium} = require('playwright-core'));
} catch (e) {
  console.error(
      `playwright-core is not installed in ${peers} (run scripts/setup.sh): ${e.message}`);
  process.exit(1);
}

const TIMEOUT_MS =
    15000;  // per wait: each condition holds within a second or two on a live pipeline

class Check extends Error {}
function check(condition, message) {
  if (!condition) throw new Check(message);
}

const problems = [];         // console errors, page errors, failed requests
let expectErrorFrom = null;  // the path of the one request meant to fail

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'stockpipe-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'
  ],
  viewport: {width: 1280, height: 900},
  timeout: 30000,
});
const page = context.pages()[0] || (await context.newPage());
page.setDefaultTimeout(TIMEOUT_MS);

const expected = (u) => expectErrorFrom !== null && new URL(u).pathname === expectErrorFrom;
page.on('console', (msg) => {
  if (msg.type() !== 'error') return;
  if (expected(msg.location().url || '')) return;
  problems.push(`console error: ${msg.text()} (${msg.location().url || 'no url'})`);
});
page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
page.on('requestfailed', (req) => {
  const failure = req.failure() ? req.failure().errorText : '';
  // The EventSource is cut when the page closes: not a failure of the page.
  if (req.url().endsWith('/api/events') && failure === 'net::ERR_ABORTED') return;
  problems.push(`request failed: ${req.method()} ${req.url()} ${failure}`);
});
let seriesFrom = 0;  // incremental series fetches the page made
const candleRequests = [];  // the query strings of /api/candles requests
page.on('request', (req) => {
  const u = new URL(req.url());
  if (u.pathname === '/api/series' && u.searchParams.has('from')) seriesFrom += 1;
  if (u.pathname === '/api/candles') candleRequests.push(u.searchParams);
});
page.on('response', (res) => {
  if (res.status() >= 400 && !expected(res.url())) {
    problems.push(`HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
  }
});

const report = {};
let failed = null;
try {
  await page.goto(url, {waitUntil: 'load'});

  // The picker lists the symbols; pick the one the pipeline gave a signal.
  await page.waitForFunction(
      (s) => [...document.querySelectorAll('#symbol option')].some((o) => o.value === s), symbol);
  await page.selectOption('#symbol', symbol);
  await page.waitForFunction((s) => document.querySelector('#symbol').value === s, symbol);

  // The chart: a drawn price line and SMA line, and markers inside the plot (measured in one
  // look, as a live update may redraw between two).
  await page.locator('svg#chart path.price-line').waitFor({state: 'visible'});
  await page.locator('svg#chart path.sma-line').waitFor({state: 'visible'});
  const lines = await page.evaluate(() => {
    const box = (sel) => {
      const e = document.querySelector(sel);
      if (!e) return null;
      const r = e.getBoundingClientRect();
      return {x: r.x, y: r.y, width: r.width, height: r.height, d: e.getAttribute('d') || ''};
    };
    return {
      chart: box('svg#chart'),
      price: box('svg#chart path.price-line'),
      sma: box('svg#chart path.sma-line')
    };
  });
  const {price, sma} = lines;
  check(
      price && price.width > 0 && price.height > 0,
      `price line has no extent: ${JSON.stringify(price)}`);
  check((price.d.match(/L/g) || []).length >= 2, `price path has fewer than 3 points: ${price.d}`);
  check(sma && sma.width > 0 && sma.d.includes('L'), `SMA line is empty: ${JSON.stringify(sma)}`);
  check(
      price.x >= lines.chart.x && price.x + price.width <= lines.chart.x + lines.chart.width + 1,
      `price line outside the chart: ${JSON.stringify(lines)}`);

  const marker = page.locator('svg#chart .marker').first();
  await marker.waitFor({state: 'visible'});
  const chartBox = await page.locator('svg#chart').boundingBox();
  const markers = await page.locator('svg#chart .marker').evaluateAll((els) => els.map((e) => {
    const r = e.getBoundingClientRect();
    return {
      cls: e.getAttribute('class'),
      ms: Number(e.dataset.ms),
      price: Number(e.dataset.price),
      x: r.x + r.width / 2,
      y: r.y,
      w: r.width,
      h: r.height,
      title: (e.querySelector('title') || {}).textContent || ''
    };
  }));
  check(markers.length >= 1, 'no signal marker in the chart');
  for (const m of markers) {
    check(/\b(buy|sell)\b/.test(m.cls), `marker without buy/sell class: ${m.cls}`);
    check(
        Number.isFinite(m.ms) && m.ms > 0 && Number.isFinite(m.price) && m.price > 0,
        `marker without data-ms/data-price: ${JSON.stringify(m)}`);
    check(
        m.w > 0 && m.h > 0 && m.x >= chartBox.x && m.x <= chartBox.x + chartBox.width &&
            m.y >= chartBox.y - 12 && m.y <= chartBox.y + chartBox.height + 12,
        `marker outside the chart: ${JSON.stringify(m)} vs ${JSON.stringify(chartBox)}`);
    check(/BUY|SELL/.test(m.title), `marker tooltip does not name the action: ${m.title}`);
  }
  report.markers = markers.length;
  report.points = (price.d.match(/L/g) || []).length + 1;
  check(
      (await page.locator('svg#chart text.tick.x').count()) >= 2,
      'time axis has fewer than 2 labels');
  check(
      (await page.locator('svg#chart text.tick.y').count()) >= 2,
      'price axis has fewer than 2 labels');

  // Live: a `series` event makes the page fetch only what is newer (`from=`) and append it (the
  // first load fetches the whole window, so a `from=` request comes from an event); the points
  // drawn are then exactly the API's points over the same span (none twice, none lost).
  const drawn = () => page.locator('svg#chart').evaluate((e) => ({...e.dataset}));
  const before = await drawn();
  await page.waitForFunction(
      (ms) => Number(document.querySelector('svg#chart').dataset.newestMs) > ms,
      Number(before.newestMs));
  check(seriesFrom > 0, 'the chart grew without an incremental /api/series?from= request');
  const after = await drawn();
  // `to` is inclusive but the API keeps microseconds: the newest point lies within its ms.
  const span = await page.request.get(
      new URL(
          `/api/series?symbol=${encodeURIComponent(symbol)}&from=${after.oldestMs}` +
              `&to=${Number(after.newestMs) + 1}&limit=50000`,
          url)
          .href);
  check(span.ok(), `/api/series over the drawn span: HTTP ${span.status()}`);
  const expectedPoints = (await span.json()).points.length;
  check(
      Number(after.points) === expectedPoints,
      `chart holds ${after.points} points, the API has ${expectedPoints} over the same span`);
  report.live_points = `${before.points} -> ${after.points}`;

  // Candles: the toggle shows the canvas; the run keeps bars at 1s, 5s and 1m
  // (CANDLE_INTERVALS), so a few seconds of ticks make enough bars to look at.
  await page.click('#view-candles');
  check(
      (await page.getAttribute('#view-candles', 'aria-pressed')) === 'true',
      'the Candles button is not pressed');
  check(await page.locator('svg#chart').isHidden(), 'the line chart is still shown');
  const canvas = page.locator('canvas#candles');
  await canvas.waitFor({state: 'visible'});
  await page.waitForFunction(
      () => Number(document.querySelector('canvas#candles').dataset.candles) >= 15, null,
      {timeout: 30000});
  const shown = await canvas.evaluate((e) => ({...e.dataset, label: e.getAttribute('aria-label')}));
  check(shown.interval === '1s', `default interval ${shown.interval}, not the shortest kept (1s)`);
  check(
      shown.label.startsWith(`${shown.candles} candles, 1s, ${symbol}`),
      `canvas label: ${shown.label}`);
  const options = await page.locator('#interval option').evaluateAll((os) => os.map((o) => o.value));
  check(options.join(',') === '1s,5s,1m', `interval options ${options}`);
  // The bars held are the API's up to the newest one drawn.
  const api = async (q) => {
    const r = await page.request.get(new URL(`/api/candles?${q}`, url).href);
    check(r.ok(), `/api/candles?${q}: HTTP ${r.status()}`);
    return r.json();
  };
  const held = await api(
      `symbol=${encodeURIComponent(symbol)}&interval=1s&limit=10000&to=${shown.newestMs}`);
  check(
      held.candles.length === Number(shown.candles),
      `chart holds ${shown.candles} bars, the API has ${held.candles.length}`);
  // Pixels: the visible bars' bodies in the up and down colours, each where the API has one.
  const first = Number(shown.firstMs);
  const last = Number(shown.lastMs);
  const visible = held.candles.filter((c) => c.ms >= first && c.ms <= last);
  const ups = visible.filter((c) => c.close >= c.open).length;
  const downs = visible.length - ups;
  const pixels = await canvas.evaluate((e) => {
    const css = getComputedStyle(e);
    const rgb = (name) => {
      const probe = document.createElement('span');
      probe.style.color = css.getPropertyValue(name);
      document.body.append(probe);
      const m = getComputedStyle(probe).color.match(/\d+/g).map(Number);
      probe.remove();
      return m;
    };
    const up = rgb('--candle-up');
    const down = rgb('--candle-down');
    const data = e.getContext('2d').getImageData(0, 0, e.width, e.height).data;
    const near = (i, c) => Math.abs(data[i] - c[0]) + Math.abs(data[i + 1] - c[1]) +
            Math.abs(data[i + 2] - c[2]) <= 6 && data[i + 3] > 250;
    let u = 0;
    let d = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (near(i, up)) u += 1;
      else if (near(i, down)) d += 1;
    }
    return {up: u, down: d};
  });
  check(
      (ups === 0 || pixels.up > 20) && (downs === 0 || pixels.down > 20),
      `candle pixels ${JSON.stringify(pixels)} for ${ups} up and ${downs} down bars`);
  report.candles = `${shown.candles} (${visible.length} visible: ${ups} up, ${downs} down)`;

  // Live: the newest bar moves on as ticks arrive.
  await page.waitForFunction(
      (ms) => Number(document.querySelector('canvas#candles').dataset.newestMs) > ms,
      Number(shown.newestMs));

  // The crosshair read-out names the bar's OHLCV.
  const box = await canvas.boundingBox();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.4);
  await page.locator('#candle-tip').waitFor({state: 'visible'});
  const tipText = await page.locator('#candle-tip').textContent();
  check(/O .+H .+\nL .+C .+\nV /.test(tipText), `crosshair read-out: ${JSON.stringify(tipText)}`);

  // Zoom out to every bar: the rule's signals show as markers.
  for (let i = 0; i < 30; i++) await page.mouse.wheel(0, 400);
  await page.waitForFunction(() => {
    const d = document.querySelector('canvas#candles').dataset;
    return Number(d.visible) >= Number(d.candles) - 1 && Number(d.markers) > 0;
  });
  report.candle_markers = Number(await canvas.getAttribute('data-markers'));

  // Zoom in (wheel) shows fewer bars; a drag to the right then shows older ones.
  const wide = await canvas.evaluate((e) => ({...e.dataset}));
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 3);
  for (let i = 0; i < 15; i++) await page.mouse.wheel(0, -400);
  await page.waitForFunction(
      (n) => Number(document.querySelector('canvas#candles').dataset.visible) < n,
      Number(wide.visible));
  const zoomed = await canvas.evaluate((e) => ({...e.dataset}));
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 300, box.y + box.height / 3, {steps: 5});
  await page.mouse.up();
  const panned = await canvas.evaluate((e) => ({...e.dataset}));
  check(
      Number(panned.firstMs) < Number(zoomed.firstMs) &&
          Number(panned.lastMs) < Number(zoomed.lastMs),
      `drag did not pan to older bars: ${JSON.stringify({zoomed, panned})}`);
  report.zoom = `${wide.visible} -> ${zoomed.visible} bars visible, panned back ` +
      `${(Number(zoomed.firstMs) - Number(panned.firstMs)) / 1000} s`;

  // Another interval: a new request for it, and its bars drawn.
  const before5s = candleRequests.length;
  await Promise.all([
    page.waitForRequest((r) => {
      const u = new URL(r.url());
      return u.pathname === '/api/candles' && u.searchParams.get('interval') === '5s';
    }),
    page.selectOption('#interval', '5s'),
  ]);
  await page.waitForFunction(() => {
    const e = document.querySelector('canvas#candles');
    return e.dataset.interval === '5s' && Number(e.dataset.candles) > 0 &&
        e.getAttribute('aria-label').includes(' candles, 5s, ');
  });
  check(candleRequests.length > before5s, 'no /api/candles request for 5s');
  check(
      candleRequests.slice(before5s).every((q) => q.get('symbol') === symbol),
      'the 5s request is for another symbol');

  // Alerts: at least one row with a subject.
  await page.locator('#alerts tbody tr').first().waitFor({state: 'visible'});
  const subjects = await page.locator('#alerts tbody tr td.subject').allTextContents();
  check(
      subjects.some((s) => s.trim().length > 0),
      `no alert row with a subject: ${JSON.stringify(subjects)}`);
  report.alert_rows = subjects.length;
  report.first_subject = subjects[0];

  // Status: numbers in the panel, and a later `status` event (SSE) updating it.
  await page.waitForFunction(
      () => /\d/.test(document.querySelector('#status [data-field="received"]').textContent));
  const received = (await page.locator('#status [data-field="received"]').textContent()).trim();
  check(/^[\d.,\s\u00a0\u202f]+$/.test(received), `received is not a number: ${received}`);
  const firstUpdate = Number(await page.locator('#status').getAttribute('data-updates'));
  await page.waitForFunction((n) => {
    const s = document.querySelector('#status');
    return s.dataset.source === 'sse' && Number(s.dataset.updates) > n;
  }, firstUpdate);
  for (const f of ['accepted', 'rejected_total', 'lag_records', 'clean_rows']) {
    const text = (await page.locator(`#status [data-field="${f}"]`).textContent()).trim();
    check(/\d/.test(text), `status field ${f} shows no number: ${text}`);
  }
  check(
      (await page.locator('#live').textContent()).trim() === 'live',
      'live indicator is not "live"');
  report.received = received;
  report.channels = await page.locator('#channels tbody tr').count();

  // SQL: an example query gives rows ...
  await page.locator('#sql-examples button.example').first().click();
  await page.waitForFunction(() => Number(document.querySelector('#sql-result').dataset.rows) > 0);
  const columns = await page.locator('#sql-result thead th').allTextContents();
  check(columns.includes('symbol'), `SQL result columns: ${JSON.stringify(columns)}`);
  const cells = await page.locator('#sql-result tbody tr').first().locator('td').allTextContents();
  check(
      cells.length === columns.length && cells[0].trim().length > 0,
      `first SQL row: ${JSON.stringify(cells)}`);
  report.sql_rows = await page.locator('#sql-result tbody tr').count();
  check(await page.locator('#sql-error').isHidden(), 'SQL error shown for a good query');

  // ... and a statement that would write is refused with a 4xx whose JSON error the box shows
  // as it came, with no rows left.
  expectErrorFrom = '/api/query';
  await page.fill('#sql', 'DELETE FROM stock_raw_db.raw');
  const [refusal] = await Promise.all([
    page.waitForResponse(
        (r) => new URL(r.url()).pathname === '/api/query' && r.request().method() === 'POST'),
    page.click('#sql-run'),
  ]);
  check(refusal.status() >= 400 && refusal.status() < 500, `DELETE answered ${refusal.status()}`);
  const refused = await refusal.json();
  await page.locator('#sql-error').waitFor({state: 'visible'});
  const sqlError = (await page.locator('#sql-error').textContent()).trim();
  check(
      refused.error && sqlError === `${refused.error}: ${refused.message}`,
      `SQL box shows "${sqlError}", the API said ${JSON.stringify(refused)}`);
  check(
      (await page.locator('#sql-result tbody tr').count()) === 0,
      'rows left after a refused query');
  report.sql_error = sqlError;
  expectErrorFrom = null;
  await page.fill('#sql', 'SELECT symbol, COUNT(*) AS n FROM stock_raw_db.raw GROUP BY symbol');
  await page.click('#sql-run');
  await page.waitForFunction(() => Number(document.querySelector('#sql-result').dataset.rows) > 0);

  check(problems.length === 0, problems.join('\n'));
} catch (e) {
  failed = e instanceof Check ? e.message : `${e.message}`;
} finally {
  try {
    fs.mkdirSync(path.dirname(screenshot), {recursive: true});
    await page.screenshot({path: screenshot, fullPage: true});
  } catch (e) {
    failed = failed || `screenshot: ${e.message}`;
  }
  await context.close();
  fs.rmSync(profile, {recursive: true, force: true});
}

if (failed) {
  console.error(`dashboard check failed: ${failed}`);
  if (problems.length) console.error(`also seen:\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(JSON.stringify(report));
