import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { formatConfig } from '../../src/config/format.js';
import { loadConfig } from '../../src/config/load.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
const SECRET = 'hunter2-secret';
const URL_PASSWORD = 'url-pass-42';

describe('formatConfig', () => {
  const source = [
    'upstream: https://ac.example.com',
    'discovery: { key: mykey }',
    'transport:', '  expected: mqtt', '  gateways:', '    cc:1b:e0:e0:00:01: capwap', '    CC1BE0E00002: { transport: mqtt, name: dock }',
    'sequence: { extractors: [{ name: c, stream: notification, handle: 3, offset: 1, length: 2, endian: little }] }',
    'limits: { maxEventBytes: 512KiB }',
    'timeouts: { connect: 1500ms, headers: 90s, shutdown: 0s }',
  ].join('\n');
  const options = { argv: ['--config', tmp.write('full.yaml', source), '--listen', '[::1]:0'], env: { CASSIA_AC_SECRET: SECRET }, cwd: tmp.dir };

  it('masks discovery.secret and URL credentials', async () => {
    // Credentials in the upstream URL are refused at load; the printer masks them all the same.
    const text = formatConfig({ ...(await loadConfig(options)), upstream: new URL(`https://apiuser:${URL_PASSWORD}@ac.example.com`) });
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(URL_PASSWORD);
    expect(text).toContain('https://apiuser:***@ac.example.com/');
    expect(YAML.parse(text).discovery).toEqual({ enabled: true, interval: '1m', key: 'mykey', secret: '***' });
  });

  it('prints a valid config file that loads back to the same config', async () => {
    const config = await loadConfig(options);
    const printed = tmp.write('printed.yaml', formatConfig(config));
    // The masked values are the only difference, so put the real ones back through the environment.
    const again = await loadConfig({
      argv: ['--config', printed, '--upstream', config.upstream?.href ?? ''], env: { CASSIA_AC_SECRET: SECRET }, cwd: tmp.dir,
    });
    expect({ ...again, configFile: null }).toEqual({ ...config, configFile: null });
  });

  it('says when there is no upstream (demo mode) and which files were read', async () => {
    const config = await loadConfig({ argv: ['--gateways', tmp.write('gw.yaml', 'CC:1B:E0:E0:00:05: mqtt\n')], env: {}, cwd: tmp.dir });
    const text = formatConfig(config);
    expect(text).toMatch(/# upstream: none, so `serve` runs the demo/);
    expect(text).toContain(`# gateways file: ${config.gatewaysFile}`);
    expect(YAML.parse(text).upstream).toBeNull();
  });
});
