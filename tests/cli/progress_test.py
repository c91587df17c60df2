#!/usr/bin/python3
"""progress_test.py - progress on a terminal (issue 16 item 11).

With stderr on a pseudo-terminal, `gaiyo verify` and `gaiyo report` on a
generated input (gaiyo-benchgen, 20,000 事業 a year) draw the stage and the
rows done in place ("\\r読み込み中 R6/jigyo.csv 16,384 行\\x1b[K") and clear
the line at the end; with that line taken out, what the terminal got is
exactly what stderr gets when it is a file. With stderr a file, a pipe, or
TERM=dumb, nothing of it appears. stdout is the same either way. Prints TAP.

Environment (set by meson): GAIYO, SRCDIR, BENCHGEN.
"""
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile

SRCDIR = os.environ.get("SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
GAIYO = os.environ.get("GAIYO", os.path.join(SRCDIR, "build", "gaiyo"))
BENCHGEN = os.environ.get("BENCHGEN", os.path.join(SRCDIR, "build", "bench", "gaiyo-benchgen"))
TPL = os.path.join(SRCDIR, "bench", "templates")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import taplib  # noqa: E402


def tap(ok, name, why=()):
    taplib.tap(ok, name, why, lines=30)


ENV = dict(os.environ, LC_ALL="C.UTF-8", TERM="xterm", GAIYO_GNUPLOT="/nonexistent")
ENV.pop("GAIYO_TIMES", None)


def on_tty(args, env=ENV):
    """run gaiyo with stderr on a pty: (exit code, stdout bytes, what the
    terminal got, with the pty's \\r\\n made \\n again)"""
    master, slave = pty.openpty()
    out = tempfile.TemporaryFile()
    p = subprocess.Popen([GAIYO] + args, stdin=subprocess.DEVNULL, stdout=out, stderr=slave, env=env)
    os.close(slave)
    got = b""
    while True:
        r, _, _ = select.select([master], [], [], 300)
        if not r:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer closed its end
            break
        if not chunk:
            break
        got += chunk
    os.close(master)
    rc = p.wait(timeout=300)
    out.seek(0)
    return rc, out.read(), got.replace(b"\r\n", b"\n")


def off_tty(args, env=ENV):
    p = subprocess.run([GAIYO] + args, stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=300)
    return p.returncode, p.stdout, p.stderr


# a progress line as drawn: from \r to the erase-to-end-of-line
PROGRESS = re.compile(rb"\r[^\r\n]*?\x1b\[K")


def without_progress(b):
    return PROGRESS.sub(b"", b)


def lines_drawn(b):
    return [m.group(0)[1:-3].decode("utf-8", "replace") for m in PROGRESS.finditer(b)]


if not os.access(GAIYO, os.X_OK) or not os.access(BENCHGEN, os.X_OK):
    print(f"1..0 # SKIP gaiyo or gaiyo-benchgen not built ({GAIYO}, {BENCHGEN})")
    sys.exit(0)

T = tempfile.mkdtemp()
try:
    IN = os.path.join(T, "in")
    subprocess.run([BENCHGEN, "20000", IN], check=True, capture_output=True)
    # the data rows of both years' files (no field spans lines)
    NROWS = sum(sum(1 for _ in open(os.path.join(IN, y, "jigyo.csv"), "rb")) - 1 for y in ("R5", "R6"))
    ARGS = ["--input", IN, "--templates", TPL]

    # verify: import and verify
    rc_t, out_t, tty = on_tty(["verify"] + ARGS)
    rc_f, out_f, err_f = off_tty(["verify"] + ARGS)
    drawn = lines_drawn(tty)
    reading = [d for d in drawn if re.fullmatch(r"読み込み中 R[56]/jigyo\.csv [0-9]{1,3}(,[0-9]{3})* 行", d)]
    tap(reading, "verify on a terminal: '読み込み中 R6/jigyo.csv N 行' drawn in place", [repr(drawn)[:2000]])
    tap("検算中" in drawn, "verify on a terminal: the stage 検算中 drawn", [repr(drawn)[:2000]])
    counts = [int(d.split()[-2].replace(",", "")) for d in reading]
    tap(counts == sorted(counts) and counts and counts[-1] <= NROWS,
        "verify on a terminal: the rows read only grow, up to the rows of both years (%s of %d)"
        % (counts[-3:], NROWS), [counts])
    tap(tty.endswith(b"\r\x1b[K"),
        "verify on a terminal: the line is cleared at the end", [repr(tty[-200:])])
    tap(without_progress(tty) == err_f and rc_t == rc_f and out_t == out_f,
        "verify on a terminal: without the progress line, stderr, stdout and exit code (%d) as off a terminal" % rc_f,
        [repr(without_progress(tty)[:500]), repr(err_f[:500])])
    tap(b"\r" not in err_f and b"\x1b" not in err_f and "読み込み中".encode() not in err_f,
        "verify with stderr a file: no progress at all", [repr(err_f[:500])])

    # report: the workbook's rows too
    OUT = os.path.join(T, "out")  # made anew by each run: the same stdout
    rc_t, out_t, tty = on_tty(["report", "--out", OUT, "--force"] + ARGS)
    drawn = lines_drawn(tty)
    tap(rc_t == 0 and any(re.fullmatch(r"ブック作成中 R6/jigyo\.csv [0-9,]+ 行", d) for d in drawn)
        and {"検算中", "ブック圧縮中"} <= set(drawn),
        "report on a terminal: 読み込み中, 検算中, ブック作成中 with rows, ブック圧縮中 drawn",
        [rc_t, repr(drawn)[:2000]])
    shutil.rmtree(OUT)
    rc_f, out_f2, err_f = off_tty(["report", "--out", OUT, "--force"] + ARGS)
    tap(without_progress(tty) == err_f and out_t == out_f2 and rc_f == 0,
        "report on a terminal: without the progress line, the same stderr and stdout as off a terminal",
        [repr(without_progress(tty)[:500]), repr(err_f[:500])])
    tap(err_f == b"", "report with stderr a pipe: stderr empty", [repr(err_f[:500])])

    # TERM=dumb: nothing drawn
    rc_t, _, tty = on_tty(["verify"] + ARGS, dict(ENV, TERM="dumb"))
    tap(not lines_drawn(tty) and b"\r" not in tty, "TERM=dumb: no progress on the terminal", [repr(tty[:500])])

    # an error after progress: the message starts on a clean line
    with open(os.path.join(IN, "R6", "jigyo.csv"), "a", encoding="utf-8") as f:
        f.write("課,x,y,\"unterminated\n")
    rc_t, _, tty = on_tty(["verify"] + ARGS)
    rc_f, _, err_f = off_tty(["verify"] + ARGS)
    tap(rc_t == rc_f == 3 and lines_drawn(tty) and without_progress(tty) == err_f
        and re.search(rb"\x1b\[Kgaiyo: [^\r\n]*R6/jigyo\.csv:[0-9]+:", tty),
        "an error on a terminal: the progress line is cleared before the message, which is as off a terminal",
        [rc_t, rc_f, repr(tty[-600:]), repr(err_f[:300])])
finally:
    shutil.rmtree(T, ignore_errors=True)

sys.exit(taplib.done())
