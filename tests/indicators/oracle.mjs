// The independent oracle of tests/indicators/oracle_test.cc: npm trading-signals (pinned in
// tests/peers/package.json) run over the series the test generated.
//
// usage: node oracle.mjs <tests/peers dir> <input.json>
//   input:  {"series": [{"prices": [...], "volumes": [...]}],
//            "sets": [{"sma": n, "ema": n, "rsi": n, "bb": [n, k], "extreme": n, "roc": n,
//                      "vwma": n, "macd": [fast, slow, signal]}]}
//   output: {"results": [[{indicator: [value | null per tick]} per set] per series]}
// A value is null where trading-signals has none (or, for EMA, where it says it is not stable).
// Numbers are printed by JSON.stringify: shortest round-trip form, so the test reads them back
// bit for bit.

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [peers, inputPath] = process.argv.slice(2);
const lib = path.join(peers, 'node_modules/trading-signals/dist/index.js');
if (!fs.existsSync(lib)) {
  console.error(`${lib} is missing: run scripts/setup.sh (npm ci in tests/peers) first`);
  process.exit(2);
}
const ts = await import(pathToFileURL(lib).href);
const input = JSON.parse(fs.readFileSync(inputPath, 'utf8'));

// Each indicator as a function of one tick (price, volume) -> value | null.
function makeRunners(set) {
  const sma = new ts.SMA(set.sma);
  const ema = new ts.EMA(set.ema);
  const rsi = new ts.RSI(set.rsi);
  const bb = new ts.BollingerBands(set.bb[0], set.bb[1]);
  const dc = new ts.DonchianChannels(set.extreme);
  const roc = new ts.ROC(set.roc);
  const vwap = new ts.VWAP();
  const vwma = new ts.VWMA(set.vwma);
  const [fast, slow, signal] = set.macd;
  const macd = new ts.MACD(new ts.EMA(fast), new ts.EMA(slow), new ts.EMA(signal));
  const candle = (p, v) => ({ open: p, high: p, low: p, close: p, volume: v });
  return {
    sma: (p) => sma.add(p),
    ema: (p) => {
      const r = ema.add(p);
      return ema.isStable ? r : null;
    },
    rsi: (p) => rsi.add(p),
    bb: (p) => {
      const r = bb.add(p);
      return r === null ? null : { lower: r.lower, middle: r.middle, upper: r.upper };
    },
    min: (p) => {
      const r = dc.add(candle(p, 0));
      return r === null ? null : r.lower;
    },
    max: (p) => dc.getResult()?.upper ?? null,  // same update as `min`
    roc: (p) => roc.add(p),
    vwap: (p, v) => vwap.add(candle(p, v)),
    vwma: (p, v) => vwma.add(candle(p, v)),
    macd: (p) => macd.add(p),
  };
}

const results = input.series.map(({ prices, volumes }) =>
  input.sets.map((set) => {
    const runners = makeRunners(set);
    const out = Object.fromEntries(Object.keys(runners).map((k) => [k, []]));
    prices.forEach((p, i) => {
      for (const [name, run] of Object.entries(runners)) {
        const r = run(p, volumes[i]);
        out[name].push(r === undefined ? null : r);
      }
    });
    return out;
  }),
);
process.stdout.write(JSON.stringify({ results }));
