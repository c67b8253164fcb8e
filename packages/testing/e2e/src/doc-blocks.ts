/**
 * The runnable blocks of the docs (README.md and docs/*.md), and running them as a reader would in
 * one terminal. A fenced block whose info string is `sh run` is a shell step; one with
 * `file=PATH` (e.g. ```` ```ts file=~/my-shop/quickstart.ts ````) is a file the reader saves, written
 * before the next step runs. Other blocks are examples and are not run: a block in a language a
 * reader runs (sh, ts, js…) that is not marked is an `excerpt` (`ruleBreaches`).
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** One marked block. */
export interface DocBlock {
  /** The document, relative to the repository (`docs/partner-quickstart.md`). */
  document: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's first word (`sh`, `ts`…). */
  language: string;
  /** A shell step, or a file to write. */
  kind: 'run' | 'file';
  /** For `file=`: where the reader saves it (`~` is the home folder). */
  path: string | undefined;
  code: string;
}

const FENCE = /^(\s*)(`{3,})(.*)$/;

/** One fenced block of a document, marked or not. */
export interface Fence {
  document: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's words (`['sh', 'run']`, `['ts', 'file=~/a.ts']`, `[]`). */
  words: string[];
  code: string;
  /** The text of the document before the fence (for the reason an excerpt gives). */
  before: string;
}

/** Every fenced block of one document's text, in order. Fences may be indented (inside list items). */
export function fencedBlocks(document: string, text: string): Fence[] {
  const lines = text.split('\n');
  const fences: Fence[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const open = FENCE.exec(lines[index] as string);
    if (!open) continue;
    const [, indent = '', ticks = '', info = ''] = open;
    const body: string[] = [];
    let end = index + 1;
    for (; end < lines.length; end += 1) {
      const close = FENCE.exec(lines[end] as string);
      if (close && (close[2] as string).length >= ticks.length && (close[3] as string).trim() === '') break;
      body.push((lines[end] as string).startsWith(indent) ? (lines[end] as string).slice(indent.length) : (lines[end] as string).trimStart());
    }
    const words = info.trim().split(/\s+/).filter((word) => word !== '');
    fences.push({ document, line: index + 1, words, code: `${body.join('\n')}\n`, before: lines.slice(0, index).join('\n') });
    index = end;
  }
  return fences;
}

/** The marked blocks of one document's text, in order. */
export function markedBlocks(document: string, text: string): DocBlock[] {
  const blocks: DocBlock[] = [];
  for (const { line, words, code } of fencedBlocks(document, text)) {
    const file = words.find((word) => word.startsWith('file='))?.slice('file='.length);
    if (words.includes('run') || file) blocks.push({ document, line, language: words[0] ?? '', kind: file ? 'file' : 'run', path: file, code });
  }
  return blocks;
}

/** Languages a reader runs: a block in one of them is marked `run`, `file=PATH` or `excerpt`. */
export const RUNNABLE_LANGUAGES: ReadonlySet<string> = new Set(['sh', 'bash', 'shell', 'zsh', 'console', 'ts', 'typescript', 'tsx', 'js', 'javascript', 'jsx', 'mjs', 'cjs']);

/**
 * What breaks the docs' rule in `fences` (every document's, so an excerpt may quote another's
 * runnable block): a fence with no language; a block in a runnable language that is neither marked
 * to run (`run`, `file=PATH`) nor `excerpt`; an `excerpt` that is neither line by line in a marked
 * block nor explained in the 600 characters before it by a sentence naming "the docs test".
 *
 * @returns one line per problem, `document:line: why`; empty when the rule holds
 */
export function ruleBreaches(fences: readonly Fence[]): string[] {
  const runnableLines = new Set(fences.filter((fence) => fence.words.includes('run') || fence.words.some((word) => word.startsWith('file=')))
    .flatMap((fence) => fence.code.split('\n').map((line) => line.trim())).filter((line) => line !== ''));
  const breaches: string[] = [];
  for (const fence of fences) {
    const at = `${fence.document}:${fence.line}`;
    const language = fence.words[0];
    if (language === undefined) {
      breaches.push(`${at}: a fence without a language (\`\`\`text, \`\`\`http, \`\`\`json, or \`\`\`sh run)`);
      continue;
    }
    const marked = fence.words.includes('run') || fence.words.some((word) => word.startsWith('file='));
    if (fence.words.includes('excerpt')) {
      const quoted = fence.code.split('\n').map((line) => line.trim()).filter((line) => line !== '').every((line) => runnableLines.has(line));
      if (!quoted && !/the\s+docs\s+test/i.test(fence.before.slice(-600))) breaches.push(`${at}: an excerpt neither in a marked block nor explained ("the docs test …") just before it`);
    } else if (RUNNABLE_LANGUAGES.has(language.toLowerCase()) && !marked) {
      breaches.push(`${at}: a \`${language}\` block marked neither \`run\`, \`file=PATH\` nor \`excerpt\``);
    }
  }
  return breaches;
}

/** README.md and every docs/*.md of the repository at `root`, with their marked blocks. */
export async function documentsWithBlocks(root: string): Promise<Map<string, DocBlock[]>> {
  const names = ['README.md', ...(await readdir(join(root, 'docs'))).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
  const found = new Map<string, DocBlock[]>();
  for (const name of names) found.set(name, markedBlocks(name, await readFile(join(root, name), 'utf8')));
  return found;
}

/** README.md and every docs/*.md of the repository at `root`, every fenced block of each. */
export async function documentFences(root: string): Promise<Fence[]> {
  const names = ['README.md', ...(await readdir(join(root, 'docs'))).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
  const fences: Fence[] = [];
  for (const name of names) fences.push(...fencedBlocks(name, await readFile(join(root, name), 'utf8')));
  return fences;
}

/** Where and how the blocks run. */
export interface RunOptions {
  /** The folder the first step starts in (the checkout). */
  cwd: string;
  /** The whole environment of every step; `HOME` is where `~` points. */
  env: Record<string, string>;
  /** Text replaced in every block before it runs (the documented URLs by the test system's). */
  substitutions: ReadonlyArray<readonly [string, string]>;
  /** A folder of the run's own, for the terminal's state between steps. */
  stateDir: string;
  /**
   * Told each piece of a step's output, stdout and stderr as the terminal shows them, as it comes
   * (to act as the reader when a step waits);
   * `type` writes a line to the step's standard input, as the reader types it when asked. Without
   * `onOutput` a step's standard input is empty.
   */
  onOutput?: (text: string, type: (line: string) => void) => void;
  /** A step's time limit, ms (default 5 minutes). */
  stepTimeoutMs?: number;
}

/** What one step printed. */
export interface StepOutput {
  block: DocBlock;
  stdout: string;
  stderr: string;
}

const substitute = (code: string, substitutions: RunOptions['substitutions']): string =>
  substitutions.reduce((text, [from, to]) => text.replaceAll(from, to), code);

/**
 * Runs `blocks` in order as one terminal session: shell steps in bash with `set -euo pipefail`, the
 * working folder and exported variables carried from one step to the next; files written where they say.
 *
 * @throws {Error} naming the document and line of the first step that exits non-zero or times out, with its output
 */
export async function runBlocks(blocks: DocBlock[], options: RunOptions): Promise<StepOutput[]> {
  await mkdir(options.stateDir, { recursive: true });
  const envFile = join(options.stateDir, 'env.sh');
  const cwdFile = join(options.stateDir, 'cwd');
  await writeFile(envFile, '');
  await writeFile(cwdFile, options.cwd);
  const outputs: StepOutput[] = [];
  for (const block of blocks) {
    const code = substitute(block.code, options.substitutions);
    if (block.kind === 'file') {
      const path = (block.path as string).replace(/^~(?=\/)/, options.env.HOME as string);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, code);
      outputs.push({ block, stdout: '', stderr: '' });
      continue;
    }
    const script = [
      'set -euo pipefail', `. ${JSON.stringify(envFile)}`, `cd "$(cat ${JSON.stringify(cwdFile)})"`,
      code,
      `export -p | grep -v '^declare -[a-zA-Z]*r' > ${JSON.stringify(envFile)}`, `pwd > ${JSON.stringify(cwdFile)}`,
    ].join('\n');
    outputs.push(await runStep(block, script, options));
  }
  return outputs;
}

function runStep(block: DocBlock, script: string, options: RunOptions): Promise<StepOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    if (!options.onOutput) child.stdin.end();
    child.stdin.on('error', () => {});
    const type = (line: string): void => {
      if (!child.stdin.writableEnded) child.stdin.write(`${line}\n`);
    };
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      options.onOutput?.(chunk.toString('utf8'), type);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      options.onOutput?.(chunk.toString('utf8'), type);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.stepTimeoutMs ?? 300_000);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      if (status === 0) return resolve({ block, stdout, stderr });
      reject(new Error(`${block.document}:${block.line}: the step ended with ${signal ?? `exit ${status}`}\n--- stdout\n${stdout.slice(-4000)}\n--- stderr\n${stderr.slice(-4000)}`));
    });
  });
}
