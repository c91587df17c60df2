#!/usr/bin/python3
"""png_test.py - the charts' PNGs quick to encode, the same pixels (issue 15,
speed): gaiyo preloads gaiyo-pngfast.so (src/pngfast.c) into the gnuplot
that draws the charts, so that every PNG is deflated at zlib level 1 with
the filter Up on each row instead of libpng's per-row choice.

Checked on the default input/ by decoding the PNGs here (zlib, no image
library):
  - the shipped gaiyo and gaiyo-test: every row of every chart is filtered
    Up (libpng's default choice never gives that: the module is in gnuplot);
  - GAIYO_PNG_FAST=0: libpng's own choice (some rows not Up), and the
    pixels are the same as with the module;
  - gaiyo without the module beside it, or beside it in a folder whose
    path LD_PRELOAD would split (a colon): the charts are drawn all the
    same, by libpng's defaults, without a warning;
  - a gnuplot stand-in sees LD_PRELOAD naming the module by an absolute
    path, and gaiyo's own environment is not changed for anything else.
Prints TAP. Environment (set by meson): GAIYO, GAIYO_SHIPPED, SRCDIR.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

SRCDIR = os.environ.get("SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
GAIYO = os.environ.get("GAIYO", os.path.join(SRCDIR, "build", "gaiyo-test"))
SHIPPED = os.environ.get("GAIYO_SHIPPED", os.path.join(SRCDIR, "build", "gaiyo"))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import taplib  # noqa: E402

tap = taplib.tap
ENV = dict(os.environ, LC_ALL="C.UTF-8")
for k in ("GAIYO_PNG_FAST", "GAIYO_GNUPLOT", "GAIYO_TIMES"):
    ENV.pop(k, None)


def png_rows(path):
    """(width, height, bytes per pixel, [(filter, row bytes)]) of an 8-bit PNG"""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    w, h, depth, ctype = hdr[0], hdr[1], hdr[2], hdr[3]
    assert depth == 8 and hdr[6] == 0, (path, hdr)
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    assert len(raw) == h * (stride + 1), path
    rows = [(raw[i * (stride + 1)], raw[i * (stride + 1) + 1:(i + 1) * (stride + 1)]) for i in range(h)]
    return w, h, bpp, rows


def pixels(path):
    """the decoded pixels of a PNG (all five filters), as bytes"""
    w, h, bpp, rows = png_rows(path)
    prev = bytes(w * bpp)
    out = []
    for f, row in rows:
        cur = bytearray(row)
        if f == 1:
            for i in range(bpp, len(cur)):
                cur[i] = (cur[i] + cur[i - bpp]) & 255
        elif f == 2:
            cur = bytearray((a + b) & 255 for a, b in zip(row, prev))
        elif f == 3:
            for i in range(len(cur)):
                left = cur[i - bpp] if i >= bpp else 0
                cur[i] = (cur[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(len(cur)):
                a = cur[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out.append(bytes(cur))
        prev = bytes(cur)
    return (w, h, b"".join(out))


def report(gaiyo, out, env=ENV):
    """gaiyo report --force on the default input into out: (exit, stderr)"""
    p = subprocess.run([gaiyo, "report", "--force", "--input", os.path.join(SRCDIR, "input"),
                        "--templates", os.path.join(SRCDIR, "templates"), "--out", out],
                       env=env, capture_output=True, text=True)
    return p.returncode, p.stderr


def filters(out):
    """chart name -> set of the row filters of its PNG"""
    d = os.path.join(out, "charts")
    return {f[:-4]: {r[0] for r in png_rows(os.path.join(d, f))[3]}
            for f in sorted(os.listdir(d)) if f.endswith(".png")}


tmp = tempfile.mkdtemp(prefix="gaiyo-png-")
try:
    # the charts of the default report (templates/charts): all of them, decoded
    expected = sorted(f[:-6] for f in os.listdir(os.path.join(SRCDIR, "templates", "charts"))
                      if f.endswith(".chart"))
    runs = {}
    for name, exe, env in (("shipped", SHIPPED, ENV), ("test", GAIYO, ENV),
                           ("off", GAIYO, dict(ENV, GAIYO_PNG_FAST="0"))):
        out = os.path.join(tmp, name)
        rc, err = report(exe, out, env)
        fl = filters(out) if rc == 0 and os.path.isdir(os.path.join(out, "charts")) else {}
        runs[name] = fl
        tap(rc == 0 and "gnuplot" not in err and sorted(fl) == expected,
            f"{name}: the report draws every chart ({len(fl)} of {len(expected)})", [rc, err, sorted(fl)])
    for name in ("shipped", "test"):
        bad = {c: sorted(f) for c, f in runs[name].items() if f != {2}}
        tap(runs[name] and not bad, f"{name}: every row of every PNG filtered Up (gaiyo-pngfast.so in gnuplot)",
            [bad])
    mixed = [c for c, f in runs["off"].items() if f != {2}]
    tap(len(mixed) == len(expected), "GAIYO_PNG_FAST=0: libpng's own filters in every chart", [runs["off"]])
    for chart in ("torihiki", "keiryo_kensu"):
        a = pixels(os.path.join(tmp, "test", "charts", chart + ".png"))
        b = pixels(os.path.join(tmp, "off", "charts", chart + ".png"))
        tap(a[:2] == b[:2] and a[2] == b[2], f"{chart}.png: the same pixels with and without the module",
            [a[:2], b[:2]])

    # gaiyo alone (no module beside it), and beside it in a folder LD_PRELOAD splits
    alone = os.path.join(tmp, "alone")
    os.mkdir(alone)
    shutil.copy(GAIYO, alone)
    colon = os.path.join(tmp, "a:b")
    os.mkdir(colon)
    shutil.copy(GAIYO, colon)
    shutil.copy(os.path.join(os.path.dirname(GAIYO), "gaiyo-pngfast.so"), colon)
    installed = any(os.path.exists(os.path.join(p, "gaiyo", "gaiyo-pngfast.so"))
                    for p in ("/usr/local/lib", "/usr/local/lib/x86_64-linux-gnu", "/usr/lib"))
    for name, d in (("without the module", alone), ("in a folder with a colon", colon)):
        out = os.path.join(tmp, "o-" + os.path.basename(d))
        rc, err = report(os.path.join(d, os.path.basename(GAIYO)), out)
        fl = filters(out) if os.path.isdir(os.path.join(out, "charts")) else {}
        tap(rc == 0 and sorted(fl) == expected and "warning" not in err and "gnuplot" not in err,
            f"gaiyo {name}: every chart drawn, no warning", [rc, err, sorted(fl)])
        if not installed:
            tap(all(f != {2} for f in fl.values()), f"gaiyo {name}: libpng's own filters (module not loaded)",
                [fl])
        a = pixels(os.path.join(out, "charts", "torihiki.png"))
        b = pixels(os.path.join(tmp, "off", "charts", "torihiki.png"))
        tap(a == b, f"gaiyo {name}: torihiki.png has the same pixels")

    # what gnuplot is given: a stand-in that writes its LD_PRELOAD, then runs gnuplot
    stand = os.path.join(tmp, "gp.sh")
    seen = os.path.join(tmp, "seen.txt")
    with open(stand, "w") as f:
        f.write('#!/bin/sh\nprintf "%%s\\n" "${LD_PRELOAD-unset}" > "%s"\nexec gnuplot "$@"\n' % seen)
    os.chmod(stand, 0o755)
    out = os.path.join(tmp, "stand")
    rc, err = report(GAIYO, out, dict(ENV, GAIYO_GNUPLOT=stand))
    with open(seen) as f:
        pre = f.read().strip()
    mod = pre.split(":")[-1]
    tap(os.path.isabs(mod) and os.path.basename(mod) == "gaiyo-pngfast.so" and os.path.exists(mod),
        "gnuplot is started with LD_PRELOAD naming the module by its absolute path", [pre])
    tap(os.path.realpath(os.path.dirname(mod)) == os.path.realpath(os.path.dirname(GAIYO)),
        "the module is the one beside the program", [mod, GAIYO])
    tap("LD_PRELOAD" not in ENV or pre.startswith(ENV["LD_PRELOAD"]),
        "what was preloaded already stays first", [pre, ENV.get("LD_PRELOAD")])
    rc, err = report(GAIYO, os.path.join(tmp, "stand0"), dict(ENV, GAIYO_GNUPLOT=stand, GAIYO_PNG_FAST="0"))
    with open(seen) as f:
        pre0 = f.read().strip()
    tap("gaiyo-pngfast" not in pre0, "GAIYO_PNG_FAST=0: gnuplot's environment without the module", [pre0])
finally:
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(taplib.done())
