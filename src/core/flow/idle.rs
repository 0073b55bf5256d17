//! Signing out users who left: with `idleTimeoutSeconds`, a session ends in every tab of the
//! origin once no tab has seen user activity for that long, after an `idle` warning
//! `idleWarningSeconds` before. The shell records activity (shared by the tabs) and asks
//! [`idle_step`] what to do whenever its check timer fires.

/// When to warn and when to sign out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdlePolicy {
    /// Sign out after this many milliseconds without activity.
    pub timeout_ms: i64,
    /// Warn this many milliseconds before.
    pub warning_ms: i64,
}

impl IdlePolicy {
    /// The policy for `timeout_seconds` (off when `None` or zero) and `warning_seconds`.
    pub fn new(timeout_seconds: Option<u32>, warning_seconds: u32) -> Option<Self> {
        let timeout = timeout_seconds.filter(|t| *t > 0)?;
        let timeout_ms = crate::core::session::millis(i64::from(timeout));
        let warning_ms = crate::core::session::millis(i64::from(warning_seconds)).min(timeout_ms);
        Some(IdlePolicy {
            timeout_ms,
            warning_ms,
        })
    }
}

/// What the idle check says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleStep {
    /// Nothing yet: check again in `ms`.
    Wait {
        /// Milliseconds until the next check.
        ms: u32,
    },
    /// Warn (once per quiet period), and check again in `ms`, when the session would end.
    Warn {
        /// Milliseconds until the sign-out.
        ms: u32,
    },
    /// No activity for the whole timeout: sign out every tab.
    SignOut,
}

/// The step for the last activity any tab saw (`last_activity_ms`) at `now_ms`, both in
/// milliseconds since the epoch. A last activity in the future (another tab's clock) counts as now.
pub fn idle_step(policy: IdlePolicy, last_activity_ms: i64, now_ms: i64) -> IdleStep {
    let quiet = now_ms.saturating_sub(last_activity_ms).max(0);
    let until_sign_out = policy.timeout_ms.saturating_sub(quiet);
    if until_sign_out <= 0 {
        return IdleStep::SignOut;
    }
    let ms = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
    let until_warning = until_sign_out.saturating_sub(policy.warning_ms);
    if until_warning <= 0 {
        IdleStep::Warn {
            ms: ms(until_sign_out),
        }
    } else {
        IdleStep::Wait {
            ms: ms(until_warning),
        }
    }
}
