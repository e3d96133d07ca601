//! `GET /loki/api/v1/tail`: a WebSocket that sends the entries of a log query as they
//! arrive.
//!
//! Parameters as Loki's: `query` (a log query), `limit` (default 100: the most entries sent
//! from before the connection), `start` (default an hour ago), `delay_for` (0 to 5 seconds:
//! entries are sent once they are that old, so late arrivals within it come in order).
//! Each message is `{"streams":[{"stream":{…},"values":[["<ns>","<line>"],…]}]}`; with
//! `X-Loki-Response-Encoding-Flags: categorize-labels` each value carries its structured
//! metadata and the message `"encodingFlags":["categorize-labels"]`.
//!
//! The tail polls the store once a second for the entries between the end of the previous
//! poll and now minus `delay_for`, with the query's line filter pushed down. Unlike Loki's
//! ingester-fed tail, an entry that arrives with a timestamp older than the previous poll's
//! end (more than `delay_for` late) is not sent. The socket is closed when the client closes it
//! or the server shuts down.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use loki_store::Direction;

use super::params::{self, MAX_DELAY_FOR, Params};
use super::{ApiState, Failure, categorize, encode};
use logql::exec::{self as query, Entry, LogQuery};

/// How often the store is asked for new entries.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Most entries read per poll; a full batch is followed by another poll at once.
const BATCH: usize = 1000;

/// What a tail follows.
struct Tail {
    tenant: String,
    query: LogQuery,
    limit: usize,
    start: i64,
    delay: i64,
    categorize: bool,
}

/// The tail request, checked as Loki's `ParseTailQuery` checks it, before the upgrade.
fn tail_request(state: &ApiState, params: &Params, headers: &HeaderMap) -> Result<Tail, Failure> {
    let expr =
        logql::parse(params.get("query")).map_err(|e| Failure::bad_request(e.to_string()))?;
    let limit = params::limit(params).map_err(Failure::bad_request)?;
    let (start, _) = params::bounds(params, params::now_ns()).map_err(Failure::bad_request)?;
    let delay = match params.get("delay_for") {
        "" => 0,
        text => text.parse::<u32>().map_err(|_| {
            Failure::bad_request(format!("strconv.Atoi: parsing {text:?}: invalid syntax"))
        })?,
    };
    if delay > MAX_DELAY_FOR {
        return Err(Failure::bad_request(format!(
            "delay_for can't be greater than {MAX_DELAY_FOR}"
        )));
    }
    let tenant = state
        .tenants
        .single(headers)
        .map_err(|e| Failure::tenant(&e))?;
    let plan = logql::LogPlan::new(&expr).map_err(|e| Failure::bad_request(e.to_string()))?;
    let query = LogQuery::new(plan, false).map_err(Failure::bad_request)?;
    Ok(Tail {
        tenant,
        query,
        limit: limit as usize,
        start,
        delay: i64::from(delay) * 1_000_000_000,
        categorize: categorize(headers),
    })
}

/// The tail route: checks the request, then upgrades to a WebSocket.
pub(crate) async fn tail(
    State(state): State<ApiState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let params = Params::new(raw.as_deref(), None);
    let request = match tail_request(&state, &params, &headers) {
        Ok(r) => r,
        Err(failure) => return failure.into_response(),
    };
    match upgrade {
        Ok(upgrade) => upgrade.on_upgrade(move |socket| follow(state, request, socket)),
        Err(rejection) => axum::response::IntoResponse::into_response(rejection),
    }
}

fn entry_hash(e: &Entry) -> u64 {
    let mut h = DefaultHasher::new();
    e.labels.hash(&mut h);
    e.line.hash(&mut h);
    e.metadata.hash(&mut h);
    h.finish()
}

/// Where the tail is: entries at or after `ts` not among `sent` are new.
struct Cursor {
    ts: i64,
    sent: HashSet<u64>,
}

impl Cursor {
    /// Keeps the new entries of a batch (in time order) and moves past them.
    fn advance(&mut self, entries: Vec<Entry>) -> Vec<Entry> {
        let mut fresh = Vec::with_capacity(entries.len());
        for e in entries {
            let hash = entry_hash(&e);
            match e.ts.cmp(&self.ts) {
                std::cmp::Ordering::Less => continue,
                std::cmp::Ordering::Equal => {
                    if !self.sent.insert(hash) {
                        continue;
                    }
                }
                std::cmp::Ordering::Greater => {
                    self.ts = e.ts;
                    self.sent.clear();
                    self.sent.insert(hash);
                }
            }
            fresh.push(e);
        }
        fresh
    }

    /// Moves to `ts` when every entry before it has been seen.
    fn skip_to(&mut self, ts: i64) {
        if ts > self.ts {
            self.ts = ts;
            self.sent.clear();
        }
    }
}

/// Completes once the server stops.
async fn stopped(stop: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

async fn follow(state: ApiState, tail: Tail, mut socket: WebSocket) {
    let mut stop = state.stop.clone();
    let mut cursor = Cursor {
        ts: tail.start,
        sent: HashSet::new(),
    };
    // The entries from before the connection: the last `limit` of them, oldest first.
    let end = params::now_ns().saturating_sub(tail.delay);
    let Ok(history) = tail
        .query
        .select(
            &state.store,
            std::slice::from_ref(&tail.tenant),
            (tail.start, end),
            Direction::Backward,
            tail.limit,
            0,
        )
        .await
    else {
        let _ = socket
            .send(Message::Close(Some(CloseFrame {
                code: close_code::ERROR,
                reason: "the store failed".into(),
            })))
            .await;
        return;
    };
    let mut first: Vec<Entry> = history.entries;
    first.reverse();
    if let Some(oldest) = first.first() {
        cursor.ts = oldest.ts;
    }
    let mut batch = cursor.advance(first);
    // The history query saw everything before `end`.
    cursor.skip_to(end);
    loop {
        if !batch.is_empty() {
            let message = encode::tail_message(
                &query::group_streams(batch, tail.categorize),
                tail.categorize,
            );
            let text = String::from_utf8_lossy(&message).into_owned();
            if socket.send(Message::Text(text.into())).await.is_err() {
                return;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(POLL_INTERVAL) => {}
            () = stopped(&mut stop) => {
                let _ = socket
                    .send(Message::Close(Some(CloseFrame {
                        code: close_code::AWAY,
                        reason: "server shutting down".into(),
                    })))
                    .await;
                return;
            }
            incoming = socket.recv() => match incoming {
                None | Some(Err(_) | Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            },
        }
        let end = params::now_ns().saturating_sub(tail.delay);
        let mut fresh = Vec::new();
        loop {
            let Ok(selected) = tail
                .query
                .select(
                    &state.store,
                    std::slice::from_ref(&tail.tenant),
                    (cursor.ts, end),
                    Direction::Forward,
                    BATCH + cursor.sent.len(),
                    0,
                )
                .await
            else {
                break;
            };
            let full = selected.entries.len() >= BATCH + cursor.sent.len();
            let before = cursor.ts;
            fresh.extend(cursor.advance(selected.entries));
            if !full {
                // Everything before `end` has been seen: the next poll starts there.
                cursor.skip_to(end);
                break;
            }
            // A full batch that moved the cursor may have more behind it.
            if cursor.ts == before {
                break;
            }
        }
        batch = fresh;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use std::sync::Arc;

    use loki_chunk::LabelSet;

    use super::*;

    fn entry(ts: i64, line: &str) -> Entry {
        Entry {
            labels: Arc::new(LabelSet::parse("{a=\"1\"}").unwrap()),
            ts,
            line: line.as_bytes().to_vec(),
            metadata: Vec::new(),
        }
    }

    #[test]
    fn the_cursor_sends_each_entry_once() {
        let mut c = Cursor {
            ts: 0,
            sent: HashSet::new(),
        };
        let first = c.advance(vec![entry(1, "a"), entry(2, "b"), entry(2, "c")]);
        assert_eq!(first.len(), 3);
        // The next poll starts at ts 2 and sees b and c again, and a new d at the same time.
        let again = c.advance(vec![
            entry(2, "b"),
            entry(2, "c"),
            entry(2, "d"),
            entry(3, "e"),
        ]);
        let lines: Vec<&[u8]> = again.iter().map(|e| e.line.as_slice()).collect();
        assert_eq!(lines, [&b"d"[..], b"e"]);
        assert_eq!(c.ts, 3);
        assert!(c.advance(vec![entry(1, "late")]).is_empty());
        c.skip_to(10);
        assert_eq!(c.advance(vec![entry(10, "at the new start")]).len(), 1);
        c.skip_to(5);
        assert_eq!(c.ts, 10);
    }
}
