// What the C++ code says the deployment must provide, read from the sources each time the check
// runs: the environment names, which handler needs which, the AWS operations each handler's
// adapters call (and on which table, bucket prefix or topic), the RAW layout and the zip name.
//
// The few things declared here rather than read are marked KNOWN: the files holding each
// handler's core logic, the IAM prefix of each adapter folder, and the mapping of S3 REST
// operations to IAM actions. Anything the readers cannot find is an error in `problems`, so a
// refactoring of the code fails the check loudly instead of passing it with less.

import fs from 'node:fs';
import path from 'node:path';
import { blank, codeMatches, functionsIn, functionsOf, walk } from './cpp_source.mjs';

// KNOWN: where each handler's logic lives besides src/lambda/main.cc.
const kHandlerCore = {
  ingest: ['src/lambda/ingest_handler.h', 'src/lambda/ingest_handler.cc', 'src/ingest/ingestor.h',
    'src/ingest/ingestor.cc'],
  trends: ['src/lambda/trends_handler.h', 'src/lambda/trends_handler.cc', 'src/trends/trends_job.h',
    'src/trends/trends_job.cc'],
};

// KNOWN: the IAM service prefix of the AWS adapters, by folder.
export const kAdapterServices = {
  'src/stream/kinesis': 'kinesis',
  'src/archive/s3': 's3',
  'src/store/dynamodb': 'dynamodb',
  'src/alerts/sns': 'sns',
  'src/query': 'athena',
};

// KNOWN: S3 is REST; its operations are authorised by these IAM actions.
export const kS3Actions = {
  PutObject: 's3:PutObject',
  GetObject: 's3:GetObject',
  ListObjectsV2: 's3:ListBucket',
  HeadBucket: 's3:ListBucket',
  CreateBucket: 's3:CreateBucket',
};

// The interfaces the core talks to (src/core/*.h).
const kInterfaces = ['RawArchive', 'CleanStore', 'StateStore', 'Notifier', 'Stream', 'QueryEngine',
  'AlertLog'];

// An AWS client call whose operation is a literal: CallJson(target, "Op"), CallQuery("Op", ...),
// Send("Op", ...), and the adapters' own Call(client, "Op", ...).
const kOperationCall = /\b(?:CallJson|CallQuery|Send|Call)\s*\(\s*(?:[\w:.>-]+\s*,\s*)?"([A-Z]\w+)"/g;

export function iamAction(service, op) {
  if (service === 's3') return kS3Actions[op] ?? `s3:${op}`;
  return `${service}:${op}`;
}

export function codeFacts(root) {
  const problems = [];
  const file = (rel) => path.join(root, rel);
  const read = (rel) => fs.readFileSync(file(rel), 'utf8');
  const need = (value, what) => {
    if (value === undefined || value === null || (Array.isArray(value) && !value.length) ||
        (value instanceof Map && !value.size)) {
      problems.push(`cannot read ${what} from the code`);
    }
    return value;
  };

  // ---- Configuration keys -------------------------------------------------------------------
  const configH = read('src/core/config.h');
  const keysBlock = /kEnvironmentKeys\s*=\s*\{([^}]*)\}/.exec(configH);
  const envKeys = need(keysBlock ? [...keysBlock[1].matchAll(/"(\w+)"/g)].map((m) => m[1]) : [],
    'kEnvironmentKeys (src/core/config.h)');

  // Defaults the code gives resource names (`std::string x = "default";  // KEY` in AwsConfig).
  const configDefaults = {};
  for (const m of configH.matchAll(/std::string\s+\w+\s*=\s*"([^"]+)";\s*\/\/\s*([A-Z_]+)/g)) {
    configDefaults[m[2]] = m[1];
  }
  // The trends timer's default (TRENDS_EVERY), as an EventBridge rate.
  const every = /Micros\s+every\s*=\s*([\d\s*'LL]+);/.exec(configH);
  let trendsSchedule;
  if (every) {
    const micros = every[1].replace(/'|LL/g, '').split('*').reduce((p, n) => p * Number(n), 1);
    const minutes = micros / 60e6;
    trendsSchedule = Number.isInteger(minutes)
      ? `rate(${minutes} minute${minutes === 1 ? '' : 's'})`
      : undefined;
  }
  need(trendsSchedule, "TrendsConfig::every's default (src/core/config.h)");

  // Which Config field each key sets: the branches of Apply in src/core/config.cc.
  const apply = functionsOf(file('src/core/config.cc')).find((f) => f.name === 'Apply');
  const keyField = new Map();
  if (apply) {
    const branches = [...apply.text.matchAll(/key\s*==\s*"(\w+)"\)([\s\S]*?)(?=else|$)/g)];
    for (const [, key, body] of branches) {
      const m = /\b(t|c)\.([\w.]+)/.exec(body);
      if (m) keyField.set(key, (m[1] === 't' ? 'trends.' : '') + m[2]);
    }
  }
  need(keyField, 'the key -> field mapping (Apply in src/core/config.cc)');
  const fieldKey = new Map([...keyField].map(([k, f]) => [f, k]));

  // Variables read directly with getenv by the Lambda binary and the AWS client.
  const lambdaGetenv = new Set();
  for (const f of fs.readdirSync(file('src/lambda')).filter((f) => f.endsWith('.cc'))) {
    for (const m of read(`src/lambda/${f}`).matchAll(/getenv\(\s*"(\w+)"\s*\)/g)) {
      lambdaGetenv.add(m[1]);
    }
  }
  const awsGetenv = new Set();
  for (const f of fs.readdirSync(file('src/aws')).filter((f) => f.endsWith('.cc'))) {
    for (const m of read(`src/aws/${f}`).matchAll(/EnvOr\(\s*getenv\s*,\s*"(\w+)"/g)) {
      awsGetenv.add(m[1]);
    }
  }
  need(awsGetenv.size ? awsGetenv : undefined, 'the variables src/aws reads (EnvOr(getenv, "..."))');

  // ---- The Lambda binary: handlers and what each one is built from ---------------------------
  const mainFns = functionsOf(file('src/lambda/main.cc'));
  // The adapters' options are built from the configuration by the pipeline layer, for the CLI and
  // the Lambda alike: `auto s3 = S3ArchiveOptionsFrom(config);` ... `S3Archive archive(std::move(*s3));`.
  const optionFns = functionsOf(file('src/pipeline/aws_options.cc'));
  const setupFns = [...mainFns, ...optionFns];
  const mainFn = mainFns.find((f) => f.name === 'main');
  const handlerServe = new Map();
  if (mainFn) {
    for (const m of mainFn.text.matchAll(/name\s*==\s*"(\w+)"\)\s*return\s+(\w+)\(/g)) {
      handlerServe.set(m[1], m[2]);
    }
  }
  need(handlerServe, 'the handlers of src/lambda/main.cc (name == "..." -> Serve...)');

  // Adapter classes: `class X final : public Interface` in src/**.h.
  const adapters = new Map();  // class -> {iface, dir}
  const headers = [];
  const collect = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) collect(p);
      else if (e.name.endsWith('.h')) headers.push(p);
    }
  };
  collect(file('src'));
  for (const h of headers) {
    const text = blank(fs.readFileSync(h, 'utf8'));
    for (const m of text.matchAll(/\bclass\s+(\w+)\s+(?:final\s+)?:\s*public\s+(\w+)/g)) {
      if (kInterfaces.includes(m[2])) {
        adapters.set(m[1], { iface: m[2], dir: path.relative(root, path.dirname(h)), header: h });
      }
    }
  }

  // DynamoDbOptions fields -> configuration field (DynamoDbFrom & co. in main.cc).
  const optionField = new Map();
  for (const fn of setupFns) {
    for (const m of fn.text.matchAll(/options\.(\w+)\s*=\s*config\.([\w.]+)\s*;/g)) {
      optionField.set(m[1], m[2]);
    }
  }

  let allFunctions;
  const sourceFunctions = () => (allFunctions ??= functionsIn([file('src/trends'), file('src/cli')]));
  const handlers = {};
  for (const [handler, serveName] of handlerServe) {
    const serve = mainFns.find((f) => f.name === serveName);
    if (!serve) {
      problems.push(`src/lambda/main.cc: ${serveName} (handler ${handler}) not found`);
      continue;
    }
    // Configuration fields the handler's set-up reads, through the helpers it calls.
    const fields = new Set();
    walk(setupFns, serve, (fn) => {
      const aliases = new Map([['config', '']]);
      for (const m of fn.text.matchAll(/(\w+)\s*=\s*config\.(\w+)\s*;/g)) aliases.set(m[1], m[2] + '.');
      for (const [alias, prefix] of aliases) {
        for (const m of fn.text.matchAll(new RegExp(`\\b${alias}(?:\\.|->)([\\w.]+)`, 'g'))) {
          fields.add(prefix + m[1]);
        }
      }
    });
    // A whole section handed to a function of src/ as its first argument
    // (`TrendsSettingsFrom(config.trends, ...)`): the fields that function reads through it.
    walk(setupFns, serve, (fn) => {
      for (const m of fn.text.matchAll(/\b(\w+)\(\s*config\.(\w+)\s*[,)]/g)) {
        const callee = sourceFunctions().find((g) => g.name === m[1]);
        const param = callee && new RegExp(`${m[1]}\\(\\s*const\\s+\\w+&\\s*(\\w+)\\s*[,)]`)
          .exec(fs.readFileSync(callee.file, 'utf8'))?.[1];
        if (!param) continue;
        fields.delete(m[2]);
        for (const use of callee.text.matchAll(new RegExp(`\\b${param}\\.(\\w+)`, 'g'))) {
          fields.add(`${m[2]}.${use[1]}`);
        }
      }
    });
    const needed = new Set();
    for (const f of fields) {
      for (const [field, key] of fieldKey) {
        if (f === field || f.startsWith(field + '.')) needed.add(key);
      }
    }
    // Adapter objects the handler builds, and the configuration each is built from.
    const built = new Map();  // iface -> {cls, dir, resourceKeys}
    const decorators = [];    // non-AWS classes wrapping a built adapter (LoggedNotifier)
    for (const m of serve.text.matchAll(/\b([A-Z]\w+)\s+\w+\s*\(([^;]*);/g)) {
      const adapter = adapters.get(m[1]);
      if (!adapter) continue;
      if (!kAdapterServices[adapter.dir] && built.has(adapter.iface)) {
        decorators.push({ cls: m[1], ...adapter });
        continue;
      }
      // Configuration named in the arguments, or read by the option builder an argument came from.
      const sources = [m[2]];
      for (const arg of m[2].matchAll(/\*\s*(\w+)/g)) {
        const from = new RegExp(`\\b${arg[1]}\\s*=\\s*(\\w+)\\(\\s*config\\s*\\)`).exec(serve.text);
        const builder = from && optionFns.find((f) => f.name === from[1]);
        if (builder) sources.push(builder.text);
      }
      const keys = sources.flatMap((t) => [...t.matchAll(/config\.([\w.]+)/g)])
        .map((f) => fieldKey.get(f[1])).filter(Boolean);
      built.set(adapter.iface, { cls: m[1], dir: adapter.dir, header: adapter.header,
        resourceKeys: [...new Set(keys)] });
    }
    const cls = /\b(\w+)\s+handler\s*\(/.exec(serve.blanked)?.[1];
    if (!cls) problems.push(`src/lambda/main.cc: ${serveName} builds no \`handler\``);
    handlers[handler] = { serve: serveName, cls, needed, built, decorators };
  }

  // ---- Operations each handler's adapters call --------------------------------------------------
  const adapterPool = new Map();
  const poolOf = (dir, extra = []) => {
    if (!adapterPool.has(dir)) {
      const fns = functionsIn([file(dir)]);
      for (const h of fs.readdirSync(file(dir)).filter((f) => f.endsWith('.h'))) {
        fns.push(...functionsOf(file(path.join(dir, h))));
      }
      adapterPool.set(dir, fns);
    }
    return [...adapterPool.get(dir), ...extra];
  };
  const serviceOf = (dir) => kAdapterServices[dir];

  // Tables an operation works on: the TableName (or RequestItems key) set in the nearest function
  // of its call path that names one.
  // Also a table option handed to the request builders (`bodies.Add(options_.table)`,
  // `GetAll(client_, options_.candles_table, ...)`) and the tables ExplainMissingTable is given (`{options_.table,
  // "what", "SETTING"}`).
  const tableRefs = (fn) => [...new Set([
    ...[...fn.text.matchAll(/"TableName"\s*,\s*options_\.(\w+)/g)].map((m) => m[1]),
    ...[...fn.text.matchAll(/AppendJsonString\(\s*options_\.(\w+)/g)].map((m) => m[1]),
    ...[...fn.text.matchAll(/\b(?:Add|GetAll)\(\s*(?:\w+\s*,\s*)?options_\.(\w+)\s*[,)]/g)].map((m) => m[1]),
    ...[...fn.text.matchAll(/\{\s*options_\.(\w*table)\s*,\s*"/g)].map((m) => m[1]),
  ])];
  const tableKey = (option) => fieldKey.get(optionField.get(option));

  // Every operation reachable from `Class::method` in `dir`: [{service, op, action, tableKeys}].
  const operationsFrom = (dir, cls, method) => {
    const pool = poolOf(dir);
    const entry = pool.find((f) => f.qualified === `${cls}::${method}`) ??
      pool.find((f) => f.name === method && f.qualified === method && f.file.endsWith('.h'));
    if (!entry) {
      problems.push(`${dir}: ${cls}::${method} not found`);
      return [];
    }
    const service = serviceOf(dir);
    const found = [];
    walk(pool, entry, (fn, trail) => {
      for (const m of codeMatches(fn, kOperationCall)) {
        const op = m[1];
        let tables = [];
        if (service === 'dynamodb') {
          for (let k = trail.length - 1; k >= 0 && !tables.length; --k) tables = tableRefs(trail[k]);
          if (!tables.length) {
            problems.push(`${dir}: cannot tell which table ${op} in ${fn.qualified} works on`);
          }
        }
        const tableKeys = tables.map((t) => tableKey(t) ?? `<options_.${t}>`);
        found.push({ service, op, action: iamAction(service, op), tableKeys, via: fn.qualified });
      }
    });
    return found;
  };

  // Interface methods the handler calls: from its `operator()` through the functions of its core
  // files it reaches, calls on receivers declared as `Interface& name` (or `Interface* name`).
  const interfaceCalls = (handler, files) => {
    const receivers = new Map();
    for (const rel of files) {
      for (const m of blank(read(rel)).matchAll(new RegExp(`\\b(${kInterfaces.join('|')})\\s*[&*]\\s*(\\w+)`, 'g'))) {
        receivers.set(m[2], m[1]);
      }
    }
    const pool = functionsIn(files.filter((rel) => rel.endsWith('.cc')).map(file));
    for (const rel of files.filter((r) => r.endsWith('.h'))) pool.push(...functionsOf(file(rel)));
    const entry = pool.find((f) => f.qualified === `${handler.cls}::operator()`);
    if (!entry) {
      problems.push(`${handler.cls}::operator() not found in ${files.join(', ')}`);
      return [];
    }
    const calls = new Set();
    walk(pool, entry, (fn) => {
      for (const [name, iface] of receivers) {
        for (const m of fn.blanked.matchAll(new RegExp(`\\b${name}\\s*(?:\\.|->)\\s*(\\w+)\\s*\\(`, 'g'))) {
          calls.add(`${iface}.${m[1]}`);
        }
      }
    });
    return [...calls].map((c) => c.split('.'));
  };

  for (const [handler, facts] of Object.entries(handlers)) {
    const core = kHandlerCore[handler];
    if (!core) {
      problems.push(`handler ${handler}: the check does not know where its core logic lives (kHandlerCore)`);
      continue;
    }
    facts.operations = [];
    const calls = interfaceCalls(facts, core);
    // A decorator's method calls interfaces of its own (LoggedNotifier::Send -> AlertLog): those
    // calls are the handler's too whenever it calls the decorated method.
    for (const d of facts.decorators) {
      const files = [d.header, d.header.replace(/\.h$/, '.cc')].filter((f) => fs.existsSync(f));
      const own = new Map();
      for (const f of files) {
        for (const m of blank(fs.readFileSync(f, 'utf8')).matchAll(new RegExp(`\\b(${kInterfaces.join('|')})\\s*[&*]\\s*(\\w+)`, 'g'))) {
          own.set(m[2], m[1]);
        }
      }
      const fns = files.flatMap((f) => functionsOf(f));
      for (const [iface, method] of [...calls]) {
        if (iface !== d.iface) continue;
        const fn = fns.find((g) => g.qualified === `${d.cls}::${method}`);
        if (!fn) continue;
        for (const [name, ownIface] of own) {
          if (ownIface === d.iface) continue;
          for (const m of fn.blanked.matchAll(new RegExp(`\\b${name}\\s*(?:\\.|->)\\s*(\\w+)\\s*\\(`, 'g'))) {
            calls.push([ownIface, m[1]]);
          }
        }
      }
    }
    for (const [iface, method] of calls) {
      const adapter = facts.built.get(iface);
      if (!adapter) {
        problems.push(`handler ${handler} calls ${iface}::${method} but ${facts.serve} builds no ${iface}`);
        continue;
      }
      if (!serviceOf(adapter.dir)) {
        problems.push(`handler ${handler}: ${adapter.cls} (${adapter.dir}) is not a known AWS adapter`);
        continue;
      }
      for (const o of operationsFrom(adapter.dir, adapter.cls, method)) {
        facts.operations.push({ ...o, resourceKeys: adapter.resourceKeys, iface, method });
      }
    }
    need(facts.operations, `the AWS operations of handler ${handler}`);
    // RAW layout: the areas (key prefixes) the handler writes.
    facts.areas = new Set();
    for (const rel of core) {
      const t = read(rel);
      for (const m of t.matchAll(/\bWriteObjects\((?:\s*\w+\s*,)?\s*"(\w+)"/g)) facts.areas.add(m[1]);
      for (const m of t.matchAll(/\bObjectKey\(\s*"(\w+)"/g)) facts.areas.add(m[1]);
    }
  }

  // Producer (stockpipe produce --to kinesis) and analyst (stockpipe query --engine athena).
  const producer = operationsFrom('src/stream/kinesis', 'KinesisStream', 'Put');
  const analystPool = 'src/query';
  adapterPool.set(analystPool, functionsIn([file('src/query/athena_query_engine.cc')]));
  const analyst = operationsFrom(analystPool, 'AthenaQueryEngine', 'Run');

  // Every operation any AWS adapter can call, with where: the provisioning helpers among them.
  const allOperations = [];
  for (const [dir, service] of Object.entries(kAdapterServices)) {
    const pool = dir === analystPool ? adapterPool.get(dir) : poolOf(dir);
    for (const fn of pool) {
      for (const m of codeMatches(fn, kOperationCall)) {
        allOperations.push({ service, op: m[1], action: iamAction(service, m[1]), via: fn.qualified });
      }
    }
  }

  // ---- Tables as the adapters create them (CreateTablesIfMissing -> EnsureTable) -------------
  const tableSchemas = new Map();  // env key -> {hash, range}
  for (const fn of poolOf('src/store/dynamodb')) {
    for (const m of fn.text.matchAll(/EnsureTable\(\s*\w+\s*,\s*options_\.(\w+)\s*,\s*"(\w+)"\s*,\s*"(\w+)"\s*[,)]/g)) {
      const key = tableKey(m[1]);
      if (key) tableSchemas.set(key, { hash: m[2], range: m[3] });
    }
  }
  need(tableSchemas, 'the table key schemas (EnsureTable in src/store/dynamodb)');

  // ---- RAW layout and catalog ------------------------------------------------------------------
  const keysWritten = (rel, name) => {
    const fn = functionsOf(file(rel)).find((f) => f.name === name);
    if (!fn) {
      problems.push(`${rel}: ${name} not found`);
      return [];
    }
    return [...new Set([...fn.text.matchAll(/"(\w+)":/g)].map((m) => m[1]))];
  };
  const catalogText = read('src/query/catalog.cc');
  const catalogTables = new Map();
  for (const m of catalogText.matchAll(/CatalogTable\s+\w+\{\s*"(\w+)",\s*"(\w+)",\s*"([\w/]+)",[^{]*\{((?:\{"\w+",\s*"\w+"\},?\s*)+)\}/g)) {
    const types = new Map([...m[4].matchAll(/\{"(\w+)",\s*"(\w+)"\}/g)].map((c) => [c[1], c[2]]));
    catalogTables.set(m[2], { database: m[1], location: m[3], types });
  }
  need(catalogTables, 'the RAW catalog (CatalogTable in src/query/catalog.cc)');
  const columnsOf = (table, fields) => fields.map((name) => ({
    name, type: catalogTables.get(table)?.types.get(name) ?? 'string',
  }));
  const rawFields = keysWritten('src/core/record.cc', 'AppendTickJson');
  // One writer serves the ingest core and the ingest Lambda's undecodable records.
  const rejectedFields = keysWritten('src/ingest/quarantine_line.cc', 'AppendQuarantineLine');
  const catalog = {
    database: catalogTables.get('raw')?.database,
    tables: {
      raw: { location: catalogTables.get('raw')?.location, columns: columnsOf('raw', rawFields) },
      rejected: {
        location: catalogTables.get('rejected')?.location,
        columns: columnsOf('rejected', rejectedFields),
      },
    },
  };

  // ---- Packaging -------------------------------------------------------------------------------
  const cmake = read('src/CMakeLists.txt');
  const zipTarget = /stockpipe_add_lambda_zip\(\s*([\w-]+)\s*\)/.exec(cmake)?.[1];
  need(zipTarget, 'the Lambda zip target (stockpipe_add_lambda_zip in src/CMakeLists.txt)');
  const bootstrap = fs.existsSync(file('packaging/bootstrap.in')) ? read('packaging/bootstrap.in') : '';
  const runtime = /provided\.al\d+/.exec(bootstrap)?.[0];
  need(runtime, 'the Lambda runtime (packaging/bootstrap.in)');

  return {
    problems,
    envKeys,
    keyField,
    configDefaults,
    trendsSchedule,
    lambdaGetenv,
    awsGetenv,
    handlers,
    producer,
    analyst,
    allOperations,
    tableSchemas,
    catalog,
    zip: zipTarget ? { target: `${zipTarget}-zip`, file: `${zipTarget}.zip` } : undefined,
    runtime,
  };
}
