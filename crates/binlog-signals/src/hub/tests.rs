use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::{StreamExt, poll};

use super::*;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    n: u64,
    table: Option<(String, String)>,
}

impl Routed for Item {
    fn table(&self) -> Option<(&str, &str)> {
        self.table.as_ref().map(|(s, t)| (s.as_str(), t.as_str()))
    }
}

fn item(n: u64, schema: &str, table: &str) -> Item {
    Item {
        n,
        table: Some((schema.into(), table.into())),
    }
}

fn untabled(n: u64) -> Item {
    Item { n, table: None }
}

fn hub(capacity: usize, policy: LagPolicy) -> (Hub<Item>, Registry<Item>, Arc<Tracker>) {
    let tracker = Tracker::new();
    let (hub, registry) = Hub::new(capacity, policy, tracker.clone());
    (hub, registry, tracker)
}

async fn next_n(sub: &mut Subscription<Item>) -> u64 {
    match sub.next().await {
        Some(Ok(item)) => item.n,
        other => panic!("expected an item, got {other:?}"),
    }
}

/// The items of a stream that must end cleanly.
async fn drain_clean(sub: Subscription<Item>) -> Vec<u64> {
    match drain(sub).await {
        (got, None) => got,
        (got, Some(e)) => panic!("stream ended with {e} after {got:?}"),
    }
}

/// Everything a stream yields until it ends: item numbers, and the final error if any.
async fn drain(mut sub: Subscription<Item>) -> (Vec<u64>, Option<Error>) {
    let mut got = Vec::new();
    while let Some(next) = sub.next().await {
        match next {
            Ok(item) => got.push(item.n),
            Err(e) => return (got, Some(e)),
        }
    }
    (got, None)
}

#[tokio::test]
async fn two_subscribers_both_get_everything_in_order() {
    let (mut hub, registry, _) = hub(4, LagPolicy::Backpressure);
    let a = tokio::spawn(drain(registry.subscribe()));
    let b = tokio::spawn(drain(registry.subscribe()));
    for n in 1..=500 {
        hub.publish(n, item(n, "db", if n % 2 == 0 { "even" } else { "odd" }))
            .await;
    }
    hub.close(None);
    let expected: Vec<u64> = (1..=500).collect();
    for task in [a, b] {
        let (got, end) = task.await.expect("consumer task");
        assert_eq!(got, expected);
        assert!(end.is_none(), "clean close ends without error: {end:?}");
    }
}

#[tokio::test]
async fn filtered_subscribers_get_only_their_tables() {
    let (mut hub, registry, _) = hub(16, LagPolicy::Backpressure);
    let mut exact = registry.subscribe();
    exact.update_filter(|f| f.push_include("db0.table1".into()));
    let mut wildcard = registry.subscribe();
    wildcard.update_filter(|f| {
        f.push_include("*.audit_*".into());
        f.push_include("crm".into());
    });
    let mut excluding = registry.subscribe();
    excluding.update_filter(|f| f.push_exclude("db0.*".into()));
    let all = registry.subscribe();

    let items = [
        item(1, "db0", "table1"),
        item(2, "db0", "table2"),
        item(3, "shop", "audit_log"),
        untabled(4),
        item(5, "crm", "leads"),
        item(6, "DB0", "table1"),
        item(7, "db0", "table1"),
    ];
    for it in items {
        hub.publish(it.n, it).await;
    }
    hub.close(None);
    assert_eq!(drain_clean(exact).await, vec![1, 7]);
    assert_eq!(drain_clean(wildcard).await, vec![3, 5]);
    // Exclude-only filters let items without a table through.
    assert_eq!(drain_clean(excluding).await, vec![3, 4, 5, 6]);
    assert_eq!(drain_clean(all).await, (1..=7).collect::<Vec<_>>());
}

#[tokio::test]
async fn full_channel_pauses_the_producer_until_the_consumer_takes_an_item() {
    let (mut hub, registry, _) = hub(1, LagPolicy::Backpressure);
    let mut sub = registry.subscribe();
    hub.publish(1, untabled(1)).await;
    {
        let mut second = pin!(hub.publish(2, untabled(2)));
        assert!(poll!(second.as_mut()).is_pending(), "channel of 1 is full");
        assert!(poll!(second.as_mut()).is_pending(), "still full");
        assert_eq!(next_n(&mut sub).await, 1);
        assert!(poll!(second.as_mut()).is_ready(), "room again");
    }
    assert_eq!(next_n(&mut sub).await, 2);
}

#[tokio::test]
async fn slow_subscriber_loses_nothing_and_slows_the_producer() {
    let (mut hub, registry, _) = hub(1, LagPolicy::Backpressure);
    let received = Arc::new(AtomicU64::new(0));
    let mut fast = registry.subscribe();
    let mut slow = registry.subscribe();
    let counter = received.clone();
    let slow_task = tokio::spawn(async move {
        let mut got = Vec::new();
        while let Some(Ok(item)) = slow.next().await {
            got.push(item.n);
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        got
    });
    let fast_task = tokio::spawn(async move {
        let mut got = Vec::new();
        while let Some(Ok(item)) = fast.next().await {
            got.push(item.n);
        }
        got
    });
    for n in 1..=100 {
        hub.publish(n, untabled(n)).await;
        // On this single-threaded runtime the consumer counts an item in the same poll that
        // takes it from the channel, and the channel holds one item: the producer can never be
        // more than one item ahead of the slow consumer.
        let taken = received.load(Ordering::SeqCst);
        assert!(
            taken + 1 >= n,
            "producer ran ahead: published {n}, slow consumer took {taken}"
        );
    }
    hub.close(None);
    let expected: Vec<u64> = (1..=100).collect();
    assert_eq!(slow_task.await.expect("slow task"), expected);
    assert_eq!(fast_task.await.expect("fast task"), expected);
}

#[tokio::test]
async fn dropping_a_subscriber_unblocks_the_producer() {
    let (mut hub, registry, tracker) = hub(1, LagPolicy::Backpressure);
    let stuck = registry.subscribe();
    let mut other = registry.subscribe();
    hub.publish(1, untabled(1)).await;
    assert_eq!(next_n(&mut other).await, 1);
    {
        let mut second = pin!(hub.publish(2, untabled(2)));
        assert!(poll!(second.as_mut()).is_pending());
        drop(stuck);
        assert!(
            poll!(second.as_mut()).is_ready(),
            "the dropped stream no longer blocks"
        );
    }
    assert_eq!(hub.subscriber_count(), 1);
    assert_eq!(next_n(&mut other).await, 2);
    // A dropped stream holds back no watermark, even with an unread item in its channel.
    assert!(poll!(other.next()).is_pending());
    assert!(tracker.is_consumed(2));
}

#[tokio::test]
async fn lag_policy_ends_only_the_lagging_stream_after_its_buffered_items() {
    let (mut hub, registry, tracker) = hub(
        2,
        LagPolicy::Drop {
            after: Duration::ZERO,
        },
    );
    let mut keeps_up = registry.subscribe();
    let lagging = registry.subscribe();
    let mut filtered_lagging = registry.subscribe();
    filtered_lagging.update_filter(|f| f.push_include("db.t".into()));
    for n in 1..=5 {
        hub.publish(n, item(n, "db", if n == 4 { "t" } else { "other" }))
            .await;
        assert_eq!(next_n(&mut keeps_up).await, n);
    }
    // `lagging` was full at item 3 and missed 3, 4, 5. `filtered_lagging` got only item 4.
    assert_eq!(hub.subscriber_count(), 2);
    assert_eq!(next_n(&mut filtered_lagging).await, 4);
    hub.publish(6, item(6, "db", "other")).await;
    assert_eq!(next_n(&mut keeps_up).await, 6);

    let (got, end) = drain(lagging).await;
    assert_eq!(got, [1, 2]);
    assert!(matches!(end, Some(Error::Lagged { missed: 4 })), "{end:?}");
    // Nothing lost for the others; the producer never waited.
    hub.publish(7, item(7, "db", "t")).await;
    assert_eq!(next_n(&mut keeps_up).await, 7);
    assert_eq!(next_n(&mut filtered_lagging).await, 7);
    hub.close(None);
    assert!(!tracker.is_consumed(7));
    assert!(keeps_up.next().await.is_none());
    assert!(filtered_lagging.next().await.is_none());
    assert!(tracker.is_consumed(7));
}

#[tokio::test(start_paused = true)]
async fn lag_timeout_tolerates_a_slow_consumer_and_drops_a_stuck_one() {
    let after = Duration::from_millis(100);
    let (mut hub, registry, _) = hub(1, LagPolicy::Drop { after });
    let mut slow = registry.subscribe();
    let stuck = registry.subscribe();
    let slow_task = tokio::spawn(async move {
        let mut got = Vec::new();
        while let Some(next) = slow.next().await {
            got.push(next.expect("no error").n);
            tokio::time::sleep(after / 4).await;
        }
        got
    });
    let start = tokio::time::Instant::now();
    for n in 1..=20 {
        hub.publish(n, untabled(n)).await;
    }
    hub.close(None);
    let got = slow_task.await.expect("slow task");
    assert_eq!(
        got,
        (1..=20).collect::<Vec<_>>(),
        "slower than the producer, within the timeout"
    );
    let (got, end) = drain(stuck).await;
    assert_eq!(got, [1]);
    assert!(matches!(end, Some(Error::Lagged { missed: 19 })), "{end:?}");
    // The stuck stream cost the producer one timeout, not one per item.
    assert!(
        start.elapsed() < after * 2 + (after / 4) * 20,
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn watermark_advances_only_after_every_subscriber_polled_past_the_item() {
    let (mut hub, registry, tracker) = hub(8, LagPolicy::Backpressure);
    let mut a = registry.subscribe();
    let mut b = registry.subscribe();
    let mut only_t = registry.subscribe();
    only_t.update_filter(|f| f.push_include("db.t".into()));
    assert!(tracker.is_consumed(1), "nothing published, nothing outstanding");
    assert_eq!(tracker.consumed_through(), None);

    hub.publish(1, item(1, "db", "x")).await;
    hub.publish(2, item(2, "db", "x")).await;
    hub.publish(3, item(3, "db", "t")).await;
    assert_eq!(tracker.tracked(), 3);
    assert!(!tracker.is_consumed(1));
    assert_eq!(tracker.consumed_through(), Some(0));

    assert_eq!(next_n(&mut a).await, 1);
    assert!(!tracker.is_consumed(1), "a holds item 1 until it polls again");
    assert_eq!(next_n(&mut a).await, 2);
    assert!(!tracker.is_consumed(1), "b has not seen item 1");
    assert_eq!(next_n(&mut b).await, 1);
    assert_eq!(next_n(&mut b).await, 2);
    // a and b finished item 1; `only_t` had finished everything when item 3 was sent to it,
    // so it is done through 2 although it never polled.
    assert!(tracker.is_consumed(1));
    assert!(!tracker.is_consumed(2), "a and b still hold item 2");
    assert_eq!(tracker.consumed_through(), Some(1));
    assert_eq!(next_n(&mut a).await, 3);
    assert_eq!(next_n(&mut b).await, 3);
    assert!(tracker.is_consumed(2));
    assert!(!tracker.is_consumed(3), "a, b and only_t hold item 3");
    assert_eq!(next_n(&mut only_t).await, 3);
    assert!(poll!(a.next()).is_pending());
    assert!(poll!(b.next()).is_pending());
    assert!(!tracker.is_consumed(3), "only_t holds item 3");
    assert_eq!(tracker.consumed_through(), Some(2));
    assert!(poll!(only_t.next()).is_pending());
    assert!(tracker.is_consumed(3));
    assert_eq!(tracker.consumed_through(), None);

    // Items filtered away from `only_t` never wait for it.
    hub.publish(4, item(4, "db", "x")).await;
    assert_eq!(next_n(&mut a).await, 4);
    assert_eq!(next_n(&mut b).await, 4);
    assert!(poll!(a.next()).is_pending());
    assert!(poll!(b.next()).is_pending());
    assert!(tracker.is_consumed(4));
}

#[tokio::test]
async fn a_subscriber_that_received_nothing_never_blocks_the_watermark() {
    let (mut hub, registry, tracker) = hub(8, LagPolicy::Backpressure);
    let mut a = registry.subscribe();
    let mut idle = registry.subscribe();
    idle.update_filter(|f| f.push_include("nowhere.*".into()));
    for n in 1..=3 {
        hub.publish(n, item(n, "db", "x")).await;
    }
    for n in 1..=3 {
        assert_eq!(next_n(&mut a).await, n);
    }
    assert!(poll!(a.next()).is_pending());
    assert!(tracker.is_consumed(3));
    assert!(poll!(idle.next()).is_pending());
}

#[tokio::test]
async fn wait_consumed_wakes_when_the_last_subscriber_moves_on() {
    let (mut hub, registry, tracker) = hub(8, LagPolicy::Backpressure);
    let mut a = registry.subscribe();
    hub.publish(1, untabled(1)).await;
    hub.publish(2, untabled(2)).await;
    let waiter = tokio::spawn({
        let tracker = tracker.clone();
        async move { tracker.wait_consumed(2).await }
    });
    tokio::task::yield_now().await;
    assert!(!waiter.is_finished());
    assert_eq!(next_n(&mut a).await, 1);
    assert_eq!(next_n(&mut a).await, 2);
    tokio::task::yield_now().await;
    assert!(!waiter.is_finished(), "item 2 is still in a's hands");
    assert!(poll!(a.next()).is_pending());
    tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("waiter woke")
        .expect("waiter task");
}

#[tokio::test]
async fn a_filter_changed_after_pickup_applies_to_items_already_buffered() {
    let (mut hub, registry, tracker) = hub(8, LagPolicy::Backpressure);
    let mut sub = registry.subscribe();
    hub.publish(1, item(1, "db", "keep")).await;
    hub.publish(2, item(2, "db", "drop")).await;
    // Both are in the channel already, sent under the empty filter.
    sub.update_filter(|f| f.push_include("db.keep".into()));
    hub.publish(3, item(3, "db", "drop")).await;
    hub.publish(4, item(4, "db", "keep")).await;
    hub.close(None);
    assert_eq!(next_n(&mut sub).await, 1);
    assert_eq!(next_n(&mut sub).await, 4);
    // Item 2 was skipped here, item 3 never sent: only item 4 is outstanding.
    assert!(tracker.is_consumed(3));
    assert!(!tracker.is_consumed(4));
    assert!(sub.next().await.is_none());
    assert!(tracker.is_consumed(4));
}

#[tokio::test]
async fn streams_see_only_items_published_after_they_subscribed() {
    let (mut hub, registry, _) = hub(8, LagPolicy::Backpressure);
    hub.publish(1, untabled(1)).await;
    let late = registry.subscribe();
    hub.publish(2, untabled(2)).await;
    hub.close(None);
    assert_eq!(drain_clean(late).await, vec![2]);
    let after_close = registry.subscribe();
    assert!(matches!(drain(after_close).await, (v, Some(Error::Shutdown)) if v.is_empty()));
}

#[tokio::test]
async fn close_with_an_error_reaches_pending_and_active_streams() {
    let (mut hub, registry, _) = hub(8, LagPolicy::Backpressure);
    let active = registry.subscribe();
    hub.publish(1, untabled(1)).await;
    let pending = registry.subscribe();
    hub.close(Some(Error::ReadTimeout {
        after: Duration::from_secs(1),
    }));
    let (got, end) = drain(active).await;
    assert_eq!(got, [1]);
    assert!(matches!(end, Some(Error::ReadTimeout { .. })));
    let (got, end) = drain(pending).await;
    assert!(got.is_empty());
    assert!(matches!(end, Some(Error::ReadTimeout { .. })));
}

/// The driver future is spawned on a multi-threaded runtime; handles and streams move
/// between tasks.
#[test]
fn driver_side_and_consumer_side_are_send() {
    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Registry<Item>>();
    send_sync::<Tracker>();
    send_sync::<Error>();
    send_sync::<crate::Client>();
    let tracker = Tracker::new();
    let (mut hub, registry) = Hub::<Item>::new(1, LagPolicy::Backpressure, tracker.clone());
    let sub = registry.subscribe();
    send(&sub);
    send(&hub.publish(1, untabled(1)));
    send(&tracker.wait_consumed(1));
}
