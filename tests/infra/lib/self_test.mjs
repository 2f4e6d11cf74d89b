// Proof that the checks can fail: each case breaks a copy of the parsed configuration (or of the
// code facts) the way a real mistake would, and names words the resulting failure must contain.
// A case whose mistake goes unnoticed is itself a failure.

const body = (files, kind, type, name) => {
  for (const json of Object.values(files)) {
    const found = json[kind]?.[type]?.[name];
    if (found) return found[0];
  }
  throw new Error(`self-test: ${kind} ${type}.${name} not found`);
};
const statement = (files, document, sid) => {
  const s = body(files, 'data', 'aws_iam_policy_document', document).statement.find((x) => x.sid === sid);
  if (!s) throw new Error(`self-test: statement ${sid} of ${document} not found`);
  return s;
};
const fnEnv = (files, name) => body(files, 'resource', 'aws_lambda_function', name).environment[0].variables;

export const kCases = [
  {
    name: 'a wildcard action in the ingest role',
    expect: 'wildcard action dynamodb:*',
    files: (f) => statement(f, 'ingest', 'UpsertTicksRegistryAndBars').actions.push('dynamodb:*'),
  },
  {
    name: 'Resource "*" where IAM can scope',
    expect: 'Resource "*" for s3:PutObject',
    files: (f) => { statement(f, 'ingest', 'WriteRawAndQuarantine').resources = ['*']; },
  },
  {
    name: 'an action the code never calls',
    expect: 'grants dynamodb:DeleteItem on',
    files: (f) => statement(f, 'trends', 'ReadSymbolsAndTicks').actions.push('dynamodb:DeleteItem'),
  },
  {
    name: "a dev helper's action",
    expect: 'development helper',
    files: (f) => statement(f, 'ingest', 'UpsertTicksRegistryAndBars').actions.push('dynamodb:CreateTable'),
  },
  {
    name: 'logs beyond the own log group',
    expect: 'grants logs:PutLogEvents on arn:aws:logs:*',
    files: (f) => statement(f, 'ingest', 'OwnLogGroupOnly').resources.push('arn:aws:logs:*:*:*'),
  },
  {
    name: 'an environment name renamed',
    expect: 'RAW_BUCKET is not a name the code reads',
    files: (f) => {
      const env = fnEnv(f, 'ingest');
      env.RAW_BUCKET = env.RAW_DATA_BUCKET;
      delete env.RAW_DATA_BUCKET;
    },
  },
  {
    name: 'a needed environment name missing',
    expect: 'reads SNS_TOPIC_ARN, which is not set',
    files: (f) => { delete fnEnv(f, 'trends').SNS_TOPIC_ARN; },
  },
  {
    name: 'AWS_REGION set by hand',
    expect: 'AWS_REGION is reserved',
    files: (f) => { fnEnv(f, 'trends').AWS_REGION = '${var.region}'; },
  },
  {
    name: 'a reference to an undeclared variable',
    expect: 'var.no_such_variable is not declared',
    files: (f) => { body(f, 'resource', 'aws_lambda_function', 'ingest').memory_size = '${var.no_such_variable}'; },
  },
  {
    name: 'an attribute that does not exist',
    expect: 'has no attribute bukket',
    files: (f) => { fnEnv(f, 'ingest').RAW_DATA_BUCKET = '${aws_s3_bucket.raw.bukket}'; },
  },
  {
    name: 'missing data not treated as breaching',
    expect: 'treat_missing_data = breaching',
    files: (f) => { body(f, 'resource', 'aws_cloudwatch_metric_alarm', 'no_incoming_records').treat_missing_data = 'notBreaching'; },
  },
  {
    name: 'no ReportBatchItemFailures',
    expect: 'ReportBatchItemFailures',
    files: (f) => { delete body(f, 'resource', 'aws_lambda_event_source_mapping', 'ingest').function_response_types; },
  },
  {
    name: 'unbounded retries',
    expect: 'maximum_retry_attempts must be bounded',
    files: (f) => { body(f, 'resource', 'aws_lambda_event_source_mapping', 'ingest').maximum_retry_attempts = -1; },
  },
  {
    name: 'a Glue column the code does not write',
    expect: 'columns must be the fields ingest writes',
    files: (f) => body(f, 'resource', 'aws_glue_catalog_table', 'raw').storage_descriptor[0].columns.push({ name: 'volume', type: 'bigint' }),
  },
  {
    name: 'the guide uses an output that does not exist',
    expect: 'uses output no_such_output',
    docs: (text) => `${text}\nterraform -chdir=infra output -raw no_such_output\n`,
  },
  {
    name: 'the code starts calling an operation the role lacks',
    expect: 'lacks dynamodb:DeleteItem',
    facts: (facts) => facts.handlers.trends.operations.push({
      service: 'dynamodb', op: 'DeleteItem', action: 'dynamodb:DeleteItem',
      tableKeys: ['DYNAMODB_STATE_TABLE'], resourceKeys: [], via: 'DynamoDbStateStore::Delete (self-test)',
    }),
  },
];

// Runs every case through `evaluate(files, facts, docsText)` -> failures; returns the cases not
// caught.
export async function selfTest(files, facts, docsText, evaluate) {
  const missed = [];
  for (const c of kCases) {
    const copy = structuredClone(files);
    const factsCopy = structuredClone(facts);
    try {
      if (c.files) c.files(copy);
      if (c.facts) c.facts(factsCopy);
    } catch (e) {
      missed.push({ name: c.name, why: e.message });
      continue;
    }
    const failures = await evaluate(copy, factsCopy, c.docs ? c.docs(docsText ?? '') : docsText);
    if (!failures.some((f) => f.message.includes(c.expect))) {
      missed.push({ name: c.name, why: `no failure mentions "${c.expect}"` });
    }
  }
  return missed;
}
