/**
 * The settings table of docs/operators.md, written from env/service-settings.ts, so the docs can
 * never disagree with what the services validate. `npm run docs:settings` rewrites it in place;
 * npm test fails when it is out of date (tools/settings-table.test.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GROUPS_OF, SERVICES, SERVICE_SETTINGS, SHELL_PREFIX, allowedText, defaultText, type SettingRow } from '../env/service-settings';

export const OPERATORS_GUIDE = path.resolve(__dirname, '..', 'docs', 'operators.md');
const START = '<!-- settings-table:start (written by npm run docs:settings from env/service-settings.ts) -->';
const END = '<!-- settings-table:end -->';

function servicesOf(row: SettingRow): string {
  const services = SERVICES.filter((service) => GROUPS_OF[service].includes(row.group));
  return services.length === SERVICES.length ? 'both' : services.join(', ');
}

function runtimeOf(row: SettingRow): string {
  return row.runtime ? `\`${row.runtime.field}\` (PUT /admin/pool${row.runtime.endpoint === 'pool' ? '/config' : `/${row.runtime.endpoint}`})` : '';
}

/** The table, as markdown. */
export function settingsTable(): string {
  const rows = SERVICE_SETTINGS.map((row: SettingRow) => {
    const shellNames = SERVICES.filter((service) => GROUPS_OF[service].includes(row.group)).map((service) => `${SHELL_PREFIX[service]}${row.variable}`);
    const fromShell = row.wiring ? 'set by the starter' : shellNames.map((name) => `\`${name}\``).join(', ');
    const fallback = defaultText(row) ?? (row.optional ? '(none)' : '**required**');
    return `| \`${row.variable}\` | ${servicesOf(row)} | ${fallback} | ${allowedText(row)}${row.secret ? '; secret, never echoed' : ''} | ${runtimeOf(row)} | ${fromShell} | ${row.description} |`;
  });
  return [
    '| variable | services | default | allowed | changed at run time as | from the suite\'s shell | what |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** The guide with its table replaced by the current one. */
export function withCurrentTable(guide: string): string {
  const start = guide.indexOf(START);
  const end = guide.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${OPERATORS_GUIDE} has no settings table markers (${START} … ${END})`);
  return `${guide.slice(0, start)}${START}\n${settingsTable()}\n${guide.slice(end)}`;
}

if (require.main === module) {
  writeFileSync(OPERATORS_GUIDE, withCurrentTable(readFileSync(OPERATORS_GUIDE, 'utf8')));
  process.stdout.write(`settings table written to ${path.relative(process.cwd(), OPERATORS_GUIDE)}\n`);
}
