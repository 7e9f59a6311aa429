// T5Tokenizer against transformers' slow T5Tokenizer: ids and masks of every string in
// k3-tiny-golden/tokenizer.json must be identical (padding='max_length', truncation).
#include "base/errors.h"
#include "src/public/t5_tokenizer.h"
#include "tests/core/golden.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <iostream>

TEST_CASE("T5Tokenizer ids and masks equal transformers for every fixture string", "[golden]") {
  K3_REQUIRE_FIXTURES();
  const auto json = k3::read_json_file(k3::golden::golden_file("tokenizer.json"));
  const auto tokenizer = k3::T5Tokenizer::load(k3::golden::model_dir() + "/tokenizer");
  int equal = 0, total = 0;
  for (const auto& c : json["cases"]) {
    const auto text = c["text"].get<std::string>();
    const auto want_ids = c["input_ids"].get<std::vector<int64_t>>();
    const auto want_mask = c["attention_mask"].get<std::vector<int64_t>>();
    const auto got = tokenizer.encode(text, static_cast<int>(want_ids.size()));
    INFO("text: " << text);
    CHECK(got.ids == want_ids);
    CHECK(got.mask == want_mask);
    CHECK(got.length() == c["num_tokens"].get<int64_t>());
    equal += (got.ids == want_ids && got.mask == want_mask) ? 1 : 0;
    ++total;
  }
  for (auto it = json["special_token_ids"].begin(); it != json["special_token_ids"].end(); ++it)
    CHECK(tokenizer.special_token_id(it.key()) == it.value().get<int64_t>());
  CHECK(tokenizer.vocab_size() == json["len_tokenizer"].get<int64_t>());
  std::cout << "[tokenizer] " << equal << "/" << total << " strings with identical ids and masks\n";
  CHECK(total > 0);
}

TEST_CASE("T5Tokenizer pieces equal transformers' tokens", "[golden]") {
  K3_REQUIRE_FIXTURES();
  const auto json = k3::read_json_file(k3::golden::golden_file("tokenizer.json"));
  const auto tokenizer = k3::T5Tokenizer::load(k3::golden::model_dir() + "/tokenizer");
  for (const auto& c : json["cases"]) {
    const auto want = c["tokens"].get<std::vector<std::string>>();
    auto got = tokenizer.tokens(c["text"].get<std::string>());
    const auto limit = c["input_ids"].size() - 1;
    if (got.size() > limit) got.resize(limit);
    if (got.empty() || got.back() != "</s>") got.push_back("</s>");
    INFO("text: " << c["text"].get<std::string>());
    CHECK(got == want);
  }
}

TEST_CASE("T5Tokenizer: truncation keeps </s>, a missing model names the file", "[golden]") {
  K3_REQUIRE_FIXTURES();
  const auto json = k3::read_json_file(k3::golden::golden_file("tokenizer.json"));
  const auto tokenizer = k3::T5Tokenizer::load(k3::golden::model_dir() + "/tokenizer");
  // The fixture's string with the most pieces, cut to fewer than it has.
  std::string longest;
  int64_t most = 0;
  for (const auto& c : json["cases"])
    if (c["num_tokens"].get<int64_t>() > most) most = c["num_tokens"].get<int64_t>(), longest = c["text"].get<std::string>();
  REQUIRE(most >= 3);
  const int cut = static_cast<int>(std::min<int64_t>(most - 1, 4));
  auto short_encoding = tokenizer.encode(longest, cut);
  CHECK(short_encoding.ids.size() == static_cast<size_t>(cut));
  CHECK(short_encoding.ids.back() == tokenizer.eos_id());
  CHECK(short_encoding.length() == cut);
  // The empty string: </s>, then padding (the ids of this tokenizer's special tokens).
  auto empty = tokenizer.encode("", 8);
  std::vector<int64_t> want(8, json["special_token_ids"]["<pad>"].get<int64_t>());
  want[0] = json["special_token_ids"]["</s>"].get<int64_t>();
  CHECK(tokenizer.eos_id() == want[0]);
  CHECK(empty.ids == want);
  CHECK_THROWS_WITH(k3::T5Tokenizer::load("/nonexistent/tokenizer"), Catch::Contains("/nonexistent/tokenizer/spiece.model"));
}
