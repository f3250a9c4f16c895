/**
 * The import-direction rules (.dependency-cruiser.cjs, run by `npm run deps`) hold on the tree, and
 * they can fail: over a small tree laid out like the repository (fixtures/layering), every planted
 * forbidden import is reported under its rule, whether it goes through a relative path or a package
 * name, and the allowed ones are not. The manifests and `exports` of the workspaces agree with it.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseOptions, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const FIXTURE = fileURLToPath(new URL('./fixtures/layering', import.meta.url));

interface Layers {
  products: Record<string, string[]>;
  tooling: Record<string, string[]>;
}
const { layers } = createRequire(import.meta.url)(CONFIG) as { layers: Layers };

async function violations(baseDir: string): Promise<string[]> {
  const options: ICruiseOptions = { ...(await extractDepcruiseOptions(CONFIG)), baseDir };
  const result = (await cruise(['.'], options)).output as ICruiseResult;
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
}

describe('import-direction rules', () => {
  let tree: string;

  beforeAll(async () => {
    // A copy with its own node_modules, so that `@switchfleet/x` resolves to the fixture's x folder
    // the way npm's workspace symlinks resolve it in the repository.
    tree = await mkdtemp(join(tmpdir(), 'layering-'));
    await cp(FIXTURE, tree, { recursive: true });
    const scope = join(tree, 'node_modules', '@switchfleet');
    await mkdir(scope, { recursive: true });
    for (const entry of await readdir(FIXTURE, { withFileTypes: true })) {
      if (existsSync(join(FIXTURE, entry.name, 'package.json'))) {
        await symlink(join(tree, entry.name), join(scope, entry.name), 'dir');
      }
    }
  });
  afterAll(async () => {
    if (tree) await rm(tree, { recursive: true, force: true });
  });

  it('reports each forbidden import in a tree laid out like the repository, by path and by name', async () => {
    expect(await violations(tree)).toEqual([
      'cloud-imports-only-protocol: cloud/src/uses-mobile-api.ts → mobile-api/src/index.ts',
      'firmware-sim-imports-only-protocol: firmware-sim/src/uses-gateway.ts → gateway/src/index.ts',
      'gateway-imports-only-protocol: gateway/src/cloud-by-name.ts → cloud/src/index.ts',
      'gateway-imports-only-protocol: gateway/src/sim-by-name.ts → firmware-sim/src/index.ts',
      'gateway-imports-only-protocol: gateway/src/sim-by-path.ts → firmware-sim/src/radio.ts',
      'gateway-imports-only-protocol: gateway/test/harness.ts → firmware-sim/src/index.ts',
      'gateway-imports-only-protocol: gateway/test/harness.ts → lab/src/index.ts',
      'gateway-imports-only-protocol: gateway/test/sim-user.ts → firmware-sim/src/radio.ts',
      'lab-uses-cloud-types-only: lab/src/runs-cloud.ts → cloud/src/index.ts',
      'mobile-api-uses-cloud-public-api: mobile-api/src/reaches-db.ts → cloud/src/db/client.ts',
      'mobile-api-uses-cloud-public-api: mobile-api/test/reaches-broker.ts → cloud/src/broker/adapter.ts',
      'no-circular-imports: cloud/src/a.ts → cloud/src/b.ts',
      'no-unresolvable-imports: gateway/src/deep.ts → @switchfleet/firmware-sim/src/radio.ts',
      'protocol-imports-no-workspace: protocol/src/reaches-up.ts → gateway/src/index.ts',
      'src-imports-no-tooling: cloud/src/uses-testkit.ts → testkit/src/broker.ts',
      'src-imports-no-tooling: lab/src/uses-bench.ts → bench/src/bench.ts',
    ]);
  });

  it('finds no violation in the repository', { timeout: 180_000 }, async () => {
    expect(await violations(ROOT)).toEqual([]);
  });
});

describe('workspace manifests', () => {
  const workspaces = { ...layers.products, ...layers.tooling };
  type Manifest = { name: string; exports?: Record<string, string> } & Record<string, Record<string, string>>;
  const manifests = async () => {
    const found: [string, Manifest][] = [];
    for (const name of Object.keys(workspaces)) {
      const file = join(ROOT, name, 'package.json');
      if (existsSync(file)) found.push([name, JSON.parse(await readFile(file, 'utf8')) as Manifest]);
    }
    return found;
  };

  it('declare only the workspaces their layer may import', async () => {
    const undeclared: string[] = [];
    for (const [name, pkg] of await manifests()) {
      const allowed = new Set(workspaces[name] ?? []);
      const tests = new Set(name in layers.products ? Object.keys(layers.tooling) : []);
      for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
        for (const dep of Object.keys(pkg[field] ?? {})) {
          const ours = /^@switchfleet\/(.+)$/.exec(dep)?.[1];
          if (!ours || allowed.has(ours) || (field === 'devDependencies' && tests.has(ours))) continue;
          undeclared.push(`${name} ${field}: ${dep}`);
        }
      }
    }
    expect(undeclared).toEqual([]);
  });

  it('export "." and named subpaths that exist, not "./*"', async () => {
    const found = await manifests();
    expect(found.length).toBeGreaterThanOrEqual(Object.keys(layers.products).length);
    const wrong: string[] = [];
    for (const [name, pkg] of found) {
      for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
        const entry = `${pkg.name} ${subpath}`;
        if (subpath.includes('*')) wrong.push(`${entry}: a wildcard`);
        else if (!existsSync(join(ROOT, name, target))) wrong.push(`${entry}: ${target} does not exist`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
