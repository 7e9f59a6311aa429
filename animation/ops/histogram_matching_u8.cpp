// Follows scikit-image skimage/exposure/histogram_matching.py (_match_cumulative_cdf, the
// unsigned-integer branch, and match_histograms' uint8 output array) and numpy's np.interp
// (numpy/core/src/multiarray/compiled_base.c, arr_interp).
#include "animation/ops/histogram_matching_u8.h"

#include <algorithm>
#include <mutex>
#include <string>

#include <opencv2/core/utility.hpp>

#include "base/errors.h"

namespace k3::ops {
namespace {

void require_u8(const cv::Mat& image, const char* what) {
  if (image.empty() || image.depth() != CV_8U || image.channels() > 4)
    throw ConfigError(std::string(what) + ": expected a non-empty CV_8UC1..4 image, got type " +
                      std::to_string(image.type()) + " of " + std::to_string(image.cols) + "x" +
                      std::to_string(image.rows));
}

// np.interp(x, xp, fp) for one x: fp[0] left of xp[0], fp[last] from xp[last] on, else the
// segment's line evaluated as numpy does (slope * (x - xp[j]) + fp[j]).
double np_interp(double x, const std::vector<double>& xp, const std::vector<double>& fp) {
  const std::size_t n = xp.size();
  if (x < xp[0]) return fp[0];
  if (x >= xp[n - 1]) return fp[n - 1];
  // j: the last knot with xp[j] <= x (x < xp[n-1], so j < n-1).
  const std::size_t j = static_cast<std::size_t>(std::upper_bound(xp.begin(), xp.end(), x) - xp.begin()) - 1;
  if (xp[j] == x) return fp[j];
  const double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
  const double offset = x - xp[j];
  const volatile double product = slope * offset;  // no fused multiply-add: numpy rounds twice
  return product + fp[j];
}

}  // namespace

std::vector<std::array<std::uint32_t, 256>> channel_histograms(const cv::Mat& image) {
  require_u8(image, "histogram");
  const int channels = image.channels();
  std::vector<std::array<std::uint32_t, 256>> total(channels);
  for (auto& h : total) h.fill(0);
  std::mutex merge;
  cv::parallel_for_(cv::Range(0, image.rows), [&](const cv::Range& rows) {
    std::vector<std::array<std::uint32_t, 256>> local(channels);
    for (auto& h : local) h.fill(0);
    const int values = image.cols * channels;
    for (int r = rows.start; r < rows.end; ++r) {
      const std::uint8_t* p = image.ptr<std::uint8_t>(r);
      if (channels == 3) {
        for (int i = 0; i < values; i += 3) {
          ++local[0][p[i]];
          ++local[1][p[i + 1]];
          ++local[2][p[i + 2]];
        }
      } else {
        for (int i = 0; i < values; ++i) ++local[i % channels][p[i]];
      }
    }
    std::lock_guard<std::mutex> lock(merge);
    for (int c = 0; c < channels; ++c)
      for (int v = 0; v < 256; ++v) total[c][v] += local[c][v];
  });
  return total;
}

HistogramTemplate8 HistogramTemplate8::from_image(const cv::Mat& reference) {
  require_u8(reference, "histogram reference");
  HistogramTemplate8 t;
  const double pixels = static_cast<double>(reference.total());
  for (const auto& counts : channel_histograms(reference)) {
    Channel channel;
    std::uint64_t cumulative = 0;
    for (int v = 0; v < 256; ++v) {
      if (counts[v] == 0) continue;  // skimage keeps only the values present (np.nonzero)
      cumulative += counts[v];
      channel.values.push_back(v);
      channel.quantiles.push_back(static_cast<double>(cumulative) / pixels);
    }
    t.channels.push_back(std::move(channel));
  }
  return t;
}

cv::Mat histogram_match_table(const cv::Mat& source, const HistogramTemplate8& reference) {
  require_u8(source, "histogram matching");
  return histogram_match_table(channel_histograms(source), static_cast<double>(source.total()), reference);
}

cv::Mat histogram_match_table(const std::vector<std::array<std::uint32_t, 256>>& source_counts, double pixels,
                              const HistogramTemplate8& reference) {
  if (source_counts.size() != reference.channels.size())
    throw ConfigError("histogram matching: expected " + std::to_string(reference.channels.size()) +
                      " channels like the reference, got " + std::to_string(source_counts.size()));
  const int channels = static_cast<int>(source_counts.size());
  cv::Mat table(1, 256, CV_8UC(channels));
  std::uint8_t* out = table.ptr<std::uint8_t>();
  for (int c = 0; c < channels; ++c) {
    const auto& ref = reference.channels[c];
    std::uint64_t cumulative = 0;
    for (int v = 0; v < 256; ++v) {
      cumulative += source_counts[c][v];
      const double quantile = static_cast<double>(cumulative) / pixels;
      // Into skimage's uint8 output array: numpy's unsafe float64 -> uint8 cast truncates.
      out[v * channels + c] = static_cast<std::uint8_t>(np_interp(quantile, ref.quantiles, ref.values));
    }
  }
  return table;
}

cv::Mat match_histograms_u8(const cv::Mat& source, const HistogramTemplate8& reference) {
  const cv::Mat table = histogram_match_table(source, reference);
  cv::Mat out;
  cv::LUT(source, table, out);
  return out;
}

}  // namespace k3::ops
