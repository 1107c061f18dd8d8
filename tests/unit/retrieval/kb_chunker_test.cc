#include "retrieval/kb_chunker.h"
#include "retrieval/ngram_embedder.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

using rg::retrieval::KbChunk;
using rg::retrieval::KbDocument;
using rg::retrieval::KnowledgeBase;
using rg::retrieval::HashedNgramEmbedder;
using rg::retrieval::split_markdown_in_topic_chunks;

TEST_CASE("no headings: one untitled chunk; empty and blank documents: none") {
  auto chunks = split_markdown_in_topic_chunks("  \n just text\nmore text \n\n");
  REQUIRE(chunks.size() == 1);
  CHECK(chunks[0].title == "");
  CHECK(chunks[0].body == "just text\nmore text");
  CHECK(chunks[0].front_matter == "");
  CHECK(split_markdown_in_topic_chunks("").empty());
  CHECK(split_markdown_in_topic_chunks("\n\n  \n").empty());
}

TEST_CASE("front matter is copied to every chunk") {
  const std::string doc =
      "```yaml\n"
      "type: faq\n"
      "lang: en\n"
      "```\n"
      "# A\n"
      "alpha\n"
      "# B\n"
      "beta\n";
  auto chunks = split_markdown_in_topic_chunks(doc);
  REQUIRE(chunks.size() == 2);
  CHECK(chunks[0].title == "A");
  CHECK(chunks[0].body == "alpha");
  CHECK(chunks[1].title == "B");
  CHECK(chunks[1].body == "beta");
  for (const KbChunk& c : chunks) CHECK(c.front_matter == "type: faq\nlang: en\n");
}

TEST_CASE("unclosed front matter fence: no chunks") {
  CHECK(split_markdown_in_topic_chunks("```\na: 1\n# T\nbody").empty());
}

TEST_CASE("nested headings form a title path; a shallower heading cuts it back") {
  const std::string doc =
      "# Guide\n"
      "intro\n"
      "## Setup\n"
      "setup text\n"
      "### Linux\n"
      "apt install\n"
      "## Usage\n"
      "use it\n"
      "# Other\n"
      "#### Deep\n"
      "deep text\n";
  auto chunks = split_markdown_in_topic_chunks(doc);
  REQUIRE(chunks.size() == 5);
  CHECK(chunks[0].title == "Guide");
  CHECK(chunks[1].title == "Guide - Setup");
  CHECK(chunks[2].title == "Guide - Setup - Linux");
  CHECK(chunks[2].body == "apt install");
  CHECK(chunks[3].title == "Guide - Usage");
  // A level-4 heading under a level-1 one appends (no padding of levels).
  CHECK(chunks[4].title == "Other - Deep");
  CHECK(chunks[4].body == "deep text");
}

TEST_CASE("empty sections are dropped") {
  const std::string doc =
      "# Empty\n"
      "\n"
      "   \n"
      "# Full\n"
      "text\n"
      "## Also empty\n";
  auto chunks = split_markdown_in_topic_chunks(doc);
  REQUIRE(chunks.size() == 1);
  CHECK(chunks[0].title == "Full");
  CHECK(chunks[0].body == "text");
}

TEST_CASE("a long section is split at the first blank line after 400 characters") {
  const std::string p1(250, 'a');
  const std::string p2(200, 'b');  // 450 > 400 after this paragraph
  const std::string p3(100, 'c');
  const std::string p4(10, 'd');
  const std::string doc = "# Long\n" + p1 + "\n\n" + p2 + "\n\n" + p3 + "\n" + p4 + "\n";
  auto chunks = split_markdown_in_topic_chunks(doc);
  REQUIRE(chunks.size() == 2);
  CHECK(chunks[0].title == "Long");
  CHECK(chunks[0].body == p1 + "\n\n" + p2);
  CHECK(chunks[1].title == "Long");
  CHECK(chunks[1].body == p3 + "\n" + p4);

  // Exactly 400 is not "over": no split.
  const std::string doc400 = "# T\n" + std::string(400, 'x') + "\n\nmore\n";
  CHECK(split_markdown_in_topic_chunks(doc400).size() == 1);
  // Without a blank line the chunk grows past the limit.
  const std::string noblank = "# T\n" + std::string(300, 'x') + "\n" + std::string(300, 'y');
  CHECK(split_markdown_in_topic_chunks(noblank).size() == 1);
  // A custom limit.
  CHECK(split_markdown_in_topic_chunks("one\n\ntwo\n\nthree", 2).size() == 3);
}

TEST_CASE("chunk size counts code points, not bytes") {
  // 150 two-byte characters: 300 bytes but 150 characters; no split at 200.
  std::string wide;
  for (int i = 0; i < 150; ++i) wide += "\xC3\xA9";
  auto chunks = split_markdown_in_topic_chunks(wide + "\n\nnext", 200);
  CHECK(chunks.size() == 1);
}

TEST_CASE("knowledge base: index text, sources, top-k search") {
  auto embedder = std::make_shared<HashedNgramEmbedder>();
  KnowledgeBase kb(embedder, {
      KbDocument{"kb/pets.md", "# Cats\nCats purr and chase mice.\n# Dogs\nDogs bark and fetch balls.\n"},
      KbDocument{"kb/travel.md", "# Paris\nParis is the capital of France.\n"},
      KbDocument{"kb/empty.md", ""},
  });
  REQUIRE(kb.chunks().size() == 3);
  CHECK(kb.chunks()[2].source == "kb/travel.md");
  CHECK(KnowledgeBase::index_text(kb.chunks()[0]) == "# Cats\n\nCats purr and chase mice.");

  auto top = kb.search("what is the capital of france");
  REQUIRE(top.size() == 3);
  CHECK(top[0].title == "Paris");
  CHECK(kb.search("do dogs bark", 1).at(0).title == "Dogs");
  CHECK(kb.search("anything", 10).size() == 3);

  auto hits = kb.search_hits("capital of France", 3);
  REQUIRE(hits.size() == 3);
  CHECK(hits[0].index == 2);
  CHECK(hits[0].score > hits[1].score);

  KnowledgeBase none(embedder, {});
  CHECK(none.empty());
  CHECK(none.search("x").empty());
}
