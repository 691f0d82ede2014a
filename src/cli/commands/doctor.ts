// `gradsight doctor`: the WebGPU adapter and whether it has what gradsight needs.
import type { Device } from '../../core.js';
import { parse, type Command } from '../args.js';
import { getDevice } from '../context.js';
import { JSON_OPTION } from './common.js';

export const doctor: Command = {
  name: 'doctor',
  summary: 'report the WebGPU adapter and what is missing',
  usage: '[--json]',
  gpu: true,
  options: { json: JSON_OPTION },
  async run(argv) {
    const { values } = parse('doctor', argv, this.options);
    let d: Device;
    try {
      d = await getDevice();
    } catch (e) {
      if (values.json) console.log(JSON.stringify({ command: 'doctor', ok: false, error: (e as Error).message }));
      else console.error(`WebGPU: NOT AVAILABLE\n${(e as Error).message}`);
      process.exitCode = 1;
      return;
    }
    const a = d.adapter;
    if (values.json) {
      console.log(JSON.stringify({ command: 'doctor', ok: true, adapter: a }));
      return;
    }
    console.log(`WebGPU adapter: ${a.vendor} / ${a.architecture}${a.device ? ` / ${a.device}` : ''}${a.description ? ` (${a.description})` : ''}`);
    console.log(`  mode: ${a.mode}${a.fallback ? ' (fallback adapter)' : ''}; runtime: ${a.runtime}`);
    console.log(`  features: ${a.features.join(', ') || '(none)'}`);
    console.log(`  timestamp-query: ${a.features.includes('timestamp-query') ? 'yes (per-kernel GPU timing available)' : 'no (benchmarks use wall time)'}`);
    for (const [k, v] of Object.entries(a.limits)) console.log(`  ${k}: ${v}`);
    const missing: string[] = [];
    if (a.limits.maxStorageBuffersPerShaderStage < 4) missing.push('at least 4 storage buffers per shader stage');
    console.log(missing.length ? `missing: ${missing.join('; ')}` : 'everything gradsight needs is available');
  },
};
