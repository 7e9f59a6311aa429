#pragma once
// Exact per-channel histogram matching, as skimage.exposure.match_histograms: every source
// value goes to the reference value at the same quantile (np.interp over the reference's
// cumulative distribution of unique values). For images of equal size whose channel values are
// distinct, the output's per-channel histogram equals the reference's exactly.
#include <vector>

#include <opencv2/core.hpp>

namespace k3::ops {

// The reference side, precomputed once per reference image (sorting a megapixel channel is
// the expensive part, so a reference that seldom changes is analysed once).
struct HistogramTemplate {
  struct Channel {
    std::vector<double> values;     // sorted unique values
    std::vector<double> quantiles;  // cumulative count / pixel count, strictly increasing, last = 1
  };
  std::vector<Channel> channels;

  // From a float image (CV_32FC1..4). Throws k3::ConfigError on another type or an empty image.
  static HistogramTemplate from_image(const cv::Mat& reference);
};

struct HistogramMatchOptions {
  // 0 (default): exact, skimage's algorithm (a sort of each source channel).
  // N >= 256: fast mode without a sort. The source's distribution is read from N bins over its
  // value range; a bin that holds one distinct value (every bin, for 8-bit-origin data with
  // N >= 256 * range / 255) is matched exactly, and in a bin holding several values the output
  // is interpolated linearly between the exact match of its largest value and an estimate
  // for its smallest. The reference side stays exact.
  int source_bins = 0;
};

// `source` (CV_32FCn, n = the template's channel count) matched channel by channel.
// Throws k3::ConfigError on a type or channel mismatch or a bad bin count.
cv::Mat match_histograms(const cv::Mat& source, const HistogramTemplate& reference,
                         const HistogramMatchOptions& options = {});
cv::Mat match_histograms(const cv::Mat& source, const cv::Mat& reference, const HistogramMatchOptions& options = {});

}  // namespace k3::ops
