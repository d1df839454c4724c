// A spell checker on Debian's nuspell library and hunspell-en-us dictionary: it checks every word
// of its input (files, or standard input) and prints, like /usr/bin/nuspell, "* OK" for a word
// the dictionary knows and "& Wrong: <word>. How about: <suggestions>" for one it does not, and
// an empty line after each line of input.
// Unbaked, loading the dictionary (parsing its .aff and .dic files into nuspell's tables) is
// almost all of its start; baked, the loaded dictionary is there when main starts.
#include <fastboot/fastboot.hpp>
#include <nuspell/dictionary.hxx>
#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace {

// en_US.aff names no language, so nuspell takes its case rules from ICU's default locale, which
// ICU computes from the environment: a dictionary loaded under the build machine's locale would
// not be the one loaded where the program runs (a bake refuses it, naming LANG). The dictionary
// is English, so the program says so before main, baked or not, and the loaded dictionary is the
// same on every machine.
const bool english = [] {
  UErrorCode status = U_ZERO_ERROR;
  icu::Locale::setDefault(icu::Locale::getUS(), status);
  return U_SUCCESS(status);
}();

fastboot::root<nuspell::Dictionary> dictionary{"en_US", [] {
  nuspell::Dictionary d;
  d.load_aff_dic(HUNSPELL_DIR "/en_US.aff");
  return d;
}};

// Splits the text into words with ICU's word rules and checks each.
void check(const std::string& text, std::string& out) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::BreakIterator> words(icu::BreakIterator::createWordInstance(icu::Locale::getEnglish(), status));
  if (U_FAILURE(status)) throw std::runtime_error("no ICU word rules");
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(text);
  words->setText(u);
  std::vector<std::string> suggestions;
  for (int32_t start = words->first(), end = words->next(); end != icu::BreakIterator::DONE;
       start = end, end = words->next()) {
    if (words->getRuleStatus() == UBRK_WORD_NONE) continue;
    std::string word;
    u.tempSubStringBetween(start, end).toUTF8String(word);
    if (dictionary->spell(word)) {
      out += "* OK\n";
      continue;
    }
    dictionary->suggest(word, suggestions);
    if (suggestions.empty()) {
      out += "# Wrong: " + word + ". No suggestions.\n";
      continue;
    }
    out += "& Wrong: " + word + ". How about: ";
    for (std::size_t i = 0; i < suggestions.size(); ++i) out += (i ? ", " : "") + suggestions[i];
    out += "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string out;
  auto run = [&](std::istream& in) {
    for (std::string line; std::getline(in, line); out += "\n") check(line, out);
  };
  if (argc < 2) run(std::cin);
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i]);
    if (!in) {
      std::fprintf(stderr, "spell: cannot open %s\n", argv[i]);
      return 2;
    }
    run(in);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}
