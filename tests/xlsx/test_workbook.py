#!/usr/bin/python3
"""The workbook, read back with an independent reader (openpyxl) and an
independent formula evaluator (formula_eval.py). Prints TAP.

Every figure of the report's tables (tests/xlsx/report/*.tsv, the report's
own text) must be in its sheet at its place — or, where the report's figure
is wrong, the recomputed value with a comment holding the stated one."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
SRCDIR = os.environ.get('SRCDIR', os.path.dirname(os.path.dirname(HERE)))
GAIYO = os.environ.get('GAIYO', os.path.join(SRCDIR, 'build', 'gaiyo-test'))
REPORT = os.path.join(HERE, 'report')

try:
    import openpyxl
except ImportError:
    print('1..0 # SKIP python3-openpyxl is not installed')
    sys.exit(0)
from formula_eval import Evaluator  # noqa: E402

n = 0
failed = 0


def check(name, cond, *detail):
    global n, failed
    n += 1
    if cond:
        print('ok %d - %s' % (n, name))
    else:
        failed += 1
        print('not ok %d - %s' % (n, name))
        for d in detail:
            for line in str(d).splitlines()[:40]:
                print('#   ' + line)


def run_report(inp, out, env_extra=None):
    env = dict(os.environ)
    env.pop('SOURCE_DATE_EPOCH', None)
    if env_extra:
        env.update(env_extra)
    return subprocess.run([GAIYO, 'report', '--input', inp, '--templates', os.path.join(SRCDIR, 'templates'),
                           '--out', out], capture_output=True, text=True, env=env)


TMP = tempfile.mkdtemp()
OUT = os.path.join(TMP, 'out')
os.mkdir(OUT)
r = run_report(os.path.join(SRCDIR, 'input'), OUT)
check('report on the default input exits 0', r.returncode == 0, r.stderr)
BOOK = os.path.join(OUT, 'gaiyo-R6.xlsx')
check('the workbook is out/gaiyo-R6.xlsx', os.path.isfile(BOOK), os.listdir(OUT))
if not os.path.isfile(BOOK):
    print('1..%d' % n)
    sys.exit(1)
WF = openpyxl.load_workbook(BOOK)                   # formulas
WV = openpyxl.load_workbook(BOOK, data_only=True)   # cached values

SHEETS = ['表紙・目次', '職員配置状況', '当初予算分析', '各課事業概要', '経営指導員等設置状況', '専門指導センター設置状況', '経営安定特別相談室設置状況', '振興委員設置状況',
          '経営改善普及事業費補助', '相談指導状況', '商工会館建設状況', '商工会連合会指定事業費補助', '商工会連合会補助対象職員', '年度別組合数', '中央会補助', '中央会指導員等設置状況',
          '情報連絡員配置状況', '検定・検査等実績表', '県単融資制度', '中央会貸付', '融資制度一覧', '保証料率区分', '貸金業登録状況', '高度化資金貸付条件', '高度化資金貸付実績',
          '鉱害防止工事の状況', '坑廃水処理の状況', '坑廃水処理事業費補助金', '取引あっせん実績', '高度化診断実績', '大店立地法諮問件数', 'レッツBuy認定状況',
          '企業誘致件数の推移', '業種別誘致企業', '誘致企業の割合', '創業者数の推移', '県立職業能力開発校の状況', '県立障がい者職業訓練校の状況', '年度別入校・修了・就業実績',
          '委託訓練定員', '技能検定', '職業訓練指導員試験', '本文の数字', '検証結果']
check('sheets: cover first, one per table in the report order, 検証結果 last', WF.sheetnames == SHEETS, WF.sheetnames)


# ---- the report's figures at their places -----------------------------------

def figure(text):
    """'△ 8,697,215' → -8697215.0; '25.5%' → 25.5; '-' → '-'; '' → None"""
    t = text.strip()
    if t == '':
        return None
    if t in ('-', '—', '－', '…'):
        return '-'
    neg = t.startswith('△') or t.startswith('▲')
    t = t.lstrip('△▲ ').replace(',', '').rstrip('%')
    v = float(t)
    return -v if neg else v


def seed(name):
    with open(os.path.join(REPORT, name), encoding='utf-8') as f:
        return [line.rstrip('\n').split('\t') for line in f]


def cell_ok(sheet, ref, want_text):
    """the figure at ref is the report's, or recomputed with the report's in the comment"""
    want = figure(want_text)
    v = WV[sheet][ref].value
    if want is None:
        return v in (None, ''), 'expected blank, got %r' % (v,)
    if want == '-':
        return v == want_text.strip(), 'expected %r, got %r' % (want_text, v)
    if isinstance(v, (int, float)) and abs(v - want) < 1e-9:
        return True, ''
    c = WF[sheet][ref].comment
    m = re.match(r'記載: (.*)', c.text) if c else None
    if m and figure(m.group(1)) == want:
        return True, ''
    return False, '%s!%s: expected %s, got %r (comment %r)' % (sheet, ref, want_text, v, c.text if c else None)


def grid(sheet, rows, row0, col0, skip_label=True):
    """rows of seed cells → sheet cells from (row0, col0); returns problems"""
    bad = []
    for i, cells in enumerate(rows):
        vals = cells[1:] if skip_label else cells
        for j, t in enumerate(vals):
            ref = openpyxl.utils.get_column_letter(col0 + j) + str(row0 + i)
            ok, why = cell_ok(sheet, ref, t)
            if not ok:
                bad.append(why)
    return bad


def labels(sheet, rows, row0, col=1):
    bad = []
    for i, cells in enumerate(rows):
        want = re.sub(r'\s', '', cells[0])
        got = re.sub(r'\s', '', str(WV[sheet].cell(row=row0 + i, column=col).value or ''))
        if not got.startswith(want):
            bad.append('row %d: %r vs %r' % (row0 + i, got, want))
    return bad


s = '当初予算分析'
y1 = seed('yosan_1.tsv')
bad = grid(s, y1, 8, 2) + grid(s, seed('yosan_2.tsv'), 8, 9, skip_label=False)
bad += grid(s, seed('yosan_toku_1.tsv'), 16, 2) + grid(s, seed('yosan_toku_2.tsv'), 16, 9, skip_label=False)
check('当初予算分析: every figure of the report at its place (一般会計, 県予算対比, 特別会計)', not bad, *bad)
check('当初予算分析: row labels as printed', not labels(s, y1, 8), *labels(s, y1, 8))
check('当初予算分析: block captions 一般会計 and 特別会計',
      WV[s]['A7'].value == '一般会計' and WV[s]['A15'].value == '特別会計', WV[s]['A7'].value, WV[s]['A15'].value)

s = '県単融資制度'
yu = seed('yuushi.tsv')
bad = grid(s, yu, 6, 2)
check('県単融資制度: every figure of the report at its place, 前年度比 row included', not bad, *bad)
check('県単融資制度: 制度名 rows as printed', not labels(s, yu, 6), *labels(s, yu, 6))

s = '中央会貸付'
bad = grid(s, seed('chuokai.tsv'), 6, 1, skip_label=False)
check('中央会貸付: the six figures', not bad, *bad)

s = '企業誘致件数の推移'
su = seed('yuchi_suii.tsv')
bad = []
for blk in range(3):
    years, counts = su[blk * 5], su[blk * 5 + 1]
    for j, (yt, ct) in enumerate(zip(years[1:], counts[1:])):
        if not yt:
            continue
        col = openpyxl.utils.get_column_letter(3 + j)
        got = str(WV[s]['%s%d' % (col, 4 + 5 * blk)].value)
        if not got.endswith(yt):
            bad.append('%s%d year %r vs %r' % (col, 4 + 5 * blk, got, yt))
        ok, why = cell_ok(s, '%s%d' % (col, 5 + 5 * blk), ct)
        if not ok:
            bad.append(why)
check('企業誘致件数の推移: every year and 誘致企業数, 21 years to a block as printed', not bad, *bad)
last = openpyxl.utils.get_column_letter(3 + 18)
check('企業誘致件数の推移: 合計 655 = 津軽 315 + 県南 340',
      [WV[s]['%s%d' % (last, r)].value for r in (14, 15, 16, 17)] == ['合計', 655, 315, 340],
      [WV[s]['%s%d' % (last, r)].value for r in (14, 15, 16, 17)])

s = '業種別誘致企業'
gy = seed('yuchi_gyoshu.tsv')
bad = []
for i, cells in enumerate(gy):
    for blk in range(0, len(cells), 3):
        if len(cells) < blk + 3 or not cells[blk].strip():
            continue
        c0 = 1 + blk
        lab = re.sub(r'\s', '', str(WV[s].cell(row=5 + i, column=c0).value))
        # the extracted text reads 繊維 as 織維 (an OCR slip); the input has 繊維
        if lab != re.sub(r'\s', '', cells[blk]).replace('織維', '繊維'):
            bad.append('row %d: %r vs %r' % (5 + i, lab, cells[blk]))
        for j in (1, 2):
            ref = openpyxl.utils.get_column_letter(c0 + j) + str(5 + i)
            ok, why = cell_ok(s, ref, cells[blk + j])
            if not ok:
                bad.append(why)
check('業種別誘致企業: every 業種, 企業数 and 構成比 at its place, two blocks as printed', not bad, *bad)

# 構成比 of a parent (加工組立型, 非製造業) or the 合計 is its own 企業数 over
# the whole, as the report prints it (239 / 655 = 36.49… → 36.5), not the
# rounded sum of its children's rounded shares (36.6, 30.6, 100.3)
want = {'C13': ('B13', 'E15', 36.5), 'F10': ('E10', 'E15', 30.5), 'F15': ('E15', 'E15', 100.0)}
bad = []
for ref, (num, den, v) in want.items():
    f = WF[s][ref].value
    if f != '=ROUND(%s*1000/%s,0)/10' % (num, den):
        bad.append('%s formula %r' % (ref, f))
    if WV[s][ref].value is None or abs(WV[s][ref].value - v) > 1e-9:
        bad.append('%s cached %r, expected %s' % (ref, WV[s][ref].value, v))
check('業種別誘致企業: 構成比 of 加工組立型, 非製造業 and 合計 is pct(own, total): 36.5, 30.5, 100.0', not bad, *bad)
f = WF['当初予算分析']['E12'].value
check('当初予算分析: 構成比 合計 is pct(当初 合計, total), not ROUND(SUM(shares))',
      f == '=ROUND(D12*1000/D12,0)/10' and WV['当初予算分析']['E12'].value == 100, f)

s = '誘致企業の割合'
wa = seed('yuchi_wariai.tsv')
bad = []
for i, (row_a, row_b) in enumerate(((5, 6), (7, 8))):
    for j, t in enumerate(wa[i][1:]):
        m = re.match(r'([\d,.]+)(?:\s*\(([\d,.]+)\))?', t)
        col = openpyxl.utils.get_column_letter(2 + j)
        for rr, part in ((row_a, m.group(1)), (row_b, m.group(2))):
            if part:
                ok, why = cell_ok(s, '%s%d' % (col, rr), part)
                if not ok:
                    bad.append(why)
bad += grid(s, wa[2:3], 9, 2)
check('誘致企業の割合: 総数, 誘致企業, 1工場当たり and 割合 at their places', not bad, *bad)

for s, f in (('技能検定', 'ginou.tsv'), ('職業訓練指導員試験', 'shidoin.tsv')):
    rows = seed(f)
    bad = grid(s, rows, 6, 2) + labels(s, rows, 6)
    check('%s: every figure and 区分 at its place' % s, not bad, *bad)

# ---- the tables of issue 15: title, row labels and every printed figure -------

def unit_free(rows):
    """seed cells without the unit the report prints after a figure (40人, 12件)"""
    return [[re.sub(r'(?<=\d)\s*[人件者円]$', '', c.strip()) for c in r] for r in rows]


def printed(sheet, tsv, row0, col0=2, title=None, label_col=1, drop=0):
    """the sheet's title, and the seed's rows (tests/xlsx/report/TSV, the
    report's text) from (row0, col0): labels in label_col, figures after the
    first `drop` + 1 cells"""
    rows = unit_free(seed(tsv))
    bad = []
    if title is not None and WV[sheet]['A1'].value != title:
        bad.append('title %r' % (WV[sheet]['A1'].value,))
    if label_col:
        bad += labels(sheet, [r[drop:] for r in rows], row0, label_col)
    bad += grid(sheet, [r[drop:] for r in rows], row0, col0)
    check('%s: title, labels and every printed figure at its place' % sheet, not bad, *bad)


printed('職員配置状況', 'shokuin.tsv', 6, title='3 経済産業部職員配置状況')
s = '職員配置状況'
check('%s: 0.5 人 figures as printed (事務職員 0.5, 計 13.5, 合計 227.5), 1 decimal only where the report has one' % s,
      WV[s]['I10'].value == 0.5 and WF[s]['I10'].number_format.startswith('#,##0.0') and
      WF[s]['I6'].number_format.startswith('#,##0;') and WV[s]['N15'].value == 227.5 and
      WV[s]['A2'].value == '令和6年6月1日現在' and
      sorted(str(m) for m in WF[s].merged_cells.ranges) == ['A4:A5', 'B4:M4', 'N4:N5', 'O4:O5'],
      WV[s]['I10'].value, WF[s]['I10'].number_format, WV[s]['N15'].value, WF[s].merged_cells.ranges)
printed('経営指導員等設置状況', 'keiei_shidoin.tsv', 5, title='○経営指導員等設置状況（専門指導センター除く）')
ka = unit_free(seed('keiei_antei.tsv'))
s = '経営安定特別相談室設置状況'
bad = labels(s, ka, 6) + grid(s, [[r[0]] + r[2:] for r in ka], 6, 3)
bad += ['B%d: %r vs %r' % (6 + i, WV[s]['B%d' % (6 + i)].value, r[1]) for i, r in enumerate(ka)
        if (WV[s]['B%d' % (6 + i)].value or '') != r[1]]
bad += [] if WV[s]['A1'].value == '○経営安定特別相談室設置状況' else ['title %r' % WV[s]['A1'].value]
bad += [] if [WV[s].cell(row=5, column=c).value for c in range(4, 9)] == ['R%d年度' % y for y in range(1, 6)] else \
    ['years %r' % [WV[s].cell(row=5, column=c).value for c in range(4, 9)]]
check('%s: title, 設置団体名, 設置年度, 委嘱数 and the five years of 相談指導状況 at their places' % s, not bad, *bad)
c = WF[s]['C10']
check('%s: 計 of 委嘱数 and of each year are live sums (20人, 15 … 28件)' % s,
      c.value == '=SUM(C6:C9)' and WF[s]['H10'].value == '=SUM(H6:H9)' and WV[s]['C10'].value == 20 and
      WV[s]['H10'].value == 28 and c.number_format.startswith('#,##0"人"'), c.value, WV[s]['C10'].value)
s = '専門指導センター設置状況'
sc = unit_free(seed('senmon_center.tsv'))
bad = labels(s, sc, 6) + grid(s, [[r[0]] + r[2:] for r in sc], 6, 3)
bad += [] if WV[s]['B6'].value == sc[0][1] else ['B6 設置年度 %r vs %r' % (WV[s]['B6'].value, sc[0][1])]
bad += [] if WV[s]['A1'].value == '○専門指導センター設置状況' else ['title %r' % WV[s]['A1'].value]
hdr = [WV[s].cell(row=r, column=c).value for r, c in ((4, 3), (4, 5), (5, 3), (5, 4), (5, 5), (5, 6))]
bad += [] if hdr == ['専門経営指導員設置状況', '相 談 指 導 状 況', '専門経営指導員', '補助員', 'R4年度', 'R5年度'] else \
    ['header %r' % hdr]
check('%s: title, two-level header, 設置団体名, 設置年度, staff and R4/R5 相談指導状況 at their places' % s, not bad, *bad)
check('%s: figures carry the printed unit (3人, 1,876件)' % s,
      WF[s]['C6'].number_format.startswith('#,##0"人"') and WF[s]['E6'].number_format.startswith('#,##0"件"'),
      WF[s]['C6'].number_format, WF[s]['E6'].number_format)
printed('振興委員設置状況', 'shinko_iin.tsv', 5, title='○振興委員設置状況')
printed('経営改善普及事業費補助', 'kaizen_hojo.tsv', 5, title='○経営改善普及事業費補助（当初予算額）')
s = '融資制度一覧'
ws_ = WV[s]
cells = [re.sub(r'\s', '', str(c.value)) for row in ws_.iter_rows() for c in row if c.value is not None]
# 「青森新時代」への架け橋資金 prints its 枠 (1) … (6) in one cell with the 対象: here 区分 and 融資対象
cells += [re.sub(r'\s', '', '%s%s' % (ws_.cell(row=r, column=2).value or '', ws_.cell(row=r, column=3).value or ''))
          for r in range(5, ws_.max_row + 1)]
bad = [] if ws_['A1'].value == '令和6年度青森県特別保証融資制度一覧表' else ['title %r' % ws_['A1'].value]
ys = seed('yushi_seido.tsv')
for i, r in enumerate(ys):
    for t in r:
        t = re.sub(r'\s', '', t)
        if t and not any(t in c for c in cells):
            bad.append('tsv line %d: %r not on the sheet' % (i + 1, t))
bad += [] if [ws_.cell(row=4, column=c).value for c in range(1, 7)] == \
    ['資金名', None, '融資対象', '融資限度額', '融資利率', '融資期間 (うち据置期間)'] else ['header']
check('%s: title, header, and every printed cell of the 一覧表 (資金名, 枠, 対象, 限度額, 利率, 期間, ※) on the sheet' % s,
      not bad and len(ys) == 26, *bad)
s = '相談指導状況'
sd = seed('soudan.tsv')
bad = [] if WV[s]['A1'].value == '○相談指導状況' and WV[s]['G2'].value == '（単位：件）' else ['title %r' % WV[s]['A1'].value]
bad += [] if [WV[s].cell(row=4, column=c).value for c in range(3, 8)] == ['R%d年度' % y for y in range(1, 6)] else ['years']
for i, r in enumerate(sd):
    if i < 9:      # 区分 (printed on the block's first row), 種別, R1 … R5
        kubun, shubetsu, figs = r[0], r[1], r[2:7]
    else:          # 経営指導員1人当たり平均件数 / 月平均件数: the label, then R1 … R5
        kubun, shubetsu, figs = '', r[0], r[1:6]
    if (WV[s]['A%d' % (5 + i)].value or '') != kubun or WV[s]['B%d' % (5 + i)].value != shubetsu:
        bad.append('row %d: %r %r vs %r %r' % (5 + i, WV[s]['A%d' % (5 + i)].value, WV[s]['B%d' % (5 + i)].value, kubun, shubetsu))
    bad += grid(s, [[''] + figs], 5 + i, 3)
check('%s: title, 区分, 種別, the five years, every 件数, 平均件数 and 月平均件数 as printed (11 rows)' % s,
      not bad and len(sd) == 11, *bad)
check('%s: summed both ways — 小計 sums its block, 計 巡回 sums the 巡回 of the other 区分; 月平均 = ROUND(平均/12, 0)' % s,
      WF[s]['C7'].value == '=SUM(C5:C6)' and WF[s]['C11'].value == '=SUM(C5,C8)' and
      WF[s]['G13'].value == '=SUM(G11:G12)' and WF[s]['G15'].value == '=ROUND(G14/12,0)' and WV[s]['G15'].value == 62,
      WF[s]['C7'].value, WF[s]['C11'].value, WF[s]['G13'].value, WF[s]['G15'].value)
s = '商工会館建設状況'
kk = seed('kaikan.tsv')
bad = [] if WV[s]['A1'].value == '○商工会館建設状況（平成元年以降）' else ['title %r' % WV[s]['A1'].value]
for i, r in enumerate(kk):
    for col, j in (('A', 0), ('B', 1), ('C', 2), ('H', 7)):       # 年度, 商工会等名, 補助区分 (〃 as printed), 補助基準
        if WV[s]['%s%d' % (col, 6 + i)].value != r[j]:
            bad.append('%s%d: %r vs %r' % (col, 6 + i, WV[s]['%s%d' % (col, 6 + i)].value, r[j]))
bad += grid(s, [[''] + r[3:7] for r in kk], 6, 4)                # 補助額, 対象数 国庫 / 県単 / 計 ('-' as printed)
check('%s: title, every 補助 (12 rows): 年度, 商工会等名, 補助区分, 補助額, 対象数 and 補助基準 as printed' % s,
      not bad and len(kk) == 12, *bad)
merged = sorted(str(m) for m in WF[s].merged_cells.ranges)
check('%s: header merges 補助金交付状況 (3 columns), 対象数 (3), 年度 and 補助基準 (2 rows)' % s,
      merged == ['A4:A5', 'B4:D4', 'E4:G4', 'H4:H5'], merged)
printed('商工会連合会指定事業費補助', 'rengokai_shitei.tsv', 5, title='○商工会連合会指定事業費補助（当初予算額）')
printed('商工会連合会補助対象職員', 'rengokai_shokuin.tsv', 5, title='○青森県商工会連合会の概要（補助対象職員）', drop=1)
printed('年度別組合数', 'kumiai.tsv', 5, title='○年度別組合数')
printed('中央会補助', 'chuokai_hojo.tsv', 5, title='○青森県中小企業団体中央会補助（当初予算額）')
c = WF['中央会補助']['F5']
check('marked: 中央会補助 R6 142,807 stays as printed, filled, the comment naming 各課事業概要\'s 142,930',
      WV['中央会補助']['F5'].value == 142807 and c.comment is not None and '142,930' in c.comment.text and
      '[relate]' in c.comment.text and c.fill.fgColor.rgb in ('FFFFC7CE', '00FFC7CE') and
      WF['中央会補助']['E5'].comment is None, WV['中央会補助']['F5'].value, c.comment)
printed('中央会指導員等設置状況', 'chuokai_shidoin.tsv', 5, title='○指導員等設置状況')
rr = seed('renrakuin.tsv')
want = [re.findall(r'[0-9]+', rr[0][1])]                      # 市町村別: 青森市 18、弘前市 4 …
want = want[0] + [re.search(r'計 *([0-9]+)', re.sub(r'\s', ' ', rr[0][0])).group(1)] + [None]
want += re.findall(r'[0-9]+', rr[1][2]) + [r[-1] for r in rr[2:]]
want += [re.search(r'計 *([0-9]+)', rr[1][0]).group(1)]
bad = []
for i, t in enumerate(want):
    if t is not None:
        ok, why = cell_ok('情報連絡員配置状況', 'C%d' % (6 + i), t)
        bad += [] if ok else [why]
check('情報連絡員配置状況: title, every 人数 and both (計 30) at their places',
      not bad and WV['情報連絡員配置状況']['A1'].value == '○情報連絡員市町村、業種別配置状況', *bad)
printed('検定・検査等実績表', 'keiryo.tsv', 5, title='○検定・検査等実績表（令和5年度実績）')
printed('貸金業登録状況', 'kashikin.tsv', 5, title='② 貸金業の指導・監督 登録状況')
printed('高度化診断実績', 'kodoka_shindan.tsv', 6, col0=3, title='○実績及び計画内訳 ((3) 高度化診断事業)', label_col=2, drop=1)
printed('大店立地法諮問件数', 'daiten.tsv', 5, title='○青森県大規模小売店舗立地審議会諮問件数')
s = '創業者数の推移'
so = seed('sogyo.tsv')
# the extracted text writes the first 年度 as 'H18 ~H21' (a cell broken over
# two lines); the report's and the input's period is H18～H21
years = [re.sub(r'\s*~\s*', '～', y) for y in so[0][1:]]
got = [WV[s].cell(row=4, column=2 + j).value for j in range(len(years))]
bad = [] if got == years else ['years %r vs %r' % (got, years)]
bad += [] if WV[s]['A1'].value == '○青森県内の創業支援拠点を利用した創業者数の推移' else ['title %r' % WV[s]['A1'].value]
bad += labels(s, so[1:], 5) + grid(s, so[1:], 5, 2)
check('%s: title, every 年度 (H18～H21 … R5, 合計), 創業者数 and 新規利用者数 at their places, years across' % s,
      not bad and len(years) == 16, *bad)
check('%s: 合計 1,520 and 6,035 are live sums of the 15 年度' % s,
      WF[s]['Q5'].value == '=SUM(B5:P5)' and WF[s]['Q6'].value == '=SUM(B6:P6)' and
      WV[s]['Q5'].value == 1520 and WV[s]['Q6'].value == 6035, WF[s]['Q5'].value, WV[s]['Q5'].value)
printed('取引あっせん実績', 'torihiki.tsv', 5, col0=3, title='○取引あっせんの実績', label_col=0, drop=1)
printed('年度別入校・修了・就業実績', 'nyuko.tsv', 6, title='○年度別入校・修了・就業等の実績')


def marks(t):
    """'～R7. 3. 31 ^{※2}' → '～R7. 3. 31 ※2' (the extract writes superscripts as ^{…})"""
    return re.sub(r'\s*\^\{(※\d)\}', r' \1', t.strip())


s = 'レッツBuy認定状況'
bad = []
for i, cells in enumerate(seed('letsbuy.tsv')):
    r = 6 + i
    cells += [''] * (5 - len(cells))
    m = re.match(r'(\d+)者(?:\s*\^\{※3\})?\s*(\d+)件$', cells[3].strip())   # 63者 ^{※3} 105件
    for col, want in (('A', marks(cells[0])), ('B', cells[1].strip()), ('C', marks(cells[2])), ('F', marks(cells[4]))):
        if (WV[s]['%s%d' % (col, r)].value or '') != want:
            bad.append('%s%d: %r vs %r' % (col, r, WV[s]['%s%d' % (col, r)].value, want))
    for col, want in (('D', m.group(1)), ('E', m.group(2))):
        ok, why = cell_ok(s, '%s%d' % (col, r), want)
        bad += [] if ok else [why]
check('%s: title, every 年度, date, 認定期間, 者, 件 and 備考 at its place (7 rows)' % s,
      not bad and WV[s]['A1'].value == '<レッツBuyあおもり新商品事業に係る認定状況>', *bad)
check('%s: 累計 件 is a live sum (121); 累計 者 is the stated 75, not a sum (duplicates excluded)' % s,
      WF[s]['E12'].value == '=SUM(E6:E11)' and WV[s]['E12'].value == 121 and WF[s]['D12'].value == 75 and
      WF[s]['D5'].value == '者 ※3', WF[s]['E12'].value, WF[s]['D12'].value, WF[s]['D5'].value)
check('%s: the notes ※1 … ※3 under the table' % s,
      [WV[s]['A%d' % r].value[:2] for r in (16, 17, 18)] == ['※1', '※2', '※3'],
      [WV[s]['A%d' % r].value for r in range(13, 19)])
c = WF['年度別入校・修了・就業実績']['P6']
check('marked: 普通課程 R5 就職率 98.8 shown as 85 / 87 = 97.7, filled, the stated value in a comment',
      WV['年度別入校・修了・就業実績']['P6'].value == 97.7 and c.comment is not None and '記載: 98.8' in c.comment.text and
      c.fill.fgColor.rgb in ('FFFFC7CE', '00FFC7CE'), WV['年度別入校・修了・就業実績']['P6'].value, c.comment)
kr = seed('kunrenko.tsv')
bad = []
for i, cells in enumerate(kr):                      # the figures are the last four cells of each line
    bad += grid('県立職業能力開発校の状況', [[''] + cells[-4:]], 5 + i, 3)
check('県立職業能力開発校の状況: title and every printed figure at its place (27 rows, both halves of the print)',
      not bad and len(kr) == 27 and WV['県立職業能力開発校の状況']['A1'].value == '○県立職業能力開発校の状況（単位：人）', *bad)
printed('県立障がい者職業訓練校の状況', 'shogai_kunrenko.tsv', 5, col0=3, title='○県立障がい者職業訓練校の状況（単位：人）', label_col=0, drop=1)
it = seed('itaku.tsv')
refs = ['D%d' % r for r in list(range(6, 13)) + list(range(14, 19))]
bad = []
for ref, cells in zip(refs, it):                    # 定員 is the last cell of each line
    ok, why = cell_ok('委託訓練定員', ref, cells[-1])
    bad += [] if ok else [why]
check('委託訓練定員: title, both 事業 and every 定員 and 計 at its place',
      not bad and len(it) == 12 and WV['委託訓練定員']['A1'].value == '(2) 委託訓練' and
      WV['委託訓練定員']['A13'].value == '障害者の多様なニーズに応じた委託訓練事業', *bad)

# 金融 and 鉱害 tables (issue 15): the print's cells, whatever their shifts
s = '保証料率区分'
ho = seed('hoshoryo.tsv')
bad = grid(s, [[''] + ho[1][1:]], 5, 2)
bad += ['区分 %s: %r' % (t, WV[s].cell(row=4, column=2 + j).value) for j, t in enumerate(ho[0][1:])
        if WV[s].cell(row=4, column=2 + j).value != t]
check('保証料率区分: title, 区分 ①…⑨ across and every 保証料率 at its place',
      not bad and WV[s]['A1'].value == '■保証料率（県信用保証協会）' and WV[s]['A5'].value == ho[1][0], *bad)

s = '高度化資金貸付条件'
kj = seed('kodoka_joken.tsv')
# the conditions, printed once in cells merged over the 11 事業, stand on each row
first = [c.rstrip('%') for c in kj[0][1:]]
bad = labels(s, kj, 5)
for i in range(len(kj)):
    for j, t in enumerate(first):
        v = WV[s].cell(row=5 + i, column=2 + j).value
        if (str(v) if isinstance(v, str) else figure(t)) != (t if isinstance(v, str) else v):
            bad.append('row %d col %d: %r vs %r' % (5 + i, 2 + j, v, t))
check('高度化資金貸付条件: title, the 11 事業 and the conditions 0.8%, 20年以内, 3年以内, 80% = 64% + 16% on each',
      not bad and len(kj) == 11 and WV[s]['A1'].value == '① 貸付条件等 ア 普通の貸付条件 ((3) 中小企業高度化資金貸付金)' and
      WF[s]['E5'].number_format == '0"%";"△ "0"%"' and WF[s]['E5'].value == '=F5+G5', *bad)

s = '高度化資金貸付実績'
kd = seed('kodoka.tsv')
bad = []
for i, cells in enumerate(kd):
    if re.match(r'^[\d,]+$', cells[1]):        # 省資源…設備リース: its label tail dropped, the figures a field early
        cells = [cells[0], ''] + cells[1:]
    lab = re.sub(r'\s', '', cells[0])
    lab = '合計' if lab == '合' else lab
    if WV[s].cell(row=5 + i, column=2).value != lab:
        bad.append('row %d: %r vs %r' % (5 + i, WV[s].cell(row=5 + i, column=2).value, lab))
    # H17 … R5 in the print's fields 2 … 19 (no H21 column); field 20 is empty; R6 (計画) is field 21
    bad += grid(s, [[''] + cells[2:20]], 5 + i, 3)
    bad += [] if not cells[20].strip() else ['row %d: field 20 %r' % (5 + i, cells[20])]
    bad += grid(s, [['', cells[21]]], 5 + i, 21)
check('高度化資金貸付実績: title, every 貸付対象事業 and every printed figure at its place (32 rows, H17 … R6 計画)',
      not bad and len(kd) == 32 and WV[s]['A1'].value == '中小企業高度化資金貸付実績及び計画 ((3) 中小企業高度化資金貸付金)' and
      WV[s]['A5'].value == '県から組合等への貸付(A方式)' and WV[s]['A33'].value == '県から中小企業基盤整備機構への貸付(B方式)', *bad)
c = WF[s]['S32']
check('marked: A方式 小計 R4 275,020 shown as the sum of its items 240,000, the stated value in a comment',
      WV[s]['S32'].value == 240000 and c.comment is not None and '記載: 275,020' in c.comment.text and
      WF[s]['S36'].value == '=SUM(S32,S35)', WV[s]['S32'].value, c.comment)

for s, tsv, title, caps in (('鉱害防止工事の状況', 'kogai.tsv', '(1) 鉱害防止工事の状況',
                             {5: '① 尾太鉱山：平成2年度着手', 10: '② 畑鉱山：平成26年度着手', 15: '③ 高森鉱山：平成27年度再着手'}),
                            ('坑廃水処理の状況', 'kohaisui.tsv', '(2) 坑廃水処理の状況',
                             {5: '① 尾太鉱山：昭和56年度着手', 10: '② 大揚鉱山：昭和60年度着手'})):
    rows = seed(tsv)
    bad = ['caption row %d: %r' % (r_, WV[s]['A%d' % r_].value) for r_, t in caps.items() if WV[s]['A%d' % r_].value != t]
    for i, cells in enumerate(rows):
        r_ = 6 + i + i // 4                          # a caption row above each 鉱山's four rows
        if cells[0].strip() and re.sub(r'\s', '', cells[0]) != WV[s]['A%d' % r_].value:
            bad.append('施工箇所 row %d: %r' % (r_, WV[s]['A%d' % r_].value))
        if re.sub(r'\s', '', cells[1]) != WV[s]['B%d' % r_].value:
            bad.append('区分 row %d: %r' % (r_, WV[s]['B%d' % r_].value))
        bad += grid(s, [[''] + cells[2:5]], r_, 3)
        plan = cells[5] if len(cells) > 5 else ''
        if '完了' in plan:                           # 令和5年度で完了: a blank figure's prefix, shown alone
            if WV[s]['F%d' % r_].value != re.sub(r'\s', '', plan):
                bad.append('F%d: %r' % (r_, WV[s]['F%d' % r_].value))
        else:
            bad += grid(s, [['', plan]], r_, 6)
    check('%s: title, a caption per 鉱山, 施工箇所, 区分 and every printed figure at its place' % s,
          not bad and WV[s]['A1'].value == title, *bad)

s = '坑廃水処理事業費補助金'
kh = seed('kohai.tsv')
bad = labels(s, kh, 7)
for i, cells in enumerate(kh):
    bad += grid(s, [cells[:5]], 7 + i, 2)
    for j, t in ((6, cells[5]), (7, cells[6])):       # "(1/8) 896": the rate in the number format
        m = re.match(r'(\(1/8\)) (.*)', t)
        ref = openpyxl.utils.get_column_letter(j) + str(7 + i)
        ok, why = cell_ok(s, ref, m.group(2) if m else t)
        bad += [] if ok else [why]
        if m and not WF[s][ref].number_format.startswith('"(1/8) "'):
            bad.append('%s format %r' % (ref, WF[s][ref].number_format))
check('坑廃水処理事業費補助金: title, every 鉱山 and printed figure at its place, (1/8) before 秋津 県補助金',
      not bad and WV[s]['A1'].value == '(3) 休廃止鉱山坑廃水処理事業費補助金', *bad)

# 各課事業概要: every amount of the input (itself checked against the report)
s = '各課事業概要'
import csv  # noqa: E402
bad = []
with open(os.path.join(SRCDIR, 'input', 'R6', 'jigyohi.csv'), encoding='utf-8') as f:
    rows = list(csv.DictReader(f))
body = [(r[0].value, r[1].value, r[2]) for r in WF[s].iter_rows(min_row=5) if r[1].value is not None]
names = [b for b in body if b[0] != b[1]]
for rec, (num, name, cell) in zip(rows, [b for b in body if b[0] is not None]):
    if (num, name) != (rec['番号'], rec['事業名']):
        bad.append('%r/%r vs %r/%r' % (num, name, rec['番号'], rec['事業名']))
        break
    ok, why = cell_ok(s, cell.coordinate, rec['金額'])
    if not ok:
        bad.append(why)
check('各課事業概要: every 事業 in order with its amount (209 rows)', not bad and len(rows) == 209, *bad)

# ---- formulas: live and exact ------------------------------------------------

ev = Evaluator(WF, WV)
nform = 0
bad = []
for name in WF.sheetnames:
    for row in WF[name].iter_rows():
        for c in row:
            if c.data_type == 'f':
                nform += 1
                try:
                    got = ev.evaluate(c.value, name)
                except Exception as e:  # noqa: BLE001
                    bad.append('%s!%s %s: %s' % (name, c.coordinate, c.value, e))
                    continue
                cached = WV[name][c.coordinate].value
                if not isinstance(cached, (int, float)) or abs(got - cached) > 1e-9:
                    bad.append('%s!%s %s = %r, cached %r' % (name, c.coordinate, c.value, got, cached))
check('formulas: %d derived figures are formulas' % nform, nform > 200, nform)
check('formulas: recalculating every formula gives exactly its cached value', not bad, *bad[:20])
f = WF['当初予算分析']
check('formulas: 合計 = SUM of the 課, 構成比 = ROUND(C/合計), 増減額 = C - A',
      # the share divides by the 合計's cell, which sums the very rows total() adds
      f['D12'].value == '=SUM(D8:D11)' and f['E8'].value == '=ROUND(D8*1000/D12,0)/10' and f['M8'].value == '=D8-B8',
      f['D12'].value, f['E8'].value, f['M8'].value)
check('formulas: 県予算対比 (a / b) = ROUND(合計 / 県予算額)', f['B14'].value == '=ROUND(B12*1000/B13,0)/10', f['B14'].value)
ev2 = Evaluator(WF, WV)
ev2.memo[('当初予算分析', 8, 6)] = 405248 + 1000  # edit a base figure: 国庫支出金 of 経済産業政策課
check('formulas: editing a base figure moves the totals that follow it',
      ev2.evaluate(f['D12'].value, '当初予算分析') == WV['当初予算分析']['D12'].value + 1000)

# ---- formats, layout, print setup ----------------------------------------------

ws = WF['当初予算分析']
check('formats: amounts #,##0 with △ for negatives', ws['B8'].number_format == '#,##0;"△ "#,##0', ws['B8'].number_format)
check('formats: ratios 0.0 with △', ws['E8'].number_format == '0.0;"△ "0.0', ws['E8'].number_format)
check('formats: 合格率 0.0% as printed (25.5%)', WF['技能検定']['H6'].number_format == '0.0"%";"△ "0.0"%"',
      WF['技能検定']['H6'].number_format)
check('formats: 1工場当たり #,##0.0', WF['誘致企業の割合']['D6'].number_format.startswith('#,##0.0'),
      WF['誘致企業の割合']['D6'].number_format)
check('formats: a negative stays a number (増減額 △ 8,697,215)', WV['当初予算分析']['M8'].value == -8697215)
merged = sorted(str(m) for m in ws.merged_cells.ranges)
want = sorted(['A4:A6', 'B5:B6', 'C5:C6', 'D5:D6', 'E4:E6', 'F4:H4', 'F5:F6', 'G5:G6', 'H5:H6', 'I4:J4', 'I5:I6',
               'J5:J6', 'K4:L4', 'K5:K6', 'L5:L6', 'M4:R4', 'M5:M6', 'N5:P5', 'Q5:R5'])
check('layout: 当初予算分析 header merges as printed', merged == want, merged)
check('layout: 技能検定 header merges', sorted(str(m) for m in WF['技能検定'].merged_cells.ranges) ==
      ['A4:A5', 'B4:C4', 'D4:E4', 'F4:G4', 'H4:H5'], WF['技能検定'].merged_cells.ranges)
check('layout: 企業誘致件数の推移 地区別 spans 津軽 and 県南 in every block',
      {'A6:A7', 'A11:A12', 'A16:A17'} <= {str(m) for m in WF['企業誘致件数の推移'].merged_cells.ranges})
# openpyxl redraws merged cells' borders from the range's edges: read the XML
zf = zipfile.ZipFile(BOOK)
sheet_xml = zf.read('xl/worksheets/sheet%d.xml' % (WF.sheetnames.index('当初予算分析') + 1)).decode()
styles = re.findall(r'<xf [^>]*borderId="(\d+)"', zf.read('xl/styles.xml').decode().split('<cellXfs')[1])
borders = re.findall(r'<border[ >].*?</border>', zf.read('xl/styles.xml').decode(), re.S)
bad = []
for c in ('F4', 'G4', 'H4', 'A4', 'A5', 'A6', 'N5', 'O5', 'P5', 'M4', 'R4'):
    m = re.search(r'<c r="%s" s="(\d+)"' % c, sheet_xml)
    b = borders[int(styles[int(m.group(1))])] if m else ''
    if not all('<%s style="thin"' % side in b for side in ('left', 'right', 'top', 'bottom')):
        bad.append((c, b))
check('layout: borders on every cell of a merged header block', not bad, *bad)
check('layout: title, unit line', ws['A1'].value == '4 令和6年度当初予算分析' and ws['R2'].value == '(単位:千円、%)',
      ws['A1'].value, ws['R2'].value)
check('layout: as-of line', WF['技能検定']['A2'].value == '(令和 6 年 4 月 1 日現在)', WF['技能検定']['A2'].value)
check('layout: footnotes', any(str(c.value).startswith('※経済産業政策課の人件費') for c in ws['A']))
check('layout: nested rows indented by level', WF['各課事業概要']['B8'].alignment.indent >= 1 and
      (WF['各課事業概要']['B8'].alignment.indent or 0) < (WF['各課事業概要']['B12'].alignment.indent or 0),
      WF['各課事業概要']['B8'].alignment.indent, WF['各課事業概要']['B12'].alignment.indent)
check('layout: comparison columns say their basis (当初比 / 最終比)',
      ws['K5'].value == '(C/A) 当初比' and ws['L5'].value == '(C/B) 最終比', ws['K5'].value, ws['L5'].value)


def east_asian_width(s):
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(ch) in 'WF' else 1 for ch in s)


wa_ = ws.column_dimensions['A'].width
check('layout: column A fits the longest 課名 (wide characters count two)',
      wa_ >= east_asian_width('小規模企業者等設備導入資金特別会計'), wa_)
fonts = {c.font.name for row in ws.iter_rows(min_row=1, max_row=16) for c in row if c.value is not None}
check('layout: a Japanese font on every cell', fonts == {'游ゴシック'}, fonts)
bad = []
for name, land in (('当初予算分析', 'landscape'), ('各課事業概要', 'portrait'), ('技能検定', 'landscape'),
                   ('業種別誘致企業', 'portrait')):
    w = WF[name]
    ps = w.page_setup
    if str(ps.paperSize) != '9' or ps.orientation != land:
        bad.append('%s paper %s %s' % (name, ps.paperSize, ps.orientation))
    # one page (fit to 1 x 1), or a scale of its own no lower than 70 % with our page breaks
    fit = w.sheet_properties.pageSetUpPr is not None and w.sheet_properties.pageSetUpPr.fitToPage
    if fit and (str(ps.fitToWidth) not in ('1', 'None') or str(ps.fitToHeight) not in ('1', 'None')):
        bad.append('%s fit %s %s' % (name, ps.fitToWidth, ps.fitToHeight))
    if not fit and (ps.scale is not None and int(ps.scale) < 70):
        bad.append('%s scale %s' % (name, ps.scale))
    if w.sheet_view.showGridLines is not False:
        bad.append('%s gridlines shown' % name)
    if '&P' not in (w.oddFooter.center.text or ''):
        bad.append('%s footer %r' % (name, w.oddFooter.center.text))
check('print: A4, orientation, one page or a scale of at least 70 %, page numbers, no gridlines', not bad, *bad)
check('print: header rows repeat on every page', ws.print_title_rows == '$4:$6', ws.print_title_rows)
pa = ws.print_area if isinstance(ws.print_area, str) else ','.join(ws.print_area)
m_ = re.search(r'\$A\$1:\$R\$(\d+)$', pa)
check('print: the print area is the table, its notes and its charts below them',
      m_ is not None and int(m_.group(1)) > max(r_.row for r_ in ws['A'] if r_.value), pa)
# issue 16: the budget table in two halves, as the report prints it: 前年度/当初/財源
# | 対前年比/増減額 (split 対前年比A), 課名 on both, at a legible scale
check('print: 当初予算分析 splits before 対前年比 (C/A), column K, 課名 repeated, halves side by side',
      [b_.id for b_ in ws.col_breaks.brk] == [10] and ws.print_title_cols == '$A:$A' and
      ws.page_setup.pageOrder == 'overThenDown', [b_.id for b_ in ws.col_breaks.brk], ws.print_title_cols,
      ws.page_setup.pageOrder)
check('print: 当初予算分析 at 80 % or more (it was one page at about 40 %)',
      ws.page_setup.scale is not None and 80 <= int(ws.page_setup.scale) <= 100, ws.page_setup.scale)
fp = WF['検証結果']
check('print: 検証結果 in two halves from 記載 (column I), 重大度 and the header on every page, at 70 % or more',
      [b_.id for b_ in fp.col_breaks.brk] == [8] and fp.print_title_cols == '$A:$A' and
      fp.print_title_rows == '$4:$4' and fp.page_setup.scale is not None and int(fp.page_setup.scale) >= 70,
      [b_.id for b_ in fp.col_breaks.brk], fp.print_title_cols, fp.print_title_rows, fp.page_setup.scale)
ej = WF['各課事業概要']
check('print: 各課事業概要 breaks its pages between rows (its header repeated), no page across',
      len(ej.row_breaks.brk) >= 3 and not ej.col_breaks.brk and ej.print_title_rows == '$4:$4',
      [b_.id for b_ in ej.row_breaks.brk], ej.print_title_rows)
check('screen: header panes frozen', ws.freeze_panes == 'B7', ws.freeze_panes)


def charts_across_breaks(book):
    """(sheet, chart's last column, first column break) for each chart of a
    sheet printed in parts side by side that reaches past its first part:
    libxlsxwriter's own <xdr:to> cell (Excel's column widths) against the
    sheet's first vertical page break"""
    z = zipfile.ZipFile(book)
    wbx = z.read('xl/workbook.xml').decode()
    rel = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="([^"]+)"', z.read('xl/_rels/workbook.xml.rels').decode()))
    bad, seen = [], 0
    for name, rid in re.findall(r'<sheet name="([^"]+)" sheetId="\d+" r:id="(rId\d+)"', wbx):
        path = 'xl/' + rel[rid]
        x = z.read(path).decode()
        m = re.search(r'<drawing r:id="(rId\d+)"', x)
        if not m or '<colBreaks' not in x:
            continue
        first = min(int(b) for b in re.findall(r'<brk id="(\d+)"', x.split('<colBreaks')[1]))
        srel = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="([^"]+)"',
                               z.read(path.replace('worksheets/', 'worksheets/_rels/') + '.rels').decode()))
        d = z.read('xl/' + srel[m.group(1)].replace('../', '')).decode()
        for a in re.findall(r'<xdr:twoCellAnchor.*?</xdr:twoCellAnchor>', d, re.S):
            seen += 1
            to = int(re.search(r'<xdr:to><xdr:col>(\d+)</xdr:col>', a).group(1))
            if to >= first:
                bad.append((name, to, first))
    return seen, bad


seen_, bad_ = charts_across_breaks(BOOK)
check('print: on a sheet printed in parts, each chart ends inside the first part (Excel\'s column widths; '
      '高度化資金 reached into the next page)', seen_ >= 3 and not bad_, seen_, bad_)

# ---- findings ------------------------------------------------------------------

fs = WF['検証結果']
allrows = [r for r in fs.iter_rows(min_row=5) if r[0].value]
# an info group is a line (outline level 0) with its findings below it (level 1, hidden)
lvl = {r[0].row: fs.row_dimensions[r[0].row].outline_level or 0 for r in allrows}
heads_ = [r for r in allrows if r[6].value and str(r[6].value).endswith(' 件') and lvl[r[0].row] == 0 and
          r[0].row + 1 in lvl and lvl[r[0].row + 1] == 1]
rows = [r for r in allrows if r not in heads_]
# the findings on the default input (README, "Findings on the default input")
NE, NW, NI = 17, 4, 38
check('検証結果: one row per finding (%d errors, %d warnings, %d infos)' % (NE, NW, NI), len(rows) == NE + NW + NI and
      sum(r[0].value == '誤り' for r in rows) == NE and sum(r[0].value == '警告' for r in rows) == NW, len(rows))
sevs = [r[0].value for r in allrows]
check('検証結果: by severity (誤り, 警告, 情報)', sevs == ['誤り'] * NE + ['警告'] * NW + ['情報'] * (len(allrows) - NE - NW),
      sevs)
check('検証結果: the 38 infos in 7 lines, each group\'s findings hidden below it',
      len(heads_) + sum(1 for r in rows if r[0].value == '情報' and lvl[r[0].row] == 0) == 7 and
      all(fs.row_dimensions[r[0].row].hidden for r in rows if lvl[r[0].row] == 1) and
      sum(1 for r in rows if lvl[r[0].row] == 1) == 35 and '7 行にまとめています' in fs['A2'].value,
      [(r[0].row, r[6].value) for r in heads_], fs['A2'].value)
g25 = [r for r in heads_ if r[6].value == '25 件']
check('検証結果: 当初予算分析\'s 25 infos without last year\'s breakdown are one line',
      len(g25) == 1 and '25 の数値を検算できません' in g25[0][10].value and g25[0][2].value == '令和6年度当初予算分析',
      [r[10].value for r in heads_])
# every row links to a cell that exists, by an absolute reference
bad = []
for r in allrows:
    h = r[11].hyperlink
    loc = h.location if h else None
    m = re.fullmatch(r"'([^']+)'!\$([A-Z]+)\$([0-9]+)", loc or '')
    if not m or m.group(1) not in WF.sheetnames:
        bad.append((r[0].row, loc))
check('検証結果: every row links to its cell, absolute (\'sheet\'!$C$108), on an existing sheet', not bad, *bad)
# the marks: a cell is filled exactly when an error or warning is about it —
# its position (the link) or another cell its comment names
RED, YEL = ('FFFFC7CE', '00FFC7CE'), ('FFFFEB9C', '00FFEB9C')
def loc_of(r):
    m = re.fullmatch(r"'([^']+)'!\$([A-Z]+)\$([0-9]+)", r[11].hyperlink.location)
    return m.group(1), m.group(2) + m.group(3)
want = {loc_of(r) for r in rows if r[0].value in ('誤り', '警告') and r[11].hyperlink}
marked = set()
for name in WF.sheetnames[1:-1]:
    for row_ in WF[name].iter_rows():
        for c in row_:
            if c.fill is not None and c.fill.fgColor is not None and c.fill.fgColor.rgb in RED + YEL:
                marked.add((name, c.coordinate))
extra = sorted(marked - want)
# the other cells of a breakdown: each holds a finding whose message is in 検証結果
msgs = {r[10].value for r in rows if r[0].value in ('誤り', '警告')}
unexplained = [x for x in extra if not (WF[x[0]][x[1]].comment and
               any(m in WF[x[0]][x[1]].comment.text for m in msgs))]
check('marked: every error and warning cell is marked', not (want - marked), sorted(want - marked))
check('marked: no cell without a finding about it is marked', not unexplained, *unexplained)
c = WF['高度化資金貸付実績']['S36']
check('not marked: 合計 R4 built on the recomputed 小計 — a comment says so, no fill',
      c.comment is not None and '記載: 275,020' in c.comment.text and 'このセルそのものの所見はありません' in c.comment.text
      and c.fill.fgColor.rgb not in RED + YEL, c.comment.text if c.comment else None, c.fill.fgColor.rgb)
y = WF['当初予算分析']
check('marked: 当初予算分析 増減額 (C-A) equals C - A: not marked, no comment',
      all(y['M%d' % i].comment is None and y['M%d' % i].fill.fgColor.rgb not in RED for i in (8, 9, 10, 11, 12, 16)),
      [(i, y['M%d' % i].comment) for i in (8, 9, 10, 11, 12, 16)])
check('marked: … its breakdowns are (財源 N:P and 事業費・人件費 Q:R of each 課 and 合計; Q:R of 特別会計)',
      sorted(x[1] for x in marked if x[0] == '当初予算分析') ==
      sorted(['%s%d' % (c, i) for c in 'NOPQR' for i in (8, 9, 10, 11, 12)] + ['Q16', 'R16']),
      sorted(x[1] for x in marked if x[0] == '当初予算分析'))
c = y['Q8'].comment
check('marked: a comment holds every finding of its cell, each with its own values (Q8: the error and the info)',
      c is not None and c.text.startswith('記載: △15,758,456') and
      '誤り [rowsum] 記載 △15,865,877、再計算 △8,697,215: 内訳 増減_事業費 + 増減_人件費' in c.text and
      '情報 [base-absent]: 「前年度_事業費」(…) がないため' in c.text, c.text if c else None)
c = y['N8'].comment
check('marked: N8\'s comment: the 財源 error (not the 事業費 one) and its info',
      c is not None and '増減_国庫支出金 + 増減_その他 + 増減_一般財源 = △15,865,877' in c.text and
      '増減_事業費 + 増減_人件費' not in c.text.split('\n情報')[0] and '「前年度_国庫支出金」' in c.text,
      c.text if c else None)
yl = [r for r in rows if r[3].value.endswith('yuushi.csv')]
check('検証結果: 県単融資制度 計 R4 前年度比 (a subrow) link to their cells',
      [r[11].hyperlink.location if r[11].hyperlink else None for r in yl] ==
      ["'県単融資制度'!$B$22", "'県単融資制度'!$E$22"] and WV['県単融資制度']['B22'].value == 92.8,
      [r[11].hyperlink for r in yl])
hit = [r for r in rows if r[1].value == 'parent-sum']
link = hit[0][11].hyperlink.location if hit and hit[0][11].hyperlink else None
check('検証結果: the 立地指導事業 finding links to its cell', link is not None and link.startswith("'各課事業概要'!$C$"), link)
if link:
    ref = link.split('!')[1].replace('$', '')
    c = WF['各課事業概要'][ref]
    check('marked: the cell shows the recomputed 3,263', WV['各課事業概要'][ref].value == 3263, WV['各課事業概要'][ref].value)
    check('marked: a comment with the stated 3,363', c.comment is not None and '記載: 3,363' in c.comment.text,
          c.comment.text if c.comment else None)
    check('marked: and a fill', c.fill.fgColor.rgb in ('FFFFC7CE', '00FFC7CE'), c.fill.fgColor.rgb)
c = WF['誘致企業の割合']['C6']
check('marked: 36.7 (truncated) shown as 36.8 with a warning fill and the stated value in a comment',
      WV['誘致企業の割合']['C6'].value == 36.8 and c.comment is not None and '記載: 36.7' in c.comment.text and
      c.fill.fgColor.rgb in ('FFFFEB9C', '00FFEB9C'), WV['誘致企業の割合']['C6'].value, c.comment)
# the contents grouped by 課 as the report's 目次: a heading row before the
# first sheet of each section, the sheets of a section below it
# the cover as the report's (workbook.conf: title, date, author), a page of its own
cv = WF['表紙・目次']
check('cover: 経済産業行政の概要, 令和6年7月, 青森県経済産業部 on the first page',
      [cv['A2'].value, cv['A4'].value, cv['A6'].value] == ['経済産業行政の概要', '令和6年7月', '青森県経済産業部'] and
      [b_.id for b_ in cv.row_breaks.brk][:1] == [6], [cv['A2'].value, cv['A4'].value, cv['A6'].value],
      [b_.id for b_ in cv.row_breaks.brk])
c0_ = next(c.row for c in cv['A'] if c.value == '目次')
cov = [[c.value for c in r[:2]] for r in cv.iter_rows(min_row=c0_ + 1, max_row=c0_ + 55)]
heads = [r[0] for r in cov if r[0] and r[1] is None and r[0] != '入力ファイル']
check('cover: the contents grouped by 課 as the report\'s 目次',
      heads[:6] == ['経済産業部', '【経済産業政策課】', '【地域企業支援課】', '【企業立地・創出課】',
                    '【産業イノベーション推進課】', '付録'] and
      cov.index(['【地域企業支援課】', None]) < cov.index(['取引あっせん実績', '○取引あっせんの実績']) and
      cov.index(['【経済産業政策課】', None]) < cov.index(['保証料率区分', '■保証料率（県信用保証協会）']) <
      cov.index(['【地域企業支援課】', None]), heads, cov[:12])
check('cover: links to every sheet', sum(1 for r in WF['表紙・目次'].iter_rows() for c in r if c.hyperlink) ==
      len(SHEETS) - 1, sum(1 for r in WF['表紙・目次'].iter_rows() for c in r if c.hyperlink))

# ---- charts placed next to their tables ------------------------------------------


def pictures(sheet_index):
    """number of pictures on sheetN (1-based) and the column of the first"""
    rels = 'xl/worksheets/_rels/sheet%d.xml.rels' % sheet_index
    if rels not in zf.namelist():
        return 0, None
    m = re.search(r'Target="../drawings/(drawing\d+\.xml)"', zf.read(rels).decode())
    if not m:
        return 0, None
    dr = zf.read('xl/drawings/' + m.group(1)).decode()
    col = re.search(r'<xdr:from><xdr:col>(\d+)</xdr:col>', dr)
    return dr.count('<xdr:pic>'), int(col.group(1)) if col else None


def pic_rows(sheet_index):
    """(from row, to row) of each picture on sheetN, 0-based"""
    rels = 'xl/worksheets/_rels/sheet%d.xml.rels' % sheet_index
    if rels not in zf.namelist():
        return []
    m = re.search(r'Target="../drawings/(drawing\d+\.xml)"', zf.read(rels).decode())
    dr = zf.read('xl/drawings/' + m.group(1)).decode() if m else ''
    return [(int(a_), int(b_)) for a_, b_ in
            re.findall(r'<xdr:from>.*?<xdr:row>(\d+)</xdr:row>.*?<xdr:to>.*?<xdr:row>(\d+)</xdr:row>', dr, re.S)]


import shutil as _sh  # noqa: E402
if _sh.which('gnuplot'):
    want = {'当初予算分析': 2, '年度別組合数': 1, '検定・検査等実績表': 2, '県単融資制度': 2, '取引あっせん実績': 1,
            '企業誘致件数の推移': 1, '業種別誘致企業': 1, '創業者数の推移': 1, '年度別入校・修了・就業実績': 1, '技能検定': 1,
            '相談指導状況': 1, '高度化資金貸付実績': 1}
    got = {name: pictures(i + 1)[0] for i, name in enumerate(WF.sheetnames) if pictures(i + 1)[0]}
    check('charts: each chart PNG is placed on the sheet of its table', got == want, got)
    # issue 16: printed with their table: below it and its notes, inside the print area
    for name in want:
        w_ = WF[name]
        rows_ = pic_rows(WF.sheetnames.index(name) + 1)
        last_text = max(c.row for row in w_.iter_rows() for c in row if c.value is not None)  # 1-based
        pa_ = w_.print_area if isinstance(w_.print_area, str) else ','.join(w_.print_area)
        end_ = int(re.search(r'\$(\d+)$', pa_).group(1))
        hb = [b_.id for b_ in w_.row_breaks.brk]
        check('charts: on %s below the table and its notes, inside the print area, no break across one' % name,
              rows_ and all(a_ >= last_text and b2 <= end_ and not any(a_ < h < b2 for h in hb) for a_, b2 in rows_),
              rows_, last_text, end_, hb)
    check('charts: out/charts holds the PNG and the SVG of the 15 charts',
          sorted(f for f in os.listdir(os.path.join(OUT, 'charts')) if f.endswith(('.png', '.svg', '.pdf'))) ==
          sorted(['%s.%s' % (c, e) for c in ('ginou', 'keiryo_kensu', 'keiryo_kingaku', 'kodoka', 'kumiai', 'nyuko', 'sogyo',
                                              'soudan', 'torihiki', 'yosan_kabetsu', 'yosan_kosei', 'yuchi_gyoshu', 'yuchi_suii',
                                              'yuushi_yotaku', 'yuushi_yushi') for e in ('png', 'svg')]),
          os.listdir(os.path.join(OUT, 'charts')))

# ---- properties and reproducibility ------------------------------------------------

p = WF.properties
check('properties: generator version and the input files', 'gaiyo' in (p.keywords or '') and
      'yosan.csv' in (p.description or ''), p.keywords, p.description)
OUT2 = os.path.join(TMP, 'out2')
os.mkdir(OUT2)
run_report(os.path.join(SRCDIR, 'input'), OUT2)
same = open(BOOK, 'rb').read() == open(os.path.join(OUT2, 'gaiyo-R6.xlsx'), 'rb').read()
check('reproducible: two runs give byte-identical workbooks', same)
OUT3 = os.path.join(TMP, 'out3')
os.mkdir(OUT3)
run_report(os.path.join(SRCDIR, 'input'), OUT3, {'SOURCE_DATE_EPOCH': '1700000000'})
core = zipfile.ZipFile(os.path.join(OUT3, 'gaiyo-R6.xlsx')).read('docProps/core.xml').decode()
check('reproducible: the creation time comes from SOURCE_DATE_EPOCH', '2023-11-14T22:13:20Z' in core, core[-400:])

# ---- text stays text; a failed run keeps the previous workbook ------------------------

OUT4 = os.path.join(TMP, 'out4')
os.mkdir(OUT4)
r = run_report(os.path.join(SRCDIR, 'tests', 'data', 'formula'), OUT4)
b4 = openpyxl.load_workbook(os.path.join(OUT4, 'gaiyo-R6.xlsx'))
texts = [c for row in b4['各課事業概要'].iter_rows() for c in row
         if c.column == 2 and isinstance(c.value, str) and c.value[:1] in '=+-@']
check('text: cells from the input that start with = + - @ are strings, never formulas',
      len(texts) >= 3 and all(c.data_type == 's' for c in texts), [(c.coordinate, c.value, c.data_type) for c in texts])
before = open(BOOK, 'rb').read()
r = run_report(os.path.join(SRCDIR, 'tests', 'data', 'bad', 'unknown_column'), OUT)
check('atomic: a failed run exits non-zero and leaves the previous workbook untouched',
      r.returncode != 0 and open(BOOK, 'rb').read() == before, r.returncode)

# ---- a table longer than a sheet: split over numbered sheets, never truncated ----------
# (test hooks: sheets of 25 rows instead of 1,048,576; constant-memory mode above 100 rows)
OUT5 = os.path.join(TMP, 'out5')
os.mkdir(OUT5)
r = run_report(os.path.join(SRCDIR, 'input'), OUT5, {'GAIYO_TEST_SHEET_ROWS': '25', 'GAIYO_TEST_STREAM_ROWS': '100'})
B5 = os.path.join(OUT5, 'gaiyo-R6.xlsx')
w5f = openpyxl.load_workbook(B5)
w5v = openpyxl.load_workbook(B5, data_only=True)
parts = [n for n in w5f.sheetnames if n.startswith('各課事業概要')]
check('split: 各課事業概要 continues on numbered sheets', len(parts) > 5 and parts[1] == '各課事業概要 (2)', parts)
bad = [n for n in parts if [c.value for c in w5f[n][4]][:4] != ['番号', '事業名', '予算額', '債務負担行為']]
check('split: the header is repeated on every part', not bad, bad)
notes = [w5f[n].cell(row=w5f[n].max_row, column=1).value for n in parts]
check('split: each part says which part of how many it is',
      all(v == 'この表は %d 枚のシートに分かれています (%d / %d)。' % (len(parts), i + 1, len(parts)) for i, v in enumerate(notes)),
      notes[:2])
names = [c.value for n in parts for c in w5f[n]['B'][4:] if c.value and not str(c.value).startswith('この表は')]
with open(os.path.join(SRCDIR, 'input', 'R6', 'jigyohi.csv'), encoding='utf-8') as f:
    want_names = [r_['事業名'] for r_ in csv.DictReader(f)]
check('split: every 事業 once, in order (nothing truncated)', [x for x in names if x in want_names] == want_names,
      len(names), len(want_names))
ev5 = Evaluator(w5f, w5v)
cross = 0
bad = []
for name in w5f.sheetnames:
    for row in w5f[name].iter_rows():
        for c in row:
            if c.data_type == 'f':
                cross += "'!" in c.value
                got = ev5.evaluate(c.value, name)
                if abs(got - w5v[name][c.coordinate].value) > 1e-9:
                    bad.append((name, c.coordinate, c.value, got))
check('split: formulas refer across the parts and recalculate exactly', cross > 0 and not bad, cross, *bad[:5])

# header merges in constant-memory mode: every sheet merges its header as the ordinary
# workbook does (layouts down, across and in blocks), and its cells read the same
def merges(ws):
    return sorted(str(m) for m in ws.merged_cells.ranges)


WF1 = openpyxl.load_workbook(BOOK)
# (a sheet split into parts is left out: a `once` run ends where a part ends)
common = [n for n in WF1.sheetnames if n in w5f.sheetnames and merges(WF1[n]) and n + ' (2)' not in w5f.sheetnames]
bad = [(n, merges(WF1[n]), merges(w5f[n])) for n in common if merges(WF1[n]) != merges(w5f[n])]
check('constant-memory: header merges as in the ordinary workbook, %d sheets' % len(common),
      len(common) >= 4 and not bad, *bad)
bad = [(n, c.coordinate) for n in common for row in WF1[n].iter_rows(max_row=8) for c in row
       if c.value != w5f[n][c.coordinate].value]
check('constant-memory: the merged header cells read the same', not bad, bad[:5])

# the zip's compression level (xlsx.c): a big, constant-memory workbook is deflated at
# zlib level 1, a small one at libxlsxwriter's default; minizip records the level in the
# general-purpose flags (bits 1-2: 0 normal, 3 fastest)
def levels(book):
    with zipfile.ZipFile(book) as z:
        return {i.filename: (i.flag_bits >> 1) & 3 for i in z.infolist() if i.filename.startswith('xl/worksheets/')}


lv5, lv1 = levels(B5), levels(BOOK)
check('zip: a constant-memory workbook is deflated at level 1 (fastest), every sheet',
      lv5 and set(lv5.values()) == {3}, lv5)
check('zip: a small workbook keeps the default level', lv1 and set(lv1.values()) == {0}, lv1)

# ---- derivations window by window, last year cut down (gy_deriver, gy_table_keep) ----
# Two years of the benchmark's data (its generator, 600 事業 in about 40 課); one
# 前年度当初 of R6 made wrong. Ordinary run against: windows of one group (test hook),
# constant-memory mode, the years read one after another (staged: R5 verified, summarized
# and cut down to its keys and 当初 before R6 is read; the snapshot's row limit lowered so
# that R5 counts as big). Every cell, formula and comment of the sheet must be the same,
# so must the summary and the findings, and the wrong figure is shown recomputed from
# R5, marked.
BENCHGEN = os.environ.get('BENCHGEN')
BIN = os.path.join(TMP, 'bench-in')
subprocess.run([BENCHGEN, '600', BIN], check=True, capture_output=True)
with open(os.path.join(BIN, 'R6', 'jigyo.csv'), encoding='utf-8') as f:
    rows6 = list(csv.reader(f))
with open(os.path.join(BIN, 'R5', 'jigyo.csv'), encoding='utf-8') as f:
    rows5 = {(r_[0], r_[1]): r_ for r_ in csv.reader(f)}
hdr = rows6[0]
iA, iC = hdr.index('前年度当初'), hdr.index('当初')
victim = next(i for i, r_ in enumerate(rows6) if i > 40 and r_[2] == '' and (r_[0], r_[1]) in rows5)
want_prev = int(rows5[(rows6[victim][0], rows6[victim][1])][iC].replace(',', ''))
rows6[victim][iA] = '1'
with open(os.path.join(BIN, 'R6', 'jigyo.csv'), 'w', encoding='utf-8', newline='') as f:
    csv.writer(f, lineterminator='\n').writerows(rows6)


def bench_report(out, env_extra):
    env = dict(os.environ)
    env.update(env_extra)
    return subprocess.run([GAIYO, 'report', '--force', '--input', BIN, '--templates', os.path.join(SRCDIR, 'bench', 'templates'),
                           '--out', out], capture_output=True, text=True, env=env)


def sheet_cells(book):
    wf = openpyxl.load_workbook(book)
    ws = wf[wf.sheetnames[1]]
    return {c.coordinate: (c.value, c.comment.text if c.comment else None, c.number_format)
            for row in ws.iter_rows() for c in row if c.value is not None or c.comment}


OW1, OW2 = os.path.join(TMP, 'w1'), os.path.join(TMP, 'w2')
r1 = bench_report(OW1, {})
r2 = bench_report(OW2, {'GAIYO_TEST_WINDOW_ROWS': '1', 'GAIYO_TEST_STREAM_ROWS': '10', 'GAIYO_TEST_SNAPSHOT_ROWS': '10',
                       'GAIYO_TEST_STAGE_BYTES': '1'})
check('windows: both runs exit 0 (findings are not failures)', r1.returncode == 0 and r2.returncode == 0, r1.stderr, r2.stderr)
c1, c2 = sheet_cells(os.path.join(OW1, 'gaiyo-R6.xlsx')), sheet_cells(os.path.join(OW2, 'gaiyo-R6.xlsx'))
diff = [(k, c1.get(k), c2.get(k)) for k in sorted(set(c1) | set(c2)) if c1.get(k) != c2.get(k)]
nform = sum(1 for v in c1.values() if isinstance(v[0], str) and v[0].startswith('='))
check('windows: one group at a time, constant memory and last year cut down write the same sheet (%d cells, %d formulas)'
      % (len(c1), nform), len(c1) > 5000 and nform > 2000 and not diff, *diff[:5])
same = {f_: open(os.path.join(OW1, f_), 'rb').read() == open(os.path.join(OW2, f_), 'rb').read()
        for f_ in ('summary.txt', 'findings.txt', 'findings.csv')}
nfind = open(os.path.join(OW1, 'findings.csv'), encoding='utf-8').read().count('\n')
check('staged: the summary (R5\'s totals too) and the findings (%d lines) are the same' % nfind,
      all(same.values()) and nfind > 2 and 'R5 jigyo' in open(os.path.join(OW2, 'summary.txt'), encoding='utf-8').read(),
      same)
wv = openpyxl.load_workbook(os.path.join(OW2, 'gaiyo-R6.xlsx'), data_only=True)
ws2 = wv[wv.sheetnames[1]]
hit = [c for row in ws2.iter_rows() for c in row if c.comment and '記載: 1\n' in c.comment.text]
check('windows: the wrong 前年度当初 is shown as R5\'s 当初 (%d), marked with the stated 1' % want_prev,
      len(hit) == 1 and hit[0].value == want_prev, [(c.coordinate, c.value, c.comment.text[:40]) for c in hit])

# ---- many captions and subrows: the sheet's rows sized from the data (issue 13) -------
# 40 課 in jigyohi.csv (its block column changes 40 times), 40 会計 in yosan.csv, each
# with a 県予算額 row and so a 県予算対比 subrow: every caption, row and subrow printed,
# in order (16 blocks used to make the report exit 3 with no message).
MANY = os.path.join(TMP, 'many-in')
shutil.copytree(os.path.join(SRCDIR, 'input'), MANY)
NK = 40
with open(os.path.join(MANY, 'R6', 'jigyohi.csv'), 'w', encoding='utf-8', newline='') as f:
    w_ = csv.writer(f, lineterminator='\n')
    w_.writerow(['課名', '番号', '事業名', '金額', '債務負担行為'])
    for k in range(NK):
        w_.writerows([['第%d課' % k, '1', '施策%d' % k, '', ''], ['第%d課' % k, '(1)', '事業%d' % k, '300', ''],
                      ['第%d課' % k, '①', '細目%d' % k, '300', '']])
with open(os.path.join(SRCDIR, 'input', 'R6', 'yosan.csv'), encoding='utf-8') as f:
    yhead = next(csv.reader(f))
with open(os.path.join(MANY, 'R6', 'yosan.csv'), 'w', encoding='utf-8', newline='') as f:
    w_ = csv.writer(f, lineterminator='\n')
    w_.writerow(yhead)
    for k in range(NK):
        row = dict.fromkeys(yhead, '')
        row.update({'会計': '会計%d' % k, '課名': '課%d' % k, '前年度当初': '100', '前年度最終': '100', '当初': '100'})
        w_.writerow([row[h] for h in yhead])
        row = dict.fromkeys(yhead, '')
        row.update({'会計': '会計%d' % k, '課名': '県予算額', '行区分': '参考', '前年度当初': '1000', '前年度最終': '1000',
                    '当初': '1000', '県予算対比A': '10.0', '県予算対比B': '10.0', '県予算対比C': '10.0'})
        w_.writerow([row[h] for h in yhead])
OUTM = os.path.join(TMP, 'many-out')
r = run_report(MANY, OUTM)
check('many blocks: 40 課 and 40 会計 with their subrows, exit 0', r.returncode == 0, r.stderr)
if r.returncode == 0:
    wm = openpyxl.load_workbook(os.path.join(OUTM, 'gaiyo-R6.xlsx'))
    colA = [c.value for c in wm['各課事業概要']['A'] if c.value is not None]
    colB = [c.value for c in wm['各課事業概要']['B'] if c.value is not None]
    want = ['第%d課' % k for k in range(NK)]
    check('many blocks: every 課 caption, in order', [v for v in colA if str(v).startswith('第')] == want, colA[:60])
    want = [x % k for k in range(NK) for x in ('施策%d', '事業%d', '細目%d')]
    check('many blocks: every 事業 under its 課', [v for v in colB if v in want] == want, colB[:20])
    yA = [c.value for c in wm['当初予算分析']['A'] if c.value is not None]
    want = [x % k if '%' in x else x for k in range(NK) for x in ('会計%d', '課%d', '県予算額 (b)', '県予算対比 (a / b)')]
    check('many blocks: every 会計 caption, row, 県予算額 and its 県予算対比 subrow, in order',
          [v for v in yA if v in want] == want, yA[:16])
    # the same in constant-memory mode (the writer thread; yosan's layout is written in row order)
    OUTM2 = os.path.join(TMP, 'many-out-cm')
    r = run_report(MANY, OUTM2, {'GAIYO_TEST_STREAM_ROWS': '10'})
    same = r.returncode == 0 and all(
        [[c.value for c in row] for row in openpyxl.load_workbook(os.path.join(OUTM2, 'gaiyo-R6.xlsx'))[name].iter_rows()] ==
        [[c.value for c in row] for row in wm[name].iter_rows()] for name in ('各課事業概要', '当初予算分析'))
    check('many blocks: the same cells in constant-memory mode', same, r.stderr)


# ---- rule arithmetic (issue 14): *, /, fractions, round(), trunc() ---------------------

EXPR = os.path.join(SRCDIR, 'tests', 'data', 'expr')


def expr_report(inp, out):
    return subprocess.run([GAIYO, 'report', '--input', inp, '--templates', os.path.join(EXPR, 'templates'),
                           '--out', out], capture_output=True, text=True)


OUTX = os.path.join(TMP, 'expr-out')
r = expr_report(os.path.join(EXPR, 'input'), OUTX)
check('expr: report on tests/data/expr exits 0 with no finding', r.returncode == 0 and '0 errors, 0 warnings, 0 infos' in r.stdout,
      r.stdout, r.stderr)
if r.returncode == 0:
    xf = openpyxl.load_workbook(os.path.join(OUTX, 'gaiyo-R6.xlsx'))
    xv = openpyxl.load_workbook(os.path.join(OUTX, 'gaiyo-R6.xlsx'), data_only=True)
    k, s_ = xf['休廃止鉱山坑廃水処理事業費補助金'], xv['休廃止鉱山坑廃水処理事業費補助金']
    got = [(k[c].value, s_[c].value) for c in ('E5', 'F5', 'E6', 'F6')]
    want = [('=ROUND(D5*3/4,0)', 58416), ('=ROUND(D5*1/4,0)', 19472), ('=ROUND(D6*3/4,0)', 5376), ('=ROUND(D6*1/8,0)', 896)]
    check('expr: 国 = 対象経費 * 3/4, 県 = * 1/4 (秋津 1/8): ROUND(…,0) with its cached value', got == want, got)
    k, s_ = xf['相談指導状況'], xv['相談指導状況']
    got = [(k[c].value, s_[c].value) for c in ('E5', 'F5', 'G5', 'G9')]
    want = [('=ROUND(C5/D5,0)', 758), ('=ROUND(E5/12,0)', 63), ('=ROUND(C5/D5,1)', 757.9), ('=ROUND(C9/D9,1)', 740.5)]
    check('expr: round(件数 / 指導員数, 0), round(平均件数 / 12, 0), round(…, 1) with cached values', got == want, got)
    k, s_ = xf['経済産業部職員配置状況'], xv['経済産業部職員配置状況']
    got = [(k[c].value, s_[c].value, k[c].number_format.split(';')[0]) for c in ('H5', 'H6', 'J5', 'J6', 'H8')]
    want = [(0.5, 0.5, '#,##0.0'), (1, 1, '#,##0'), ('=C5+D5+E5+F5+G5+H5+I5', 13.5, '#,##0.0'),
            ('=C6+D6+E6+F6+G6+H6+I6', 17, '#,##0'), ('=ROUND(SUM(H5:H7),1)', 2.5, '#,##0.0')]
    check('expr: count1 (職員配置状況): 0.5 shown 0.5, 1 shown 1 (not 1.0), 13.5 = a sum across scales', got == want, got)
    evx = Evaluator(xf, xv)
    bad = []
    for ws in xf.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == 'f':
                    got = evx.evaluate(c.value, ws.title)
                    if abs(got - xv[ws.title][c.coordinate].value) > 1e-9:
                        bad.append('%s!%s %s = %r, cached %r' % (ws.title, c.coordinate, c.value, got,
                                                                 xv[ws.title][c.coordinate].value))
    check('expr: every formula recalculates to its cached value', not bad, *bad)
    # a rule whose value is cut off (trunc) is written TRUNC(…)
    tdir = os.path.join(TMP, 'expr-trunc')
    shutil.copytree(EXPR, tdir)
    dpath = os.path.join(tdir, 'templates', 'tables', 'soudan.def')
    with open(dpath, encoding='utf-8') as fh:
        text = fh.read().replace('round(平均件数 / 12, 0)', 'trunc(平均件数 / 12, 0)')
    with open(dpath, 'w', encoding='utf-8') as fh:
        fh.write(text)
    OUTT = os.path.join(TMP, 'expr-trunc-out')
    r = subprocess.run([GAIYO, 'report', '--input', os.path.join(tdir, 'input'), '--templates',
                        os.path.join(tdir, 'templates'), '--out', OUTT], capture_output=True, text=True)
    if r.returncode in (0, 1):
        tf = openpyxl.load_workbook(os.path.join(OUTT, 'gaiyo-R6.xlsx'))['相談指導状況']
        tv = openpyxl.load_workbook(os.path.join(OUTT, 'gaiyo-R6.xlsx'), data_only=True)['相談指導状況']
        got = [(tf[c].value, tv[c].value) for c in ('F6', 'F7')]
    else:
        got = r.stderr
    # 814 / 12 = 67.8: trunc 67 (the stated 68 is then an error in verify, the cell keeps the formula)
    check('expr: trunc(平均件数 / 12, 0) is TRUNC(E6/12,0) with 67 cached', got == [('=TRUNC(E6/12,0)', 67),
                                                                           ('=TRUNC(E7/12,0)', 66)], got)


# ---- LibreOffice: opens it, and recalculating changes no value ----------------------

SOFFICE = shutil.which('soffice')


def lo_recalc(book, outdir):
    """convert every sheet to CSV with LibreOffice, recalculating on load"""
    prof = os.path.join(TMP, 'lo-profile')
    os.makedirs(os.path.join(prof, 'user'), exist_ok=True)
    with open(os.path.join(prof, 'user', 'registrymodifications.xcu'), 'w') as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
                'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
                '<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" '
                'oor:op="fuse"><value>0</value></prop></item>\n</oor:items>\n')
    r = subprocess.run([SOFFICE, '-env:UserInstallation=file://' + prof, '--headless', '--convert-to',
                        'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1',
                        '--outdir', outdir, book], capture_output=True, text=True, timeout=300)
    base = os.path.splitext(os.path.basename(book))[0]
    out = {}
    for name in WF.sheetnames:
        path = os.path.join(outdir, '%s-%s.csv' % (base, name))
        if os.path.exists(path):
            with open(path, encoding='utf-8') as f:
                out[name] = list(csv.reader(f))
    return r, out


if SOFFICE:
    r, lo = lo_recalc(BOOK, os.path.join(TMP, 'lo'))
    check('LibreOffice: converts the workbook headless, every sheet', r.returncode == 0 and sorted(lo) == sorted(WF.sheetnames),
          r.stderr, sorted(lo))
    bad = []
    nnum = 0
    for name in WV.sheetnames:
        rows = lo.get(name, [])
        for row in WV[name].iter_rows():
            for c in row:
                if not isinstance(c.value, (int, float)):
                    continue
                nnum += 1
                try:
                    got = float(rows[c.row - 1][c.column - 1])
                except (IndexError, ValueError):
                    got = None
                if got is None or abs(got - c.value) > 1e-9:
                    bad.append('%s!%s: written %r, LibreOffice %r' % (name, c.coordinate, c.value, got))
    check('LibreOffice: recalculating changes no value (%d figures)' % nnum, nnum > 500 and not bad, *bad[:20])
    # control: a planted wrong cached value is corrected, so LibreOffice did recalculate
    planted = os.path.join(TMP, 'planted.xlsx')
    zin = zipfile.ZipFile(BOOK)
    zout = zipfile.ZipFile(planted, 'w', zipfile.ZIP_DEFLATED)
    for item in zin.infolist():
        data = zin.read(item.filename)
        if item.filename == 'xl/worksheets/sheet%d.xml' % (WF.sheetnames.index('当初予算分析') + 1):
            data = re.sub(rb'(<c r="D12"[^>]*><f>[^<]*</f><v>)[^<]*(</v>)', rb'\g<1>1\g<2>', data)
        zout.writestr(item, data)
    zout.close()
    r, lo2 = lo_recalc(planted, os.path.join(TMP, 'lo2'))
    got = lo2.get('当初予算分析', [[]] * 12)[11][3] if lo2.get('当初予算分析') else None
    check('LibreOffice: … it does recalculate (a planted cached 1 in 合計 comes back as 55777235)',
          got == '55777235', got)
else:
    print('# soffice not installed (scripts/install-deps.sh --test installs libreoffice-calc-nogui): LibreOffice cases not run')

shutil.rmtree(TMP)
print('1..%d' % n)
sys.exit(1 if failed else 0)
