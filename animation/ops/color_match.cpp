// Follows sd-webui-deforum scripts/deforum_helpers/colors.py (maintain_colors), on true RGB input
// (Deforum passes BGR images to its RGB conversion codes; deforum-kandinsky passes RGB).
#include "animation/ops/color_match.h"

#include <array>
#include <cstdint>
#include <mutex>
#include <vector>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "animation/ops/image_convert.h"
#include "animation/ops/lab_convert.h"
#include "animation/ops/recycled_mat.h"
#include "animation/ops/row_loops.h"
#include "base/errors.h"

namespace k3::ops {

ColorSpace parse_color_space(const std::string& name) {
  if (name == "None") return ColorSpace::None;
  if (name == "RGB" || name == "Match Frame 0 RGB") return ColorSpace::RGB;
  if (name == "HSV" || name == "Match Frame 0 HSV") return ColorSpace::HSV;
  if (name == "LAB" || name == "Match Frame 0 LAB" || name == "Image" || name == "Video Input") return ColorSpace::LAB;
  throw ConfigError("color_coherence: expected one of None, RGB, HSV, LAB, Image, Video Input (or Match Frame 0 "
                    "RGB/HSV/LAB), got \"" + name + "\"");
}

std::string to_string(ColorSpace space) {
  switch (space) {
    case ColorSpace::None: return "None";
    case ColorSpace::RGB: return "RGB";
    case ColorSpace::HSV: return "HSV";
    case ColorSpace::LAB: return "LAB";
  }
  return "None";
}

cv::Mat rgb_to_space(const cv::Mat& rgb, ColorSpace space) {
  require_float_rgb(rgb, "rgb_to_space");
  if (space == ColorSpace::None || space == ColorSpace::RGB) return rgb.clone();
  if (space == ColorSpace::LAB) return rgb255_to_lab(rgb);
  cv::Mat unit, out;
  rgb.convertTo(unit, CV_32F, 1.0 / 255.0);
  cv::cvtColor(unit, out, cv::COLOR_RGB2HSV);
  return out;
}

cv::Mat space_to_rgb(const cv::Mat& converted, ColorSpace space) {
  require_float_rgb(converted, "space_to_rgb");
  cv::Mat rgb;
  if (space == ColorSpace::None || space == ColorSpace::RGB) {
    rgb = converted.clone();
  } else {
    cv::Mat unit;
    cv::cvtColor(converted, unit, space == ColorSpace::HSV ? cv::COLOR_HSV2RGB : cv::COLOR_Lab2RGB);
    unit.convertTo(rgb, CV_32F, 255.0);
  }
  cv::max(rgb, 0.0, rgb);
  cv::min(rgb, 255.0, rgb);
  return rgb;
}

cv::Mat rgb_to_space_u8(const cv::Mat& rgb_u8, ColorSpace space) {
  if (space == ColorSpace::None || space == ColorSpace::RGB) return rgb_u8;
  cv::Mat out;
  cv::cvtColor(rgb_u8, out, space == ColorSpace::HSV ? cv::COLOR_RGB2HSV : cv::COLOR_RGB2Lab);
  return out;
}

cv::Mat space_to_rgb_u8(const cv::Mat& converted_u8, ColorSpace space) {
  if (space == ColorSpace::None || space == ColorSpace::RGB) return converted_u8;
  cv::Mat out;
  cv::cvtColor(converted_u8, out, space == ColorSpace::HSV ? cv::COLOR_HSV2RGB : cv::COLOR_Lab2RGB);
  return out;
}

ColorTemplate make_color_template(const cv::Mat& reference_rgb, ColorSpace space, ColorDepth depth) {
  require_float_rgb(reference_rgb, "colour reference");
  ColorTemplate t;
  t.space = space;
  t.depth = depth;
  if (space == ColorSpace::None) return t;
  if (depth == ColorDepth::EightBit)
    t.eight_bit = HistogramTemplate8::from_image(rgb_to_space_u8(to_u8_rgb(reference_rgb), space));
  else
    t.histograms = HistogramTemplate::from_image(rgb_to_space(reference_rgb, space));
  return t;
}

SpaceMatch8 space_match_u8(const cv::Mat& image_rgb, const ColorTemplate& reference) {
  require_float_rgb(image_rgb, "match_colors_u8");
  if (reference.depth != ColorDepth::EightBit || reference.space == ColorSpace::None)
    throw ConfigError("match_colors_u8: expected an 8-bit colour template with a colour space, got " +
                      std::string(reference.depth == ColorDepth::Float ? "a float one" : "space None"));
  SpaceMatch8 match;
  match.space = reference.space;
  thread_local cv::Mat cache;
  match.in_space = recycled(cache, image_rgb.size(), CV_8UC3);
  // Rounding, conversion and counting per block of rows, while the block is in cache.
  std::vector<std::array<std::uint32_t, 256>> counts(3);
  for (auto& h : counts) h.fill(0);
  std::mutex merge;
  cv::parallel_for_(
      cv::Range(0, image_rgb.rows),
      [&](const cv::Range& rows) {
        cv::Mat in_space = match.in_space.rowRange(rows.start, rows.end);
        if (reference.space == ColorSpace::RGB) {
          image_rgb.rowRange(rows.start, rows.end).convertTo(in_space, CV_8U);  // as to_u8_rgb
        } else {  // (an exact re-implementation of the 8-bit RGB->Lab measured 10 % slower here)
          const cv::Mat block = to_u8_rgb(image_rgb.rowRange(rows.start, rows.end));
          cv::cvtColor(block, in_space, reference.space == ColorSpace::HSV ? cv::COLOR_RGB2HSV : cv::COLOR_RGB2Lab);
        }
        const auto local = channel_histograms(in_space);  // serial here: OpenCV does not nest
        std::lock_guard<std::mutex> lock(merge);
        for (int c = 0; c < 3; ++c)
          for (int v = 0; v < 256; ++v) counts[c][v] += local[c][v];
      },
      row_block_stripes(image_rgb.rows));
  match.table = histogram_match_table(counts, static_cast<double>(image_rgb.total()), reference.eight_bit);
  if (match.space == ColorSpace::LAB) {
    std::uint8_t channels[3 * 256];  // channel-major, as LabToRgbU8 takes it
    for (int v = 0; v < 256; ++v)
      for (int c = 0; c < 3; ++c) channels[256 * c + v] = match.table.ptr<std::uint8_t>()[3 * v + c];
    match.lab_to_rgb = std::make_shared<const LabToRgbU8>(channels);
  }
  return match;
}

namespace {
// cv::LUT with a 3-channel table, as a plain loop over per-channel tables: OpenCV's
// multi-channel LUT does not vectorise and cost as much as this whole pass (1024x1024).
K3_ROW_LOOP void lookup_rows(const cv::Mat& in, const cv::Mat& table, cv::Mat& out) {
  std::uint8_t channel[3][256];
  for (int v = 0; v < 256; ++v)
    for (int c = 0; c < 3; ++c) channel[c][v] = table.ptr<std::uint8_t>()[3 * v + c];
  out.create(in.size(), CV_8UC3);
  for (int r = 0; r < in.rows; ++r) {
    const std::uint8_t* s = in.ptr<std::uint8_t>(r);
    std::uint8_t* d = out.ptr<std::uint8_t>(r);
    for (int i = 0; i < in.cols; ++i) {
      d[3 * i] = channel[0][s[3 * i]];
      d[3 * i + 1] = channel[1][s[3 * i + 1]];
      d[3 * i + 2] = channel[2][s[3 * i + 2]];
    }
  }
}
}  // namespace

void matched_rows_u8(const SpaceMatch8& match, int first, int last, cv::Mat& rgb_u8) {
  if (match.lab_to_rgb) {  // equal to lookup_rows + cv::cvtColor(COLOR_Lab2RGB) (lab_u8.h), 2.1x faster
    rgb_u8.create(last - first, match.in_space.cols, CV_8UC3);
    for (int r = first; r < last; ++r)
      match.lab_to_rgb->row(match.in_space.ptr<std::uint8_t>(r), rgb_u8.ptr<std::uint8_t>(r - first), rgb_u8.cols);
    return;
  }
  cv::Mat in_space;
  lookup_rows(match.in_space.rowRange(first, last), match.table, in_space);
  rgb_u8 = space_to_rgb_u8(in_space, match.space);
}

cv::Mat match_colors_u8(const cv::Mat& image_rgb, const ColorTemplate& reference) {
  const SpaceMatch8 match = space_match_u8(image_rgb, reference);
  cv::Mat out;
  if (!match.lab_to_rgb) {  // cv::cvtColor back, parallel inside
    matched_rows_u8(match, 0, image_rgb.rows, out);
    return out;
  }
  out.create(image_rgb.size(), CV_8UC3);  // LabToRgbU8 is serial: blocks of rows in parallel
  cv::parallel_for_(
      cv::Range(0, image_rgb.rows),
      [&](const cv::Range& rows) {
        cv::Mat block = out.rowRange(rows.start, rows.end);  // filled in place (same size and type)
        matched_rows_u8(match, rows.start, rows.end, block);
      },
      row_block_stripes(image_rgb.rows));
  return out;
}

cv::Mat match_colors(const cv::Mat& image_rgb, const ColorTemplate& reference, double strength,
                     const HistogramMatchOptions& matching) {
  require_float_rgb(image_rgb, "match_colors");
  if (!(strength >= 0.0 && strength <= 1.0))
    throw ConfigError("colour match strength: expected a value in [0,1], got " + std::to_string(strength));
  if (reference.depth == ColorDepth::EightBit && matching.source_bins != 0)
    throw ConfigError("colour matching: expected source_bins 0 with 8-bit matching (binned matching is a float-depth "
                      "option), got " + std::to_string(matching.source_bins));
  if (reference.space == ColorSpace::None || strength == 0.0) return image_rgb.clone();
  cv::Mat matched;
  if (reference.depth == ColorDepth::EightBit)
    match_colors_u8(image_rgb, reference).convertTo(matched, CV_32F);
  else
    matched = space_to_rgb(match_histograms(rgb_to_space(image_rgb, reference.space), reference.histograms, matching),
                           reference.space);
  if (strength == 1.0) return matched;
  cv::Mat blended;
  cv::addWeighted(image_rgb, 1.0 - strength, matched, strength, 0.0, blended);
  return blended;
}

cv::Mat match_colors(const cv::Mat& image_rgb, const cv::Mat& reference_rgb, ColorSpace space, double strength,
                     const HistogramMatchOptions& matching, ColorDepth depth) {
  return match_colors(image_rgb, make_color_template(reference_rgb, space, depth), strength, matching);
}

}  // namespace k3::ops
