// The fused pre-diffusion chain (animation/ops/init_chain.h) against the separate operations.
#include <catch2/catch.hpp>

#include "animation/ops/contrast.h"
#include "animation/ops/grayscale.h"
#include "animation/ops/init_chain.h"
#include "frame_test_images.h"
#include "base/errors.h"

using namespace k3::ops;

namespace {

cv::Mat one_by_one(const cv::Mat& image, const InitChain& s) {
  cv::Mat m = s.colors ? match_colors(image, *s.colors) : image.clone();
  if (s.grayscale) m = grey_as_opencv(m);
  if (s.contrast != 1.0) m = apply_contrast(m, s.contrast);
  if (s.anti_blur.amount > 0) m = anti_blur(m, s.anti_blur);
  if (s.noise.amount > 0) m = add_noise(m, s.noise);
  return m;
}

}  // namespace

TEST_CASE("the fused init chain equals the operations one after another", "[unit]") {
  const cv::Mat image = k3::test::smooth_test_image(83, 57) * 0.8 + k3::test::random_test_image(83, 57, 31) * 0.2;
  const cv::Mat reference = k3::test::random_test_image(83, 57, 32) * 0.5 + 60.0;
  const ColorTemplate lab = make_color_template(reference, ColorSpace::LAB);
  const ColorTemplate hsv_float = make_color_template(reference, ColorSpace::HSV, ColorDepth::Float);
  for (const ColorTemplate* colors : {static_cast<const ColorTemplate*>(nullptr), &lab, &hsv_float}) {
    for (double contrast : {1.0, 0.9, 1.3}) {
      for (double blur : {0.0, 0.4}) {
        for (double threshold : {0.0, 3.0}) {
          for (double noise : {0.0, 0.065}) {
           for (bool grayscale : {false, true}) {
            InitChain steps;
            steps.colors = colors;
            steps.contrast = contrast;
            steps.anti_blur = AntiBlur{5, 1.0, blur, threshold};
            steps.noise.amount = noise;
            steps.noise.seed = 17;
            steps.grayscale = grayscale;
            const cv::Mat fused = prepare_init_frame(image, steps);
            const cv::Mat want = one_by_one(image, steps);
            const double error = cv::norm(fused, want, cv::NORM_INF);
            INFO("colours " << (colors ? to_string(colors->space) : "none") << " contrast " << contrast << " blur "
                            << blur << " threshold " << threshold << " noise " << noise << " grey " << grayscale
                            << ": max difference "
                            << error);
            REQUIRE(fused.type() == CV_32FC3);
            CHECK(error < 1e-3);
           }
          }
        }
      }
    }
  }
}

TEST_CASE("the fused init chain's blur equals cv::GaussianBlur at every kernel size and at the borders", "[unit]") {
  // The fused pass filters rows itself (taps unrolled for kernels 3, 5, 7; a generic loop for
  // others) with OpenCV's reflect-101 border: images narrower or shorter than the kernel too.
  const cv::Mat reference = k3::test::random_test_image(23, 19, 41) * 0.5 + 60.0;
  const ColorTemplate lab = make_color_template(reference, ColorSpace::LAB);
  // 41x150 is split into several blocks of rows (row_loops.h), whose margins are read twice.
  for (const cv::Size size : {cv::Size(1, 1), cv::Size(2, 3), cv::Size(7, 1), cv::Size(1, 9), cv::Size(4, 4),
                              cv::Size(61, 37), cv::Size(41, 150)}) {
    const cv::Mat image = k3::test::random_test_image(size.width, size.height, 43);
    for (int kernel : {1, 3, 5, 7, 9}) {
      for (double sigma : {1.0, 0.0}) {
        for (const ColorTemplate* colors : {static_cast<const ColorTemplate*>(nullptr), &lab}) {
          for (double contrast : {1.0, 1.3}) {
            InitChain steps;
            steps.colors = colors;
            steps.contrast = contrast;
            steps.anti_blur = AntiBlur{kernel, sigma, 0.6, kernel == 3 ? 2.0 : 0.0};
            steps.noise.amount = 0.065;
            steps.noise.seed = 5;
            const double error = cv::norm(prepare_init_frame(image, steps), one_by_one(image, steps), cv::NORM_INF);
            INFO(size.width << "x" << size.height << " kernel " << kernel << " sigma " << sigma << " colours "
                            << (colors ? "LAB" : "none") << " contrast " << contrast << ": max difference " << error);
            CHECK(error < 1e-3);
          }
        }
      }
    }
  }
}

TEST_CASE("the fused init chain checks its settings like the operations", "[unit]") {
  const cv::Mat image = k3::test::smooth_test_image(16, 16);
  InitChain steps;
  steps.contrast = -1.0;
  CHECK_THROWS_WITH(prepare_init_frame(image, steps), Catch::Contains("contrast") && Catch::Contains("-1"));
  steps.contrast = 1.0;
  steps.anti_blur.kernel = 4;
  steps.anti_blur.amount = 0.1;
  CHECK_THROWS_WITH(prepare_init_frame(image, steps), Catch::Contains("kernel") && Catch::Contains("4"));
  steps.anti_blur.kernel = 5;
  steps.noise.amount = 2.0;
  CHECK_THROWS_WITH(prepare_init_frame(image, steps), Catch::Contains("noise amount"));
  CHECK_THROWS_AS(prepare_init_frame(cv::Mat(4, 4, CV_8UC3), InitChain{}), k3::ConfigError);
}
