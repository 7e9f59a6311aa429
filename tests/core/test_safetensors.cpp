// The safetensors reader: dtypes, mixed files, and malformed files written byte by byte, each
// refused with a FileError naming the file (and the tensor) before any tensor is used.
#include "base/errors.h"
#include "src/io/safetensors.h"
#include "src/io/weights.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cstring>
#include <fstream>

namespace {
// 8-byte little-endian length + header text + data bytes, exactly as given.
void write_raw(const std::string& path, const std::string& header, const std::string& data, int64_t length_override = -1) {
  std::string bytes(8, '\0');
  const uint64_t length = length_override >= 0 ? static_cast<uint64_t>(length_override) : header.size();
  for (int i = 0; i < 8; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<char>((length >> (8 * i)) & 0xff);
  std::ofstream(path, std::ios::binary) << bytes << header << data;
}

std::string open_error(const std::string& path) {
  try {
    k3::SafetensorsFile::open(path);
  } catch (const k3::FileError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("safetensors round trip of F32, F16, BF16 and I64 in one file", "[unit]") {
  k3::test::TempDir dir("safetensors_roundtrip");
  auto f32 = torch::arange(6, torch::kFloat32).view({2, 3}) * 0.5;
  auto f16 = torch::arange(4, torch::kFloat32).to(torch::kHalf) - 1.5;
  auto bf16 = torch::tensor({1.0f, -2.0f, 3.5f}).to(torch::kBFloat16);
  auto i64 = torch::tensor({7L, -8L, 1L << 40});
  const std::string path = dir / "mixed.safetensors";
  k3::write_safetensors(path,
                        {{"a.f32", k3::DType::F32, {2, 3}, f32.data_ptr()},
                         {"b.f16", k3::DType::F16, {4}, f16.data_ptr()},
                         {"c.bf16", k3::DType::BF16, {3}, bf16.data_ptr()},
                         {"d.i64", k3::DType::I64, {3}, i64.data_ptr()},
                         {"e.empty", k3::DType::F32, {0, 4}, nullptr}},
                        {{"format", "pt"}});
  auto file = k3::SafetensorsFile::open(path);
  CHECK(file->metadata().at("format") == "pt");
  REQUIRE(file->tensors().size() == 5);
  CHECK(file->tensors().at("b.f16").dtype == k3::DType::F16);
  CHECK(file->tensors().at("a.f32").shape == std::vector<int64_t>{2, 3});
  auto store = k3::WeightStore::open_files({path});
  CHECK(torch::equal(store.tensor("a.f32", torch::kFloat32, torch::kCPU), f32));
  CHECK(torch::equal(store.tensor("b.f16", torch::kHalf, torch::kCPU), f16));
  CHECK(torch::equal(store.tensor("b.f16", torch::kFloat32, torch::kCPU), f16.to(torch::kFloat32)));
  CHECK(torch::equal(store.tensor("c.bf16", torch::kBFloat16, torch::kCPU), bf16));
  CHECK(torch::equal(store.tensor("d.i64", torch::kLong, torch::kCPU), i64));
  CHECK(store.tensor("e.empty", torch::kFloat32, torch::kCPU).sizes() == torch::IntArrayRef({0, 4}));
  // An aliased fp32 tensor is copy-on-write: writing to it never reaches the file.
  auto alias = store.tensor("a.f32", torch::kFloat32, torch::kCPU);
  alias.fill_(42.0f);
  CHECK(torch::equal(k3::WeightStore::open_files({path}).tensor("a.f32", torch::kFloat32, torch::kCPU), f32));
}

TEST_CASE("malformed safetensors files are refused with the file and tensor named", "[unit]") {
  k3::test::TempDir dir("safetensors_malformed");
  const std::string good_entry = R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  const std::string eight(8, '\0');
  struct Case {
    const char* name;
    std::string header, data;
    int64_t length;
    const char* expect;
  };
  const std::vector<Case> cases = {
      {"short", "", "", -1, "at least 8 bytes"},
      {"length_past_end", "{" + good_entry + "}", eight, 1000, "truncated"},
      {"not_json", "{nope", eight, -1, "JSON"},
      {"offsets_outside", R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", eight, -1, "'w'"},
      {"overlap", R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", eight, -1, "overlapping"},
      {"unknown_dtype", R"({"w":{"dtype":"F8_E9","shape":[2],"data_offsets":[0,8]}})", eight, -1, "F8_E9"},
      {"size_mismatch", R"({"w":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}})", eight, -1, "expected 6 bytes"},
      {"negative_dim", R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", eight, -1, "'w'"},
      {"reversed_offsets", R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", eight, -1, "begin <= end"},
      {"not_object", "[1,2,3]", eight, -1, "'{'"},
  };
  for (const auto& c : cases) {
    const std::string path = dir / (std::string(c.name) + ".safetensors");
    if (std::string(c.name) == "short") std::ofstream(path, std::ios::binary) << "abc";
    else write_raw(path, c.header, c.data, c.length);
    const std::string error = open_error(path);
    INFO("case " << c.name << ": " << error);
    CHECK(error.find(path) != std::string::npos);
    CHECK(error.find(c.expect) != std::string::npos);
    CHECK(error.find('\n') == std::string::npos);
  }
  CHECK(open_error(dir / "missing.safetensors").find("missing.safetensors") != std::string::npos);
}

TEST_CASE("a tensor present in two shards is refused", "[unit]") {
  k3::test::TempDir dir("safetensors_duplicate");
  float values[2] = {1, 2};
  k3::write_safetensors(dir / "a.safetensors", {{"w", k3::DType::F32, {2}, values}});
  k3::write_safetensors(dir / "b.safetensors", {{"w", k3::DType::F32, {2}, values}});
  CHECK_THROWS_WITH(k3::WeightStore::open_files({dir / "a.safetensors", dir / "b.safetensors"}),
                    Catch::Contains("b.safetensors") && Catch::Contains("'w'"));
}

TEST_CASE("sparse safetensors: real shapes without disk use", "[unit]") {
  k3::test::TempDir dir("safetensors_sparse");
  const std::string path = dir / "big.safetensors";
  k3::write_safetensors(path, {{"huge", k3::DType::F16, {32768, 32768}, nullptr}}, {}, /*sparse=*/true);
  auto file = k3::SafetensorsFile::open(path);
  CHECK(file->tensors().at("huge").nbytes == 32768ull * 32768ull * 2ull);
}
