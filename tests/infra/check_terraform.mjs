#!/usr/bin/env node
// Static checks of the Terraform in infra/ against the C++ code (there is no terraform binary and
// no AWS account in the test environment, so nothing is planned or applied):
//   - every infra/*.tf parses (@cdktf/hcl2json, pinned in tests/peers) and every reference resolves;
//   - the Lambda environment names are exactly the configuration keys each handler reads;
//   - each role grants exactly the AWS actions its handler's adapters call, on exactly their
//     resources, plus what Lambda needs to feed it; no wildcard actions; "*" only where IAM has no
//     resource type; logs only to the function's own log group; no dev-only provisioning calls;
//   - the event source mapping, buckets, tables, catalog, workgroup, schedule and alarms hold
//     what docs/deploy-aws.md promises.
// Then a self-test breaks copies of the configuration and of the code facts and requires each
// break to be reported, so a check that cannot fail is caught.
//
// usage: node tests/infra/check_terraform.mjs [repo root]   (exit 0: all hold, 1: failures)

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { runChecks } from './lib/checks.mjs';
import { codeFacts } from './lib/code_facts.mjs';
import { selfTest } from './lib/self_test.mjs';
import { indexConfig, loadHcl2json, parseInfra, referenceReader } from './lib/terraform.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(process.argv[2] ?? path.join(here, '../..'));

async function main() {
  const hcl = await loadHcl2json(root);
  let parsed;
  try {
    parsed = await parseInfra(hcl, path.join(root, 'infra'));
  } catch (e) {
    console.log(`FAIL [hcl] ${e.message}`);
    return 1;
  }
  const facts = codeFacts(root);
  const refs = referenceReader(hcl);
  const docsPath = path.join(root, 'docs/deploy-aws.md');
  const docsText = fs.existsSync(docsPath) ? fs.readFileSync(docsPath, 'utf8') : undefined;
  const evaluate = async (files, f, docs) =>
    (await runChecks({ model: indexConfig({ ...parsed, files }), facts: f, refs, docsText: docs })).failures;

  const { failures, count } = await runChecks({ model: indexConfig(parsed), facts, refs, docsText });
  for (const f of failures) console.log(`FAIL [${f.area}] ${f.message}`);
  console.log(`${count - failures.length} of ${count} checks hold over ${Object.keys(parsed.files).length} files in infra/`);

  const missed = await selfTest(parsed.files, facts, docsText, evaluate);
  for (const m of missed) console.log(`FAIL [self-test] a broken copy passed: ${m.name}: ${m.why}`);
  console.log(missed.length ? 'self-test: some breaks went unnoticed' : 'self-test: every deliberate break was caught');
  return failures.length || missed.length ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  console.log(`FAIL [check] ${e.stack ?? e}`);
  process.exit(1);
});
