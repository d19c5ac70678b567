// The params a run ran with: the DAG's defaults, overridden by the run's conf.
import { paramFields } from './triggerForm';

export interface RunParam {
  name: string;
  value: unknown;
  fromConf: boolean;
}

export function runParams(params: Record<string, unknown> | null | undefined, conf: Record<string, unknown> | null | undefined): RunParam[] {
  return paramFields(params).map((field) => {
    const fromConf = Boolean(conf) && Object.prototype.hasOwnProperty.call(conf, field.name);
    return { name: field.name, value: fromConf ? conf![field.name] : (field.defaultValue ?? null), fromConf };
  });
}
