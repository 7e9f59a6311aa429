// Follows transformers models/t5/tokenization_t5.py (T5Tokenizer, legacy=True: extra_ids ids,
// _add_eos_if_not_present) and tokenization_utils.py (tokenize: trie split on added tokens,
// lstrip/rstrip of neighbours, truncation to max_length - 1 before </s>).
#include "src/public/t5_tokenizer.h"

#include "base/errors.h"
#include "src/io/model_folder.h"

#include <sys/stat.h>

#include <algorithm>

namespace k3 {

namespace {

bool is_file(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

// Python's str.isspace() code points (what str.strip() removes).
bool is_python_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

// Decodes the UTF-8 code point starting at `i`; returns its byte length (1 for invalid bytes).
std::size_t decode_at(const std::string& s, std::size_t i, char32_t& c) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 1;
  if (i + len > s.size()) len = 1;
  c = len == 1 ? b : (b & (0x7f >> len));
  for (std::size_t k = 1; k < len; ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  return len;
}

std::string lstrip(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    char32_t c;
    std::size_t len = decode_at(s, i, c);
    if (!is_python_space(c)) break;
    i += len;
  }
  return s.substr(i);
}

std::string rstrip(const std::string& s) {
  std::size_t end = s.size();
  while (end > 0) {
    std::size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xc0) == 0x80) --start;
    char32_t c;
    decode_at(s, start, c);
    if (!is_python_space(c)) break;
    end = start;
  }
  return s.substr(0, end);
}

}  // namespace

int64_t T5Tokenizer::Encoding::length() const {
  int64_t n = 0;
  for (int64_t m : mask) n += m;
  return n;
}

T5Tokenizer T5Tokenizer::load(const std::string& tokenizer_dir) {
  T5Tokenizer tokenizer;
  const std::string model_path = tokenizer_dir + "/spiece.model";
  tokenizer.model_ = std::make_shared<SentencePieceModel>(model_path);
  const int64_t pieces = tokenizer.model_->vocab_size();

  nlohmann::json config = nlohmann::json::object();
  const std::string config_path = tokenizer_dir + "/tokenizer_config.json";
  if (is_file(config_path)) config = read_json_file(config_path);
  if (!config.is_object()) throw FileError(config_path + ": expected a JSON object, got " + std::string(config.type_name()));
  if (config.contains("legacy") && config["legacy"].is_boolean() && !config["legacy"].get<bool>())
    tokenizer.warnings_.push_back(config_path + ": legacy=false is treated as legacy=true (same ids for ordinary prompts)");
  int64_t extra_ids = 100;
  if (config.contains("extra_ids")) {
    if (!config["extra_ids"].is_number_integer() || config["extra_ids"].get<int64_t>() < 0)
      throw FileError(config_path + ": key 'extra_ids': expected a non-negative integer, got " + config["extra_ids"].dump());
    extra_ids = config["extra_ids"].get<int64_t>();
  }

  auto piece_id = [&](const char* piece, int64_t fallback) {
    const int id = tokenizer.model_->piece_to_id(piece);
    // piece_to_id returns unk for unknown pieces; only "<unk>" itself may map there.
    return (id == tokenizer.model_->unk_id() && std::string(piece) != "<unk>") ? fallback : static_cast<int64_t>(id);
  };
  tokenizer.pad_id_ = piece_id("<pad>", 0);
  tokenizer.eos_id_ = piece_id("</s>", 1);
  tokenizer.unk_id_ = tokenizer.model_->unk_id();
  // Special tokens: no stripping of their neighbours (AddedToken defaults).
  tokenizer.added_["<pad>"] = {tokenizer.pad_id_, false, false};
  tokenizer.added_["</s>"] = {tokenizer.eos_id_, false, false};
  tokenizer.added_["<unk>"] = {tokenizer.unk_id_, false, false};
  // <extra_id_i> = pieces - 1 + extra_ids - i, stripping whitespace on both sides.
  for (int64_t i = 0; i < extra_ids; ++i)
    tokenizer.added_["<extra_id_" + std::to_string(i) + ">"] = {pieces - 1 + extra_ids - i, true, true};

  // Explicit flags of newer tokenizer_config.json files win.
  if (config.contains("added_tokens_decoder") && config["added_tokens_decoder"].is_object()) {
    for (auto it = config["added_tokens_decoder"].begin(); it != config["added_tokens_decoder"].end(); ++it) {
      const auto& token = it.value();
      if (!token.is_object() || !token.contains("content") || !token["content"].is_string())
        throw FileError(config_path + ": added_tokens_decoder['" + it.key() + "']: expected an object with 'content', got " +
                        token.dump().substr(0, 60));
      int64_t id = 0;
      try {
        id = std::stoll(it.key());
      } catch (const std::exception&) {
        throw FileError(config_path + ": added_tokens_decoder: expected integer ids as keys, got '" + it.key() + "'");
      }
      tokenizer.added_[token["content"].get<std::string>()] = {id, token.value("lstrip", false), token.value("rstrip", false)};
    }
  }
  const std::string added_path = tokenizer_dir + "/added_tokens.json";
  if (is_file(added_path)) {
    const auto added = read_json_file(added_path);
    if (!added.is_object()) throw FileError(added_path + ": expected an object {token: id}, got " + std::string(added.type_name()));
    for (auto it = added.begin(); it != added.end(); ++it) {
      if (!it.value().is_number_integer())
        throw FileError(added_path + ": token '" + it.key() + "': expected an integer id, got " + it.value().dump());
      if (!tokenizer.added_.count(it.key())) tokenizer.added_[it.key()] = {it.value().get<int64_t>(), false, false};
    }
  }
  return tokenizer;
}

int64_t T5Tokenizer::vocab_size() const {
  int64_t size = model_->vocab_size();
  for (const auto& entry : added_) size = std::max(size, entry.second.id + 1);
  return size;
}

int64_t T5Tokenizer::special_token_id(const std::string& token) const {
  auto it = added_.find(token);
  return it == added_.end() ? -1 : it->second.id;
}

std::vector<T5Tokenizer::Chunk> T5Tokenizer::split_special(const std::string& text) const {
  // Leftmost, then longest match of an added token (transformers' Trie.split).
  std::vector<Chunk> chunks;
  std::size_t plain_start = 0, i = 0;
  while (i < text.size()) {
    std::size_t best = 0;
    for (auto it = added_.lower_bound(text.substr(i, 1)); it != added_.end() && it->first[0] == text[i]; ++it)
      if (it->first.size() > best && text.compare(i, it->first.size(), it->first) == 0) best = it->first.size();
    if (best == 0) {
      ++i;
      continue;
    }
    if (i > plain_start) chunks.push_back({text.substr(plain_start, i - plain_start), false});
    chunks.push_back({text.substr(i, best), true});
    i += best;
    plain_start = i;
  }
  if (plain_start < text.size()) chunks.push_back({text.substr(plain_start), false});
  // Tokens with lstrip/rstrip eat the whitespace of their neighbours.
  for (std::size_t k = 0; k < chunks.size(); ++k) {
    if (!chunks[k].special) continue;
    const AddedToken& token = added_.at(chunks[k].text);
    if (token.rstrip && k + 1 < chunks.size() && !chunks[k + 1].special) chunks[k + 1].text = lstrip(chunks[k + 1].text);
    if (token.lstrip && k > 0 && !chunks[k - 1].special) chunks[k - 1].text = rstrip(chunks[k - 1].text);
  }
  return chunks;
}

std::vector<std::string> T5Tokenizer::tokens(const std::string& text) const {
  std::vector<std::string> out;
  for (int64_t id : ids_of(text)) {
    std::string name;
    for (const auto& entry : added_)
      if (entry.second.id == id) name = entry.first;
    out.push_back(name.empty() ? model_->id_to_piece(static_cast<int>(id)) : name);
  }
  return out;
}

std::vector<int64_t> T5Tokenizer::ids_of(const std::string& text) const {
  std::vector<int64_t> ids;
  for (const auto& chunk : split_special(text)) {
    if (chunk.text.empty()) continue;
    if (chunk.special) {
      ids.push_back(added_.at(chunk.text).id);
      continue;
    }
    for (int id : model_->encode(chunk.text)) ids.push_back(id);
  }
  return ids;
}

T5Tokenizer::Encoding T5Tokenizer::encode(const std::string& text, int max_length) const {
  if (max_length < 1) throw ConfigError("max_length: expected at least 1, got " + std::to_string(max_length));
  std::vector<int64_t> ids = ids_of(text);
  // Room for </s>, then </s> unless the (truncated) text already ends with it.
  const auto limit = static_cast<std::size_t>(max_length - 1);
  if (ids.size() > limit) ids.resize(limit);
  if (ids.empty() || ids.back() != eos_id_) ids.push_back(eos_id_);
  Encoding encoding;
  encoding.mask.assign(ids.size(), 1);
  encoding.ids = std::move(ids);
  encoding.ids.resize(static_cast<std::size_t>(max_length), pad_id_);
  encoding.mask.resize(static_cast<std::size_t>(max_length), 0);
  return encoding;
}

std::vector<T5Tokenizer::Encoding> T5Tokenizer::encode_batch(const std::vector<std::string>& texts, int max_length) const {
  std::vector<Encoding> out;
  out.reserve(texts.size());
  for (const auto& text : texts) out.push_back(encode(text, max_length));
  return out;
}

}  // namespace k3
