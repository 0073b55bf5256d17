#!/usr/bin/env node
// Checks every fenced code block of README.md and pkg-template/README.md (run by `make test-types`):
//
// - `js`, `ts`, `jsx`, `tsx`: written to tests/types/snippets/ (generated, not committed) as a
//   TypeScript module each and type-checked by tsconfig.snippets.json with `strict` against the
//   package as users import it (`oidc-rp-wasm` and `oidc-rp-wasm/react` through the package's
//   exports; pkg/index.d.ts, when built, must equal the template it is copied from). A block that
//   is a fragment says what it assumes in an HTML comment right before it, which is prepended:
//   `<!-- snippet: declare const client: OidcClient; -->` (`OidcClient` and the other types of the
//   package are in scope). Nothing is skipped.
// - `sh`: `bash -n` (parsed, not run).
// - `html`: every tag well-formed and closed where it must be.
// - `rust`: compiled as doc-tests (src/lib.rs includes both READMEs under cfg(doctest)); here only
//   counted.
// - `text`: explicitly not code (a header value, a file tree). A block without a language fails:
//   rustdoc would take it for Rust.
//
// Errors are reported as README path:line. Exit status 1 on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readmes = ['README.md', 'pkg-template/README.md'];
const out = join(root, 'tests/types/snippets');
const KNOWN = new Set(['js', 'jsx', 'ts', 'tsx', 'sh', 'html', 'rust', 'text']);
// The package's types every snippet context may name without importing them (global aliases:
// a snippet's own import of the same name shadows them).
const PRELUDE = ['OidcClient', 'OidcClientConfig', 'Session', 'OidcError', 'AuthorizeOptions', 'LogoutOptions']
  .map((name) => `type ${name} = import("oidc-rp-wasm").${name};\n`)
  .join('');

/**
 * Every fenced block of `file`: its language, first line (1-based, of the code), code, context,
 * and the `##` heading it is under.
 */
export function blocks(file) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const found = [];
  let heading = null;
  for (let i = 0; i < lines.length; i++) {
    const title = /^## (.*)$/.exec(lines[i]);
    if (title) heading = title[1];
    // A fence may be indented (a block inside a list item); its code loses that indentation.
    const open = /^( *)```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const indent = open[1];
    let end = i + 1;
    while (end < lines.length && lines[end] !== `${indent}\`\`\``) end++;
    if (end === lines.length) throw new Error(`${file}:${i + 1}: a code block that is never closed`);
    const context = /^ *<!-- snippet: ([\s\S]*?) -->$/.exec(lines[i - 1] ?? '')?.[1] ?? null;
    const code = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l)).join('\n');
    found.push({ file, lang: open[2], line: i + 2, code, context, heading });
    i = end;
  }
  return found;
}

/** Whether `html` is a sequence of well-formed tags and text, each non-void element closed. */
function htmlProblem(html) {
  const VOID = new Set(['link', 'meta', 'br', 'img', 'input', 'hr', 'base', 'source']);
  const stack = [];
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*(\/?)>/g;
  let at = 0;
  for (const m of html.matchAll(tag)) {
    if (/[<>]/.test(html.slice(at, m.index))) return `a malformed tag near "${html.slice(at, m.index).trim().slice(0, 40)}"`;
    at = m.index + m[0].length;
    const name = m[2].toLowerCase();
    if (m[1]) {
      if (stack.pop() !== name) return `</${name}> closes nothing open`;
    } else if (!VOID.has(name) && !m[4]) stack.push(name);
  }
  if (/[<>]/.test(html.slice(at))) return 'a malformed tag at the end';
  return stack.length ? `<${stack.at(-1)}> is never closed` : null;
}

function main() {
  const failures = [];
  const counts = {};
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'prelude.d.ts'), PRELUDE);
  const written = new Map();
  const contexts = new Map();
  for (const file of readmes) {
    for (const b of blocks(file)) {
      const where = `${file}:${b.line - 1}`;
      counts[b.lang || '(none)'] = (counts[b.lang || '(none)'] ?? 0) + 1;
      if (!KNOWN.has(b.lang)) {
        failures.push(`${where}: a code block needs a language (${[...KNOWN].join(', ')}; \`text\` for what is not code), not "${b.lang}"`);
        continue;
      }
      if (['js', 'ts', 'jsx', 'tsx'].includes(b.lang)) {
        // JavaScript stays JavaScript (checkJs), TypeScript stays TypeScript.
        const base = `${file.replace(/[/.]/g, '_')}_${b.line - 1}`;
        let head = '';
        if (b.context) {
          // The context's declarations become a module the snippet imports: each snippet keeps
          // its own names, and JavaScript gets typed variables without TypeScript syntax.
          const names = [...b.context.matchAll(/\bdeclare\s+(?:const|let|var|function|class)\s+([A-Za-z_$][\w$]*)/g)].map((m) => m[1]);
          if (names.length === 0) failures.push(`${where}: a snippet context declares nothing (\`declare const name: Type;\`)`);
          writeFileSync(join(out, `${base}.context.d.ts`), `${b.context.replace(/\bdeclare\b/g, 'export declare')}\n`);
          contexts.set(`${base}.context.d.ts`, { file, line: b.line - 2 });
          head = `import { ${names.join(', ')} } from "./${base}.context.js";\n`;
        }
        const name = `${base}.${b.lang}`;
        writeFileSync(join(out, name), `${head}${b.code}\nexport {};\n`);
        written.set(name, { file, line: b.line, offset: head ? 1 : 0 });
      } else if (b.lang === 'sh') {
        const r = spawnSync('bash', ['-n'], { input: b.code, encoding: 'utf8' });
        if (r.status !== 0) failures.push(`${where}: bash -n: ${r.stderr.trim()}`);
      } else if (b.lang === 'html') {
        const problem = htmlProblem(b.code);
        if (problem) failures.push(`${where}: html: ${problem}`);
      } else if (b.context) {
        failures.push(`${where}: a snippet context on a ${b.lang} block means nothing`);
      }
    }
  }
  // The declarations users get are the template's, copied verbatim by scripts/build-pkg.sh.
  for (const d of ['index.d.ts', 'react.d.ts']) {
    const built = join(root, 'pkg', d);
    if (existsSync(built) && readFileSync(built, 'utf8') !== readFileSync(join(root, 'pkg-template', d), 'utf8')) {
      failures.push(`pkg/${d} differs from pkg-template/${d}: run make pkg`);
    }
  }
  const tsc = join(root, 'tests/types/node_modules/.bin/tsc');
  const r = spawnSync(tsc, ['-p', 'tsconfig.snippets.json', '--pretty', 'false'], {
    cwd: join(root, 'tests/types'),
    encoding: 'utf8',
  });
  // One diagnostic per entry: tsc indents the lines that continue one.
  const diagnostics = `${r.stdout}${r.stderr}`.split(/\n(?! )/).filter(Boolean);
  for (const line of diagnostics) {
    const m = /snippets\/([^(]+)\((\d+),(\d+)\): ([\s\S]*)$/.exec(line);
    const origin = m && written.get(m[1]);
    const context = m && contexts.get(m[1]);
    if (context) failures.push(`${context.file}:${context.line} (snippet context): ${m[4]}`);
    else if (origin) {
      const code = Number(m[2]) - origin.offset;
      const at = code >= 1 ? `${origin.file}:${origin.line + code - 1}` : `${origin.file}:${origin.line - 2} (its snippet context)`;
      failures.push(`${at}: ${m[4]}`);
    } else failures.push(line);
  }
  if (r.status !== 0 && failures.length === 0) failures.push(`tsc exited with ${r.status}`);
  const summary = Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ');
  if (failures.length) {
    console.error(`check-snippets: ${failures.length} problem(s) in the READMEs' code blocks (${summary}):`);
    for (const f of failures) console.error(`  ${f}`);
    process.exit(1);
  }
  console.log(`check-snippets: every code block of ${readmes.join(' and ')} checked (${summary}; ${written.size} type-checked in ${relative(root, out)}/)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
