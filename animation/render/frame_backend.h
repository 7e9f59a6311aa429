#pragma once
// What makes a diffused frame from its prepared init: the Kandinsky 3 model, or the preview
// backend that checks camera motion without one. The render loop knows only this interface.
#include "base/progress.h"
#include <opencv2/core.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace k3 {
struct GeneratorOptions;
}

namespace k3::anim {

struct DiffusionRequest {
  int frame = 0;
  std::string prompt;  // with `parts`: the part of the largest weight (for labels)
  // Composable conditions (text, weight); empty = `prompt` alone. The model combines them in
  // the guidance step; the preview shows the motion only.
  std::vector<std::pair<std::string, double>> parts;
  std::string negative;
  int width = 512;
  int height = 512;
  int steps = 25;
  double guidance = 3;
  double denoise = 1;
  std::uint64_t seed = 0;
};

// Per-step progress; return false to cancel (the backend then throws k3::Cancelled).
using StepProgress = StepCallback;

class FrameBackend {
 public:
  virtual ~FrameBackend() = default;
  virtual std::string name() const = 0;
  // The picture size multiple of the backend's model (src/public/model_canvas.h: 64 for
  // Kandinsky 3); 0 for a backend that diffuses nothing (the preview).
  virtual int size_multiple() const { return 0; }
  // Frame 0: from `init` (CV_32FC3 RGB, already the output size) when it is not empty,
  // re-running request.denoise of the schedule; else from the prompt alone.
  virtual cv::Mat first_frame(const cv::Mat& init, const DiffusionRequest& request, const StepProgress& progress) = 0;
  // A diffused frame from its prepared init (warped, colour-matched, sharpened, noised).
  virtual cv::Mat next_frame(const cv::Mat& init, const DiffusionRequest& request, const StepProgress& progress) = 0;
  // Zoom clips: repaints `canvas` (CV_32FC3 RGB, the output size, its ring pre-filled) where
  // `mask` (CV_8U) is 255 and keeps the rest as well as the backend can; request.denoise is the
  // fraction re-run. The caller joins the result with the kept picture at the seam.
  virtual cv::Mat outpaint(const cv::Mat& canvas, const cv::Mat& mask, const DiffusionRequest& request,
                           const StepProgress& progress) = 0;
  // Called once before the first frame with every prompt the run will use, and its run folder
  // ("" = none): the model encodes them all now (reusing the run folder's saved embeddings, and
  // saving them there), so that the text encoder is released before the UNet is loaded and a
  // resumed run never needs it again.
  virtual void prepare(const std::vector<std::string>& prompts, const std::string& run_dir) {
    (void)prompts;
    (void)run_dir;
  }
};

// No model: frame 0 is the init image (resized by the caller) or a generated test pattern,
// and each diffused frame is its init unchanged, so the clip shows exactly the motion,
// colour and noise operations. Outpainting mirrors the kept picture into the ring and blurs it.
std::unique_ptr<FrameBackend> make_preview_backend();

// Kandinsky 3 through k3::Generator (loads the model now; throws its errors).
std::unique_ptr<FrameBackend> make_kandinsky_backend(const GeneratorOptions& options);

// The preview's frame 0 without an init image: a colourful pattern with shapes and a grid, so
// that zoom, rotation and translation are easy to see. CV_32FC3 RGB [0,255], deterministic.
cv::Mat make_test_pattern(int width, int height);

}  // namespace k3::anim
