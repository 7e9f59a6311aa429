#include <cmath>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "animation/ops/gaussian_table.h"
#include "animation/ops/noise.h"
#include "frame_test_images.h"
#include "base/errors.h"

using namespace k3::ops;

TEST_CASE("same seed gives the same noise, another seed another", "[unit]") {
  const cv::Mat image = k3::test::smooth_test_image(96, 64);
  NoiseOptions options;
  options.amount = 0.3;
  options.seed = 1234;
  for (NoiseType type : {NoiseType::Uniform, NoiseType::Perlin}) {
    options.type = type;
    INFO(to_string(type));
    const cv::Mat a = add_noise(image, options);
    const cv::Mat b = add_noise(image, options);
    CHECK(cv::norm(a, b, cv::NORM_INF) == 0.0);
    NoiseOptions other = options;
    other.seed = 1235;
    CHECK(cv::norm(a, add_noise(image, other), cv::NORM_INF) > 1.0);
  }
}

TEST_CASE("noise does not depend on the thread count", "[unit]") {
  NoiseOptions options;
  options.seed = 77;
  const int threads = cv::getNumThreads();
  const cv::Mat parallel = noise_field(cv::Size(64, 48), options);
  cv::setNumThreads(1);
  const cv::Mat serial = noise_field(cv::Size(64, 48), options);
  cv::setNumThreads(threads);
  CHECK(cv::norm(parallel, serial, cv::NORM_INF) == 0.0);
}

TEST_CASE("Perlin octave statistics: range, mean, zero at lattice points", "[unit]") {
  const cv::Size size(512, 256);
  PerlinOptions one;
  one.width_cells = 8;
  one.height_cells = 4;
  one.octaves = 1;
  const cv::Mat p = perlin_noise(size, one, 5);
  double lo, hi;
  cv::minMaxLoc(p, &lo, &hi);
  cv::Scalar mean, stddev;
  cv::meanStdDev(p, mean, stddev);
  INFO("one octave: min " << lo << " max " << hi << " mean " << mean[0] << " std " << stddev[0]);
  CHECK(lo >= -1.0);
  CHECK(hi <= 1.0);
  CHECK(hi - lo > 0.8);  // it is not flat
  CHECK(std::abs(mean[0]) < 0.1);
  CHECK(stddev[0] > 0.1);
  CHECK(stddev[0] < 0.6);
  // Lattice points (every 64 px here) are zeros of gradient noise.
  for (int r = 0; r < 256; r += 64)
    for (int c = 0; c < 512; c += 64) CHECK(std::abs(p.at<float>(r, c)) < 1e-6);

  PerlinOptions four;
  four.octaves = 4;
  four.persistence = 0.5;
  const cv::Mat q = perlin_noise(size, four, 5);
  cv::minMaxLoc(q, &lo, &hi);
  cv::meanStdDev(q, mean, stddev);
  INFO("four octaves: min " << lo << " max " << hi << " mean " << mean[0] << " std " << stddev[0]);
  CHECK(lo >= -1.875);
  CHECK(hi <= 1.875);
  CHECK(std::abs(mean[0]) < 0.1);
  CHECK_THROWS_AS(perlin_noise(size, PerlinOptions{8, 8, 0, 0.5}, 1), k3::ConfigError);
}

TEST_CASE("white noise is standard normal - Perlin modulates it by (P+1)/2", "[unit]") {
  NoiseOptions options;
  options.type = NoiseType::Uniform;
  options.seed = 3;
  const cv::Mat n = noise_field(cv::Size(256, 256), options);
  cv::Scalar mean, stddev;
  cv::meanStdDev(n.reshape(1), mean, stddev);
  INFO("white noise mean " << mean[0] << " std " << stddev[0]);
  CHECK(std::abs(mean[0]) < 0.01);
  CHECK(std::abs(stddev[0] - 1.0) < 0.01);
  options.type = NoiseType::Perlin;
  const cv::Mat modulated = noise_field(cv::Size(256, 256), options);
  const cv::Mat perlin = perlin_noise(cv::Size(256, 256), options.perlin, options.seed);
  double worst = 0.0;
  for (int r = 0; r < 256; r += 17)
    for (int c = 0; c < 256; c += 13)
      for (int ch = 0; ch < 3; ++ch)
        worst = std::max(worst, static_cast<double>(std::abs(modulated.at<cv::Vec3f>(r, c)[ch] -
                                                             n.at<cv::Vec3f>(r, c)[ch] * (perlin.at<float>(r, c) + 1.f) / 2.f)));
  CHECK(worst < 1e-5);
}

TEST_CASE("add_noise blends the grey-centred noise image as Deforum does", "[unit]") {
  const cv::Mat image = k3::test::smooth_test_image(64, 64);
  NoiseOptions options;
  options.amount = 0.065;
  options.seed = 42;
  const cv::Mat out = add_noise(image, options);
  const cv::Mat n = noise_field(image.size(), options);
  cv::Mat noise_image = n * 0.5 + cv::Scalar::all(0.5);
  cv::max(noise_image, 0.0, noise_image);
  cv::min(noise_image, 1.0, noise_image);
  noise_image *= 255.0;
  const cv::Mat expected = image * (1.0 - 0.065) + noise_image * 0.065;
  CHECK(cv::norm(out, expected, cv::NORM_INF) < 1e-3);
  options.amount = 0.0;
  CHECK(cv::norm(add_noise(image, options), image, cv::NORM_INF) == 0.0);
  options.amount = 2.0;
  CHECK_THROWS_WITH(add_noise(image, options), Catch::Contains("noise amount"));
}

TEST_CASE("the Gaussian quantile table inverts the normal CDF", "[unit]") {
  const float* table = gaussian_quantile_table();
  double worst = 0.0;
  for (int i : {0, 1, 100, 1638, 20000, 32767, 32768, 50000, 65535}) {
    const double p = (i + 0.5) / 65536.0;
    const double phi = 0.5 * std::erfc(-table[i] / std::sqrt(2.0));
    worst = std::max(worst, std::abs(phi - p) / std::min(p, 1.0 - p));
    CHECK(std::abs(table[i] + table[65535 - i]) < 1e-5);
  }
  INFO("max relative CDF error " << worst);
  CHECK(worst < 1e-5);
  CHECK(std::abs(table[65535] - 4.316) < 0.01);  // the tail cut, about 4.3 sigma
}

TEST_CASE("fill_gaussian: sample i is the table at 16-bit part i%4 of word i/4 of the stream", "[unit]") {
  // The definition the renders' noise rests on (render hashes), restated word by word, with
  // counts that end inside a word.
  const float* table = gaussian_quantile_table();
  for (int count : {1, 2, 3, 4, 5, 767, 3072}) {
    std::vector<float> got(count);
    fill_gaussian(0xC0FFEEull + count, got.data(), count);
    int differing = 0;
    for (int i = 0; i < count; ++i) {
      const std::uint64_t word = mix64(0xC0FFEEull + count + static_cast<std::uint64_t>(i / 4) * 0x9E3779B97F4A7C15ull);
      differing += got[i] != table[(word >> (16 * (i % 4))) & 0xFFFF];
    }
    INFO(count << " samples, " << differing << " differ from the definition");
    CHECK(differing == 0);
  }
}
