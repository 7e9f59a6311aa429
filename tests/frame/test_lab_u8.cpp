// lab_u8.h against cv::cvtColor on every input (the 2^24 Lab triples), the vector loop and the
// portable one, with and without a folded table.
#include <cstdint>

#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>

#include "animation/ops/lab_u8.h"

using namespace k3::ops;

namespace {

// All 2^24 byte triples, as a 4096x4096 CV_8UC3 image.
cv::Mat every_triple() {
  cv::Mat all(4096, 4096, CV_8UC3);
  std::uint8_t* p = all.ptr<std::uint8_t>();
  for (int i = 0; i < (1 << 24); ++i) {
    p[3 * i] = static_cast<std::uint8_t>(i);
    p[3 * i + 1] = static_cast<std::uint8_t>(i >> 8);
    p[3 * i + 2] = static_cast<std::uint8_t>(i >> 16);
  }
  return all;
}

// Values that differ from OpenCV's (printed), over all channels.
int differences(const cv::Mat& ours, const cv::Mat& opencv, const char* what) {
  const int n = cv::countNonZero(cv::Mat(ours != opencv).reshape(1));
  UNSCOPED_INFO(what << ": " << n << " of " << opencv.total() * 3 << " values differ from cv::cvtColor");
  return n;
}

}  // namespace

TEST_CASE("8-bit Lab->RGB equals cv::cvtColor on every Lab triple", "[unit]") {
  const cv::Mat all = every_triple();
  cv::Mat opencv, ours(all.size(), CV_8UC3), portable(all.size(), CV_8UC3);
  cv::cvtColor(all, opencv, cv::COLOR_Lab2RGB);
  const LabToRgbU8 back;
  back.row(all.ptr<std::uint8_t>(), ours.ptr<std::uint8_t>(), static_cast<int>(all.total()));
  back.row_portable(all.ptr<std::uint8_t>(), portable.ptr<std::uint8_t>(), static_cast<int>(all.total()));
  CHECK(differences(ours, opencv, "LabToRgbU8::row") == 0);
  CHECK(differences(portable, opencv, "LabToRgbU8::row_portable") == 0);
}

TEST_CASE("a table folded into Lab->RGB equals cv::LUT then cv::cvtColor", "[unit]") {
  cv::Mat lab(257, 301, CV_8UC3);  // odd sizes: the vector loops' tails
  cv::RNG rng(7);
  rng.fill(lab, cv::RNG::UNIFORM, 0, 256);
  cv::Mat table(1, 256, CV_8UC3);
  rng.fill(table, cv::RNG::UNIFORM, 0, 256);
  std::uint8_t channels[3 * 256];
  for (int v = 0; v < 256; ++v)
    for (int c = 0; c < 3; ++c) channels[256 * c + v] = table.ptr<std::uint8_t>()[3 * v + c];
  cv::Mat looked_up, opencv;
  cv::LUT(lab, table, looked_up);
  cv::cvtColor(looked_up, opencv, cv::COLOR_Lab2RGB);
  const LabToRgbU8 back(channels);
  cv::Mat ours(lab.size(), CV_8UC3), portable(lab.size(), CV_8UC3);
  for (int r = 0; r < lab.rows; ++r) {
    back.row(lab.ptr<std::uint8_t>(r), ours.ptr<std::uint8_t>(r), lab.cols);
    back.row_portable(lab.ptr<std::uint8_t>(r), portable.ptr<std::uint8_t>(r), lab.cols);
  }
  CHECK(differences(ours, opencv, "folded table, vector loop") == 0);
  CHECK(differences(portable, opencv, "folded table, portable") == 0);
}
