#include "retrieval/index_store.h"

#include <cstring>
#include <map>

#include "retrieval/hashing.h"
#include "retrieval/internal/atomic_file.h"

namespace rg::retrieval {
namespace {

constexpr char kMagic[8] = {'R', 'G', 'I', 'N', 'D', 'E', 'X', '\x01'};
constexpr const char* kExtension = ".rgindex";

void put_u32(std::vector<unsigned char>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
}
void put_u64(std::vector<unsigned char>& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
}
std::uint64_t get_le(const unsigned char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

// "name=value" lines -> map (the header).
std::map<std::string, std::string> parse_header(std::string_view text) {
  std::map<std::string, std::string> fields;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    const std::size_t eq = line.find('=');
    if (eq != std::string_view::npos) fields[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return fields;
}

}  // namespace

std::string index_cache_key(std::string_view embedder_name, std::size_t dimension,
                            const std::vector<std::string>& texts) {
  Md5 h;
  h.update_field("railguard-index-v1");
  h.update_field(embedder_name);
  h.update_field(std::to_string(dimension));
  h.update_field(std::to_string(texts.size()));
  for (const std::string& t : texts) h.update_field(t);
  return h.hex();
}

std::string index_cache_key(const Embedder& embedder, const std::vector<std::string>& texts) {
  return index_cache_key(embedder.name(), embedder.dimension(), texts);
}

std::filesystem::path IndexStore::path_for(std::string_view key) const {
  return dir_ / (std::string(key) + kExtension);
}

IndexStore::Loaded IndexStore::load(std::string_view key, std::string_view embedder_name,
                                    std::size_t dimension, std::size_t count,
                                    const FaissIndex::Config& config) const {
  Loaded result;
  const std::filesystem::path path = path_for(key);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return result;  // kMissing

  auto corrupt = [&](const std::string& why) {
    result.status = Status::kCorrupt;
    result.index.reset();
    result.message = "saved index " + path.string() + " is unusable (" + why + ")";
    return std::move(result);
  };

  std::vector<unsigned char> bytes;
  if (!internal::read_file(path, &bytes)) return corrupt("cannot read it");
  const std::size_t n = bytes.size();
  if (n < sizeof kMagic + 4 + 8 + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return corrupt("not a railguard index file");
  }
  const std::uint64_t stored_sum = get_le(bytes.data() + n - 8, 8);
  if (fnv1a64(bytes.data(), n - 8) != stored_sum) return corrupt("checksum mismatch: truncated or damaged");

  std::size_t pos = sizeof kMagic;
  const std::uint64_t header_len = get_le(bytes.data() + pos, 4);
  pos += 4;
  if (header_len > n - pos - 16) return corrupt("bad header length");
  const std::string_view header(reinterpret_cast<const char*>(bytes.data() + pos), header_len);
  pos += header_len;
  const std::uint64_t payload_len = get_le(bytes.data() + pos, 8);
  pos += 8;
  if (payload_len != n - pos - 8) return corrupt("bad payload length");

  const auto fields = parse_header(header);
  auto field = [&](const char* name) {
    const auto it = fields.find(name);
    return it == fields.end() ? std::string() : it->second;
  };
  if (field("key") != key) return corrupt("saved for key " + field("key"));
  if (field("embedder") != embedder_name) return corrupt("saved for embedder " + field("embedder"));
  if (field("dimension") != std::to_string(dimension)) return corrupt("dimension " + field("dimension"));
  if (field("count") != std::to_string(count)) return corrupt("holds " + field("count") + " vectors");

  std::string error;
  bool rebuilt = false;
  result.index = FaissIndex::deserialize(bytes.data() + pos, payload_len, dimension, config, &error, &rebuilt);
  if (!result.index) return corrupt(error);
  if (result.index->size() != count) return corrupt("FAISS index holds " + std::to_string(result.index->size()) + " vectors");
  result.status = rebuilt ? Status::kConverted : Status::kLoaded;
  return result;
}

bool IndexStore::save(std::string_view key, std::string_view embedder_name, const FaissIndex& index,
                      std::string* error) const {
  const std::vector<std::uint8_t> payload = index.serialize();
  std::string header = "key=" + std::string(key) + "\nembedder=" + std::string(embedder_name) +
                       "\ndimension=" + std::to_string(index.dimension()) +
                       "\ncount=" + std::to_string(index.size()) + "\nspec=" + index.description() + "\n";
  std::vector<unsigned char> bytes;
  bytes.reserve(sizeof kMagic + 4 + header.size() + 8 + payload.size() + 8);
  bytes.insert(bytes.end(), kMagic, kMagic + sizeof kMagic);
  put_u32(bytes, static_cast<std::uint32_t>(header.size()));
  bytes.insert(bytes.end(), header.begin(), header.end());
  put_u64(bytes, payload.size());
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  put_u64(bytes, fnv1a64(bytes.data(), bytes.size()));
  return internal::write_file_atomic(path_for(key), bytes.data(), bytes.size(), error);
}

}  // namespace rg::retrieval
