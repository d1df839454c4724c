#!/usr/bin/env python3
"""check-arguments.py <frozen_arguments>

A frozen root is never served where the program would have built another value:
  - a value built from a global main set from the arguments is not frozen (the freezer's value
    differs from the first run's), with that cause, and every later run, with the same or
    other arguments, builds its own;
  - one built from standard input is not frozen either, the cause naming standard input;
  - an image made by a run without arguments is not used by a run whose main set the global
    (a path longer than a short string's buffer, and a short one), and is used again by runs
    without arguments;
  - an image is made and used when main set a global the initializer does not read, as long
    as main sets the same;
  - an image made under the "C" locale is not used by a run whose main chose another;
  - what main set stays main's through another root's first access: an image made without
    arguments is not used by a run that set the global and touched another root first.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

program = os.path.abspath(sys.argv[1])
tmp = tempfile.mkdtemp()
long_words = os.path.join(tmp, "a-word-list-with-a-long-name.txt")
with open(long_words, "w") as f:
    f.write("".join(f"word{i}\n" for i in range(1000)))
with open(os.path.join(tmp, "w"), "w") as f:
    f.write("alpha\nbeta\ngamma\n")


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1)


def fresh_cache():
    d = tempfile.mkdtemp(dir=tmp)
    os.chmod(d, 0o700)
    return d


def run(cache, args, stdin=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FASTBOOT_")}
    env.update({"FASTBOOT_LOG": "1", "FASTBOOT_CACHE_DIR": cache, "FASTBOOT_FREEZE": "sync"})
    p = subprocess.run([program] + args, env=env, capture_output=True, text=True, cwd=tmp, timeout=120,
                       input=stdin if stdin is not None else "")
    if p.returncode != 0:
        fail(f"{args} exited {p.returncode}: {p.stderr}")
    return p


def expect(p, out, log, what):
    first = p.stdout.splitlines()[0] if p.stdout else ""
    if first != out:
        fail(f"{what}: printed {first!r}, expected {out!r}\n{p.stderr}")
    if not re.search(log, p.stderr):
        fail(f"{what}: no log line matching {log!r}:\n{p.stderr}")


# Arguments: the first run builds from the file; the freezer, without it, builds an empty map.
cache = fresh_cache()
differs = r"not frozen: the value differs from the one the program's own run built.*its arguments, its standard input"
expect(run(cache, ["--path", long_words]), "1000 entries", differs, "first run with a path")
expect(run(cache, ["--path", long_words]), "1000 entries", r"not frozen: the value differs", "second run, same path")
expect(run(cache, ["--path", "w"]), "3 entries", r"not frozen: the value differs", "a run with another path")
expect(run(cache, []), "0 entries", r"not frozen: the value differs", "a run without a path")

# Standard input.
cache = fresh_cache()
words = "".join(f"w{i}\n" for i in range(500))
expect(run(cache, ["--stdin"], words), "500 words", r"not frozen: .*read standard input", "first run with input")
expect(run(cache, ["--stdin"], words), "500 words", r"not frozen: .*read standard input", "second run with input")
expect(run(cache, ["--stdin"], "one\n"), "1 words", r"not frozen", "a run with other input")

# An image made without arguments, then runs whose main set the global.
cache = fresh_cache()
expect(run(cache, []), "0 entries", r"froze it: image written", "first run without a path")
expect(run(cache, []), "0 entries", r"frozen root 'index': image used", "second run without a path")
expect(run(cache, ["--path", long_words]), "1000 entries", r"image not used \(main set other state", "a long path")
expect(run(cache, ["--path", "w"]), "3 entries", r"image not used \(main set other state|not frozen", "a short path")

# A global main sets that the initializer does not read: frozen, and used while main sets it alike.
cache = fresh_cache()
p = run(cache, ["--verbose"])
expect(p, "0 entries", r"froze it: image written", "first run, verbose")
p = run(cache, ["--verbose"])
expect(p, "0 entries", r"frozen root 'index': image used", "second run, verbose")
if "initializer runs: 0 (verbose)" not in p.stdout:
    fail(f"the second verbose run ran the initializer: {p.stdout}")

# The C locale main set: an image made under "C" is not used by a run that chose C.UTF-8.
cache = fresh_cache()
expect(run(cache, ["--count"]), "-1 characters", r"froze it: image written", "first run, C locale")
expect(run(cache, ["--count"]), "-1 characters", r"frozen root 'characters': image used", "second run, C locale")
expect(run(cache, ["--utf8"]), "11 characters", r"image not used \(main set other state", "a run in C.UTF-8")

# Another root's first access between main setting the global and this root's: what that
# access changes is no longer main's doing, but what main set before it still is. Also where
# main changed most of the program's writable data (--fill), which the runtime then keeps whole
# rather than as a list of the words main changed.
for fill in ([], ["--fill"]):
    cache = fresh_cache()
    expect(run(cache, fill + ["--count-first"]), "-1 characters", r"frozen root 'index'.*froze it: image written",
           f"first run, two roots {fill}")
    expect(run(cache, fill + ["--count-first"]), "-1 characters", r"frozen root 'index': image used",
           f"second run, two roots {fill}")
    p = run(cache, fill + ["--count-first", "--path", long_words])
    if p.stdout.splitlines()[1:2] != ["1000 entries"]:
        fail(f"a run {fill} that set the path and touched another root first printed {p.stdout!r}\n{p.stderr}")
    if not re.search(r"frozen root 'index': image not used \(main set other state", p.stderr):
        fail(f"a run {fill} that set the path and touched another root first: the index image was not refused:\n{p.stderr}")

shutil.rmtree(tmp, ignore_errors=True)
print("frozen roots built from the program's own run: never served to another run")
