//! The signature of an ID token (OIDC Core §3.1.3.7 steps 6-8): `alg` against the allowed list,
//! the key chosen from the OP's JWK Set, the JWK Set fetched once more when the token names a
//! key the set lacks (the OP rotated its keys, §10.1.1), then each candidate key tried in turn
//! until one verifies.
//!
//! The code flow and the refresh flow both run this machine; the claims are theirs to check
//! afterwards, since what they are checked against differs. For an `at_hash` with SHA-384 or
//! SHA-512 it also has the access token hashed, by [`Need::Digest`], so that the check can follow.

use crate::core::alg::{HashAlg, JwsAlg};
use crate::core::authorize::Transaction;
use crate::core::config::ClientConfig;
use crate::core::flow::{out_of_order, Answer, HttpRequest, Need};
use crate::core::id_token::{self, IdToken, IdTokenChecks};
use crate::core::jwks::{more_telling, Jwk, JwkSet, KeySelection};
use crate::core::metadata::ProviderMetadata;
use crate::core::secret::{AccessToken, RawIdToken};
use crate::core::token::TokenResponse;
use crate::error::{Error, SignatureError};

/// Where the signature check stands.
#[derive(Debug)]
enum Stage {
    /// Waiting for the JWK Set; `refetched` once the cache has been bypassed.
    AwaitingKeys { refetched: bool },
    /// Waiting for the verification with `candidates[next]`.
    Verifying { candidates: Vec<Jwk>, next: usize },
    /// Verified; waiting for the access token's digest.
    Digesting,
}

/// What the signature check says after each move.
#[derive(Debug)]
pub enum SignatureStep {
    /// Perform this and call [`SignatureFlow::advance`] with the answer.
    Need(Need),
    /// The signature verified with a key of the OP's: [`SignatureFlow::into_verified`] hands
    /// over the token, its claims not yet checked, with this digest of the access token when
    /// one was asked for.
    Verified(Option<Vec<u8>>),
    /// It did not.
    Failed(Error),
}

/// An ID token whose signature verified, with what its claims check needs besides.
#[derive(Debug)]
pub struct Verified {
    /// The token, its claims not yet checked.
    pub token: IdToken,
    /// The access token hashed with the `alg`'s SHA-384 or SHA-512, when the token has an
    /// `at_hash` to check with it; for [`IdTokenChecks::access_token_digest`](crate::core::id_token::IdTokenChecks).
    pub access_token_digest: Option<Vec<u8>>,
}

/// The check of one ID token's signature.
#[derive(Debug)]
pub struct SignatureFlow {
    token: IdToken,
    alg: JwsAlg,
    jwks_request: HttpRequest,
    stage: Stage,
    /// The most telling failure so far among the candidate keys.
    failure: Option<Error>,
    /// The access token of the same response, when `at_hash` needs a digest the core does not
    /// compute itself (SHA-384, SHA-512).
    to_digest: Option<AccessToken>,
    /// The keys in hand are a cached set ([`JwkSet::cached`]), not fetched for this token: when
    /// none of them verifies (the OP re-keyed under the same `kid`, or rotated a key without
    /// one, OIDC Core §10.1.1), the set is fetched once more before the check fails.
    cached: bool,
}

impl SignatureFlow {
    /// Parses `raw` and checks its `alg` against `allowed` (step 7). With `keys` (a JWK Set the
    /// caller already holds) the key is chosen at once; otherwise the set is asked for.
    /// `access_token` is the one of the same response, for `at_hash`.
    pub fn start(
        raw: &RawIdToken,
        allowed: &[JwsAlg],
        jwks_request: HttpRequest,
        keys: Option<JwkSet>,
        access_token: Option<&AccessToken>,
    ) -> (Option<SignatureFlow>, SignatureStep) {
        let (flow, step) =
            SignatureFlow::start_boxed(raw, allowed, jwks_request, keys, access_token);
        (flow.map(|flow| *flow), step)
    }

    /// [`SignatureFlow::start`] with the flow made in its box, as [`Checking`] keeps it.
    fn start_boxed(
        raw: &RawIdToken,
        allowed: &[JwsAlg],
        jwks_request: HttpRequest,
        keys: Option<JwkSet>,
        access_token: Option<&AccessToken>,
    ) -> (Option<Box<SignatureFlow>>, SignatureStep) {
        let token = match IdToken::parse(raw.expose()) {
            Ok(token) => token,
            Err(e) => return (None, SignatureStep::Failed(e)),
        };
        let alg = match token.alg(allowed) {
            Ok(alg) => alg,
            Err(e) => return (None, SignatureStep::Failed(e)),
        };
        let to_digest = access_token
            .filter(|_| token.claims.at_hash.is_some() && alg.hash() != HashAlg::Sha256)
            .cloned();
        let mut flow = Box::new(SignatureFlow {
            token,
            alg,
            jwks_request,
            stage: Stage::AwaitingKeys { refetched: false },
            failure: None,
            to_digest,
            cached: false,
        });
        let step = match keys {
            Some(set) => flow.choose(&set, false),
            None => SignatureStep::Need(flow.keys_need(false)),
        };
        (Some(flow), step)
    }

    fn keys_need(&self, refetch: bool) -> Need {
        Need::JwkSet {
            request: self.jwks_request.clone(),
            refetch,
        }
    }

    /// The set once more, bypassing the cache.
    fn refetch(&mut self) -> SignatureStep {
        self.stage = Stage::AwaitingKeys { refetched: true };
        SignatureStep::Need(self.keys_need(true))
    }

    /// Chooses the keys from `set`; an unknown `kid`, or no usable key in a cached set, asks
    /// for the set once more.
    fn choose(&mut self, set: &JwkSet, refetched: bool) -> SignatureStep {
        self.cached = set.cached && !refetched;
        let selection = match set.select(self.alg, self.token.jws.kid.as_deref()) {
            Ok(selection) => selection,
            Err(_) if self.cached => return self.refetch(),
            Err(e) => return SignatureStep::Failed(e),
        };
        let candidates: Vec<Jwk> = match selection {
            KeySelection::UnknownKid if !refetched => return self.refetch(),
            KeySelection::UnknownKid => {
                return SignatureStep::Failed(SignatureError::NoMatchingKey.into())
            }
            KeySelection::Candidates(keys) => {
                let mut candidates = Vec::new();
                for &key in &keys {
                    candidates.push(key.clone());
                }
                candidates
            }
        };
        self.verify_next(candidates, 0)
    }

    fn verify_next(&mut self, candidates: Vec<Jwk>, next: usize) -> SignatureStep {
        let Some(jwk) = candidates.get(next) else {
            if self.cached {
                return self.refetch();
            }
            let failure = self
                .failure
                .take()
                .unwrap_or(Error::Signature(SignatureError::NoMatchingKey));
            return SignatureStep::Failed(failure);
        };
        let check = self.token.signature_check(self.alg, jwk);
        self.stage = Stage::Verifying { candidates, next };
        SignatureStep::Need(Need::Verify(check))
    }

    /// The verified token, once [`SignatureStep::Verified`] said so, with the access token's
    /// digest it came with.
    pub fn into_verified(self, access_token_digest: Option<Vec<u8>>) -> Verified {
        Verified {
            token: self.token,
            access_token_digest,
        }
    }

    /// Takes the answer to the last need.
    pub fn advance(&mut self, answer: Answer) -> SignatureStep {
        let stage = std::mem::replace(&mut self.stage, Stage::AwaitingKeys { refetched: true });
        match stage {
            Stage::AwaitingKeys { refetched } => match answer {
                Answer::JwkSet(Ok(set)) => self.choose(&set, refetched),
                Answer::JwkSet(Err(e)) => SignatureStep::Failed(e),
                _ => SignatureStep::Failed(out_of_order()),
            },
            Stage::Verifying { candidates, next } => match answer {
                Answer::Verified(Ok(())) => match self.to_digest.take() {
                    Some(access_token) => {
                        self.stage = Stage::Digesting;
                        SignatureStep::Need(Need::Digest {
                            hash: self.alg.hash(),
                            access_token,
                        })
                    }
                    None => SignatureStep::Verified(None),
                },
                Answer::Verified(Err(e)) => {
                    self.failure = Some(more_telling(self.failure.take(), e));
                    self.verify_next(candidates, next.saturating_add(1))
                }
                _ => SignatureStep::Failed(out_of_order()),
            },
            Stage::Digesting => match answer {
                Answer::Digest(Ok(digest)) => SignatureStep::Verified(Some(digest)),
                Answer::Digest(Err(e)) => SignatureStep::Failed(e),
                _ => SignatureStep::Failed(out_of_order()),
            },
        }
    }
}

/// The signature check of a token response's ID token as a stage of the code or refresh flow:
/// the machine and the response it came in, handed back together once the check is over.
#[derive(Debug)]
pub struct Checking {
    flow: Box<SignatureFlow>,
    response: TokenResponse,
}

/// Where a [`Checking`] stands after a move.
#[derive(Debug)]
pub enum Checked {
    /// Perform this; keep the [`Checking`] for its answer.
    Need(Need, Checking),
    /// The signature verified: the response and its token, claims not yet checked; no token
    /// when the response has none.
    Verified(TokenResponse, Option<Box<Verified>>),
    /// It did not, or the answer did not fit.
    Failed(Error),
}

impl Checking {
    /// Starts checking the ID token of `response` (its access token is `at_hash`'s subject);
    /// `keys` is a JWK Set already in hand. A response without an ID token is
    /// [`Checked::Verified`] with no token at once: what the flow requires of it is its own.
    pub fn start(
        allowed: &[JwsAlg],
        jwks_request: HttpRequest,
        keys: Option<JwkSet>,
        response: TokenResponse,
    ) -> Checked {
        let Some(raw) = &response.id_token else {
            return Checked::Verified(response, None);
        };
        let (flow, step) = SignatureFlow::start_boxed(
            raw,
            allowed,
            jwks_request,
            keys,
            Some(&response.access_token),
        );
        Checking::after(flow, step, response)
    }

    /// Takes the answer to the last need.
    pub fn advance(mut self, answer: Answer) -> Checked {
        let step = self.flow.advance(answer);
        Checking::after(Some(self.flow), step, self.response)
    }

    fn after(
        flow: Option<Box<SignatureFlow>>,
        step: SignatureStep,
        response: TokenResponse,
    ) -> Checked {
        match (flow, step) {
            (_, SignatureStep::Failed(e)) => Checked::Failed(e),
            (Some(flow), SignatureStep::Need(need)) => {
                Checked::Need(need, Checking { flow, response })
            }
            (Some(flow), SignatureStep::Verified(digest)) => {
                Checked::Verified(response, Some(Box::new(flow.into_verified(digest))))
            }
            (None, _) => Checked::Failed(out_of_order()),
        }
    }
}

/// What the ID token of a token response is checked against, the same in the code and the
/// refresh flow: the allowed `alg`s and the JWK Set for its signature (steps 6-8), the issuer,
/// the audience and the clock for its claims (steps 2-5, 9-13).
#[derive(Debug)]
pub struct TokenRules {
    issuer: String,
    client_id: String,
    allowed_algs: Vec<JwsAlg>,
    clock_skew: i64,
    /// The request that fetches the OP's JWK Set (`jwks_uri`, with the deadline).
    pub jwks_request: HttpRequest,
    /// `dpop` on: the token endpoint must issue DPoP-bound tokens (RFC 9449 §5).
    #[cfg(feature = "dpop")]
    dpop: bool,
}

impl TokenRules {
    /// The rules of `config` for the OP of `metadata`.
    pub fn new(config: &ClientConfig, metadata: &ProviderMetadata) -> Self {
        TokenRules {
            issuer: metadata.issuer.clone(),
            client_id: config.client_id.clone(),
            allowed_algs: config.id_token_signing_algs.clone(),
            clock_skew: config.clock_skew_seconds,
            jwks_request: HttpRequest::get(metadata.jwks_uri.clone(), config.request_timeout_ms),
            #[cfg(feature = "dpop")]
            dpop: config.dpop,
        }
    }

    /// Starts the signature check of `response`'s ID token; `keys` is a JWK Set already in hand.
    ///
    /// With `dpop` on, a token that is not DPoP-bound is refused first (RFC 9449 §5,
    /// `dpop_not_bound`): after the response was read, so that a refresh keeps the refresh
    /// token it rotated (presenting the spent one again would revoke the grant).
    pub fn check(&self, response: TokenResponse, keys: Option<JwkSet>) -> Checked {
        #[cfg(feature = "dpop")]
        if self.dpop && response.token_type != crate::core::token::TokenType::DPoP {
            return Checked::Failed(Error::Dpop(crate::error::CODE_DPOP_NOT_BOUND));
        }
        Checking::start(
            &self.allowed_algs,
            self.jwks_request.clone(),
            keys,
            response,
        )
    }

    /// Checks the claims of the `verified` token of `response` (§3.1.3.7 steps 2-5, 9-13,
    /// `at_hash`) against the authentication request `tx` (`nonce`, `max_age`, `acr_values`;
    /// `None` for a refreshed token) at `now`, and hands the token back.
    pub fn claims(
        &self,
        verified: Option<Box<Verified>>,
        response: &TokenResponse,
        tx: Option<&Transaction>,
        now: i64,
    ) -> Result<Option<IdToken>, Error> {
        let Some(verified) = verified else {
            return Ok(None);
        };
        let Verified {
            token,
            access_token_digest,
        } = *verified;
        let checks = IdTokenChecks {
            issuer: &self.issuer,
            client_id: &self.client_id,
            nonce: tx.and_then(|tx| tx.nonce.as_deref()),
            max_age: tx.and_then(|tx| tx.max_age),
            acr_values: tx.map_or(&[], |tx| &tx.acr_values),
            access_token: Some(response.access_token.expose()),
            access_token_digest: access_token_digest.as_deref(),
            now,
            clock_skew: self.clock_skew,
        };
        match token.validate_claims(&checks) {
            Ok(()) => Ok(Some(token)),
            Err(e) => Err(id_token::diagnose_clock(
                e,
                &token.claims,
                now,
                self.clock_skew,
            )),
        }
    }
}
