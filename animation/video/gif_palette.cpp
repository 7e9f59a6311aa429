// Median cut palette and ordered dithering, after FFmpeg's libavfilter vf_palettegen.c and
// vf_paletteuse.c (the method; the code is our own).
#include "animation/video/gif_palette.h"

#include <algorithm>
#include <limits>

namespace k3::video {

namespace {
constexpr int kHistBits = 5;
constexpr int kMapBits = 6;

int hist_key(int r, int g, int b) {
  return ((r >> (8 - kHistBits)) << (2 * kHistBits)) | ((g >> (8 - kHistBits)) << kHistBits) | (b >> (8 - kHistBits));
}

// A box of histogram bins, split along its widest channel at the pixel-weighted median.
struct Box {
  std::vector<int> bins;
  uint64_t pixels = 0;
  int lo[3] = {255, 255, 255};
  int hi[3] = {0, 0, 0};
  int widest() const {
    int best = 0;
    for (int c = 1; c < 3; ++c)
      if (hi[c] - lo[c] > hi[best] - lo[best]) best = c;
    return best;
  }
  int width() const { return hi[widest()] - lo[widest()]; }
};

// 4x4 Bayer matrix, values 0..15.
constexpr int kBayer[4][4] = {{0, 8, 2, 10}, {12, 4, 14, 6}, {3, 11, 1, 9}, {15, 7, 13, 5}};
}  // namespace

GifPalette::GifPalette() : histogram_(1u << (3 * kHistBits)) {}

void GifPalette::add(const cv::Mat& rgb8) {
  for (int y = 0; y < rgb8.rows; ++y) {
    const uint8_t* p = rgb8.ptr<uint8_t>(y);
    for (int x = 0; x < rgb8.cols; ++x, p += 3) {
      Bin& bin = histogram_[hist_key(p[0], p[1], p[2])];
      ++bin.count;
      bin.sum[0] += p[0];
      bin.sum[1] += p[1];
      bin.sum[2] += p[2];
    }
  }
}

void GifPalette::build(int max_colours) {
  auto mean_of = [&](int key, int c) { return static_cast<int>(histogram_[key].sum[c] / histogram_[key].count); };
  auto make_box = [&](std::vector<int> bins) {
    Box box;
    box.bins = std::move(bins);
    for (int key : box.bins) {
      box.pixels += histogram_[key].count;
      for (int c = 0; c < 3; ++c) {
        box.lo[c] = std::min(box.lo[c], mean_of(key, c));
        box.hi[c] = std::max(box.hi[c], mean_of(key, c));
      }
    }
    return box;
  };
  std::vector<int> used;
  for (int key = 0; key < static_cast<int>(histogram_.size()); ++key)
    if (histogram_[key].count) used.push_back(key);
  std::vector<Box> boxes;
  if (!used.empty()) boxes.push_back(make_box(std::move(used)));
  while (static_cast<int>(boxes.size()) < max_colours) {
    // Split the box whose colours spread furthest, weighted by how many pixels it covers.
    int pick = -1;
    double best = 0;
    for (int i = 0; i < static_cast<int>(boxes.size()); ++i) {
      if (boxes[i].bins.size() < 2) continue;
      const double score = static_cast<double>(boxes[i].width()) * static_cast<double>(boxes[i].pixels);
      if (score > best) best = score, pick = i;
    }
    if (pick < 0) break;  // every box holds one colour already
    Box box = std::move(boxes[pick]);
    const int c = box.widest();
    std::sort(box.bins.begin(), box.bins.end(), [&](int a, int b) { return mean_of(a, c) < mean_of(b, c); });
    uint64_t half = box.pixels / 2, running = 0;
    std::size_t cut = 1;
    for (; cut < box.bins.size() - 1; ++cut) {
      running += histogram_[box.bins[cut - 1]].count;
      if (running >= half) break;
    }
    boxes[pick] = make_box(std::vector<int>(box.bins.begin(), box.bins.begin() + static_cast<std::ptrdiff_t>(cut)));
    boxes.push_back(make_box(std::vector<int>(box.bins.begin() + static_cast<std::ptrdiff_t>(cut), box.bins.end())));
  }

  colours_.clear();
  int widest_box = 0;
  for (const Box& box : boxes) {
    uint64_t sum[3] = {0, 0, 0};
    for (int key : box.bins)
      for (int c = 0; c < 3; ++c) sum[c] += histogram_[key].sum[c];
    std::array<uint8_t, 3> colour{};
    for (int c = 0; c < 3; ++c) colour[c] = static_cast<uint8_t>((sum[c] + box.pixels / 2) / box.pixels);
    colours_.push_back(colour);
    widest_box = std::max(widest_box, box.width());
  }
  if (colours_.empty()) colours_.push_back({0, 0, 0});
  // Dither only as much as the palette is coarse: none for images with few colours.
  dither_amplitude_ = std::min(widest_box, 16);

  const int levels = 1 << kMapBits;
  nearest_.assign(static_cast<std::size_t>(levels) * levels * levels, 0);
  for (int r = 0; r < levels; ++r)
    for (int g = 0; g < levels; ++g)
      for (int b = 0; b < levels; ++b) {
        const int centre[3] = {(r << (8 - kMapBits)) + 2, (g << (8 - kMapBits)) + 2, (b << (8 - kMapBits)) + 2};
        int best_index = 0, best_distance = std::numeric_limits<int>::max();
        for (int i = 0; i < static_cast<int>(colours_.size()); ++i) {
          int distance = 0;
          for (int c = 0; c < 3; ++c) distance += (centre[c] - colours_[i][c]) * (centre[c] - colours_[i][c]);
          if (distance < best_distance) best_distance = distance, best_index = i;
        }
        nearest_[(r * levels + g) * levels + b] = static_cast<uint8_t>(best_index);
      }
}

void GifPalette::map(const cv::Mat& rgb8, uint8_t* indices, int linesize) const {
  const int levels = 1 << kMapBits;
  for (int y = 0; y < rgb8.rows; ++y) {
    const uint8_t* p = rgb8.ptr<uint8_t>(y);
    uint8_t* out = indices + static_cast<std::ptrdiff_t>(y) * linesize;
    for (int x = 0; x < rgb8.cols; ++x, p += 3) {
      const int offset = (kBayer[y & 3][x & 3] * 2 - 15) * dither_amplitude_ / 32;  // about +-amplitude/2
      int q[3];
      for (int c = 0; c < 3; ++c) q[c] = std::clamp(p[c] + offset, 0, 255) >> (8 - kMapBits);
      out[x] = nearest_[(q[0] * levels + q[1]) * levels + q[2]];
    }
  }
}

}  // namespace k3::video
