/**
 * The simulator is the device alone: its sources and its package reach only `@switchfleet/protocol`
 * among our workspaces, so the gateway (which tests against it) and the lab (which drives the gateway
 * against it) stay above it and no package-level cycle forms.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OURS = /(?:from|import)\s*\(?\s*'(@switchfleet\/[^/']+)[^']*'/g;

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

describe('firmware-sim layering', () => {
  it('imports no workspace of ours but protocol', async () => {
    const files = await sources(join(ROOT, 'src'));
    expect(files.length).toBeGreaterThan(0);
    const reached = new Set<string>();
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      for (const m of text.matchAll(OURS)) reached.add(`${m[1]} (${file.slice(ROOT.length)})`);
    }
    expect([...reached].filter((r) => !r.startsWith('@switchfleet/protocol '))).toEqual([]);
  });

  it('depends on no workspace of ours but protocol', async () => {
    type Manifest = Record<string, Record<string, string>>;
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as Manifest;
    const deps = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.devDependencies });
    expect(deps.filter((d) => d.startsWith('@switchfleet/'))).toEqual(['@switchfleet/protocol']);
  });
});
