//! Following a numbered log from a cursor as a server stream: what is stored after the
//! cursor, then each new record as it is written. A writer in this process wakes its
//! followers through a `watch` channel; records another replica writes are found by
//! looking again every `poll`. The stream ends after the first error it answers.

use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;

use futures::Stream;

/// Records read at a time.
pub const BATCH: i64 = 100;

/// Follows a log: `read(after, BATCH)` answers up to `BATCH` records after the cursor
/// `after`, oldest first, each with its own cursor; `render` makes each the stream's
/// item. `changed` changes when this process writes to the log.
pub fn follow<R, T, E, F, Fut, G>(
    after: i64,
    changed: tokio::sync::watch::Receiver<u64>,
    poll: Duration,
    read: F,
    render: G,
    cursor: fn(&R) -> i64,
) -> impl Stream<Item = Result<T, E>> + Send
where
    R: Send,
    T: Send,
    E: Send,
    F: FnMut(i64, i64) -> Fut + Send,
    Fut: Future<Output = Result<Vec<R>, E>> + Send,
    G: Fn(&R) -> T + Send,
{
    let state = Follower {
        after,
        changed,
        read,
        render,
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
                    // Woken by a write here, or look again for another replica's.
                    if let Ok(Err(_)) = tokio::time::timeout(poll, f.changed.changed()).await {
                        // No writer left in this process: only the poll remains.
                        tokio::time::sleep(poll).await;
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
    pending: VecDeque<T>,
    failed: bool,
}
