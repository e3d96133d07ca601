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
