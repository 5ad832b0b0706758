import type { Outcome } from '../clients/outcome';
import { sendRaw, type RawRequest } from '../clients/raw-http';
import { REQUEST } from '../timeouts';
import type { RequestDescription } from './schema';
import { fillTemplate, type TemplateValue } from './templates';

export type TemplateValues = Readonly<Record<string, TemplateValue | undefined>>;

/**
 * A described service's requests, with their placeholders filled: the service's own values (its
 * secrets, its URL, the settings it runs with) and the call's ({{seconds}}, {{token}}, {{mode}}).
 */
export class TargetHttp {
  constructor(
    /** "ours backend": where a placeholder that cannot be filled is named. */
    private readonly where: string,
    readonly url: string,
    private readonly values: () => TemplateValues,
  ) {}

  /** The request as it goes on the wire. */
  raw(request: RequestDescription, call: TemplateValues = {}, field = 'request'): RawRequest {
    const values = { ...this.values(), ...call };
    const fill = (text: string) => fillTemplate(text, values, `${this.where} ${field}`);
    return {
      method: request.method,
      path: fill(request.path),
      headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, fill(value)])),
      ...(request.body === undefined ? {} : { body: fill(request.body) }),
    };
  }

  send(request: RequestDescription, call: TemplateValues = {}, options: { field?: string; timeoutMs?: number } = {}): Promise<Outcome> {
    return sendRaw(this.url, this.raw(request, call, options.field), options.timeoutMs ?? REQUEST.http);
  }
}
