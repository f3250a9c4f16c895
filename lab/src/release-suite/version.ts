/**
 * The suite's version as a report records it: the lab package's version and a digest of its case
 * list, so a report says which suite, with which cases, passed the image.
 */
import { createHash } from 'node:crypto';
// Imported, not read beside this file: a bundled child (the built cloud's) carries it inside.
import pkg from '../../package.json' with { type: 'json' };
import { caseNames } from '../suite/run.ts';

export async function suiteVersion(): Promise<string> {
  const cases = caseNames();
  const digest = createHash('sha256').update(cases.join('\n')).digest('hex').slice(0, 12);
  return `switchfleet-lab ${pkg.version} (${cases.length} cases ${digest})`;
}
