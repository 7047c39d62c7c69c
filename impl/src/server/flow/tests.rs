use super::*;
use std::time::Duration;

fn limits() -> FlowLimits {
    FlowLimits {
        global_outstanding: 3,
        conn_outstanding: 2,
        queued_bytes: 100,
        max_reply: 50,
    }
}

fn conn(flow: &Flow) -> (Arc<ConnFlow>, std::sync::mpsc::Receiver<Event>) {
    let (tx, rx) = std::sync::mpsc::channel();
    (flow.connection(7, tx), rx)
}

async fn admitted_within(c: &ConnFlow, ms: u64) -> Option<Ticket> {
    tokio::time::timeout(Duration::from_millis(ms), c.admit())
        .await
        .ok()
        .flatten()
}

#[tokio::test]
async fn a_connection_waits_at_its_own_limit_until_a_request_is_answered() {
    let flow = Flow::new(limits());
    let (c, _rx) = conn(&flow);
    let first = admitted_within(&c, 100).await.expect("first");
    let _second = admitted_within(&c, 100).await.expect("second");
    assert!(admitted_within(&c, 50).await.is_none(), "a third waits");
    drop(first);
    assert!(
        admitted_within(&c, 100).await.is_some(),
        "room again once answered"
    );
}

#[tokio::test]
async fn the_global_limit_spans_connections_and_a_held_request_gives_its_permit_back() {
    let flow = Flow::new(limits());
    let (a, _ra) = conn(&flow);
    let (b, _rb) = conn(&flow);
    let mut a1 = admitted_within(&a, 100).await.expect("a1");
    let _a2 = admitted_within(&a, 100).await.expect("a2");
    let _b1 = admitted_within(&b, 100).await.expect("b1");
    assert_eq!(flow.global_available(), 0);
    assert!(
        admitted_within(&b, 50).await.is_none(),
        "the server is full"
    );
    a1.release_global();
    assert!(
        admitted_within(&b, 100).await.is_some(),
        "a's held request made room"
    );
}

#[test]
fn requests_are_held_over_budget_and_the_drain_wakes_the_core_once() {
    let flow = Flow::new(limits());
    let (c, rx) = conn(&flow);
    assert!(!c.queued(100));
    assert!(!c.hold(0), "at the budget, not over it");
    assert!(c.hold(1), "over it with what is not handed over yet");
    c.written(0);
    assert!(matches!(rx.try_recv(), Ok(Event::Drained { conn: 7 })));
    assert!(!c.queued(30));
    assert!(c.hold(0), "over the budget");
    c.written(10);
    assert!(rx.try_recv().is_err(), "still over: no wake-up");
    c.written(40);
    assert!(matches!(rx.try_recv(), Ok(Event::Drained { conn: 7 })));
    c.written(20);
    assert!(
        rx.try_recv().is_err(),
        "not held any more: no second wake-up"
    );
}

#[test]
fn a_queue_past_close_at_evicts_once() {
    let flow = Flow::new(limits());
    let (c, _rx) = conn(&flow);
    assert_eq!(limits().close_at(), 250);
    assert!(!c.queued(250));
    assert!(c.queued(1), "past close_at");
    assert!(!c.queued(1000), "told once");
}

#[tokio::test]
async fn eviction_wakes_the_connection_task_even_if_it_waits_later() {
    let flow = Flow::new(limits());
    let (c, _rx) = conn(&flow);
    c.queued(300);
    let why = tokio::time::timeout(Duration::from_millis(100), c.dropped())
        .await
        .expect("the eviction was remembered");
    assert!(why.contains("maxQueuedBytes"), "{why}");
}

#[tokio::test(start_paused = true)]
async fn a_closed_connection_is_dropped_once_its_grace_is_over() {
    let flow = Flow::new(limits());
    let (c, _rx) = conn(&flow);
    c.queued(100);
    c.close();
    let early = CLOSE_GRACE - Duration::from_millis(10);
    assert!(
        tokio::time::timeout(early, c.dropped()).await.is_err(),
        "within its grace, the writer writes on"
    );
    // Asked again (the reader ended meanwhile): the grace runs from the first close.
    c.grace_starts();
    let why = tokio::time::timeout(Duration::from_millis(20), c.dropped())
        .await
        .expect("dropped once the grace is over");
    assert!(why.contains("within 5 s"), "{why}");
}

/// A slow reader loses nothing: each batch written gives the closed connection another
/// grace, and only a whole grace without one ends it.
#[tokio::test(start_paused = true)]
async fn a_closed_connection_that_is_still_read_is_not_dropped() {
    let flow = Flow::new(limits());
    let (c, _rx) = conn(&flow);
    c.queued(100);
    c.close();
    let four_s = Duration::from_secs(4);
    let dropped = c.dropped();
    tokio::pin!(dropped);
    assert!(tokio::time::timeout(four_s, &mut dropped).await.is_err());
    c.written(10);
    assert!(
        tokio::time::timeout(four_s, &mut dropped).await.is_err(),
        "8 s after its close, but written 4 s ago"
    );
    c.written(10);
    let eight_s = Duration::from_secs(8);
    assert!(tokio::time::timeout(four_s, &mut dropped).await.is_err());
    let why = tokio::time::timeout(eight_s, &mut dropped)
        .await
        .expect("dropped a whole grace after its last write");
    assert!(why.contains("within 5 s"), "{why}");
}

#[tokio::test(start_paused = true)]
async fn a_stalled_connection_is_dropped_at_its_close() {
    let flow = Flow::new(limits());
    let (c, _rx) = conn(&flow);
    c.queued(101);
    c.close();
    let why = tokio::time::timeout(Duration::from_millis(1), c.dropped())
        .await
        .expect("dropped at once");
    assert!(why.contains("maxQueuedBytes"), "{why}");
}

#[tokio::test(start_paused = true)]
async fn an_open_connection_is_never_dropped_while_under_its_limits() {
    let flow = Flow::new(limits());
    let (c, _rx) = conn(&flow);
    c.queued(250);
    assert!(
        tokio::time::timeout(Duration::from_secs(3600), c.dropped())
            .await
            .is_err(),
        "not closed, not evicted"
    );
}
