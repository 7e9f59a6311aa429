#pragma once
// A plain 8-bit RGB image: how pictures cross the boundary between k3_core (torch) and the
// animation code (OpenCV) without either library's types leaking into the other.
#include <cstdint>
#include <vector>

namespace k3 {

struct ImageRGB8 {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  // row-major, height x width x 3, RGB order

  bool empty() const { return width == 0 || height == 0; }
};

}  // namespace k3
