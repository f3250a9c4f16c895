/**
 * The served OpenAPI document passes Redocly's lint (the recommended rules, redocly.yaml) with no
 * error and no warning: the check an app team's client generator or an API gateway applies to it.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useApi } from './support.ts';

const api = useApi();
const workspace = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const cliPackage = require.resolve('@redocly/cli/package.json');
const REDOCLY_BIN = join(dirname(cliPackage), (require(cliPackage) as { bin: { redocly: string } }).bin.redocly);

interface LintProblem {
  ruleId: string;
  severity: string;
  message: string;
}

async function lint(document: string): Promise<LintProblem[]> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    await writeFile(file, document);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [REDOCLY_BIN, 'lint', file, '--config', join(workspace, 'redocly.yaml'), '--format', 'json'],
      // Offline and quiet: no usage telemetry, no update check.
      {
        cwd: workspace,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        maxBuffer: 16 << 20,
      },
    ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' })); // it exits 1 when it finds problems
    return (JSON.parse(stdout) as { problems: LintProblem[] }).problems;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('redocly lint', () => {
  it('finds no problem in the served document', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/docs/json' });
    const problems = await lint(res.body);
    expect(problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message}`)).toEqual([]);
  });

  it('reports a document that breaks a rule, so the check can fail', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json();
    delete doc.paths['/health'].get.operationId;
    doc.paths['/health'].get.security = undefined;
    const problems = await lint(JSON.stringify(doc));
    expect(problems.map((p) => p.ruleId)).toEqual(
      expect.arrayContaining(['operation-operationId', 'security-defined']),
    );
  });
});
