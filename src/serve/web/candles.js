// The dashboard's candlestick chart, drawn on a canvas by this file alone (no library): candles
// coloured up/down, volume bars below them, BUY/SELL markers at the bars holding the rule's
// signals, a crosshair with the hovered bar's OHLCV, zoom (wheel, + and -) and pan (drag, arrow
// keys). app.js owns the data (/api/candles, docs/dashboard.md) and calls set() and draw().
//
// What is on screen is also written on the canvas as data attributes and an aria-label ("120
// candles, 1m, AAPL; showing 80 ...") so a screen reader, and the browser test, can read it.
'use strict';

window.StockpipeCandles = (() => {
  const MIN_VISIBLE = 5;       // bars: the deepest zoom
  const DEFAULT_BAR_PX = 9;    // a bar's width when a symbol is first shown
  const M = {left: 64, right: 16, top: 12, bottom: 28, gap: 10};

  // Colours come from the page's style sheet (custom properties), so the chart follows it.
  function palette(canvas) {
    const css = getComputedStyle(canvas);
    const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
    return {
      up: v('--candle-up', '#1a7f37'),
      down: v('--candle-down', '#cf222e'),
      grid: v('--grid', '#e5e7eb'),
      text: v('--muted', '#6b7280'),
      frame: v('--border', '#d0d7de'),
      cross: v('--fg', '#111827'),
      buy: v('--buy', '#1a7f37'),
      sell: v('--sell', '#cf222e'),
    };
  }

  function create(canvas, tip, fmt) {
    const state = {
      symbol: '',
      interval: '',
      candles: [],  // {ms, start, open, high, low, close, volume, ticks}, oldest first
      signals: [],  // {bar_ms, ms, action, price, reason, alerted}
      // The visible window in bar indexes: [from, to), fractional while zooming.
      from: 0,
      to: 0,
      follow: true,  // the newest bar stays in view as bars arrive
      hover: null,   // {x, y} in CSS pixels
      layout: null,
    };

    // Bar slots that fit the plot at the default width: fewer bars than that are drawn at that
    // width against the right edge rather than stretched across the plot.
    function fitSlots() {
      const width = canvas.parentElement.clientWidth || 800;
      return Math.max(MIN_VISIBLE, Math.floor((width - M.left - M.right) / DEFAULT_BAR_PX));
    }

    // The window holds MIN_VISIBLE bars at least and all of them (or fitSlots()) at most; it
    // starts before the oldest bar only when all of them fit.
    function clampView() {
      const n = state.candles.length;
      const span = n === 0 ? 0 :
                             Math.min(Math.max(state.to - state.from, Math.min(MIN_VISIBLE, n)),
                                      Math.max(n, fitSlots()));
      state.from = span > n ? n - span : Math.max(0, Math.min(state.from, n - span));
      state.to = state.from + span;
    }

    // New bars for a symbol and interval (`reset`: a new symbol or interval, or a full reload).
    function set(doc, reset) {
      const old = state.candles.length;
      state.symbol = doc.symbol;
      state.interval = doc.interval;
      state.candles = doc.candles;
      state.signals = doc.signals;
      const n = state.candles.length;
      if (reset || old === 0) {
        state.to = n;
        state.from = n - fitSlots();
        state.follow = true;
      } else if (state.follow) {
        const span = state.to - state.from;
        state.to = n;
        state.from = n - span;
      }
      clampView();
      draw();
    }

    function visibleRange() {
      const a = Math.max(0, Math.floor(state.from));
      const b = Math.min(state.candles.length, Math.ceil(state.to));
      return [a, b];
    }

    function draw() {
      const dpr = window.devicePixelRatio || 1;
      const width = Math.max(320, Math.round(canvas.parentElement.clientWidth || 800));
      const height = width < 600 ? 300 : 400;
      if (canvas.width !== width * dpr || canvas.height !== height * dpr) {
        canvas.width = width * dpr;
        canvas.height = height * dpr;
        canvas.style.width = `${width}px`;
        canvas.style.height = `${height}px`;
      }
      const ctx = canvas.getContext('2d');
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, width, height);
      const c = palette(canvas);
      const [a, b] = visibleRange();
      describe(a, b);
      if (b <= a) {
        state.layout = null;
        return;
      }

      const pw = width - M.left - M.right;
      const total = height - M.top - M.bottom;
      const priceH = Math.round((total - M.gap) * 0.78);
      const volTop = M.top + priceH + M.gap;
      const volH = total - priceH - M.gap;
      const span = state.to - state.from;
      const barW = pw / span;
      const xOf = (i) => M.left + (i + 0.5 - state.from) * barW;

      let lo = Infinity;
      let hi = -Infinity;
      let vmax = 0;
      for (let i = a; i < b; i++) {
        const k = state.candles[i];
        lo = Math.min(lo, k.low);
        hi = Math.max(hi, k.high);
        if (typeof k.volume === 'number') vmax = Math.max(vmax, k.volume);
      }
      const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.01 || 1;
      lo -= pad;
      hi += pad;
      const yOf = (v) => M.top + (1 - (v - lo) / (hi - lo)) * priceH;
      state.layout = {width, height, pw, priceH, volTop, volH, barW, xOf, yOf, lo, hi, a, b};

      // Grid and price labels.
      ctx.font = '11px system-ui, sans-serif';
      ctx.lineWidth = 1;
      ctx.strokeStyle = c.grid;
      ctx.fillStyle = c.text;
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      for (const v of fmt.niceTicks(lo, hi, 5)) {
        const y = Math.round(yOf(v)) + 0.5;
        ctx.beginPath();
        ctx.moveTo(M.left, y);
        ctx.lineTo(M.left + pw, y);
        ctx.stroke();
        ctx.fillText(fmt.price(v), M.left - 6, y);
      }
      // Time labels on round times.
      const t0 = state.candles[a].ms;
      const t1 = state.candles[b - 1].ms;
      const {ticks, step} = fmt.timeTicks(t0, t1, Math.max(2, Math.floor(pw / 120)));
      ctx.textAlign = 'center';
      ctx.textBaseline = 'alphabetic';
      for (const t of ticks) {
        const i = indexAtOrAfter(t);
        if (i < a || i >= b) continue;
        const x = Math.round(xOf(i)) + 0.5;
        ctx.beginPath();
        ctx.moveTo(x, M.top);
        ctx.lineTo(x, volTop + volH);
        ctx.stroke();
        ctx.fillText(fmt.timeLabel(state.candles[i].ms, step, t1 - t0), x, height - 9);
      }
      ctx.strokeStyle = c.frame;
      ctx.strokeRect(M.left + 0.5, M.top + 0.5, pw - 1, priceH - 1);
      ctx.strokeRect(M.left + 0.5, volTop + 0.5, pw - 1, volH - 1);

      // Candles and volume, clipped to the plot (a bar half out of view is cut at the edge).
      ctx.save();
      ctx.beginPath();
      ctx.rect(M.left, M.top, pw, total);
      ctx.clip();
      const body = Math.max(1, Math.min(barW * 0.7, barW - 1));
      for (let i = a; i < b; i++) {
        const k = state.candles[i];
        const up = k.close >= k.open;
        const x = xOf(i);
        ctx.strokeStyle = ctx.fillStyle = up ? c.up : c.down;
        ctx.beginPath();
        ctx.moveTo(Math.round(x) + 0.5, yOf(k.high));
        ctx.lineTo(Math.round(x) + 0.5, yOf(k.low));
        ctx.stroke();
        const yo = yOf(k.open);
        const yc = yOf(k.close);
        ctx.fillRect(x - body / 2, Math.min(yo, yc), body, Math.max(1, Math.abs(yc - yo)));
        if (vmax > 0 && typeof k.volume === 'number') {
          const h = (k.volume / vmax) * (volH - 2);
          ctx.globalAlpha = 0.55;
          ctx.fillRect(x - body / 2, volTop + volH - h, body, h);
          ctx.globalAlpha = 1;
        }
      }
      // BUY under the bar's low, SELL over its high (one marker per bar and action).
      let markers = 0;
      const seen = new Set();
      for (const s of state.signals) {
        const i = indexOfBar(s.bar_ms);
        const buy = String(s.action).toUpperCase() === 'BUY';
        if (i < a || i >= b || seen.has(`${i}/${buy}`)) continue;
        seen.add(`${i}/${buy}`);
        const k = state.candles[i];
        const x = xOf(i);
        const y = buy ? yOf(k.low) + 4 : yOf(k.high) - 4;
        ctx.fillStyle = buy ? c.buy : c.sell;
        ctx.beginPath();
        ctx.moveTo(x, y);
        ctx.lineTo(x + 6, y + (buy ? 10 : -10));
        ctx.lineTo(x - 6, y + (buy ? 10 : -10));
        ctx.closePath();
        ctx.fill();
        markers += 1;
      }
      canvas.dataset.markers = String(markers);
      ctx.restore();
      drawCrosshair(ctx, c);
    }

    function drawCrosshair(ctx, c) {
      const L = state.layout;
      if (!state.hover || !L) {
        tip.hidden = true;
        return;
      }
      const {x, y} = state.hover;
      if (x < M.left || x > M.left + L.pw || y < M.top || y > L.volTop + L.volH) {
        tip.hidden = true;
        return;
      }
      const i = Math.min(L.b - 1, Math.max(L.a, Math.floor(state.from + (x - M.left) / L.barW)));
      const k = state.candles[i];
      const cx = Math.round(L.xOf(i)) + 0.5;
      ctx.save();
      ctx.strokeStyle = c.cross;
      ctx.globalAlpha = 0.45;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(cx, M.top);
      ctx.lineTo(cx, L.volTop + L.volH);
      if (y <= M.top + L.priceH) {
        ctx.moveTo(M.left, Math.round(y) + 0.5);
        ctx.lineTo(M.left + L.pw, Math.round(y) + 0.5);
      }
      ctx.stroke();
      ctx.restore();
      const lines = [
        fmt.time(k.ms),
        `O ${fmt.price(k.open)}  H ${fmt.price(k.high)}`,
        `L ${fmt.price(k.low)}  C ${fmt.price(k.close)}`,
        `V ${typeof k.volume === 'number' ? fmt.int(k.volume) : '—'} · ${fmt.int(k.ticks)} ticks`,
      ];
      for (const s of state.signals) {
        if (s.bar_ms === k.ms) lines.push(`${s.action} at ${fmt.price(s.price)}`);
      }
      tip.textContent = lines.join('\n');
      tip.dataset.ms = String(k.ms);
      tip.hidden = false;
      const right = x + 16 + tip.offsetWidth > L.width;
      tip.style.left = `${right ? x - 16 - tip.offsetWidth : x + 16}px`;
      tip.style.top = `${Math.max(0, y - tip.offsetHeight / 2)}px`;
    }

    // The first bar starting at or after `ms` (binary search; bars are sorted by start).
    function indexAtOrAfter(ms) {
      let lo = 0;
      let hi = state.candles.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (state.candles[mid].ms < ms)
          lo = mid + 1;
        else
          hi = mid;
      }
      return lo;
    }
    function indexOfBar(ms) {
      const i = indexAtOrAfter(ms);
      return i < state.candles.length && state.candles[i].ms === ms ? i : -1;
    }

    function describe(a, b) {
      const n = state.candles.length;
      const ds = canvas.dataset;
      ds.symbol = state.symbol;
      ds.interval = state.interval;
      ds.candles = String(n);
      ds.visible = String(Math.max(0, b - a));
      ds.firstMs = b > a ? String(state.candles[a].ms) : '';
      ds.lastMs = b > a ? String(state.candles[b - 1].ms) : '';
      ds.newestMs = n ? String(state.candles[n - 1].ms) : '';
      let label = `${n} candle${n === 1 ? '' : 's'}, ${state.interval || '—'}, ${state.symbol}`;
      if (b > a) {
        label += `; showing ${b - a} from ${fmt.time(state.candles[a].ms)} to ${
            fmt.time(state.candles[b - 1].ms)}`;
        const last = state.candles[n - 1];
        label += `; last close ${fmt.price(last.close)}`;
      }
      canvas.setAttribute('aria-label', label);
    }

    // Zooms by `factor` (< 1 zooms in) keeping the bar under `x` (CSS pixels) in place.
    function zoom(factor, x) {
      const L = state.layout;
      const n = state.candles.length;
      if (!L || n === 0) return;
      const span = state.to - state.from;
      const next = Math.max(Math.min(MIN_VISIBLE, n), Math.min(Math.max(n, fitSlots()), span * factor));
      const at = state.from + ((x ?? M.left + L.pw) - M.left) / L.barW;
      const ratio = (at - state.from) / span;
      state.from = at - ratio * next;
      state.to = state.from + next;
      clampView();
      state.follow = state.to >= n;
      draw();
    }
    function pan(bars) {
      const n = state.candles.length;
      state.from += bars;
      state.to += bars;
      clampView();
      state.follow = state.to >= n;
      draw();
    }

    canvas.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      const r = canvas.getBoundingClientRect();
      zoom(ev.deltaY > 0 ? 1.2 : 1 / 1.2, ev.clientX - r.left);
    }, {passive: false});
    let drag = null;
    canvas.addEventListener('pointerdown', (ev) => {
      drag = {x: ev.clientX, from: state.from};
      canvas.setPointerCapture(ev.pointerId);
      canvas.classList.add('dragging');
    });
    canvas.addEventListener('pointermove', (ev) => {
      const r = canvas.getBoundingClientRect();
      state.hover = {x: ev.clientX - r.left, y: ev.clientY - r.top};
      if (drag && state.layout) {
        pan(drag.from - (ev.clientX - drag.x) / state.layout.barW - state.from);
      } else {
        draw();
      }
    });
    const endDrag = () => {
      drag = null;
      canvas.classList.remove('dragging');
    };
    canvas.addEventListener('pointerup', endDrag);
    canvas.addEventListener('pointercancel', endDrag);
    canvas.addEventListener('pointerleave', () => {
      state.hover = null;
      draw();
    });
    canvas.addEventListener('keydown', (ev) => {
      const span = state.to - state.from;
      const actions = {
        ArrowLeft: () => pan(-Math.max(1, span / 10)),
        ArrowRight: () => pan(Math.max(1, span / 10)),
        '+': () => zoom(1 / 1.25),
        '=': () => zoom(1 / 1.25),
        '-': () => zoom(1.25),
        Home: () => pan(-state.candles.length),
        End: () => pan(state.candles.length),
      };
      const act = actions[ev.key];
      if (!act) return;
      ev.preventDefault();
      act();
    });

    return {
      set,
      draw,
      clear() {
        state.candles = [];
        state.signals = [];
        state.from = state.to = 0;
        draw();
      },
      newestMs: () => (state.candles.length ? state.candles[state.candles.length - 1].ms : null),
      candles: () => state.candles,
      signals: () => state.signals,
    };
  }

  return {create};
})();
