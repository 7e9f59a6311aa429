#pragma once
// How fused row passes split an image between OpenCV's threads: a few blocks of many rows per
// thread, so that a block's rows stay in cache through its steps and the rows a block reads
// beyond its own (a blur's margin) are a small part of it, yet the blocks still balance.
#include <algorithm>

#include <opencv2/core/utility.hpp>

namespace k3::ops {

// The nstripes argument of cv::parallel_for_ over `rows` rows.
inline double row_block_stripes(int rows) {
  return static_cast<double>(std::max(1, std::min(rows / 32, 4 * std::max(1, cv::getNumThreads()))));
}

}  // namespace k3::ops
