import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { denyRuleLabel, resultLabel, unauthorizedReasonLabel } from '../../../src/metrics/labels.js';

describe('metric labels come from fixed sets', () => {
  const rows: ReadonlyArray<readonly [string, string, string]> = [
    ['result OK', resultLabel('OK'), 'ok'],
    ['result NO_AGENT', resultLabel('NO_AGENT'), 'no_agent'],
    ['result no-agent', resultLabel('no-agent'), 'no_agent'],
    ['result from the wire', resultLabel('git.corp\n{"x":1}'), 'other'],
    ['known deny rule', denyRuleLabel('acl:no-rule'), 'acl:no-rule'],
    ['unknown deny rule', denyRuleLabel('acl:whatever'), 'other'],
    ['missing deny rule', denyRuleLabel(undefined), 'other'],
    ['token code', unauthorizedReasonLabel('ERR_JWT_EXPIRED'), 'jwt_expired'],
    ['token code from elsewhere', unauthorizedReasonLabel('drop table'), 'other'],
  ];
  for (const [name, got, expected] of rows) it(name, () => assert.equal(got, expected));
});
