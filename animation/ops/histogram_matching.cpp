// Follows scikit-image skimage/exposure/histogram_matching.py (_match_cumulative_cdf).
#include "animation/ops/histogram_matching.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include <opencv2/core/utility.hpp>

#include "src/errors.h"

namespace k3::ops {
namespace {

// Values of one channel sorted ascending, by a bucket sort on the value range (monotone
// bucket index, then a small sort inside each bucket): several times faster than std::sort
// on a megapixel. `bucket_of_value`/`bucket_start` let callers find a value's run again.
struct SortedChannel {
  std::vector<float> sorted;
  std::vector<std::uint32_t> bucket_start;  // size buckets + 1
  float lo = 0.f;
  double scale = 0.0;  // buckets per unit of value
  int buckets = 1;

  int bucket_of(float v) const {
    const double position = (static_cast<double>(v) - lo) * scale;
    return std::min(buckets - 1, std::max(0, static_cast<int>(position)));
  }
};

SortedChannel sort_channel(const cv::Mat& plane) {
  SortedChannel out;
  const std::size_t n = plane.total();
  const float* values = plane.ptr<float>();
  float lo = values[0], hi = values[0];
  for (std::size_t i = 1; i < n; ++i) {
    lo = std::min(lo, values[i]);
    hi = std::max(hi, values[i]);
  }
  int buckets = 1;
  while (buckets < (1 << 20) && static_cast<std::size_t>(buckets) * 4 < n) buckets *= 2;
  out.lo = lo;
  out.buckets = hi > lo ? buckets : 1;
  out.scale = hi > lo ? out.buckets / (static_cast<double>(hi) - lo) : 0.0;
  out.bucket_start.assign(out.buckets + 1, 0);
  for (std::size_t i = 0; i < n; ++i) ++out.bucket_start[out.bucket_of(values[i]) + 1];
  for (int b = 0; b < out.buckets; ++b) out.bucket_start[b + 1] += out.bucket_start[b];
  std::vector<std::uint32_t> fill(out.bucket_start.begin(), out.bucket_start.end() - 1);
  out.sorted.resize(n);
  for (std::size_t i = 0; i < n; ++i) out.sorted[fill[out.bucket_of(values[i])]++] = values[i];
  for (int b = 0; b < out.buckets; ++b) {
    float* first = out.sorted.data() + out.bucket_start[b];
    float* last = out.sorted.data() + out.bucket_start[b + 1];
    if (last - first > 1) std::sort(first, last);
  }
  return out;
}

HistogramTemplate::Channel template_channel(const cv::Mat& plane) {
  const SortedChannel s = sort_channel(plane);
  HistogramTemplate::Channel channel;
  const double n = static_cast<double>(s.sorted.size());
  for (std::size_t k = 0; k < s.sorted.size(); ++k) {
    if (k + 1 == s.sorted.size() || s.sorted[k + 1] != s.sorted[k]) {
      channel.values.push_back(s.sorted[k]);
      channel.quantiles.push_back(static_cast<double>(k + 1) / n);
    }
  }
  return channel;
}

// np.interp(x, quantiles, values) for x = k/n, k = 1..n, in one monotone sweep.
std::vector<float> interpolate_at_ranks(std::size_t n, const HistogramTemplate::Channel& reference) {
  std::vector<float> mapped(n);
  const std::vector<double>& xp = reference.quantiles;
  const std::vector<double>& fp = reference.values;
  std::size_t j = 0;
  for (std::size_t k = 1; k <= n; ++k) {
    const double x = static_cast<double>(k) / static_cast<double>(n);
    double y;
    if (x <= xp.front()) {
      y = fp.front();
    } else if (x >= xp.back()) {
      y = fp.back();
    } else {
      while (xp[j + 1] <= x) ++j;  // xp[j] <= x < xp[j + 1]
      const double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
      y = slope * (x - xp[j]) + fp[j];
    }
    mapped[k - 1] = static_cast<float>(y);
  }
  return mapped;
}

void match_channel(const cv::Mat& source_plane, const HistogramTemplate::Channel& reference, cv::Mat& out_plane) {
  const SortedChannel s = sort_channel(source_plane);
  const std::vector<float> mapped = interpolate_at_ranks(s.sorted.size(), reference);
  const std::size_t n = source_plane.total();
  const float* in = source_plane.ptr<float>();
  float* out = out_plane.ptr<float>();
  for (std::size_t i = 0; i < n; ++i) {
    const float v = in[i];
    const int b = s.bucket_of(v);
    // The value's quantile is the count of source values <= v (its run's end in `sorted`).
    const float* first = s.sorted.data() + s.bucket_start[b];
    const float* last = s.sorted.data() + s.bucket_start[b + 1];
    const std::size_t rank = static_cast<std::size_t>(std::upper_bound(first, last, v) - s.sorted.data());
    out[i] = mapped[rank - 1];
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

cv::Mat match_histograms(const cv::Mat& source, const HistogramTemplate& reference) {
  require_float(source, "histogram matching source");
  if (static_cast<std::size_t>(source.channels()) != reference.channels.size())
    throw ConfigError("histogram matching: expected a source with " + std::to_string(reference.channels.size()) +
                      " channels like the reference, got " + std::to_string(source.channels()));
  std::vector<cv::Mat> planes;
  cv::split(source, planes);
  std::vector<cv::Mat> matched(planes.size());
  for (auto& m : matched) m.create(source.size(), CV_32FC1);
  cv::parallel_for_(cv::Range(0, static_cast<int>(planes.size())), [&](const cv::Range& range) {
    for (int c = range.start; c < range.end; ++c) match_channel(planes[c], reference.channels[c], matched[c]);
  });
  cv::Mat out;
  cv::merge(matched, out);
  return out;
}

cv::Mat match_histograms(const cv::Mat& source, const cv::Mat& reference) {
  return match_histograms(source, HistogramTemplate::from_image(reference));
}

}  // namespace k3::ops
