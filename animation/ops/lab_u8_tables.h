#pragma once
// Internal to lab_u8.cpp and lab_u8_avx2.cpp: OpenCV's 8-bit Lab tables and constants
// (color_lab.cpp's names in the comments). Not for other callers: use lab_u8.h.
#include <cstdint>
#include <vector>

namespace k3::ops {

constexpr int kLabShift = 12;                  // xyz_shift
constexpr int kLabShift2 = kLabShift + 3;      // lab_shift2 (+ gamma_shift)
constexpr int kCbrtTableSize = 256 * 3 / 2 * 8;  // LAB_CBRT_TAB_SIZE_B
constexpr int kInvGammaSize = 1 << 12;         // INV_GAMMA_TAB_SIZE
constexpr int kBase = 1 << 14;                 // LAB_BASE, LUT_BASE
constexpr int kMinAB = -8145;                  // minABvalue
constexpr int kXZTableSize = kBase * 9 / 4;
constexpr int kLabToRgbShift = kLabShift + 2;  // Lab2RGBinteger::shift

// RGB -> Lab (RGB2Lab_b for RGB order): sRGBGammaTab_b, the nine coefficients, the same folded
// into one table per product (a pixel's X, Y, Z are then sums of three entries: the same
// integers as OpenCV's products), LabCbrtTab_b. All int32 so that vector gathers can read them.
struct LabForwardTables {
  std::int32_t gamma[256];
  std::int32_t coeff[9];  // row-major: X, Y, Z rows times (R, G, B)
  std::int32_t x[3][256], y[3][256], z[3][256];
  std::int32_t cbrt[kCbrtTableSize];
  LabForwardTables();
};

// Lab -> RGB (Lab2RGBinteger): LabToYF_b split in two, abToXZ_b, sRGBInvGammaTab_b, coefficients.
struct LabInverseTables {
  std::int32_t y[256], fy[256];
  std::vector<std::int32_t> xz;  // abToXZ_b, index = value - kMinAB
  std::int32_t inv_gamma[kInvGammaSize];
  std::int32_t c[9];  // row-major: R, G, B rows times (x, y, z)
  LabInverseTables();
};

const LabForwardTables& lab_forward_tables();
const LabInverseTables& lab_inverse_tables();

// The AVX2 loops (lab_u8_avx2.cpp): they convert a leading part of the row and return how many
// pixels they did (0 without AVX2); the caller finishes the row one pixel at a time.
int rgb_to_lab_u8_avx2(const std::uint8_t* rgb, std::uint8_t* lab, int pixels);
// `y`: LabToRgbU8's 256 x 4 Y-column vectors.
int lab_to_rgb_u8_avx2(const std::int32_t* y, const std::int32_t* fy, const std::int32_t* a, const std::int32_t* b,
                       const std::uint8_t* lab, std::uint8_t* rgb, int pixels);

}  // namespace k3::ops
