// Follows scikit-image skimage/exposure/histogram_matching.py (_match_cumulative_cdf).
#include "animation/ops/histogram_matching.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include <opencv2/core/utility.hpp>

#include "base/errors.h"

namespace k3::ops {
namespace {

// Order-preserving map of a float to an unsigned key (negative values reversed). -0 and +0
// share a key, as numpy.unique counts them as one value.
std::uint32_t order_key(float v) {
  if (v == 0.f) v = 0.f;
  std::uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

// Stable LSD radix sort of ((key - min key) << 32 | pixel index): 11 bits a pass over the
// span max-min, so an image's values (a narrow range of float keys) usually need
// 3 passes. Sequential reads and 2048 write streams per pass: several times faster than a
// comparison sort or a bucket sort with per-pixel random lookups on a megapixel.
std::vector<std::uint64_t> sort_by_value(const cv::Mat& plane) {
  const std::size_t n = plane.total();
  const float* values = plane.ptr<float>();
  double range_lo = 0.0, range_hi = 0.0;
  cv::minMaxLoc(plane, &range_lo, &range_hi);  // vectorised; keys are monotone in the value
  const std::uint32_t lo = order_key(static_cast<float>(range_lo));
  const std::uint32_t span = order_key(static_cast<float>(range_hi)) - lo;
  constexpr int kBits = 11;
  constexpr std::uint32_t kRadix = 1u << kBits;
  int passes = 0;
  while (passes * kBits < 32 && (span >> (passes * kBits)) != 0) ++passes;
  // One read pass packs the entries and counts every pass's digits at once.
  std::vector<std::uint32_t> counts(static_cast<std::size_t>(std::max(passes, 1)) * kRadix, 0u);
  std::vector<std::uint64_t> a(n), b(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t k = order_key(values[i]) - lo;
    a[i] = (static_cast<std::uint64_t>(k) << 32) | static_cast<std::uint32_t>(i);
    for (int p = 0; p < passes; ++p) ++counts[p * kRadix + ((k >> (p * kBits)) & (kRadix - 1))];
  }
  for (int p = 0; p < passes; ++p) {
    std::uint32_t* count = counts.data() + static_cast<std::size_t>(p) * kRadix;
    std::uint32_t running = 0;
    for (std::uint32_t d = 0; d < kRadix; ++d) {
      const std::uint32_t c = count[d];
      count[d] = running;
      running += c;
    }
    const int shift = 32 + p * kBits;
    for (std::size_t i = 0; i < n; ++i) b[count[(a[i] >> shift) & (kRadix - 1)]++] = a[i];
    a.swap(b);
  }
  return a;
}

float value_of(std::uint64_t entry, std::uint32_t lo) {
  std::uint32_t k = static_cast<std::uint32_t>(entry >> 32) + lo;
  k = (k & 0x80000000u) ? (k & 0x7FFFFFFFu) : ~k;
  float v;
  std::memcpy(&v, &k, sizeof v);
  return v;
}

HistogramTemplate::Channel template_channel(const cv::Mat& plane) {
  const std::size_t n = plane.total();
  const std::vector<std::uint64_t> sorted = sort_by_value(plane);
  double range_lo = 0.0;
  cv::minMaxLoc(plane, &range_lo, nullptr);
  const std::uint32_t lo = order_key(static_cast<float>(range_lo));
  HistogramTemplate::Channel channel;
  for (std::size_t k = 0; k < n; ++k) {
    if (k + 1 == n || (sorted[k + 1] >> 32) != (sorted[k] >> 32)) {
      channel.values.push_back(value_of(sorted[k], lo));
      channel.quantiles.push_back(static_cast<double>(k + 1) / static_cast<double>(n));
    }
  }
  return channel;
}

// np.interp(x, quantiles, values) for increasing x, in one monotone sweep.
struct MonotoneInterp {
  const std::vector<double>& xp;
  const std::vector<double>& fp;
  std::size_t j = 0;

  double operator()(double x) {
    if (x <= xp.front()) return fp.front();
    if (x >= xp.back()) return fp.back();
    while (xp[j + 1] <= x) ++j;  // xp[j] <= x < xp[j + 1]
    const double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
    return slope * (x - xp[j]) + fp[j];
  }
};

// Walks the source in value order; each run of equal values ends at its rank (the count of
// values <= it), whose quantile rank/n is interpolated on the reference's distribution.
void match_channel(const cv::Mat& source_plane, const HistogramTemplate::Channel& reference, cv::Mat& out_plane) {
  const std::size_t n = source_plane.total();
  const std::vector<std::uint64_t> sorted = sort_by_value(source_plane);
  float* out = out_plane.ptr<float>();
  MonotoneInterp interp{reference.quantiles, reference.values};
  std::size_t run_start = 0;
  for (std::size_t k = 0; k < n; ++k) {
    if (k + 1 < n && (sorted[k + 1] >> 32) == (sorted[k] >> 32)) continue;
    const float mapped = static_cast<float>(interp(static_cast<double>(k + 1) / static_cast<double>(n)));
    for (std::size_t i = run_start; i <= k; ++i) out[static_cast<std::uint32_t>(sorted[i])] = mapped;
    run_start = k + 1;
  }
}

// Fast mode: one pass for the range, one for the per-bin counts and extremes, one to map.
void match_channel_binned(const cv::Mat& source_plane, const HistogramTemplate::Channel& reference, int bins,
                          cv::Mat& out_plane) {
  const std::size_t n = source_plane.total();
  const float* in = source_plane.ptr<float>();
  float* out = out_plane.ptr<float>();
  double range_lo = 0.0, range_hi = 0.0;
  cv::minMaxLoc(source_plane, &range_lo, &range_hi);  // vectorised
  const float lo = static_cast<float>(range_lo), hi = static_cast<float>(range_hi);
  MonotoneInterp interp{reference.quantiles, reference.values};
  if (!(hi > lo)) {
    std::fill(out, out + n, static_cast<float>(interp(1.0)));
    return;
  }
  const double scale = bins / (static_cast<double>(hi) - lo);
  const auto bin_of = [&](float v) { return std::min(bins - 1, static_cast<int>((static_cast<double>(v) - lo) * scale)); };
  std::vector<std::uint32_t> count(bins, 0);
  std::vector<float> bin_min(bins, hi), bin_max(bins, lo);
  for (std::size_t i = 0; i < n; ++i) {
    const int b = bin_of(in[i]);
    ++count[b];
    bin_min[b] = std::min(bin_min[b], in[i]);
    bin_max[b] = std::max(bin_max[b], in[i]);
  }
  // Per bin: output at its smallest value (`base`) and the slope up to its largest value.
  std::vector<float> base(bins, 0.f), slope(bins, 0.f);
  std::size_t before = 0;
  for (int b = 0; b < bins; ++b) {
    if (count[b] == 0) continue;
    const double q_max = static_cast<double>(before + count[b]) / static_cast<double>(n);  // exact
    if (bin_min[b] == bin_max[b]) {
      base[b] = static_cast<float>(interp(q_max));
    } else {
      // The smallest value's count is unknown: taken as one.
      const double at_min = interp(static_cast<double>(before + 1) / static_cast<double>(n));
      const double at_max = interp(q_max);
      base[b] = static_cast<float>(at_min);
      slope[b] = static_cast<float>((at_max - at_min) / (static_cast<double>(bin_max[b]) - bin_min[b]));
    }
    before += count[b];
  }
  for (std::size_t i = 0; i < n; ++i) {
    const int b = bin_of(in[i]);
    out[i] = base[b] + (in[i] - bin_min[b]) * slope[b];
  }
}

void require_float(const cv::Mat& image, const char* what) {
  if (image.empty() || image.depth() != CV_32F)
    throw ConfigError(std::string(what) + ": expected a non-empty float (CV_32FCn) image, got " +
                      (image.empty() ? std::string("an empty image") : cv::typeToString(image.type())));
}

}  // namespace

HistogramTemplate HistogramTemplate::from_image(const cv::Mat& reference) {
  require_float(reference, "histogram reference");
  std::vector<cv::Mat> planes;
  cv::split(reference, planes);
  HistogramTemplate t;
  t.channels.resize(planes.size());
  cv::parallel_for_(cv::Range(0, static_cast<int>(planes.size())), [&](const cv::Range& range) {
    for (int c = range.start; c < range.end; ++c) t.channels[c] = template_channel(planes[c]);
  });
  return t;
}

cv::Mat match_histograms(const cv::Mat& source, const HistogramTemplate& reference,
                         const HistogramMatchOptions& options) {
  require_float(source, "histogram matching source");
  if (options.source_bins != 0 && (options.source_bins < 256 || options.source_bins > (1 << 24)))
    throw ConfigError("histogram matching source_bins: expected 0 (exact) or 256..16777216, got " +
                      std::to_string(options.source_bins));
  if (static_cast<std::size_t>(source.channels()) != reference.channels.size())
    throw ConfigError("histogram matching: expected a source with " + std::to_string(reference.channels.size()) +
                      " channels like the reference, got " + std::to_string(source.channels()));
  std::vector<cv::Mat> planes;
  cv::split(source, planes);
  std::vector<cv::Mat> matched(planes.size());
  for (auto& m : matched) m.create(source.size(), CV_32FC1);
  cv::parallel_for_(cv::Range(0, static_cast<int>(planes.size())), [&](const cv::Range& range) {
    for (int c = range.start; c < range.end; ++c) {
      if (options.source_bins == 0)
        match_channel(planes[c], reference.channels[c], matched[c]);
      else
        match_channel_binned(planes[c], reference.channels[c], options.source_bins, matched[c]);
    }
  });
  cv::Mat out;
  cv::merge(matched, out);
  return out;
}

cv::Mat match_histograms(const cv::Mat& source, const cv::Mat& reference, const HistogramMatchOptions& options) {
  return match_histograms(source, HistogramTemplate::from_image(reference), options);
}

}  // namespace k3::ops
