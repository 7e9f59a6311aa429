#pragma once
// Deforum's colour coherence: match each frame's colour histograms to a reference, in RGB,
// HSV or LAB, so that a clip keeps its palette instead of drifting.
#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "animation/ops/histogram_matching.h"
#include "animation/ops/histogram_matching_u8.h"
#include "animation/ops/lab_u8.h"

namespace k3::ops {

enum class ColorSpace { None, RGB, HSV, LAB };

// Deforum's color_coherence values: "None", "RGB", "HSV", "LAB" and the old names
// "Match Frame 0 RGB/HSV/LAB". "Image" and "Video Input" also give LAB, the space Deforum
// matches them in (their reference comes from ColorReference). Throws k3::ConfigError.
ColorSpace parse_color_space(const std::string& name);
std::string to_string(ColorSpace space);

// A CV_32FC3 RGB [0,255] image in the space's own float units (RGB: unchanged;
// HSV: H in [0,360), S and V in [0,1]; LAB: L in [0,100], a and b about [-127,127]), and back
// (clipped to [0,255]). Histogram matching commutes with the per-channel scalings involved,
// so these float units match the same way Deforum's 8-bit ones do, only without quantising.
cv::Mat rgb_to_space(const cv::Mat& rgb, ColorSpace space);
cv::Mat space_to_rgb(const cv::Mat& converted, ColorSpace space);

// The bit depth colours are matched at.
// EightBit (default): what Deforum does. Its frames are uint8 there, so the image and the
//   reference are rounded to 8 bits, converted with OpenCV's 8-bit RGB->HSV/Lab (H in [0,180),
//   L scaled to [0,255], a and b offset by 128), matched with skimage's 8-bit tables
//   (histogram_matching_u8.h) and converted back: the result has integer values.
// Float: exact matching of the float values in float units (rgb_to_space above); slower
//   (a sort per channel), and not what Deforum computes.
enum class ColorDepth { EightBit, Float };

// A reference analysed once for one colour space and depth.
struct ColorTemplate {
  ColorSpace space = ColorSpace::None;
  ColorDepth depth = ColorDepth::EightBit;
  HistogramTemplate histograms;   // Float
  HistogramTemplate8 eight_bit;   // EightBit
};
ColorTemplate make_color_template(const cv::Mat& reference_rgb, ColorSpace space,
                                  ColorDepth depth = ColorDepth::EightBit);

// A CV_8UC3 RGB image in the space's OpenCV 8-bit units, and back (RGB: unchanged).
cv::Mat rgb_to_space_u8(const cv::Mat& rgb_u8, ColorSpace space);
cv::Mat space_to_rgb_u8(const cv::Mat& converted_u8, ColorSpace space);

// Matches a CV_32FC3 RGB image to the template, then blends: out = (1-s)*image + s*matched,
// s = `strength` in [0,1] (Deforum: 1). ColorSpace::None returns the image unchanged.
// `matching` picks exact (default) or the fast binned histogram matching (Float depth only).
// Throws k3::ConfigError on a bad image or strength.
cv::Mat match_colors(const cv::Mat& image_rgb, const ColorTemplate& reference, double strength = 1.0,
                     const HistogramMatchOptions& matching = {});
cv::Mat match_colors(const cv::Mat& image_rgb, const cv::Mat& reference_rgb, ColorSpace space,
                     double strength = 1.0, const HistogramMatchOptions& matching = {},
                     ColorDepth depth = ColorDepth::EightBit);
// The EightBit match as an 8-bit RGB image (CV_8UC3), before any blend: for callers that go on
// in 8 bits or fuse the conversion back to float with their next step.
cv::Mat match_colors_u8(const cv::Mat& image_rgb, const ColorTemplate& reference);

// match_colors_u8 in two halves, for a caller that fuses the second with its next step:
// the image in the template's space (rounded to 8 bits, converted and counted in one pass over
// row blocks) with its matching table, then any block of rows matched and converted back to RGB.
struct SpaceMatch8 {
  ColorSpace space = ColorSpace::None;
  cv::Mat in_space;  // CV_8UC3, the space's OpenCV 8-bit units
  cv::Mat table;     // 1x256 CV_8UC3, histogram_match_table's
  std::shared_ptr<const LabToRgbU8> lab_to_rgb;  // LAB: the table and the conversion back, folded
};
// Throws k3::ConfigError as match_colors_u8 does.
SpaceMatch8 space_match_u8(const cv::Mat& image_rgb, const ColorTemplate& reference);
// Rows [first, last) of match_colors_u8's result, into `rgb_u8` (CV_8UC3, last - first rows;
// for LAB, a header of that size and type is filled in place).
void matched_rows_u8(const SpaceMatch8& match, int first, int last, cv::Mat& rgb_u8);

}  // namespace k3::ops
