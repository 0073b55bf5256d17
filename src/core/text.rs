//! Joining text without the standard library's generic `concat`/`join` (each element type costs
//! the wasm its own copy of them) or `format!` (the formatting machinery): two small functions
//! the whole core uses.

/// `parts` one after the other.
pub fn cat(parts: &[&str]) -> String {
    let len = parts.iter().fold(0usize, |n, p| n.saturating_add(p.len()));
    let mut out = String::with_capacity(len);
    for part in parts {
        out.push_str(part);
    }
    out
}

/// `parts` separated by `separator`.
pub fn join<S: AsRef<str>>(parts: &[S], separator: &str) -> String {
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        out.push_str(part.as_ref());
    }
    out
}
