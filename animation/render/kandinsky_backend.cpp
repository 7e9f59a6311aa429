// The Kandinsky 3 backend: frame 0 by text-to-image (or image-to-image from the init image),
// every diffused frame by image-to-image at its denoise, steps, guidance, seed and prompt.
#include "animation/ops/image_convert.h"
#include "animation/render/frame_backend.h"
#include "animation/render/model_canvas.h"
#include "src/public/generator.h"

#include <opencv2/imgproc.hpp>

#include <filesystem>

namespace k3::anim {

namespace {

// The model's picture, diffused on the canvas of model_canvas.h, cropped back to the frame
// (inpainting already returns the frame's size).
cv::Mat at_size(const ImageRGB8& image, int width, int height) {
  cv::Mat rgb = ops::to_float_rgb(image);
  if (rgb.cols == width && rgb.rows == height) return rgb;
  return crop_from_model_canvas(rgb, width, height);
}

// The run folder's prompt embeddings (written before the first frame, read on --resume).
constexpr const char* kPromptCacheFile = "prompt_embeddings.safetensors";
int model_size(int pixels) { return model_canvas_size(pixels); }

GenerationRequest to_generation_request(const DiffusionRequest& r) {
  GenerationRequest g;
  g.prompt = r.prompt;
  for (const auto& [text, weight] : r.parts) g.composable.push_back({text, weight});
  g.negative_prompt = r.negative;
  g.width = model_size(r.width);
  g.height = model_size(r.height);
  g.steps = r.steps;
  g.guidance = r.guidance;
  g.seed = r.seed;
  g.denoise = r.denoise;
  return g;
}

class KandinskyBackend final : public FrameBackend {
 public:
  explicit KandinskyBackend(const GeneratorOptions& options) : generator_(Generator::load(options)) {}
  std::string name() const override { return "kandinsky3"; }

  cv::Mat first_frame(const cv::Mat& init, const DiffusionRequest& request, const StepProgress& progress) override {
    if (init.empty() || request.denoise >= 1.0)
      return at_size(generator_->text_to_image(to_generation_request(request), progress), request.width, request.height);
    return next_frame(init, request, progress);
  }

  cv::Mat next_frame(const cv::Mat& init, const DiffusionRequest& request, const StepProgress& progress) override {
    ImageRGB8 image = ops::to_image_rgb8(pad_to_model_canvas(init));
    return at_size(generator_->image_to_image(image, to_generation_request(request), progress), request.width, request.height);
  }

  cv::Mat outpaint(const cv::Mat& canvas, const cv::Mat& mask, const DiffusionRequest& request,
                   const StepProgress& progress) override {
    // Generator::inpaint: white = repaint; 4-channel models blend the kept latents each step.
    cv::Mat mask_rgb;
    cv::cvtColor(mask, mask_rgb, cv::COLOR_GRAY2RGB);
    ImageRGB8 painted = generator_->inpaint(ops::to_image_rgb8(canvas), ops::to_image_rgb8(mask_rgb),
                                            to_generation_request(request), progress);
    return at_size(painted, request.width, request.height);
  }

  void prepare(const std::vector<std::string>& prompts, const std::string& run_dir) override {
    const std::string cache = run_dir.empty() ? std::string() : run_dir + "/" + kPromptCacheFile;
    if (!cache.empty() && std::filesystem::exists(cache)) generator_->load_prompt_embeddings(cache);
    generator_->precompute_prompts(prompts);
    generator_->release_text_encoder();
    if (!cache.empty()) generator_->save_prompt_embeddings(cache, prompts);
  }

 private:
  std::unique_ptr<Generator> generator_;
};

}  // namespace

std::unique_ptr<FrameBackend> make_kandinsky_backend(const GeneratorOptions& options) {
  return std::make_unique<KandinskyBackend>(options);
}

}  // namespace k3::anim
