// The bake audit: what the initializers read from outside the program while they build the
// roots (files, environment variables, clocks, randomness, and the variables behind the locale
// and the time zone, which libc reads where no getenv wrapper sees it: setlocale(LC_ALL, "")
// reads LC_ALL, LC_* and LANG; localtime() reads TZ, or /etc/localtime without it). Each call
// made on the baking thread during the bake is traced for the baker, which lists them and
// turns the files into a depfile so the build rebakes when one changes. Outside a bake these wrappers only forward.
// Not built into the runtime for -static programs (libc.a defines these functions).
#include <dlfcn.h>
#include <fcntl.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>

#include "runtime.h"

namespace fastboot::rt {
namespace {

template <class Fn>
Fn next(Fn& slot, const char* name) {
  if (!slot) slot = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
  return slot;
}

using OpenFn = int (*)(const char*, int, ...);
using OpenatFn = int (*)(int, const char*, int, ...);
using FopenFn = FILE* (*)(const char*, const char*);
using GetenvFn = char* (*)(const char*);
using TimeFn = time_t (*)(time_t*);
using GettimeofdayFn = int (*)(struct timeval*, void*);
using ClockGettimeFn = int (*)(clockid_t, struct timespec*);
using GetrandomFn = ssize_t (*)(void*, size_t, unsigned);
using GetentropyFn = int (*)(void*, size_t);
using SetlocaleFn = char* (*)(int, const char*);
using NewlocaleFn = locale_t (*)(int, const char*, locale_t);
using TzsetFn = void (*)();
using LocaltimeFn = struct tm* (*)(const time_t*);
using LocaltimeRFn = struct tm* (*)(const time_t*, struct tm*);
using MktimeFn = time_t (*)(struct tm*);

struct Next {
  OpenFn open, open64;
  OpenatFn openat, openat64;
  FopenFn fopen, fopen64;
  GetenvFn getenv, secure_getenv;
  TimeFn time;
  GettimeofdayFn gettimeofday;
  ClockGettimeFn clock_gettime;
  GetrandomFn getrandom;
  GetentropyFn getentropy;
  SetlocaleFn setlocale;
  NewlocaleFn newlocale;
  TzsetFn tzset;
  LocaltimeFn localtime;
  LocaltimeRFn localtime_r;
  MktimeFn mktime;
} real FASTBOOT_STATE;

mode_t mode_arg(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? mode_t(va_arg(ap, int)) : 0;
}

// The variables libc reads for a locale named "" (the environment's), for the categories in
// `mask` (LC_ALL_MASK: every one).
void audit_locale_environment(int mask) {
  static const struct {
    int category;
    const char* name;
  } categories[] = {{LC_CTYPE, "LC_CTYPE"},       {LC_NUMERIC, "LC_NUMERIC"},   {LC_TIME, "LC_TIME"},
                    {LC_COLLATE, "LC_COLLATE"},   {LC_MONETARY, "LC_MONETARY"}, {LC_MESSAGES, "LC_MESSAGES"}};
  audit("environment", "LC_ALL");
  for (const auto& c : categories)
    if (mask & (1 << c.category)) audit("environment", c.name);
  audit("environment", "LANG");
}

void audit_time_zone() {
  audit("environment", "TZ");
  const char* tz = next(real.getenv, "getenv")("TZ");
  if (!tz || !*tz) audit("file", "/etc/localtime");
}

}  // namespace

void prepare_audit() {
  next(real.open, "open");
  next(real.open64, "open64");
  next(real.openat, "openat");
  next(real.openat64, "openat64");
  next(real.fopen, "fopen");
  next(real.fopen64, "fopen64");
  next(real.getenv, "getenv");
  next(real.secure_getenv, "secure_getenv");
  next(real.time, "time");
  next(real.gettimeofday, "gettimeofday");
  next(real.clock_gettime, "clock_gettime");
  next(real.getrandom, "getrandom");
  next(real.getentropy, "getentropy");
  next(real.setlocale, "setlocale");
  next(real.newlocale, "newlocale");
  next(real.tzset, "tzset");
  next(real.localtime, "localtime");
  next(real.localtime_r, "localtime_r");
  next(real.mktime, "mktime");
}

}  // namespace fastboot::rt

using namespace fastboot::rt;

extern "C" {

int open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  if (auditing()) audit("file", path);
  return next(real.open, "open")(path, flags, mode);
}

int open64(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  if (auditing()) audit("file", path);
  return next(real.open64, "open64")(path, flags, mode);
}

int openat(int dir, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  if (auditing()) audit_at("file", dir, path);
  return next(real.openat, "openat")(dir, path, flags, mode);
}

int openat64(int dir, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  if (auditing()) audit_at("file", dir, path);
  return next(real.openat64, "openat64")(dir, path, flags, mode);
}

FILE* fopen(const char* path, const char* how) {
  if (auditing()) audit("file", path);
  return next(real.fopen, "fopen")(path, how);
}

FILE* fopen64(const char* path, const char* how) {
  if (auditing()) audit("file", path);
  return next(real.fopen64, "fopen64")(path, how);
}

char* getenv(const char* name) {
  if (auditing()) audit("environment", name);
  return next(real.getenv, "getenv")(name);
}

char* secure_getenv(const char* name) {
  if (auditing()) audit("environment", name);
  return next(real.secure_getenv, "secure_getenv")(name);
}

time_t time(time_t* out) {
  if (auditing()) audit("time", "time()");
  return next(real.time, "time")(out);
}

int gettimeofday(struct timeval* tv, void* tz) {
  if (auditing()) audit("time", "gettimeofday()");
  return next(real.gettimeofday, "gettimeofday")(tv, tz);
}

int clock_gettime(clockid_t clock, struct timespec* ts) {
  if (auditing()) audit("time", "clock_gettime()");
  return next(real.clock_gettime, "clock_gettime")(clock, ts);
}

ssize_t getrandom(void* buf, size_t n, unsigned flags) {
  if (auditing()) audit("randomness", "getrandom()");
  return next(real.getrandom, "getrandom")(buf, n, flags);
}

int getentropy(void* buf, size_t n) {
  if (auditing()) audit("randomness", "getentropy()");
  return next(real.getentropy, "getentropy")(buf, n);
}

char* setlocale(int category, const char* locale) {
  if (auditing() && locale && !*locale) audit_locale_environment(category == LC_ALL ? LC_ALL_MASK : 1 << category);
  return next(real.setlocale, "setlocale")(category, locale);
}

locale_t newlocale(int mask, const char* locale, locale_t base) {
  if (auditing() && locale && !*locale) audit_locale_environment(mask);
  return next(real.newlocale, "newlocale")(mask, locale, base);
}

void tzset() {
  if (auditing()) audit_time_zone();
  next(real.tzset, "tzset")();
}

struct tm* localtime(const time_t* t) {
  if (auditing()) audit_time_zone();
  return next(real.localtime, "localtime")(t);
}

struct tm* localtime_r(const time_t* t, struct tm* out) {
  if (auditing()) audit_time_zone();
  return next(real.localtime_r, "localtime_r")(t, out);
}

time_t mktime(struct tm* t) {
  if (auditing()) audit_time_zone();
  return next(real.mktime, "mktime")(t);
}

}  // extern "C"
