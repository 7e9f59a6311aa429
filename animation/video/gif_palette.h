#pragma once
// A global GIF palette computed from the colours of every frame by median cut (as FFmpeg's
// palettegen filter does), and the mapping of frames onto it with 4x4 ordered dithering
// (as paletteuse's "bayer" mode; ordered dither stays still from frame to frame, unlike
// error diffusion, so static areas do not crawl).
#include <opencv2/core.hpp>

#include <array>
#include <cstdint>
#include <vector>

namespace k3::video {

class GifPalette {
 public:
  GifPalette();
  // Counts the colours of an RGB CV_8UC3 frame.
  void add(const cv::Mat& rgb8);
  // Splits the colour histogram into at most max_colours boxes; each box's mean is a colour.
  void build(int max_colours = 256);
  const std::vector<std::array<uint8_t, 3>>& colours() const { return colours_; }
  // Writes palette indices for an RGB frame (rows of `linesize` bytes) with ordered dithering.
  void map(const cv::Mat& rgb8, uint8_t* indices, int linesize) const;

 private:
  struct Bin {
    uint64_t count = 0;
    uint64_t sum[3] = {0, 0, 0};
  };
  std::vector<Bin> histogram_;             // 5 bits per channel: 32768 bins
  std::vector<std::array<uint8_t, 3>> colours_;
  std::vector<uint8_t> nearest_;           // 6 bits per channel: nearest palette index
  int dither_amplitude_ = 0;
};

}  // namespace k3::video
