// Schedule curve plot with OpenCV: axes, min/max labels, the curve, keyframe dots.
#include "cli/schedule_plot.h"

#include "base/errors.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace k3::cli {

namespace {

std::string label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

}  // namespace

void write_schedule_plot(const SchedulePlot& plot, const std::string& path) {
  if (plot.values.empty()) throw k3::ConfigError("plot: expected at least one value, got none");
  const int w = std::max(plot.width, 200), h = std::max(plot.height, 150);
  const int left = 90, right = 20, top = 40, bottom = 50;
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(255, 255, 255));

  double lo = *std::min_element(plot.values.begin(), plot.values.end());
  double hi = *std::max_element(plot.values.begin(), plot.values.end());
  if (hi - lo < 1e-12 * std::max(1.0, std::fabs(hi))) {  // a flat line: give it some room
    const double pad = std::max(std::fabs(hi) * 0.1, 1e-3);
    lo -= pad;
    hi += pad;
  }
  const int n = static_cast<int>(plot.values.size());
  const double plot_w = w - left - right, plot_h = h - top - bottom;
  auto x_of = [&](double frame) { return left + (n > 1 ? frame / (n - 1) : 0.5) * plot_w; };
  auto y_of = [&](double v) { return top + (hi - v) / (hi - lo) * plot_h; };
  const auto font = cv::FONT_HERSHEY_SIMPLEX;
  const cv::Scalar axis(80, 80, 80), grid(225, 225, 225), curve(200, 90, 20), key(30, 30, 220);

  for (int i = 0; i <= 4; ++i) {  // horizontal grid with value labels
    const double v = lo + (hi - lo) * i / 4.0;
    const int y = static_cast<int>(std::lround(y_of(v)));
    cv::line(img, {left, y}, {w - right, y}, grid, 1);
    cv::putText(img, label(v), {4, y + 5}, font, 0.4, axis, 1, cv::LINE_AA);
  }
  for (int i = 0; i <= 4; ++i) {  // vertical grid with frame labels
    const int frame = static_cast<int>(std::lround((n - 1) * i / 4.0));
    const int x = static_cast<int>(std::lround(x_of(frame)));
    cv::line(img, {x, top}, {x, h - bottom}, grid, 1);
    cv::putText(img, std::to_string(frame), {x - 8, h - bottom + 18}, font, 0.4, axis, 1, cv::LINE_AA);
  }
  cv::rectangle(img, {left, top}, {w - right, h - bottom}, axis, 1);
  cv::putText(img, "frame", {w / 2 - 20, h - 10}, font, 0.45, axis, 1, cv::LINE_AA);
  std::string title = plot.title.size() > 110 ? plot.title.substr(0, 107) + "..." : plot.title;
  cv::putText(img, title, {left, 24}, font, 0.45, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);

  std::vector<cv::Point> points;
  points.reserve(plot.values.size());
  for (int f = 0; f < n; ++f)
    points.emplace_back(static_cast<int>(std::lround(x_of(f))),
                        static_cast<int>(std::lround(y_of(plot.values[static_cast<std::size_t>(f)]))));
  cv::polylines(img, points, false, curve, 2, cv::LINE_AA);
  for (int f : plot.keyframes)
    if (f >= 0 && f < n) cv::circle(img, points[static_cast<std::size_t>(f)], 4, key, cv::FILLED, cv::LINE_AA);

  bool ok = false;
  try {
    ok = cv::imwrite(path, img);
  } catch (const cv::Exception& e) {
    throw k3::FileError("plot: cannot write '" + path + "': " + e.what());
  }
  if (!ok) throw k3::FileError("plot: cannot write '" + path + "' (expected a writable .png path)");
}

}  // namespace k3::cli
