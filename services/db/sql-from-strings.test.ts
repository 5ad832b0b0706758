import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

/*
 * No SQL built from strings: every `.query(...)` under services/ gets its SQL as a constant and its
 * values as bind parameters. Read with the TypeScript parser (already the project's compiler), so
 * SQL-looking text in strings or comments is not mistaken for a call, and a call split over lines
 * is not missed.
 *
 * A `${…}` inside the SQL is allowed only where bind parameters cannot go (DDL: role options,
 * database names) and only in these reviewed forms:
 *   - pg's own quoting: `client.escapeIdentifier(x)`, `client.escapeLiteral(x)`;
 *   - `Math.trunc(x)`: always a number (or NaN), never text;
 *   - `cond ? 'A' : 'B'`: a choice between two constants;
 *   - a `const` in the same file whose value is one of the above (or a template made only of them).
 */

const SERVICES_DIR = path.resolve(__dirname, '..');
const QUOTING_FUNCTIONS = new Set(['escapeIdentifier', 'escapeLiteral']);

interface Finding {
  file: string;
  line: number;
  why: string;
}

function constInitializer(sourceFile: ts.SourceFile, name: string): ts.Expression | undefined {
  let found: ts.Expression | undefined;
  const visit = (node: ts.Node): void => {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.name.text === name &&
      node.initializer &&
      ts.isVariableDeclarationList(node.parent) &&
      (node.parent.flags & ts.NodeFlags.Const) !== 0
    ) {
      found = node.initializer;
    }
    if (!found) ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return found;
}

const isStringConstant = (node: ts.Expression) => ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node);

/** Why an interpolated expression is not one of the reviewed safe forms; undefined when it is. */
function unsafeInterpolation(sourceFile: ts.SourceFile, expression: ts.Expression, depth = 0): string | undefined {
  const text = expression.getText(sourceFile);
  if (ts.isParenthesizedExpression(expression) || ts.isAsExpression(expression) || ts.isNonNullExpression(expression)) return unsafeInterpolation(sourceFile, expression.expression, depth);
  if (ts.isCallExpression(expression) && ts.isPropertyAccessExpression(expression.expression)) {
    const { name, expression: target } = expression.expression;
    if (QUOTING_FUNCTIONS.has(name.text)) return undefined;
    if (name.text === 'trunc' && target.getText(sourceFile) === 'Math') return undefined;
  }
  if (ts.isConditionalExpression(expression) && isStringConstant(expression.whenTrue) && isStringConstant(expression.whenFalse)) return undefined;
  if (isStringConstant(expression)) return undefined;
  if (ts.isTemplateExpression(expression)) return unsafeTemplate(sourceFile, expression, depth + 1);
  if (ts.isIdentifier(expression) && depth < 5) {
    const initializer = constInitializer(sourceFile, expression.text);
    if (initializer) return unsafeInterpolation(sourceFile, initializer, depth + 1);
  }
  return `\${${text}} is interpolated into SQL`;
}

function unsafeTemplate(sourceFile: ts.SourceFile, template: ts.TemplateExpression, depth: number): string | undefined {
  for (const span of template.templateSpans) {
    const why = unsafeInterpolation(sourceFile, span.expression, depth);
    if (why) return why;
  }
  return undefined;
}

/** Why the SQL argument of a query call is built from strings; undefined when it is a constant (or passed through). */
function unsafeSql(sourceFile: ts.SourceFile, sql: ts.Expression, depth = 0): string | undefined {
  // Parentheses and type assertions change nothing about what the SQL is.
  if (ts.isParenthesizedExpression(sql) || ts.isAsExpression(sql) || ts.isSatisfiesExpression(sql) || ts.isNonNullExpression(sql)) return unsafeSql(sourceFile, sql.expression, depth);
  if (isStringConstant(sql)) return undefined;
  if (ts.isTemplateExpression(sql)) return unsafeTemplate(sourceFile, sql, depth);
  if (ts.isBinaryExpression(sql) && sql.operatorToken.kind === ts.SyntaxKind.PlusToken) return `SQL concatenated with + (${sql.getText(sourceFile).slice(0, 80)})`;
  if (ts.isObjectLiteralExpression(sql)) {
    for (const property of sql.properties) {
      if (ts.isPropertyAssignment(property) && property.name.getText(sourceFile) === 'text') return unsafeSql(sourceFile, property.initializer, depth);
    }
    return undefined;
  }
  // A name: judge what it was built from, when it is a const of this file. A parameter (a
  // pass-through wrapper) is judged at its callers; a value read from a file (migrations) is not built.
  if (ts.isIdentifier(sql)) {
    const initializer = depth < 5 ? constInitializer(sourceFile, sql.text) : undefined;
    return initializer && !ts.isAwaitExpression(initializer) ? unsafeSql(sourceFile, initializer, depth + 1) : undefined;
  }
  return `SQL from an expression the scan cannot see into (${sql.getText(sourceFile).slice(0, 80)})`;
}

/** Every `.query(…)` / `.query<T>(…)` call in `source` whose SQL is built from strings. */
function sqlBuiltFromStrings(file: string, source: string): Finding[] {
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const findings: Finding[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'query' && node.arguments[0]) {
      const why = unsafeSql(sourceFile, node.arguments[0]);
      if (why) findings.push({ file, line: sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1, why });
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return findings;
}

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : typeScriptFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('no SQL built from strings', () => {
  it('flags concatenation and interpolation of values (the scan can fail)', () => {
    const flagged = (code: string) => sqlBuiltFromStrings('example.ts', code).map((f) => f.why);
    assert.match(flagged("client.query('SELECT * FROM users WHERE email = ' + email)").join(), /concatenated/);
    assert.match(flagged('client.query(`SELECT * FROM users WHERE id = ${id}`)').join(), /\$\{id\} is interpolated/);
    assert.match(flagged('connection.query<{ n: number }>(\n  `DELETE FROM ${table}`,\n)').join(), /\$\{table\} is interpolated/);
    assert.match(flagged('const sql = `SELECT ${column} FROM t`;\nawait client.query(sql);').join(), /\$\{column\} is interpolated/);
    assert.match(flagged('client.query({ text: `SELECT ${x}`, values: [] } as Q)').join(), /\$\{x\} is interpolated/);
    assert.match(flagged('const role = name;\nclient.query(`DROP ROLE ${role}`)').join(), /\$\{name\} is interpolated/);
    assert.match(flagged('client.query(buildSql(input))').join(), /cannot see into/);
    assert.deepEqual(sqlBuiltFromStrings('example.ts', 'client.query(`x`)\nclient.query(`SELECT ${a}`)')[0]?.line, 2);
  });

  it('accepts constants with bind parameters, and DDL quoted by pg', () => {
    const clean = [
      "client.query('SELECT * FROM users WHERE email = $1', [email])",
      'client.query(`SELECT 1`)',
      "client.query({ text: 'SELECT 1', query_timeout: 5 } as pg.QueryConfig)",
      'client.query(`DROP ROLE ${client.escapeIdentifier(role)}`)',
      "const role = admin.escapeIdentifier(name);\nconst options = `PASSWORD ${admin.escapeLiteral(pw)} CONNECTION LIMIT ${Math.trunc(limit)}`;\nadmin.query(`${exists ? 'ALTER' : 'CREATE'} ROLE ${role} ${options}`);",
      'async function run(text: string) { return client.query(text); }',
      "const sql = await readFile('migration.sql', 'utf8');\nawait client.query(sql);",
      "// client.query('SELECT ' + x) in a comment\nconst s = \"client.query(`${x}`)\";",
    ];
    for (const code of clean) assert.deepEqual(sqlBuiltFromStrings('example.ts', code), [], code);
  });

  it('finds none in services/**/*.ts', () => {
    const files = typeScriptFiles(SERVICES_DIR);
    assert.ok(files.length > 20, `only ${files.length} files found under ${SERVICES_DIR}`);
    const findings = files.flatMap((file) => sqlBuiltFromStrings(path.relative(path.resolve(SERVICES_DIR, '..'), file), readFileSync(file, 'utf8')));
    assert.deepEqual(
      findings.map((f) => `${f.file}:${f.line}: ${f.why}`),
      [],
      'SQL built from strings: use bind parameters ($1) for values, escapeIdentifier/escapeLiteral where they cannot go',
    );
  });
});
