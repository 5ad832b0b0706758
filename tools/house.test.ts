/**
 * The house's measurable promises (docs/architecture.md), checked so they cannot slip again
 * unnoticed: the World stays small, steps stay thin, the pool keeps to its one job, and no step
 * needs an ability its scenario does not ask for by tag. (Import direction: npm run test:deps.)
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');
const lines = (file: string) => readFileSync(path.join(ROOT, file), 'utf8').trimEnd().split('\n').length;

/** Every step definition's pattern and body, parsed from step-definitions/. */
function stepDefinitions(): Array<{ file: string; pattern: string; bodyLines: number; body: string }> {
  const found: Array<{ file: string; pattern: string; bodyLines: number; body: string }> = [];
  for (const file of readdirSync(path.join(ROOT, 'step-definitions')).filter((f) => f.endsWith('.ts'))) {
    const source = ts.createSourceFile(file, readFileSync(path.join(ROOT, 'step-definitions', file), 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && ['Given', 'When', 'Then'].includes(node.expression.text)) {
        const fn = node.arguments.at(-1);
        if (fn && (ts.isFunctionExpression(fn) || ts.isArrowFunction(fn)) && ts.isBlock(fn.body)) {
          const bodyLines = fn.body.statements.reduce((sum, statement) => sum + source.getLineAndCharacterOfPosition(statement.end).line - source.getLineAndCharacterOfPosition(statement.getStart()).line + 1, 0);
          found.push({ file, pattern: node.arguments[0]!.getText(), bodyLines, body: fn.body.getText() });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

describe('the house', () => {
  it('the World is small: at most 120 lines (its lifecycle is support/lifecycle.ts)', () => {
    assert.ok(lines('support/world.ts') <= 120, `support/world.ts has ${lines('support/world.ts')} lines`);
  });

  it('steps are thin: no step body over 5 lines', () => {
    const long = stepDefinitions().filter((step) => step.bodyLines > 5).map((step) => `${step.file}: ${step.pattern} (${step.bodyLines} lines)`);
    assert.deepEqual(long, []);
  });

  it('the pool keeps to its one job: services/pool/async-connection-pool.ts at most 450 lines', () => {
    assert.ok(lines('services/pool/async-connection-pool.ts') <= 450, `${lines('services/pool/async-connection-pool.ts')} lines`);
  });

  it('steps never name one service: no step asks for our own endpoints or a test API', () => {
    const named = stepDefinitions().filter((step) => /\/api\/work|\/admin\/|testApi|ServiceClient/.test(step.body)).map((step) => `${step.file}: ${step.pattern}`);
    assert.deepEqual(named, []);
  });

  it('the features of the seven cases name no implementation choice: no problem type, error code, algorithm or field name', () => {
    const features = readdirSync(path.join(ROOT, 'features')).filter((f) => /^0[1-7]-/.test(f));
    const choices = features.flatMap((file) =>
      readFileSync(path.join(ROOT, 'features', file), 'utf8')
        .split('\n')
        .filter((line) => /\/problems\/|POOL_EXHAUSTED|POOL_QUEUE_FULL|EdDSA|HS256|accessToken|retryAfterSeconds|checkout/.test(line))
        .map((line) => `${file}: ${line.trim()}`),
    );
    assert.deepEqual(choices, []);
  });
});
