// Model folder discovery: components, configs, plain/fp16 variants, sharded indexes (with the
// variant inserted before .json, as the real kandinsky-3 text encoder), and missing pieces.
#include "base/errors.h"
#include "src/io/model_folder.h"
#include "src/io/safetensors.h"
#include "src/io/weights.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <sys/stat.h>

namespace {
void make_dir(const std::string& path) { ::mkdir(path.c_str(), 0755); }

void write_index(const std::string& dir) {
  k3::test::write_file(dir + "/model_index.json", R"({"_class_name": "Kandinsky3Pipeline",
    "text_encoder": ["transformers", "T5EncoderModel"], "unet": ["diffusers", "Kandinsky3UNet"],
    "scheduler": ["diffusers", "DDPMScheduler"], "safety_checker": [null, null]})");
}
}  // namespace

TEST_CASE("model folder: components, configs, variants and shards", "[unit]") {
  k3::test::TempDir dir("model_folder");
  write_index(dir.path);
  make_dir(dir / "unet");
  make_dir(dir / "text_encoder");
  make_dir(dir / "scheduler");
  k3::test::write_file(dir / "unet/config.json", "{\"in_channels\": 4}");
  k3::test::write_file(dir / "scheduler/scheduler_config.json", "{\"num_train_timesteps\": 1000}");
  float value = 1.0f;
  k3::write_safetensors(dir / "unet/diffusion_pytorch_model.fp16.safetensors", {{"x", k3::DType::F32, {1}, &value}});
  k3::write_safetensors(dir / "text_encoder/model.fp16-00001-of-00002.safetensors", {{"a", k3::DType::F32, {1}, &value}});
  k3::write_safetensors(dir / "text_encoder/model.fp16-00002-of-00002.safetensors", {{"b", k3::DType::F32, {1}, &value}});
  k3::test::write_file(dir / "text_encoder/model.safetensors.index.fp16.json",
                       R"({"metadata": {"total_size": 8}, "weight_map": {"a": "model.fp16-00001-of-00002.safetensors",
                         "b": "model.fp16-00002-of-00002.safetensors"}})");

  auto folder = k3::ModelFolder::open(dir.path);
  CHECK(folder.components() == std::vector<std::string>{"scheduler", "text_encoder", "unet"});
  CHECK(folder.class_name("unet") == "Kandinsky3UNet");
  CHECK(folder.config("unet")["in_channels"] == 4);
  CHECK(folder.config("scheduler")["num_train_timesteps"] == 1000);
  // Only fp16 files exist: variant "" falls back to them.
  CHECK(folder.weight_files("unet") == std::vector<std::string>{dir / "unet/diffusion_pytorch_model.fp16.safetensors"});
  auto shards = folder.weight_files("text_encoder");
  REQUIRE(shards.size() == 2);
  auto store = k3::WeightStore::open_files(shards);
  CHECK(store.names() == std::vector<std::string>{"a", "b"});

  // A plain file is preferred by variant "", the fp16 one by variant "fp16".
  k3::write_safetensors(dir / "unet/diffusion_pytorch_model.safetensors", {{"x", k3::DType::F32, {1}, &value}});
  CHECK(k3::ModelFolder::open(dir.path).weight_files("unet").front() == dir / "unet/diffusion_pytorch_model.safetensors");
  CHECK(k3::ModelFolder::open(dir.path, "fp16").weight_files("unet").front() ==
        dir / "unet/diffusion_pytorch_model.fp16.safetensors");

  // Errors name the file at fault.
  CHECK_THROWS_WITH(folder.class_name("movq"), Catch::Contains("model_index.json") && Catch::Contains("movq"));
  CHECK_THROWS_WITH(folder.weight_files("scheduler"), Catch::Contains("scheduler") && Catch::Contains("got none"));
  ::remove((dir / "text_encoder/model.fp16-00002-of-00002.safetensors").c_str());
  CHECK_THROWS_WITH(folder.weight_files("text_encoder"), Catch::Contains("model.fp16-00002-of-00002.safetensors"));
  CHECK_THROWS_WITH(k3::ModelFolder::open(dir / "nope"), Catch::Contains("nope"));
  k3::test::write_file(dir / "model_index.json", "{broken");
  CHECK_THROWS_WITH(k3::ModelFolder::open(dir.path), Catch::Contains("model_index.json"));
}
