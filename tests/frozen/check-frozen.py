#!/usr/bin/env python3
"""check-frozen.py <frozen_index> <frozen_index-unbaked> <frozen_index-other> <frozen_unbakeable>

A frozen root end to end, in real processes with a real cache directory:
  - the first run runs the initializer and writes an image (FASTBOOT_FREEZE=sync, and in the
    background); later runs map it and run no initializer; output is the same in every case;
  - a changed input file, environment variable or working directory makes the next run build
    it again and replace the image;
  - damaged, truncated, foreign (another build's, another root's) and linked images are ignored
    and replaced; with FASTBOOT_VERIFY=1 a damaged arena is caught too;
  - racing first runs leave one valid image;
  - a cache directory or file others can write is never used; a read-only or full cache loses
    nothing; FASTBOOT_FREEZE=off reads and writes nothing;
  - an unbakeable root is not frozen, says why, and is not tried again until an input changes;
  - older builds' images are removed.
"""
import fcntl
import glob
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

baked, unbaked, other, unbakeable = sys.argv[1:5]
tmp = tempfile.mkdtemp()
words = os.path.join(tmp, "words.txt")
with open(words, "w") as f:
    f.write("alpha\nbeta\ngamma\nalpha\ndelta\nepsilon\n")


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1)


def expect(cond, msg):
    if not cond:
        fail(msg)


def fresh_cache():
    d = tempfile.mkdtemp(dir=tmp)
    os.chmod(d, 0o700)
    return d


def env_for(cache, extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FASTBOOT_")}
    env.update({"FASTBOOT_LOG": "1", "FASTBOOT_CACHE_DIR": cache, "FROZEN_INPUT": words})
    env.update(extra or {})
    return env


def run(program, cache, extra=None, cwd=None):
    p = subprocess.run([program], env=env_for(cache, extra), capture_output=True, text=True, cwd=cwd, timeout=120)
    expect(p.returncode == 0, f"{program} exited {p.returncode}: {p.stderr}")
    return p


def body(p):
    """The output without the line that counts initializer runs."""
    return "".join(l + "\n" for l in p.stdout.splitlines() if not l.startswith("initializer runs"))


def frozen_runs(p):
    m = re.search(r"initializer runs: frozen (\d+)", p.stdout)
    expect(m, f"no count: {p.stdout}")
    return int(m.group(1))


def log_of(p):
    lines = [l for l in p.stderr.splitlines() if "frozen root 'index'" in l]
    expect(len(lines) == 1, f"expected one log line for the frozen root: {p.stderr}")
    return lines[0]


def images(cache):
    return sorted(glob.glob(os.path.join(cache, "*.frozen")))


def wait_for_freezers(cache):
    """Background freezers hold their image's lock while they work."""
    deadline = time.time() + 60
    while time.time() < deadline:
        locks = glob.glob(os.path.join(cache, "*.lock"))
        if locks:
            for lock in locks:
                with open(lock) as f:
                    fcntl.flock(f, fcntl.LOCK_EX)
            return
        time.sleep(0.05)
    fail(f"no freezer started in {cache}")


def reference(extra=None, cwd=None, program=baked):
    """What the program prints with no frozen image at all."""
    return body(run(program, fresh_cache(), dict(extra or {}, FASTBOOT_FREEZE="off"), cwd=cwd))


def frozen_then_used(program, cache, extra=None, what="", cwd=None):
    """A run that makes the image (sync), then one that uses it; both print the reference."""
    want = reference(extra, cwd, program)
    first = run(program, cache, dict(extra or {}, FASTBOOT_FREEZE="sync"), cwd=cwd)
    expect(body(first) == want, f"{what}: first run differs:\n{first.stdout}\nwanted:\n{want}")
    expect(frozen_runs(first) == 1, f"{what}: the first run did not run the initializer: {first.stdout}")
    expect("froze it: image written" in log_of(first), f"{what}: first run: {first.stderr}")
    later = run(program, cache, extra, cwd=cwd)
    expect(body(later) == want, f"{what}: later run differs:\n{later.stdout}")
    expect(frozen_runs(later) == 0, f"{what}: the later run ran the initializer: {later.stdout} {later.stderr}")
    expect("image used" in log_of(later), f"{what}: later run: {later.stderr}")
    return first, later


# 1. First run writes, later runs map; with a baked root beside it, and in an unbaked program.
cache = fresh_cache()
first, later = frozen_then_used(baked, cache, what="baked program")
expect(len(images(cache)) == 1, f"one image expected: {os.listdir(cache)}")
mode = os.stat(images(cache)[0]).st_mode & 0o777
expect(mode == 0o600, f"the image's mode is {oct(mode)}")
expect("greetings 3 hallo" in later.stdout and "baked 0" in later.stdout, f"the baked root: {later.stdout}")
frozen_then_used(unbaked, fresh_cache(), what="unbaked program")

# The background freezer: the first run does not wait; the image appears after.
bg = fresh_cache()
p = run(baked, bg)
expect(frozen_runs(p) == 1 and "freezing it in the background" in log_of(p), f"background: {p.stderr}")
wait_for_freezers(bg)
p = run(baked, bg)
expect(frozen_runs(p) == 0, f"after the background freezer: {p.stdout} {p.stderr}")

# 2. Changed inputs: the file, an environment variable, the working directory of a relative path.
with open(words, "a") as f:
    f.write("zeta\n")
p = run(baked, cache, {"FASTBOOT_FREEZE": "sync"})
expect(frozen_runs(p) == 1 and "words.txt changed" in log_of(p), f"changed file: {p.stderr}")
expect("occurrences 7" in p.stdout, f"changed file: {p.stdout}")
p = run(baked, cache)
expect(frozen_runs(p) == 0 and "occurrences 7" in p.stdout, f"after the change: {p.stdout} {p.stderr}")
other_words = os.path.join(tmp, "other-words.txt")
shutil.copy(words, other_words)
p = run(baked, cache, {"FASTBOOT_FREEZE": "sync", "FROZEN_INPUT": other_words})
expect(frozen_runs(p) == 1 and "environment variable FROZEN_INPUT changed" in log_of(p), f"changed variable: {p.stderr}")
rel_a, rel_b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
for d, content in ((rel_a, "one two\n"), (rel_b, "three four five\n")):
    os.mkdir(d)
    with open(os.path.join(d, "w.txt"), "w") as f:
        f.write(content)
rel = fresh_cache()
frozen_then_used(baked, rel, {"FROZEN_INPUT": "w.txt"}, "relative path", cwd=rel_a)
p = run(baked, rel, {"FROZEN_INPUT": "w.txt"}, cwd=rel_b)
expect(frozen_runs(p) == 1 and "working directory changed" in log_of(p) and "words 3" in p.stdout,
       f"another working directory: {p.stdout} {p.stderr}")

# An input that changes while the freezer's runs read it (the initializer touches it after
# reading): the freezer writes nothing, and the next run tries again.
touched_words = os.path.join(tmp, "touched-words.txt")
shutil.copy(words, touched_words)
touched = fresh_cache()
p = run(baked, touched, {"FASTBOOT_FREEZE": "sync", "FROZEN_TOUCH_INPUT": "1", "FROZEN_INPUT": touched_words})
expect(frozen_runs(p) == 1 and "the freezer wrote nothing: an input changed while the freezer read it" in p.stderr,
       f"an input touched while read: {p.stderr}")
expect(not images(touched), f"an input touched while read: an image was written: {os.listdir(touched)}")

# 3. Damaged, truncated, foreign and linked images are ignored, then replaced.
def damaged(how, change, reason, extra=None):
    c = fresh_cache()
    frozen_then_used(baked, c, what=how)
    image = images(c)[0]
    change(image)
    p = run(baked, c, dict(extra or {}, FASTBOOT_FREEZE="sync"))
    expect(body(p) == reference(), f"{how}: output differs: {p.stdout}")
    expect(frozen_runs(p) == 1 and reason in log_of(p), f"{how}: expected '{reason}': {p.stderr}")
    p = run(baked, c)
    expect(frozen_runs(p) == 0, f"{how}: not replaced: {p.stderr}")


def flip(offset):
    def change(path):
        with open(path, "r+b") as f:
            f.seek(offset if offset >= 0 else os.path.getsize(path) + offset)
            b = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([b[0] ^ 0x5A]))
    return change


def flip_arena(path):
    """A byte in the middle of the arena: the image's arena_offset and arena_size (image-format.h)."""
    with open(path, "rb") as f:
        data = f.read()
    image_offset, = struct.unpack_from("<Q", data, 96)
    arena_offset, arena_size = struct.unpack_from("<QQ", data, image_offset + 32)
    flip(image_offset + arena_offset + arena_size // 2)(path)


def truncate(path):
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) - 4096)


damaged("a damaged header", flip(20), "the image is damaged")
damaged("damaged inputs", flip(130), "the image is damaged")
damaged("a damaged image header", flip(4096 + 40), "checksum")
damaged("a truncated file", truncate, "truncated")
damaged("a damaged arena (FASTBOOT_VERIFY=1)", flip_arena, "arena checksum", {"FASTBOOT_VERIFY": "1"})


def foreign(path):
    c = fresh_cache()
    run(other, c, {"FASTBOOT_FREEZE": "sync"})
    shutil.copy(images(c)[0], path)


damaged("another build's image", foreign, "another build")


def link(path):
    target = path + ".elsewhere"
    os.rename(path, target)
    os.symlink(target, path)


damaged("a symbolic link", link, "symbolic link")


def open_mode(path):
    os.chmod(path, 0o666)


damaged("an image others can write", open_mode, "that only it can write")

# 4. Racing first runs, in the background and in sync mode: one valid image.
for mode in ("background", "sync"):
    race = fresh_cache()
    extra = {"FASTBOOT_FREEZE": "sync"} if mode == "sync" else {}
    procs = [subprocess.Popen([baked], env=env_for(race, extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(8)]
    want = reference()
    for pr in procs:
        out, err = pr.communicate(timeout=120)
        expect(pr.returncode == 0, f"race ({mode}): exit {pr.returncode}: {err}")
        expect("".join(l + "\n" for l in out.splitlines() if not l.startswith("initializer runs")) == want,
               f"race ({mode}): output differs: {out}")
    wait_for_freezers(race)
    expect(len(images(race)) == 1, f"race ({mode}): {os.listdir(race)}")
    expect(not glob.glob(os.path.join(race, ".new-*")), f"race ({mode}) left temporary files: {os.listdir(race)}")
    p = run(baked, race)
    expect(frozen_runs(p) == 0, f"after the race ({mode}): {p.stderr}")

# 5. The cache directory: others can write it, read-only, full; FASTBOOT_FREEZE=off.
open_dir = fresh_cache()
os.chmod(open_dir, 0o777)
p = run(baked, open_dir, {"FASTBOOT_FREEZE": "sync"})
expect(body(p) == reference() and "only it can write" in log_of(p), f"open cache directory: {p.stderr}")
expect(images(open_dir) == [], f"an image was written into a directory others can write: {os.listdir(open_dir)}")
off = fresh_cache()
p = run(baked, off, {"FASTBOOT_FREEZE": "off"})
expect(frozen_runs(p) == 1 and os.listdir(off) == [], f"FASTBOOT_FREEZE=off wrote: {os.listdir(off)}")
xdg = fresh_cache()
env = env_for("", {"FASTBOOT_FREEZE": "sync", "XDG_CACHE_HOME": xdg})
del env["FASTBOOT_CACHE_DIR"]
p = subprocess.run([baked], env=env, capture_output=True, text=True)
expect(p.returncode == 0 and len(images(os.path.join(xdg, "fastboot"))) == 1, f"XDG_CACHE_HOME: {p.stderr}")

notes = []
if subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0:
    # Root ignores permissions: a read-only or tiny tmpfs in a user and mount namespace instead.
    for name, options, reason in (("read-only", "ro", "not writable"), ("full", "size=8k", "the freezer wrote nothing")):
        d = fresh_cache()
        script = (f'mount -t tmpfs -o {options},mode=700 none "{d}" && "{baked}"; s=$?; ls -A "{d}"; exit $s')
        p = subprocess.run(["unshare", "-rm", "sh", "-c", script], env=env_for(d, {"FASTBOOT_FREEZE": "sync"}),
                           capture_output=True, text=True)
        expect(p.returncode == 0, f"{name} cache: exit {p.returncode}: {p.stderr}")
        out = p.stdout.splitlines()
        expect("".join(l + "\n" for l in out if not l.startswith("initializer runs") and "." not in l[:1])
               .startswith("source"), f"{name} cache: {p.stdout}")
        expect(not any(l.endswith(".frozen") or l.startswith(".new-") for l in out), f"{name} cache left: {out}")
        expect(reason in p.stderr, f"{name} cache: expected '{reason}': {p.stderr}")
else:
    notes.append("no user namespaces here: the read-only and full cache cases were not run")

# 6. Unbakeable roots: not frozen, said once, not tried again; the program keeps working.
c = fresh_cache()
p = subprocess.run([unbakeable], env=env_for(c, {"FASTBOOT_FREEZE": "sync"}), capture_output=True, text=True)
expect(p.returncode == 0 and "cell 7, command read, initializer runs 2" in p.stdout, f"unbakeable: {p.stdout} {p.stderr}")
expect(re.search(r"frozen root 'hashed'.*not frozen: .*cannot be relocated", p.stderr), f"unbakeable hash: {p.stderr}")
expect(re.search(r"frozen root 'command'.*not frozen: .*/proc/self/cmdline", p.stderr), f"unbakeable /proc: {p.stderr}")
p = subprocess.run([unbakeable], env=env_for(c), capture_output=True, text=True)
expect("initializer runs 2" in p.stdout and p.stderr.count("not frozen") == 2 and "background" not in p.stderr,
       f"unbakeable, second run: {p.stderr}")

# 7. Older builds' images are removed when a new one is written.
c = fresh_cache()
name = os.path.basename(baked).replace("-", "_")
stale = os.path.join(c, name + "-0123456789abcdef0123456789abcdef01234567-index.00000000.frozen")
open(stale, "w").close()
os.chmod(stale, 0o600)
run(baked, c, {"FASTBOOT_FREEZE": "sync"})
expect(not os.path.exists(stale) and len(images(c)) == 1, f"older build's image kept: {os.listdir(c)}")

shutil.rmtree(tmp, ignore_errors=True)
print("ok: frozen root written on the first run and mapped after, rebuilt when a file, a variable or the working "
      "directory changes; damaged, truncated, foreign, linked and open images replaced; racing first runs, open, "
      "read-only and full caches, unbakeable roots and older builds handled" + ("; " + "; ".join(notes) if notes else ""))
