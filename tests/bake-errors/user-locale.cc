// The name of the user's locale (std::locale("")) in a baked value. The second bake run sets
// the locale variables to another locale: where the machine has that locale, the names differ;
// where it does not, std::locale("") throws in that run only. Either way the bake names the
// locale variables.
#include <fastboot/fastboot.hpp>

#include <locale>
#include <string>

static fastboot::root<std::string> name{"locale-name", [] { return std::locale("").name() + " is the user's locale"; }};

int main() { return int(name->size() & 1); }
