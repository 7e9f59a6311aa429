#pragma once
// Internal to lab_u8.cpp and lab_u8_avx2.cpp: OpenCV's tables for its 8-bit Lab -> RGB
// (color_lab.cpp's names in the comments). Not for other callers: use lab_u8.h.
#include <cstdint>
#include <vector>

namespace k3::ops {

constexpr int kLabShift = 12;                  // lab_shift (= xyz_shift)
constexpr int kInvGammaSize = 1 << 12;         // INV_GAMMA_TAB_SIZE
constexpr int kBase = 1 << 14;                 // LAB_BASE, LUT_BASE
constexpr int kMinAB = -8145;                  // minABvalue
constexpr int kXZTableSize = kBase * 9 / 4;
constexpr int kLabToRgbShift = kLabShift + 2;  // Lab2RGBinteger::shift

// Lab2RGBinteger's tables: LabToYF_b split in two, abToXZ_b, sRGBInvGammaTab_b, and the nine
// coefficients for RGB order.
struct LabInverseTables {
  std::int32_t y[256], fy[256];
  std::vector<std::int32_t> xz;  // abToXZ_b, index = value - kMinAB
  std::int32_t inv_gamma[kInvGammaSize];
  std::int32_t c[9];  // row-major: R, G, B rows times (x, y, z)
  LabInverseTables();
};
const LabInverseTables& lab_inverse_tables();

// The AVX2 loop (lab_u8_avx2.cpp): converts the row and returns its pixel count, or returns 0
// without AVX2 (the caller then runs the portable loop). `y`: LabToRgbU8's 256 x 4 vectors.
int lab_to_rgb_u8_avx2(const std::int32_t* y, const std::int32_t* fy, const std::int32_t* a, const std::int32_t* b,
                       const std::uint8_t* lab, std::uint8_t* rgb, int pixels);

}  // namespace k3::ops
