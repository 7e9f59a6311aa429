// `k3anim depth --model DIR IMAGE -o depth.png`: the depth of one picture, written as the
// transformers depth-estimation pipeline writes it (8-bit grey, depth * 255 / max: bright = near).
#include "cli/command.h"
#include "depth/depth_estimator.h"
#include "base/errors.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <iostream>

namespace {

struct DepthOptions {
  std::string model;
  std::string image;
  std::string output;
  std::string device = "cpu";
  std::string dtype = "fp32";
};

k3::cli::RegisterCommand registration("depth", [](CLI::App& app) -> std::function<int()> {
  auto o = std::make_shared<DepthOptions>();
  auto* sub = app.add_subcommand("depth", "Predict the depth of one picture (Depth Anything V1/V2 or DPT / MiDaS 3.0 folder)");
  sub->add_option("--model", o->model, "depth model folder (config.json, preprocessor_config.json, model.safetensors)")
      ->required();
  sub->add_option("image", o->image, "picture to estimate (PNG, JPEG, ...)")->required();
  sub->add_option("-o,--output", o->output, "8-bit grey PNG of the relative inverse depth (bright = near)")->required();
  sub->add_option("--device", o->device, "cpu, cuda or cuda:N");
  sub->add_option("--dtype", o->dtype, "fp32, bf16 or fp16 (CUDA only)");
  return [o] {
    cv::Mat bgr = cv::imread(o->image, cv::IMREAD_COLOR);
    if (bgr.empty()) throw k3::FileError(o->image + ": expected a readable picture, got none");
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    k3::ImageRGB8 picture{rgb.cols, rgb.rows, std::vector<std::uint8_t>(rgb.data, rgb.data + rgb.total() * 3)};
    const auto estimator = k3::depth::DepthEstimator::load(o->model, {o->device, o->dtype});
    const bool quiet = k3::cli::global_options().quiet;
    for (const auto& warning : estimator.warnings()) std::cerr << "k3anim: warning: " << warning << "\n";
    const auto start = std::chrono::steady_clock::now();
    const auto depth = estimator.predict(picture);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto bytes = k3::depth::depth_to_uint8(depth);
    cv::Mat grey(depth.height, depth.width, CV_8UC1, bytes.data());
    if (!cv::imwrite(o->output, grey)) throw k3::FileError(o->output + ": expected a writable picture file, got a write failure");
    if (!quiet)
      std::cerr << "k3anim: depth of " << picture.width << "x" << picture.height << " (" << estimator.model_type() << ", "
                << estimator.parameter_count() << " parameters) in " << seconds << " s -> " << o->output << "\n";
    return 0;
  };
});

}  // namespace
