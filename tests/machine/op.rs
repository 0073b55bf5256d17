//! The fake OpenID Provider: discovery, the JWK Set, the token endpoint (authorization_code with
//! PKCE S256 and single-use codes; refresh_token with rotation and replay detection), UserInfo,
//! and the authorization endpoint as a person signing in would meet it ([`FakeOp::authorize`]).
//! ID tokens are real RS256 JWS minted with `common::mint` and RSA key 0 (`kid` `rsa-0`).

use crate::common::*;
use base64ct::{Base64UrlUnpadded, Encoding};
use oidc_rp_wasm::core::flow::{HttpRequest, HttpResponse, Method};
use oidc_rp_wasm::core::json::Json;
use oidc_rp_wasm::core::metadata::ProviderMetadata;
use oidc_rp_wasm::error::Error;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};

/// The subject every sign-in at the fake OP is for.
pub const SUB: &str = "248289761001";
/// The OP's origin (the origin of its authorization endpoint).
pub const OP_ORIGIN: &str = ISSUER;

/// An HTTP answer: a response, or the transport's error.
pub type Reply = Result<HttpResponse, Error>;

/// Which endpoint a request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Discovery,
    Jwks,
    Token,
    Userinfo,
    /// The form_post service worker's pick-up (the app's origin, not the OP).
    Pickup,
    /// The pushed authorization request endpoint (RFC 9126).
    Par,
    /// The revocation endpoint (RFC 7009).
    Revocation,
    Unknown,
}

impl Endpoint {
    /// The endpoint `url` names.
    pub fn of(url: &str) -> Endpoint {
        if url == ProviderMetadata::discovery_url(ISSUER) {
            Endpoint::Discovery
        } else if url == format!("{ISSUER}/jwks") {
            Endpoint::Jwks
        } else if url == format!("{ISSUER}/token") {
            Endpoint::Token
        } else if url == format!("{ISSUER}/userinfo") {
            Endpoint::Userinfo
        } else if url == format!("{ISSUER}/par") {
            Endpoint::Par
        } else if url == format!("{ISSUER}/revoke") {
            Endpoint::Revocation
        } else if url.contains("oidc_form_post_body=") {
            Endpoint::Pickup
        } else {
            Endpoint::Unknown
        }
    }
}

/// A request as the OP (or the service worker) received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub endpoint: Endpoint,
    pub method: Method,
    /// The form body's fields (empty for a GET).
    pub form: Vec<(String, String)>,
    pub timeout_ms: u32,
    /// The tab that sent it.
    pub tab: usize,
    /// The `DPoP` header's proof, when one came.
    pub dpop: Option<String>,
}

impl Seen {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A code the authorization endpoint issued.
#[derive(Debug, Clone)]
struct IssuedCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
    used: bool,
    /// `dpop_jkt` of the authorization request (RFC 9449 §10).
    dpop_jkt: Option<String>,
}

/// One grant: the chain of refresh tokens of one sign-in.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The refresh token that is valid now.
    pub current: String,
    /// Refresh tokens rotated out.
    pub spent: Vec<String>,
    /// Revoked after a replay (or by the test).
    pub revoked: bool,
    auth_time: i64,
    /// The thumbprint of the DPoP key the grant's tokens are bound to.
    pub jkt: Option<String>,
}

/// What the authorization endpoint answered: where and how it sends the browser back.
#[derive(Debug, Clone)]
pub struct AuthResponse {
    pub redirect_uri: String,
    /// `query`, `fragment`, `form_post` or `web_message`.
    pub mode: String,
    pub params: Vec<(String, String)>,
}

impl AuthResponse {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn state(&self) -> &str {
        self.get("state").expect("a response with a state")
    }

    /// The parameters, form-encoded.
    pub fn body(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.params.iter())
            .finish()
    }

    /// The callback URL of a query or fragment response.
    pub fn url(&self) -> String {
        match self.mode.as_str() {
            "fragment" => format!("{}#{}", self.redirect_uri, self.body()),
            _ => format!("{}?{}", self.redirect_uri, self.body()),
        }
    }

    /// The callback URL with the response in the query, whatever the mode (what the
    /// silent-callback page is loaded with).
    pub fn query_url(&self) -> String {
        format!("{}?{}", self.redirect_uri, self.body())
    }

    /// The web_message payload: `{"type":"authorization_response","response":{...}}`.
    pub fn web_message(&self) -> Json {
        let response: serde_json::Map<String, Value> = self
            .params
            .iter()
            .map(|(n, v)| (n.clone(), Value::String(v.clone())))
            .collect();
        to_json(&json!({ "type": "authorization_response", "response": response }))
    }

    /// What the silent-callback page hands over on the BroadcastChannel of the state when COOP
    /// took its opener away: the URL it was loaded with.
    pub fn handover(&self, url: &str) -> Json {
        to_json(&json!({ "type": "oidc-rp-wasm:callback", "state": self.state(), "url": url }))
    }

    /// What the silent-callback page posts to its opener (same origin): the URL it was loaded
    /// with.
    pub fn callback_message(&self, url: &str) -> Json {
        to_json(&json!({ "type": "oidc-rp-wasm:callback", "url": url }))
    }
}

/// The fake OP.
pub struct FakeOp {
    /// `expires_in` of every token response (`None`: not sent).
    pub expires_in: Option<u64>,
    /// Whether refresh responses carry an ID token.
    pub id_token_on_refresh: bool,
    /// Whether the code grant issues a refresh token (an OP that grants no `offline_access`).
    pub issues_refresh_tokens: bool,
    /// Whether discovery lists `web_message` among the response modes.
    pub web_message: bool,
    /// Whether a person is signed in at the OP (else `prompt=none` is `login_required`).
    pub user_signed_in: bool,
    /// The key ID tokens are signed with (always named `rsa-0`).
    pub sign_with: Key,
    /// The OP re-keyed under the same `kid`: ID tokens are signed with RSA key 1 as `rsa-0`,
    /// and the JWK Set lists that key as `rsa-0`.
    pub rekeyed: bool,
    /// Another user is signed in at the OP: codes are issued for this `sub` instead.
    pub other_user: Option<&'static str>,
    /// The OP rotated its signing key (OIDC Core §10.1.1): ID tokens are signed with RSA key 1,
    /// named `rsa-1`, and the JWK Set lists both keys.
    pub rotated: bool,
    /// The `sub` UserInfo answers with.
    pub userinfo_sub: String,
    /// The next refresh is answered 200 with a rotated refresh token but an ID token for
    /// another subject (which the client must refuse).
    pub refuse_next_refresh: bool,
    /// Requests to these endpoints never reach the OP: the world holds them until released or
    /// until their deadline (`Err(Timeout)`).
    pub hang: HashSet<Endpoint>,
    /// Replies to use instead of the real ones, per endpoint, in order.
    overrides: Vec<(Endpoint, Reply)>,
    /// Every request that reached the OP.
    pub requests: Vec<Seen>,
    codes: BTreeMap<String, IssuedCode>,
    pub grants: Vec<Grant>,
    /// Refresh token replays seen (each revoked a grant).
    pub replays: usize,
    /// Every secret issued: codes, access tokens, refresh tokens, ID tokens.
    pub secrets: Vec<String>,
    counter: u64,
    /// Discovery lists a pushed authorization request endpoint.
    pub par: bool,
    /// Discovery says `require_pushed_authorization_requests`; unpushed requests are refused.
    pub require_par: bool,
    /// The pushed requests, by `request_uri` (single use).
    pub pushed: BTreeMap<String, Vec<(String, String)>>,
    /// Discovery lists a revocation endpoint.
    pub revocation: bool,
    /// Discovery lists an `end_session_endpoint` (RP-Initiated Logout); on by default.
    pub end_session: bool,
    /// Discovery lists a `userinfo_endpoint`; on by default.
    pub userinfo: bool,
    /// The tokens revoked, with their hint, in order.
    pub revoked: Vec<(String, String)>,
    /// The nonce DPoP proofs must carry at the token endpoint, when the OP requires one.
    pub dpop_nonce: Option<String>,
    /// Issue bearer tokens even to a DPoP proof (a misconfigured OP).
    pub bearer_only: bool,
    /// The claims of every DPoP proof the token endpoint accepted.
    pub proofs: Vec<Value>,
    /// The DPoP-bound access tokens issued, with the thumbprint of their key.
    bound_access: BTreeMap<String, String>,
    /// The nonce DPoP proofs must carry at the UserInfo endpoint (RFC 9449 §9), when it
    /// requires one.
    pub userinfo_nonce: Option<String>,
    /// The claims of every DPoP proof the UserInfo endpoint accepted.
    pub userinfo_proofs: Vec<Value>,
    /// Whether discovery lists `dpop_signing_alg_values_supported`.
    pub dpop_algs: Option<Vec<&'static str>>,
}

impl Default for FakeOp {
    fn default() -> Self {
        FakeOp::new()
    }
}

impl FakeOp {
    pub fn new() -> Self {
        FakeOp {
            expires_in: Some(3600),
            id_token_on_refresh: true,
            issues_refresh_tokens: true,
            web_message: true,
            user_signed_in: true,
            sign_with: Key::Rsa(0),
            rotated: false,
            other_user: None,
            rekeyed: false,
            userinfo_sub: SUB.into(),
            refuse_next_refresh: false,
            hang: HashSet::new(),
            overrides: Vec::new(),
            requests: Vec::new(),
            codes: BTreeMap::new(),
            grants: Vec::new(),
            replays: 0,
            secrets: Vec::new(),
            counter: 0,
            par: false,
            require_par: false,
            pushed: BTreeMap::new(),
            revocation: false,
            end_session: true,
            userinfo: true,
            revoked: Vec::new(),
            dpop_nonce: None,
            bearer_only: false,
            proofs: Vec::new(),
            bound_access: BTreeMap::new(),
            userinfo_nonce: None,
            userinfo_proofs: Vec::new(),
            dpop_algs: Some(vec!["ES256"]),
        }
    }

    /// Answers the next request to `endpoint` with `reply` instead.
    pub fn override_next(&mut self, endpoint: Endpoint, reply: Reply) {
        self.overrides.push((endpoint, reply));
    }

    /// How many requests reached `endpoint`.
    pub fn count(&self, endpoint: Endpoint) -> usize {
        self.requests
            .iter()
            .filter(|r| r.endpoint == endpoint)
            .count()
    }

    /// The token requests of `grant_type`.
    pub fn token_requests(&self, grant_type: &str) -> Vec<&Seen> {
        self.requests
            .iter()
            .filter(|r| r.endpoint == Endpoint::Token && r.field("grant_type") == Some(grant_type))
            .collect()
    }

    /// Revokes every grant (an admin, an expired session at the OP).
    pub fn revoke_all(&mut self) {
        for grant in &mut self.grants {
            grant.revoked = true;
        }
    }

    fn fresh(&mut self, kind: &str) -> String {
        self.counter += 1;
        // Long and distinctive, so that a leak in a Debug string cannot go unnoticed.
        let secret = format!(
            "{kind}-{:016x}-{}",
            self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            self.counter
        );
        self.secrets.push(secret.clone());
        secret
    }

    /// The discovery document.
    pub fn discovery(&self) -> Value {
        let mut modes = vec!["query", "fragment", "form_post"];
        if self.web_message {
            modes.push("web_message");
        }
        let mut doc = json!({
            "issuer": ISSUER,
            "authorization_endpoint": format!("{ISSUER}/authorize"),
            "token_endpoint": format!("{ISSUER}/token"),
            "jwks_uri": format!("{ISSUER}/jwks"),
            "userinfo_endpoint": format!("{ISSUER}/userinfo"),
            "end_session_endpoint": format!("{ISSUER}/logout"),
            "response_types_supported": ["code"],
            "response_modes_supported": modes,
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "authorization_response_iss_parameter_supported": true
        });
        if self.par {
            doc["pushed_authorization_request_endpoint"] = json!(format!("{ISSUER}/par"));
        }
        if self.require_par {
            doc["require_pushed_authorization_requests"] = json!(true);
        }
        if self.revocation {
            doc["revocation_endpoint"] = json!(format!("{ISSUER}/revoke"));
        }
        if !self.end_session {
            doc.as_object_mut()
                .map(|o| o.remove("end_session_endpoint"));
        }
        if !self.userinfo {
            doc.as_object_mut().map(|o| o.remove("userinfo_endpoint"));
        }
        if let Some(algs) = &self.dpop_algs {
            doc["dpop_signing_alg_values_supported"] = json!(algs);
        }
        doc
    }

    /// Answers `request` from tab `tab` at `now_ms`.
    pub fn handle(&mut self, request: &HttpRequest, tab: usize, now_ms: i64) -> Reply {
        let endpoint = Endpoint::of(&request.url);
        let form: Vec<(String, String)> = request
            .body
            .as_deref()
            .map(|b| form_urlencoded::parse(b.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let seen = Seen {
            endpoint,
            method: request.method,
            form,
            timeout_ms: request.timeout_ms,
            tab,
            dpop: request
                .headers
                .iter()
                .find(|(n, _)| *n == "DPoP")
                .map(|(_, v)| v.clone()),
        };
        self.requests.push(seen.clone());
        if let Some(i) = self.overrides.iter().position(|(e, _)| *e == endpoint) {
            return self.overrides.remove(i).1;
        }
        let now = now_ms.div_euclid(1000);
        match endpoint {
            Endpoint::Discovery => ok(self.discovery()),
            Endpoint::Jwks => Ok(HttpResponse {
                dpop_nonce: None,
                status: 200,
                body: if self.rotated {
                    jwk_set(&[
                        public_jwk(Key::Rsa(0), Some("rsa-0")),
                        public_jwk(Key::Rsa(1), Some("rsa-1")),
                    ])
                } else if self.rekeyed {
                    jwk_set(&[public_jwk(Key::Rsa(1), Some("rsa-0"))])
                } else {
                    jwk_set(&[public_jwk(Key::Rsa(0), Some("rsa-0"))])
                },
            }),
            Endpoint::Token => self.token(&seen, now),
            Endpoint::Par => self.push(&seen),
            Endpoint::Revocation => {
                let token = seen.field("token").unwrap_or("").to_owned();
                let hint = seen.field("token_type_hint").unwrap_or("").to_owned();
                for grant in &mut self.grants {
                    if grant.current == token {
                        grant.revoked = true;
                    }
                }
                self.revoked.push((token, hint));
                Ok(HttpResponse {
                    status: 200,
                    body: String::new(),
                    dpop_nonce: None,
                })
            }
            Endpoint::Userinfo => self.userinfo(request, &seen, now),
            Endpoint::Pickup | Endpoint::Unknown => {
                Err(Error::Network(format!("no such endpoint: {}", request.url)))
            }
        }
    }

    /// UserInfo (OIDC Core §5.3) as a DPoP resource server too (RFC 9449 §7): a bound token
    /// needs the `DPoP` scheme and a proof of its key for this request with `ath`; as `Bearer`
    /// it is refused (§7.2).
    fn userinfo(&mut self, request: &HttpRequest, seen: &Seen, now: i64) -> Reply {
        let authorization = request
            .headers
            .iter()
            .find(|(n, _)| *n == "Authorization")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        let (scheme, token) = authorization.split_once(' ').unwrap_or(("", ""));
        if !token.starts_with("at-") {
            return oauth_error(401, "invalid_token");
        }
        match (scheme, self.bound_access.get(token).cloned()) {
            ("Bearer", None) => {}
            ("DPoP", Some(binding)) => {
                let htu = format!("{ISSUER}/userinfo");
                let checked = seen
                    .dpop
                    .as_deref()
                    .ok_or_else(|| "no proof".to_owned())
                    .and_then(|proof| check_proof(proof, "GET", &htu, now));
                let (claims, jkt) = match checked {
                    Ok(checked) => checked,
                    Err(why) => return oauth_error(401, &format!("invalid_dpop_proof: {why}")),
                };
                let ath = Base64UrlUnpadded::encode_string(&Sha256::digest(token.as_bytes()));
                if jkt != binding || claims["ath"] != ath {
                    return oauth_error(401, "invalid_token");
                }
                if let Some(reply) = nonce_demand(401, self.userinfo_nonce.as_deref(), &claims) {
                    return reply;
                }
                self.userinfo_proofs.push(claims);
            }
            _ => return oauth_error(401, "invalid_token"),
        }
        ok(json!({ "sub": self.userinfo_sub, "name": "Ana Example" }))
    }

    fn token(&mut self, seen: &Seen, now: i64) -> Reply {
        let jkt = match &seen.dpop {
            None => None,
            Some(proof) => match check_proof(proof, "POST", &format!("{ISSUER}/token"), now) {
                Ok((claims, jkt)) => {
                    if let Some(reply) = nonce_demand(400, self.dpop_nonce.as_deref(), &claims) {
                        return reply;
                    }
                    self.proofs.push(claims);
                    Some(jkt)
                }
                Err(why) => return oauth_error(400, &format!("invalid_dpop_proof: {why}")),
            },
        };
        match seen.field("grant_type") {
            Some("authorization_code") => self.code_grant(seen, now, jkt),
            Some("refresh_token") => self.refresh_grant(seen, now, jkt),
            _ => oauth_error(400, "unsupported_grant_type"),
        }
    }

    /// A pushed authorization request (RFC 9126 §2): kept under a fresh `request_uri`.
    fn push(&mut self, seen: &Seen) -> Reply {
        if seen.field("request_uri").is_some() || seen.field("client_id").is_none() {
            return oauth_error(400, "invalid_request");
        }
        self.counter += 1;
        let uri = format!("urn:ietf:params:oauth:request_uri:par-{}", self.counter);
        self.pushed.insert(uri.clone(), seen.form.clone());
        Ok(HttpResponse {
            status: 201,
            body: json!({ "request_uri": uri, "expires_in": 60 }).to_string(),
            dpop_nonce: None,
        })
    }

    fn code_grant(&mut self, seen: &Seen, now: i64, jkt: Option<String>) -> Reply {
        let Some(code) = seen.field("code") else {
            return oauth_error(400, "invalid_request");
        };
        let Some(issued) = self.codes.get_mut(code) else {
            return oauth_error(400, "invalid_grant");
        };
        if issued.used {
            return oauth_error(400, "invalid_grant");
        }
        issued.used = true;
        let issued = issued.clone();
        let verifier = seen.field("code_verifier").unwrap_or("");
        let challenge = Base64UrlUnpadded::encode_string(&Sha256::digest(verifier.as_bytes()));
        if challenge != issued.challenge
            || seen.field("redirect_uri") != Some(issued.redirect_uri.as_str())
            || seen.field("client_id") != Some(issued.client_id.as_str())
        {
            return oauth_error(400, "invalid_grant");
        }
        // RFC 9449 §10: a code bound by dpop_jkt is only exchanged with that key's proof.
        if issued.dpop_jkt.is_some() && issued.dpop_jkt != jkt {
            return oauth_error(400, "invalid_grant");
        }
        let refresh = self.fresh("rt");
        let bound = jkt.filter(|_| !self.bearer_only);
        self.grants.push(Grant {
            current: refresh.clone(),
            spent: Vec::new(),
            revoked: false,
            auth_time: now - 5,
            jkt: bound.clone(),
        });
        let sub = self.other_user.unwrap_or(SUB);
        let id_token = self.id_token(now, issued.nonce.as_deref(), now - 5, sub);
        let refresh = self.issues_refresh_tokens.then_some(refresh);
        self.tokens(refresh, Some(id_token), bound)
    }

    fn refresh_grant(&mut self, seen: &Seen, now: i64, jkt: Option<String>) -> Reply {
        let presented = seen.field("refresh_token").unwrap_or("").to_owned();
        if let Some(grant) = self
            .grants
            .iter_mut()
            .find(|g| g.spent.contains(&presented))
        {
            // A replay of a rotated refresh token: revoke the whole grant (RFC 9700 §4.14.2).
            grant.revoked = true;
            self.replays += 1;
            return oauth_error(400, "invalid_grant");
        }
        let Some(index) = self
            .grants
            .iter()
            .position(|g| g.current == presented && !g.revoked)
        else {
            return oauth_error(400, "invalid_grant");
        };
        // RFC 9449 §5: a bound refresh token needs a proof of the same key.
        if self.grants[index].jkt.is_some() && self.grants[index].jkt != jkt {
            return oauth_error(400, "invalid_grant");
        }
        let bound = self.grants[index].jkt.clone().filter(|_| !self.bearer_only);
        let rotated = self.fresh("rt");
        let auth_time = self.grants[index].auth_time;
        {
            let grant = &mut self.grants[index];
            grant
                .spent
                .push(std::mem::replace(&mut grant.current, rotated.clone()));
        }
        let refuse = std::mem::take(&mut self.refuse_next_refresh);
        let sub = if refuse { "someone-else" } else { SUB };
        let id_token =
            (self.id_token_on_refresh || refuse).then(|| self.id_token(now, None, auth_time, sub));
        self.tokens(Some(rotated), id_token, bound)
    }

    fn id_token(&mut self, now: i64, nonce: Option<&str>, auth_time: i64, sub: &str) -> String {
        let mut claims = json!({
            "iss": ISSUER,
            "sub": sub,
            "aud": CLIENT_ID,
            "exp": now + 600,
            "iat": now,
            "auth_time": auth_time,
            "name": "Ana Example"
        });
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        let token = if self.rotated {
            mint("RS256", Some("rsa-1"), &claims, Key::Rsa(1))
        } else if self.rekeyed {
            mint("RS256", Some("rsa-0"), &claims, Key::Rsa(1))
        } else {
            mint("RS256", Some("rsa-0"), &claims, self.sign_with)
        };
        self.secrets.push(token.clone());
        token
    }

    fn tokens(
        &mut self,
        refresh: Option<String>,
        id_token: Option<String>,
        bound: Option<String>,
    ) -> Reply {
        let access = self.fresh("at");
        let token_type = if bound.is_some() { "DPoP" } else { "Bearer" };
        if let Some(jkt) = bound {
            self.bound_access.insert(access.clone(), jkt);
        }
        let mut body = json!({ "access_token": access, "token_type": token_type, "scope": "openid profile offline_access" });
        if let Some(expires_in) = self.expires_in {
            body["expires_in"] = json!(expires_in);
        }
        if let Some(refresh) = refresh {
            body["refresh_token"] = json!(refresh);
        }
        if let Some(id_token) = id_token {
            body["id_token"] = json!(id_token);
        }
        ok(body)
    }

    /// A person meets the authorization endpoint at `url`: with `prompt=none` and nobody
    /// signed in at the OP, `login_required`; otherwise they sign in and the OP issues a code.
    /// Checks the request the way an OP would.
    pub fn authorize(&mut self, url: &str) -> AuthResponse {
        let (endpoint, query) = url
            .split_once('?')
            .expect("an authorization URL with a query");
        assert_eq!(endpoint, format!("{ISSUER}/authorize"));
        let mut params: BTreeMap<String, String> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        if let Some(uri) = params.get("request_uri").cloned() {
            // RFC 9126 §4: the front channel carries client_id and request_uri only.
            let names: Vec<&str> = params.keys().map(String::as_str).collect();
            assert_eq!(names, ["client_id", "request_uri"]);
            let pushed = self.pushed.remove(&uri).expect("a pushed request");
            params = pushed.into_iter().collect();
        } else if self.require_par {
            return self.error_response(url, "invalid_request");
        }
        let get = |name: &str| params.get(name).cloned();
        assert_eq!(get("response_type").as_deref(), Some("code"));
        assert_eq!(get("code_challenge_method").as_deref(), Some("S256"));
        let client_id = get("client_id").expect("client_id");
        let redirect_uri = get("redirect_uri").expect("redirect_uri");
        let state = get("state").expect("state");
        let mode = get("response_mode").unwrap_or_else(|| "query".into());
        let silent = get("prompt").as_deref() == Some("none");
        if silent && !self.user_signed_in {
            return self.error_response(url, "login_required");
        }
        let code = self.fresh("code");
        self.codes.insert(
            code.clone(),
            IssuedCode {
                client_id,
                redirect_uri: redirect_uri.clone(),
                challenge: get("code_challenge").expect("code_challenge"),
                nonce: get("nonce"),
                used: false,
                dpop_jkt: get("dpop_jkt"),
            },
        );
        AuthResponse {
            redirect_uri,
            mode,
            params: vec![
                ("code".into(), code),
                ("state".into(), state),
                ("iss".into(), ISSUER.into()),
            ],
        }
    }

    /// The error response `error` to the authorization request at `url`.
    pub fn error_response(&mut self, url: &str, error: &str) -> AuthResponse {
        let query = url.split_once('?').expect("a query").1;
        let params: BTreeMap<String, String> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        AuthResponse {
            redirect_uri: params["redirect_uri"].clone(),
            mode: params
                .get("response_mode")
                .cloned()
                .unwrap_or_else(|| "query".into()),
            params: vec![
                ("error".into(), error.into()),
                ("error_description".into(), format!("the OP says {error}")),
                ("state".into(), params["state"].clone()),
                ("iss".into(), ISSUER.into()),
            ],
        }
    }
}

/// Checks a DPoP proof for `htm` `htu` at `now` the way an OP does (RFC 9449 §4.3): its
/// claims and the thumbprint of its key, or why it is refused.
pub fn check_proof(proof: &str, htm: &str, htu: &str, now: i64) -> Result<(Value, String), String> {
    use p256::ecdsa::signature::Verifier;
    let parts: Vec<&str> = proof.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err("not three parts".into());
    };
    let decode = |part: &str| -> Result<Value, String> {
        let bytes = Base64UrlUnpadded::decode_vec(part).map_err(|e| e.to_string())?;
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
    };
    let header = decode(header)?;
    let body = decode(claims)?;
    if header["typ"] != "dpop+jwt" || header["alg"] != "ES256" {
        return Err(format!("header {header}"));
    }
    let jwk = &header["jwk"];
    if jwk.get("d").is_some() {
        return Err("a private key in the header".into());
    }
    let coordinate = |name: &str| {
        Base64UrlUnpadded::decode_vec(jwk[name].as_str().unwrap_or("")).map_err(|e| e.to_string())
    };
    let (x, y) = (coordinate("x")?, coordinate("y")?);
    let sec1 = [&[4u8][..], &x, &y].concat();
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map_err(|e| e.to_string())?;
    let signature = Base64UrlUnpadded::decode_vec(signature).map_err(|e| e.to_string())?;
    let signature = p256::ecdsa::Signature::from_slice(&signature).map_err(|e| e.to_string())?;
    let input = proof.rsplit_once('.').expect("three parts").0;
    key.verify(input.as_bytes(), &signature)
        .map_err(|_| "signature".to_owned())?;
    if body["htm"] != htm || body["htu"] != htu {
        return Err(format!("htm/htu {body}"));
    }
    let iat = body["iat"].as_i64().ok_or("no iat")?;
    if (iat - now).abs() > 60 || body["jti"].as_str().unwrap_or("").is_empty() {
        return Err(format!("iat/jti {body}"));
    }
    let canonical = format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        jwk["x"].as_str().unwrap_or(""),
        jwk["y"].as_str().unwrap_or("")
    );
    let jkt = Base64UrlUnpadded::encode_string(&Sha256::digest(canonical.as_bytes()));
    Ok((body, jkt))
}

/// `use_dpop_nonce` with `status` and the `required` nonce (RFC 9449 §8, §9) when the proof's
/// `claims` lack it; `None` when it carries it or no nonce is required.
fn nonce_demand(status: u16, required: Option<&str>, claims: &Value) -> Option<Reply> {
    let required = required?;
    if claims["nonce"].as_str() == Some(required) {
        return None;
    }
    let mut reply = oauth_error(status, "use_dpop_nonce");
    if let Ok(r) = &mut reply {
        r.dpop_nonce = Some(required.to_owned());
    }
    Some(reply)
}

/// 200 with a JSON body.
pub fn ok(body: Value) -> Reply {
    Ok(HttpResponse {
        dpop_nonce: None,
        status: 200,
        body: body.to_string(),
    })
}

/// An OAuth error response (RFC 6749 §5.2).
pub fn oauth_error(status: u16, error: &str) -> Reply {
    Ok(HttpResponse {
        dpop_nonce: None,
        status,
        body: json!({ "error": error, "error_description": format!("the OP says {error}") })
            .to_string(),
    })
}
