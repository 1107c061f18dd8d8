// Not for use outside llm/local/tokenizer/.
// The byte-level BPE pre-tokenizers: the GPT-2, Llama 3 and Qwen2 split
// regexes (see PreTokenizerKind in llm/local/tokenizer_spec.h) as a
// hand-written scanner. Each rule is the regex's alternation, tried in order at
// the current position, with the one look-ahead (\s+(?!\S)) and the
// backtracking of \s*[\r\n]+ worked out by hand; the pieces are exactly the
// matches of Oniguruma's find_iter, which is what HF's Split(Isolated) and
// ByteLevel(use_regex) emit.
#pragma once

#include <string_view>
#include <vector>

#include "llm/local/tokenizer_spec.h"

namespace rg::llm::local {

// Appends the pieces of text (views into it, in order, covering all of it).
void pre_tokenize(PreTokenizerKind kind, std::string_view text,
                  std::vector<std::string_view>& pieces);

}  // namespace rg::llm::local
