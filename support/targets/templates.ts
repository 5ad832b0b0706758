/**
 * `{{name}}` and `{{name:argument}}` placeholders in a target description, filled in by the suite:
 * {{port}}, {{databaseUrl}}, {{secret:admin}}, {{url:auth}}, {{env:BACKEND_URL}}, {{poolSize}},
 * {{capacity}}, {{poolTimeoutMs}}, {{seconds}}, {{token}}, … Double braces, so JSON and GraphQL bodies
 * keep their own. A placeholder the suite does not know is an error that names it.
 */
const PLACEHOLDER = /\{\{([a-zA-Z]+)(?::([^}]*))?\}\}/g;

export type TemplateValue = string | number | ((argument: string | undefined) => string);

/** The names of the placeholders in `text` ("secret" for {{secret:admin}}). */
export function templateVariables(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((match) => match[1]!);
}

/** `text` with every placeholder filled; throws naming the first one `values` does not have. */
export function fillTemplate(text: string, values: Readonly<Record<string, TemplateValue | undefined>>, where: string): string {
  return text.replace(PLACEHOLDER, (whole, name: string, argument: string | undefined) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${where}: ${whole} is not something the suite can fill in here (it knows ${Object.keys(values).filter((k) => values[k] !== undefined).map((k) => `{{${k}}}`).join(', ')})`);
    return typeof value === 'function' ? value(argument) : String(value);
  });
}
