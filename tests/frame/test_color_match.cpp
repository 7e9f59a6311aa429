#include <algorithm>
#include <map>
#include <vector>

#include <catch2/catch.hpp>

#include "animation/ops/color_match.h"
#include "animation/ops/color_reference.h"
#include "frame_test_images.h"
#include "base/errors.h"

using namespace k3::ops;

namespace {

std::vector<float> sorted_channel(const cv::Mat& image, int channel) {
  std::vector<cv::Mat> planes;
  cv::split(image, planes);
  std::vector<float> v(planes[channel].begin<float>(), planes[channel].end<float>());
  std::sort(v.begin(), v.end());
  return v;
}

struct SortedDiff {
  double max = 0.0, mean = 0.0;
};
SortedDiff sorted_diff(const cv::Mat& a, const cv::Mat& b, int channel) {
  const std::vector<float> x = sorted_channel(a, channel), y = sorted_channel(b, channel);
  SortedDiff d;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double e = std::abs(static_cast<double>(x[i]) - y[i]);
    d.max = std::max(d.max, e);
    d.mean += e / x.size();
  }
  return d;
}

}  // namespace

TEST_CASE("histogram matching follows skimage's quantile interpolation", "[unit]") {
  // skimage: source quantiles (1,2,3,4)/4 interpolated on the reference's (0.5 -> 0, 1 -> 10).
  const cv::Mat source = (cv::Mat_<float>(1, 4) << 1.f, 2.f, 3.f, 4.f);
  const cv::Mat reference = (cv::Mat_<float>(1, 4) << 0.f, 10.f, 0.f, 10.f);
  const cv::Mat out = match_histograms(source, reference);
  CHECK(out.at<float>(0, 0) == 0.f);
  CHECK(out.at<float>(0, 1) == 0.f);
  CHECK(out.at<float>(0, 2) == 5.f);
  CHECK(out.at<float>(0, 3) == 10.f);
  // Ties in the source share one output value; order is preserved.
  const cv::Mat ties = (cv::Mat_<float>(1, 4) << 7.f, 3.f, 7.f, 3.f);
  const cv::Mat ref = (cv::Mat_<float>(1, 4) << 1.f, 2.f, 3.f, 4.f);
  const cv::Mat t = match_histograms(ties, ref);
  CHECK(t.at<float>(0, 1) == 2.f);  // quantile 0.5 -> 2
  CHECK(t.at<float>(0, 0) == 4.f);  // quantile 1.0 -> 4
  CHECK(t.at<float>(0, 2) == 4.f);
}

TEST_CASE("histogram matching reproduces the reference histogram exactly for equal sizes", "[unit]") {
  const cv::Mat source = k3::test::distinct_test_image(173, 91, 1);
  cv::Mat reference = k3::test::distinct_test_image(173, 91, 2);
  cv::pow(reference / 255.0, 2.5, reference);  // a skewed distribution, distinct values
  reference *= 255.0;
  const cv::Mat out = match_histograms(source, reference);
  for (int c = 0; c < 3; ++c) {
    INFO("channel " << c);
    CHECK(sorted_channel(out, c) == sorted_channel(reference, c));
  }
  // Rank order is kept: the brightest source pixel gets the brightest reference value.
  cv::Point src_max, out_max;
  std::vector<cv::Mat> sp, op;
  cv::split(source, sp);
  cv::split(out, op);
  cv::minMaxLoc(sp[0], nullptr, nullptr, nullptr, &src_max);
  cv::minMaxLoc(op[0], nullptr, nullptr, nullptr, &out_max);
  CHECK(src_max == out_max);
}

TEST_CASE("float colour matching reproduces the reference histogram in each colour space", "[unit]") {
  // OpenCV's float RGB->HSV/LAB conversions are quantised finely but not to float precision, so
  // exactness (which needs no ties) is shown on small images whose converted channels have none.
  const cv::Mat small_source = k3::test::distinct_test_image(16, 12, 134);
  const cv::Mat small_reference = k3::test::distinct_test_image(16, 12, 176);
  const cv::Mat source = k3::test::distinct_test_image(64, 48, 4);
  const cv::Mat reference = k3::test::distinct_test_image(64, 48, 5);
  for (ColorSpace space : {ColorSpace::RGB, ColorSpace::HSV, ColorSpace::LAB}) {
    INFO("space " << to_string(space));
    {
      const ColorTemplate tmpl = make_color_template(small_reference, space, ColorDepth::Float);
      const cv::Mat source_in_space = rgb_to_space(small_source, space);
      const cv::Mat reference_in_space = rgb_to_space(small_reference, space);
      for (int c = 0; c < 3; ++c) {
        // Precondition of exactness (not of the code under test): no ties in either image.
        const std::vector<float> s = sorted_channel(source_in_space, c), r = sorted_channel(reference_in_space, c);
        REQUIRE(std::adjacent_find(s.begin(), s.end()) == s.end());
        REQUIRE(std::adjacent_find(r.begin(), r.end()) == r.end());
      }
      const cv::Mat matched_in_space = match_histograms(source_in_space, tmpl.histograms);
      for (int c = 0; c < 3; ++c) CHECK(sorted_channel(matched_in_space, c) == sorted_channel(reference_in_space, c));
    }
    // Through RGB and back the histogram stays close (ties, out-of-gamut clipping, rounding).
    const cv::Mat out = match_colors(source, make_color_template(reference, space, ColorDepth::Float));
    const cv::Mat out_in_space = rgb_to_space(out, space);
    const cv::Mat reference_in_space = rgb_to_space(reference, space);
    for (int c = 0; c < 3; ++c) {
      const double range = space == ColorSpace::HSV ? (c == 0 ? 360.0 : 1.0) : (space == ColorSpace::LAB ? 100.0 : 255.0);
      const SortedDiff d = sorted_diff(out_in_space, reference_in_space, c);
      WARN(to_string(space) << " channel " << c << ": sorted-value difference to the reference after the RGB round trip: mean "
                            << d.mean / range << ", max " << d.max / range << " of the channel range");
      CHECK(d.mean / range < 0.002);
      CHECK(d.max / range < 0.05);
    }
  }
  CHECK(cv::norm(match_colors(source, reference, ColorSpace::RGB, 1.0, {}, ColorDepth::Float),
                 match_histograms(source, reference), cv::NORM_INF) == 0.0);
}

TEST_CASE("colour matching: None, strength blend, parse names", "[unit]") {
  const cv::Mat source = k3::test::smooth_test_image(40, 30);
  const cv::Mat reference = k3::test::random_test_image(40, 30, 9);
  CHECK(cv::norm(match_colors(source, reference, ColorSpace::None), source, cv::NORM_INF) == 0.0);
  CHECK(cv::norm(match_colors(source, reference, ColorSpace::LAB, 0.0), source, cv::NORM_INF) == 0.0);
  for (ColorDepth depth : {ColorDepth::EightBit, ColorDepth::Float}) {
    const cv::Mat full = match_colors(source, reference, ColorSpace::RGB, 1.0, {}, depth);
    const cv::Mat half = match_colors(source, reference, ColorSpace::RGB, 0.5, {}, depth);
    CHECK(cv::norm(half, (source + full) * 0.5, cv::NORM_INF) < 1e-3);
  }
  CHECK_THROWS_WITH(match_colors(source, reference, ColorSpace::RGB, 1.0, HistogramMatchOptions{4096}),
                    Catch::Contains("source_bins") && Catch::Contains("4096"));
  CHECK_THROWS_AS(match_colors(source, reference, ColorSpace::RGB, 1.5), k3::ConfigError);
  CHECK(parse_color_space("LAB") == ColorSpace::LAB);
  CHECK(parse_color_space("Match Frame 0 HSV") == ColorSpace::HSV);
  CHECK(parse_color_space("None") == ColorSpace::None);
  CHECK_THROWS_WITH(parse_color_space("lab"), Catch::Contains("expected one of") && Catch::Contains("\"lab\""));
}

TEST_CASE("ColorReference keeps a copy and analyses it once per colour space", "[unit]") {
  cv::Mat a = k3::test::random_test_image(8, 8, 1);
  const cv::Mat original = a.clone();
  ColorReference ref(a);
  a.setTo(cv::Scalar::all(0));  // the caller's image may change: the reference does not
  CHECK(cv::norm(ref.image(), original, cv::NORM_INF) == 0.0);
  const ColorTemplate* rgb = &ref.template_for(ColorSpace::RGB);
  CHECK(&ref.template_for(ColorSpace::RGB) == rgb);  // cached, not recomputed
  CHECK(ref.template_for(ColorSpace::LAB).space == ColorSpace::LAB);
  cv::Mat gray(8, 8, CV_8UC1, cv::Scalar(3));
  CHECK_THROWS_AS(ColorReference(gray), k3::ConfigError);
}

TEST_CASE("binned histogram matching equals exact on 8-bit data and stays close otherwise", "[unit]") {
  const cv::Mat reference = k3::test::random_test_image(256, 192, 11);
  cv::Mat eight_bit = k3::test::random_test_image(256, 192, 12);
  eight_bit.convertTo(eight_bit, CV_8UC3);
  eight_bit.convertTo(eight_bit, CV_32FC3);  // integer values: one distinct value per bin
  const HistogramTemplate tmpl = HistogramTemplate::from_image(reference);
  const HistogramMatchOptions fast{4096};
  CHECK(cv::norm(match_colors(eight_bit, reference, ColorSpace::RGB, 1.0, fast, ColorDepth::Float),
                 match_histograms(eight_bit, tmpl), cv::NORM_INF) == 0.0);
  CHECK(cv::norm(match_histograms(eight_bit, tmpl, fast), match_histograms(eight_bit, tmpl), cv::NORM_INF) == 0.0);

  const cv::Mat continuous = k3::test::smooth_test_image(256, 192) * 0.5 + k3::test::random_test_image(256, 192, 13) * 0.5;
  const cv::Mat exact = match_histograms(continuous, tmpl);
  const cv::Mat binned = match_histograms(continuous, tmpl, HistogramMatchOptions{16384});
  const double worst = cv::norm(exact, binned, cv::NORM_INF);
  const double mean = cv::norm(exact, binned, cv::NORM_L1) / (exact.total() * 3);
  WARN("binned (16384) vs exact histogram matching on 256x192 continuous data: max " << worst << ", mean " << mean
                                                                                    << " (0..255)");
  CHECK(worst < 1.0);
  CHECK(mean < 0.05);
  CHECK_THROWS_WITH(match_histograms(continuous, tmpl, HistogramMatchOptions{100}),
                    Catch::Contains("source_bins") && Catch::Contains("got 100"));
}

TEST_CASE("histogram matching counts -0 and +0 as one value and handles a constant source", "[unit]") {
  const cv::Mat source = (cv::Mat_<float>(1, 4) << -0.f, 0.f, 1.f, 2.f);
  const cv::Mat reference = (cv::Mat_<float>(1, 4) << 10.f, 20.f, 30.f, 40.f);
  const cv::Mat out = match_histograms(source, reference);
  CHECK(out.at<float>(0, 0) == 20.f);  // both zeros: quantile 2/4
  CHECK(out.at<float>(0, 1) == 20.f);
  CHECK(out.at<float>(0, 3) == 40.f);
  const cv::Mat constant(1, 4, CV_32FC1, cv::Scalar(5.f));
  CHECK(cv::norm(match_histograms(constant, reference), cv::Mat(1, 4, CV_32FC1, cv::Scalar(40.f)), cv::NORM_INF) == 0.0);
  CHECK(cv::norm(match_histograms(constant, reference, HistogramMatchOptions{256}),
                 cv::Mat(1, 4, CV_32FC1, cv::Scalar(40.f)), cv::NORM_INF) == 0.0);
}

namespace {

// skimage.exposure.match_histograms(source, reference, channel_axis=-1) on uint8 images, written
// the plain way (np.unique counts, np.interp by a linear scan, the uint8 output array's
// truncation), independent of the table-based code under test.
cv::Mat skimage_match_u8(const cv::Mat& source, const cv::Mat& reference) {
  const int channels = source.channels();
  cv::Mat out(source.size(), source.type());
  for (int c = 0; c < channels; ++c) {
    std::map<int, std::size_t> src_counts, ref_counts;
    for (std::size_t i = 0; i < source.total(); ++i) ++src_counts[source.ptr<uchar>()[i * channels + c]];
    for (std::size_t i = 0; i < reference.total(); ++i) ++ref_counts[reference.ptr<uchar>()[i * channels + c]];
    std::vector<double> xp, fp;
    std::size_t cumulative = 0;
    for (const auto& [value, count] : ref_counts) {
      cumulative += count;
      xp.push_back(static_cast<double>(cumulative) / reference.total());
      fp.push_back(value);
    }
    std::map<int, uchar> mapped;
    cumulative = 0;
    for (const auto& [value, count] : src_counts) {
      cumulative += count;
      const double x = static_cast<double>(cumulative) / source.total();
      double y = fp.back();
      if (x < xp.front()) y = fp.front();
      for (std::size_t j = 0; j + 1 < xp.size(); ++j) {
        if (x == xp[j]) { y = fp[j]; break; }
        if (xp[j] < x && x < xp[j + 1]) {
          const double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
          const volatile double product = slope * (x - xp[j]);
          y = product + fp[j];
          break;
        }
      }
      mapped[value] = static_cast<uchar>(y);  // numpy's float64 -> uint8 assignment truncates
    }
    for (std::size_t i = 0; i < source.total(); ++i)
      out.ptr<uchar>()[i * channels + c] = mapped.at(source.ptr<uchar>()[i * channels + c]);
  }
  return out;
}

}  // namespace

TEST_CASE("8-bit histogram matching: skimage's quantile interpolation, truncated to uint8", "[unit]") {
  const cv::Mat source = (cv::Mat_<uchar>(1, 4) << 1, 2, 3, 4);
  // Quantiles (1,2,3,4)/4 on the reference's (0.5 -> 0, 1 -> 3): 0, 0, 1.5 -> 1, 3.
  const cv::Mat reference = (cv::Mat_<uchar>(1, 4) << 0, 3, 0, 3);
  const cv::Mat out = match_histograms_u8(source, HistogramTemplate8::from_image(reference));
  CHECK(out.at<uchar>(0, 0) == 0);
  CHECK(out.at<uchar>(0, 1) == 0);
  CHECK(out.at<uchar>(0, 2) == 1);
  CHECK(out.at<uchar>(0, 3) == 3);
  const cv::Mat constant(3, 5, CV_8UC1, cv::Scalar(9));
  CHECK(cv::countNonZero(match_histograms_u8(constant, HistogramTemplate8::from_image(reference)) != 3) == 0);
  CHECK_THROWS_AS(HistogramTemplate8::from_image(cv::Mat(2, 2, CV_32FC1)), k3::ConfigError);
  CHECK_THROWS_WITH(match_histograms_u8(cv::Mat(2, 2, CV_8UC3), HistogramTemplate8::from_image(reference)),
                    Catch::Contains("expected 1 channels") && Catch::Contains("got 3"));
}

TEST_CASE("colour matching equals an 8-bit histogram match of the same images, in every space", "[unit]") {
  // Unequal sizes; a smooth image (many ties) against a textured one.
  const cv::Mat source = k3::test::smooth_test_image(97, 61) * 0.7 + k3::test::random_test_image(97, 61, 21) * 0.3;
  const cv::Mat reference = k3::test::random_test_image(64, 80, 22) * 0.6 + 40.0;
  cv::Mat source_u8, reference_u8;
  source.convertTo(source_u8, CV_8UC3);  // rounded to nearest, as Deforum's frames are
  reference.convertTo(reference_u8, CV_8UC3);
  for (ColorSpace space : {ColorSpace::RGB, ColorSpace::HSV, ColorSpace::LAB}) {
    INFO("space " << to_string(space));
    const cv::Mat want_in_space = skimage_match_u8(rgb_to_space_u8(source_u8, space), rgb_to_space_u8(reference_u8, space));
    cv::Mat want;
    space_to_rgb_u8(want_in_space, space).convertTo(want, CV_32FC3);
    const ColorTemplate tmpl = make_color_template(reference, space);
    CHECK(tmpl.depth == ColorDepth::EightBit);
    const cv::Mat got = match_colors(source, tmpl);
    CHECK(cv::norm(got, want, cv::NORM_INF) == 0.0);
    CHECK(cv::norm(match_colors_u8(source, tmpl), space_to_rgb_u8(want_in_space, space), cv::NORM_INF) == 0.0);
    // In the space itself, the table reproduces skimage's result value for value.
    CHECK(cv::norm(match_histograms_u8(rgb_to_space_u8(source_u8, space), tmpl.eight_bit), want_in_space,
                   cv::NORM_INF) == 0.0);
  }
}
