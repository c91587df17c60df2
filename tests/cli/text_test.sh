#!/bin/bash
# text_test.sh - input text and figures at their edges (issue 13, items 8,
# 9, 11, 12): what reaches the terminal, the charts and their axes. Prints
# TAP. Environment as cli_test.sh (GAIYO, SRCDIR, DATADIR).
source "$(dirname "$0")/lib.sh"

# replace CSV COLUMN OLD NEW: every cell OLD of COLUMN becomes NEW (NEW
# may hold anything; written with Python's csv quoting)
replace() {
    "$PY" - "$@" <<'EOS'
import csv, io, sys
f, col, old, new = sys.argv[1:5]
rows = list(csv.reader(open(f, encoding='utf-8-sig', newline='')))
k = rows[0].index(col)
hit = 0
for r in rows[1:]:
    if r[k] == old:
        r[k] = new
        hit += 1
if not hit:
    sys.exit('no cell %r in %s' % (old, col))
s = io.StringIO()
csv.writer(s, lineterminator='\n').writerows(rows)
open(f, 'w', encoding='utf-8', newline='').write(s.getvalue())
EOS
}

# ---- item 12: chart text is shown literally -----------------------------------
# A name with backslash sequences and gnuplot's enhanced-text characters
# is drawn exactly as written in every chart: legends, tick labels, data
# labels, titles, key entries.
WEIRD='経済\n産業\0101課^_@&{}'"'"'"%'
WEIRD_SVG='経済\n産業\0101課^_@&amp;{}'"'"'"%'
cp -R "$SRCDIR/input" "$T/in12"
cp -R "$SRCDIR/templates" "$T/tpl12"
replace "$T/in12/R6/yosan.csv" 課名 経済産業政策課 "$WEIRD"
replace "$T/in12/R6/ginou.csv" 区分 "$(cut -d, -f1 "$SRCDIR/input/R6/ginou.csv" | sed -n 2p)" "$WEIRD"
"$PY" - "$T/tpl12/charts" "$WEIRD" <<'EOS'
import glob, re, sys
for f in glob.glob(sys.argv[1] + '/*.chart'):
    s = open(f, encoding='utf-8').read()
    s = re.sub(r'(?m)^title .*$', lambda m: 'title T' + sys.argv[2], s)
    s = re.sub(r'(?m)^ylabel .*$', lambda m: 'ylabel Y' + sys.argv[2], s)
    open(f, 'w', encoding='utf-8').write(s)
EOS
if command -v gnuplot >/dev/null; then
    run "$GAIYO" report --input "$T/in12" --templates "$T/tpl12" --out "$T/out12"
    assert "chart text: the report with odd names is written" [ "$RC" = 0 ]
    C=$T/out12/charts
    assert "chart text: the doughnut's legend shows the name literally (no line break, no \\0101 → A)" \
        grep -qF "<text xml:space=\"preserve\">$WEIRD_SVG  92.7%</text>" "$C/yosan_kosei.svg"
    assert "chart text: no chart draws a piece of the name split at \\n or decoded" \
        bash -c '! grep -hE "<text[^>]*>(経済</text>|産業A課)" "$@"' _ "$C"/*.svg
    for f in yosan_kabetsu ginou; do
        assert "chart text: $f tick label is the name literally" grep -qF "<text>$WEIRD_SVG</text>" "$C/$f.svg"
    done
    for f in yosan_kosei yosan_kabetsu ginou yuchi_gyoshu yuchi_suii yuushi_yotaku yuushi_yushi \
             kumiai keiryo_kensu keiryo_kingaku torihiki nyuko sogyo soudan kodoka; do
        assert "chart text: $f title (template text) literally" grep -qF "<text>T$WEIRD_SVG</text>" "$C/$f.svg"
    done
    assert "chart text: every label of charts.gp is one field of a .dat file (no string expression gnuplot decodes again)" \
        bash -c '! grep -E "strcol\([0-9]+\) *\." "$1"' _ "$C/charts.gp"
else
    echo "# gnuplot not installed: chart text cases not run"
fi

# ---- item 8: input text in messages: control characters visible, long values cut
ESC=$'\x1b'
RLO=$'\u202e'
cp -R "$SRCDIR/input" "$T/in8a"
replace "$T/in8a/R6/yosan.csv" 当初 51,730,090 "${ESC}[31m1${ESC}]0;title${ESC}\\"
run "$GAIYO" import --input "$T/in8a" --templates "$SRCDIR/templates"
assert "messages: a cell with escape sequences: exit 3, the error names the cell" \
    bash -c '[ "$1" = 3 ] && grep -qF "yosan.csv:2:6: error: 列「当初」に 整数の金額 を期待しましたが '"'"'\x1b[31m1\x1b]0;title\x1b\\'"'"' です" "$2"' _ "$RC" "$ERR"
assert "messages: no ESC byte reaches stderr" bash -c '! grep -q "$1" "$2"' _ "$ESC" "$ERR"

cp -R "$SRCDIR/input" "$T/in8b"
big=$(head -c 10000000 /dev/zero | tr '\0' 7)
printf '%s\n' "$big" >"$T/big"
"$PY" - "$T/in8b/R6/yosan.csv" "$T/big" <<'EOS'
import sys
f, big = sys.argv[1], open(sys.argv[2]).read().strip()
s = open(f, encoding='utf-8').read().replace('"51,730,090"', big, 1)
open(f, 'w', encoding='utf-8').write(s)
EOS
unset big
run "$GAIYO" import --input "$T/in8b" --templates "$SRCDIR/templates"
assert "messages: a 10 MB cell: exit 3, stderr short (< 1000 bytes)" \
    bash -c '[ "$1" = 3 ] && [ "$(wc -c <"$2")" -lt 1000 ]' _ "$RC" "$ERR"
assert "messages: the 10 MB cell is quoted by its first 80 characters and its length" \
    grep -qF "'77777777777777777777777777777777777777777777777777777777777777777777777777777777…(10000000 文字)' です" "$ERR"

# a label with escape sequences and a bidi override: findings on the
# terminal (verify text, csv, json), findings.txt/csv, the import summary
cp -R "$SRCDIR/input" "$T/in8c"
replace "$T/in8c/R6/yosan.csv" 課名 地域企業支援課 "地域${ESC}[2J${RLO}課"
run "$GAIYO" verify --input "$T/in8c" --templates "$SRCDIR/templates"
assert "findings: verify text shows the label with \\x1b and \\u202e, no raw control" \
    bash -c 'grep -qF "地域\x1b[2J\u202e課" "$1" && ! grep -q "$2" "$1" && ! grep -q "$3" "$1"' _ "$OUT" "$ESC" "$RLO"
for fmt in csv json; do
    run "$GAIYO" verify --format $fmt --input "$T/in8c" --templates "$SRCDIR/templates"
    assert "findings: verify --format $fmt has the label but no raw ESC or U+202E" \
        bash -c 'grep -qF "地域" "$1" && ! grep -q "$2" "$1" && ! grep -q "$3" "$1"' _ "$OUT" "$ESC" "$RLO"
done
run env GAIYO_GNUPLOT=/nonexistent "$GAIYO" report --input "$T/in8c" --templates "$SRCDIR/templates" --out "$T/out8"
assert "findings: findings.txt and findings.csv hold no raw ESC or U+202E" \
    bash -c 'grep -qF "地域\x1b[2J\u202e課" "$1" && ! grep -q "$3" "$1" "$2" && ! grep -q "$4" "$1" "$2"' \
    _ "$T/out8/findings.txt" "$T/out8/findings.csv" "$ESC" "$RLO"

# ---- item 9: figures near INT64_MAX (this suite runs under ASan+UBSan too)
cp -R "$SRCDIR/input" "$T/in9"
sed -i 's/^S37,,1,,1$/S37,,9223372036854775807,9223372036854775806,1/' "$T/in9/R6/yuchi_suii.csv"
sed -i 's/"51,730,090"/9223372036854775807/; s/"429,381"/9223372036854775807/' "$T/in9/R6/yosan.csv"
run env GAIYO_GNUPLOT=/nonexistent "$GAIYO" report --input "$T/in9" --templates "$SRCDIR/templates" --out "$T/out9"
assert "int64 edge: the report is written (exit 0)" [ "$RC" = 0 ]
assert "int64 edge: the doughnut whose total overflows is skipped with a warning naming it" \
    grep -qF "グラフ 'yosan_kosei' の合計が int64 の範囲 (±9,223,372,036,854,775,807) を超えます (表 'yosan') — 描きません" "$ERR"
assert "int64 edge: the stacked chart whose running total overflows is skipped with a warning" \
    grep -qF "グラフ 'yuchi_suii' の累計が int64 の範囲" "$ERR"
assert "int64 edge: no .dat of a skipped chart; the clustered bars (no sum) are kept with gnuplot's own axis" \
    bash -c '[ ! -e "$1/yosan_kosei.dat" ] && [ ! -e "$1/yuchi_suii.dat" ] && grep -q "^0	経済産業政策課	60427305	9223372036854775807" "$1/yosan_kabetsu.dat" && ! grep -q "yrange \[0:-" "$1/charts.gp"' _ "$T/out9/charts"
# the workbook's cached values: two 課 whose 財源 add up to 9e18 each (their
# 当初 formulas' values) make the 計 row's SUM leave int64 — that cell is
# written as its stated value, never a wrapped sum (UBSan: no overflow)
cp -R "$SRCDIR/input" "$T/in9w"
"$PY" - "$T/in9w/R6/yosan.csv" <<'PYEOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
i = rows[0].index("その他")
for r in rows[1:3]:
    r[i] = "9000000000000000000"
csv.writer(open(sys.argv[1], "w", encoding="utf-8", newline="")).writerows(rows)
PYEOF
run env GAIYO_GNUPLOT=/nonexistent "$GAIYO" report --input "$T/in9w" --templates "$SRCDIR/templates" --out "$T/out9w"
assert "int64 edge: a workbook SUM that would leave int64 is written as the stated value" \
    "$PY" -c '
import sys, openpyxl
assert sys.argv[2] == "0", "exit " + sys.argv[2]
ws = openpyxl.load_workbook(sys.argv[1] + "/gaiyo-R6.xlsx")["当初予算分析"]
found = [c for row in ws.iter_rows() for c in row if c.value == 55777235]
assert found, "the stated 当初 合計 55,777,235 is not a value in the sheet"
' "$T/out9w" "$RC"
# the reconcile of 予算分析 with 事業費 sums a 課's 事業: two of 9e18 leave
# int64 — an error naming the reconcile, never a wrapped sum (UBSan)
cp -R "$SRCDIR/input" "$T/in9r"
sed -i 's/^経済産業政策課,(1),小規模指導事業,1511284,$/経済産業政策課,(1),小規模指導事業,9000000000000000000,/; s/^経済産業政策課,(2),協同組合指導事業,142930,$/経済産業政策課,(2),協同組合指導事業,9000000000000000000,/' "$T/in9r/R6/jigyohi.csv"
run "$GAIYO" verify --input "$T/in9r" --templates "$SRCDIR/templates"
assert "int64 edge: a reconcile whose sum leaves int64 is an error at the stated cell" \
    bash -c '[ "$1" = 1 ] && grep -qF "$3/R6/yosan.csv:2:11: error: [reconcile] 経済産業政策課 / 事業費: 照合: 「経済産業政策課」の事業費 と 各課事業概要 (事業費) の金額 の合計が扱える範囲" "$2"' \
    _ "$RC" "$OUT" "$T/in9r"
printf '年度,貸付金,融資実績,融資区分\nR5,-9223372036854775807,1,\nR6,-9223372036854775808,1,\n' >"$T/in9/R6/chuokai.csv"
run "$GAIYO" import --input "$T/in9" --templates "$SRCDIR/templates"
assert "int64 edge: -(2^63-1) is read, -2^63 is refused naming the limit" \
    bash -c '[ "$1" = 3 ] && [ "$(grep -c error "$2")" = 1 ] && grep -qF "chuokai.csv:3:2: error: 列「貸付金」に 整数の金額 を期待しましたが '"'"'-9223372036854775808'"'"' です: 数値が小さすぎます (△9,223,372,036,854,775,807 まで)" "$2"' _ "$RC" "$ERR"

# ---- item 11: a mistake in one chart template stops the run before out/ is touched
cp -R "$SRCDIR/templates" "$T/tpl11"
printf 'type pie\ntable yosan\nvalue 当初\nhole ninety\n' >"$T/tpl11/charts/zz_bad.chart"
mkdir -p "$T/out11"
echo keep >"$T/out11/summary.txt"
run "$GAIYO" report --input "$SRCDIR/input" --templates "$T/tpl11" --out "$T/out11"
assert "chart template error: exit 3, file:line:col of the mistake, out/ as it was" \
    bash -c '[ "$1" = 3 ] && grep -qF "gaiyo: $3/charts/zz_bad.chart:4:6: error: hole は 0 から 90" "$2" && grep -qF "報告は書きませんでした" "$2" && [ "$(cat "$4/summary.txt")" = keep ] && [ ! -e "$4/charts" ]' \
    _ "$RC" "$ERR" "$T/tpl11" "$T/out11"

echo "1..$n"
[ "$failed" = 0 ]
