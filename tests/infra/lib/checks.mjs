// The checks of infra/ against the code. `runChecks` returns every failure (area + message) and
// the number of checks made; it never stops at the first failure.
//
// Facts about AWS itself (what Lambda's Kinesis poller needs, which actions IAM only accepts on
// "*", what Athena reads with the caller's permissions, the reference queries) are the KNOWN_*
// constants below; facts about the code come from code_facts.mjs.

import { block, blocks, list, soleReference, strings } from './terraform.mjs';

// KNOWN: what Lambda's Kinesis event source mapping calls with the function's role.
const KNOWN_ESM_STREAM_ACTIONS = ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary',
  'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'];
// KNOWN: actions IAM has no resource type for, so "*" is the only resource that works, and why
// the pipeline grants them.
const KNOWN_STAR_ONLY = {
  'kinesis:ListStreams': 'Lambda checks it when it creates the Kinesis event source mapping',
};
// KNOWN: what Athena reads and writes with the caller's permissions (Glue catalog, S3 data and
// the result location) when the analyst runs a query.
const KNOWN_ATHENA_CALLER_ACTIONS = new Set(['glue:BatchGetPartition', 'glue:GetDatabase',
  'glue:GetDatabases', 'glue:GetPartition', 'glue:GetPartitions', 'glue:GetTable', 'glue:GetTables',
  's3:GetObject', 's3:ListBucket', 's3:GetBucketLocation', 's3:PutObject', 's3:AbortMultipartUpload',
  's3:ListMultipartUploadParts', 's3:ListBucketMultipartUploads']);
// KNOWN: a producer of a stream encrypted with a customer key needs data keys from it.
const KNOWN_PRODUCER_KMS = 'kms:GenerateDataKey';
// KNOWN: names Lambda sets itself; a function may not set them.
const KNOWN_LAMBDA_RESERVED = new Set(['_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION',
  'AWS_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN', 'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR']);
// KNOWN: the reference pipeline's Athena queries.
const KNOWN_REFERENCE_QUERIES = ['SHOW TABLES;', 'SELECT * FROM stock_raw_db.raw LIMIT 10;',
  'SELECT symbol, MAX(price) AS max_price FROM stock_raw_db.raw GROUP BY symbol;',
  'SELECT count(*) FROM stock_raw_db.raw;'];
// KNOWN: attributes the AWS provider exports besides a resource's arguments.
const KNOWN_ATTRIBUTES = {
  aws_kinesis_stream: ['arn', 'name'],
  aws_kms_key: ['arn', 'key_id'],
  aws_s3_bucket: ['arn', 'bucket', 'bucket_domain_name', 'bucket_regional_domain_name'],
  aws_dynamodb_table: ['arn', 'name', 'stream_arn'],
  aws_sns_topic: ['arn'],
  aws_sqs_queue: ['arn', 'url', 'name'],
  aws_lambda_function: ['arn', 'invoke_arn', 'function_name', 'qualified_arn', 'version'],
  aws_iam_role: ['arn', 'name', 'unique_id'],
  aws_iam_policy: ['arn', 'name', 'policy_id'],
  aws_cloudwatch_log_group: ['arn', 'name'],
  aws_cloudwatch_event_rule: ['arn', 'name'],
  aws_cloudwatch_metric_alarm: ['arn', 'alarm_name'],
  aws_athena_workgroup: ['arn', 'name'],
  aws_glue_catalog_database: ['arn', 'name'],
  aws_glue_catalog_table: ['arn', 'name'],
  aws_caller_identity: ['account_id', 'arn', 'user_id'],
  aws_partition: ['partition', 'dns_suffix', 'reverse_dns_prefix'],
  aws_iam_policy_document: ['json', 'minified_json'],
};
const KNOWN_META = new Set(['path', 'terraform', 'self', 'each', 'count']);

export async function runChecks({ model, facts, refs, docsText }) {
  const failures = [];
  let count = 0;
  const check = (area, ok, message) => {
    ++count;
    if (!ok) failures.push({ area, message });
    return ok;
  };
  for (const p of facts.problems) check('code', false, p);

  const resourcesOf = (type) => [...model.resources.values()].filter((r) => r.type === type);
  const address = (r) => `${r.type}.${r.name}`;
  // "${aws_x.name.attr}" -> the resource (and attribute), if the whole string is that reference.
  const target = (text) => {
    const ref = soleReference(text);
    if (!ref) return null;
    const [type, name, attr] = ref.split('.');
    const r = model.resources.get(`${type}.${name}`);
    return r ? { r, attr, ref } : null;
  };
  const refersTo = (text, r, attrs) => {
    const t = target(text);
    return !!t && t.r === r && (!attrs || attrs.includes(t.attr));
  };
  const arnOf = (r) => `\${${address(r)}.arn}`;
  const variableOf = (text) => {
    const ref = soleReference(text);
    return ref?.startsWith('var.') ? model.variables.get(ref.slice(4)) : undefined;
  };
  // A value with the default inputs: literals, "${var.x}" parts replaced by their defaults.
  const withDefaults = (text) => {
    if (typeof text !== 'string') return text;
    let unresolved = false;
    const value = text.replace(/\$\{var\.(\w+)\}/g, (_, name) => {
      const d = model.variables.get(name)?.body.default;
      if (d === undefined || typeof d === 'object') unresolved = true;
      return String(d);
    });
    return unresolved || value.includes('${') ? undefined : value;
  };

  // ---- Structure ---------------------------------------------------------------------------------
  check('structure', !model.duplicates.length, `defined twice: ${model.duplicates.join(', ')}`);
  for (const t of model.terraform) {
    check('structure', !t.body.backend && !t.body.cloud,
      `${t.file}: a backend is hard-coded in the terraform block; leave state where the user puts it`);
  }
  const required = model.terraform.flatMap((t) => blocks(t.body, 'required_providers'));
  check('structure', required.some((p) => p.aws?.source === 'hashicorp/aws' && p.aws?.version),
    'required_providers must pin hashicorp/aws with a version constraint');
  const aws = model.providers.filter((p) => p.name === 'aws');
  check('structure', aws.length === 1 && aws[0].body.region === '${var.region}',
    'the aws provider must take its region from var.region');
  for (const r of model.resources.values()) {
    check('structure', r.type.startsWith('aws_'), `${address(r)}: only the aws provider is used`);
  }
  for (const [file, json] of Object.entries(model.files)) {
    for (const [text, where] of strings(json)) {
      check('structure', !/(?<!\d)\d{12}(?!\d)/.test(text),
        `${file} ${where.join('.')}: "${text}" looks like a hard-coded account id`);
    }
  }
  for (const [name, v] of model.variables) {
    check('variables', !!v.body.description && !!v.body.type,
      `variable ${name} needs a description and a type`);
  }
  const example = model.tfvarsExample;
  check('variables', !!example, 'infra/terraform.tfvars.example is missing');
  if (example) {
    for (const key of Object.keys(example)) {
      check('variables', model.variables.has(key),
        `terraform.tfvars.example sets ${key}, which is not a variable`);
    }
    for (const [name, v] of model.variables) {
      if (v.body.default === undefined) {
        check('variables', name in example,
          `terraform.tfvars.example must show the required variable ${name}`);
      }
    }
    if ('alert_email' in example) {
      check('variables', /@example\.(com|org|net)$/.test(example.alert_email),
        `terraform.tfvars.example: alert_email must be a documentation address (@example.com), got ${example.alert_email}`);
    }
  }

  // ---- References resolve ------------------------------------------------------------------------
  const usedVariables = new Set();
  const iterators = new Set();
  for (const json of Object.values(model.files)) {
    (function find(v) {
      if (Array.isArray(v)) v.forEach(find);
      else if (v && typeof v === 'object') {
        if (v.dynamic && typeof v.dynamic === 'object') Object.keys(v.dynamic).forEach((k) => iterators.add(k));
        Object.values(v).forEach(find);
      }
    })(json);
  }
  for (const [file, json] of Object.entries(model.files)) {
    for (const [text, where] of strings(json)) {
      if (where[0] === 'variable' && where[3] === 'type') continue;  // a type, not an expression
      for (const ref of await refs(text)) {
        const parts = ref.split('.');
        const at = `${file} ${where.slice(0, 4).join('.')}`;
        const [head] = parts;
        if (head === 'var') {
          usedVariables.add(parts[1]);
          check('references', model.variables.has(parts[1]), `${at}: var.${parts[1]} is not declared`);
        } else if (head === 'local') {
          check('references', model.locals.has(parts[1]), `${at}: local.${parts[1]} is not declared`);
        } else if (head === 'data') {
          const d = model.data.get(`${parts[1]}.${parts[2]}`);
          if (check('references', !!d, `${at}: data.${parts[1]}.${parts[2]} is not declared`) && parts[3]) {
            const known = KNOWN_ATTRIBUTES[parts[1]] ?? [];
            check('references', known.includes(parts[3]) || parts[3] in d.body,
              `${at}: data.${parts[1]}.${parts[2]} has no attribute ${parts[3]}`);
          }
        } else if (head === 'module') {
          check('references', model.modules.has(parts[1]), `${at}: module.${parts[1]} is not declared`);
        } else if (KNOWN_META.has(head) || iterators.has(head)) {
          // Terraform's own names.
        } else {
          const r = model.resources.get(`${parts[0]}.${parts[1]}`);
          if (check('references', !!r, `${at}: ${parts[0]}.${parts[1]} is not declared`) && parts[2]) {
            const known = [...(KNOWN_ATTRIBUTES[r.type] ?? []), 'id', 'tags_all'];
            check('references', known.includes(parts[2]) || parts[2] in r.body,
              `${at}: ${parts[0]}.${parts[1]} has no attribute ${parts[2]} (not an argument, not in KNOWN_ATTRIBUTES)`);
          }
        }
      }
    }
  }
  for (const name of model.variables.keys()) {
    check('variables', usedVariables.has(name), `variable ${name} is declared but never used`);
  }

  // ---- Lambda functions and their environment ---------------------------------------------------
  const functions = resourcesOf('aws_lambda_function');
  const byHandler = new Map();
  for (const fn of functions) {
    const handler = fn.body.handler;
    check('lambda', handler in facts.handlers,
      `${address(fn)}: handler "${handler}" is not one of the binary's handlers (${Object.keys(facts.handlers).join(', ')}, src/lambda/main.cc)`);
    if (!byHandler.has(handler)) byHandler.set(handler, []);
    byHandler.get(handler).push(fn);
  }
  for (const handler of Object.keys(facts.handlers)) {
    check('lambda', byHandler.get(handler)?.length === 1,
      `exactly one aws_lambda_function must run handler "${handler}", found ${byHandler.get(handler)?.length ?? 0}`);
  }
  const fnOf = (handler) => byHandler.get(handler)?.[0];
  const zipVariables = async (text, seen = new Set()) => {
    const found = [];
    for (const ref of await refs(text)) {
      const [head, name] = ref.split('.');
      if (head === 'var') found.push(name);
      if (head === 'local' && !seen.has(name) && model.locals.has(name)) {
        seen.add(name);
        const value = model.locals.get(name).value;
        if (typeof value === 'string') found.push(...await zipVariables(value, seen));
      }
    }
    return found;
  };
  const roles = new Map();
  for (const fn of functions) {
    const at = address(fn);
    check('lambda', fn.body.runtime === facts.runtime,
      `${at}: runtime must be ${facts.runtime} (packaging/bootstrap.in), got ${fn.body.runtime}`);
    const zipVars = await zipVariables(String(fn.body.filename ?? ''));
    const zipDefault = zipVars.map((v) => model.variables.get(v)?.body.default).find((d) => typeof d === 'string');
    check('lambda', !!facts.zip && !!zipDefault && zipDefault.split('/').pop() === facts.zip.file,
      `${at}: filename must come from a variable defaulting to the zip the build makes (${facts.zip?.file}, target ${facts.zip?.target}), got ${zipDefault}`);
    check('lambda', typeof fn.body.source_code_hash === 'string',
      `${at}: source_code_hash must be set so a new zip is deployed`);
    const role = target(fn.body.role);
    if (check('lambda', role?.r.type === 'aws_iam_role', `${at}: role must be an aws_iam_role of this configuration`)) {
      const other = roles.get(role.r);
      check('iam', !other, `${at} shares ${address(role.r)} with ${other && address(other)}: one role per function`);
      roles.set(role.r, fn);
    }

    // Environment: exactly the names the handler reads.
    const facts_ = facts.handlers[fn.body.handler];
    const variables = block(fn.body, 'environment')?.variables;
    if (!check('environment', variables && typeof variables === 'object',
      `${at}: environment.variables must be a literal map (so its names can be checked)`)) continue;
    const allowed = new Set([...facts.envKeys, ...facts.lambdaGetenv]);
    for (const key of Object.keys(variables)) {
      check('environment', !KNOWN_LAMBDA_RESERVED.has(key), `${at}: ${key} is reserved; Lambda sets it itself`);
      check('environment', allowed.has(key),
        `${at}: ${key} is not a name the code reads (kEnvironmentKeys in src/core/config.h, getenv in src/lambda)`);
      if (facts_) {
        check('environment', facts_.needed.has(key),
          `${at}: handler ${fn.body.handler} never reads ${key} (it reads ${[...facts_.needed].join(', ')})`);
      }
    }
    for (const key of facts_?.needed ?? []) {
      check('environment', key in variables, `${at}: handler ${fn.body.handler} reads ${key}, which is not set`);
    }
    const bindings = {
      RAW_DATA_BUCKET: ['aws_s3_bucket', ['bucket', 'id']],
      DYNAMODB_TABLE: ['aws_dynamodb_table', ['name', 'id']],
      DYNAMODB_STATE_TABLE: ['aws_dynamodb_table', ['name', 'id']],
      DYNAMODB_CANDLES_TABLE: ['aws_dynamodb_table', ['name', 'id']],
      SNS_TOPIC_ARN: ['aws_sns_topic', ['arn', 'id']],
      KINESIS_STREAM: ['aws_kinesis_stream', ['name']],
    };
    for (const [key, value] of Object.entries(variables)) {
      if (bindings[key]) {
        const [type, attrs] = bindings[key];
        const t = target(value);
        check('environment', t?.r.type === type && attrs.includes(t.attr),
          `${at}: ${key} must be ${type}.<name>.${attrs[0]} of this configuration, got ${value}`);
      } else {
        check('environment', (await refs(String(value))).some((r) => r.startsWith('var.')),
          `${at}: ${key} must come from a variable, got ${JSON.stringify(value)}`);
      }
    }
  }
  // One resource per name across functions: both functions must use the same tables.
  const envValues = new Map();
  for (const fn of functions) {
    for (const [key, value] of Object.entries(block(fn.body, 'environment')?.variables ?? {})) {
      if (envValues.has(key)) {
        check('environment', envValues.get(key) === value,
          `${key} differs between the functions (${envValues.get(key)} vs ${value})`);
      }
      envValues.set(key, value);
    }
  }
  const envTarget = (key) => target(envValues.get(key))?.r;

  // ---- Kinesis and the event source mapping -------------------------------------------------
  const streams = resourcesOf('aws_kinesis_stream');
  check('kinesis', streams.length === 1, `one Kinesis stream expected, found ${streams.length}`);
  const stream = streams[0];
  let streamKey;
  if (stream) {
    check('kinesis', stream.body.encryption_type === 'KMS', `${address(stream)}: encryption_type must be KMS`);
    streamKey = target(stream.body.kms_key_id)?.r;
    if (check('kinesis', streamKey?.type === 'aws_kms_key',
      `${address(stream)}: kms_key_id must be an aws_kms_key of this configuration (so the roles can be granted that key only)`)) {
      check('kinesis', streamKey.body.enable_key_rotation === true, `${address(streamKey)}: enable key rotation`);
    }
    check('kinesis', !!variableOf(block(stream.body, 'stream_mode_details')?.stream_mode),
      `${address(stream)}: stream_mode must come from a variable (shards or on-demand)`);
    check('kinesis', !!variableOf(stream.body.retention_period), `${address(stream)}: retention_period must come from a variable`);
  }
  check('kinesis', !resourcesOf('aws_kinesis_stream_consumer').length,
    'no aws_kinesis_stream_consumer: the event source mapping reads with GetRecords, a registered consumer only costs');

  const ingestFn = fnOf('ingest');
  const mappings = resourcesOf('aws_lambda_event_source_mapping');
  const esm = mappings.find((m) => ingestFn && refersTo(m.body.function_name, ingestFn, ['arn', 'function_name']));
  let dlq;
  // A bound on a number: a literal, or a variable whose default and validation keep it in range.
  const bounded = (value, lo, hi) => {
    if (typeof value === 'number') return value >= lo && value <= hi;
    const v = variableOf(value);
    if (!v) return false;
    const name = soleReference(value).slice(4);
    const d = v.body.default;
    let min = -Infinity;
    let max = Infinity;
    for (const validation of blocks(v.body, 'validation')) {
      const c = String(validation.condition);
      for (const m of c.matchAll(new RegExp(`var\\.${name}\\s*(>=|>|<=|<)\\s*(-?[\\d.]+)`, 'g'))) {
        const n = Number(m[2]);
        if (m[1] === '>=') min = Math.max(min, n);
        if (m[1] === '>') min = Math.max(min, n + 1);
        if (m[1] === '<=') max = Math.min(max, n);
        if (m[1] === '<') max = Math.min(max, n - 1);
      }
    }
    return typeof d === 'number' && d >= lo && d <= hi && min >= lo && max <= hi;
  };
  if (check('mapping', !!esm, 'an aws_lambda_event_source_mapping must feed the ingest function')) {
    const b = esm.body;
    const at = address(esm);
    check('mapping', !!stream && refersTo(b.event_source_arn, stream, ['arn']), `${at}: event_source_arn must be the stream's arn`);
    check('mapping', b.starting_position === 'TRIM_HORIZON', `${at}: starting_position must be TRIM_HORIZON (nothing already in the stream is skipped)`);
    check('mapping', list(b.function_response_types).includes('ReportBatchItemFailures'),
      `${at}: function_response_types must include ReportBatchItemFailures (the handler returns batchItemFailures)`);
    check('mapping', b.bisect_batch_on_function_error === true, `${at}: bisect_batch_on_function_error must be true`);
    check('mapping', bounded(b.maximum_retry_attempts, 0, 10000),
      `${at}: maximum_retry_attempts must be bounded (0..10000, never -1), literally or by the variable's validation`);
    check('mapping', bounded(b.maximum_record_age_in_seconds, 60, 604800),
      `${at}: maximum_record_age_in_seconds must be bounded (60..604800, never -1)`);
    check('mapping', !!variableOf(b.batch_size), `${at}: batch_size must come from a variable`);
    check('mapping', !!variableOf(b.maximum_batching_window_in_seconds),
      `${at}: maximum_batching_window_in_seconds must come from a variable`);
    const onFailure = block(block(b, 'destination_config'), 'on_failure');
    dlq = target(onFailure?.destination_arn)?.r;
    check('mapping', dlq?.type === 'aws_sqs_queue' && target(onFailure.destination_arn).attr === 'arn',
      `${at}: destination_config.on_failure must send to an aws_sqs_queue (dead-letter queue)`);
  }

  // ---- IAM ---------------------------------------------------------------------------------------
  const documents = new Map([...model.data.values()].filter((d) => d.type === 'aws_iam_policy_document')
    .map((d) => [d.name, d]));
  const statementsOf = (policyText, at) => {
    const ref = soleReference(policyText);
    const m = /^data\.aws_iam_policy_document\.(\w+)\.json$/.exec(ref ?? '');
    if (!check('iam', !!m && documents.has(m[1]),
      `${at}: the policy must be a data.aws_iam_policy_document (…).json of this configuration`)) {
      return [];
    }
    return blocks(documents.get(m[1]).body, 'statement').map((s) => ({ ...s, document: m[1] }));
  };
  // No wildcard action in any Allow; "*" as resource only for actions without a resource type.
  for (const d of documents.values()) {
    for (const s of blocks(d.body, 'statement')) {
      const at = `data.aws_iam_policy_document.${d.name}${s.sid ? ` (${s.sid})` : ''}`;
      check('iam', !s.not_actions && !s.not_resources, `${at}: not_actions / not_resources are not allowed`);
      if ((s.effect ?? 'Allow') !== 'Allow') continue;
      for (const action of list(s.actions)) {
        check('iam', !String(action).includes('*'), `${at}: wildcard action ${action}`);
      }
      if (list(s.resources).includes('*')) {
        const bad = list(s.actions).filter((a) => !(a in KNOWN_STAR_ONLY));
        check('iam', !bad.length, `${at}: Resource "*" for ${bad.join(', ')}, which IAM can scope to resources`);
      }
    }
  }
  const logGroupFor = (fn) => resourcesOf('aws_cloudwatch_log_group')
    .find((g) => g.body.name === `/aws/lambda/${fn.body.function_name}`);
  // Grants as "action on resource" lines, to compare as sets.
  const grantsOf = (statements) => {
    const set = new Set();
    for (const s of statements) {
      if ((s.effect ?? 'Allow') !== 'Allow') continue;
      for (const a of list(s.actions)) for (const r of list(s.resources)) set.add(`${a} on ${r}`);
    }
    return set;
  };
  const compare = (area, who, granted, expected) => {
    for (const [grant, why] of expected) {
      check(area, granted.has(grant), `${who} lacks ${grant} (${why})`);
    }
    for (const grant of granted) {
      check(area, expected.has(grant), `${who} grants ${grant}, which nothing in the code or AWS needs`);
    }
  };
  // Creating (or deleting) tables, streams and buckets is what the adapters' *IfMissing helpers
  // do for the emulators; here Terraform owns the resources.
  const provisioning = new Map(facts.allOperations.filter((o) => /^(Create|Delete)/.test(o.op))
    .map((o) => [o.action, o.via]));
  for (const [role, fn] of roles) {
    const who = `${address(role)} (function ${fn.body.handler})`;
    const assume = statementsOf(role.body.assume_role_policy, `${address(role)} assume_role_policy`);
    check('iam', assume.length === 1 && blocks(assume[0], 'principals').every((p) => p.type === 'Service' &&
      list(p.identifiers).join() === 'lambda.amazonaws.com'), `${who}: only lambda.amazonaws.com may assume it`);
    check('iam', !role.body.managed_policy_arns && !role.body.inline_policy,
      `${who}: no managed_policy_arns / inline_policy on the role (they escape the check)`);
    check('iam', !resourcesOf('aws_iam_role_policy_attachment').some((a) => refersTo(a.body.role, role, ['name', 'id'])),
      `${who}: no managed policy attachments (AWSLambdaBasicExecutionRole & co. grant logs on every group)`);
    const policies = resourcesOf('aws_iam_role_policy').filter((p) => refersTo(p.body.role, role, ['name', 'id']));
    const statements = policies.flatMap((p) => statementsOf(p.body.policy, address(p)));
    const granted = grantsOf(statements);
    const expected = new Map();
    const handler = facts.handlers[fn.body.handler];
    for (const op of handler?.operations ?? []) {
      const why = `${op.via} calls ${op.op}`;
      if (op.service === 'dynamodb') {
        for (const key of op.tableKeys) {
          const table = envTarget(key);
          if (check('iam', !!table, `${who}: ${op.via} works on ${key}, which no function sets`)) {
            expected.set(`${op.action} on ${arnOf(table)}`, why);
          }
        }
      } else if (op.service === 's3') {
        const bucket = envTarget(op.resourceKeys[0]);
        if (!check('iam', !!bucket, `${who}: ${op.via} writes to ${op.resourceKeys[0]}, which no function sets`)) continue;
        const targets = op.op === 'PutObject' || op.op === 'GetObject'
          ? [...handler.areas].map((area) => `${arnOf(bucket)}/${area}/*`)
          : [arnOf(bucket)];
        for (const t of targets) expected.set(`${op.action} on ${t}`, why);
        // S3 tells a missing key (404) from a refused one only to a caller that may list the bucket.
        if (op.op === 'GetObject') expected.set(`s3:ListBucket on ${arnOf(bucket)}`, `${why} and needs 404 for a missing key`);
      } else {
        const resource = envTarget(op.resourceKeys[0]);
        if (check('iam', !!resource, `${who}: ${op.via} needs ${op.resourceKeys[0]}, which no function sets`)) {
          expected.set(`${op.action} on ${arnOf(resource)}`, why);
        }
      }
    }
    if (esm && refersTo(esm.body.function_name, fn, ['arn', 'function_name']) && stream) {
      for (const a of KNOWN_ESM_STREAM_ACTIONS) expected.set(`${a} on ${arnOf(stream)}`, 'Lambda reads the stream with the role');
      for (const [a, why] of Object.entries(KNOWN_STAR_ONLY)) expected.set(`${a} on *`, why);
      if (streamKey) expected.set(`kms:Decrypt on ${arnOf(streamKey)}`, 'the records are encrypted with this key');
      if (dlq) expected.set(`sqs:SendMessage on ${arnOf(dlq)}`, 'failed batches are reported to the dead-letter queue');
    }
    const group = logGroupFor(fn);
    if (check('monitoring', !!group, `${address(fn)}: no aws_cloudwatch_log_group named /aws/lambda/<function_name>`)) {
      for (const a of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
        expected.set(`${a} on ${arnOf(group)}:*`, 'its own log group only');
      }
    }
    compare('iam', who, granted, expected);
    const decrypt = statements.find((s) => list(s.actions).includes('kms:Decrypt'));
    if (decrypt) {
      check('iam', blocks(decrypt, 'condition').some((c) => c.variable === 'kms:ViaService'),
        `${who}: kms:Decrypt should be limited to use through Kinesis (kms:ViaService)`);
    }
  }
  // Whatever any document allows, a provisioning helper's action is never among it.
  for (const d of documents.values()) {
    for (const s of blocks(d.body, 'statement')) {
      if ((s.effect ?? 'Allow') !== 'Allow') continue;
      for (const a of list(s.actions)) {
        check('iam', !provisioning.has(a),
          `data.aws_iam_policy_document.${d.name}: ${a} is only called by ${provisioning.get(a)}, a development helper; Terraform creates that resource`);
      }
    }
  }
  // The producer and analyst policies: the code's actions exactly, plus what AWS requires.
  const managed = (name) => {
    const p = resourcesOf('aws_iam_policy').find((x) => x.name === name);
    return p ? statementsOf(p.body.policy, address(p)) : null;
  };
  const producer = managed('producer');
  if (check('iam', !!producer, 'aws_iam_policy.producer (for `stockpipe produce --to kinesis`) is missing') && stream) {
    const expected = new Map(facts.producer.map((o) => [`${o.action} on ${arnOf(stream)}`, `${o.via} calls ${o.op}`]));
    if (streamKey) expected.set(`${KNOWN_PRODUCER_KMS} on ${arnOf(streamKey)}`, 'records are encrypted with this key');
    compare('iam', 'aws_iam_policy.producer', grantsOf(producer), expected);
  }
  const analyst = managed('analyst');
  const workgroups = resourcesOf('aws_athena_workgroup');
  if (check('iam', !!analyst, 'aws_iam_policy.analyst (for `stockpipe query --engine athena`) is missing') && workgroups[0]) {
    const granted = grantsOf(analyst);
    const code = new Set(facts.analyst.map((o) => o.action));
    for (const a of code) {
      check('iam', granted.has(`${a} on ${arnOf(workgroups[0])}`), `aws_iam_policy.analyst lacks ${a} on the workgroup (AthenaQueryEngine::Run calls it)`);
    }
    for (const g of granted) {
      const [a, , r] = g.split(' ');
      check('iam', (code.has(a) && r === arnOf(workgroups[0])) || KNOWN_ATHENA_CALLER_ACTIONS.has(a),
        `aws_iam_policy.analyst grants ${g}, which neither the code nor Athena needs`);
    }
  }

  // ---- S3 ----------------------------------------------------------------------------------------
  const rawBucket = envTarget('RAW_DATA_BUCKET');
  const forBucket = (type, bucket) => resourcesOf(type).filter((r) => refersTo(r.body.bucket, bucket, ['id', 'bucket']));
  for (const bucket of resourcesOf('aws_s3_bucket')) {
    const at = address(bucket);
    const pab = forBucket('aws_s3_bucket_public_access_block', bucket)[0]?.body;
    const blocked = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];
    check('s3', !!pab && blocked.every((k) => pab[k] === true),
      `${at}: needs an aws_s3_bucket_public_access_block with all four settings true`);
    const sse = forBucket('aws_s3_bucket_server_side_encryption_configuration', bucket)[0]?.body;
    check('s3', ['AES256', 'aws:kms'].includes(block(block(sse, 'rule'), 'apply_server_side_encryption_by_default')?.sse_algorithm),
      `${at}: needs default encryption (aws_s3_bucket_server_side_encryption_configuration)`);
    const policy = forBucket('aws_s3_bucket_policy', bucket)[0];
    const statements = policy ? statementsOf(policy.body.policy, address(policy)) : [];
    const withoutTls = (c) => c.variable === 'aws:SecureTransport' && list(c.values).includes('false');
    check('s3', statements.some((s) => s.effect === 'Deny' && blocks(s, 'condition').some(withoutTls) &&
      list(s.resources).includes(arnOf(bucket)) && list(s.resources).includes(`${arnOf(bucket)}/*`)),
      `${at}: needs a bucket policy denying requests without TLS (aws:SecureTransport = false) on the bucket and its objects`);
    const ownership = forBucket('aws_s3_bucket_ownership_controls', bucket)[0]?.body;
    check('s3', block(ownership, 'rule')?.object_ownership === 'BucketOwnerEnforced',
      `${at}: object ownership should be BucketOwnerEnforced (no ACLs)`);
  }
  if (check('s3', !!rawBucket, 'RAW_DATA_BUCKET must name an aws_s3_bucket of this configuration')) {
    const rules = forBucket('aws_s3_bucket_lifecycle_configuration', rawBucket).flatMap((l) => blocks(l.body, 'rule'));
    for (const area of facts.handlers.ingest?.areas ?? []) {
      check('s3', rules.some((r) => r.status === 'Enabled' && block(r, 'filter')?.prefix === `${area}/` && block(r, 'expiration')),
        `${address(rawBucket)}: needs an enabled lifecycle rule with an expiration for ${area}/`);
    }
  }

  // ---- DynamoDB ----------------------------------------------------------------------------------
  const configDefaults = facts.configDefaults ?? {};
  for (const [key, schema] of facts.tableSchemas) {
    const table = envTarget(key);
    if (!check('dynamodb', table?.type === 'aws_dynamodb_table', `${key}: no aws_dynamodb_table is given to the functions`)) continue;
    const b = table.body;
    const at = address(table);
    check('dynamodb', b.hash_key === schema.hash && b.range_key === schema.range,
      `${at}: keys must be ${schema.hash} (hash) / ${schema.range} (range) as the adapter creates them, got ${b.hash_key} / ${b.range_key}`);
    const attributes = new Map(blocks(b, 'attribute').map((a) => [a.name, a.type]));
    check('dynamodb', attributes.get(schema.hash) === 'S' && attributes.get(schema.range) === 'S' && attributes.size === 2,
      `${at}: attributes must be exactly ${schema.hash} S and ${schema.range} S`);
    check('dynamodb', b.billing_mode === 'PAY_PER_REQUEST', `${at}: billing_mode must be PAY_PER_REQUEST (on demand)`);
    check('dynamodb', block(b, 'point_in_time_recovery')?.enabled === true, `${at}: point-in-time recovery must be enabled`);
    if (configDefaults[key]) {
      check('dynamodb', withDefaults(b.name) === configDefaults[key],
        `${at}: with the default inputs its name must be the code's default ${configDefaults[key]} (src/core/config.h), got ${withDefaults(b.name)}`);
    }
  }

  // ---- Glue and Athena ---------------------------------------------------------------------------
  const database = resourcesOf('aws_glue_catalog_database').find((d) => d.body.name === facts.catalog.database);
  check('glue', !!database, `aws_glue_catalog_database named ${facts.catalog.database} (src/query/catalog.cc) is missing`);
  for (const [name, expected] of Object.entries(facts.catalog.tables)) {
    const table = resourcesOf('aws_glue_catalog_table').find((t) => t.body.name === name);
    if (!check('glue', !!table, `aws_glue_catalog_table ${name} is missing`)) continue;
    const at = address(table);
    const b = table.body;
    check('glue', !!database && refersTo(b.database_name, database, ['name']), `${at}: database_name must be ${facts.catalog.database}`);
    const sd = block(b, 'storage_descriptor') ?? {};
    const bucket = rawBucket ? `s3://\${${address(rawBucket)}.bucket}/` : '<RAW bucket>';
    check('glue', sd.location === `${bucket}${expected.location}`, `${at}: location must be ${bucket}${expected.location}, got ${sd.location}`);
    check('glue', block(sd, 'ser_de_info')?.serialization_library === 'org.openx.data.jsonserde.JsonSerDe',
      `${at}: the SerDe must be org.openx.data.jsonserde.JsonSerDe (JSON Lines)`);
    check('glue', sd.input_format === 'org.apache.hadoop.mapred.TextInputFormat', `${at}: input_format must be TextInputFormat (gzip text)`);
    const columns = blocks(sd, 'columns').map((c) => `${c.name} ${c.type}`).sort();
    const want = expected.columns.map((c) => `${c.name} ${c.type}`).sort();
    check('glue', columns.join() === want.join(),
      `${at}: columns must be the fields ingest writes (${want.join(', ')}), got ${columns.join(', ')}`);
    const pk = blocks(b, 'partition_keys');
    check('glue', pk.length === 1 && pk[0].name === 'dt' && pk[0].type === 'string', `${at}: the one partition key must be dt string`);
    const p = b.parameters ?? {};
    check('glue', p['projection.enabled'] === 'true' && p['projection.dt.type'] === 'date' &&
      p['projection.dt.format'] === 'yyyy-MM-dd' && /,NOW$/.test(p['projection.dt.range'] ?? ''),
      `${at}: partition projection on dt (enabled, type date, format yyyy-MM-dd, range ...,NOW) is required`);
    check('glue', p['storage.location.template'] === `${bucket}${expected.location}dt=$\${dt}/`,
      `${at}: storage.location.template must be ${bucket}${expected.location}dt=$\${dt}/, got ${p['storage.location.template']}`);
  }
  const workgroup = workgroups[0];
  if (check('athena', workgroups.length === 1, `one aws_athena_workgroup expected, found ${workgroups.length}`)) {
    const c = block(workgroup.body, 'configuration') ?? {};
    check('athena', c.enforce_workgroup_configuration === true, `${address(workgroup)}: enforce_workgroup_configuration must be true`);
    const output = block(c, 'result_configuration')?.output_location ?? '';
    const results = resourcesOf('aws_s3_bucket').find((b) => output.startsWith(`s3://\${${address(b)}.bucket}/`));
    check('athena', !!results && results !== rawBucket,
      `${address(workgroup)}: the result location must be in the query-results bucket (not RAW), got ${output}`);
  }
  const named = resourcesOf('aws_athena_named_query');
  for (const q of KNOWN_REFERENCE_QUERIES) {
    const found = named.find((n) => n.body.query === q);
    check('athena', !!found && !!workgroup && refersTo(found.body.workgroup, workgroup, ['id', 'name']) &&
      !!database && refersTo(found.body.database, database, ['name']),
      `the reference query "${q}" must be a named query in the workgroup on ${facts.catalog.database}`);
  }

  // ---- Schedule and SNS --------------------------------------------------------------------------
  const trendsFn = fnOf('trends');
  const rule = resourcesOf('aws_cloudwatch_event_rule')[0];
  if (check('eventbridge', !!rule && !!trendsFn, 'an aws_cloudwatch_event_rule must run the trends function')) {
    const v = variableOf(rule.body.schedule_expression);
    check('eventbridge', v?.body.default === facts.trendsSchedule,
      `${address(rule)}: schedule_expression must come from a variable defaulting to ${facts.trendsSchedule} (TRENDS_EVERY's default)`);
    check('eventbridge', resourcesOf('aws_cloudwatch_event_target').some((t) =>
      refersTo(t.body.rule, rule, ['name', 'id']) && refersTo(t.body.arn, trendsFn, ['arn'])),
      `${address(rule)}: needs an aws_cloudwatch_event_target on the trends function`);
    check('eventbridge', resourcesOf('aws_lambda_permission').some((p) => p.body.principal === 'events.amazonaws.com' &&
      refersTo(p.body.function_name, trendsFn, ['function_name', 'arn']) && refersTo(p.body.source_arn, rule, ['arn'])),
      `${address(rule)}: needs an aws_lambda_permission for events.amazonaws.com limited to this rule (source_arn)`);
  }
  const topic = envTarget('SNS_TOPIC_ARN');
  if (check('sns', topic?.type === 'aws_sns_topic', 'SNS_TOPIC_ARN must be an aws_sns_topic of this configuration')) {
    check('sns', resourcesOf('aws_sns_topic_subscription').some((s) => s.body.protocol === 'email' &&
      refersTo(s.body.topic_arn, topic, ['arn']) && s.body.endpoint === '${var.alert_email}'),
      `${address(topic)}: needs an e-mail subscription to var.alert_email`);
  }

  // ---- Monitoring --------------------------------------------------------------------------------
  for (const fn of functions) {
    const group = logGroupFor(fn);
    check('monitoring', !!group && group.body.retention_in_days !== undefined,
      `${address(fn)}: its log group needs a retention`);
  }
  const alarms = resourcesOf('aws_cloudwatch_metric_alarm');
  for (const a of alarms) {
    check('monitoring', !!topic && list(a.body.alarm_actions).includes(arnOf(topic)),
      `${address(a)}: alarm_actions must notify the alerts topic`);
  }
  const alarm = (namespace, metric, dimension, value, extra = () => true) => alarms.find((a) =>
    a.body.namespace === namespace && a.body.metric_name === metric &&
    (a.body.dimensions ?? {})[dimension] === value && extra(a.body));
  if (stream) {
    check('monitoring', !!alarm('AWS/Kinesis', 'IncomingRecords', 'StreamName', `\${${address(stream)}.name}`,
      (b) => b.comparison_operator === 'LessThanThreshold' && b.threshold <= 1 && b.treat_missing_data === 'breaching'),
      'an alarm on IncomingRecords < 1 of the stream with treat_missing_data = breaching (no data) is required');
  }
  if (ingestFn) {
    check('monitoring', !!alarm('AWS/Lambda', 'IteratorAge', 'FunctionName', `\${${address(ingestFn)}.function_name}`,
      (b) => b.comparison_operator === 'GreaterThanThreshold') ||
      (!!stream && !!alarm('AWS/Kinesis', 'GetRecords.IteratorAgeMilliseconds', 'StreamName', `\${${address(stream)}.name}`)),
      'an iterator age alarm (ingest falling behind) is required');
  }
  for (const fn of functions) {
    for (const metric of ['Errors', 'Throttles']) {
      check('monitoring', !!alarm('AWS/Lambda', metric, 'FunctionName', `\${${address(fn)}.function_name}`,
        (b) => b.comparison_operator === 'GreaterThanThreshold' && b.threshold === 0),
        `an alarm on ${metric} > 0 of ${address(fn)} is required`);
    }
  }
  if (dlq) {
    check('monitoring', !!alarm('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', `\${${address(dlq)}.name}`,
      (b) => b.comparison_operator === 'GreaterThanThreshold' && b.threshold === 0),
      'an alarm on the dead-letter queue not being empty is required');
  }

  // ---- Outputs and the deployment guide ------------------------------------------------------------
  const cli = model.locals.get('cli_environment')?.value;
  if (check('outputs', cli && typeof cli === 'object', 'local.cli_environment (the CLI environment output) must be a literal map')) {
    const allowed = new Set([...facts.envKeys, ...facts.awsGetenv]);
    for (const key of Object.keys(cli)) {
      check('outputs', allowed.has(key), `local.cli_environment: ${key} is not a name the CLI reads`);
    }
  }
  if (check('outputs', docsText !== undefined, 'docs/deploy-aws.md is missing')) {
    for (const m of docsText.matchAll(/terraform (?:-chdir=\S+ )?output (?:-raw |-json )?(\w+)/g)) {
      check('outputs', model.outputs.has(m[1]), `docs/deploy-aws.md uses output ${m[1]}, which infra/outputs.tf does not declare`);
    }
  }

  return { failures, count };
}
