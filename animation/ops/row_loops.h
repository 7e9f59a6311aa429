#pragma once
// Helpers for the per-pixel row loops of the frame operations.
#include <algorithm>

#include <opencv2/core/utility.hpp>

// Compiles a function twice, for AVX2 and for the baseline (SSE2), and picks one at load time
// (GCC function multi-versioning): the build targets any x86-64, yet the auto-vectorised row
// loops run 8 floats wide where the CPU can. Without FMA, so both versions round alike.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define K3_ROW_LOOP __attribute__((target_clones("avx2", "default")))
#else
#define K3_ROW_LOOP
#endif

namespace k3::ops {

// How fused row passes split an image between OpenCV's threads: a few blocks of many rows per
// thread, so that a block's rows stay in cache through its steps and the rows a block reads
// beyond its own (a blur's margin) are a small part of it, yet the blocks still balance.
// The nstripes argument of cv::parallel_for_ over `rows` rows.
inline double row_block_stripes(int rows) {
  return static_cast<double>(std::max(1, std::min(rows / 32, 4 * std::max(1, cv::getNumThreads()))));
}

}  // namespace k3::ops
