#include <algorithm>
#include <vector>

#include <catch2/catch.hpp>

#include "animation/ops/color_match.h"
#include "animation/ops/color_reference.h"
#include "frame_test_images.h"
#include "src/errors.h"

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

TEST_CASE("colour matching reproduces the reference histogram in each colour space", "[unit]") {
  // OpenCV's float RGB->HSV/LAB conversions are quantised finely but not to float precision, so
  // exactness (which needs no ties) is shown on small images whose converted channels have none.
  const cv::Mat small_source = k3::test::distinct_test_image(16, 12, 134);
  const cv::Mat small_reference = k3::test::distinct_test_image(16, 12, 176);
  const cv::Mat source = k3::test::distinct_test_image(64, 48, 4);
  const cv::Mat reference = k3::test::distinct_test_image(64, 48, 5);
  for (ColorSpace space : {ColorSpace::RGB, ColorSpace::HSV, ColorSpace::LAB}) {
    INFO("space " << to_string(space));
    {
      const ColorTemplate tmpl = make_color_template(small_reference, space);
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
    const cv::Mat out = match_colors(source, make_color_template(reference, space));
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
  CHECK(cv::norm(match_colors(source, reference, ColorSpace::RGB), match_histograms(source, reference), cv::NORM_INF) == 0.0);
}

TEST_CASE("colour matching: None, strength blend, parse names", "[unit]") {
  const cv::Mat source = k3::test::smooth_test_image(40, 30);
  const cv::Mat reference = k3::test::random_test_image(40, 30, 9);
  CHECK(cv::norm(match_colors(source, reference, ColorSpace::None), source, cv::NORM_INF) == 0.0);
  CHECK(cv::norm(match_colors(source, reference, ColorSpace::LAB, 0.0), source, cv::NORM_INF) == 0.0);
  const cv::Mat full = match_colors(source, reference, ColorSpace::RGB, 1.0);
  const cv::Mat half = match_colors(source, reference, ColorSpace::RGB, 0.5);
  CHECK(cv::norm(half, (source + full) * 0.5, cv::NORM_INF) < 1e-3);
  CHECK_THROWS_AS(match_colors(source, reference, ColorSpace::RGB, 1.5), k3::ConfigError);
  CHECK(parse_color_space("LAB") == ColorSpace::LAB);
  CHECK(parse_color_space("Match Frame 0 HSV") == ColorSpace::HSV);
  CHECK(parse_color_space("None") == ColorSpace::None);
  CHECK_THROWS_WITH(parse_color_space("lab"), Catch::Contains("expected one of") && Catch::Contains("\"lab\""));
}

TEST_CASE("ColorReference decides when the reference changes", "[unit]") {
  const cv::Mat a = k3::test::random_test_image(8, 8, 1), b = k3::test::random_test_image(8, 8, 2);
  SECTION("first frame: captured once, never refreshed") {
    ColorReference ref = ColorReference::first_frame();
    CHECK_FALSE(ref.has_reference());
    CHECK_THROWS_AS(ref.template_for(ColorSpace::LAB), k3::ConfigError);
    CHECK(ref.observe(a, 0));
    CHECK_FALSE(ref.observe(b, 1));
    CHECK_FALSE(ref.observe(b, 100));
    CHECK(cv::norm(ref.image(), a, cv::NORM_INF) == 0.0);
  }
  SECTION("fixed image: never replaced") {
    ColorReference ref = ColorReference::fixed_image(a);
    CHECK(ref.has_reference());
    CHECK_FALSE(ref.observe(b, 0));
    CHECK(cv::norm(ref.image(), a, cv::NORM_INF) == 0.0);
  }
  SECTION("rolling: every N frames, and the cached template follows") {
    ColorReference ref = ColorReference::rolling(3);
    CHECK(ref.observe(a, 0));
    const double first_max = ref.template_for(ColorSpace::RGB).histograms.channels[0].values.back();
    CHECK_FALSE(ref.should_update(1));
    CHECK_FALSE(ref.observe(b, 2));
    CHECK(ref.should_update(3));
    CHECK(ref.observe(b, 3));
    CHECK(cv::norm(ref.image(), b, cv::NORM_INF) == 0.0);
    const double second_max = ref.template_for(ColorSpace::RGB).histograms.channels[0].values.back();
    CHECK(first_max != second_max);
    CHECK_THROWS_AS(ColorReference::rolling(0), k3::ConfigError);
  }
}

TEST_CASE("binned histogram matching equals exact on 8-bit data and stays close otherwise", "[unit]") {
  const cv::Mat reference = k3::test::random_test_image(256, 192, 11);
  cv::Mat eight_bit = k3::test::random_test_image(256, 192, 12);
  eight_bit.convertTo(eight_bit, CV_8UC3);
  eight_bit.convertTo(eight_bit, CV_32FC3);  // integer values: one distinct value per bin
  const HistogramTemplate tmpl = HistogramTemplate::from_image(reference);
  const HistogramMatchOptions fast{4096};
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
