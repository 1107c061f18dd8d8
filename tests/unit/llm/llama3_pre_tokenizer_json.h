// tests/unit/llm/llama3_pre_tokenizer_json.h: the pre_tokenizer block of a
// Llama 3 tokenizer.json (Split with Llama 3's pattern, then ByteLevel without
// its own regex), shared by the tests that write tokenizer.json files.
#pragma once

#include <nlohmann/json.hpp>

namespace rg::test {

inline nlohmann::json llama3_pre_tokenizer_json() {
  return {{"type", "Sequence"},
          {"pretokenizers",
           {{{"type", "Split"},
             {"pattern",
              {{"Regex",
                R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"}}},
             {"behavior", "Isolated"},
             {"invert", false}},
            {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}}}};
}

}  // namespace rg::test
