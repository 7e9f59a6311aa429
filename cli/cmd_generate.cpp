// `k3anim generate`: one picture, text-to-image or (with --init) image-to-image, through the
// Generator facade. Follows diffusers pipelines/kandinsky3 (__call__ arguments and defaults).
#include "cli/command.h"
#include "base/byte_size.h"
#include "base/errors.h"
#include "src/public/generator.h"
#include "src/public/sampler_names.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cstring>
#include <iostream>

namespace {
struct GenerateOptions {
  k3::GeneratorOptions model;
  k3::GenerationRequest request;
  std::string init;
  std::string mask;
  std::vector<int> outpaint;
  std::string output;
  std::string memory_limit;
};

k3::ImageRGB8 read_rgb(const std::string& path, int width, int height, const char* option = "--init") {
  cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  if (bgr.empty()) throw k3::FileError(std::string(option) + ": expected a readable picture, got nothing from " + path);
  if (bgr.cols != width || bgr.rows != height) cv::resize(bgr, bgr, cv::Size(width, height), 0, 0, cv::INTER_AREA);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  k3::ImageRGB8 image{rgb.cols, rgb.rows, std::vector<uint8_t>(static_cast<size_t>(rgb.total()) * 3)};
  for (int y = 0; y < rgb.rows; ++y) std::memcpy(image.pixels.data() + static_cast<size_t>(y) * rgb.cols * 3, rgb.ptr(y), rgb.cols * 3);
  return image;
}

void write_rgb(const k3::ImageRGB8& image, const std::string& path) {
  cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.pixels.data()));
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  bool written = false;
  try {
    written = cv::imwrite(path, bgr);
  } catch (const cv::Exception& e) {
    throw k3::FileError("-o: cannot write " + path + ": " + e.what());
  }
  if (!written) throw k3::FileError("-o: expected a writable picture path (.png, .jpg), got " + path);
}

k3::cli::RegisterCommand registration("generate", [](CLI::App& app) -> std::function<int()> {
  auto o = std::make_shared<GenerateOptions>();
  o->request.steps = 25;  // diffusers' Kandinsky3Pipeline default
  auto* sub = app.add_subcommand("generate", "Generate one picture with Kandinsky 3 (text-to-image, or image-to-image with --init)");
  sub->add_option("--model", o->model.model_dir, "model folder (diffusers layout: model_index.json, unet/, movq/, ...)")
      ->required()->check(CLI::ExistingDirectory);
  sub->add_option("--prompt", o->request.prompt, "text prompt")->required();
  sub->add_option("--negative", o->request.negative_prompt, "negative prompt (default: none, as diffusers)");
  sub->add_option("-W,--width", o->request.width, "width in pixels (text-to-image; rounded up to 64 internally)")
      ->check(CLI::Range(64, 8192));
  sub->add_option("-H,--height", o->request.height, "height in pixels")->check(CLI::Range(64, 8192));
  sub->add_option("--steps", o->request.steps, "denoising steps (default 25)")->check(CLI::Range(1, 1000));
  sub->add_option("--guidance", o->request.guidance, "guidance g: eps = (g+1)*cond - g*uncond; <= 1 disables it (default 3)");
  sub->add_option("--seed", o->request.seed, "seed of the CPU random generator (default 0)");
  sub->add_option("--init", o->init, "init picture for image-to-image (resized to --width x --height when given)")
      ->check(CLI::ExistingFile);
  auto* denoise = sub->add_option("--denoise", o->request.denoise,
                                  "image-to-image: fraction of the schedule re-run, 0..1 (diffusers' strength; default 0.3)")
                      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--mask", o->mask, "inpainting: mask picture for --init, white = repaint (resized to the picture)")
      ->check(CLI::ExistingFile);
  sub->add_option("--mask-dilate", o->request.mask_dilation,
                  "grow the repainted region: passes of the original notebook's 5x5 dilation, 2 px each (default 0)")
      ->check(CLI::Range(0, 64));
  sub->add_option("--outpaint", o->outpaint, "outpainting of --init: LEFT,TOP,RIGHT,BOTTOM pixels to add and paint")
      ->delimiter(',')->expected(4);
  sub->add_option("--sampler", o->model.sampler,
                  "ddpm (default, as the checkpoint), ddim, original (ai-forever's sampler with dynamic "
                  "thresholding) or flash (Kandinsky 3.1 Flash: 4 steps, no guidance)")
      ->check(CLI::IsMember(k3::sampler_names()));
  sub->add_option("--eta", o->model.original_eta, "original sampler's eta (default 1)")->check(CLI::Range(0.0, 1.0));
  sub->add_option("--ddim-eta", o->model.ddim_eta, "DDIM eta (0 = deterministic)")->check(CLI::Range(0.0, 1.0));
  sub->add_option("--device", o->model.device, "cpu (default) or cuda[:N]");
  sub->add_option("--dtype", o->model.dtype,
                  "UNet and MoVQ: auto (default: fp32 on cpu, fp16 on cuda), fp32, bf16 or fp16 (fp16 needs cuda)")
      ->check(CLI::IsMember({"auto", "fp32", "bf16", "fp16"}));
  sub->add_option("--offload", o->model.offload, "CUDA: auto (default: none when all fits the GPU, else model, else sequential), none, model, sequential")
      ->check(CLI::IsMember({"auto", "none", "model", "sequential"}));
  sub->add_option("--memory-limit", o->memory_limit, "plan within this much memory, e.g. 16G (default: what is free)");
  sub->add_option("--variant", o->model.variant, "weight variant to prefer, e.g. fp16 (*.fp16.safetensors)");
  sub->add_option("-o,--output", o->output, "output picture (.png)")->required();
  auto* width_option = sub->get_option("--width");
  auto* height_option = sub->get_option("--height");
  return [o, denoise, width_option, height_option] {
    const bool quiet = k3::cli::global_options().quiet;
    const bool painting = !o->mask.empty() || !o->outpaint.empty();
    if (painting && o->init.empty())
      throw k3::ConfigError("--mask/--outpaint: expected together with --init (the picture to paint), got them alone");
    if (!o->mask.empty() && !o->outpaint.empty())
      throw k3::ConfigError("--mask and --outpaint: expected one of them, got both");
    if (painting && denoise->count() == 0) o->request.denoise = 1.0;  // the original inpainting starts from noise
    if (o->init.empty() && denoise->count() > 0)
      throw k3::ConfigError("--denoise: expected together with --init (image-to-image), got it alone");
    if (!o->init.empty() && !painting && denoise->count() == 0) o->request.denoise = 0.3;  // diffusers' img2img default strength
    const auto started = std::chrono::steady_clock::now();
    if (!o->init.empty()) {
      cv::Mat probe = cv::imread(o->init, cv::IMREAD_COLOR);
      if (probe.empty()) throw k3::FileError("--init: expected a readable picture, got nothing from " + o->init);
      // Without an explicit size the init picture keeps its own.
      if (width_option->count() == 0) o->request.width = probe.cols;
      if (height_option->count() == 0) o->request.height = probe.rows;
    }
    // The memory plan is checked for the largest picture this call makes.
    o->model.plan_width = o->request.width + (o->outpaint.size() == 4 ? o->outpaint[0] + o->outpaint[2] : 0);
    o->model.plan_height = o->request.height + (o->outpaint.size() == 4 ? o->outpaint[1] + o->outpaint[3] : 0);
    if (!o->memory_limit.empty()) o->model.memory_limit = k3::parse_bytes(o->memory_limit);
    o->model.on_message = [quiet](const std::string& message) {
      if (!quiet) std::cerr << message << "\n";
    };
    if (!quiet) std::cerr << "model " << o->model.model_dir << " (" << o->model.device << ", " << o->model.dtype << ")\n";
    auto generator = k3::Generator::load(o->model);
    if (!quiet) std::cerr << "memory plan: " << generator->memory_plan() << "\n";
    auto progress = [quiet](int step, int total) {
      if (!quiet) std::cerr << "\rstep " << step << "/" << total << std::flush;
      return true;
    };
    k3::ImageRGB8 image;
    if (o->init.empty()) {
      image = generator->text_to_image(o->request, progress);
    } else {
      const auto init = read_rgb(o->init, o->request.width, o->request.height);
      if (!o->mask.empty()) {
        image = generator->inpaint(init, read_rgb(o->mask, init.width, init.height, "--mask"), o->request, progress);
      } else if (!o->outpaint.empty()) {
        for (int margin : o->outpaint)
          if (margin < 0) throw k3::ConfigError("--outpaint: expected margins >= 0, got " + std::to_string(margin));
        image = generator->outpaint(init, o->outpaint[0], o->outpaint[1], o->outpaint[2], o->outpaint[3], o->request,
                                    progress);
      } else {
        image = generator->image_to_image(init, o->request, progress);
      }
    }
    write_rgb(image, o->output);
    if (!quiet) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      std::cerr << "\nwrote " << o->output << " (" << image.width << "x" << image.height << ", " << seconds << " s)\n";
    }
    return 0;
  };
});
}  // namespace
