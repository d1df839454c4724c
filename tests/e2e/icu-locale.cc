// ICU computes its default locale from the environment the first time it is asked and keeps it
// in its own globals. The initializer asks (as a library's initializer would, to normalize
// text): baked under the build machine's locale and run under another (the test sets
// LC_ALL=de_DE.UTF-8), the program must see its own machine's default locale, as unbaked, not
// the build machine's. The second bake run's other locale makes ICU's globals differ, so they
// are not restored.
#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <memory>
#include <string>
#include <vector>

#include "e2e.h"

namespace {

const char* const kText = "The U.S.A. e.g. has 50 states; Straße und Öl, İstanbul.";

std::vector<std::string> words(const icu::Locale& locale, const icu::UnicodeString& text) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::BreakIterator> it(icu::BreakIterator::createWordInstance(locale, status));
  std::vector<std::string> out;
  if (U_FAILURE(status)) return out;
  it->setText(text);
  for (int32_t start = it->first(), end = it->next(); end != icu::BreakIterator::DONE; start = end, end = it->next()) {
    if (it->getRuleStatus() == UBRK_WORD_NONE) continue;
    std::string w;
    text.tempSubStringBetween(start, end).toUTF8String(w);
    out.push_back(w);
  }
  return out;
}

}  // namespace

static fastboot::root<std::vector<std::string>> lowered{"lowered", [] {
  ++initializer_runs;
  (void)icu::Locale::getDefault();  // ICU reads the environment and caches the answer
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(kText);
  text.toLower(icu::Locale::getRoot());
  return words(icu::Locale::getRoot(), text);
}};

int main() {
  std::string all;
  for (const std::string& w : *lowered) all += w + "|";
  std::printf("root words: %s\n", all.c_str());
  std::printf("default locale: %s\n", icu::Locale::getDefault().getName());
  icu::UnicodeString upper = icu::UnicodeString::fromUTF8("istanbul");
  upper.toUpper(icu::Locale::getDefault());
  std::string u;
  upper.toUTF8String(u);
  std::printf("upper case in the default locale: %s\n", u.c_str());
  print_status();
}
