// StopStringFilter: cuts generated text at the first of a set of stop
// strings (LlmParams.stop) while it streams.
//
// Text arrives piece by piece; a stop string may straddle pieces. push()
// hands back only text that can no longer be the start of a stop string and
// holds back the rest (at most the longest stop string minus one byte), so a
// stream never shows text that the final answer trims. Once a stop string is
// seen, everything from it on is dropped and stopped() turns true.
//
//   StopStringFilter f({"\nUser:"});
//   out += f.push("Hi!\nUs");   // "Hi!"  ("\nUs" may begin "\nUser:")
//   out += f.push("er: more");  // ""     (stopped; the answer is "Hi!")
//   out += f.finish();          // ""
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rg::llm::local {

class StopStringFilter {
 public:
  // Empty strings are ignored.
  explicit StopStringFilter(std::vector<std::string> stops);

  // Returns the text that is now final.
  std::string push(std::string_view piece);
  // The held-back rest (no stop string matched it).
  std::string finish();
  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::size_t longest_ = 0;
  std::string text_;          // everything accepted so far, cut at a stop string
  std::size_t emitted_ = 0;   // bytes of text_ already handed back
  bool stopped_ = false;
};

}  // namespace rg::llm::local
