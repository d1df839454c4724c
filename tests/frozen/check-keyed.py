#!/usr/bin/env python3
"""check-keyed.py <frozen_keyed>

A frozen map in real processes with a real cache directory:
  - each key's first run builds its value and freezes it into an image of its own; later runs
    with that key map it, also when one run uses several keys; the log names the key;
  - a key's file that changes makes its next run build it again;
  - the cache keeps the newest images of the map, by count (FASTBOOT_FROZEN_KEYS) and by bytes
    (FASTBOOT_FROZEN_KEY_MIB), and removes the oldest;
  - a key that cannot be recorded (a newline in it) is served unfrozen, saying why.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

program = os.path.abspath(sys.argv[1])
tmp = tempfile.mkdtemp()


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1)


def words_file(name, count):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("".join(f"{name}-{i}\n" for i in range(count)))
    return path


a, b, c = words_file("a.txt", 300), words_file("b.txt", 500), words_file("c.txt", 700)
cache = tempfile.mkdtemp(dir=tmp)
os.chmod(cache, 0o700)


def run(args, extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FASTBOOT_")}
    env.update({"FASTBOOT_LOG": "1", "FASTBOOT_CACHE_DIR": cache, "FASTBOOT_FREEZE": "sync"})
    env.update(extra or {})
    p = subprocess.run([program] + args, env=env, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        fail(f"{args} exited {p.returncode}: {p.stderr}")
    return p


def expect(p, lines, runs, logs, what):
    out = p.stdout.splitlines()
    if out[:-1] != lines:
        fail(f"{what}: printed {out}, expected {lines}")
    if out[-1] != f"initializer runs: {runs}":
        fail(f"{what}: {out[-1]}, expected {runs} initializer runs\n{p.stderr}")
    for log in logs:
        if not re.search(log, p.stderr):
            fail(f"{what}: no log line matching {log!r}:\n{p.stderr}")


def images():
    return sorted(glob.glob(os.path.join(cache, "*-index.*.frozen")))


def key_log(path, what):
    return re.escape(f"frozen root 'index' for key '{path}': ") + what


expected = {}
for path in (a, b, c):
    p = run([path], {"FASTBOOT_FREEZE": "off"})
    expected[path] = p.stdout.splitlines()[0]

expect(run([a]), [expected[a]], 1, [key_log(a, "no image yet; ran the initializer and froze it: image written")], "a, first")
expect(run([a]), [expected[a]], 0, [key_log(a, "image used")], "a, second")
expect(run([b]), [expected[b]], 1, [key_log(b, "no image yet; ran the initializer and froze it")], "b, first")
expect(run([a, b]), [expected[a], expected[b]], 0, [key_log(a, "image used"), key_log(b, "image used")], "a and b")
if len(images()) != 2:
    fail(f"expected one image per key, found {images()}")

# A key's input changes: that key is built again, the other is not.
time.sleep(0.01)
with open(a, "a") as f:
    f.write("one-more\n")
p = run([a], {"FASTBOOT_FREEZE": "off"})
expected[a] = p.stdout.splitlines()[0]
expect(run([a, b]), [expected[a], expected[b]], 1, [key_log(a, r"image not used \(.*a\.txt changed\)"), key_log(b, "image used")],
       "a changed")

# At most two keys: freezing c removes the oldest image (b's, a's was written after it).
time.sleep(0.01)
expect(run([c], {"FASTBOOT_FROZEN_KEYS": "2"}), [expected[c]], 1, [key_log(c, ".*froze it")], "c, two keys kept")
if len(images()) != 2:
    fail(f"expected two images kept, found {images()}")
expect(run([b]), [expected[b]], 1, [key_log(b, "no image yet")], "b, after its image was removed")
expect(run([c]), [expected[c]], 0, [key_log(c, "image used")], "c, kept")

# At most 1 MiB: a large key's image leaves no room for the older ones; a small key's after it
# leaves none for the large one.
big = words_file("big.txt", 40000)
mib = {"FASTBOOT_FROZEN_KEY_MIB": "1"}
expect(run([big], mib), [run([big], {"FASTBOOT_FREEZE": "off"}).stdout.splitlines()[0]], 1, [key_log(big, ".*froze it")],
       "big")
if len(images()) != 1 or os.path.getsize(images()[0]) <= (1 << 20):
    fail(f"expected only the big key's image, over 1 MiB: {images()}")
expect(run([a], mib), [expected[a]], 1, [key_log(a, "no image yet; ran the initializer and froze it")], "a after big")
if len(images()) != 1 or os.path.getsize(images()[0]) > (1 << 20):
    fail(f"expected only a's image: {images()}")
expect(run([a], mib), [expected[a]], 0, [key_log(a, "image used")], "a, kept")

# A key with a newline cannot be recorded in the cache: served unfrozen.
odd = os.path.join(tmp, "odd\nname.txt")
shutil.copy(a, odd)
plain = run([odd], {"FASTBOOT_FREEZE": "off"}).stdout.splitlines()[:-1]
expect(run([odd]), plain,
       1, [r"no image: the key .* holds a tab, a newline or a NUL; running the initializer"], "a key with a newline")

shutil.rmtree(tmp, ignore_errors=True)
print("frozen map: one image per key, used by later runs with the key, the newest kept")
