//! The machine's export for the npm package's JavaScript pump (feature `js-pump`).
//!
//! Values cross as JSON text ([`crate::core::machine::wire`]) through a byte buffer that the
//! wasm owns, so the boundary needs no generated glue and no `unsafe`: the pump asks for the
//! buffer ([`oidc_in`]), writes the input's UTF-8 into it, calls an entry point, which takes the
//! input and leaves its answer in the same buffer, and reads that ([`oidc_out`], of the length
//! the call returned). Each client is a
//! handle into a table; [`oidc_free`] drops its machine and frees its slot for the next client,
//! so a page that creates and disposes many clients holds no more memory than one that held as
//! many at once. A slot serves client after client: the pump forgets a handle when it frees it.
//!
//! Everything the browser does is in the pump; everything the client decides is in the machine.

use crate::core::json::Json;
use crate::core::machine::wire::Wired;
use std::cell::Cell;

thread_local! {
    /// The input the pump wrote, until a call takes it; then the output that call made.
    static BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    static CLIENTS: Cell<Vec<Option<Wired>>> = const { Cell::new(Vec::new()) };
}

/// Puts `clients` in the client table and returns what was there: taken out (an empty table put
/// in) while a call uses it, then put back. One accessor, as for the buffer.
fn swap_clients(clients: Vec<Option<Wired>>) -> Vec<Option<Wired>> {
    CLIENTS.replace(clients)
}

/// Puts `bytes` in the buffer and returns what was there. Every entry point reaches the buffer
/// through here, so it holds no borrow and the wasm one accessor.
fn swap_buffer(bytes: Vec<u8>) -> Vec<u8> {
    BUFFER.replace(bytes)
}

/// The buffer's address and length, the buffer left as it is (moving a `Vec` keeps its bytes
/// where they are).
fn buffer_at() -> (*mut u8, usize) {
    let mut bytes = swap_buffer(Vec::new());
    let at = (bytes.as_mut_ptr(), bytes.len());
    swap_buffer(bytes);
    at
}

/// The input buffer, `len` bytes long, for the pump to write the next input into.
#[no_mangle]
pub extern "C" fn oidc_in(len: usize) -> *mut u8 {
    swap_buffer(vec![0; len]);
    buffer_at().0
}

/// The output buffer, holding what the last call returned.
#[no_mangle]
pub extern "C" fn oidc_out() -> *const u8 {
    buffer_at().0
}

/// The length of the output buffer.
#[no_mangle]
pub extern "C" fn oidc_out_len() -> usize {
    buffer_at().1
}

fn input_text() -> String {
    crate::core::text::utf8_lossy(swap_buffer(Vec::new()))
}

fn answer(text: String) -> usize {
    let len = text.len();
    swap_buffer(text.into_bytes());
    len
}

/// A client for the input `{"config":{...},"origin":"https://app.example"}`: its handle (from
/// 1), or 0 with the error object in the output buffer.
#[no_mangle]
pub extern "C" fn oidc_new() -> u32 {
    let parsed = Json::parse(&input_text()).unwrap_or_default();
    let origin = parsed
        .get("origin")
        .and_then(Json::as_str)
        .unwrap_or("null");
    // No configuration reads as empty text: the error says it is no JSON.
    let wired = match parsed.get("config") {
        Some(config) => Wired::from_json(config, origin),
        None => Wired::new("", origin),
    };
    match wired {
        Ok(wired) => {
            let mut clients = swap_clients(Vec::new());
            let index = match clients.iter_mut().position(|slot| slot.is_none()) {
                Some(free) => free,
                None => clients.len(),
            };
            match clients.get_mut(index) {
                Some(slot) => *slot = Some(wired),
                None => clients.push(Some(wired)),
            }
            swap_clients(clients);
            u32::try_from(index.saturating_add(1)).unwrap_or(0)
        }
        Err(error) => {
            answer(error);
            0
        }
    }
}

/// Client `handle` takes the input in the input buffer at `now` (ms since the epoch); the
/// outputs it caused are in the output buffer, of the returned length.
#[no_mangle]
pub extern "C" fn oidc_handle(handle: u32, now: f64) -> usize {
    let text = input_text();
    // Date.now() is a whole number of milliseconds; `as` saturates.
    #[allow(clippy::cast_possible_truncation)]
    let now = now as i64;
    let out = with_client(handle, &mut |wired| wired.handle(&text, now));
    answer(out.unwrap_or_else(|| r#"{"out":[],"timeout":null}"#.to_owned()))
}

/// Client `handle`'s session, the reason of its last sign-out and whether `expired` was announced
/// for its access token, as the JSON `[session or null, reason or null, expired]`, in the output
/// buffer (`null` for an unknown handle).
#[no_mangle]
pub extern "C" fn oidc_session(handle: u32) -> usize {
    let out = with_client(handle, &mut |wired| wired.session());
    answer(out.unwrap_or_else(|| "null".to_owned()))
}

/// Drops client `handle`'s machine.
#[no_mangle]
pub extern "C" fn oidc_free(handle: u32) {
    with_slot(handle, &mut |slot| {
        drop(slot.take());
        None
    });
}

/// What `f` makes of client `handle`, if it is there.
fn with_client(handle: u32, f: &mut dyn FnMut(&mut Wired) -> String) -> Option<String> {
    with_slot(handle, &mut |slot| slot.as_mut().map(&mut *f))
}

/// Client `handle`'s slot in the table (`None` once freed), given to `f`. One function for
/// every entry point, not one per closure: smaller in the wasm.
fn with_slot(
    handle: u32,
    f: &mut dyn FnMut(&mut Option<Wired>) -> Option<String>,
) -> Option<String> {
    let index = usize::try_from(handle).ok()?.checked_sub(1)?;
    // Taken out while `f` runs (nothing in it enters the table), then put back.
    let mut clients = swap_clients(Vec::new());
    let out = clients.get_mut(index).and_then(f);
    swap_clients(clients);
    out
}
