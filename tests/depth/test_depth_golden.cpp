// Parity of k3_depth with transformers 4.39.3 on the tiny depth models: preprocessing (size rule,
// PIL resize, pixel_values), every network stage from the stored pixel_values (teacher forcing),
// predicted_depth, the bicubic resize to the picture size and the pipeline's 8-bit picture.
// Cases come from depth-tiny-golden/meta.json and the tensor names of each golden file.
#include "depth/depth_estimator.h"
#include "depth/depth_model.h"
#include "depth/depth_processor.h"
#include "src/io/model_folder.h"
#include "tests/core/core_golden_support.h"
#include "tests/core/golden.h"
#include "tests/depth/depth_fixtures.h"

#include <catch2/catch.hpp>

#include <iostream>

using k3::test::core::fixture_tensors;

namespace {

void check_close(const std::string& what, const torch::Tensor& got, const torch::Tensor& want) {
  k3::golden::check_rel_l2("depth " + what, got, want, k3::golden::tolerance::component);
}

torch::Tensor u8_tensor(const k3::ImageRGB8& image) {
  return torch::from_blob(const_cast<std::uint8_t*>(image.pixels.data()), {image.height, image.width, 3}, torch::kUInt8)
      .to(torch::kLong);
}

k3::ImageRGB8 image_from(const torch::Tensor& hwc) {
  auto t = hwc.to(torch::kUInt8).contiguous();
  k3::ImageRGB8 out{static_cast<int>(t.size(1)), static_cast<int>(t.size(0)), {}};
  out.pixels.assign(t.data_ptr<std::uint8_t>(), t.data_ptr<std::uint8_t>() + t.numel());
  return out;
}

}  // namespace

TEST_CASE("depth goldens: size rule, PIL resize and pixel_values", "[golden]") {
  K3_REQUIRE_DEPTH_FIXTURES();
  const auto models = k3::test::depth::golden_models();
  REQUIRE(!models.empty());
  for (const auto& m : models) {
    const auto processor =
        k3::depth::ProcessorConfig::from_json(k3::read_json_file(m.dir + "/preprocessor_config.json"), m.dir);
    const auto golden = fixture_tensors(m.golden);
    for (const auto& picture : m.pictures) {
      const std::string what = m.name + " " + picture.name;
      INFO(what);
      const auto image = k3::test::depth::read_rgb_png(picture.file);
      const auto& want_resized = golden.at(picture.name + ".resized_uint8");
      const auto size = k3::depth::resize_output_size(image.height, image.width, processor);
      CHECK(size.height == want_resized.size(0));
      CHECK(size.width == want_resized.size(1));

      const auto processed = k3::depth::preprocess(image, processor);
      const auto got_resized = u8_tensor(processed.resized);
      REQUIRE(got_resized.sizes() == want_resized.sizes());
      const auto differing = (got_resized != want_resized).sum().item<int64_t>();
      const auto max_diff = (got_resized - want_resized).abs().max().item<int64_t>();
      std::cout << "depth " << what << " resized_uint8: " << differing << " of " << want_resized.numel()
                << " values differ, max difference " << max_diff << " (tolerance 0)\n";
      CHECK(differing == 0);

      // pixel_values from the stored 8-bit picture: exact up to float rounding.
      const auto& want_pixels = golden.at(picture.name + ".pixel_values");
      auto from_stored = k3::depth::normalize_pixels(image_from(want_resized), processor);
      auto got_pixels = torch::from_blob(from_stored.data(), want_pixels.sizes(), torch::kFloat32).clone();
      const double pixel_diff = (got_pixels - want_pixels).abs().max().item<double>();
      std::cout << "depth " << what << " pixel_values from resized_uint8: max abs difference " << pixel_diff
                << " (tolerance 0)\n";
      CHECK(pixel_diff == 0.0);
      auto full = torch::from_blob(const_cast<float*>(processed.pixels.data()), want_pixels.sizes(), torch::kFloat32);
      check_close(what + " pixel_values from the PNG", full, want_pixels);
    }
  }
}

TEST_CASE("depth goldens: every network stage from the stored pixel_values", "[golden]") {
  K3_REQUIRE_DEPTH_FIXTURES();
  torch::NoGradGuard no_grad;
  for (const auto& m : k3::test::depth::golden_models()) {
    auto loaded = k3::depth::load_depth_model(m.dir, torch::kCPU, torch::kFloat32);
    const auto golden = fixture_tensors(m.golden);
    for (const auto& picture : m.pictures) {
      const std::string prefix = picture.name + ".";
      k3::depth::DepthStages stages;
      auto predicted = loaded.model->forward(golden.at(prefix + "pixel_values"), &stages);
      std::map<std::string, torch::Tensor> got{{"position_embeddings", stages.position_embeddings},
                                               {"embeddings", stages.embeddings},
                                               {"head_conv1", stages.head_conv1},
                                               {"predicted_depth", predicted}};
      for (std::size_t j = 0; j < 4; ++j) {
        const auto index = std::to_string(j);
        got["backbone." + index] = stages.backbone[j];
        got["reassemble." + index] = stages.neck.reassemble[j];
        got["neck_convs." + index] = stages.neck.convs[j];
        got["fusion." + index] = stages.neck.fusion[j];
      }
      int compared = 0;
      for (const auto& [name, want] : golden) {
        if (name.rfind(prefix, 0) != 0) continue;
        const auto stage = name.substr(prefix.size());
        auto it = got.find(stage);
        if (it == got.end()) continue;  // preprocessing and post-processing tensors: other tests
        INFO(m.name << " " << name);
        check_close(m.name + " " + name, it->second, want);
        ++compared;
      }
      CHECK(compared == static_cast<int>(got.size()));
    }
  }
}

TEST_CASE("depth goldens: depth at the picture size and the pipeline's 8-bit picture", "[golden]") {
  K3_REQUIRE_DEPTH_FIXTURES();
  for (const auto& m : k3::test::depth::golden_models()) {
    const auto estimator = k3::depth::DepthEstimator::load(m.dir);
    const auto golden = fixture_tensors(m.golden);
    for (const auto& picture : m.pictures) {
      const std::string what = m.name + " " + picture.name;
      INFO(what);
      const auto image = k3::test::depth::read_rgb_png(picture.file);
      auto depth = estimator.predict(image);
      const auto& want = golden.at(picture.name + ".depth_resized");
      auto got = torch::from_blob(depth.values.data(), want.sizes(), torch::kFloat32).clone();
      check_close(what + " depth_resized (PNG -> processor -> model -> bicubic)", got, want);

      const auto& want_u8 = golden.at(picture.name + ".depth_uint8");
      auto bytes = k3::depth::depth_to_uint8(depth);
      auto got_u8 = torch::from_blob(bytes.data(), want_u8.sizes(), torch::kUInt8).to(torch::kLong);
      const auto max_diff = (got_u8 - want_u8).abs().max().item<int64_t>();
      const auto differing = (got_u8 != want_u8).sum().item<int64_t>();
      std::cout << "depth " << what << " depth_uint8: " << differing << " of " << want_u8.numel()
                << " values differ, max difference " << max_diff << " (tolerance 1: truncation at an integer)\n";
      CHECK(max_diff <= 1);
    }
  }
}
