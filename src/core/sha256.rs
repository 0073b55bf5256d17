//! SHA-256 (FIPS 180-4 §6.2), written for size: one loop of 64 rounds with the message schedule
//! computed on the fly in a 16-word window. The core needs it synchronously for the PKCE `S256`
//! challenge (RFC 7636 §4.2: a popup's URL is built in the click that opens it) and for `at_hash`
//! of SHA-256 algorithms (OIDC Core §3.1.3.8); SHA-384 and SHA-512 come from WebCrypto.

/// The round constants (§4.2.2).
const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// The initial hash value (§5.3.3).
const H0: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// The SHA-256 digest of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut state = H0;
    let blocks = data.chunks_exact(64);
    let rest = blocks.remainder();
    for block in blocks {
        compress(&mut state, block);
    }
    // Padding (§5.1.1): a 1 bit, zeros up to 56 bytes into a block, the length in bits.
    let bits = u64::try_from(data.len())
        .unwrap_or(u64::MAX)
        .wrapping_mul(8);
    let mut tail = Vec::with_capacity(128);
    tail.extend_from_slice(rest);
    tail.push(0x80);
    while tail.len() & 63 != 56 {
        tail.push(0);
    }
    tail.extend_from_slice(&bits.to_be_bytes());
    for block in tail.chunks_exact(64) {
        compress(&mut state, block);
    }
    let mut digest = [0u8; 32];
    for (at, out) in digest.iter_mut().enumerate() {
        if let Some(word) = state.get(at >> 2) {
            *out = word.to_be_bytes().get(at & 3).copied().unwrap_or(0);
        }
    }
    digest
}

/// One block of 64 bytes into `state` (§6.2.2).
fn compress(state: &mut [u32; 8], block: &[u8]) {
    let mut w = [0u32; 16];
    let mut bytes = block.iter();
    for word in &mut w {
        for _ in 0..4 {
            *word = (*word << 8) | u32::from(bytes.next().copied().unwrap_or(0));
        }
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for &k in &K {
        // `w` holds W[t..t+16]; W[t+16] = σ1(W[t+14]) + W[t+9] + σ0(W[t+1]) + W[t].
        let [w0, w1, _, _, _, _, _, _, _, w9, _, _, _, _, w14, _] = w;
        let s0 = w1.rotate_right(7) ^ w1.rotate_right(18) ^ (w1 >> 3);
        let s1 = w14.rotate_right(17) ^ w14.rotate_right(19) ^ (w14 >> 10);
        w.rotate_left(1);
        if let Some(last) = w.last_mut() {
            *last = s1.wrapping_add(w9).wrapping_add(s0).wrapping_add(w0);
        }
        let big1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let choose = (e & f) ^ (!e & g);
        let t1 = h
            .wrapping_add(big1)
            .wrapping_add(choose)
            .wrapping_add(k)
            .wrapping_add(w0);
        let big0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let majority = (a & b) ^ (a & c) ^ (b & c);
        let t2 = big0.wrapping_add(majority);
        h = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(t2);
    }
    let [s0, s1, s2, s3, s4, s5, s6, s7] = *state;
    *state = [
        s0.wrapping_add(a),
        s1.wrapping_add(b),
        s2.wrapping_add(c),
        s3.wrapping_add(d),
        s4.wrapping_add(e),
        s5.wrapping_add(f),
        s6.wrapping_add(g),
        s7.wrapping_add(h),
    ];
}
