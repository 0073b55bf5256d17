// 6. Size ledger: twiggy's `top` items of the package's wasm with its name section (all of them,
// as JSON), grouped by crate and by our module. bench.sh makes the inputs: the cargo build of
// scripts/build-pkg.sh (feature js-pump: the core, its state machine and the plain exports of
// src/js_pump.rs; no wasm-bindgen), and that file again through wasm-opt with the package's flags
// but -g (names kept), so the second column is what ships, names aside.
//
// Attribution of an item (a function, a data segment, a section) by its demangled name:
// - Rust paths go to the crate of their first path, after `<`, `&`, `dyn ` and the like;
//   `<T as some_crate::Trait>::f` with a generic `T` goes to the trait's crate. So
//   `<oidc_rp_wasm::error::Error as core::fmt::Display>::fmt` is ours and
//   `core::ptr::drop_in_place<oidc_rp_wasm::..>` is core's (our generics instantiated in other
//   crates are listed per module in a column of their own).
// - Our items go to the longest module path of src/ they start with: for instance
//   `oidc_rp_wasm::core::machine::wire::command_json` to src/core/machine/wire.rs and
//   `oidc_rp_wasm::core::machine::run::<impl oidc_rp_wasm::core::machine::Machine>::drive` to
//   src/core/machine/run.rs (where the impl block is). An inherent method named by its type only,
//   `<oidc_rp_wasm::core::machine::Machine>::drive` (v0 symbol names), goes to the file of its
//   type's module or submodules that defines `fn drive`, when exactly one does (fileOf).
// - Our `#[no_mangle]` exports (`oidc_new`, `oidc_handle`, ...: plain names, no path) go to the
//   file that defines them (src/js_pump.rs), found by reading src/.
// - Other items without a Rust path: data segments, compiler builtins (memcpy, __multi3, ...),
//   the module's own structure (types, exports, tables, globals, section headers, the
//   target_features section), and the name section and producers (not shipped).

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const NOT_SHIPPED = '(custom sections: names, producers; stripped from the shipped wasm)';
const DATA = '(data segments: string literals, tables, constants)';
const OTHER = '(other items without a Rust name)';
const BUILTINS = '(compiler builtins: memcpy, memcmp, __multi3, ...)';
const STRUCTURE = '(module structure: types, exports, tables, globals, section headers)';
const UNNAMED = '(unnamed functions)';

/** Module paths of the crate, from src/: ['core::flow::code', 'core::flow', 'web::js', 'error', ...]. */
export function moduleMap(srcDir) {
  const modules = new Map();
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.rs')) {
        const rel = relative(srcDir, path).replace(/\.rs$/, '');
        const parts = rel.split('/');
        if (parts.at(-1) === 'mod' || parts.at(-1) === 'lib') parts.pop();
        modules.set(parts.join('::'), `src/${relative(srcDir, path)}`);
      }
    }
  };
  walk(srcDir);
  return modules;
}

/**
 * Our unmangled exports: the name of each `#[no_mangle]` (or `#[unsafe(no_mangle)]`) function of
 * src/ with its file, e.g. Map { 'oidc_new' => 'src/js_pump.rs', ... }.
 */
export function exportMap(srcDir) {
  const symbols = new Map();
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.rs')) {
        const text = readFileSync(path, 'utf8');
        const re = /#\[(?:unsafe\()?no_mangle\)?\]\s*(?:#\[[^\]]*\]\s*)*pub\s+(?:unsafe\s+)?extern\s+"C"\s+fn\s+([A-Za-z_][A-Za-z0-9_]*)/g;
        for (const m of text.matchAll(re)) symbols.set(m[1], `src/${relative(srcDir, path)}`);
      }
    }
  };
  walk(srcDir);
  return symbols;
}

const stripHashes = (name) => name.replace(/(?<=\w)\[[0-9a-f]{1,16}\]/g, '').replace(/::h[0-9a-f]{16}$/, '');

/** The crate of a Rust path, or null when `name` is not one. */
export function crateOf(name) {
  // A v0-mangled symbol twiggy left as it is (wasm-opt appends `_<n>` to a duplicate it renames,
  // and then the name no longer demangles): the first crate root, `C[s<hash>_]<len><ident>`.
  const v0 = /^_R[0-9A-Za-z_]*?C(?:s[0-9A-Za-z]*_)?(\d+)([A-Za-z_][0-9A-Za-z_]*)/.exec(name);
  if (v0) {
    const crate = v0[2].slice(0, Number(v0[1]));
    return crate === '__rustc' ? 'std' : crate;
  }
  let s = stripHashes(name).trim();
  // `<X as Trait>::f`: the crate of X, unless X is a generic parameter or a primitive.
  for (;;) {
    const before = s;
    s = s.replace(/^(<|&|\(|\[|mut |dyn |\*const |\*mut |impl )+/, '');
    if (s === before) break;
  }
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(::)?/.exec(s);
  if (!m) return null;
  if (m[2]) return m[1] === '__rustc' ? 'std' : m[1];
  // No path after the first identifier: `T as crate::Trait`, `char>::..`, `str as ..`.
  const asTrait = /^[A-Za-z_][A-Za-z0-9_]*(?:<[^>]*>)? as (?:dyn )?([A-Za-z_][A-Za-z0-9_]*)::/.exec(s);
  if (asTrait) return asTrait[1] === '__rustc' ? 'std' : asTrait[1];
  if (/^(char|str|u8|u16|u32|u64|u128|usize|i8|i16|i32|i64|i128|isize|f32|f64|bool)\b/.test(s)) return 'core';
  return null;
}

function classifyNonRust(name) {
  // The name section (twiggy lists its subsections) and producers: wasm-opt strips both.
  if (/subsection$/.test(name) || /^custom section '(name|producers)'/.test(name)) return NOT_SHIPPED;
  if (/^data segment /.test(name) || /^data\[\d+\]$/.test(name)) return DATA;
  if (/^code\[\d+\]$/.test(name)) return UNNAMED;
  if (/^(elem|type|table|memory|global|start)\b|^(import|export) |section headers$|^wasm magic bytes$|^custom section /.test(name)) return STRUCTURE;
  if (/^(mem(cpy|set|cmp|move)|__(multi|udivti|divti|umodti|modti|ashl|lshr|ashr)\w*)$/.test(name)) return BUILTINS;
  return OTHER;
}

/** The module of a path starting with `oidc_rp_wasm::`: { key: 'core::machine', file: 'src/core/machine/mod.rs' }. */
function moduleOf(path, modules) {
  const rest = path.replace(/^oidc_rp_wasm::/, '');
  const segments = rest.split('::');
  for (let n = segments.length; n > 0; n -= 1) {
    const key = segments.slice(0, n).join('::');
    if (modules.has(key)) return { key, file: modules.get(key) };
  }
  return { key: '', file: 'src/lib.rs' };
}

/**
 * The file of one of our items. An inherent method, `<oidc_rp_wasm::core::machine::Machine>::drive`,
 * names its type's module, not the file of its `impl` block (v0 symbol names drop the
 * `run::<impl ..>` that legacy names have): it goes to the one file, among its type's module and
 * that module's submodules, that defines a `fn` of that name; to the type's module when none or
 * several do.
 */
function fileOf(clean, modules, fns) {
  const first = /oidc_rp_wasm::[A-Za-z0-9_:]*/.exec(clean)?.[0] ?? 'oidc_rp_wasm::';
  const mod = moduleOf(first, modules);
  const method = /^<oidc_rp_wasm::[A-Za-z0-9_:]+>::([A-Za-z_][A-Za-z0-9_]*)/.exec(clean)?.[1];
  if (!method || !fns) return mod.file;
  const files = [...modules]
    .filter(([key]) => key === mod.key || (mod.key !== '' && key.startsWith(`${mod.key}::`)))
    .map(([, file]) => file)
    .filter((file) => fns.get(file)?.has(method));
  return files.length === 1 ? files[0] : mod.file;
}

/** The functions each file of src/ defines, by name: Map { 'src/core/machine/run.rs' => Set { 'drive', ... } }. */
export function fnMap(srcDir) {
  const fns = new Map();
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.rs')) {
        const text = readFileSync(path, 'utf8');
        fns.set(`src/${relative(srcDir, path)}`, new Set([...text.matchAll(/\bfn\s+([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1])));
      }
    }
  };
  walk(srcDir);
  return fns;
}

/**
 * Groups twiggy `top --format json` items: { total, notShipped, byCrate: Map, byModule: Map<{own, generic}> }.
 * `modules` is moduleMap's, `exported` exportMap's, `fns` fnMap's.
 */
export function group(items, modules, exported = new Map(), fns = null) {
  const byCrate = new Map();
  const byModule = new Map();
  const add = (map, key, bytes) => map.set(key, (map.get(key) ?? 0) + bytes);
  let total = 0;
  let notShipped = 0;
  for (const { name, shallow_size: bytes } of items) {
    total += bytes;
    const crate = crateOf(name);
    if (crate === null && exported.has(name)) {
      add(byCrate, 'oidc_rp_wasm', bytes);
      const mod = exported.get(name);
      const entry = byModule.get(mod) ?? { own: 0, generic: 0 };
      entry.own += bytes;
      byModule.set(mod, entry);
      continue;
    }
    const key = crate ?? classifyNonRust(name);
    if (key === NOT_SHIPPED) notShipped += bytes;
    add(byCrate, key, bytes);
    const clean = stripHashes(name);
    if (crate === 'oidc_rp_wasm') {
      const mod = fileOf(clean, modules, fns);
      const entry = byModule.get(mod) ?? { own: 0, generic: 0 };
      entry.own += bytes;
      byModule.set(mod, entry);
    } else if (clean.includes('oidc_rp_wasm::')) {
      const first = /oidc_rp_wasm::[A-Za-z0-9_:]*/.exec(clean)[0];
      const mod = moduleOf(first, modules).file;
      const entry = byModule.get(mod) ?? { own: 0, generic: 0 };
      entry.generic += bytes;
      byModule.set(mod, entry);
    }
  }
  return { total, notShipped, byCrate, byModule };
}

export function readTop(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

export const LABELS = { NOT_SHIPPED, DATA, OTHER, BUILTINS, STRUCTURE, UNNAMED };
