//! [`Reconnect`]: how a lost connection is reopened.

use std::time::Duration;

/// How the driver reopens a lost connection: exponential backoff with jitter, up to a number
/// of attempts in a row.
///
/// Only a lost connection is retried: an I/O error, a read timeout (no event and no heartbeat
/// for [`Config::read_timeout`](crate::Config::read_timeout): a dead server or a half-open
/// connection), a refused or timed-out connect, and the server errors that mean "going away"
/// (shutdown in progress, connection killed, too many connections). Everything else (a purged
/// binlog, a GTID the server does not have, wrong credentials, a second replica with the same
/// server id, undecodable bytes) ends the stream at once.
///
/// The delay before attempt `n` (from 1) is `initial_delay * 2^(n-1)`, capped at
/// `max_delay`, then multiplied by a random factor in `[0.5, 1.0]` so that many clients cut
/// by the same failure do not reconnect in lockstep. A connection that delivers an event
/// resets the count.
///
/// ```
/// use std::time::Duration;
/// use binlog_signals::{Config, Reconnect};
///
/// let config = Config::builder()
///     .user("repl")
///     .reconnect(Reconnect::new().max_attempts(Some(20)).max_delay(Duration::from_secs(5)))
///     .build()?;
/// assert_eq!(config.reconnect().get_max_attempts(), Some(20));
/// assert!(Reconnect::never().is_disabled());
/// # Ok::<(), binlog_signals::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reconnect {
    max_attempts: Option<u32>,
    initial_delay: Duration,
    max_delay: Duration,
}

/// Attempts in a row when not configured.
pub const DEFAULT_RECONNECT_ATTEMPTS: u32 = 10;
/// First delay when not configured.
pub const DEFAULT_RECONNECT_INITIAL_DELAY: Duration = Duration::from_millis(100);
/// Longest delay when not configured.
pub const DEFAULT_RECONNECT_MAX_DELAY: Duration = Duration::from_secs(30);

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect {
            max_attempts: Some(DEFAULT_RECONNECT_ATTEMPTS),
            initial_delay: DEFAULT_RECONNECT_INITIAL_DELAY,
            max_delay: DEFAULT_RECONNECT_MAX_DELAY,
        }
    }
}

impl Reconnect {
    /// The defaults: [`DEFAULT_RECONNECT_ATTEMPTS`] attempts, from
    /// [`DEFAULT_RECONNECT_INITIAL_DELAY`] up to [`DEFAULT_RECONNECT_MAX_DELAY`].
    pub fn new() -> Self {
        Reconnect::default()
    }

    /// Never reconnect: a lost connection ends the streams with its error.
    pub fn never() -> Self {
        Reconnect {
            max_attempts: Some(0),
            ..Reconnect::default()
        }
    }

    /// Attempts in a row before giving up with the last error; `None`: forever.
    pub fn max_attempts(mut self, attempts: Option<u32>) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The delay before the first attempt (before jitter).
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// The longest delay between attempts (before jitter).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Attempts in a row before giving up; `None`: forever.
    pub fn get_max_attempts(&self) -> Option<u32> {
        self.max_attempts
    }

    /// Whether a lost connection is final.
    pub fn is_disabled(&self) -> bool {
        self.max_attempts == Some(0)
    }

    /// Whether attempt `attempt` (from 1) may be made.
    pub(crate) fn allows(&self, attempt: u32) -> bool {
        self.max_attempts.is_none_or(|max| attempt <= max)
    }

    /// The delay before attempt `attempt` (from 1), jitter included; `jitter` in `[0, 1]`.
    pub(crate) fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(30);
        let base = self
            .initial_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        base.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_exponentially_up_to_the_cap_with_jitter_between_half_and_full() {
        let r = Reconnect::new()
            .initial_delay(Duration::from_millis(100))
            .max_delay(Duration::from_secs(1));
        assert_eq!(r.delay(1, 1.0), Duration::from_millis(100));
        assert_eq!(r.delay(2, 1.0), Duration::from_millis(200));
        assert_eq!(r.delay(4, 1.0), Duration::from_millis(800));
        assert_eq!(r.delay(5, 1.0), Duration::from_secs(1));
        assert_eq!(r.delay(u32::MAX, 1.0), Duration::from_secs(1));
        assert_eq!(r.delay(2, 0.0), Duration::from_millis(100));
        assert_eq!(r.delay(5, 0.5), Duration::from_millis(750));
    }

    #[test]
    fn attempts_are_limited_unless_unbounded() {
        let r = Reconnect::new().max_attempts(Some(3));
        assert!(r.allows(3));
        assert!(!r.allows(4));
        assert!(!Reconnect::never().allows(1));
        assert!(Reconnect::new().max_attempts(None).allows(u32::MAX));
    }
}
