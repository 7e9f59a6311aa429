#pragma once
// Fast standard-normal samples for pixel noise: inverse-CDF sampling from a table of the
// 2^16 quantiles of N(0,1) at (i + 0.5) / 2^16, indexed by 16 random bits. Cheap enough for
// 3 samples per pixel per frame; its 65536 levels and the +-4.3 sigma tail cut are invisible
// after Deforum's noise image clips n / 2 + 1/2 to [0,1] (|n| > 1 saturates anyway).
#include <cstdint>

namespace k3::ops {

// The table (65536 floats, ascending, symmetric), built once.
const float* gaussian_quantile_table();

// splitmix64: a counter-based 64-bit hash; hashing (stream seed + counter) gives independent
// random words in any order, so rows of noise can be filled by any thread.
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Fills `count` N(0,1) samples for stream `stream_seed` (4 samples per 64-bit word).
void fill_gaussian(std::uint64_t stream_seed, float* out, int count);

}  // namespace k3::ops
