// The Kandinsky 3 backend: frame 0 by text-to-image (or image-to-image from the init image),
// every diffused frame by image-to-image at its denoise, steps, guidance, seed and prompt.
#include "animation/ops/image_convert.h"
#include "animation/render/frame_backend.h"
#include "src/public/generator.h"

#include <opencv2/imgproc.hpp>

#include <filesystem>

namespace k3::anim {

namespace {

// The run folder's prompt embeddings (written before the first frame, read on --resume).
constexpr const char* kPromptCacheFile = "prompt_embeddings.safetensors";

GenerationRequest to_generation_request(const DiffusionRequest& r) {
  GenerationRequest g;
  g.prompt = r.prompt;
  for (const auto& [text, weight] : r.parts) g.composable.push_back({text, weight});
  g.negative_prompt = r.negative;
  // Any size: the Generator works other sizes than its size_multiple() on its model canvas
  // (src/public/model_canvas.h) and returns the frame's own pixels.
  g.width = r.width;
  g.height = r.height;
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
  int size_multiple() const override { return generator_->size_multiple(); }

  cv::Mat first_frame(const cv::Mat& init, const DiffusionRequest& request, const StepProgress& progress) override {
    if (init.empty() || request.denoise >= 1.0)
      return ops::to_float_rgb(generator_->text_to_image(to_generation_request(request), progress));
    return next_frame(init, request, progress);
  }

  cv::Mat next_frame(const cv::Mat& init, const DiffusionRequest& request, const StepProgress& progress) override {
    return ops::to_float_rgb(generator_->image_to_image(ops::to_image_rgb8(init), to_generation_request(request), progress));
  }

  cv::Mat outpaint(const cv::Mat& canvas, const cv::Mat& mask, const DiffusionRequest& request,
                   const StepProgress& progress) override {
    // Generator::inpaint: white = repaint; 4-channel models blend the kept latents each step.
    cv::Mat mask_rgb;
    cv::cvtColor(mask, mask_rgb, cv::COLOR_GRAY2RGB);
    ImageRGB8 painted = generator_->inpaint(ops::to_image_rgb8(canvas), ops::to_image_rgb8(mask_rgb),
                                            to_generation_request(request), progress);
    return ops::to_float_rgb(painted);
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
