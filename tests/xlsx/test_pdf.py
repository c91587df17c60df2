#!/usr/bin/python3
"""make pdf (scripts/pdf.sh): the report's workbook through LibreOffice.
One conversion per run. The PDF must have the pages the workbook's print
setup says — computed here from it: a sheet fitted to 1 × 1 page is one
page; any other has (column breaks + 1) × (row breaks + 1) pages, less
those with nothing of their own (LibreOffice leaves a page out that holds
only the repeated titles) — and carry the cover, every table's title, and
figures. A failing or missing soffice leaves out/ as it was. Prints TAP."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get('SRCDIR', os.path.dirname(os.path.dirname(HERE)))
GAIYO = os.environ.get('GAIYO', os.path.join(SRCDIR, 'build', 'gaiyo'))
PDFSH = os.path.join(SRCDIR, 'scripts', 'pdf.sh')

try:
    import openpyxl
    from openpyxl.utils import column_index_from_string
except ImportError:
    print('1..0 # SKIP python3-openpyxl is not installed')
    sys.exit(0)

n = 0
failed = 0


def check(name, cond, *detail):
    global n, failed
    n += 1
    print(('ok %d - %s' if cond else 'not ok %d - %s') % (n, name))
    if not cond:
        failed += 1
        for d in detail:
            for line in str(d).splitlines()[:40]:
                print('#   ' + line)


def listing(d):
    return sorted((os.path.relpath(os.path.join(r, f), d), os.stat(os.path.join(r, f)).st_mtime_ns)
                  for r, _, fs in os.walk(d) for f in fs)


TMP = tempfile.mkdtemp()
OUT = os.path.join(TMP, 'out')
os.mkdir(OUT)
env = dict(os.environ)
r = subprocess.run([GAIYO, 'report', '--input', os.path.join(SRCDIR, 'input'), '--templates',
                    os.path.join(SRCDIR, 'templates'), '--out', OUT], capture_output=True, text=True, env=env)
check('report on the default input exits 0', r.returncode == 0, r.stderr)
BOOK = os.path.join(OUT, 'gaiyo-R6.xlsx')
PDF = os.path.join(OUT, 'gaiyo-R6.pdf')

# ---- soffice failing or missing: a message, exit 1, out/ untouched (no soffice run)
before = listing(OUT)
for what, soffice in (('missing', os.path.join(TMP, 'no-such-soffice')), ('failing', '/bin/false'),
                      ('writing nothing', '/bin/true')):
    r = subprocess.run(['bash', PDFSH, OUT], capture_output=True, text=True, env=dict(env, GAIYO_SOFFICE=soffice))
    check('pdf: soffice %s: exit 1 with a message naming it' % what,
          r.returncode == 1 and 'gaiyo pdf:' in r.stderr and ('LibreOffice' in r.stderr), r.returncode, r.stderr)
    check('pdf: soffice %s: out/ untouched' % what, listing(OUT) == before)
r = subprocess.run(['bash', PDFSH, os.path.join(TMP, 'nothing')], capture_output=True, text=True, env=env)
check('pdf: no report yet: exit 1, says make report', r.returncode == 1 and 'make report' in r.stderr, r.stderr)

# ---- around the conversion, with a stand-in soffice that writes a small PDF
# where soffice would (no LibreOffice run): leftovers of a killed run, the
# PDF current only for the workbook it was made from
FAKE = os.path.join(TMP, 'fake-soffice')
with open(FAKE, 'w') as f:
    f.write('#!/bin/bash\n'
            'for a in "$@"; do [ "$prev" = --outdir ] && out=$a; prev=$a; done\n'
            'b=${a##*/}\n'
            '[ -n "${FAKE_TOUCH:-}" ] && touch -d "+5 seconds" "$FAKE_TOUCH"\n'
            '[ -n "${FAKE_TRUNC:-}" ] && touch -d "@$(stat -c %Y "$a")" "$a"\n'
            'printf "%%PDF-1.4 stand-in\\n" >"$out/${b%.xlsx}.pdf"\n')
os.chmod(FAKE, 0o755)
fenv = dict(env, GAIYO_SOFFICE=FAKE)
O2 = os.path.join(TMP, 'out2')
r = subprocess.run([GAIYO, 'report', '--input', os.path.join(SRCDIR, 'input'), '--templates',
                    os.path.join(SRCDIR, 'templates'), '--out', O2], capture_output=True, text=True, env=env)
B2, P2 = os.path.join(O2, 'gaiyo-R6.xlsx'), os.path.join(O2, 'gaiyo-R6.pdf')
stale = '.gaiyo-R6.pdf.Ab3dE9'
others = ['.gaiyo-R6.pdf.keep', '.gaiyo-R6.pdf.ABCDEFG', '.gaiyo-R6.pdf.ab-d_f', 'x.gaiyo-R6.pdf.Ab3dE9',
          '.gaiyo-R7.pdf.Ab3dE9', 'charts/.gaiyo-R6.pdf.Ab3dE9']
for name in [stale] + others:
    with open(os.path.join(O2, name), 'w') as f:
        f.write('%PDF-1.4 half\n')
os.mkdir(os.path.join(O2, '.gaiyo-R6.pdf.Dir123'))
r = subprocess.run(['bash', PDFSH, O2], capture_output=True, text=True, env=fenv)
check('pdf: the temporary PDF of a killed run (.gaiyo-R6.pdf.XXXXXX in out/) is removed, and said',
      r.returncode == 0 and not os.path.lexists(os.path.join(O2, stale)) and stale in r.stderr, r.stdout, r.stderr)
kept = [n_ for n_ in others + ['.gaiyo-R6.pdf.Dir123'] if os.path.lexists(os.path.join(O2, n_))]
check('pdf: … and nothing else: another pattern, another year, a subfolder, a folder', len(kept) == len(others) + 1,
      kept)
check('pdf: the PDF carries the modification time of the workbook it was made from',
      os.path.isfile(P2) and os.stat(P2).st_mtime_ns == os.stat(B2).st_mtime_ns)
r = subprocess.run(['bash', PDFSH, O2], capture_output=True, text=True, env=fenv)
check('pdf: current: a second run does nothing', r.returncode == 0 and '最新' in r.stdout, r.stdout, r.stderr)
# another make pdf in the same out/ (holding the lock): this one waits, says so
hold = subprocess.Popen(['flock', O2, 'sleep', '2'])
time.sleep(0.5)
r = subprocess.run(['bash', PDFSH, O2], capture_output=True, text=True, env=fenv)
hold.wait()
check('pdf: another make pdf running in out/: waits for it, says so',
      r.returncode == 0 and '別の make pdf' in r.stderr and '最新' in r.stdout, r.stdout, r.stderr)
# the copy soffice converts, in TMPDIR, holds the workbook's time only as
# finely as TMPDIR's file system keeps times (here: whole seconds, as the
# stand-in truncates it): out/'s workbook alone says whether it changed
r = subprocess.run(['bash', PDFSH, O2], capture_output=True, text=True,
                   env=dict(fenv, GAIYO_PDF_FORCE='1', FAKE_TRUNC='1'))
check('pdf: a TMPDIR keeping coarser times: the PDF is made, with the workbook\'s own time',
      r.returncode == 0 and os.path.isfile(P2) and os.stat(P2).st_mtime_ns == os.stat(B2).st_mtime_ns,
      r.stdout, r.stderr)
# a new report: the PDF of the workbook it replaces goes, and the run says so
r = subprocess.run([GAIYO, 'report', '--force', '--input', os.path.join(SRCDIR, 'input'), '--templates',
                    os.path.join(SRCDIR, 'templates'), '--out', O2], capture_output=True, text=True, env=env)
check('report: a new workbook removes the PDF made from the previous one, and says so',
      r.returncode == 0 and not os.path.lexists(P2) and 'gaiyo-R6.pdf を削除しました' in r.stdout, r.stdout, r.stderr)
r = subprocess.run(['bash', PDFSH, O2], capture_output=True, text=True, env=fenv)
check('pdf: after the report, make pdf makes it again', r.returncode == 0 and '最新' not in r.stdout and
      os.path.isfile(P2) and os.stat(P2).st_mtime_ns == os.stat(B2).st_mtime_ns, r.stdout, r.stderr)
# the workbook rewritten while soffice runs: that PDF is not put in out/
with open(P2, 'rb') as f:
    before_pdf = f.read()
before_t = os.stat(P2).st_mtime_ns
r = subprocess.run(['bash', PDFSH, O2], capture_output=True, text=True,
                   env=dict(fenv, GAIYO_PDF_FORCE='1', FAKE_TOUCH=B2))
with open(P2, 'rb') as f:
    same = f.read() == before_pdf and os.stat(P2).st_mtime_ns == before_t
check('pdf: the workbook rewritten during the conversion: exit 1, says so, the PDF in out/ as it was',
      r.returncode == 1 and '変換中に書き換えられました' in r.stderr and same and
      not [n_ for n_ in os.listdir(O2) if re.fullmatch(r'\.gaiyo-R6\.pdf\.[A-Za-z0-9]{6}', n_) and
           os.path.isfile(os.path.join(O2, n_))], r.stderr)
r = subprocess.run(['bash', PDFSH, O2], capture_output=True, text=True, env=fenv)
check('pdf: … and the next make pdf sees that PDF as stale and makes it again',
      r.returncode == 0 and '最新' not in r.stdout and os.stat(P2).st_mtime_ns == os.stat(B2).st_mtime_ns,
      r.stdout, r.stderr)

if not shutil.which('soffice') or not shutil.which('pdfinfo') or not shutil.which('pdftotext'):
    print('# soffice or poppler-utils not installed: the conversion is not run')
    print('1..%d' % n)
    sys.exit(1 if failed else 0)

# ---- the conversion (once)
r = subprocess.run(['bash', PDFSH, OUT], capture_output=True, text=True, env=env, timeout=600)
check('pdf: exits 0 and names the PDF', r.returncode == 0 and 'out/gaiyo-R6.pdf' in r.stdout, r.stdout, r.stderr)
check('pdf: out/gaiyo-R6.pdf exists', os.path.isfile(PDF), os.listdir(OUT))
check('pdf: … with the modification time of its workbook',
      os.path.isfile(PDF) and os.stat(PDF).st_mtime_ns == os.stat(BOOK).st_mtime_ns)
check('pdf: nothing else left in out/', sorted(f for f in os.listdir(OUT) if f.startswith('.gaiyo-R6.pdf')) == [],
      os.listdir(OUT))
if not os.path.isfile(PDF):
    print('1..%d' % n)
    sys.exit(1)
r2 = subprocess.run(['bash', PDFSH, OUT], capture_output=True, text=True, env=env)
check('pdf: a second make pdf with nothing changed does nothing', r2.returncode == 0 and '最新' in r2.stdout, r2.stdout)

info = subprocess.run(['pdfinfo', PDF], capture_output=True, text=True).stdout
pages = int(re.search(r'^Pages:\s+(\d+)', info, re.M).group(1))
check('pdf: A4', re.search(r'^Page size:.*\(A4\)', info, re.M) is not None, info)

# ---- the pages the print setup says
wb = openpyxl.load_workbook(BOOK)
zf = zipfile.ZipFile(BOOK)


def anchors(i):
    """(row, col) of the pictures on sheet i (1-based), 0-based"""
    rels = 'xl/worksheets/_rels/sheet%d.xml.rels' % i
    if rels not in zf.namelist():
        return []
    m = re.search(r'Target="../drawings/(drawing\d+\.xml)"', zf.read(rels).decode())
    if not m:
        return []
    dr = zf.read('xl/drawings/' + m.group(1)).decode()
    return [(int(r_), int(c)) for c, r_ in re.findall(r'<xdr:from><xdr:col>(\d+)</xdr:col><xdr:colOff>-?\d+</xdr:colOff>'
                                                      r'<xdr:row>(\d+)</xdr:row>', dr)]


def title_range(s):
    """'$A:$B' or '$4:$6' as 0-based (first, last), or None"""
    if not s:
        return None
    a, b = s.replace('$', '').split(':')
    f = (lambda x: int(x) - 1) if a.isdigit() else (lambda x: column_index_from_string(x) - 1)
    return f(a), f(b)


expect = 0
per_sheet = []
for i, ws in enumerate(wb.worksheets):
    ps = ws.page_setup
    fit = ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage
    if fit:
        check('print: %s fitted to 1 × 1 page (no scale to fit in height 0: breaks are ours)' % ws.title,
              str(ps.fitToWidth) in ('1', 'None') and str(ps.fitToHeight) in ('1', 'None'), ps.fitToWidth, ps.fitToHeight)
        per_sheet.append((ws.title, 1))
        expect += 1
        continue
    cb = [b.id for b in ws.col_breaks.brk]
    rb = [b.id for b in ws.row_breaks.brk]
    pa = ws.print_area[0] if isinstance(ws.print_area, list) else ws.print_area
    m = re.match(r"(?:'[^']*'!)?\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)", pa.split('!')[-1]) if pa else None
    lastr = int(m.group(4)) - 1 if m else ws.max_row - 1
    lastc = column_index_from_string(m.group(3)) - 1 if m else ws.max_column - 1
    rep_c = title_range(ws.print_title_cols)
    rep_r = title_range(ws.print_title_rows)
    cols = [0] + cb + [lastc + 1]
    rows = [0] + rb + [lastr + 1]
    filled = {(c.row - 1, c.column - 1) for row in ws.iter_rows() for c in row if c.value not in (None, '')}
    filled |= set(anchors(i + 1))
    k = 0
    for bi in range(len(rows) - 1):
        for si in range(len(cols) - 1):
            own = [(r_, c) for r_, c in filled if rows[bi] <= r_ < rows[bi + 1] and cols[si] <= c < cols[si + 1] and
                   not (si > 0 and rep_c and rep_c[0] <= c <= rep_c[1]) and
                   not (bi > 0 and rep_r and rep_r[0] <= r_ <= rep_r[1])]
            k += 1 if own else 0
    per_sheet.append((ws.title, k))
    expect += k
check('pdf: %d pages, as the print setup of the %d sheets says' % (expect, len(wb.worksheets)), pages == expect,
      pages, per_sheet)

# ---- no table below about 7 pt: every scale at least 70 %
small = [(ws.title, ws.page_setup.scale) for ws in wb.worksheets
         if ws.page_setup.scale is not None and int(ws.page_setup.scale) < 70]
check('print: no sheet printed below 70 %', not small, small)

# ---- the text: the cover first, every sheet's title, figures
text = subprocess.run(['pdftotext', '-layout', PDF, '-'], capture_output=True, text=True).stdout
pg = text.split('\f')
cover = re.sub(r'\s+', '', pg[0])
check('pdf: page 1 is the cover: 経済産業行政の概要, 令和6年7月, 青森県経済産業部',
      cover == '経済産業行政の概要令和6年7月青森県経済産業部', pg[0])
flat = re.sub(r'[ \t]+', ' ', text)
missing = [ws.title for ws in wb.worksheets[1:] if ws['A1'].value and ws['A1'].value not in flat]
check('pdf: the title of every table sheet is printed', not missing, missing)
order = [flat.find(ws['A1'].value) for ws in wb.worksheets[1:] if ws['A1'].value]
check('pdf: … in the workbook\'s order', order == sorted(order), order)
for fig in ('55,777,235', '429,381', '1,520', '3,263'):
    check('pdf: the figure %s is printed' % fig, fig in flat)
check('pdf: page numbers in the footer', re.search(r'\b5 / %d\b' % pages, text) is not None)
yp = [p for p in pg if '令和6年度当初予算分析' in p]
check('pdf: 当初予算分析 printed in halves: 対前年比 on a page of its own (課名 repeated)',
      any('(C/A) 当初比' in p and '課名' in p and '最終予算額 (B)' not in p for p in pg), len(yp))
if shutil.which('pdfimages'):
    im = subprocess.run(['pdfimages', '-list', PDF], capture_output=True, text=True).stdout.splitlines()[2:]
    want = sum(len(anchors(i + 1)) for i in range(len(wb.worksheets)))
    check('pdf: every chart placed in the workbook is printed (%d)' % want,
          want > 0 and len([l_ for l_ in im if ' image ' in l_]) >= want, want, len(im))

shutil.rmtree(TMP, ignore_errors=True)
print('1..%d' % n)
sys.exit(1 if failed else 0)
