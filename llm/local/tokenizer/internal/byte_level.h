// Not for use outside llm/local/tokenizer/.
// GPT-2's byte-to-unicode alphabet: byte-level BPE stores every byte as one
// printable character (printable Latin-1 bytes as themselves, the other 68 as
// U+0100.. in byte order), so "Ġ" is a space and "Ċ" a newline.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace rg::llm::local::byte_level {

// byte -> its character, as UTF-8.
const std::array<std::string, 256>& byte_chars();

// Stored token text -> the bytes it stands for. False when a character is not
// in the alphabet (an added token such as "hello world"), which HF's ByteLevel
// decoder then passes through as its own UTF-8.
bool to_bytes(std::string_view stored, std::string* bytes);

// Raw bytes -> stored text.
std::string from_bytes(std::string_view bytes);

}  // namespace rg::llm::local::byte_level
