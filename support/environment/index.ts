import type { SuiteSettings } from '../suite-settings';
import type { Environment } from './deployment';
import { DockerEnvironment } from './docker';
import { EmbeddedEnvironment } from './embedded';
import { ExternalEnvironment } from './external';
import { RemoteEnvironment } from './remote';

export type { DatabaseServer, Environment, Platform } from './deployment';

const ENVIRONMENTS: Record<string, (settings: SuiteSettings) => Environment> = {
  embedded: (settings) => new EmbeddedEnvironment(settings),
  external: (settings) => new ExternalEnvironment(settings),
  docker: (settings) => new DockerEnvironment(settings),
  remote: (settings) => new RemoteEnvironment(settings),
};

export function createEnvironment(settings: SuiteSettings): Environment {
  const make = ENVIRONMENTS[settings.testEnv];
  if (!make) throw new Error(`TEST_ENV=${settings.testEnv} is not known: expected one of ${Object.keys(ENVIRONMENTS).join(', ')}`);
  return make(settings);
}
