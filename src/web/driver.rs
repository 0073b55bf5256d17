//! The driver: performs what a core flow needs and feeds the answers back, until the flow is
//! done. It holds the page's JWK Set cache; *when* to bypass it is the flow's call
//! ([`Need::JwkSet`]'s `refetch`).
//!
//! [`perform_all`] is the one non-generic async function every flow goes through, so the
//! browser glue for requests, keys and verification is compiled once, not once per flow.

use super::{http, now, webcrypto};
use crate::core::flow::code::{CodeFlow, SignedIn};
use crate::core::flow::refresh::{RefreshFailure, RefreshFlow};
use crate::core::flow::{Answer, HttpRequest, Need, Step};
use crate::core::jwks::JwkSet;
use crate::core::params::ResponseMode;
use crate::core::response::{self, ResponseParams};
use crate::core::session::Session;
use crate::Error;
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

thread_local! {
    static JWKS: RefCell<HashMap<String, JwkSet>> = RefCell::new(HashMap::new());
}

/// The JWK Set at `request.url`: the cached one unless `refetch`, else fetched, parsed by the
/// core, and cached.
async fn jwk_set(request: &HttpRequest, refetch: bool) -> Answer {
    if !refetch {
        if let Some(hit) = JWKS.with(|c| c.borrow().get(&request.url).cloned()) {
            return Answer::JwkSet(Ok(hit));
        }
    }
    let set = http::perform(request)
        .await
        .and_then(|r| JwkSet::from_http(r.status, &r.body));
    if let Ok(set) = &set {
        JWKS.with(|c| c.borrow_mut().insert(request.url.clone(), set.clone()));
    }
    Answer::JwkSet(set)
}

/// Performs one need.
async fn perform(need: Need) -> Answer {
    match need {
        Need::Http(request) => Answer::Http(http::perform(&request).await),
        Need::JwkSet { request, refetch } => jwk_set(&request, refetch).await,
        Need::Verify(check) => Answer::Verified(webcrypto::verify(&check).await),
        Need::Digest { hash, access_token } => {
            Answer::Digest(webcrypto::digest(hash, access_token.expose().as_bytes()).await)
        }
    }
}

/// Performs every need at once and returns the answers in the order of the needs.
pub async fn perform_all(needs: Vec<Need>) -> Vec<Answer> {
    let mut pending: Vec<Pin<Box<dyn Future<Output = Answer>>>> = needs
        .into_iter()
        .map(|need| Box::pin(perform(need)) as Pin<Box<dyn Future<Output = Answer>>>)
        .collect();
    let mut answers: Vec<Option<Answer>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(move |cx| {
        let mut all_done = true;
        for (future, answer) in pending.iter_mut().zip(answers.iter_mut()) {
            if answer.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *answer = Some(value),
                    Poll::Pending => all_done = false,
                }
            }
        }
        if all_done {
            Poll::Ready(answers.iter_mut().filter_map(Option::take).collect())
        } else {
            Poll::Pending
        }
    })
    .await
}

/// Runs a code flow from its first step to its end.
pub async fn run_code_flow(
    mut flow: CodeFlow,
    mut step: Step<SignedIn>,
) -> Result<SignedIn, Error> {
    loop {
        match step {
            Step::Done(result) => return result,
            Step::Need(needs) => {
                let answers = perform_all(needs).await;
                step = flow.advance(answers, now());
            }
        }
    }
}

/// Runs a refresh flow from its first step to its end.
pub async fn run_refresh_flow(
    mut flow: RefreshFlow,
    mut step: Step<Session, RefreshFailure>,
) -> Result<Session, RefreshFailure> {
    loop {
        match step {
            Step::Done(result) => return result,
            Step::Need(needs) => {
                let answers = perform_all(needs).await;
                step = flow.advance(answers, now());
            }
        }
    }
}

/// The authorization response in a callback `url`, and how it was delivered: in the query or the
/// fragment, or (form_post) kept by the package's service worker for one pick-up, fetched within
/// `timeout_ms`.
pub async fn response_in_url(
    url: &str,
    timeout_ms: u32,
) -> Result<(ResponseParams, ResponseMode), Error> {
    let Some(id) = response::form_post_id(url) else {
        return ResponseParams::locate_in_url(url);
    };
    let pickup = HttpRequest::get(response::form_post_pickup_url(url, &id), timeout_ms);
    let answer = http::perform(&pickup).await?;
    let params = ResponseParams::from_form_post_pickup(answer.status, &answer.body)?;
    Ok((params, ResponseMode::FormPost))
}
