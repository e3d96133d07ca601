//! Shared inputs for the criterion benchmarks in `benches/benches/`.
//!
//! Every input is generated from a fixed seed so figures are reproducible across runs and
//! machines. Run the benchmarks with `cargo bench -p benches`; BENCHMARKS.md records results.
//!
//! ```
//! let a = benches::random_bytes(64, 7);
//! assert_eq!(a, benches::random_bytes(64, 7));
//! ```

use rand::{RngExt, SeedableRng, rngs::StdRng};

/// `len` pseudo-random bytes from `seed`.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = vec![0u8; len];
    rng.fill(out.as_mut_slice());
    out
}

/// `count` pseudo-random 16-byte trace IDs from `seed`.
pub fn trace_ids(count: usize, seed: u64) -> Vec<[u8; 16]> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count).map(|_| rng.random()).collect()
}

/// A seeded, realistic log corpus: a mix of logfmt, JSON and plain-text lines with recurring
/// vocabulary (levels, services, paths, users) and varying numbers and IDs, with timestamps
/// increasing by a few milliseconds. Returns `(timestamp_ns, line)` pairs totalling at least
/// `bytes` bytes of line text.
pub fn log_corpus(bytes: usize, seed: u64) -> Vec<(i64, Vec<u8>)> {
    const LEVELS: [&str; 4] = ["debug", "info", "warn", "error"];
    const SERVICES: [&str; 6] = ["api", "db", "worker", "auth", "cache", "gateway"];
    const PATHS: [&str; 6] = [
        "/api/v1/users",
        "/api/v1/orders",
        "/api/v2/search",
        "/healthz",
        "/api/v1/payments/charge",
        "/static/app.js",
    ];
    const USERS: [&str; 5] = ["alice", "bob", "carol", "dave", "erin"];
    const MSGS: [&str; 6] = [
        "request completed",
        "cache miss, fetching from origin",
        "connection reset by peer",
        "slow query detected",
        "retrying after transient failure",
        "user session refreshed",
    ];
    let mut rng = StdRng::seed_from_u64(seed);
    let mut ts: i64 = 1_710_072_000_000_000_000;
    let mut total = 0;
    let mut out = Vec::new();
    while total < bytes {
        ts += rng.random_range(1_000_000..5_000_000);
        let level = LEVELS[rng.random_range(0..LEVELS.len())];
        let service = SERVICES[rng.random_range(0..SERVICES.len())];
        let path = PATHS[rng.random_range(0..PATHS.len())];
        let user = USERS[rng.random_range(0..USERS.len())];
        let msg = MSGS[rng.random_range(0..MSGS.len())];
        let trace: u64 = rng.random();
        let line = match rng.random_range(0..3) {
            0 => format!(
                "level={level} ts=2024-03-10T12:{:02}:{:02}.{:03}Z caller={service}/handler.go:{} msg=\"{msg}\" path={path} user={user} status={} duration={}ms trace_id={trace:016x}",
                rng.random_range(0..60),
                rng.random_range(0..60),
                rng.random_range(0..1000),
                rng.random_range(10..900),
                [200, 200, 200, 201, 404, 500][rng.random_range(0..6)],
                rng.random_range(1..2000),
            ),
            1 => format!(
                "{{\"level\":\"{level}\",\"service\":\"{service}\",\"msg\":\"{msg}\",\"path\":\"{path}\",\"user\":\"{user}\",\"bytes\":{},\"latency_ms\":{:.3},\"trace_id\":\"{trace:016x}\"}}",
                rng.random_range(0..100_000),
                rng.random_range(0.0..500.0),
            ),
            _ => format!(
                "2024-03-10T12:00:00Z {} [{service}-{}] {msg}: {} items in {}ms (user={user})",
                level.to_uppercase(),
                rng.random_range(0..8),
                rng.random_range(0..5000),
                rng.random_range(0..3000),
            ),
        };
        total += line.len();
        out.push((ts, line.into_bytes()));
    }
    out
}

/// The raw codec libraries, called directly: the baseline the chunk benches compare against.
pub mod raw {
    use std::io::{Read, Write};

    use loki_chunk::Codec;

    /// Compresses `data` with `codec`'s library as one stream.
    ///
    /// # Panics
    ///
    /// If the library fails on in-memory data (it does not).
    pub fn compress(codec: Codec, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() / 2);
        match codec {
            Codec::Gzip => {
                let mut e = flate2::write::GzEncoder::new(out, flate2::Compression::default());
                e.write_all(data).expect("in memory");
                return e.finish().expect("in memory");
            }
            Codec::Flate => {
                let mut e = flate2::write::DeflateEncoder::new(out, flate2::Compression::default());
                e.write_all(data).expect("in memory");
                return e.finish().expect("in memory");
            }
            Codec::Snappy => {
                let mut e = snap::write::FrameEncoder::new(&mut out);
                e.write_all(data).expect("in memory");
                e.flush().expect("in memory");
            }
            Codec::Lz4_64k | Codec::Lz4_256k | Codec::Lz4_1M | Codec::Lz4_4M => {
                use lz4_flex::frame::{BlockSize, FrameInfo};
                // The frame block size Loki declares for each lz4 variant.
                let size = match codec {
                    Codec::Lz4_64k => BlockSize::Max64KB,
                    Codec::Lz4_256k => BlockSize::Max256KB,
                    Codec::Lz4_1M => BlockSize::Max1MB,
                    _ => BlockSize::Max4MB,
                };
                let info = FrameInfo::new().block_size(size);
                let mut e = lz4_flex::frame::FrameEncoder::with_frame_info(info, &mut out);
                e.write_all(data).expect("in memory");
                e.finish().expect("in memory");
            }
            Codec::Zstd => return zstd::bulk::compress(data, 3).expect("in memory"),
            _ => out.extend_from_slice(data),
        }
        out
    }

    /// Decompresses one stream of `codec` into `out`.
    ///
    /// # Panics
    ///
    /// If `data` is not a valid stream.
    pub fn decompress(codec: Codec, data: &[u8], out: &mut Vec<u8>) {
        out.clear();
        match codec {
            Codec::Gzip => {
                flate2::read::GzDecoder::new(data)
                    .read_to_end(out)
                    .expect("valid");
            }
            Codec::Flate => {
                flate2::read::DeflateDecoder::new(data)
                    .read_to_end(out)
                    .expect("valid");
            }
            Codec::Snappy => {
                snap::read::FrameDecoder::new(data)
                    .read_to_end(out)
                    .expect("valid");
            }
            Codec::Lz4_64k | Codec::Lz4_256k | Codec::Lz4_1M | Codec::Lz4_4M => {
                lz4_flex::frame::FrameDecoder::new(data)
                    .read_to_end(out)
                    .expect("valid");
            }
            Codec::Zstd => {
                zstd::stream::read::Decoder::new(data)
                    .expect("valid")
                    .read_to_end(out)
                    .expect("valid");
            }
            _ => out.extend_from_slice(data),
        }
    }
}
