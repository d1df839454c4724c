#!/usr/bin/env python3
"""check-relocated-copy.py <program> <compressed program> <expected-output>

The randomized base's relocated copy ($XDG_RUNTIME_DIR/fastboot/<program>-<build-id>.arena) is
made by the first process, used by later ones at the same base, and never used when it is
damaged, truncated, another build's, another boot's, a link, or in a directory or file another
user could write: then it is replaced, or the process relocates a copy of its own. Racing first
processes leave one valid copy; a file size limit or a full directory loses nothing.
"""
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile

exe, compressed_exe, expected_path = sys.argv[1:4]
expected = open(expected_path).read()
tmp = tempfile.mkdtemp()
failures = []


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1)


def run(program=exe, runtime=None, extra_env=None, preexec=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FASTBOOT_") and k != "XDG_RUNTIME_DIR"}
    env.update({"FASTBOOT_LOG": "1", "FASTBOOT_RANDOMIZE": "boot"})
    if runtime:
        env["XDG_RUNTIME_DIR"] = runtime
    env.update(extra_env or {})
    p = subprocess.run([program], env=env, capture_output=True, text=True, preexec_fn=preexec)
    if p.returncode != 0:
        fail(f"{program} exited {p.returncode}: {p.stderr}")
    body = "".join(l + "\n" for l in p.stdout.splitlines() if not l.startswith("status:"))
    if body != expected:
        fail(f"output differs:\n{p.stdout}")
    if "status: baked=1 inits=0" not in p.stdout:
        fail(f"the image was not used: {p.stdout} {p.stderr}")
    m = re.search(r"image used: .* arena at (0x[0-9a-f]+) \(([^)]*)\)", p.stderr)
    if not m:
        fail(f"no image line: {p.stderr}")
    return int(m.group(1), 16), m.group(2), p.stderr


def fresh_runtime():
    d = tempfile.mkdtemp(dir=tmp)
    os.chmod(d, 0o700)
    return d


def copies(runtime):
    d = os.path.join(runtime, "fastboot")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def copy_path(runtime):
    files = [f for f in copies(runtime) if f.endswith(".arena")]
    if len(files) != 1:
        fail(f"expected one copy, found {copies(runtime)}")
    return os.path.join(runtime, "fastboot", files[0])


def checksum(data):
    """image::checksum(): 64-bit FNV-1a over 8-byte words, then bytes."""
    h = 0xCBF29CE484222325
    mask = (1 << 64) - 1
    i = 0
    while i + 8 <= len(data):
        (w,) = struct.unpack_from("<Q", data, i)
        h = ((h ^ w) * 0x100000001B3) & mask
        h ^= h >> 29
        i += 8
    for b in data[i:]:
        h = ((h ^ b) * 0x100000001B3) & mask
    return h


def rewrite_header(path, offset, value_bytes):
    """Writes bytes into the copy's header and fixes its checksum (offset 96)."""
    with open(path, "r+b") as f:
        header = bytearray(f.read(104))
        header[offset:offset + len(value_bytes)] = value_bytes
        struct.pack_into("<Q", header, 96, checksum(bytes(header[:96])))
        f.seek(0)
        f.write(header)


def expect(condition, msg):
    if not condition:
        fail(msg)


# First and later processes: one base, drawn at random, not the bake's.
rt = fresh_runtime()
base1, how1, _ = run(runtime=rt)
expect(how1 == "random base for this boot, relocated copy written; no copy yet", f"first run: {how1}")
expect(base1 >> 40 != 0x7E, f"the base {base1:#x} is the bake's")
base2, how2, _ = run(runtime=rt)
expect(how2 == "random base for this boot, relocated copy used" and base2 == base1, f"later run: {how2} at {base2:#x}")
path = copy_path(rt)
expect(stat.S_IMODE(os.stat(path).st_mode) == 0o600, "the copy is readable by others")
expect(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700, "the directory is open to others")

# Another boot's or build's copy, a damaged or truncated one: not used, replaced.
def replaced(mutate, reason):
    mutate(copy_path(rt))
    base, how, err = run(runtime=rt)
    expect(f"not used: {reason}" in err, f"{reason}: the log says {err}")
    expect(how.startswith("random base for this boot, relocated copy written; " + reason), f"{reason}: {how}")
    later, how, _ = run(runtime=rt)
    expect(how == "random base for this boot, relocated copy used" and later == base, f"after {reason}: {how}")


replaced(lambda p: rewrite_header(p, 64, bytes(16)), "the copy was made in another boot")
replaced(lambda p: rewrite_header(p, 16, bytes(32)), "the copy belongs to another build")
replaced(lambda p: rewrite_header(p, 80, struct.pack("<Q", 0x7E8100000000)), "the copy's base is out of range")


def flip_header(p):
    with open(p, "r+b") as f:
        f.seek(20)
        b = f.read(1)
        f.seek(20)
        f.write(bytes([b[0] ^ 0xFF]))


replaced(flip_header, "the copy is damaged")
replaced(lambda p: os.truncate(p, os.path.getsize(p) - 4096), "the copy is truncated")


# The compressed build of the same program: its copy under this one's name is another image.
def foreign(p):
    other = fresh_runtime()
    run(program=compressed_exe, runtime=other)
    shutil.copyfile(copy_path(other), p)


replaced(foreign, "the copy belongs to another build")

# A link in place of the copy: not followed, and what it points at is left alone.
victim = os.path.join(tmp, "victim")
open(victim, "w").write("untouched")
os.unlink(copy_path(rt))
name = os.path.basename(path)
os.symlink(victim, os.path.join(rt, "fastboot", name))
_, how, err = run(runtime=rt)
expect("the copy is a symbolic link" in err and "relocated copy written" in how, f"symlink: {how} {err}")
expect(open(victim).read() == "untouched", "the link's target was written")
expect(not os.path.islink(os.path.join(rt, "fastboot", name)), "the link is still there")

# Directories and files others could write are never used.
for target, mode, reason in [
    (lambda: os.path.join(rt, "fastboot"), 0o777, "$XDG_RUNTIME_DIR/fastboot is not a directory of this user's"),
    (lambda: rt, 0o777, "XDG_RUNTIME_DIR is not a directory of this user's"),
]:
    os.chmod(target(), mode)
    base, how, _ = run(runtime=rt)
    expect(how.startswith("relocated; no copy for this boot: " + reason), f"mode {mode:o}: {how}")
    os.chmod(target(), 0o700)
os.chmod(copy_path(rt), 0o666)
_, how, err = run(runtime=rt)
expect("not a file of this user's that only it can write" in err and "relocated copy written" in how, f"file mode: {how}")

# No runtime directory: a random base of the process's own.
base, how, _ = run(runtime=None)
expect(how == "relocated; no copy for this boot: XDG_RUNTIME_DIR is not set", f"no XDG_RUNTIME_DIR: {how}")

# Older builds' copies of this program go; other programs' stay.
old = os.path.join(rt, "fastboot", name.rsplit("-", 1)[0] + "-0123abcd.arena")
other = os.path.join(rt, "fastboot", name.rsplit("-", 1)[0] + "_server-0123abcd.arena")
os.unlink(os.path.join(rt, "fastboot", name))
for p in (old, other):
    open(p, "w").write("x")
_, how, _ = run(runtime=rt)
expect(how.startswith("random base for this boot, relocated copy written"), f"cleanup: {how}")
expect(not os.path.exists(old) and os.path.exists(other), f"cleanup: {copies(rt)}")
os.unlink(other)

# Racing first processes: all correct, one copy left, no temporary files.
race = fresh_runtime()
env = {k: v for k, v in os.environ.items() if not k.startswith("FASTBOOT_")}
env.update({"FASTBOOT_LOG": "1", "FASTBOOT_RANDOMIZE": "boot", "XDG_RUNTIME_DIR": race})
procs = [subprocess.Popen([exe], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(8)]
for p in procs:
    out, err = p.communicate()
    expect(p.returncode == 0 and "status: baked=1 inits=0" in out, f"racing run: {out} {err}")
files = copies(race)
expect(len(files) == 1 and files[0].endswith(".arena"), f"after the race: {files}")
_, how, _ = run(runtime=race)
expect(how == "random base for this boot, relocated copy used", f"after the race: {how}")

# A file size limit below the copy: no copy, no SIGXFSZ, nothing left behind.
import resource

limited = fresh_runtime()
_, how, _ = run(runtime=limited, preexec=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096)))
expect(how == "relocated; no copy for this boot: it would exceed the file size limit, ulimit -f", f"ulimit: {how}")
expect(copies(limited) == [], f"ulimit left {copies(limited)}")

# A full directory (a 64 KiB tmpfs in a user and mount namespace, where the system allows one).
probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
if probe.returncode == 0:
    full = fresh_runtime()
    script = (f'mount -t tmpfs -o size=64k,mode=700 none "{full}" && '
              f'FASTBOOT_LOG=1 FASTBOOT_RANDOMIZE=boot XDG_RUNTIME_DIR="{full}" "{exe}" && ls -A "{full}/fastboot"')
    p = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True)
    expect(p.returncode == 0 and "status: baked=1 inits=0" in p.stdout, f"full tmpfs: {p.stdout} {p.stderr}")
    expect("no copy for this boot: no room on the disk" in p.stderr, f"full tmpfs: {p.stderr}")
    expect(".arena" not in p.stdout and ".tmp" not in p.stdout, f"full tmpfs left: {p.stdout}")
    full_note = "; a full directory"
else:
    full_note = " (no user namespaces here: the full-directory case was not run)"

shutil.rmtree(tmp, ignore_errors=True)
print(f"ok: relocated copy written, used at one random base, replaced when damaged, truncated, foreign or "
      f"another boot's; links, open permissions, racing first processes, a file size limit{full_note} handled")
