#pragma once
// Frames whose size the model does not take (not a multiple of 64: MoVQ x8 times the UNet's
// x8) are diffused on a canvas of the next multiple up: the frame in its middle, the margin
// filled by replicating its edges, and the result cropped back to the same pixels. No pixel is
// resampled, so a frame's output feeds the next frame's input without blurring over time.
#include <opencv2/core.hpp>

namespace k3::anim {

constexpr int kModelSizeMultiple = 64;
int model_canvas_size(int pixels);  // the next multiple of 64 at or above `pixels`

struct CanvasPlacement {
  int width = 0, height = 0;  // the canvas
  cv::Rect frame;             // where the frame sits on it
};
CanvasPlacement canvas_placement(int width, int height);

// The frame in the middle of its canvas, edges replicated (the frame itself when it fits).
cv::Mat pad_to_model_canvas(const cv::Mat& frame);
// The frame's pixels out of a canvas made for a width x height frame (a deep copy).
cv::Mat crop_from_model_canvas(const cv::Mat& canvas, int width, int height);

}  // namespace k3::anim
