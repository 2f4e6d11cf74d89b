// The Terraform configuration of infra/ as data: every .tf file parsed by @cdktf/hcl2json (which
// also proves each file is valid HCL), indexed by address, plus the references each expression
// makes. hcl2json's conventions: a block is an array of objects (one per occurrence); an
// expression is a "${...}" string; literals stay literals.

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export async function loadHcl2json(root) {
  const lib = path.join(root, 'tests/peers/node_modules/@cdktf/hcl2json/lib/index.js');
  if (!fs.existsSync(lib)) {
    throw new Error(`${lib} is missing: run scripts/setup.sh (npm ci in tests/peers) first`);
  }
  return import(pathToFileURL(lib).href);
}

// {files: {name: json}, tfvarsExample: json|null}
export async function parseInfra(hcl, dir) {
  const files = {};
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.tf')).sort()) {
    files[name] = await hcl.parse(name, fs.readFileSync(path.join(dir, name), 'utf8'));
  }
  const example = path.join(dir, 'terraform.tfvars.example');
  const tfvarsExample = fs.existsSync(example)
    ? await hcl.parse('terraform.tfvars.example', fs.readFileSync(example, 'utf8'))
    : null;
  return { files, tfvarsExample };
}

// Addresses -> blocks. `resources`/`data`: Map "type.name" -> {type, name, body, file};
// `variables`, `outputs`: Map name -> {body, file}; `locals`: Map name -> {value, file}.
export function indexConfig(parsed) {
  const model = {
    resources: new Map(),
    data: new Map(),
    variables: new Map(),
    outputs: new Map(),
    locals: new Map(),
    modules: new Map(),
    terraform: [],
    providers: [],
    duplicates: [],
    tfvarsExample: parsed.tfvarsExample,
    files: parsed.files,
  };
  const put = (map, key, value) => {
    if (map.has(key)) model.duplicates.push(`${key} (${map.get(key).file} and ${value.file})`);
    map.set(key, value);
  };
  for (const [file, json] of Object.entries(parsed.files)) {
    for (const [kind, target] of [['resource', model.resources], ['data', model.data]]) {
      for (const [type, byName] of Object.entries(json[kind] ?? {})) {
        for (const [name, bodies] of Object.entries(byName)) {
          for (const body of bodies) put(target, `${type}.${name}`, { type, name, body, file });
        }
      }
    }
    for (const [kind, target] of [['variable', model.variables], ['output', model.outputs],
      ['module', model.modules]]) {
      for (const [name, bodies] of Object.entries(json[kind] ?? {})) {
        for (const body of bodies) put(target, name, { body, file });
      }
    }
    for (const block of json.locals ?? []) {
      for (const [name, value] of Object.entries(block)) put(model.locals, name, { value, file });
    }
    for (const block of json.terraform ?? []) model.terraform.push({ body: block, file });
    for (const [name, bodies] of Object.entries(json.provider ?? {})) {
      for (const body of bodies) model.providers.push({ name, body, file });
    }
  }
  return model;
}

// Every string in `value` with the path to it.
export function* strings(value, where = []) {
  if (typeof value === 'string') {
    yield [value, where];
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; ++i) yield* strings(value[i], [...where, i]);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) yield* strings(v, [...where, k]);
  }
}

// References of one expression string, cached (the parser is WebAssembly, called per string).
export function referenceReader(hcl) {
  const cache = new Map();
  return async (text) => {
    if (!text.includes('${') && !text.includes('%{')) return [];
    if (!cache.has(text)) {
      cache.set(text, (await hcl.getReferencesInExpression('expr.tf', text)).map((r) => r.value));
    }
    return cache.get(text);
  };
}

// "${a.b.c}" -> "a.b.c" when the whole string is one reference, else null.
export function soleReference(text) {
  if (typeof text !== 'string') return null;
  const m = /^\$\{([A-Za-z_][\w.-]*)\}$/.exec(text);
  return m ? m[1] : null;
}

// The first occurrence of a nested block (hcl2json: an array of objects).
export function block(body, name) {
  const value = body?.[name];
  return Array.isArray(value) ? value[0] : value;
}

export function blocks(body, name) {
  const value = body?.[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function list(value) {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
