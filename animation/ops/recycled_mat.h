#pragma once
// Frame-sized results reused from one call to the next once the caller has let go of them.
// A fresh 12 MB CV_32FC3 frame costs about 3000 page faults when it is first written (measured:
// a sixth of the per-frame chain's time on the 2-core machine); the renderer drops each frame's
// intermediate images before the next frame, so their memory can be handed out again.
#include <opencv2/core.hpp>

namespace k3::ops {

// A `size` x `type` matrix for a function to fill and return: `cache`'s memory when nobody else
// holds a reference to it any more (its reference count is 1), otherwise new memory that
// `cache` then keeps. Give each call site its own thread_local cache.
inline cv::Mat recycled(cv::Mat& cache, cv::Size size, int type) {
  const bool only_ours = cache.u && CV_XADD(&cache.u->refcount, 0) == 1;
  if (!(only_ours && cache.size() == size && cache.type() == type && cache.isContinuous()))
    cache = cv::Mat(size, type);
  return cache;
}

}  // namespace k3::ops
