#pragma once
// Histogram matching of 8-bit images exactly as Deforum gets it: its frames are uint8 when it
// calls skimage.exposure.match_histograms(image, reference, channel_axis=-1). skimage then counts
// each channel's 256 possible values (np.bincount), interpolates the source's cumulative
// quantiles on the reference's (np.interp, float64) and writes the results into a uint8 array
// of the image's dtype, which truncates them. So the match is one 256-entry table per channel,
// built from two histograms: O(pixels), no sort.
#include <array>
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace k3::ops {

// The reference side, analysed once per reference image.
struct HistogramTemplate8 {
  struct Channel {
    std::vector<double> values;     // the 8-bit values present, ascending
    std::vector<double> quantiles;  // cumulative count / pixel count at each value (last = 1)
  };
  std::vector<Channel> channels;

  // From a CV_8UC1..4 image. Throws k3::ConfigError on another type or an empty image.
  static HistogramTemplate8 from_image(const cv::Mat& reference);
};

// Per-channel counts of the 256 values of a CV_8UCn image (n <= 4), counted in parallel.
std::vector<std::array<std::uint32_t, 256>> channel_histograms(const cv::Mat& image);

// The 1x256 CV_8UCn table that maps each source value to its matched value (cv::LUT applies it).
// Throws k3::ConfigError on a type or channel mismatch.
cv::Mat histogram_match_table(const cv::Mat& source, const HistogramTemplate8& reference);
// The same from the source's per-channel counts (channel_histograms) over `pixels` pixels, for
// callers that counted while they converted the source.
cv::Mat histogram_match_table(const std::vector<std::array<std::uint32_t, 256>>& source_counts, double pixels,
                              const HistogramTemplate8& reference);

// `source` (CV_8UCn) matched channel by channel: cv::LUT with histogram_match_table.
cv::Mat match_histograms_u8(const cv::Mat& source, const HistogramTemplate8& reference);

}  // namespace k3::ops
