/**
 * Holds docs/architecture.md to the tree. Every inline-code span in it that reads as a repo-relative
 * path (it has a slash, or ends in a file extension) must name a file or folder that exists; every
 * `path/file.ts` › `name` (or `Class.member`, or `a`, `b` after one ›) must name something declared
 * in that file. A renamed file or symbol then fails here instead of leaving the map wrong.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const DOC = 'docs/architecture.md';

const FILE_EXTENSION = /\.(ts|mts|mjs|cjs|js|md|json|jsonc|sql|yaml|yml|service)$/;
const PATH = /^[\w.-]+(\/[\w.-]+)*\/?$/;
const SYMBOL = /^#?[\w$]+(\.#?[\w$]+)*$/;

function looksLikePath(span: string): boolean {
  return PATH.test(span) && (span.includes('/') || FILE_EXTENSION.test(span));
}

interface Span {
  text: string;
  /** The line's text between the previous span (or the line's start) and this one. */
  before: string;
}

/** Inline-code spans line by line, fenced blocks left out (they hold diagrams and commands, not references). */
function spansByLine(markdown: string): Span[][] {
  const lines: Span[][] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.trimStart().startsWith('```')) {
      fenced = !fenced;
      continue;
    }
    if (fenced) continue;
    let end = 0;
    const spans: Span[] = [];
    for (const m of line.matchAll(/`([^`]+)`/g)) {
      spans.push({ text: m[1]!, before: line.slice(end, m.index) });
      end = m.index + m[0].length;
    }
    lines.push(spans);
  }
  return lines;
}

/**
 * Every name a file declares, qualified by the named declarations around it: `createCloud`,
 * `CommandService.create`, `commands.intake` (a const inside the function `commands`).
 */
function declaredNames(file: string): Set<string> {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const names = new Set<string>();
  const visit = (node: ts.Node, scope: string[]) => {
    const name = declarationName(node);
    const inner = name === undefined ? scope : [...scope, name];
    if (name !== undefined) names.add(inner.join('.'));
    ts.forEachChild(node, (child) => visit(child, inner));
  };
  visit(source, []);
  return names;
}

function declarationName(node: ts.Node): string | undefined {
  if (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isClassDeclaration(node) ||
    ts.isInterfaceDeclaration(node) ||
    ts.isTypeAliasDeclaration(node) ||
    ts.isEnumDeclaration(node) ||
    ts.isVariableDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isPropertyDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node) ||
    ts.isMethodSignature(node) ||
    ts.isPropertySignature(node) ||
    ts.isPropertyAssignment(node) ||
    ts.isShorthandPropertyAssignment(node)
  ) {
    const name = node.name;
    if (name && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name))) return name.text;
  }
  return undefined;
}

/** What is wrong with the references of `markdown`, resolved against `base`; empty when all hold. */
function checkReferences(markdown: string, base: string): string[] {
  // A › the line breaks after (or starts with) would tie names to a path on another line, unchecked.
  const problems = markdown
    .split('\n')
    .flatMap((line, i) =>
      /›\s*$|^\s*›/.test(line) ? [`line ${i + 1}: keep a path, its › and a name on one line`] : [],
    );
  const declared = new Map<string, Set<string>>();
  for (const spans of spansByLine(markdown)) {
    for (let i = 0; i < spans.length; i++) {
      const span = spans[i]!;
      if (!looksLikePath(span.text)) continue;
      const full = `${base}${span.text}`;
      if (!existsSync(full)) {
        problems.push(`${span.text}: no such file or folder`);
        continue;
      }
      // `path` › `a`, `b`: the names after the › until a span that is not one of them.
      const symbols: string[] = [];
      let separator = /^\s*›\s*$/;
      for (let j = i + 1; j < spans.length; j++) {
        if (!separator.test(spans[j]!.before) || looksLikePath(spans[j]!.text)) break;
        symbols.push(spans[j]!.text);
        separator = /^\s*,\s*$/;
      }
      if (symbols.length === 0) continue;
      if (!statSync(full).isFile()) {
        problems.push(`${span.text}: a folder cannot declare ${symbols.join(', ')}`);
        continue;
      }
      let names = declared.get(full);
      if (!names) {
        names = declaredNames(full);
        declared.set(full, names);
      }
      for (const symbol of symbols) {
        if (!SYMBOL.test(symbol)) problems.push(`${span.text} › ${symbol}: not a name (use Name or Class.member)`);
        else if (!names.has(symbol)) problems.push(`${span.text} › ${symbol}: not declared there`);
      }
    }
  }
  return problems;
}

describe('docs/architecture.md', () => {
  it('names only files and folders that exist, and only symbols declared where it says', () => {
    expect(checkReferences(readFileSync(`${root}${DOC}`, 'utf8'), root)).toEqual([]);
  });

  it('is where the README sends a newcomer, before anything else', () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    expect(readme.indexOf(`(${DOC})`)).toBeGreaterThan(0);
    expect(readme.indexOf(`(${DOC})`)).toBeLessThan(readme.indexOf('```'));
  });

  it('follows the tap through a file of every workspace on its way', () => {
    const doc = readFileSync(`${root}${DOC}`, 'utf8');
    const tap = doc.slice(doc.indexOf('## The path of a tap'));
    const named = new Set(
      spansByLine(tap)
        .flat()
        .filter((span) => looksLikePath(span.text) && span.text.includes('/src/'))
        .map((span) => span.text.split('/')[0]),
    );
    expect([...named].sort()).toEqual(['cloud', 'firmware-sim', 'gateway', 'mobile-api', 'protocol']);
  });

  it('reports a wrong path, a folder given names, and a name its file does not declare', () => {
    const wrong = [
      'The service: `cloud/src/commands/comands.ts`; the waiter: `cloud/src/commands/commands.ts` ›',
      '`CommandService.waitForTerminal`.',
      '`cloud/src/commands/commands.ts` › `CommandService.create`, `CommandService.cancel`, and',
      '`cloud/src/ingest/` › `IngestService`.',
      '`cloud/src/commands/commands.ts` › `CommandService.create`, `commands.nope` › `x`',
      '```',
      'cloud/src/not-checked-in-a-fence.ts `cloud/src/nor-this.ts`',
      '```',
    ].join('\n');
    expect(checkReferences(wrong, root)).toEqual([
      'line 1: keep a path, its › and a name on one line',
      'cloud/src/commands/comands.ts: no such file or folder',
      'cloud/src/commands/commands.ts › CommandService.cancel: not declared there',
      'cloud/src/ingest/: a folder cannot declare IngestService',
      'cloud/src/commands/commands.ts › commands.nope: not declared there',
    ]);
  });
});
