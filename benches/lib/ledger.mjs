// 6. Size ledger: twiggy's `top` items of the unstripped wasm (all of them, as JSON), grouped
// by crate and by our module. bench.sh makes the inputs: the release wasm through wasm-bindgen
// without --remove-name-section, and that file again through wasm-opt with the package's flags
// but -g (the shipped optimisation, names kept), so the second column is close to what ships.
//
// Attribution of an item (a function, a data segment, a section) by its demangled name:
// - Rust paths go to the crate of their first path, after `<`, `&`, `dyn ` and the like;
//   `<T as some_crate::Trait>::f` with a generic `T` goes to the trait's crate. So
//   `<oidc_rp_wasm::error::Error as core::fmt::Display>::fmt` is ours and
//   `core::ptr::drop_in_place<oidc_rp_wasm::..>` is core's (our generics instantiated in other
//   crates are listed per module in a column of their own).
// - Our items go to the longest module path of src/ they start with (src/core/flow/code.rs, ...).
// - Items without a Rust path: data segments, wasm-bindgen's generated exports and shims,
//   compiler builtins (memcpy, __multi3, ...), the module's own structure (types, imports,
//   exports, tables), and custom sections (the name section and producers: not shipped).

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const NOT_SHIPPED = '(custom sections: names, producers; stripped from the shipped wasm)';
const DATA = '(data segments: string literals, tables, constants)';
const GLUE = '(wasm-bindgen generated exports and shims)';
const BUILTINS = '(compiler builtins: memcpy, memcmp, __multi3, ...)';
const STRUCTURE = '(module structure: types, imports, exports, tables)';
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

const stripHashes = (name) => name.replace(/\[[0-9a-f]{16}\]/g, '').replace(/::h[0-9a-f]{16}$/, '');

/** The crate of a Rust path, or null when `name` is not one. */
export function crateOf(name) {
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
  if (/^custom section /.test(name) || /subsection$/.test(name)) return NOT_SHIPPED;
  if (/^data segment /.test(name) || /^data\[\d+\]$/.test(name)) return DATA;
  if (/^code\[\d+\]$/.test(name)) return UNNAMED;
  if (/^(elem|type|table|memory|global|start)\b|^(import|export) /.test(name)) return STRUCTURE;
  if (/^(mem(cpy|set|cmp|move)|__(multi|udivti|divti|umodti|modti|ashl|lshr|ashr)\w*)$/.test(name)) return BUILTINS;
  return GLUE; // __wbg_*, __wbindgen_*, __externref_*, oidcclient_*, "... externref shim", Closure(..)
}

/** The module (src/...) of a path starting with `oidc_rp_wasm::`. */
function moduleOf(path, modules) {
  const rest = path.replace(/^oidc_rp_wasm::/, '');
  const segments = rest.split('::');
  for (let n = segments.length; n > 0; n -= 1) {
    const key = segments.slice(0, n).join('::');
    if (modules.has(key)) return modules.get(key);
  }
  return 'src/lib.rs';
}

/** Groups twiggy `top --format json` items: { total, byCrate: Map, byModule: Map<{own, generic}> }. */
export function group(items, modules) {
  const byCrate = new Map();
  const byModule = new Map();
  const add = (map, key, bytes) => map.set(key, (map.get(key) ?? 0) + bytes);
  let total = 0;
  let notShipped = 0;
  for (const { name, shallow_size: bytes } of items) {
    total += bytes;
    const crate = crateOf(name);
    const key = crate ?? classifyNonRust(name);
    if (key === NOT_SHIPPED) notShipped += bytes;
    add(byCrate, key, bytes);
    const clean = stripHashes(name);
    if (crate === 'oidc_rp_wasm') {
      const first = /oidc_rp_wasm::[A-Za-z0-9_:]*/.exec(clean)[0];
      const mod = moduleOf(first, modules);
      const entry = byModule.get(mod) ?? { own: 0, generic: 0 };
      entry.own += bytes;
      byModule.set(mod, entry);
    } else if (clean.includes('oidc_rp_wasm::')) {
      const first = /oidc_rp_wasm::[A-Za-z0-9_:]*/.exec(clean)[0];
      const mod = moduleOf(first, modules);
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

export const LABELS = { NOT_SHIPPED, DATA, GLUE, BUILTINS, STRUCTURE, UNNAMED };
