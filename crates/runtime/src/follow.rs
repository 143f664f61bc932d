//! Following a numbered log from a cursor as a server stream: what is stored after the
//! cursor, then each new record as it is written. A writer in this process wakes its
//! followers through a `watch` channel; records another replica writes are found by
//! looking again every `poll`. The stream ends after the first error it answers, and
//! when its server begins to drain (UNAVAILABLE: the caller reconnects with its last
//! cursor, to this server once it is back or to another replica), so that a follower
//! does not hold a stopping server for its whole drain time.

use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;

use futures::Stream;
use tonic::{Code, Status};

use crate::catalogue::common;

/// Whether the server a call reached has begun to drain: every server puts one in each
/// request's extensions.
#[derive(Clone, Debug)]
pub struct Draining(pub(crate) tokio::sync::watch::Receiver<bool>);

impl Draining {
    /// The drain signal of the server `request` reached.
    pub fn of<T>(request: &tonic::Request<T>) -> Option<Self> {
        request.extensions().get::<Self>().cloned()
    }

    /// Resolves once the drain begins (never, if it cannot).
    async fn begun(&mut self) {
        if self.0.wait_for(|draining| *draining).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

fn drained() -> Status {
    crate::status::plain(
        Code::Unavailable,
        "the server is stopping; reconnect with the cursor of the last item received",
        common::status::DRAINING,
    )
}

/// Records read at a time.
pub const BATCH: i64 = 100;

/// Follows a log: `read(after, BATCH)` answers up to `BATCH` records after the cursor
/// `after`, oldest first, each with its own cursor; `render` makes each the stream's
/// item. `changed` changes when this process writes to the log.
#[allow(clippy::too_many_arguments)]
pub fn follow<R, T, F, Fut, G>(
    after: i64,
    changed: tokio::sync::watch::Receiver<u64>,
    draining: Option<Draining>,
    poll: Duration,
    read: F,
    render: G,
    cursor: fn(&R) -> i64,
) -> impl Stream<Item = Result<T, Status>> + Send
where
    R: Send,
    T: Send,
    F: FnMut(i64, i64) -> Fut + Send,
    Fut: Future<Output = Result<Vec<R>, Status>> + Send,
    G: Fn(&R) -> T + Send,
{
    let state = Follower {
        after,
        changed,
        read,
        render,
        draining,
        pending: VecDeque::new(),
        failed: false,
    };
    futures::stream::unfold(state, move |mut f| async move {
        loop {
            if f.failed {
                return None;
            }
            if let Some(item) = f.pending.pop_front() {
                return Some((Ok(item), f));
            }
            // Marked seen before reading, so a write that lands meanwhile wakes the
            // wait below.
            f.changed.borrow_and_update();
            match (f.read)(f.after, BATCH).await {
                Err(err) => {
                    f.failed = true;
                    return Some((Err(err), f));
                }
                Ok(records) if records.is_empty() => {
                    // Woken by a write here, or look again for another replica's; or
                    // the server drains.
                    let mut draining = f.draining.clone();
                    let drain = async {
                        match draining.as_mut() {
                            Some(d) => d.begun().await,
                            None => std::future::pending::<()>().await,
                        }
                    };
                    tokio::select! {
                        () = drain => {
                            f.failed = true;
                            return Some((Err(drained()), f));
                        }
                        woken = tokio::time::timeout(poll, f.changed.changed()) => {
                            if let Ok(Err(_)) = woken {
                                // No writer left in this process: only the poll remains.
                                tokio::time::sleep(poll).await;
                            }
                        }
                    }
                }
                Ok(records) => {
                    f.after = records.last().map_or(f.after, cursor);
                    f.pending.extend(records.iter().map(&f.render));
                }
            }
        }
    })
}

struct Follower<T, F, G> {
    after: i64,
    changed: tokio::sync::watch::Receiver<u64>,
    read: F,
    render: G,
    draining: Option<Draining>,
    pending: VecDeque<T>,
    failed: bool,
}
