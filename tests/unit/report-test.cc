// The bake report: its JSON and section forms read back what was written, damaged input is
// refused with a reason, comparisons find growth, and the page keeps names inert.
#include "report.h"

#include <gtest/gtest.h>

#include "report-compare.h"
#include "report-html.h"
#include "report-text.h"

namespace fastboot::baker {
namespace {

BakeReport sample(std::uint64_t words_bytes) {
  BakeReport r;
  r.program = "app";
  r.build_id = "00ff";
  r.image_bytes = 8192;
  r.arena_bytes = 4096;
  r.live_bytes = words_bytes + 100;
  r.allocations = 3;
  r.arena_pointers = 2;
  r.module_pointers = 1;
  r.patched_at_startup = 1;
  r.estimated_start_ms = estimate_start_ms(1, 0);
  RootReport words{"words", words_bytes, 2, {}, {}, {}, {}};
  words.by_type = {{"std::string", words_bytes, 2, {{"make() at a.cc:3", words_bytes, 2, {}}}}};
  words.by_site = {{"make() at a.cc:3", words_bytes, 2, {}}};
  words.largest = {{words_bytes / 2, "std::string", "make() at a.cc:3"}};
  RootReport shapes{"shapes", 100, 1, {}, {}, {}, {{"executable", 1}}};
  shapes.by_type = {{"Circle", 100, 1, {{"draw() at b.cc:9", 100, 1, {}}}}};
  shapes.by_site = {{"draw() at b.cc:9", 100, 1, {}}};
  r.roots = {words, shapes};
  r.modules = {{"executable", 1}};
  r.globals = {"executable: g_table"};
  r.audit = {{"file", {"/etc/app.conf"}}};
  return r;
}

TEST(Report, JsonReadsBackWhatWasWritten) {
  BakeReport r = sample(1000);
  std::string error;
  auto back = from_json(to_json(r), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(to_json(*back), to_json(r));
  EXPECT_EQ(back->roots[1].module_pointers.at("executable"), 1u);
  EXPECT_EQ(back->roots[0].by_type[0].children[0].name, "make() at a.cc:3");
}

TEST(Report, SectionReadsBackAndRefusesDamage) {
  std::vector<std::uint8_t> bytes = encode_report_section(sample(1000));
  std::string error;
  ASSERT_TRUE(decode_report_section(bytes, error)) << error;

  auto truncated = bytes;
  truncated.resize(bytes.size() - 1);
  EXPECT_FALSE(decode_report_section(truncated, error));
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;

  auto tag = bytes;
  tag[0] = 'X';
  EXPECT_FALSE(decode_report_section(tag, error));

  auto huge = bytes;  // a claimed size beyond any report: refused before allocating it
  huge[15] = 0x7f;
  EXPECT_FALSE(decode_report_section(huge, error));

  auto size = bytes;  // a size that disagrees with the frame
  size[8] ^= 1;
  EXPECT_FALSE(decode_report_section(size, error));

  auto frame = bytes;
  frame[frame.size() - 5] ^= 0xff;
  EXPECT_FALSE(decode_report_section(frame, error));

  EXPECT_FALSE(decode_report_section({}, error));
}

TEST(Report, JsonWithoutAFieldIsRefused) {
  std::string text = to_json(sample(10));
  std::string error;
  auto at = text.find("\"live_bytes\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 12, "\"alive_bytes\"");
  EXPECT_FALSE(from_json(text, error));
  EXPECT_NE(error.find("live_bytes"), std::string::npos) << error;
  EXPECT_FALSE(from_json("{\"schema\": \"something-else/1\"}", error));
  EXPECT_FALSE(from_json("[1, 2", error));
}

TEST(Report, ComparisonFindsTheRootThatGrew) {
  BakeReport before = sample(1000), after = sample(2100);
  after.roots.push_back({"new", 5, 1, {}, {}, {}, {}});
  before.roots.push_back({"gone", 5, 1, {}, {}, {}, {}});
  Comparison c = compare_reports(before, after);
  ASSERT_EQ(c.roots.size(), 4u);
  EXPECT_NEAR(c.roots[0].growth_percent(), 110.0, 1e-9);
  EXPECT_TRUE(c.roots[2].added);
  EXPECT_TRUE(c.roots[3].removed);
  ASSERT_EQ(c.roots[0].sites.size(), 1u);
  EXPECT_EQ(c.roots[0].sites[0].byte_delta(), 1100);
  auto grown = roots_grown_beyond(c, 100);
  ASSERT_EQ(grown.size(), 1u);
  EXPECT_EQ(grown[0]->name, "words");
  EXPECT_TRUE(roots_grown_beyond(c, 110).empty());  // more than, not equal to
  EXPECT_NE(comparison_text(c, 10).find("(new root)"), std::string::npos);
  EXPECT_NE(comparison_json(c, 100).find("\"roots_over_max_growth\": [\n    \"words\""), std::string::npos)
      << comparison_json(c, 100);
}

TEST(Report, PageKeepsNamesInert) {
  BakeReport r = sample(10);
  r.roots[0].by_type[0].name = "</script><script>alert(1)</script>";
  r.program = "<b>app</b>";
  std::string page = report_html(r);
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_EQ(page.find("<b>app"), std::string::npos);
  EXPECT_NE(page.find("&lt;/script&gt;&lt;script&gt;alert"), std::string::npos);  // the table
  EXPECT_NE(page.find("\\u003c/script>\\u003cscript>alert"), std::string::npos);   // the JSON
  EXPECT_EQ(page.find("http"), std::string::npos);                                 // self-contained
}

TEST(Report, TextGroupsTheRest) {
  BakeReport r = sample(10);
  for (int i = 0; i < 5; ++i) r.roots[0].by_site.push_back({"site " + std::to_string(i), 1, 1, {}});
  std::string text = report_text(r, 2);
  EXPECT_NE(text.find("(4 more)"), std::string::npos) << text;
  EXPECT_EQ(grouped(1234567), "1,234,567");
  EXPECT_EQ(grouped(12), "12");
}

}  // namespace
}  // namespace fastboot::baker
