// A small reader of the project's C++ sources: enough structure to find function definitions,
// what each one calls, and the string literals passed to the AWS client, so the Terraform check
// takes its facts from the code rather than from a list kept by hand.
//
// It is not a C++ parser. It blanks comments, string and character literals (keeping offsets),
// matches braces, and treats a `{` whose header has a parameter list at namespace or class scope
// as a function body. The project's code style (one definition per header line, no macros that
// open braces) is what makes that enough; anything it cannot place is reported, not guessed.

import fs from 'node:fs';
import path from 'node:path';

// Comments, string literals (plain and raw) and character literals replaced by spaces; newlines
// and offsets kept, so a position in one text is the same position in the other.
export function blank(text) {
  const out = text.split('');
  const clear = (from, to) => {
    for (let k = from; k < to; ++k) if (out[k] !== '\n') out[k] = ' ';
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      clear(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      clear(i, stop);
      i = stop;
    } else if (c === 'R' && next === '"' && !/[\w]/.test(text[i - 1] ?? '')) {
      const open = text.indexOf('(', i + 2);
      const delimiter = text.slice(i + 2, open);
      const close = text.indexOf(')' + delimiter + '"', open);
      const stop = close < 0 ? text.length : close + delimiter.length + 2;
      clear(i + 1, stop);
      i = stop;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      clear(i + 1, j);
      i = j + 1;
    } else if (c === "'") {
      // 1'000'000 is a digit separator, not a character literal.
      if (/[0-9a-fA-F]/.test(text[i - 1] ?? '') && /[0-9a-fA-F]/.test(next ?? '')) {
        ++i;
        continue;
      }
      let j = i + 1;
      while (j < text.length && text[j] !== "'") j += text[j] === '\\' ? 2 : 1;
      clear(i + 1, j);
      i = j + 1;
    } else {
      ++i;
    }
  }
  return out.join('');
}

const kNotNames = new Set(['if', 'for', 'while', 'switch', 'return', 'sizeof', 'decltype',
  'alignas', 'static_assert', 'catch', 'noexcept']);

// The function a header defines: `Result<X> Class::Name(args) const` -> {qualified, name}.
function functionName(header) {
  const match = /((?:\w+::)*(?:operator\s*\(\s*\)|~?\w+))\s*\(/.exec(header);
  if (!match) return null;
  const qualified = match[1].replace(/\s+/g, '');
  const name = qualified.split('::').pop();
  if (kNotNames.has(name)) return null;
  return { qualified, name };
}

// Every function defined in `file`: {file, qualified, name, start, end, text, blanked}.
// `text`/`blanked` are the body with its braces.
export function functionsOf(file) {
  const text = fs.readFileSync(file, 'utf8');
  const blanked = blank(text);
  const functions = [];
  // Scopes that may hold definitions: the file, namespaces, classes.
  const stack = [];  // {kind: 'container' | 'function' | 'other', open, fn}
  let headerStart = 0;
  for (let i = 0; i < blanked.length; ++i) {
    const c = blanked[i];
    if (c === ';') {
      if (!stack.length || stack.at(-1).kind === 'container') headerStart = i + 1;
    } else if (c === '{') {
      const inContainer = !stack.length || stack.at(-1).kind === 'container';
      if (!inContainer) {
        stack.push({ kind: 'other', open: i });
        continue;
      }
      const header = blanked.slice(headerStart, i);
      let entry = { kind: 'other', open: i };
      if (/\bnamespace\b/.test(header) || (/\bextern\b/.test(header) && !header.includes('('))) {
        entry = { kind: 'container', open: i };
      } else if (/\b(class|struct|union)\b[^()]*$/.test(header)) {
        entry = { kind: 'container', open: i };
      } else if (/\benum\b/.test(header) || /=\s*$/.test(header.trimEnd())) {
        entry = { kind: 'other', open: i };
      } else if (header.includes('(')) {
        const name = functionName(header);
        if (name) entry = { kind: 'function', open: i, fn: name };
      }
      stack.push(entry);
      headerStart = i + 1;
    } else if (c === '}') {
      const entry = stack.pop();
      if (!entry) continue;
      if (entry.kind === 'function') {
        functions.push({
          file,
          qualified: entry.fn.qualified,
          name: entry.fn.name,
          start: entry.open,
          end: i + 1,
          text: text.slice(entry.open, i + 1),
          blanked: blanked.slice(entry.open, i + 1),
        });
      }
      if (!stack.length || stack.at(-1).kind === 'container') headerStart = i + 1;
    }
  }
  return functions;
}

// Matches of `pattern` (global, on the original text) that do not start inside a comment or a
// literal; group 1 may lie inside a literal (that is the point: operation names are literals).
export function codeMatches(fn, pattern) {
  const found = [];
  for (const m of fn.text.matchAll(pattern)) {
    if (fn.blanked[m.index] !== ' ' || /\s/.test(fn.text[m.index])) found.push(m);
  }
  return found;
}

// Names called in a function body (`Name(`, `x.Name(`, `x->Name(`, `ns::Name(`).
export function callsOf(fn) {
  const names = new Set();
  for (const m of fn.blanked.matchAll(/\b(\w+)\s*\(/g)) names.add(m[1]);
  return names;
}

// All functions of the .cc files under `dir` (not recursive) or of the listed files.
export function functionsIn(paths) {
  const files = [];
  for (const p of paths) {
    if (fs.statSync(p).isDirectory()) {
      for (const f of fs.readdirSync(p).sort()) {
        if (f.endsWith('.cc')) files.push(path.join(p, f));
      }
    } else {
      files.push(p);
    }
  }
  return files.flatMap(functionsOf);
}

// Depth-first walk from `entry` through the functions of `pool` it calls (by unqualified name),
// calling visit(fn, trail) for every call path (trail = the functions from `entry` to `fn`).
export function walk(pool, entry, visit) {
  const byName = new Map();
  for (const fn of pool) {
    if (!byName.has(fn.name)) byName.set(fn.name, []);
    byName.get(fn.name).push(fn);
  }
  const go = (fn, trail) => {
    if (trail.includes(fn)) return;  // recursion
    const here = [...trail, fn];
    visit(fn, here);
    for (const name of callsOf(fn)) {
      for (const callee of byName.get(name) ?? []) {
        if (callee !== fn) go(callee, here);
      }
    }
  };
  go(entry, []);
}
