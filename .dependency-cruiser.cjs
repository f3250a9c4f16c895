/**
 * Import-direction rules, checked by dependency-cruiser (`npm run deps`, and in .ci/run). Paths are
 * relative to the repository root; an import through a package name (`@switchfleet/gateway`) is
 * resolved through the workspace's symlink and its `exports` to the file it reaches
 * (`gateway/src/index.ts`), so a rule on a folder catches relative and package-name imports alike.
 *
 * Layers: each workspace below may import only the workspaces listed for it, from its src and its
 * tests alike. The lists are checked to form no cycle when this file loads, so no package-level cycle
 * can pass the rules.
 */

/** The workspaces that ship: what each may import. */
const PRODUCTS = {
  protocol: [],
  'firmware-sim': ['protocol'],
  gateway: ['protocol'],
  cloud: ['protocol'],
  'mobile-api': ['protocol', 'cloud'],
  // lab implements the cloud's release-suite port (types only: rule lab-uses-cloud-types-only).
  lab: ['protocol', 'firmware-sim', 'gateway', 'cloud'],
};
const PRODUCT_NAMES = Object.keys(PRODUCTS);

/**
 * The tooling composed on top: the processes (scripts), the test kit, the benchmarks and the
 * end-to-end tests. A product's tests may use them; a product's src never does (rule below).
 */
const TOOLING = {
  scripts: [...PRODUCT_NAMES],
  testkit: [...PRODUCT_NAMES, 'scripts'],
  bench: [...PRODUCT_NAMES, 'scripts', 'testkit'],
  e2e: [...PRODUCT_NAMES, 'scripts', 'testkit'],
};
const LAYERS = { ...PRODUCTS, ...TOOLING };
const TOOLING_NAMES = Object.keys(TOOLING);

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const folders = (names) => `^(${names.map(escapeRegExp).join('|')})/`;

/** Throws when the layers form a cycle: the rules would then allow a package-level cycle. */
function assertAcyclic(layers) {
  const done = new Set();
  const visit = (name, path) => {
    if (path.includes(name)) throw new Error(`workspace layers form a cycle: ${[...path, name].join(' → ')}`);
    if (done.has(name)) return;
    for (const next of layers[name] ?? []) visit(next, [...path, name]);
    done.add(name);
  };
  for (const name of Object.keys(layers)) visit(name, []);
}
assertAcyclic(LAYERS);

function ruleName(workspace, allowed) {
  if (allowed.length === 0) return `${workspace}-imports-no-workspace`;
  if (allowed.length === 1) return `${workspace}-imports-only-${allowed[0]}`;
  return `${workspace}-imports-only-${allowed.slice(0, -1).join('-')}-and-${allowed.at(-1)}`;
}

/** A workspace's files import no workspace outside its list (tooling excepted for products: see below). */
function layerRule(workspace, allowed) {
  const others = workspace in PRODUCTS ? PRODUCT_NAMES : Object.keys(LAYERS);
  const forbidden = others.filter((w) => w !== workspace && !allowed.includes(w));
  return {
    name: ruleName(workspace, allowed),
    severity: 'error',
    comment: `${workspace} may import ${allowed.length ? allowed.join(', ') : 'no workspace of ours'}`,
    from: { path: `^${escapeRegExp(workspace)}/` },
    to: { path: folders(forbidden) },
  };
}

const layerRules = Object.entries(LAYERS).map(([workspace, allowed]) => layerRule(workspace, allowed));

const config = {
  forbidden: [
    ...layerRules,
    {
      name: 'src-imports-no-tooling',
      severity: 'error',
      comment: 'shipped code never reaches the processes, the test kit, the benchmarks or the end-to-end tests',
      from: { path: `${folders(PRODUCT_NAMES)}src/` },
      to: { path: folders(TOOLING_NAMES) },
    },
    {
      name: 'lab-uses-cloud-types-only',
      severity: 'error',
      comment: "the lab implements the cloud's ports; running the cloud's code is the composing process's job",
      from: { path: '^lab/src/' },
      to: { path: '^cloud/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'mobile-api-uses-cloud-public-api',
      severity: 'error',
      comment: "the REST API goes through the cloud's services, never its database or broker adapters",
      from: { path: '^mobile-api/' },
      to: { path: '^cloud/src/(db|broker)/' },
    },
    {
      name: 'no-circular-imports',
      severity: 'error',
      comment: 'type-only imports count: a cycle of types still ties the files together',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable-imports',
      severity: 'error',
      comment: 'an import that resolves to nothing (a subpath a package does not export) escapes every rule above',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)node_modules/', '^e2e/test/fixtures/'] },
    // Type-only imports are dependencies too (TypeScript erases them, the layering does not).
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.mjs', '.js', '.cjs'],
    },
  },
};

module.exports = config;
// For the layering test (manifests against layers). Not enumerable: dependency-cruiser accepts only
// its own keys in a configuration.
Object.defineProperty(module.exports, 'layers', {
  value: { products: PRODUCTS, tooling: TOOLING },
});
