#pragma once
// OpenCV 4's 8-bit sRGB <-> L*a*b* (cv::COLOR_RGB2Lab / cv::COLOR_Lab2RGB on CV_8UC3), value for
// value, at a fraction of its cost here. Deforum's colour coherence runs these two conversions on
// every frame (colors.py: cvtColor to Lab, match, cvtColor back); OpenCV 4.6 as Debian builds it
// spends about 20 ms on each at 1024x1024 on one core of the development machine (its gathers go
// through memory), the row loops below a few. Both are OpenCV's own fixed-point arithmetic with
// its own tables (rebuilt here with cv::softfloat exactly as OpenCV builds them); a test compares
// them with cv::cvtColor on all 2^24 inputs of each direction.
#include <cstdint>

namespace k3::ops {

// `pixels` RGB pixels (interleaved, 3 bytes each) -> Lab in OpenCV's 8-bit units
// (L * 255/100, a + 128, b + 128).
void rgb_to_lab_u8_row(const std::uint8_t* rgb, std::uint8_t* lab, int pixels);
// The same without the AVX2 loop (what CPUs without AVX2 run; tests compare the two).
void rgb_to_lab_u8_row_portable(const std::uint8_t* rgb, std::uint8_t* lab, int pixels);

// Lab -> RGB after a per-channel table: out = Lab2RGB(table[0][L], table[1][a], table[2][b]).
// The table is folded into the conversion's own first-stage tables, so it costs nothing per
// pixel (the 8-bit colour match is such a table).
class LabToRgbU8 {
 public:
  // `table`: 3 x 256 entries, channel-major (L, a, b); null: the identity.
  explicit LabToRgbU8(const std::uint8_t* table = nullptr);
  void row(const std::uint8_t* lab, std::uint8_t* rgb, int pixels) const;
  void row_portable(const std::uint8_t* lab, std::uint8_t* rgb, int pixels) const;  // without AVX2

 private:
  // From L: the Y column of the matrix product (R, G, B rows, rounding half included, 4th
  // lane 0) and f(Y); from a and b: the offsets added to / taken from f(Y).
  alignas(16) std::int32_t y_[256][4];
  std::int32_t fy_[256], a_[256], b_[256];
  void pixel(const std::uint8_t* lab, std::uint8_t* rgb) const;
};

}  // namespace k3::ops
