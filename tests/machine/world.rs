//! The fake browser: simulated time, storage (per-tab `sessionStorage`, shared `localStorage`
//! and IndexedDB), the cross-tab lock manager with leases, the tab BroadcastChannel, popups and
//! iframes, navigations, the form_post service worker, and any number of tabs, each with its
//! own [`Machine`]. Nothing sleeps and nothing reads a clock: time moves only with
//! [`World::advance`] (timers fire) and [`World::skip`] (they do not: a suspended machine).
//!
//! A pump performs each command the moment it is output; answers come back as inputs later
//! (like promise resolutions), when [`World::settle`] feeds them.

use crate::common::*;
use crate::op::{Endpoint, FakeOp};
use oidc_rp_wasm::core::config::{AuthorizeOptions, ClientConfig, LogoutOptions, StorageKind};
use oidc_rp_wasm::core::flow::silent::PopupLook;
use oidc_rp_wasm::core::flow::{HttpRequest, HttpResponse};
use oidc_rp_wasm::core::id_token;
use oidc_rp_wasm::core::jws::verify_rust_crypto;
use oidc_rp_wasm::core::machine::{
    Answer, Area, Call, Command, Event, Input, IoId, Machine, OpId, Outcome, Output, PageEvent,
    SigninVia,
};
use oidc_rp_wasm::core::session::Session;
use oidc_rp_wasm::error::Error;
use std::collections::{BTreeMap, VecDeque};

pub const APP_ORIGIN: &str = "https://app.example.com";
pub const REDIRECT_URI: &str = "https://app.example.com/cb";
pub const SILENT_URI: &str = "https://app.example.com/silent-callback.html";
pub const LOGOUT_RETURN: &str = "https://app.example.com/bye";
pub const SCOPE: &str = "openid profile offline_access";
/// The world's clock at the start, in milliseconds.
pub const START_MS: i64 = NOW * 1000;

/// The session key every machine of this client uses.
pub fn session_key() -> String {
    format!("oidc-rp-wasm:session:{ISSUER}:{CLIENT_ID}")
}

/// The refresh token of a stored session's `text`, if it holds one.
pub fn stored_refresh_token(text: Option<&String>) -> Option<String> {
    oidc_rp_wasm::core::stored::session_from_text(text?)?
        .refresh_token
        .map(|t| t.expose().to_owned())
}

/// The `sessionStorage` key of the transaction for `state` of the client of [`config`].
pub fn tx_key(state: &str) -> String {
    format!("oidc-rp-wasm:tx:{ISSUER}:{CLIENT_ID}:{state}")
}

/// A client configuration for the fake OP with `storage`.
pub fn config(storage: StorageKind) -> ClientConfig {
    ClientConfig::new(ISSUER, CLIENT_ID, REDIRECT_URI)
        .scope(SCOPE)
        .storage(storage)
        .post_logout_redirect_uri(LOGOUT_RETURN)
}

/// A popup or iframe a tab opened.
#[derive(Debug, Clone)]
pub struct Window {
    pub popup: bool,
    pub url: String,
    pub app_window: bool,
    /// The handle reads as closed.
    pub closed: bool,
    /// The document is on another origin (the OP's page).
    pub cross_origin: bool,
    /// The machine closed it.
    pub closed_by_machine: bool,
    pub looks: usize,
}

/// A navigation of the page, with the transactions stored when it happened.
#[derive(Debug, Clone)]
pub struct Navigation {
    pub url: String,
    pub session_storage_keys: Vec<String>,
}

/// One browser tab: its page's machine and everything the page did.
pub struct Tab {
    pub machine: Machine,
    pub config: ClientConfig,
    pub session_storage: BTreeMap<String, String>,
    /// Inputs waiting to be fed (answers, tab messages).
    pub inbox: VecDeque<Input>,
    /// Every command output by this page, in order.
    pub commands: Vec<(IoId, Command)>,
    /// The Debug text of every output of every page of this tab.
    pub outputs: Vec<String>,
    /// The Debug text of every input handed to every page of this tab.
    pub inputs: Vec<String>,
    pub cancelled: Vec<IoId>,
    pub events: Vec<Event>,
    pub done: BTreeMap<OpId, Result<Outcome, Error>>,
    pub navigations: Vec<Navigation>,
    pub replaced: Vec<String>,
    pub windows: BTreeMap<OpId, Window>,
    pub block_popups: bool,
    pub handovers: BTreeMap<OpId, String>,
    /// The tab channel, when open.
    pub channel: Option<String>,
    /// A frozen page runs nothing: no outputs are performed, no inputs fed, no timers fired.
    pub frozen: bool,
    /// The DPoP key pairs this page holds, by name.
    pub keys: BTreeMap<String, p256::ecdsa::SigningKey>,
    next_op: OpId,
    rng: u64,
}

impl Tab {
    fn new(config: ClientConfig, seed: u64) -> Tab {
        Tab {
            machine: Machine::new(config.clone(), APP_ORIGIN.into()).expect("a valid config"),
            config,
            session_storage: BTreeMap::new(),
            inbox: VecDeque::new(),
            commands: Vec::new(),
            outputs: Vec::new(),
            inputs: Vec::new(),
            cancelled: Vec::new(),
            events: Vec::new(),
            done: BTreeMap::new(),
            navigations: Vec::new(),
            replaced: Vec::new(),
            windows: BTreeMap::new(),
            block_popups: false,
            handovers: BTreeMap::new(),
            channel: None,
            frozen: false,
            keys: BTreeMap::new(),
            next_op: 0,
            rng: seed,
        }
    }

    /// 128 bytes from this tab's seeded generator (splitmix64).
    fn entropy(&mut self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(128);
        while bytes.len() < 128 {
            self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.rng;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            bytes.extend_from_slice(&z.to_le_bytes());
        }
        bytes
    }

    pub fn session(&self) -> Option<&Session> {
        self.machine.session()
    }

    /// The current access token.
    pub fn access_token(&self) -> String {
        self.session()
            .expect("a session")
            .access_token
            .expose()
            .to_owned()
    }

    /// The current refresh token.
    pub fn refresh_token(&self) -> Option<String> {
        self.session()?
            .refresh_token
            .as_ref()
            .map(|t| t.expose().to_owned())
    }

    pub fn is_done(&self, op: OpId) -> bool {
        self.done.contains_key(&op)
    }

    pub fn result(&self, op: OpId) -> &Result<Outcome, Error> {
        self.done
            .get(&op)
            .unwrap_or_else(|| panic!("operation {op} is not done"))
    }

    pub fn ok(&self, op: OpId) -> &Outcome {
        match self.result(op) {
            Ok(outcome) => outcome,
            Err(e) => panic!("operation {op} failed: {e:?}"),
        }
    }

    /// The error code operation `op` failed with.
    pub fn err(&self, op: OpId) -> String {
        match self.result(op) {
            Ok(outcome) => panic!("operation {op} succeeded: {outcome:?}"),
            Err(e) => e.code().to_owned(),
        }
    }

    /// The access token of a finished sign-in, refresh or getAccessToken.
    pub fn token_of(&self, op: OpId) -> String {
        match self.ok(op) {
            Outcome::SignedIn(s) => s.session.access_token.expose().to_owned(),
            Outcome::Session(s) => s.access_token.expose().to_owned(),
            Outcome::AccessToken(t) => t.expose().to_owned(),
            other => panic!("no token in {other:?}"),
        }
    }

    /// The events so far, named as the JS listeners know them, with the reason or error code.
    pub fn event_names(&self) -> Vec<String> {
        self.events.iter().map(event_name).collect()
    }

    /// How many events named `name` (as [`event_name`] spells them).
    pub fn count(&self, name: &str) -> usize {
        self.event_names().iter().filter(|n| *n == name).count()
    }

    /// The commands output so far that `pick` selects.
    pub fn commands_where(&self, pick: impl Fn(&Command) -> bool) -> Vec<&Command> {
        self.commands
            .iter()
            .map(|(_, c)| c)
            .filter(|c| pick(c))
            .collect()
    }

    /// The position in [`Tab::commands`] of the first command `pick` selects.
    pub fn position(&self, pick: impl Fn(&Command) -> bool) -> Option<usize> {
        self.commands.iter().position(|(_, c)| pick(c))
    }

    /// The keys of the stored authorization transactions.
    pub fn transactions(&self) -> Vec<String> {
        self.session_storage
            .keys()
            .filter(|k| k.starts_with("oidc-rp-wasm:tx:"))
            .cloned()
            .collect()
    }

    /// The URL of the last navigation.
    pub fn last_navigation(&self) -> String {
        self.navigations.last().expect("a navigation").url.clone()
    }
}

/// The name of `event` as the JS listeners know it, with a reason or error code.
pub fn event_name(event: &Event) -> String {
    match event {
        Event::SignedIn(_) => "signedIn".into(),
        Event::Refreshed(_) => "refreshed".into(),
        Event::RefreshFailed(e) => format!("refreshFailed:{}", e.code()),
        Event::Expiring(_) => "expiring".into(),
        Event::Expired(_) => "expired".into(),
        Event::SignedOut(reason) => format!("signedOut:{reason}"),
        Event::Idle(_) => "idle".into(),
    }
}

/// A fetch the network holds: released by the test, or timed out at its deadline.
struct Held {
    tab: usize,
    id: IoId,
    request: HttpRequest,
    endpoint: Endpoint,
    deadline: i64,
}

struct Holder {
    tab: usize,
    until: i64,
}

struct LockWaiter {
    name: String,
    tab: usize,
    id: IoId,
    deadline: i64,
    lease_ms: u32,
}

/// The cross-tab lock manager: exclusive named locks, FIFO waiters with a wait limit, leases.
#[derive(Default)]
pub struct Locks {
    held: BTreeMap<String, Holder>,
    waiters: Vec<LockWaiter>,
    /// Every grant, in order: (lock name, tab).
    pub grants: Vec<(String, usize)>,
}

impl Locks {
    /// The tab holding lock `name`.
    pub fn holder(&self, name: &str) -> Option<usize> {
        self.held.get(name).map(|h| h.tab)
    }

    pub fn waiting(&self) -> usize {
        self.waiters.len()
    }
}

/// The simulated browser.
pub struct World {
    /// Now, in milliseconds since the epoch.
    pub now: i64,
    pub op: FakeOp,
    pub local_storage: BTreeMap<String, String>,
    pub indexed_db: BTreeMap<String, String>,
    /// No IndexedDB: reads of [`Area::Shared`] find nothing, writes do nothing.
    pub no_indexed_db: bool,
    /// `localStorage` is full: writes to [`Area::Local`] fail with [`Error::Storage`].
    pub local_storage_full: bool,
    /// `sessionStorage` is full: writes to [`Area::Session`] fail with [`Error::Storage`].
    pub session_storage_full: bool,
    /// IndexedDB is full: writes to [`Area::Shared`] fail with [`Error::Storage`] (removals
    /// work, as they free space).
    pub indexed_db_full: bool,
    /// IndexedDB never answers (a blocked open, a wedged profile): every command the pump
    /// performs on it ([`Command::on_indexed_db`]) is left unanswered.
    pub hung_indexed_db: bool,
    /// No Web Locks (Safari before 15.4): the pump answers every lock request `unsupported`.
    pub no_web_locks: bool,
    /// WebCrypto cannot generate keys.
    pub no_webcrypto: bool,
    /// IndexedDB writes wait until [`World::release_shared_writes`]: a transaction that commits
    /// after others created later (another tab's delete, say).
    pub hold_shared_writes: bool,
    held_shared_writes: Vec<(usize, IoId, String, String)>,
    /// IndexedDB removals wait until [`World::release_shared_removals`], or are lost with
    /// [`World::lose_shared_removals`] (a page unload aborts a pending transaction).
    pub hold_shared_removals: bool,
    held_shared_removals: Vec<(usize, IoId, String)>,
    /// DPoP key pairs stored in IndexedDB (as `CryptoKey` objects: never as text), by name.
    pub key_store: BTreeMap<String, p256::ecdsa::SigningKey>,
    pub locks: Locks,
    /// The form_post service worker's kept bodies, by id.
    pub service_worker: BTreeMap<String, String>,
    tabs: Vec<Option<Tab>>,
    held: Vec<Held>,
    next_form_post: u32,
}

impl Default for World {
    fn default() -> Self {
        World::new()
    }
}

impl World {
    pub fn new() -> World {
        World {
            now: START_MS,
            op: FakeOp::new(),
            local_storage: BTreeMap::new(),
            indexed_db: BTreeMap::new(),
            no_indexed_db: false,
            local_storage_full: false,
            session_storage_full: false,
            indexed_db_full: false,
            no_web_locks: false,
            no_webcrypto: false,
            hold_shared_writes: false,
            hung_indexed_db: false,
            held_shared_writes: Vec::new(),
            hold_shared_removals: false,
            held_shared_removals: Vec::new(),
            key_store: BTreeMap::new(),
            locks: Locks::default(),
            service_worker: BTreeMap::new(),
            tabs: Vec::new(),
            held: Vec::new(),
            next_form_post: 0,
        }
    }

    // ----- tabs -----

    /// Opens a tab with a fresh `sessionStorage` and a machine for `config` (not created yet).
    pub fn open_tab(&mut self, config: ClientConfig) -> usize {
        let seed = 0x5EED_0000_u64 + self.tabs.len() as u64 * 7919;
        self.tabs.push(Some(Tab::new(config, seed)));
        self.tabs.len() - 1
    }

    /// A tab the user duplicated, or that tab `from` opened with `window.open`: it starts with a
    /// copy of `from`'s `sessionStorage` (HTML: an auxiliary or duplicated browsing context
    /// copies the session storage), and its client is created.
    pub fn copy_tab(&mut self, from: usize, config: ClientConfig) -> usize {
        let copied = self.tab(from).session_storage.clone();
        let t = self.open_tab(config);
        self.tab_mut(t).session_storage = copied;
        self.create(t);
        t
    }

    /// Opens a tab and creates its client; panics if that fails.
    pub fn create_tab(&mut self, config: ClientConfig) -> usize {
        let t = self.open_tab(config);
        self.create(t);
        t
    }

    /// Sends `Call::Create` and settles; panics if it fails.
    pub fn create(&mut self, t: usize) {
        let op = self.call(t, Call::Create);
        self.settle();
        self.tab(t).ok(op);
    }

    pub fn tab(&self, t: usize) -> &Tab {
        self.tabs[t].as_ref().expect("an open tab")
    }

    pub fn tab_mut(&mut self, t: usize) -> &mut Tab {
        self.tabs[t].as_mut().expect("an open tab")
    }

    fn live(&self, t: usize) -> bool {
        self.tabs[t].as_ref().is_some_and(|tab| !tab.frozen)
    }

    /// The page of tab `t` goes (it navigated, or the tab closed): its locks released, its
    /// requests aborted, its channel and windows closed.
    fn unload(&mut self, t: usize) {
        self.held.retain(|h| h.tab != t);
        let released: Vec<String> = self
            .locks
            .held
            .iter()
            .filter(|(_, h)| h.tab == t)
            .map(|(n, _)| n.clone())
            .collect();
        self.locks.waiters.retain(|w| w.tab != t);
        for name in released {
            self.locks.held.remove(&name);
            self.grant_next(&name);
        }
    }

    /// Closes tab `t`: like a browser, it releases its locks.
    pub fn drop_tab(&mut self, t: usize) {
        self.unload(t);
        self.tabs[t] = None;
    }

    /// A new page in tab `t` (a navigation back to the app, a reload): a fresh machine, the same
    /// `sessionStorage`, created. The page's records start afresh (outputs are kept).
    pub fn reload(&mut self, t: usize) {
        self.unload(t);
        let tab = self.tab_mut(t);
        let config = tab.config.clone();
        tab.machine = Machine::new(config, APP_ORIGIN.into()).expect("a valid config");
        tab.inbox.clear();
        tab.commands.clear();
        tab.cancelled.clear();
        tab.events.clear();
        tab.done.clear();
        tab.navigations.clear();
        tab.replaced.clear();
        tab.windows.clear();
        tab.handovers.clear();
        tab.channel = None;
        tab.frozen = false;
        tab.keys.clear();
        self.create(t);
    }

    pub fn freeze(&mut self, t: usize) {
        self.tab_mut(t).frozen = true;
    }

    pub fn unfreeze(&mut self, t: usize) {
        self.tab_mut(t).frozen = false;
        self.settle();
    }

    /// Tab `t` comes back from the back/forward cache. As in a browser, `pageshow` (with
    /// `persisted`) is dispatched before any task queued while the page was frozen runs
    /// (HTML "restore a persisted document": the page is made active and fires `pageshow`
    /// synchronously; timers and messages resume after it).
    pub fn restore_from_cache(&mut self, t: usize) {
        self.tab_mut(t).frozen = false;
        self.input(t, Input::Page(PageEvent::PageShow));
        self.settle();
    }

    // ----- inputs -----

    /// Calls `call` on tab `t` with 128 bytes of fresh entropy; returns the operation's id.
    /// Nothing is performed until [`World::settle`] (or [`World::pump`]).
    pub fn call(&mut self, t: usize, call: Call) -> OpId {
        let now = self.now;
        let tab = self.tab_mut(t);
        tab.next_op += 1;
        let op = tab.next_op;
        let entropy = tab.entropy();
        tab.machine.handle_input(
            Input::Call {
                op,
                call: Box::new(call),
                entropy,
            },
            now,
        );
        op
    }

    /// Feeds `input` to tab `t` now.
    pub fn input(&mut self, t: usize, input: Input) {
        let now = self.now;
        let text = format!("{input:?}");
        self.tab_mut(t).inputs.push(text);
        self.tab_mut(t).machine.handle_input(input, now);
    }

    /// A page event in tab `t`, then settles.
    pub fn page(&mut self, t: usize, event: PageEvent) {
        self.input(t, Input::Page(event));
        self.settle();
    }

    /// A `message` event in tab `t` from `origin`, posted by operation `source`'s window.
    pub fn window_message(
        &mut self,
        t: usize,
        origin: &str,
        source: Option<OpId>,
        data: oidc_rp_wasm::core::json::Json,
    ) {
        self.input(
            t,
            Input::WindowMessage {
                origin: origin.into(),
                source,
                data,
            },
        );
        self.settle();
    }

    /// A message on the hand-over channel `channel`, which tab `t` listens on (if it does).
    pub fn handover(&mut self, t: usize, channel: &str, data: oidc_rp_wasm::core::json::Json) {
        let listener = self
            .tab(t)
            .handovers
            .iter()
            .find(|(_, c)| c.as_str() == channel)
            .map(|(op, _)| *op);
        if let Some(op) = listener {
            self.input(t, Input::Handover { op, data });
        }
        self.settle();
    }

    // ----- performing -----

    /// Drains the outputs of tab `t`, performing each command at once; answers go to the inbox
    /// and are fed by [`World::settle`]. Returns whether there was any output.
    pub fn pump(&mut self, t: usize) -> bool {
        let mut any = false;
        while let Some(out) = self.tab_mut(t).machine.poll_output() {
            any = true;
            self.tab_mut(t).outputs.push(format!("{out:?}"));
            match out {
                Output::Io { id, command } => {
                    self.tab_mut(t).commands.push((id, command.clone()));
                    self.perform(t, id, command);
                }
                Output::Cancel { id } => {
                    self.tab_mut(t).cancelled.push(id);
                    self.held.retain(|h| !(h.tab == t && h.id == id));
                    self.locks.waiters.retain(|w| !(w.tab == t && w.id == id));
                }
                Output::Event(event) => {
                    // `expired` only once the token has expired; both `expired` and `expiring`
                    // about the token the tab holds. (`expiring` may come late: a session
                    // restored or woken up past its expiry is refreshed by that timer.)
                    let now = self.now;
                    let held = self.tab(t).session().and_then(|s| s.expires_at);
                    match &event {
                        Event::Expired(at) => assert!(
                            now >= at.saturating_mul(1000) && held == Some(*at),
                            "tab {t}: expired for {at} at {now} ms, holding {held:?}"
                        ),
                        Event::Expiring(at) => assert!(
                            held == Some(*at),
                            "tab {t}: expiring for {at} at {now} ms, holding {held:?}"
                        ),
                        _ => {}
                    }
                    self.tab_mut(t).events.push(event)
                }
                Output::Done { op, result } => {
                    let previous = self.tab_mut(t).done.insert(op, result);
                    assert!(previous.is_none(), "operation {op} ended twice");
                }
            }
        }
        any
    }

    /// Performs every output of every tab and feeds every answer, until nothing is left.
    pub fn settle(&mut self) {
        for _ in 0..100_000 {
            let mut busy = false;
            for t in 0..self.tabs.len() {
                if self.live(t) {
                    busy |= self.pump(t);
                }
            }
            for t in 0..self.tabs.len() {
                if !self.live(t) {
                    continue;
                }
                let now = self.now;
                while let Some(input) = self.tab_mut(t).inbox.pop_front() {
                    busy = true;
                    self.tab_mut(t).machine.handle_input(input, now);
                }
            }
            if !busy {
                return;
            }
        }
        panic!("the world never settles");
    }

    fn answer(&mut self, t: usize, id: IoId, answer: Answer) {
        if let Some(tab) = self.tabs[t].as_mut() {
            tab.inbox.push_back(Input::Answer { id, answer });
        }
    }

    fn perform(&mut self, t: usize, id: IoId, command: Command) {
        if self.hung_indexed_db && command.on_indexed_db() {
            return;
        }
        match command {
            Command::Fetch(request) => self.fetch(t, id, request),
            Command::Verify(check) => {
                self.answer(t, id, Answer::Verified(verify_rust_crypto(&check)))
            }
            Command::Digest { hash, access_token } => {
                let digest = id_token::digest(hash, access_token.expose().as_bytes());
                self.answer(t, id, Answer::Digest(Ok(digest)))
            }
            Command::Read { area, key } => {
                let value = match area {
                    Area::Session => self.tab(t).session_storage.get(&key).cloned(),
                    Area::Local => self.local_storage.get(&key).cloned(),
                    Area::Shared if self.no_indexed_db => None,
                    Area::Shared => self.indexed_db.get(&key).cloned(),
                };
                self.answer(t, id, Answer::Read(Ok(value)))
            }
            Command::Write { area, key, value } => {
                let result = match area {
                    Area::Session if self.session_storage_full => {
                        Err(Error::Storage("QuotaExceededError".into()))
                    }
                    Area::Session => {
                        self.tab_mut(t).session_storage.insert(key, value);
                        Ok(())
                    }
                    Area::Local if self.local_storage_full => {
                        Err(Error::Storage("QuotaExceededError".into()))
                    }
                    Area::Local => {
                        self.local_storage.insert(key, value);
                        Ok(())
                    }
                    Area::Shared if self.no_indexed_db => Ok(()),
                    Area::Shared if self.indexed_db_full => {
                        Err(Error::Storage("QuotaExceededError".into()))
                    }
                    Area::Shared if self.hold_shared_writes => {
                        self.held_shared_writes.push((t, id, key, value));
                        return;
                    }
                    Area::Shared => {
                        self.indexed_db.insert(key, value);
                        Ok(())
                    }
                };
                self.answer(t, id, Answer::Written(result))
            }
            Command::Remove { area, key } => {
                match area {
                    Area::Session => {
                        self.tab_mut(t).session_storage.remove(&key);
                    }
                    Area::Local => {
                        self.local_storage.remove(&key);
                    }
                    Area::Shared if self.hold_shared_removals => {
                        self.held_shared_removals.push((t, id, key));
                        return;
                    }
                    Area::Shared => {
                        self.indexed_db.remove(&key);
                    }
                }
                self.answer(t, id, Answer::Written(Ok(())))
            }
            Command::ListKeys { area, prefix } => {
                let keys = match area {
                    Area::Session => self.tab(t).session_storage.keys().cloned().collect(),
                    Area::Local => self.local_storage.keys().cloned().collect(),
                    Area::Shared if self.no_indexed_db => Vec::new(),
                    Area::Shared => self.indexed_db.keys().cloned().collect::<Vec<_>>(),
                };
                let keys = keys
                    .into_iter()
                    .filter(|k| k.starts_with(&prefix))
                    .collect();
                self.answer(t, id, Answer::Keys(keys))
            }
            Command::TakeLock {
                name,
                wait_ms,
                lease_ms,
            } => {
                if self.no_web_locks {
                    let e = Error::Unsupported("Web Locks".into());
                    self.answer(t, id, Answer::Lock(Err(e)));
                } else if self.locks.held.contains_key(&name) {
                    self.locks.waiters.push(LockWaiter {
                        name,
                        tab: t,
                        id,
                        deadline: self.now + i64::from(wait_ms),
                        lease_ms,
                    });
                } else {
                    let until = self.now + i64::from(lease_ms);
                    self.locks.grants.push((name.clone(), t));
                    self.locks.held.insert(name, Holder { tab: t, until });
                    self.answer(t, id, Answer::Lock(Ok(())));
                }
            }
            Command::ReleaseLock { name } => {
                // Only the holder releases: a tab whose lease ran out releases nothing.
                if self.locks.held.get(&name).is_some_and(|h| h.tab == t) {
                    self.locks.held.remove(&name);
                    self.grant_next(&name);
                }
            }
            Command::OpenChannel { name } => self.tab_mut(t).channel = Some(name),
            Command::CloseChannel => self.tab_mut(t).channel = None,
            Command::Broadcast { message } => {
                let channel = self.tab(t).channel.clone();
                if let Some(channel) = channel {
                    for other in 0..self.tabs.len() {
                        if other == t {
                            continue;
                        }
                        if let Some(tab) = self.tabs[other].as_mut() {
                            if tab.channel.as_deref() == Some(channel.as_str()) {
                                tab.inbox.push_back(Input::TabMessage(message.clone()));
                            }
                        }
                    }
                }
            }
            Command::OpenPopup {
                op,
                url,
                app_window,
            } => {
                let result = if self.tab(t).block_popups && !app_window {
                    Err(Error::PopupBlocked)
                } else {
                    self.tab_mut(t).windows.insert(
                        op,
                        Window {
                            popup: true,
                            url,
                            app_window,
                            closed: false,
                            cross_origin: false,
                            closed_by_machine: false,
                            looks: 0,
                        },
                    );
                    Ok(())
                };
                self.answer(t, id, Answer::Opened(result))
            }
            Command::OpenFrame { op, url } => {
                self.tab_mut(t).windows.insert(
                    op,
                    Window {
                        popup: false,
                        url,
                        app_window: false,
                        closed: false,
                        cross_origin: true,
                        closed_by_machine: false,
                        looks: 0,
                    },
                );
                self.answer(t, id, Answer::Opened(Ok(())))
            }
            Command::ListenHandover { op, channel } => {
                self.tab_mut(t).handovers.insert(op, channel);
            }
            Command::LookAtPopup { op } => {
                let look = match self.tab_mut(t).windows.get_mut(&op) {
                    Some(w) => {
                        w.looks += 1;
                        PopupLook {
                            closed: w.closed,
                            cross_origin: !w.closed && w.cross_origin,
                        }
                    }
                    None => PopupLook {
                        closed: true,
                        cross_origin: false,
                    },
                };
                self.answer(t, id, Answer::Look(look))
            }
            Command::CloseWindow { op } => {
                let tab = self.tab_mut(t);
                if let Some(w) = tab.windows.get_mut(&op) {
                    w.closed = true;
                    w.closed_by_machine = true;
                }
                tab.handovers.remove(&op);
            }
            Command::Navigate { url } => {
                let tab = self.tab_mut(t);
                let session_storage_keys = tab.session_storage.keys().cloned().collect();
                tab.navigations.push(Navigation {
                    url,
                    session_storage_keys,
                });
            }
            Command::ReplaceUrl { url } => self.tab_mut(t).replaced.push(url),
            Command::NavigateWindow { op, url } => {
                if let Some(w) = self.tab_mut(t).windows.get_mut(&op) {
                    w.url = url;
                }
            }
            Command::LoadKey { name } => {
                let key = self.key_store.get(&name).cloned();
                let jwk = key.as_ref().map(public_jwk_of);
                if let Some(key) = key {
                    self.tab_mut(t).keys.insert(name, key);
                }
                self.answer(t, id, Answer::Key(Ok(jwk)))
            }
            Command::GenerateKey { name } => {
                let answer = if self.no_webcrypto {
                    Err(Error::Crypto("no WebCrypto".into()))
                } else {
                    let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
                    let jwk = public_jwk_of(&key);
                    self.tab_mut(t).keys.insert(name, key);
                    Ok(Some(jwk))
                };
                self.answer(t, id, Answer::Key(answer))
            }
            Command::StoreKey { name } => {
                if let Some(key) = self.tab(t).keys.get(&name).cloned() {
                    self.key_store.insert(name, key);
                }
                self.answer(t, id, Answer::Written(Ok(())))
            }
            Command::RemoveKey { name } => {
                self.tab_mut(t).keys.remove(&name);
                self.key_store.remove(&name);
                self.answer(t, id, Answer::Written(Ok(())))
            }
            Command::Sign { name, input } => {
                use p256::ecdsa::signature::Signer;
                let answer = match self.tab(t).keys.get(&name) {
                    Some(key) => {
                        let signature: p256::ecdsa::Signature = key.sign(input.as_bytes());
                        Ok(signature.to_bytes().to_vec())
                    }
                    None => Err(Error::Crypto("no such key".into())),
                };
                self.answer(t, id, Answer::Signature(answer))
            }
            other => panic!("a command the world does not know: {other:?}"),
        }
    }

    fn grant_next(&mut self, name: &str) {
        if self.locks.held.contains_key(name) {
            return;
        }
        let Some(i) = self.locks.waiters.iter().position(|w| w.name == name) else {
            return;
        };
        let waiter = self.locks.waiters.remove(i);
        self.locks.grants.push((name.to_owned(), waiter.tab));
        self.locks.held.insert(
            name.to_owned(),
            Holder {
                tab: waiter.tab,
                until: self.now + i64::from(waiter.lease_ms),
            },
        );
        self.answer(waiter.tab, waiter.id, Answer::Lock(Ok(())));
    }

    fn fetch(&mut self, t: usize, id: IoId, request: HttpRequest) {
        let endpoint = Endpoint::of(&request.url);
        if self.op.hang.contains(&endpoint) {
            let deadline = self.now + i64::from(request.timeout_ms);
            self.held.push(Held {
                tab: t,
                id,
                request,
                endpoint,
                deadline,
            });
            return;
        }
        let reply = self.serve(t, &request);
        self.answer(t, id, Answer::Http(reply));
    }

    /// The reply to `request` from tab `t`: the service worker for a pick-up, else the OP.
    fn serve(&mut self, t: usize, request: &HttpRequest) -> Result<HttpResponse, Error> {
        if Endpoint::of(&request.url) == Endpoint::Pickup {
            let id = request
                .url
                .split("oidc_form_post_body=")
                .nth(1)
                .unwrap_or("")
                .to_owned();
            self.op.requests.push(crate::op::Seen {
                endpoint: Endpoint::Pickup,
                method: request.method,
                form: Vec::new(),
                timeout_ms: request.timeout_ms,
                tab: t,
                dpop: None,
            });
            return Ok(match self.service_worker.remove(&id) {
                Some(body) => HttpResponse {
                    dpop_nonce: None,
                    status: 200,
                    body,
                },
                None => HttpResponse {
                    dpop_nonce: None,
                    status: 404,
                    body: String::new(),
                },
            });
        }
        self.op.handle(request, t, self.now)
    }

    /// Lets the held requests to `endpoint` through to the OP now (and stops holding new ones).
    pub fn release(&mut self, endpoint: Endpoint) {
        self.op.hang.remove(&endpoint);
        let (go, keep): (Vec<Held>, Vec<Held>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| h.endpoint == endpoint);
        self.held = keep;
        for h in go {
            let reply = self.serve(h.tab, &h.request);
            self.answer(h.tab, h.id, Answer::Http(reply));
        }
        self.settle();
    }

    /// `call` in tab `t`, settled; it must succeed.
    pub fn call_ok(&mut self, t: usize, call: Call) {
        let op = self.call(t, call);
        self.settle();
        self.tab(t).ok(op);
    }

    /// `signOutLocally()` in tab `t`, settled; it must succeed.
    pub fn sign_out_locally(&mut self, t: usize) {
        self.call_ok(t, Call::SignOutLocally);
    }

    /// `signoutRedirect()` with default options in tab `t`, settled; it must succeed.
    pub fn signout_redirect(&mut self, t: usize) {
        let options = LogoutOptions::default();
        self.call_ok(
            t,
            Call::Signout {
                redirect: true,
                options,
            },
        );
    }

    /// Lets tab `t`'s held requests through to the OP now; the others (and new ones) stay held.
    pub fn release_tab(&mut self, t: usize) {
        let (go, keep): (Vec<Held>, Vec<Held>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| h.tab == t);
        self.held = keep;
        for h in go {
            let reply = self.serve(h.tab, &h.request);
            self.answer(h.tab, h.id, Answer::Http(reply));
        }
        self.settle();
    }

    /// Lets the held requests that `pick` selects through to the OP now; the others (and new
    /// ones) stay held.
    pub fn release_where(&mut self, pick: impl Fn(&HttpRequest) -> bool) {
        let (go, keep): (Vec<Held>, Vec<Held>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| pick(&h.request));
        self.held = keep;
        for h in go {
            let reply = self.serve(h.tab, &h.request);
            self.answer(h.tab, h.id, Answer::Http(reply));
        }
        self.settle();
    }

    /// Commits the held IndexedDB removals now, in order, and answers them.
    pub fn release_shared_removals(&mut self) {
        self.hold_shared_removals = false;
        for (t, id, key) in std::mem::take(&mut self.held_shared_removals) {
            self.indexed_db.remove(&key);
            self.answer(t, id, Answer::Written(Ok(())));
        }
        self.settle();
    }

    /// Answers the held IndexedDB removals with a failure (a lost connection), removing nothing.
    pub fn fail_shared_removals(&mut self) {
        self.hold_shared_removals = false;
        for (t, id, _key) in std::mem::take(&mut self.held_shared_removals) {
            let lost = Error::Storage("connection lost".into());
            self.answer(t, id, Answer::Written(Err(lost)));
        }
        self.settle();
    }

    /// How many IndexedDB removals are held.
    pub fn held_shared_removals(&self) -> usize {
        self.held_shared_removals.len()
    }

    /// Commits the held IndexedDB writes now, in order, and answers them.
    pub fn release_shared_writes(&mut self) {
        self.hold_shared_writes = false;
        for (t, id, key, value) in std::mem::take(&mut self.held_shared_writes) {
            self.indexed_db.insert(key, value);
            self.answer(t, id, Answer::Written(Ok(())));
        }
        self.settle();
    }

    /// How many requests the network holds.
    pub fn held(&self, endpoint: Endpoint) -> usize {
        self.held.iter().filter(|h| h.endpoint == endpoint).count()
    }

    // ----- time -----

    /// The next moment something is due: a tab's timer, a lock wait or lease, a held fetch's
    /// deadline.
    fn next_due(&self) -> Option<i64> {
        let timers = (0..self.tabs.len())
            .filter(|t| self.live(*t))
            .filter_map(|t| self.tab(t).machine.poll_timeout());
        let waits = self.locks.waiters.iter().map(|w| w.deadline);
        let leases = self.locks.held.values().map(|h| h.until);
        let fetches = self.held.iter().map(|h| h.deadline);
        timers.chain(waits).chain(leases).chain(fetches).min()
    }

    /// Fires everything due at `now`.
    fn fire_due(&mut self) {
        let now = self.now;
        for t in 0..self.tabs.len() {
            if self.live(t)
                && self
                    .tab(t)
                    .machine
                    .poll_timeout()
                    .is_some_and(|at| at <= now)
            {
                self.input(t, Input::Timeout);
            }
        }
        let (late, waiting): (Vec<LockWaiter>, Vec<LockWaiter>) =
            std::mem::take(&mut self.locks.waiters)
                .into_iter()
                .partition(|w| w.deadline <= now);
        self.locks.waiters = waiting;
        for w in late {
            self.answer(w.tab, w.id, Answer::Lock(Err(Error::Timeout)));
        }
        let expired: Vec<String> = self
            .locks
            .held
            .iter()
            .filter(|(_, h)| h.until <= now)
            .map(|(n, _)| n.clone())
            .collect();
        for name in expired {
            self.locks.held.remove(&name);
            self.grant_next(&name);
        }
        let (late, held): (Vec<Held>, Vec<Held>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| h.deadline <= now);
        self.held = held;
        for h in late {
            self.answer(h.tab, h.id, Answer::Http(Err(Error::Timeout)));
        }
    }

    /// Moves time forward by `ms`, firing every timer, lock wait, lease and fetch deadline when
    /// it is due, and settling in between.
    pub fn advance(&mut self, ms: i64) {
        let end = self.now + ms;
        let mut same = 0;
        loop {
            self.settle();
            match self.next_due() {
                Some(at) if at <= end => {
                    if at > self.now {
                        self.now = at;
                        same = 0;
                    } else {
                        same += 1;
                        assert!(same < 1000, "a timer stays due at {at} (now {})", self.now);
                    }
                    self.fire_due();
                }
                _ => {
                    self.now = end;
                    self.fire_due();
                    self.settle();
                    return;
                }
            }
        }
    }

    /// Moves time forward by `ms` with nothing firing: the machine was asleep (a suspended
    /// laptop, a throttled background tab).
    pub fn skip(&mut self, ms: i64) {
        self.now += ms;
    }

    // ----- the user at the OP -----

    /// The form_post service worker receives the POST of `body` at the redirect URI, keeps it
    /// and redirects to the page with its id; returns that URL.
    pub fn form_post(&mut self, redirect_uri: &str, body: &str) -> String {
        self.next_form_post += 1;
        let id = format!("fp{}", self.next_form_post);
        self.service_worker.insert(id.clone(), body.to_owned());
        format!("{redirect_uri}?oidc_form_post={id}")
    }

    /// A full redirect sign-in in tab `t`: signinRedirect, the user signs in at the OP, the page
    /// is reloaded at the callback and handles it from its location. Returns the callback's
    /// operation (in the new page) and the callback URL.
    pub fn sign_in_by_redirect(&mut self, t: usize) -> (OpId, String) {
        self.go_to_op(t);
        let response = self.op.authorize(&self.tab(t).last_navigation());
        let callback = response.url();
        self.reload(t);
        let op = self.come_back(t, &callback, true);
        self.settle();
        (op, callback)
    }

    /// `signinSilent` with default options in tab `t`, settled.
    pub fn signin_silently(&mut self, t: usize) -> OpId {
        let op = self.call(
            t,
            Call::Signin {
                via: SigninVia::Silent,
                options: AuthorizeOptions::default(),
            },
        );
        self.settle();
        op
    }

    /// The OP answers the popup or iframe of operation `op` (the user signed in there) by
    /// web_message.
    pub fn answer_window(&mut self, t: usize, op: OpId) {
        let url = self.tab(t).windows[&op].url.clone();
        let response = self.op.authorize(&url);
        self.window_message(t, crate::op::OP_ORIGIN, Some(op), response.web_message());
    }

    /// `signinRedirect` with default options, settled: the page is now at the OP
    /// (`last_navigation`).
    pub fn go_to_op(&mut self, t: usize) {
        let options = AuthorizeOptions::default();
        self.call_ok(
            t,
            Call::Signin {
                via: SigninVia::Redirect,
                options,
            },
        );
    }

    /// `handleRedirectCallback` of `url` (the page's own address when `from_location`).
    pub fn come_back(&mut self, t: usize, url: &str, from_location: bool) -> OpId {
        self.call(
            t,
            Call::HandleRedirectCallback {
                url: url.to_owned(),
                from_location,
            },
        )
    }

    /// A tab created with `config` and signed in by a redirect.
    pub fn signed_in_tab(&mut self, config: ClientConfig) -> usize {
        let t = self.create_tab(config);
        let (op, _) = self.sign_in_by_redirect(t);
        self.tab(t).ok(op);
        t
    }

    /// The lock name of this client.
    pub fn lock_name() -> String {
        format!("{}:refresh", session_key())
    }
}

/// The public JWK of a P-256 key, as WebCrypto exports it.
pub fn public_jwk_of(key: &p256::ecdsa::SigningKey) -> oidc_rp_wasm::core::json::Json {
    let point = key.verifying_key().to_encoded_point(false);
    let b64 = |b: &[u8]| oidc_rp_wasm::core::base64url::encode(b);
    let text = format!(
        r#"{{"kty":"EC","crv":"P-256","x":"{}","y":"{}","ext":true,"key_ops":["verify"]}}"#,
        b64(point.x().expect("x")),
        b64(point.y().expect("y"))
    );
    oidc_rp_wasm::core::json::Json::parse(&text).expect("a JWK")
}

/// The value of query parameter `name` of `url`.
/// `signoutRedirect()` (`redirect`) or `signoutUrl()`, with the default options.
pub fn signout(redirect: bool) -> Call {
    Call::Signout {
        redirect,
        options: LogoutOptions::default(),
    }
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    form_urlencoded::parse(query.as_bytes())
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}
