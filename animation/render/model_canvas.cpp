#include "animation/render/model_canvas.h"

#include "base/errors.h"

#include <opencv2/core.hpp>

#include <string>

namespace k3::anim {

int model_canvas_size(int pixels) { return (pixels + kModelSizeMultiple - 1) / kModelSizeMultiple * kModelSizeMultiple; }

CanvasPlacement canvas_placement(int width, int height) {
  CanvasPlacement p;
  p.width = model_canvas_size(width);
  p.height = model_canvas_size(height);
  p.frame = cv::Rect((p.width - width) / 2, (p.height - height) / 2, width, height);
  return p;
}

cv::Mat pad_to_model_canvas(const cv::Mat& frame) {
  const CanvasPlacement p = canvas_placement(frame.cols, frame.rows);
  if (p.width == frame.cols && p.height == frame.rows) return frame;
  cv::Mat canvas;
  cv::copyMakeBorder(frame, canvas, p.frame.y, p.height - p.frame.br().y, p.frame.x, p.width - p.frame.br().x,
                     cv::BORDER_REPLICATE);
  return canvas;
}

cv::Mat crop_from_model_canvas(const cv::Mat& canvas, int width, int height) {
  const CanvasPlacement p = canvas_placement(width, height);
  if (canvas.cols != p.width || canvas.rows != p.height)
    throw Error("model canvas: expected " + std::to_string(p.width) + "x" + std::to_string(p.height) + " for a " +
                std::to_string(width) + "x" + std::to_string(height) + " frame, got " + std::to_string(canvas.cols) + "x" +
                std::to_string(canvas.rows));
  return canvas(p.frame).clone();
}

}  // namespace k3::anim
