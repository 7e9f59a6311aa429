#pragma once
// Draws a schedule's per-frame values as a PNG (for `k3anim schedule --plot`).
#include <string>
#include <vector>

namespace k3::cli {

struct SchedulePlot {
  std::string title;
  std::vector<double> values;     // one per frame
  std::vector<int> keyframes;     // frames marked with a dot
  int width = 960;
  int height = 480;
};

// Writes the plot to `path` (PNG). Throws k3::FileError when the file cannot be written.
void write_schedule_plot(const SchedulePlot& plot, const std::string& path);

}  // namespace k3::cli
