import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import ts from 'typescript';

// Boundaries are package names (docs/architecture.md, "Packages"): a file imports another package
// only through its name and its `exports`, and declares it as a dependency; a relative import never
// leaves its own package. These checks read every source file of the workspace as it is on disk.

const ROOT = resolve(import.meta.dirname, '..');
const SOURCE = /\.(ts|js|mjs)$/;
const SKIPPED_FOLDERS = new Set(['node_modules', '.data', 'test-artifacts', 'results']);

interface WorkspacePackage {
  root: string;
  name: string;
  exports: string[];
  declared: Set<string>;
}

function walk(folder: string, visit: (file: string) => void): void {
  for (const entry of readdirSync(folder)) {
    if (SKIPPED_FOLDERS.has(entry) || entry.startsWith('.')) continue;
    const path = join(folder, entry);
    if (statSync(path).isDirectory()) walk(path, visit);
    else visit(path);
  }
}

function workspacePackages(): WorkspacePackage[] {
  const found: WorkspacePackage[] = [];
  walk(join(ROOT, 'packages'), (file) => {
    if (!file.endsWith(`${sep}package.json`)) return;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
      name: string; exports?: Record<string, string> | string; dependencies?: Record<string, string>; devDependencies?: Record<string, string>;
    };
    const exports = manifest.exports === undefined ? [] : typeof manifest.exports === 'string' ? ['.'] : Object.keys(manifest.exports);
    found.push({
      root: dirname(file), name: manifest.name, exports,
      declared: new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})]),
    });
  });
  return found;
}

/** Every module specifier of a file: static and dynamic imports, re-exports, and `new URL('…', import.meta.url)`. */
function specifiersOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const imports = ts.preProcessFile(text, true, true).importedFiles.map((imported) => imported.fileName);
  const urls = [...text.matchAll(/new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g)].map((match) => match[1] as string);
  return [...imports, ...urls];
}

const packages = workspacePackages();
const byName = new Map(packages.map((pkg) => [pkg.name, pkg]));
const ownerOf = (file: string): WorkspacePackage | undefined => packages
  .filter((pkg) => file.startsWith(`${pkg.root}${sep}`))
  .sort((a, b) => b.root.length - a.root.length)[0];

/** [file, specifier, why] for every import that crosses a boundary the wrong way. */
function violations(): Array<[string, string, string]> {
  const found: Array<[string, string, string]> = [];
  for (const pkg of packages) {
    walk(pkg.root, (file) => {
      if (!SOURCE.test(file) || ownerOf(file) !== pkg) return;
      for (const specifier of specifiersOf(file)) {
        const where = relative(ROOT, file);
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier);
          if (ownerOf(target) !== pkg) found.push([where, specifier, 'a relative import leaves its package']);
          continue;
        }
        const match = /^(@payapi\/[^/]+)(\/.*)?$/.exec(specifier);
        if (!match) continue;
        const [, name = '', subpath] = match;
        const target = byName.get(name);
        if (!target) found.push([where, specifier, 'no workspace package has this name']);
        else if (target !== pkg && !pkg.declared.has(name)) found.push([where, specifier, `${pkg.name} does not declare ${name}`]);
        else if (!target.exports.includes(subpath ? `.${subpath}` : '.')) found.push([where, specifier, `${name} does not export ${subpath ?? '.'}`]);
      }
    });
  }
  return found;
}

describe('package boundaries', () => {
  test('the workspace has its packages and every one is named @payapi/…', () => {
    expect(packages.length).toBeGreaterThanOrEqual(11);
    for (const pkg of packages) expect(pkg.name).toMatch(/^@payapi\/[a-z0-9-]+$/);
  });

  test('no relative import leaves its package; other packages are imported by name, declared, through their exports', () => {
    expect(violations()).toEqual([]);
  });

  test('the partner SDK depends on no package of the bank, and the partner demo only on the SDK (a partner installs the SDK alone)', () => {
    const workspaceImports = (pkg: WorkspacePackage): string[] => {
      const found = new Set<string>();
      walk(pkg.root, (file) => {
        if (!SOURCE.test(file) || ownerOf(file) !== pkg) return;
        for (const specifier of specifiersOf(file)) {
          const name = /^(@payapi\/[^/]+)/.exec(specifier)?.[1];
          if (name && name !== pkg.name) found.add(name);
        }
      });
      return [...found].sort();
    };
    const sdk = byName.get('@payapi/sdk');
    const demo = byName.get('@payapi/partner-demo');
    expect(sdk && demo).toBeDefined();
    expect([...sdk!.declared].filter((name) => name.startsWith('@payapi/'))).toEqual([]);
    expect(workspaceImports(sdk!)).toEqual([]);
    expect([...demo!.declared].filter((name) => name.startsWith('@payapi/'))).toEqual(['@payapi/sdk']);
    expect(workspaceImports(demo!)).toEqual(['@payapi/sdk']);
  });

  test('the check sees a relative import that leaves its package', () => {
    const pkg = packages.find((candidate) => candidate.name === '@payapi/resource-api');
    expect(pkg).toBeDefined();
    const file = join(pkg!.root, 'src', 'app.ts');
    const target = resolve(dirname(file), '../../auth-server/src/provider.ts');
    expect(ownerOf(target)).not.toBe(pkg);
  });
});
