//! The pump: one [`Machine`] and what it holds in the page. It hands the machine its inputs one
//! at a time and performs every output:
//!
//! - [`Output::Io`]: the [`Command`] is performed as it says (fetch, WebCrypto, storage, lock,
//!   channel, window, navigation), and its [`Answer`] fed back with the command's id; a browser
//!   exception becomes a failure answer, never a panic or an exception through the wasm;
//! - [`Output::Cancel`]: a fetch under way is aborted and its answer dropped;
//! - [`Output::Event`]: the app's listeners are called;
//! - [`Output::Done`]: the operation's future completes.
//!
//! One timer is armed at [`Machine::poll_timeout`]; page events (visibility, freeze, network,
//! back/forward cache, user activity), window messages from the operations' popups and iframes
//! and tab messages are forwarded as they happen.
//!
//! Inputs that arrive while the machine works (an answer performed at once, an app listener
//! calling the client, an event the browser fires synchronously) wait in a queue, so the machine
//! is never entered twice: nothing is borrowed while the pump calls out to the browser or to the
//! app. The pump decides nothing: no branch here looks at a token, a session or a time.

use super::frames::{self, Shown};
use super::tabs::{self, Channel, HeldLock};
use super::{http, js_text, js_to_json, json_to_js, now_ms, spawn, storage, webcrypto, window};
use crate::core::machine::{
    Answer, Area, Call, Command, Event, Input, IoId, Machine, OpId, Outcome, Output, PageEvent,
    ACTIVITY_EVENTS,
};
use crate::error::BrowserError;
use crate::Error;
use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortController, MessageEvent, Window};

/// How many random bytes go with each call (the machine needs 96 for a sign-in).
const ENTROPY_BYTES: usize = 128;

/// An app listener.
pub(super) type Listener = Rc<dyn Fn(&Event)>;

/// The machine, its queue, the operations awaiting their outcome, and the page resources.
struct State {
    /// `None` once disposed of: calls then fail with `disposed` at once.
    machine: Option<Machine>,
    queue: VecDeque<Input>,
    /// The machine is being run (by a caller further up the stack).
    busy: bool,
    /// `dispose` was called: once the machine [is over](Machine::is_over), everything is let go.
    disposing: bool,
    /// The pump itself, while a refresh outlives `dispose`: the browser's callbacks hold the
    /// pump weakly, and the app may drop its last handle at once, so this keeps the machine
    /// until it is over. Taken (the cycle broken) by `finish`.
    finishing: Option<Pump>,
    next_op: OpId,
    ops: Vec<(OpId, Rc<Slot>)>,
    next_listener: u32,
    listeners: Vec<(u32, Listener)>,
    timer: Option<Timeout>,
    /// Fetches and lock waits under way, by command id: what a `Cancel` aborts.
    fetches: Vec<(IoId, AbortController)>,
    locks: Vec<(String, HeldLock)>,
    channel: Option<Channel>,
    windows: Vec<(OpId, Shown)>,
    /// The window the app opened for the next popup sign-in.
    app_window: Option<Window>,
    /// Page events and the window's `message` listener.
    page: Vec<EventListener>,
    /// DPoP key pairs (`CryptoKeyPair`s, private keys not extractable), by name.
    keys: Vec<(String, JsValue)>,
}

/// A shared handle on the pump.
#[derive(Clone)]
pub(super) struct Pump(Rc<RefCell<State>>);

/// A handle that does not keep the pump alive: what browser callbacks hold.
#[derive(Clone)]
struct WeakPump(Weak<RefCell<State>>);

impl WeakPump {
    fn upgrade(&self) -> Option<Pump> {
        self.0.upgrade().map(Pump)
    }

    /// Feeds `input` to the pump, if it is still there.
    fn input(&self, input: Input) {
        if let Some(pump) = self.upgrade() {
            pump.input(input);
        }
    }

    /// Answers command `id`.
    fn answer(&self, id: IoId, answer: Answer) {
        self.input(Input::Answer { id, answer });
    }

    /// Holds a DPoP key pair, if the pump is still there.
    fn hold_key(&self, name: &str, pair: JsValue) {
        if let Some(pump) = self.upgrade() {
            pump.hold_key(name, pair);
        }
    }
}

impl Pump {
    /// A pump around `machine`, listening to the page.
    pub(super) fn start(machine: Machine) -> Pump {
        let pump = Pump(Rc::new(RefCell::new(State {
            machine: Some(machine),
            queue: VecDeque::new(),
            busy: false,
            disposing: false,
            finishing: None,
            next_op: 0,
            ops: Vec::new(),
            next_listener: 0,
            listeners: Vec::new(),
            timer: None,
            fetches: Vec::new(),
            locks: Vec::new(),
            channel: None,
            windows: Vec::new(),
            app_window: None,
            page: Vec::new(),
            keys: Vec::new(),
        })));
        let page = pump.page_listeners();
        pump.with(|s| s.page = page);
        pump
    }

    fn downgrade(&self) -> WeakPump {
        WeakPump(Rc::downgrade(&self.0))
    }

    /// Runs `f` on the state. Nothing that can call back into the pump runs inside, so the
    /// borrow never fails; if it ever did, `f` is not run.
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> Option<R> {
        self.0.try_borrow_mut().ok().map(|mut s| f(&mut s))
    }

    /// The machine, read-only.
    pub(super) fn read<R>(&self, f: impl FnOnce(&Machine) -> R) -> Option<R> {
        let s = self.0.try_borrow().ok()?;
        s.machine.as_ref().filter(|_| !s.disposing).map(f)
    }

    // ----- operations -----

    /// Starts `call`: the machine has it (and has performed what it outputs at once, a popup's
    /// `window.open` included) when this returns. The completion resolves with its outcome.
    pub(super) fn call(&self, call: Call) -> Completion {
        let slot = Rc::new(Slot::default());
        let op = self.with(|s| {
            s.machine.as_ref()?;
            s.next_op = s.next_op.wrapping_add(1);
            s.ops.push((s.next_op, slot.clone()));
            Some(s.next_op)
        });
        match op.flatten() {
            Some(op) => self.input(Input::Call {
                op,
                call: Box::new(call),
                entropy: entropy(),
            }),
            None => slot.finish(Err(Error::Disposed)),
        }
        Completion(slot)
    }

    /// Hands the next popup sign-in the app's own window. A client being disposed takes none:
    /// its call fails at once, and the window is closed as a popup of the SDK's would never have
    /// opened.
    pub(super) fn give_window(&self, window: Option<Window>) {
        let refused = self
            .with(|s| {
                if s.machine.is_some() && !s.disposing {
                    s.app_window = window;
                    None
                } else {
                    window
                }
            })
            .flatten();
        if let Some(window) = refused {
            let _ = window.close();
        }
    }

    /// Closes `window`, the app's own window for a popup sign-in that failed, if the machine
    /// never took it: the call was refused (an option, say) before its popup would have opened.
    pub(super) fn close_unused_window(&self, window: &Window) {
        let unused = self.with(|s| {
            let unused = s.app_window.as_ref().is_some_and(|parked| {
                AsRef::<JsValue>::as_ref(parked) == AsRef::<JsValue>::as_ref(window)
            });
            if unused {
                s.app_window = None;
            }
            unused
        });
        if unused == Some(true) {
            let _ = window.close();
        }
    }

    /// Ends every operation (`disposed`), then lets go of everything in the page. Twice is once.
    pub(super) fn dispose(&self) {
        let first = self.with(|s| {
            let first = s.machine.is_some() && !s.disposing;
            s.disposing = true;
            first
        });
        if first == Some(true) {
            drop(self.call(Call::Dispose));
            // A refresh the machine lets finish keeps the pump until it is over.
            let pump = self.clone();
            self.with(|s| {
                if s.machine.is_some() {
                    s.finishing = Some(pump);
                }
            });
        }
    }

    /// Lets go of everything without telling the machine (a client whose creation failed).
    pub(super) fn stop(&self) {
        self.finish();
    }

    /// Adds an app listener; `None` once disposed of.
    pub(super) fn listen(&self, listener: Listener) -> Option<u32> {
        self.with(|s| {
            s.machine.as_ref().filter(|_| !s.disposing)?;
            s.next_listener = s.next_listener.wrapping_add(1);
            s.listeners.push((s.next_listener, listener));
            Some(s.next_listener)
        })
        .flatten()
    }

    /// Removes an app listener.
    pub(super) fn unlisten(&self, id: u32) {
        let removed = self.with(|s| {
            let index = s.listeners.iter().position(|(i, _)| *i == id)?;
            Some(s.listeners.remove(index))
        });
        drop(removed);
    }

    // ----- the loop -----

    /// Queues `input` and, unless the machine is already being run further up the stack, runs
    /// it until the queue is empty.
    fn input(&self, input: Input) {
        if self.with(|s| s.queue.push_back(input)).is_none() {
            return;
        }
        let start = self.with(|s| !std::mem::replace(&mut s.busy, true));
        if start != Some(true) {
            return;
        }
        while let Some((outputs, timeout)) = self.with(step).flatten() {
            for output in outputs {
                self.perform(output);
            }
            self.arm(timeout);
        }
        // Disposed of and done (a refresh out at the OP stores what the OP answers first): let go.
        let over = self.with(|s| {
            s.busy = false;
            s.disposing && s.machine.as_ref().is_none_or(Machine::is_over)
        });
        if over == Some(true) {
            self.finish();
        }
    }

    /// After `dispose`: every resource let go, every operation settled, the machine dropped.
    fn finish(&self) {
        let taken = self.with(|s| {
            s.machine = None;
            s.queue.clear();
            let finishing = s.finishing.take();
            s.listeners.clear();
            s.app_window = None;
            (
                std::mem::take(&mut s.ops),
                s.timer.take(),
                std::mem::take(&mut s.fetches),
                std::mem::take(&mut s.locks),
                s.channel.take(),
                std::mem::take(&mut s.windows),
                std::mem::take(&mut s.page),
                finishing,
            )
        });
        let Some((ops, timer, fetches, locks, channel, windows, page, finishing)) = taken else {
            return;
        };
        drop((timer, page, channel, locks));
        for (_, controller) in fetches {
            controller.abort();
        }
        for (_, shown) in windows {
            shown.detach();
        }
        for (_, slot) in ops {
            slot.finish(Err(Error::Disposed));
        }
        // The last strong handle may be this one: dropped after everything above.
        drop(finishing);
    }

    /// Arms the one timer at `at` (milliseconds since the epoch), or none.
    fn arm(&self, at: Option<i64>) {
        let weak = self.downgrade();
        let timer = at.map(|at| {
            timeout(at.saturating_sub(now_ms()), move || {
                weak.input(Input::Timeout)
            })
        });
        let old = self.with(|s| {
            let timer = timer.filter(|_| s.machine.is_some());
            std::mem::replace(&mut s.timer, timer)
        });
        drop(old);
    }

    fn perform(&self, output: Output) {
        match output {
            Output::Io { id, command } => self.command(id, command),
            Output::Cancel { id } => {
                if let Some(controller) = self.take_fetch(id) {
                    controller.abort();
                }
            }
            Output::Event(event) => self.emit(&event),
            Output::Done { op, result } => {
                let slot = self.with(|s| {
                    let index = s.ops.iter().position(|(o, _)| *o == op)?;
                    Some(s.ops.swap_remove(index).1)
                });
                if let Some(slot) = slot.flatten() {
                    slot.finish(result);
                }
            }
        }
    }

    fn emit(&self, event: &Event) {
        let listeners: Vec<Listener> = self
            .with(|s| s.listeners.iter().map(|(_, l)| l.clone()).collect())
            .unwrap_or_default();
        for listener in listeners {
            listener(event);
        }
    }

    fn answer(&self, id: IoId, answer: Answer) {
        self.input(Input::Answer { id, answer });
    }

    fn take_fetch(&self, id: IoId) -> Option<AbortController> {
        self.with(|s| {
            let index = s.fetches.iter().position(|(i, _)| *i == id)?;
            Some(s.fetches.swap_remove(index).1)
        })
        .flatten()
    }

    // ----- the commands -----

    fn command(&self, id: IoId, command: Command) {
        let weak = self.downgrade();
        match command {
            Command::Fetch(request) => self.fetch(id, request),
            Command::Verify(check) => spawn(async move {
                let verified = webcrypto::verify(&check).await;
                weak.answer(id, Answer::Verified(verified));
            }),
            Command::Digest { hash, access_token } => spawn(async move {
                let digest = webcrypto::digest(hash, access_token.expose().as_bytes()).await;
                weak.answer(id, Answer::Digest(digest));
            }),
            Command::Read {
                area: Area::Shared,
                key,
            } => spawn(async move {
                let read = storage::shared::get(&key).await;
                weak.answer(id, Answer::Read(read));
            }),
            Command::Read { area, key } => self.answer(id, Answer::Read(storage::read(area, &key))),
            Command::Write {
                area: Area::Shared,
                key,
                value,
            } => spawn(async move {
                let written = storage::shared::put(&key, &value).await;
                weak.answer(id, Answer::Written(written));
            }),
            Command::Write { area, key, value } => {
                self.answer(id, Answer::Written(storage::write(area, &key, &value)))
            }
            Command::Remove {
                area: Area::Shared,
                key,
            } => spawn(async move {
                let removed = storage::shared::delete(&key).await;
                weak.answer(id, Answer::Written(removed));
            }),
            Command::Remove { area, key } => {
                self.answer(id, Answer::Written(storage::remove(area, &key)))
            }
            Command::ListKeys { area, prefix } => {
                self.answer(id, Answer::Keys(storage::keys(area, &prefix)))
            }
            Command::TakeLock {
                name,
                wait_ms,
                lease_ms,
            } => self.take_lock(id, name, wait_ms, lease_ms),
            Command::ReleaseLock { name } => {
                let held = self.with(|s| {
                    let index = s.locks.iter().position(|(n, _)| *n == name)?;
                    Some(s.locks.swap_remove(index))
                });
                drop(held);
            }
            Command::OpenChannel { name } => {
                let channel = Channel::open(&name, move |data| {
                    if let Some(message) = js_to_json(&data) {
                        weak.input(Input::TabMessage(message));
                    }
                });
                let old = self.with(|s| std::mem::replace(&mut s.channel, channel));
                drop(old);
            }
            Command::CloseChannel => {
                let old = self.with(|s| s.channel.take());
                drop(old);
            }
            Command::Broadcast { message } => {
                let channel = self
                    .with(|s| s.channel.as_ref().map(Channel::channel))
                    .flatten();
                if let (Some(channel), Ok(message)) = (channel, json_to_js(&message)) {
                    let _ = channel.post_message(&message);
                }
            }
            Command::OpenPopup {
                op,
                url,
                app_window,
            } => {
                let given = self.with(|s| s.app_window.take()).flatten();
                let opened = frames::open_popup(&url, given.filter(|_| app_window));
                self.opened(id, op, opened);
            }
            Command::OpenFrame { op, url } => self.opened(id, op, frames::open_frame(&url)),
            Command::ListenHandover { op, channel } => {
                if self.window_of(op).is_none() {
                    return;
                }
                let handover = Channel::open(&channel, move |data| {
                    if let Some(data) = js_to_json(&data) {
                        weak.input(Input::Handover { op, data });
                    }
                });
                let unused = self.with(|s| match s.windows.iter_mut().find(|(o, _)| *o == op) {
                    Some((_, shown)) => {
                        shown.set_handover(handover);
                        None
                    }
                    None => handover,
                });
                drop(unused);
            }
            Command::LookAtPopup { op } => {
                let popup = self.window_of(op).flatten();
                self.answer(id, Answer::Look(frames::look(popup.as_ref())));
            }
            Command::CloseWindow { op } => {
                let shown = self.with(|s| {
                    let index = s.windows.iter().position(|(o, _)| *o == op)?;
                    Some(s.windows.swap_remove(index).1)
                });
                if let Some(shown) = shown.flatten() {
                    shown.close();
                }
            }
            Command::Navigate { url } => {
                if let Ok(window) = window() {
                    let _ = window.location().assign(&url);
                }
            }
            Command::NavigateWindow { op, url } => {
                if let Some(popup) = self.window_of(op).flatten() {
                    let _ = popup.location().set_href(&url);
                }
            }
            Command::LoadKey { name } => spawn(async move {
                let pair = storage::shared::get_object(&name).await;
                let answer = match pair {
                    Ok(Some(pair)) => {
                        weak.hold_key(&name, pair.clone());
                        webcrypto::dpop::public_jwk(&pair).await.map(Some)
                    }
                    Ok(None) => Ok(None),
                    Err(e) => Err(e),
                };
                weak.answer(id, Answer::Key(answer));
            }),
            Command::GenerateKey { name } => spawn(async move {
                let answer = match webcrypto::dpop::generate().await {
                    Ok(pair) => {
                        weak.hold_key(&name, pair.clone());
                        webcrypto::dpop::public_jwk(&pair).await.map(Some)
                    }
                    Err(e) => Err(e),
                };
                weak.answer(id, Answer::Key(answer));
            }),
            Command::StoreKey { name } => {
                let pair = self.key(&name);
                spawn(async move {
                    let stored = match pair {
                        Some(pair) => storage::shared::put_object(&name, &pair).await,
                        None => Ok(()),
                    };
                    weak.answer(id, Answer::Written(stored));
                })
            }
            Command::RemoveKey { name } => {
                self.with(|s| s.keys.retain(|(n, _)| *n != name));
                spawn(async move {
                    let removed = storage::shared::delete(&name).await;
                    weak.answer(id, Answer::Written(removed));
                })
            }
            Command::Sign { name, input } => {
                let pair = self.key(&name);
                spawn(async move {
                    let signed = match pair {
                        Some(pair) => webcrypto::dpop::sign(&pair, input.as_bytes()).await,
                        None => Err(Error::Crypto("no DPoP key".into())),
                    };
                    weak.answer(id, Answer::Signature(signed));
                })
            }
            Command::ReplaceUrl { url } => {
                if let Ok(history) = window().and_then(|w| {
                    w.history()
                        .map_err(|e| Error::Browser(BrowserError::Location(js_text(&e))))
                }) {
                    let state = history.state().unwrap_or(JsValue::NULL);
                    let _ = history.replace_state_with_url(&state, "", Some(&url));
                }
            }
        }
    }

    /// A fetch under an `AbortController`: aborted by its deadline (answered `timeout` then,
    /// whether or not the request ever settles) or by a cancel (not answered).
    fn fetch(&self, id: IoId, request: crate::core::flow::HttpRequest) {
        let controller = match AbortController::new() {
            Ok(controller) => controller,
            Err(e) => return self.answer(id, Answer::Http(Err(Error::Network(js_text(&e))))),
        };
        self.with(|s| s.fetches.push((id, controller.clone())));
        let weak = self.downgrade();
        let deadline = {
            let weak = weak.clone();
            timeout(i64::from(request.timeout_ms), move || {
                if let Some(pump) = weak.upgrade() {
                    if let Some(controller) = pump.take_fetch(id) {
                        controller.abort();
                        pump.answer(id, Answer::Http(Err(Error::Timeout)));
                    }
                }
            })
        };
        let signal = controller.signal();
        spawn(async move {
            let response = http::send(&request, &signal).await;
            drop(deadline);
            if let Some(pump) = weak.upgrade() {
                if pump.take_fetch(id).is_some() {
                    pump.answer(id, Answer::Http(response));
                }
            }
        });
    }

    /// Asks for the Web Lock `name`; once granted it is held until released, or until
    /// `lease_ms` have passed. Granted at once where there are no Web Locks.
    fn take_lock(&self, id: IoId, name: String, wait_ms: u32, lease_ms: u32) {
        let weak = self.downgrade();
        let granted = {
            let weak = weak.clone();
            let name = name.clone();
            move |release: js_sys::Function| {
                let Some(pump) = weak.upgrade() else {
                    let _ = release.call0(&JsValue::UNDEFINED);
                    return;
                };
                let lease = {
                    let weak = weak.clone();
                    let name = name.clone();
                    timeout(i64::from(lease_ms), move || {
                        if let Some(pump) = weak.upgrade() {
                            let held = pump.with(|s| {
                                let index = s.locks.iter().position(|(n, _)| *n == name)?;
                                Some(s.locks.swap_remove(index))
                            });
                            drop(held);
                        }
                    })
                };
                // No longer a wait to cancel.
                drop(pump.take_fetch(id));
                // Kept before the answer, which may release it at once; released at once when
                // the client was disposed of while it waited.
                let held = HeldLock::new(release, lease);
                pump.with(move |s| {
                    if s.machine.is_some() {
                        s.locks.push((name, held));
                    }
                });
                pump.answer(id, Answer::Lock(Ok(())));
            }
        };
        let refused = move |error| {
            // No longer a wait to cancel.
            if let Some(pump) = weak.upgrade() {
                drop(pump.take_fetch(id));
            }
            weak.answer(id, Answer::Lock(Err(error)));
        };
        match tabs::request_lock(&name, wait_ms, granted, refused) {
            // The machine may cancel the wait (a client disposed of while it waits).
            Some(Some(wait)) => self.with(|s| s.fetches.push((id, wait))).unwrap_or(()),
            Some(None) => {}
            // No Web Locks: the machine decides to go on without one.
            None => self.answer(
                id,
                Answer::Lock(Err(Error::Unsupported("Web Locks".to_owned()))),
            ),
        }
    }

    /// Keeps the window of operation `op` and answers `id` whether it opened.
    fn opened(&self, id: IoId, op: OpId, shown: Result<Shown, Error>) {
        let answer = match shown {
            Ok(shown) => {
                self.with(|s| s.windows.push((op, shown)));
                Ok(())
            }
            Err(e) => Err(e),
        };
        self.answer(id, Answer::Opened(answer));
    }

    /// The window of operation `op`: `None` when it has none, `Some(None)` for an iframe
    /// without a window.
    /// Holds the key pair `pair` under `name`.
    fn hold_key(&self, name: &str, pair: JsValue) {
        self.with(|s| {
            s.keys.retain(|(n, _)| n != name);
            s.keys.push((name.to_owned(), pair));
        });
    }

    /// The key pair held under `name`.
    fn key(&self, name: &str) -> Option<JsValue> {
        self.with(|s| {
            s.keys
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, k)| k.clone())
        })
        .flatten()
    }

    fn window_of(&self, op: OpId) -> Option<Option<Window>> {
        self.with(|s| {
            s.windows
                .iter()
                .find(|(o, _)| *o == op)
                .map(|(_, shown)| shown.window())
        })
        .flatten()
    }

    // ----- the page -----

    /// Forwards the page's events, and the `message`s of the operations' windows.
    fn page_listeners(&self) -> Vec<EventListener> {
        let mut listeners = Vec::new();
        let Ok(window) = window() else {
            return listeners;
        };
        let forward =
            |target: &web_sys::EventTarget, kind: &'static str, event: fn() -> PageEvent| {
                let weak = self.downgrade();
                EventListener::new(target, kind, move |_| weak.input(Input::Page(event())))
            };
        if let Some(document) = window.document() {
            let weak = self.downgrade();
            let visibility = document.clone();
            listeners.push(EventListener::new(
                &document,
                "visibilitychange",
                move |_| {
                    let event = if visibility.hidden() {
                        PageEvent::Hidden
                    } else {
                        PageEvent::Visible
                    };
                    weak.input(Input::Page(event));
                },
            ));
            listeners.push(forward(&document, "resume", || PageEvent::Resumed));
        }
        listeners.push(forward(&window, "online", || PageEvent::Online));
        listeners.push(forward(&window, "pagehide", || PageEvent::PageHide));
        listeners.push(forward(&window, "pageshow", || PageEvent::PageShow));
        for kind in ACTIVITY_EVENTS {
            listeners.push(forward(&window, kind, || PageEvent::Activity));
        }
        let weak = self.downgrade();
        listeners.push(EventListener::new(&window, "message", move |event| {
            let Some(event) = event.dyn_ref::<MessageEvent>() else {
                return;
            };
            let Some(pump) = weak.upgrade() else {
                return;
            };
            let Some(source) = event.source().map(JsValue::from) else {
                return;
            };
            // To every operation of that window: the app may hand one window to two calls (a
            // double click), and the machine knows which of them a message answers.
            let ops: Vec<OpId> = pump
                .with(|s| {
                    s.windows
                        .iter()
                        .filter(|(_, shown)| shown.is(&source))
                        .map(|(op, _)| *op)
                        .collect()
                })
                .unwrap_or_default();
            if ops.is_empty() {
                return;
            }
            let Some(data) = js_to_json(&event.data()) else {
                return;
            };
            let origin = event.origin();
            for op in ops {
                pump.input(Input::WindowMessage {
                    origin: origin.clone(),
                    source: Some(op),
                    data: data.clone(),
                });
            }
        }));
        listeners
    }
}

/// One step of the loop: the next input handed to the machine, and what it output.
fn step(s: &mut State) -> Option<(Vec<Output>, Option<i64>)> {
    let input = s.queue.pop_front()?;
    let Some(machine) = s.machine.as_mut() else {
        s.queue.clear();
        return None;
    };
    machine.handle_input(input, now_ms());
    let outputs = std::iter::from_fn(|| machine.poll_output()).collect();
    Some((outputs, machine.poll_timeout()))
}

/// A timer calling `f` after `ms` milliseconds (at once for a time already past; at most
/// `i32::MAX` ms, which is what `setTimeout` takes).
fn timeout(ms: i64, f: impl FnOnce() + 'static) -> Timeout {
    let ms = ms.clamp(0, i64::from(i32::MAX));
    Timeout::new(u32::try_from(ms).unwrap_or(0), f)
}

/// Fresh random bytes from `crypto.getRandomValues`, for the machine's `state`, `nonce` and
/// PKCE verifiers (none where the browser has no randomness: sign-ins then fail in the machine).
fn entropy() -> Vec<u8> {
    let mut bytes = vec![0; ENTROPY_BYTES];
    match getrandom::getrandom(&mut bytes) {
        Ok(()) => bytes,
        Err(_) => Vec::new(),
    }
}

// ----- completions -----

/// Where an operation's outcome is left for its future.
#[derive(Default)]
struct Slot {
    result: RefCell<Option<Result<Outcome, Error>>>,
    waker: RefCell<Option<Waker>>,
}

impl Slot {
    fn finish(&self, result: Result<Outcome, Error>) {
        if let Ok(mut slot) = self.result.try_borrow_mut() {
            *slot = Some(result);
        }
        let waker = self.waker.try_borrow_mut().ok().and_then(|mut w| w.take());
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The outcome of one operation, once the machine says it is done. Dropping it does not stop
/// the operation.
pub(super) struct Completion(Rc<Slot>);

impl Completion {
    /// An operation that failed before it reached the machine.
    pub(super) fn failed(error: Error) -> Completion {
        let slot = Slot::default();
        slot.finish(Err(error));
        Completion(Rc::new(slot))
    }
}

impl Future for Completion {
    type Output = Result<Outcome, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let slot = &self.0;
        if let Some(result) = slot.result.try_borrow_mut().ok().and_then(|mut r| r.take()) {
            return Poll::Ready(result);
        }
        if let Ok(mut waker) = slot.waker.try_borrow_mut() {
            *waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}
