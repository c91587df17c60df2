#!/usr/bin/python3
"""failing_runs.py - no run exits non-zero without saying what failed.

Runs `gaiyo report` (and `import` for a few) over many broken inputs,
templates and output folders, made here by mutating copies of the default
input/ and templates/. Every run must exit 0, 1 (verify's findings) or 3
(could not read or write), never die of a signal; and every run that exits
2 or 3 must print at least one diagnostic line that names a file or folder
of the run (or the resource that ran out), besides the closing
「報告は書きませんでした」. Some cases must also succeed (a sheet with many
caption rows). Prints TAP.

Environment (set by meson): GAIYO, SRCDIR.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

SRCDIR = os.environ.get("SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
GAIYO = os.environ.get("GAIYO", os.path.join(SRCDIR, "build", "gaiyo"))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import tap, done  # noqa: E402


# a line that names something: a path under the run's folder, or a resource
RESOURCE = re.compile("メモリ|ディスク|容量|gnuplot|空き|memory|disk")


def says_what_failed(err, root):
    lines = [l for l in err.splitlines() if l.startswith("gaiyo: ")]
    lines = [l for l in lines if "報告は書きませんでした" not in l]
    return any(root in l or RESOURCE.search(l) for l in lines)


def run(args, root):
    env = dict(os.environ, LC_ALL="C.UTF-8")
    p = subprocess.run([GAIYO] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=300)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def check_run(name, args, root, want_rc=None):
    rc, out, err = run(args, root)
    why = []
    if rc < 0 or rc not in (0, 1, 2, 3):
        why.append(f"exit {rc} (a signal or an undocumented code)")
    if rc in (2, 3) and not says_what_failed(err, root):
        why.append(f"exit {rc} without a diagnostic naming a file, folder or resource")
    if want_rc is not None and rc != want_rc:
        why.append(f"exit {rc}, expected {want_rc}")
    if why:
        why += ["stderr:", err[:1500], "stdout (tail):", out[-600:]]
    tap(not why, f"{name} (exit {rc})", why)
    return rc, out, err


def fresh(base):
    """A copy of the default input and templates under base/."""
    if os.path.exists(base):
        shutil.rmtree(base)
    os.makedirs(base)
    shutil.copytree(os.path.join(SRCDIR, "input"), os.path.join(base, "input"))
    shutil.copytree(os.path.join(SRCDIR, "templates"), os.path.join(base, "templates"))
    return base


def args_for(base, cmd="report"):
    a = [cmd, "--input", os.path.join(base, "input"), "--templates", os.path.join(base, "templates")]
    if cmd == "report":
        a += ["--out", os.path.join(base, "out"), "--force"]
    return a


def lines_of(path):
    with open(path, "rb") as f:
        return f.read().split(b"\n")


def write_lines(path, lines):
    with open(path, "wb") as f:
        f.write(b"\n".join(lines))


# ---- mutations of one data file ------------------------------------------

def m_header_only(ls):
    return [ls[0], b""]


def m_empty(ls):
    return []


def m_no_header(ls):
    return ls[1:]


def m_unterminated(ls):
    ls = list(ls)
    ls[target(ls)] = ls[target(ls)] + b',"open'
    return ls


def m_extra_column(ls):
    ls = list(ls)
    ls[target(ls)] = ls[target(ls)] + b",extra"
    return ls


def m_short_row(ls):
    ls = list(ls)
    ls[target(ls)] = b",".join(ls[target(ls)].split(b",")[:-1])
    return ls


def m_not_a_number(ls):
    ls = list(ls)
    cells = ls[target(ls)].split(b",")
    for i in range(len(cells) - 1, -1, -1):
        if re.fullmatch(rb"[0-9]+", cells[i]):
            cells[i] = b"12x" + cells[i]
            break
    ls[target(ls)] = b",".join(cells)
    return ls


def m_nul(ls):
    ls = list(ls)
    ls[1] = ls[1][:3] + b"\0" + ls[1][3:]
    return ls


def m_bad_bytes(ls):
    ls = list(ls)
    ls[target(ls)] = ls[target(ls)] + b"\x80\xff"
    return ls


def m_duplicate_row(ls):
    ls = list(ls)
    ls.insert(target(ls) + 1, ls[target(ls)])
    return ls


def target(ls):
    """The data line a mutation changes: the second data line, or the first
    of a table with one row (0-based index into the file's lines)."""
    return 2 if len(ls) > 2 and ls[2] else 1


def m_long_text(ls):
    # a text of 40,000 characters in the first column that holds text
    ls = list(ls)
    i0 = target(ls)
    cells = ls[i0].split(b",")
    for i, c in enumerate(cells):
        if c and not re.fullmatch(rb"[-0-9.,%]+", c):
            cells[i] = "長".encode() * 40000
            break
    ls[i0] = b",".join(cells)
    return ls


DATA_MUTATIONS = [m_header_only, m_empty, m_no_header, m_unterminated, m_extra_column,
                  m_short_row, m_not_a_number, m_nul, m_bad_bytes, m_duplicate_row,
                  m_long_text]


# ---- mutations of one template file --------------------------------------

def t_garbage(data):
    return data + b"\n@@@ (((nonsense ]]]\n"


def t_half(data):
    return data[: len(data) // 2]


def t_empty(data):
    return b""


TEMPLATE_MUTATIONS = [t_garbage, t_half, t_empty]


def long_text_kept_or_refused(csv, base, path, rc, err, line):
    """A text longer than a cell holds is refused at file:line:col, or kept whole."""
    if rc == 3:
        ok = re.search(re.escape(path) + f":{line}:[0-9]+: error: ", err) is not None
        tap(ok, f"data {csv} long_text: refused at its file:line:col", [err[:800]])
        return
    import openpyxl
    wb = openpyxl.load_workbook(os.path.join(base, "out", "gaiyo-R6.xlsx"), read_only=True)
    whole = any(isinstance(v, str) and "長" * 40000 in v
                for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row)
    tap(whole, f"data {csv} long_text: exit {rc} and the text is in the workbook whole")


def memory_starved(tmp):
    """Runs under a shrinking address-space limit (ulimit -v) run out of
    memory at many different places: each must say so, or succeed. Only
    the plain build (the sanitizers reserve terabytes of address space).
    libxlsxwriter itself dies of a signal where one of its own allocations
    fails (its author's choice: a crash rather than a corrupt file); such
    a run must still say so (gaiyo's handler of fatal signals)."""
    with open(GAIYO, "rb") as f:
        if b"AddressSanitizer" in f.read():
            tap(True, "memory starved: skipped under the sanitizers # SKIP")
            return
    base = fresh(os.path.join(tmp, "mem"))
    said_oom = 0
    bad = []
    for kb in range(4000, 16000, 100):
        out = os.path.join(base, "out")
        shutil.rmtree(out, ignore_errors=True)
        env = dict(os.environ, LC_ALL="C.UTF-8", GAIYO_GNUPLOT="/nonexistent/gnuplot")
        cmd = f'ulimit -v {kb}; exec "$0" "$@"'
        p = subprocess.run(["bash", "-c", cmd, GAIYO] + args_for(base), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=120)
        err = p.stderr.decode("utf-8", "replace")
        if p.returncode == 127 and "error while loading shared libraries" in err:
            continue  # the dynamic loader, before gaiyo runs
        if p.returncode < 0 or p.returncode > 128:
            if "gaiyo: error: 内部エラーで止まりました (シグナル" not in err:
                bad.append(f"{kb} KiB: killed ({p.returncode}) without a word: {err[:300]}")
            continue
        if p.returncode in (2, 3):
            if not says_what_failed(err, base):
                bad.append(f"{kb} KiB: exit {p.returncode} without naming what failed: {err[:300]}")
            elif "メモリ" in err:
                said_oom += 1
    tap(not bad, "memory starved: every failing run says what failed", bad)
    tap(said_oom > 0, f"memory starved: some runs ran out of memory and said so ({said_oom})")


def main():
    if not os.access(GAIYO, os.X_OK):
        print(f"1..0 # SKIP gaiyo not built ({GAIYO})")
        return 0
    tmp = tempfile.mkdtemp(prefix="gaiyo-fail-")
    try:
        base = os.path.join(tmp, "w")

        # the default input itself succeeds
        fresh(base)
        check_run("default input: report succeeds", args_for(base), tmp, want_rc=0)

        # every data file, every mutation
        for csv in sorted(os.listdir(os.path.join(SRCDIR, "input", "R6"))):
            if not csv.endswith(".csv"):
                continue
            for m in DATA_MUTATIONS:
                fresh(base)
                p = os.path.join(base, "input", "R6", csv)
                orig = lines_of(p)
                write_lines(p, m(orig))
                rc, _, err = check_run(f"data {csv} {m.__name__[2:]}", args_for(base), tmp)
                if m is m_long_text:
                    long_text_kept_or_refused(csv, base, p, rc, err, target(orig) + 1)

        # every template file, every mutation
        troot = os.path.join(SRCDIR, "templates")
        tfiles = []
        for d, _, fs in os.walk(troot):
            for f in fs:
                if not f.endswith(".md"):
                    tfiles.append(os.path.relpath(os.path.join(d, f), troot))
        for rel in sorted(tfiles):
            for m in TEMPLATE_MUTATIONS:
                fresh(base)
                p = os.path.join(base, "templates", rel)
                with open(p, "rb") as f:
                    data = f.read()
                with open(p, "wb") as f:
                    f.write(m(data))
                check_run(f"template {rel} {m.__name__[2:]}", args_for(base), tmp)

        # folders and files that are not what they should be
        fresh(base)
        os.makedirs(os.path.join(base, "input", "R6", "dir.csv"))
        check_run("a folder named like a CSV", args_for(base), tmp)

        fresh(base)
        with open(os.path.join(base, "out"), "w") as f:
            f.write("a file where out/ should be\n")
        check_run("out is a file", args_for(base), tmp)

        fresh(base)
        check_run("input folder missing", ["report", "--input", os.path.join(base, "nosuch"),
                                           "--templates", os.path.join(base, "templates"),
                                           "--out", os.path.join(base, "out")], tmp)
        check_run("templates folder missing", ["import", "--input", os.path.join(base, "input"),
                                               "--templates", os.path.join(base, "nosuch")], tmp)

        fresh(base)
        shutil.copytree(os.path.join(base, "input", "R6"), os.path.join(base, "input", "令和6年度"))
        check_run("the same year as two folders", args_for(base), tmp)

        fresh(base)
        os.makedirs(os.path.join(base, "input", "R99"))
        check_run("a year folder no report can have", args_for(base), tmp, want_rc=3)

        # a sheet with many caption rows: 40 課 in 事業費, each its own caption
        fresh(base)
        p = os.path.join(base, "input", "R6", "jigyohi.csv")
        ls = [l for l in lines_of(p) if l]
        out = [ls[0]]
        body = ls[1:]
        for k in range(40):
            for l in body[:6]:
                cells = l.split(b",")
                cells[0] = f"第{k + 1}課".encode()
                out.append(b",".join(cells))
        write_lines(p, out + [b""])
        rc, _, err = check_run("jigyohi with 40 課: report succeeds", args_for(base), tmp, want_rc=0)

        memory_starved(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return done()


if __name__ == "__main__":
    sys.exit(main())
