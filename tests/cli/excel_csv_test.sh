#!/bin/bash
# excel_csv_test.sh - the CSV files of out/ open in Excel on Japanese
# Windows (issue 16 item 9): findings.csv and changes.csv start with a
# UTF-8 BOM, `verify --format csv` prints the same rows without it, and a
# text starting with = + - @ or ＝ ＋ － ＠ stays text. Prints TAP.
# Environment as cli_test.sh (GAIYO, SRCDIR, DATADIR).
source "$(dirname "$0")/lib.sh"

IN=(--templates "$SRCDIR/templates")
export GAIYO_GNUPLOT=/nonexistent # no charts: not what this suite is about

run G report --input "$SRCDIR/input" "${IN[@]}" --out "$T/out"
assert "report: exit 0" [ "$RC" = 0 ]
for f in findings.csv changes.csv; do
    assert "$f starts with the UTF-8 BOM (EF BB BF), then its header" \
        bash -c '[ "$(head -c 3 "$1" | od -An -tx1 | tr -d " ")" = efbbbf ] && head -n 1 "$1" | tail -c +4 | grep -qE "^(severity|kind),"' \
        _ "$T/out/$f"
done
assert "summary.txt, findings.txt, snapshot.tsv: no BOM" \
    bash -c 'for f in summary.txt findings.txt snapshot.tsv; do [ "$(head -c 3 "$1/$f" | od -An -tx1 | tr -d " ")" != efbbbf ] || exit 1; done' \
    _ "$T/out"
run G verify --input "$SRCDIR/input" "${IN[@]}" --format csv
assert "verify --format csv: no BOM on stdout; findings.csv is the same bytes after its BOM" \
    bash -c '[ "$(head -c 9 "$1")" = severity, ] && tail -c +4 "$2" | cmp -s - "$1"' _ "$OUT" "$T/out/findings.csv"

# ---- labels that a spreadsheet would take as formulas --------------------------
# rows with findings renamed to texts starting with ＝ ＋ － (and a plain =):
# jigyohi 立地指導事業 (parent-sum), nyuko 普通課程 (ratio), text_figures'
# 文 of line 21 (figure), yuchi_gyoshu 非製造業
cp -R "$SRCDIR/input" "$T/in"
"$PY" - "$T/in/R6" <<'EOS'
import csv, io, sys
d = sys.argv[1]
for f, col, old, new in [('jigyohi.csv', '事業名', '立地指導事業', '＝1+1'),
                         ('nyuko.csv', '区分', '普通課程', '＋普通課程'),
                         ('text_figures.csv', '文', 'イ 経営安定化サポート資金 ③災害枠 3,000万円', '－2+3'),
                         ('yuchi_gyoshu.csv', '業種', '非製造業', '=cmd|\' /C calc\'!A0')]:
    rows = list(csv.reader(open(d + '/' + f, encoding='utf-8-sig', newline='')))
    k = rows[0].index(col)
    hit = 0
    for r in rows[1:]:
        if r[k] == old:
            r[k] = new
            hit += 1
    if not hit:
        sys.exit('no cell %r in %s' % (old, f))
    s = io.StringIO()
    csv.writer(s, lineterminator='\n').writerows(rows)
    open(d + '/' + f, 'w', encoding='utf-8', newline='').write(s.getvalue())
EOS
run G report --input "$T/in" "${IN[@]}" --out "$T/out"
assert "perturbed labels: report exit 0, changes listed" \
    bash -c '[ "$1" = 0 ] && grep -qF "変更: 前回から" "$2"' _ "$RC" "$OUT"
run G verify --input "$T/in" "${IN[@]}" --format csv
cp "$OUT" "$T/verify.csv"
# every cell read back as a spreadsheet would read it: none starts with a
# formula sign unless it is a plain number; the renamed labels are there,
# each behind a '
for f in findings.csv changes.csv verify.csv; do
    p=$T/out/$f
    [ $f = verify.csv ] && p=$T/verify.csv
    assert "$f: no cell starts with = + - @ ＝ ＋ － ＠ (unless a plain number); '＝1+1' '＋普通課程' are text" \
        "$PY" - "$p" <<'EOS'
import csv, re, sys
raw = open(sys.argv[1], 'rb').read()
bom = raw.startswith(b'\xef\xbb\xbf')
assert bom == (not sys.argv[1].endswith('verify.csv')), 'BOM: %r' % raw[:3]
rows = list(csv.reader(raw.decode('utf-8-sig').splitlines(True)))
cells = [c for r in rows for c in r]
bad = [c for c in cells if c and c[0] in '=+-@＝＋－＠\t\r' and not re.fullmatch(r'[+\-＋－]?[0-9.,]+', c)]
assert not bad, 'formula-like cells: %r' % bad[:5]
want = ["'＝1+1", "'＋普通課程"]
if not sys.argv[1].endswith('changes.csv'):
    want += ["'－2+3", "'=cmd|' /C calc'!A0"]
missing = [w for w in want if not any(c == w or c.startswith(w + ' ') for c in cells)]
assert not missing, 'labels not found neutralised: %r' % missing
EOS
done

echo "1..$n"
[ "$failed" = 0 ]
