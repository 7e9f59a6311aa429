#pragma once
// OpenCV 4's 8-bit L*a*b* -> sRGB (cv::COLOR_Lab2RGB on CV_8UC3), value for value, with a
// per-channel table folded in. Deforum's colour coherence converts every frame back from Lab
// after matching it (colors.py: cvtColor to Lab, match, cvtColor back); here the match's
// 256-entry tables are folded into the conversion's own first-stage tables, and the rest is
// OpenCV's fixed-point arithmetic with its own tables (rebuilt with cv::softfloat as OpenCV
// builds them). Measured 2.1x faster than cv::LUT + cv::cvtColor on the chain's frames (one
// core of the development machine). A test compares it with cv::cvtColor on all 2^24 inputs.
// (The other direction stays cv::cvtColor: the same approach measured 10 % slower there.)
#include <cstdint>

namespace k3::ops {

// out = Lab2RGB(table[0][L], table[1][a], table[2][b]) for interleaved 8-bit pixels in OpenCV's
// Lab units (L * 255/100, a + 128, b + 128).
class LabToRgbU8 {
 public:
  // `table`: 3 x 256 entries, channel-major (L, a, b); null: the identity.
  explicit LabToRgbU8(const std::uint8_t* table = nullptr);
  void row(const std::uint8_t* lab, std::uint8_t* rgb, int pixels) const;
  void row_portable(const std::uint8_t* lab, std::uint8_t* rgb, int pixels) const;  // without AVX2

 private:
  // From L: the Y column of the matrix product (R, G, B rows, rounding half included) with
  // Y itself as 4th lane, and f(Y) as an index into abToXZ_b; from a and b: the offsets added
  // to / taken from f(Y).
  alignas(16) std::int32_t y_[256][4];
  std::int32_t fy_[256], a_[256], b_[256];
  void pixel(const std::uint8_t* lab, std::uint8_t* rgb) const;
};

}  // namespace k3::ops
