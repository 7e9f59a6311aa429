// encode_prompt against diffusers' Kandinsky3Pipeline.encode_prompt(_cut_context=True): the
// prompts are found by matching the fixture's ids against tokenizer.json's strings.
#include "base/errors.h"
#include "src/io/model_folder.h"
#include "src/pipeline/prompt_encoder.h"
#include "tests/core/golden.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <iostream>

namespace {
k3::PromptEncoder make_encoder() {
  const auto folder = k3::ModelFolder::open(k3::golden::model_dir());
  k3::T5Encoder encoder(k3::T5EncoderConfig::from_file(folder.config_path("text_encoder")));
  encoder->load(k3::WeightStore::open_files(folder.weight_files("text_encoder")), torch::kFloat32, torch::kCPU);
  return k3::PromptEncoder(k3::T5Tokenizer::load(folder.path("tokenizer")), encoder);
}

// The tokenizer.json strings whose ids equal the rows of `ids`.
std::vector<std::string> texts_of(const torch::Tensor& ids) {
  const auto json = k3::read_json_file(k3::golden::golden_file("tokenizer.json"));
  std::vector<std::string> texts;
  for (int64_t row = 0; row < ids.size(0); ++row) {
    const auto want = k3::golden::to_vector(ids[row]);
    bool found = false;
    for (const auto& c : json["cases"])
      if (c["input_ids"].get<std::vector<int64_t>>() == want) {
        texts.push_back(c["text"].get<std::string>());
        found = true;
        break;
      }
    if (!found) throw std::runtime_error("no tokenizer.json string has the ids of row " + std::to_string(row));
  }
  return texts;
}

// Two different non-empty strings of tokenizer.json (any set has them): a prompt and a negative.
std::pair<std::string, std::string> two_fixture_texts() {
  const auto json = k3::read_json_file(k3::golden::golden_file("tokenizer.json"));
  std::vector<std::string> texts;
  for (const auto& c : json["cases"]) {
    auto text = c["text"].get<std::string>();
    if (!text.empty() && std::find(texts.begin(), texts.end(), text) == texts.end()) texts.push_back(text);
  }
  REQUIRE(texts.size() >= 2);
  return {texts[0], texts[1]};
}

void compare(const char* what, const torch::Tensor& got, const torch::Tensor& want) {
  k3::golden::check_rel_l2(std::string("[encode_prompt] ") + what, got, want, k3::golden::tolerance::component);
}
}  // namespace

TEST_CASE("encode_prompt without a negative prompt (ep_*)", "[golden]") {
  K3_REQUIRE_FIXTURES();
  k3::golden::GoldenFile golden("text_encoder.safetensors");
  auto encoder = make_encoder();
  const auto prompts = texts_of(golden.get("ep_prompt_ids"));
  auto out = encoder.encode(prompts, /*guidance=*/true);
  compare("ep_prompt_embeds", out.prompt_embeds, golden.get("ep_prompt_embeds"));
  CHECK(torch::equal(out.attention_mask, golden.get("ep_attention_mask")));
  CHECK(torch::equal(out.negative_attention_mask, golden.get("ep_negative_attention_mask")));
  CHECK(torch::equal(out.negative_prompt_embeds, golden.get("ep_negative_prompt_embeds")));
  auto batch = k3::guidance_batch(out);
  CHECK(batch.embeds.size(0) == 2 * static_cast<int64_t>(prompts.size()));
  CHECK(batch.mask.scalar_type() == torch::kBool);
}

TEST_CASE("encode_prompt with negative prompts (epn_*)", "[golden]") {
  K3_REQUIRE_FIXTURES();
  k3::golden::GoldenFile golden("text_encoder.safetensors");
  auto encoder = make_encoder();
  const auto prompts = texts_of(golden.get("ep_prompt_ids"));
  const auto negatives = texts_of(golden.get("epn_negative_prompt_ids"));
  auto out = encoder.encode(prompts, true, negatives);
  compare("epn_prompt_embeds", out.prompt_embeds, golden.get("epn_prompt_embeds"));
  compare("epn_negative_prompt_embeds", out.negative_prompt_embeds, golden.get("epn_negative_prompt_embeds"));
  CHECK(torch::equal(out.attention_mask, golden.get("epn_attention_mask")));
  CHECK(torch::equal(out.negative_attention_mask, golden.get("epn_negative_attention_mask")));
}

TEST_CASE("Prompt cache survives releasing the text encoder", "[golden]") {
  K3_REQUIRE_FIXTURES();
  const auto [prompt, negative] = two_fixture_texts();
  auto encoder = make_encoder();
  encoder.precompute({prompt, negative});
  auto before = encoder.encode({prompt}, true, std::vector<std::string>{negative});
  encoder.release_text_encoder();
  CHECK_FALSE(encoder.has_text_encoder());
  auto after = encoder.encode({prompt}, true, std::vector<std::string>{negative});
  CHECK(torch::equal(before.prompt_embeds, after.prompt_embeds));
  CHECK(torch::equal(before.negative_prompt_embeds, after.negative_prompt_embeds));
  CHECK_FALSE(encoder.encode({prompt}, false).negative_prompt_embeds.defined());
  CHECK_THROWS_WITH(encoder.encode({"never seen"}, true), Catch::Contains("released"));
  CHECK_THROWS_AS(encoder.encode({"a"}, true, std::vector<std::string>{"x", "y"}), k3::ConfigError);
}

TEST_CASE("Prompt cache file: saved embeddings come back bit for bit without a text encoder", "[golden]") {
  K3_REQUIRE_FIXTURES();
  k3::test::TempDir dir("prompt-cache");
  const std::string file = dir / "prompt_embeddings.safetensors";
  const auto [prompt, negative] = two_fixture_texts();
  const std::vector<std::string> texts = {prompt, negative, "Ёлка и снег ❄"};
  auto encoder = make_encoder();
  encoder.precompute(texts);
  auto before = encoder.encode({texts[0], texts[2]}, true, std::vector<std::string>{texts[1], texts[1]});
  encoder.save_cache(file, texts);

  const auto folder = k3::ModelFolder::open(k3::golden::model_dir());
  const auto width = k3::T5EncoderConfig::from_file(folder.config_path("text_encoder")).d_model;
  k3::PromptEncoder restored(k3::T5Tokenizer::load(folder.path("tokenizer")), nullptr, torch::kFloat32, torch::kCPU);
  restored.load_cache(file, width);
  CHECK(restored.cache_size() == texts.size());
  auto after = restored.encode({texts[0], texts[2]}, true, std::vector<std::string>{texts[1], texts[1]});
  CHECK(torch::equal(before.prompt_embeds, after.prompt_embeds));
  CHECK(torch::equal(before.attention_mask, after.attention_mask));
  CHECK(torch::equal(before.negative_prompt_embeds, after.negative_prompt_embeds));
  CHECK_THROWS_WITH(restored.encode({"never seen"}, true), Catch::Contains("released"));
  // A file of another width (another text encoder) is refused, naming the file.
  CHECK_THROWS_WITH(restored.load_cache(file, width + 1), Catch::Contains(file));
}
