#pragma once
// The slow (sentencepiece) T5Tokenizer as Kandinsky 3's pipelines call it:
// tokenizer(text, padding="max_length", max_length=N, truncation=True).
// Special-token strings inside the text (</s>, <pad>, <unk>, <extra_id_N>, added tokens) are
// split out first and map to their ids; the rest goes through sentencepiece piece by piece.
// No torch here. Follows transformers models/t5/tokenization_t5.py (legacy=True) and
// tokenization_utils.py (PreTrainedTokenizer.tokenize, Trie.split).
#include "src/public/sentencepiece_model.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace k3 {

class T5Tokenizer {
 public:
  struct Encoding {
    std::vector<int64_t> ids;   // max_length values: pieces (truncated), </s>, then <pad>
    std::vector<int64_t> mask;  // 1 on real tokens (special ones included), 0 on padding
    int64_t length() const;     // number of 1s in mask
  };

  // Reads tokenizer_dir/spiece.model, tokenizer_config.json (extra_ids, added_tokens_decoder)
  // and added_tokens.json when present. Throws FileError naming the file at fault.
  static T5Tokenizer load(const std::string& tokenizer_dir);

  Encoding encode(const std::string& text, int max_length = 128) const;
  std::vector<Encoding> encode_batch(const std::vector<std::string>& texts, int max_length = 128) const;
  // The tokens of the text's ids, as transformers' convert_ids_to_tokens names them (special
  // tokens by their string, unknown characters as <unk>), without </s> and padding.
  std::vector<std::string> tokens(const std::string& text) const;

  int64_t pad_id() const { return pad_id_; }
  int64_t eos_id() const { return eos_id_; }
  int64_t unk_id() const { return unk_id_; }
  // sentencepiece pieces + added tokens beyond them (len(tokenizer) in transformers).
  int64_t vocab_size() const;
  // Id of a special/added token string, or -1.
  int64_t special_token_id(const std::string& token) const;
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  struct AddedToken {
    int64_t id = 0;
    bool lstrip = false;  // strip whitespace left of the token
    bool rstrip = false;  // strip whitespace right of the token
  };
  // Text chunks: a special token (index into added_) or plain text.
  struct Chunk {
    std::string text;
    bool special = false;
  };
  std::vector<Chunk> split_special(const std::string& text) const;
  std::vector<int64_t> ids_of(const std::string& text) const;

  std::shared_ptr<SentencePieceModel> model_;
  std::map<std::string, AddedToken> added_;
  int64_t pad_id_ = 0, eos_id_ = 1, unk_id_ = 2;
  std::vector<std::string> warnings_;
};

}  // namespace k3
