// The stockpipe dashboard's script: the symbol picker, the SVG price chart (price, SMA, BUY/SELL
// markers) or the candlestick chart (candles.js, toggled "Line | Candles"), the pipeline status panel, the recent alerts and the read-only SQL box, kept live by
// one EventSource on /api/events. The API is docs/dashboard.md.
//
// It runs under `Content-Security-Policy: default-src 'self'`: no inline code or styles, no eval,
// nothing fetched from another origin. Every string from the server reaches the page through
// textContent or an attribute, never as HTML.
'use strict';

(() => {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const MAX_POINTS = 5000;  // what the chart keeps while appending live points
  const CANDLE_LIMIT = 2000;    // bars a symbol's candle view loads (zoom out to all of them)
  const MAX_CANDLES = 10000;    // what the candle view keeps while appending live bars
  const MAX_ALERT_ROWS = 200;
  const EXAMPLES = [
    [
      'Max price per symbol',
      'SELECT symbol, MAX(price) AS max_price FROM stock_raw_db.raw GROUP BY symbol'
    ],
    [
      'Rows per symbol',
      'SELECT symbol, COUNT(*) AS n, MIN(timestamp) AS first, MAX(timestamp) AS last FROM stock_raw_db.raw GROUP BY symbol ORDER BY symbol'
    ],
    [
      'Newest ticks',
      'SELECT symbol, timestamp, price FROM stock_raw_db.raw ORDER BY timestamp DESC LIMIT 20'
    ],
    [
      'Rejected by reason',
      'SELECT reason, COUNT(*) AS n FROM stock_raw_db.rejected GROUP BY reason'
    ],
  ];

  const $ = (selector, root = document) => root.querySelector(selector);

  // ---- formatting --------------------------------------------------------------------------

  const intFmt = new Intl.NumberFormat(undefined, {maximumFractionDigits: 0});
  const rateFmt = new Intl.NumberFormat(undefined, {maximumFractionDigits: 1});
  const secFmt = new Intl.NumberFormat(undefined, {maximumFractionDigits: 2});

  function fmtInt(v) {
    return typeof v === 'number' && Number.isFinite(v) ? intFmt.format(v) : '—';
  }
  function count(n, noun) { return `${fmtInt(n)} ${noun}${n === 1 ? '' : 's'}`; }
  function fmtPrice(v) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
    const digits = Math.abs(v) < 1 ? 4 : 2;
    return v.toLocaleString(
        undefined, {minimumFractionDigits: digits, maximumFractionDigits: digits});
  }
  function fmtCell(v) {
    if (v === null || v === undefined) return 'NULL';
    if (typeof v === 'number') return v.toLocaleString(undefined, {maximumFractionDigits: 6});
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }
  // A time the API gives as epoch ms or text: local time to read, UTC for the tooltip.
  function toDate(v) {
    if (v === null || v === undefined || v === '') return null;
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  function fmtLocal(d) {
    return d ? d.toLocaleString(undefined, {dateStyle: 'short', timeStyle: 'medium'}) : '—';
  }
  // Today's times without the date, to keep table columns narrow.
  function fmtLocalShort(d) {
    if (!d) return '—';
    return d.toDateString() === new Date().toDateString() ?
        d.toLocaleTimeString(undefined, {timeStyle: 'medium'}) :
        fmtLocal(d);
  }
  function utcTitle(d) { return d ? d.toISOString().replace('.000Z', 'Z') + ' (UTC)' : ''; }
  function setTime(el, value, short = false) {
    const d = toDate(value);
    el.textContent = short ? fmtLocalShort(d) : fmtLocal(d);
    el.title = utcTitle(d);
    if (el.tagName === 'TIME' && d) el.dateTime = d.toISOString();
  }
  function el(tag, props = {}, children = []) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === 'text')
        e.textContent = v;
      else if (k === 'class')
        e.className = v;
      else
        e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  }
  function svg(tag, attrs = {}) {
    const e = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    return e;
  }

  // ---- API ----------------------------------------------------------------------------------

  // The JSON answer, or an Error whose message is the API's own ({"error","message"}).
  async function api(path, init) {
    let res;
    try {
      res = await fetch(path, Object.assign({cache: 'no-store', credentials: 'same-origin'}, init));
    } catch (e) {
      throw new Error(`cannot reach the server (${e.message})`);
    }
    let body = null;
    try {
      body = await res.json();
    } catch (_) {
      body = null;
    }
    if (!res.ok) {
      const err = new Error(body && body.message ? body.message : `HTTP ${res.status}`);
      err.status = res.status;
      err.code = body && body.error ? body.error : '';
      throw err;
    }
    if (body === null) throw new Error(`${path}: the answer is not JSON`);
    return body;
  }

  // ---- symbols and the chart ----------------------------------------------------------------

  const chart = {
    symbol: '',
    points: [],  // [[ms, price]], oldest first
    sma: [],
    signals: [],  // {ms, time, action, price, reason, alerted}
    smaWindow: null,
    rule: '',
    loading: null,  // the fetch in flight, so live updates queue behind it
    again: false,
  };
  let symbols = [];

  function renderSymbolInfo() {
    const info = $('#symbol-info');
    const s = symbols.find((x) => x.symbol === chart.symbol);
    if (!s) {
      info.textContent = '';
      return;
    }
    const last = chart.points.length ? chart.points[chart.points.length - 1][1] : s.last_price;
    info.textContent =
        `last ${fmtPrice(last)} · ${fmtInt(s.rows)} rows · newest ${fmtLocal(toDate(s.newest_ms))}`;
    info.title = s.rule || '';
  }

  // Fills the picker; true when that switched the chart to a symbol (and so loaded its series).
  async function loadSymbols() {
    const doc = await api('/api/symbols');
    symbols = Array.isArray(doc.symbols) ? doc.symbols : [];
    const select = $('#symbol');
    const wanted = chart.symbol || new URLSearchParams(location.hash.slice(1)).get('symbol') || '';
    select.replaceChildren(...symbols.map((s) => el('option', {value: s.symbol, text: s.symbol})));
    const names = symbols.map((s) => s.symbol);
    const pick = names.includes(wanted) ? wanted : names[0] || '';
    select.value = pick;
    if (!pick) renderChart();
    if (pick && pick !== chart.symbol) {
      await showSymbol(pick);
      return true;
    }
    renderSymbolInfo();
    return false;
  }

  async function showSymbol(symbol) {
    chart.symbol = symbol;
    chart.points = [];
    chart.sma = [];
    chart.signals = [];
    candleView.shown = '';
    writeHash();
    await Promise.all([refreshSeries(true), refreshCandles(true)]);
  }

  // ---- the candle view ----------------------------------------------------------------------

  const candleView = {
    on: false,       // "Candles" picked over "Line"
    interval: '',    // '' until the API named the shortest kept
    intervals: [],
    shown: '',       // `${symbol}/${interval}` of the bars the chart holds
    loading: null,
    again: false,
  };
  let candleChart = null;

  function writeHash() {
    if (!chart.symbol) return;  // the picker has not read the hash yet
    const q = new URLSearchParams({symbol: chart.symbol});
    if (candleView.on) q.set('view', 'candles');
    if (candleView.on && candleView.interval) q.set('interval', candleView.interval);
    history.replaceState(null, '', `#${q}`);
  }

  function setView(candles) {
    candleView.on = candles;
    $('#view-line').setAttribute('aria-pressed', String(!candles));
    $('#view-candles').setAttribute('aria-pressed', String(candles));
    $('#chart-box').hidden = candles;
    $('#candle-box').hidden = !candles;
    $('#interval-picker').hidden = !candles;
    $('#chart-title').textContent = candles ? 'Candles' : 'Price';
    for (const e of document.querySelectorAll('#legend .line-only')) e.hidden = candles;
    for (const e of document.querySelectorAll('#legend .candles-only')) e.hidden = !candles;
    writeHash();
    if (candles) {
      candleChart.draw();
      refreshCandles(candleView.shown !== `${chart.symbol}/${candleView.interval}`);
    } else {
      renderChart();
    }
  }

  // Loads the bars of the shown symbol and interval (`full`), or the newest bar again and any
  // newer (a live update), and merges; as refreshSeries, calls meanwhile collapse into one more.
  async function refreshCandles(full = false) {
    if (!candleView.on || !chart.symbol) return undefined;
    if (candleView.loading) {
      if (full)
        candleView.again = 'full';
      else if (!candleView.again)
        candleView.again = 'newer';
      return candleView.loading;
    }
    const symbol = chart.symbol;
    const interval = candleView.interval;
    candleView.loading = (async () => {
      try {
        const key = `${symbol}/${interval}`;
        const newest = full || candleView.shown !== key ? null : candleChart.newestMs();
        const q = new URLSearchParams({symbol, limit: String(CANDLE_LIMIT)});
        if (interval) q.set('interval', interval);
        if (newest !== null) q.set('from', String(newest));
        const doc = await api(`/api/candles?${q}`);
        if (symbol !== chart.symbol || interval !== candleView.interval) return;
        fillIntervals(doc.intervals || [], doc.interval);
        const shownKey = `${symbol}/${doc.interval}`;
        const reset = candleView.shown !== shownKey;
        let bars = doc.candles || [];
        let signals = doc.signals || [];
        if (newest !== null && bars.length < CANDLE_LIMIT) {
          // `from` is the newest bar shown: it comes again, updated, with any newer ones.
          const first = bars.length ? bars[0].ms : Infinity;
          bars = candleChart.candles().filter((b) => b.ms < first).concat(bars);
          const seen = new Set(signals.map((x) => `${x.ms}/${x.action}`));
          signals = candleChart.signals()
                        .filter((x) => !seen.has(`${x.ms}/${x.action}`))
                        .concat(signals);
        }
        if (bars.length > MAX_CANDLES) bars = bars.slice(-MAX_CANDLES);
        const oldest = bars.length ? bars[0].ms : Infinity;
        signals = signals.filter((x) => x.bar_ms >= oldest);
        candleChart.set({symbol, interval: doc.interval, candles: bars, signals}, reset);
        candleView.shown = shownKey;
        $('#legend-note').textContent = bars.length ?
            `${fmtInt(bars.length)} candles (${doc.interval}), ${fmtInt(signals.length)} signals` :
            '';
        $('#candles-empty').hidden = bars.length > 0;
        $('#chart-panel').classList.remove('failed');
      } catch (e) {
        $('#chart-panel').classList.add('failed');
        $('#legend-note').textContent = `could not load the candles: ${e.message}`;
        // An interval from an old link that is no longer kept: fall back to the shortest one.
        if (e.status === 400 && interval && candleView.interval === interval) {
          candleView.interval = '';
          candleView.again = 'full';
        }
      } finally {
        candleView.loading = null;
      }
      if (candleView.again) {
        const f = candleView.again === 'full';
        candleView.again = false;
        await refreshCandles(f);
      }
    })();
    return candleView.loading;
  }

  function fillIntervals(names, current) {
    const select = $('#interval');
    if (names.join(',') !== candleView.intervals.join(',')) {
      candleView.intervals = names;
      select.replaceChildren(...names.map((n) => el('option', {value: n, text: n})));
    }
    select.value = current;
    if (candleView.interval !== current) {
      candleView.interval = current;
      writeHash();
    }
  }

  // Fetches the whole window (`full`) or what is newer than the newest point shown, and merges.
  // Calls that arrive while one is running collapse into one more call after it.
  async function refreshSeries(full = false) {
    if (chart.loading) {
      if (full)
        chart.again = 'full';
      else if (!chart.again)
        chart.again = 'newer';
      return chart.loading;
    }
    const symbol = chart.symbol;
    if (!symbol) return undefined;
    chart.loading = (async () => {
      try {
        const newest = chart.points.length ? chart.points[chart.points.length - 1][0] : null;
        const incremental = !full && newest !== null;
        const q = new URLSearchParams({symbol});
        if (incremental) q.set('from', String(newest));
        const doc = await api(`/api/series?${q}`);
        if (symbol !== chart.symbol) return;  // the user picked another symbol meanwhile
        chart.smaWindow = doc.sma_window ?? null;
        chart.rule = doc.rule || '';
        if (incremental && !doc.truncated) {
          merge(doc);
        } else {
          chart.points = doc.points || [];
          chart.sma = doc.sma || [];
          chart.signals = doc.signals || [];
        }
        trim();
        renderChart();
        renderSymbolInfo();
        $('#chart-panel').classList.remove('failed');
      } catch (e) {
        showChartError(e);
      } finally {
        chart.loading = null;
      }
      if (chart.again) {
        const f = chart.again === 'full';
        chart.again = false;
        await refreshSeries(f);
      }
    })();
    return chart.loading;
  }

  // `from` is inclusive, so the first new point may repeat the newest shown: keyed by ms.
  function mergeByMs(old, fresh) {
    if (!fresh || !fresh.length) return old;
    const first = fresh[0][0];
    const kept = old.filter((p) => p[0] < first);
    return kept.concat(fresh);
  }
  function merge(doc) {
    chart.points = mergeByMs(chart.points, doc.points);
    chart.sma = mergeByMs(chart.sma, doc.sma);
    const seen = new Set(chart.signals.map((s) => `${s.ms}/${s.action}`));
    for (const s of doc.signals || []) {
      const key = `${s.ms}/${s.action}`;
      if (!seen.has(key)) {
        seen.add(key);
        chart.signals.push(s);
      }
    }
  }
  function trim() {
    if (chart.points.length > MAX_POINTS) chart.points = chart.points.slice(-MAX_POINTS);
    const oldest = chart.points.length ? chart.points[0][0] : Infinity;
    chart.sma = chart.sma.filter((p) => p[0] >= oldest);
    chart.signals = chart.signals.filter((s) => s.ms >= oldest);
  }

  function showChartError(e) {
    $('#chart-panel').classList.add('failed');
    $('#legend-note').textContent = `could not load the series: ${e.message}`;
  }

  // Round steps for the price axis: 1, 2 or 5 times a power of ten.
  function niceTicks(lo, hi, count) {
    const span = hi - lo;
    if (!(span > 0)) return [lo];
    const raw = span / count;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
    const ticks = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(t);
    return ticks;
  }

  const SECOND = 1000;
  const MINUTE = 60 * SECOND;
  const HOUR = 60 * MINUTE;
  const DAY = 24 * HOUR;
  const TIME_STEPS = [1, 2, 5, 10, 15, 30]
                         .map((s) => s * SECOND)
                         .concat([1, 2, 5, 10, 15, 30].map((m) => m * MINUTE))
                         .concat([1, 2, 3, 6, 12].map((h) => h * HOUR))
                         .concat([1, 2, 7, 14, 30, 91, 182, 365].map((d) => d * DAY));

  // Ticks on round local times (a minute boundary is a minute boundary where the reader is).
  function timeTicks(lo, hi, count) {
    const span = hi - lo;
    if (!(span > 0)) return {ticks: [lo], step: SECOND};
    const step = TIME_STEPS.find((s) => span / s <= count) || TIME_STEPS[TIME_STEPS.length - 1];
    const offset = -new Date(lo).getTimezoneOffset() * MINUTE;
    const ticks = [];
    for (let t = Math.ceil((lo + offset) / step) * step - offset; t <= hi; t += step) ticks.push(t);
    return {ticks, step};
  }
  function timeLabel(ms, step, span) {
    const d = new Date(ms);
    const opts = step < MINUTE ? {hour: '2-digit', minute: '2-digit', second: '2-digit'} :
                                 {hour: '2-digit', minute: '2-digit'};
    if (step >= DAY) return d.toLocaleDateString(undefined, {month: 'short', day: 'numeric'});
    if (span >= DAY)
      return `${d.toLocaleDateString(undefined, {month: 'short', day: 'numeric'})} ${
          d.toLocaleTimeString(undefined, opts)}`;
    return d.toLocaleTimeString(undefined, opts);
  }

  // The chart's parts are made once and updated in place, so a live update every second keeps
  // the hover read-out and the elements a reader (or a test) is looking at.
  let parts = null;
  let layout = null;  // the scales of the last drawing, for the hover read-out

  function chartParts() {
    if (parts) return parts;
    const root = $('#chart');
    parts = {
      axes: svg('g', {class: 'axes'}),
      price: svg('path', {class: 'price-line'}),
      sma: svg('path', {class: 'sma-line'}),
      hit: svg('rect', {class: 'hit'}),
      markers: svg('g', {class: 'markers'}),
      hover: svg('g', {class: 'hover', visibility: 'hidden'}),
      hoverLine: svg('line'),
      hoverDot: svg('circle', {r: 3.5}),
      hoverText: svg('text'),
    };
    parts.hover.append(parts.hoverLine, parts.hoverDot, parts.hoverText);
    root.replaceChildren(parts.axes, parts.price, parts.sma, parts.hit, parts.markers, parts.hover);
    parts.hit.addEventListener('mousemove', showHover);
    parts.hit.addEventListener(
        'mouseleave', () => parts.hover.setAttribute('visibility', 'hidden'));
    return parts;
  }

  function renderChart() {
    const p = chartParts();
    const box = $('#chart-box');
    const root = $('#chart');
    const width = Math.max(320, Math.round(box.clientWidth || 800));
    const height = width < 600 ? 260 : 360;
    root.setAttribute('viewBox', `0 0 ${width} ${height}`);
    root.setAttribute('width', String(width));
    root.setAttribute('height', String(height));
    $('#legend-sma').textContent = chart.smaWindow ? `SMA ${chart.smaWindow}` : 'SMA';
    if (!candleView.on) {
      $('#legend-note').textContent = chart.points.length ?
        `${fmtInt(chart.points.length)} points, ${fmtInt(chart.signals.length)} signals` :
        '';
    }
    $('#chart-empty').hidden = chart.points.length > 0 || !chart.symbol;
    root.classList.toggle('empty', !chart.points.length);
    // What is drawn, for a reader's tools (and the browser test): the span and the point count.
    root.dataset.symbol = chart.symbol;
    root.dataset.points = String(chart.points.length);
    root.dataset.oldestMs = chart.points.length ? String(chart.points[0][0]) : '';
    root.dataset.newestMs =
        chart.points.length ? String(chart.points[chart.points.length - 1][0]) : '';
    if (!chart.points.length) {
      p.axes.replaceChildren();
      p.markers.replaceChildren();
      p.price.removeAttribute('d');
      p.sma.removeAttribute('d');
      layout = null;
      return;
    }

    const m = {left: 64, right: 16, top: 14, bottom: 30};
    const pw = width - m.left - m.right;
    const ph = height - m.top - m.bottom;
    const x0 = chart.points[0][0];
    const x1 = chart.points[chart.points.length - 1][0];
    let lo = Infinity;
    let hi = -Infinity;
    for (const series of [chart.points, chart.sma]) {
      for (const [, v] of series) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    for (const s of chart.signals) {
      lo = Math.min(lo, s.price);
      hi = Math.max(hi, s.price);
    }
    const pad = (hi - lo) * 0.06 || Math.abs(hi) * 0.01 || 1;
    lo -= pad;
    hi += pad;
    const xs = (t) => m.left + (x1 > x0 ? ((t - x0) / (x1 - x0)) * pw : pw / 2);
    const ys = (v) => m.top + (1 - (v - lo) / (hi - lo)) * ph;
    layout = {m, pw, ph, width, x0, x1, xs, ys};

    // Axes and grid.
    const axes = [];
    for (const v of niceTicks(lo, hi, 5)) {
      const y = ys(v).toFixed(1);
      axes.push(svg('line', {class: 'grid', x1: m.left, x2: width - m.right, y1: y, y2: y}));
      const label = svg(
          'text',
          {class: 'tick y', x: m.left - 6, y, 'text-anchor': 'end', 'dominant-baseline': 'middle'});
      label.textContent = fmtPrice(v);
      axes.push(label);
    }
    const {ticks, step} = timeTicks(x0, x1, Math.max(2, Math.floor(pw / 110)));
    for (const t of ticks) {
      const x = xs(t).toFixed(1);
      axes.push(svg('line', {class: 'grid', x1: x, x2: x, y1: m.top, y2: m.top + ph}));
      // A label near either end is anchored inward so it is not cut off.
      const anchor = x < m.left + 40 ? 'start' : x > width - m.right - 40 ? 'end' : 'middle';
      const label = svg('text', {class: 'tick x', x, y: height - 10, 'text-anchor': anchor});
      label.textContent = timeLabel(t, step, x1 - x0);
      axes.push(label);
    }
    axes.push(svg('rect', {class: 'frame', x: m.left, y: m.top, width: pw, height: ph}));
    p.axes.replaceChildren(...axes);

    const line = (series) => {
      const segments = [];
      for (let i = 0; i < series.length; i++) {
        segments.push(
            `${i ? 'L' : 'M'}${xs(series[i][0]).toFixed(1)},${ys(series[i][1]).toFixed(1)}`);
      }
      return segments.join('');
    };
    p.price.setAttribute('d', line(chart.points));
    if (chart.sma.length) {
      p.sma.setAttribute('d', line(chart.sma));
    } else {
      p.sma.removeAttribute('d');
    }
    for (const [k, v] of Object.entries({x: m.left, y: m.top, width: pw, height: ph})) {
      p.hit.setAttribute(k, v);
    }
    p.hoverLine.setAttribute('y1', m.top);
    p.hoverLine.setAttribute('y2', m.top + ph);
    p.hoverText.setAttribute('y', m.top + 12);

    p.markers.replaceChildren(...chart.signals.map((s) => {
      const buy = String(s.action).toUpperCase() === 'BUY';
      const g = svg('g', {
        class: `marker ${buy ? 'buy' : 'sell'}${s.alerted ? ' alerted' : ''}`,
        transform: `translate(${xs(s.ms).toFixed(1)},${ys(s.price).toFixed(1)})`,
        'data-ms': s.ms,
        'data-price': s.price,
        tabindex: 0,
      });
      // Up triangle below a BUY, down triangle above a SELL, the tip on the price.
      g.append(svg('path', {d: buy ? 'M0,0 L6,11 L-6,11 Z' : 'M0,0 L6,-11 L-6,-11 Z'}));
      const title = svg('title');
      const d = toDate(s.ms);
      title.textContent = `${s.action} at ${fmtPrice(s.price)}\n${s.reason || ''}\n` +
          `${fmtLocal(d)} · ${utcTitle(d)}${s.alerted ? '\nalerted' : '\nnot alerted (cooldown)'}`;
      g.append(title);
      return g;
    }));
  }

  // The nearest point's time and price under the pointer.
  function showHover(ev) {
    if (!layout || !chart.points.length) return;
    const {m, pw, width, x0, x1, xs, ys} = layout;
    const r = $('#chart').getBoundingClientRect();
    const px = ((ev.clientX - r.left) / r.width) * width;
    const t = x0 + ((px - m.left) / pw) * (x1 - x0);
    let i = lowerBound(chart.points, t);
    if (i > 0 && t - chart.points[i - 1][0] < chart.points[i][0] - t) i -= 1;
    const [pt, pv] = chart.points[i];
    const x = xs(pt);
    parts.hoverLine.setAttribute('x1', x);
    parts.hoverLine.setAttribute('x2', x);
    parts.hoverDot.setAttribute('cx', x);
    parts.hoverDot.setAttribute('cy', ys(pv));
    parts.hoverText.textContent = `${fmtLocal(new Date(pt))}  ${fmtPrice(pv)}`;
    // Beside the line, on the side with room, never past the plot's edges.
    const textWidth = parts.hoverText.getComputedTextLength();
    const right = x + 8 + textWidth > m.left + pw;
    const tx = right ? Math.max(m.left + textWidth + 4, x - 8) : x + 8;
    parts.hoverText.setAttribute('x', tx);
    parts.hoverText.setAttribute('text-anchor', right ? 'end' : 'start');
    parts.hover.setAttribute('visibility', 'visible');
  }

  function lowerBound(points, t) {
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (points[mid][0] < t)
        lo = mid + 1;
      else
        hi = mid;
    }
    return Math.min(lo, points.length - 1);
  }

  // ---- status -------------------------------------------------------------------------------

  let statusUpdates = 0;

  function field(name) { return $(`#status [data-field="${name}"]`); }
  function setField(name, text, title) {
    const e = field(name);
    if (!e) return;
    e.textContent = text;
    if (title !== undefined) e.title = title;
  }

  function renderStatus(st, source) {
    const stream = st.stream || {};
    const ingest = st.ingest || {};
    const clean = st.clean || {};
    const panel = $('#status');
    setTime(field('time'), st.ms ?? st.time);
    setField(
        'records_per_second',
        typeof ingest.records_per_second === 'number' ? rateFmt.format(ingest.records_per_second) :
                                                        '—');
    setField('lag_records', fmtInt(stream.lag_records));
    setField(
        'lag_seconds',
        typeof stream.lag_seconds === 'number' ? secFmt.format(stream.lag_seconds) : '—');
    setField('shards', fmtInt(stream.shards));
    setTime(field('last_put'), stream.last_put);
    setField('received', fmtInt(ingest.received));
    setField('accepted', fmtInt(ingest.accepted));
    setField('rejected_total', fmtInt(ingest.rejected_total));
    setField('clean_rows', fmtInt(clean.rows));
    setField('clean_symbols', fmtInt(clean.symbols));

    const reasons = Object.entries(ingest.rejected || {}).sort((a, b) => b[1] - a[1]);
    field('rejected')
        .replaceChildren(...(
            reasons.length ?
                reasons.map(
                    ([reason, n]) => el('li', {}, [el('code', {text: reason}), ` ${fmtInt(n)}`])) :
                [el('li', {class: 'muted', text: 'none'})]));

    const run = st.trends && st.trends.last_run;
    const runEl = field('last_run');
    if (run) {
      const d = toDate(run.at);
      runEl.textContent = `${fmtLocal(d)} · ${count(run.symbols_checked, 'symbol')} · ` +
          `${count(run.alerts_count, 'alert')} · ${fmtInt(run.suppressed)} suppressed`;
      runEl.title = utcTitle(d);
    } else {
      runEl.textContent = 'not run yet';
      runEl.title = '';
    }

    const wd = st.watchdog || {};
    const wdEl = field('watchdog');
    const since = toDate(wd.since);
    wdEl.textContent = `${wd.state || '—'}${since ? ` since ${fmtLocal(since)}` : ''}`;
    wdEl.title = utcTitle(since);
    wdEl.className = `state ${wd.state === 'alarm' ? 'bad' : wd.state === 'ok' ? 'good' : ''}`;

    const rows = (st.alerts || []).map((c) => {
      const failing = c.state === 'failing';
      const errCell = el('td', {class: 'error-text', text: c.last_error || ''});
      if (c.last_error_at) errCell.title = utcTitle(toDate(c.last_error_at));
      return el('tr', {class: failing ? 'failing' : ''}, [
        el('td', {text: c.channel || ''}),
        el('td', {},
           [el('span', {class: `state ${failing ? 'bad' : 'good'}`, text: c.state || ''})]),
        el('td', {class: 'num', text: fmtInt(c.delivered)}),
        el('td', {class: 'num', text: fmtInt(c.pending)}),
        errCell,
      ]);
    });
    $('#channels tbody').replaceChildren(...(rows.length ? rows : [
      el('tr', {}, [el('td', {colspan: 5, class: 'muted', text: 'no alert channels'})])
    ]));

    statusUpdates += 1;
    panel.dataset.source = source;
    panel.dataset.ms = String(st.ms ?? '');
    panel.dataset.updates = String(statusUpdates);
  }

  // ---- alerts -------------------------------------------------------------------------------

  const alertIds = new Set();

  function deliveryText(d) {
    const attempts = d.attempts ? ` (${d.attempts} attempt${d.attempts === 1 ? '' : 's'})` : '';
    return `${d.channel}: ${d.state}${attempts}`;
  }

  function alertRow(a) {
    const timeCell = el('td', {class: 'time'});
    setTime(timeCell, a.ms ?? a.time, true);
    const body = el('details', {}, [
      el('summary', {text: String(a.body || '').split('\n')[0] || '(empty)'}),
      el('pre', {text: a.body || ''}),
    ]);
    const deliveries =
        el('ul', {class: 'deliveries'},
           (a.deliveries || []).map((d) => el('li', {
                                      class: `state ${
                                          d.state === 'delivered'   ? 'good' :
                                              d.state === 'pending' ? 'warn' :
                                                                      'bad'}`,
                                      text: deliveryText(d)
                                    })));
    return el('tr', {'data-id': String(a.id)}, [
      timeCell,
      el('td', {class: 'kind', text: a.kind || ''}),
      el('td', {class: 'subject', text: a.subject || ''}),
      el('td', {class: 'body'}, [body]),
      el('td', {}, [deliveries]),
    ]);
  }

  function addAlerts(list, atTop) {
    const tbody = $('#alerts tbody');
    const fresh = list.filter((a) => !alertIds.has(a.id));
    for (const a of fresh) alertIds.add(a.id);
    const rows = fresh.map(alertRow);
    if (atTop)
      tbody.prepend(...rows);
    else
      tbody.append(...rows);
    while (tbody.rows.length > MAX_ALERT_ROWS) {
      const last = tbody.rows[tbody.rows.length - 1];
      alertIds.delete(Number(last.dataset.id));
      last.remove();
    }
    $('#alerts-empty').hidden = tbody.rows.length > 0;
    $('#alerts-count').textContent = tbody.rows.length ? `${fmtInt(tbody.rows.length)} shown` : '';
  }

  async function loadAlerts() {
    const doc = await api('/api/alerts?limit=50');
    // Newest first; anything newer than what is shown goes on top in that order.
    addAlerts(doc.alerts || [], true);
  }

  // ---- SQL ----------------------------------------------------------------------------------

  async function runSql() {
    const sql = $('#sql').value.trim();
    const button = $('#sql-run');
    const error = $('#sql-error');
    const meta = $('#sql-meta');
    const table = $('#sql-result');
    if (!sql) {
      error.textContent = 'Type a SELECT first.';
      error.hidden = false;
      return;
    }
    button.disabled = true;
    meta.textContent = 'running…';
    error.hidden = true;
    try {
      const doc = await api('/api/query', {
        method: 'POST',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({sql}),
      });
      $('thead', table)
          .replaceChildren(el('tr', {}, (doc.columns || []).map((c) => el('th', {text: c}))));
      $('tbody', table)
          .replaceChildren(
              ...(doc.rows || [])
                  .map((r) => el('tr', {}, r.map((v) => el('td', {
                                                   class: typeof v === 'number' ? 'num' : '',
                                                   text: fmtCell(v)
                                                 })))));
      table.dataset.rows = String((doc.rows || []).length);
      const seconds = typeof doc.seconds === 'number' ? `${secFmt.format(doc.seconds)} s` : '';
      meta.textContent = `${fmtInt(doc.row_count ?? (doc.rows || []).length)} rows${
                             doc.truncated ? ' (truncated)' : ''}` +
          `${seconds ? ` in ${seconds}` : ''}` +
          `${
                             typeof doc.records_scanned === 'number' ?
                                 ` · ${fmtInt(doc.records_scanned)} records scanned` :
                                 ''}`;
    } catch (e) {
      $('thead', table).replaceChildren();
      $('tbody', table).replaceChildren();
      table.dataset.rows = '0';
      error.textContent = e.code ? `${e.code}: ${e.message}` : e.message;
      error.hidden = false;
      meta.textContent = '';
    } finally {
      button.disabled = false;
    }
  }

  function setupSql() {
    $('#sql-examples').replaceChildren(...EXAMPLES.map(([label, sql]) => {
      const b = el('button', {type: 'button', class: 'example', title: sql, text: label});
      b.dataset.sql = sql;
      b.addEventListener('click', () => {
        $('#sql').value = sql;
        runSql();
      });
      return b;
    }));
    $('#sql-run').addEventListener('click', runSql);
    $('#sql').addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        runSql();
      }
    });
  }

  // ---- live ---------------------------------------------------------------------------------

  function setLive(state) {
    const e = $('#live');
    e.className = `live-indicator ${state}`;
    e.textContent = state === 'live' ? 'live' : 'disconnected';
  }

  function parse(ev) {
    try {
      return JSON.parse(ev.data);
    } catch (_) {
      return null;
    }
  }

  function connect() {
    const es = new EventSource('/api/events');
    let opened = false;
    es.addEventListener('open', () => {
      setLive('live');
      // After a reconnect, catch up on what the events missed meanwhile.
      if (opened) refreshAll();
      opened = true;
    });
    es.addEventListener('error', () => setLive('disconnected'));
    es.addEventListener('status', (ev) => {
      const st = parse(ev);
      if (st) renderStatus(st, 'sse');
    });
    es.addEventListener('series', (ev) => {
      const s = parse(ev);
      if (!s) return;
      if (!symbols.some((x) => x.symbol === s.symbol)) {
        loadSymbols().catch(report);
        return;
      }
      const known = symbols.find((x) => x.symbol === s.symbol);
      if (known && typeof s.newest_ms === 'number') known.newest_ms = s.newest_ms;
      if (s.symbol === chart.symbol) {
        refreshSeries(false);
        refreshCandles(false);
      }
    });
    es.addEventListener('alert', (ev) => {
      const a = parse(ev);
      if (a) addAlerts([a], true);
    });
  }

  function report(e) { $('#legend-note').textContent = e.message; }

  async function refreshAll() {
    await Promise.all([
      api('/api/status').then((st) => renderStatus(st, 'fetch')).catch(report),
      loadAlerts().catch(report),
      // On a reconnect the shown symbol stays: fetch what it missed.
      loadSymbols()
          .then((loaded) => loaded || Promise.all([refreshSeries(false), refreshCandles(false)]))
          .catch(report),
    ]);
  }

  function start() {
    setupSql();
    $('#symbol').addEventListener('change', (ev) => showSymbol(ev.target.value));
    candleChart = window.StockpipeCandles.create($('#candles'), $('#candle-tip'), {
      niceTicks,
      timeTicks,
      timeLabel,
      price: fmtPrice,
      int: fmtInt,
      time: (ms) => fmtLocal(new Date(ms)),
    });
    const wanted = new URLSearchParams(location.hash.slice(1));
    candleView.on = wanted.get('view') === 'candles';
    candleView.interval = wanted.get('interval') || '';
    $('#view-line').addEventListener('click', () => setView(false));
    $('#view-candles').addEventListener('click', () => setView(true));
    $('#interval').addEventListener('change', (ev) => {
      candleView.interval = ev.target.value;
      writeHash();
      refreshCandles(true);
    });
    setView(candleView.on);
    let pending = false;
    window.addEventListener('resize', () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        renderChart();
        if (candleView.on) candleChart.draw();
      });
    });
    refreshAll();
    connect();
  }

  if (document.readyState === 'loading')
    document.addEventListener('DOMContentLoaded', start);
  else
    start();
})();
