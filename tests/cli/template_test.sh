#!/bin/bash
# template_test.sh - gaiyo template (issue 16, item 10): the empty CSV a
# 課 fills in. Every table kind's form, filled with one row made from its
# column types, is read back by the importer, in UTF-8 (BOM) and CP932;
# lookup, refusals, no overwriting, no path escape. Prints TAP.
# Environment as cli_test.sh (GAIYO, SRCDIR, DATADIR).
source "$(dirname "$0")/lib.sh"

TPL=$SRCDIR/templates
cd "$SRCDIR" || exit 1   # templates/ as every user has it
ndefs=$(ls "$TPL"/tables/*.def | wc -l)

# fill TEMPLATES YEARDIR ENC: check that each definition's file in YEARDIR
# is exactly its header (the .def's column names in order, read here from
# the .def itself), in ENC (utf-8: with BOM; cp932: none), ending in CRLF;
# then append one plausible row made from the column types, in ENC.
fill() {
    "$PY" - "$@" <<'EOS'
import csv, glob, io, os, re, sys
tpl, ydir, enc = sys.argv[1:4]
FIXED = {'amount': '1,234', 'count': '12', 'count1': '1.5', 'fy': 'R6', 'period': 'R6',
         'role': '', 'marker': '1', 'level': '1', 'quotient1': '1.5'}
def sample(t, i):
    if t == 'text':
        return '試験%d' % i          # a key text, distinct per column
    if t in FIXED:
        return FIXED[t]
    m = re.fullmatch(r'(ratio|amount|count|quotient)(\d)', t)
    if m:  # N decimals at most: a figure with N of them
        return '12' + ('.' + '5' * int(m.group(2)) if int(m.group(2)) else '')
    sys.exit('no sample for type %r' % t)
bad = []
for d in sorted(glob.glob(tpl + '/tables/*.def')):
    cols, fname = [], None
    for line in open(d, encoding='utf-8'):
        w = line.split()
        if w[:1] == ['file']:
            fname = w[1]
        elif w[:1] == ['column']:
            cols.append((w[1], w[2]))
    path = os.path.join(ydir, fname)
    raw = open(path, 'rb').read()
    want = ','.join(c for c, _ in cols) + '\r\n'
    want = (b'\xef\xbb\xbf' + want.encode('utf-8')) if enc == 'utf-8' else want.encode('cp932')
    if raw != want:
        bad.append('%s: %r, expected %r' % (path, raw[:120], want[:120]))
    out = io.StringIO()
    csv.writer(out, lineterminator='\r\n').writerow([sample(t, i) for i, (_, t) in enumerate(cols)])
    open(path, 'ab').write(out.getvalue().encode('utf-8' if enc == 'utf-8' else 'cp932'))
if bad:
    sys.exit('\n'.join(bad))
print(len(glob.glob(tpl + '/tables/*.def')))
EOS
}

# ---- every table kind, both encodings: form → one row → importer ----------------
for enc in utf-8 cp932; do
    D=$T/in-$enc
    mkdir -p "$D"
    if [ $enc = utf-8 ]; then
        check "all ($enc, the default): one form per definition" 0 "" "~$ndefs 表の様式を $D/R6 に書きました" \
            "$GAIYO" template --all "$D/R6"
    else
        check "all ($enc): one form per definition" 0 "" "~$ndefs 表の様式を $D/R6 に書きました (CP932)" \
            "$GAIYO" template --all "$D/R6" --encoding cp932
    fi
    assert "all ($enc): $ndefs files, nothing else" [ "$(ls -A "$D/R6" | wc -l)" = "$ndefs" ]
    cp -R "$D" "$T/bare-$enc"
    # the forms as they are: every table read, 0 rows each, said on stderr
    run "$GAIYO" import --input "$T/bare-$enc"
    assert "bare forms ($enc): the importer reads all $ndefs (exit 0)" [ "$RC" = 0 ]
    assert "bare forms ($enc): each a table of 0 rows" [ "$(grep -c ' 0 行$' "$OUT")" = "$ndefs" ]
    assert "bare forms ($enc): the 0-row warning for each" [ "$(grep -c '見出し行だけで' "$ERR")" = "$ndefs" ]
    run fill "$TPL" "$D/R6" $enc
    assert "forms ($enc): each file is its definition's header, in order, nothing else" [ "$RC" = 0 ]
    run "$GAIYO" import --input "$D"
    assert "filled ($enc): import reads every table without an error" \
        bash -c '[ "$1" = 0 ] && [ ! -s "$2" ]' _ "$RC" "$ERR"
    assert "filled ($enc): every table has its row" [ "$(grep -c ' 1 行$' "$OUT")" = "$ndefs" ]
    if [ $enc = utf-8 ]; then want='(UTF-8 (BOM))'; else want='(CP932)'; fi
    assert "filled ($enc): read as $want" [ "$(grep -cF "$want 1 行" "$OUT")" = "$ndefs" ]
    # verify finds what one made-up row gets wrong (exit 1), never an
    # import error (exit 3)
    run "$GAIYO" verify --input "$D"
    assert "filled ($enc): verify reads everything (exit 0 or 1, nothing on stderr)" \
        bash -c '[ "$1" = 0 ] || [ "$1" = 1 ]' _ "$RC"
    assert "filled ($enc): verify's stderr is empty" [ ! -s "$ERR" ]
done

# ---- one table: stdout, names users see ----------------------------------------
check "yosan on stdout" 0 "" "*" "$GAIYO" template yosan
assert "yosan on stdout: the same bytes as --all's yosan.csv" cmp "$OUT" "$T/bare-utf-8/R6/yosan.csv"
head -1 "$SRCDIR/input/R6/yosan.csv" | sed 's/$/\r/' | sed '1s/^/\xef\xbb\xbf/' >"$T/yosan-head"
assert "yosan: the header of input/R6/yosan.csv, with BOM and CRLF" cmp "$OUT" "$T/yosan-head"
for name in yosan.csv YOSAN Yosan.CSV; do
    check "lookup '$name' is yosan" 0 "" "*" "$GAIYO" template "$name"
    assert "lookup '$name': yosan's form" cmp "$OUT" "$T/bare-utf-8/R6/yosan.csv"
done
for name in kumikae 組替 組替.csv; do
    check "lookup '$name' is 組替.csv" 0 "" "*" "$GAIYO" template "$name"
    assert "lookup '$name': 組替's form" cmp "$OUT" "$T/bare-utf-8/R6/組替.csv"
done
printf '\xef\xbb\xbf表,列,旧,新,対象,備考\r\n' >"$T/kumikae-want"
assert "kumikae: 表,列,旧,新,対象,備考" cmp "$OUT" "$T/kumikae-want"
run "$GAIYO" template ginou --encoding cp932
assert "ginou --encoding cp932: the same bytes as --all's" cmp "$OUT" "$T/bare-cp932/R6/ginou.csv"

# ---- usage errors: exit 2, short -------------------------------------------------
check "unknown table: exit 2, says how to list them" 2 "~未知の表 'nosuch'" "" "$GAIYO" template nosuch
assert "unknown table: one short line (not the whole list)" \
    bash -c '[ "$(wc -l <"$1")" = 1 ] && [ "$(wc -c <"$1")" -lt 400 ] && grep -qF "gaiyo tables" "$1"' _ "$ERR"
check "unknown table: a few candidates from the titles" 2 "~: 候補は yosan (令和6年度当初予算分析) (表 ID か" "" \
    "$GAIYO" template 予算分析
check "a control character in the name is shown visibly" 2 '~未知の表 '"'"'a\x1bb'"'" "" \
    "$GAIYO" template "$(printf 'a\033b')"
check "no table: exit 2" 2 "~表 ID (例 yosan) か --all DIR が要ります" "" "$GAIYO" template
check "table and --all: exit 2" 2 "~--all DIR は表の指定や -o と一緒には使えません" "" \
    "$GAIYO" template yosan --all "$T/x"
check "two tables: exit 2" 2 "~表は 1 つだけ" "" "$GAIYO" template yosan ginou
check "unknown encoding: exit 2" 2 "~--encoding は utf-8 (BOM 付き) か cp932 です: 'latin1'" "" \
    "$GAIYO" template yosan --encoding latin1
check "unknown option: exit 2" 2 "~未知のオプション '--bogus'" "" "$GAIYO" template yosan --bogus
check "--all without DIR: exit 2" 2 "~--all には値が要ります" "" "$GAIYO" template --all
assert "no folder made by the refused runs" [ ! -e "$T/x" ]

# ---- -o FILE: never overwritten unless --force, never through a symlink ---------
check "-o FILE" 0 "" "" "$GAIYO" template yosan -o "$T/y.csv"
assert "-o FILE: the form" cmp "$T/y.csv" "$T/bare-utf-8/R6/yosan.csv"
echo keep >"$T/y.csv"
check "-o FILE that exists: refused (exit 3)" 3 "~$T/y.csv: error: ファイルが既にあります: 上書きしません (上書きするには --force)" "" \
    "$GAIYO" template yosan -o "$T/y.csv"
assert "-o FILE that exists: left as it was" grep -qx keep "$T/y.csv"
check "-o FILE --force: replaced" 0 "" "" "$GAIYO" template yosan -o "$T/y.csv" --force --encoding cp932
assert "-o FILE --force: now the cp932 form" cmp "$T/y.csv" "$T/bare-cp932/R6/yosan.csv"
echo outside >"$T/target"
ln -s "$T/target" "$T/link.csv"
check "-o SYMLINK --force: refused" 3 "~$T/link.csv: error: 通常のファイルではないもの (シンボリックリンク) があります" "" \
    "$GAIYO" template yosan -o "$T/link.csv" --force
assert "-o SYMLINK: its target untouched, the link still a link" \
    bash -c 'grep -qx outside "$1" && [ -L "$2" ]' _ "$T/target" "$T/link.csv"
check "-o into a missing folder: exit 3" 3 "~フォルダを開けません" "" "$GAIYO" template yosan -o "$T/nodir/y.csv"
assert "no temporary file left anywhere" bash -c '! ls -A "$1" | grep -q gaiyo' _ "$T"

# ---- --all DIR: everything checked before the first file -------------------------
mkdir "$T/part"
echo keep >"$T/part/yosan.csv"
echo keep >"$T/part/ginou.csv"
check "--all into a folder with forms there: refused" 3 "~$T/part/ginou.csv: error: ファイルが既にあります" "" \
    "$GAIYO" template --all "$T/part"
assert "--all refused: every file in the way is named" grep -qF "$T/part/yosan.csv: error: ファイルが既にあります" "$ERR"
assert "--all refused: the last line says nothing was written" bash -c 'tail -1 "$1" | grep -qF "様式は 1 つも書きませんでした"' _ "$ERR"
assert "--all refused: nothing written, the files in the way kept" \
    bash -c '[ "$(ls -A "$1" | wc -l)" = 2 ] && grep -qx keep "$1/yosan.csv"' _ "$T/part"
check "--all --force: replaces them" 0 "" "~$ndefs 表の様式を" "$GAIYO" template --all "$T/part" --force
assert "--all --force: yosan.csv is the form" cmp "$T/part/yosan.csv" "$T/bare-utf-8/R6/yosan.csv"
mkdir "$T/sym"
ln -s "$T/target" "$T/sym/ginou.csv"
check "--all with a symlink in the way, --force: refused" 3 "~$T/sym/ginou.csv: error: 通常のファイルではないもの (シンボリックリンク)" "" \
    "$GAIYO" template --all "$T/sym" --force
assert "--all symlink: nothing written, the target untouched" \
    bash -c '[ "$(ls -A "$1" | wc -l)" = 1 ] && grep -qx outside "$2"' _ "$T/sym" "$T/target"
check "--all into a missing parent: exit 3" 3 "~フォルダを作れません" "" "$GAIYO" template --all "$T/no/such"

# ---- definitions are data -------------------------------------------------------
mkdir -p "$T/tpl-esc/tables" "$T/esc"
printf 'table   evil\ntitle   E\nfile    ../evil.csv\ncolumn  名前 text key\n' >"$T/tpl-esc/tables/evil.def"
(cd "$T/esc" && "$GAIYO" template --all out --templates "$T/tpl-esc" >"$OUT" 2>"$ERR")
RC=$?
assert "a definition's file ../evil.csv: refused (exit 3)" [ "$RC" = 3 ]
assert "a definition's file ../evil.csv: nothing written outside" \
    bash -c '[ ! -e "$1/evil.csv" ] && [ ! -e "$1/esc/evil.csv" ]' _ "$T"
mkdir -p "$T/tpl-f/tables"
printf 'table   f\ntitle   F\nfile    f.csv\ncolumn  名前 text key\ncolumn  =SUM(A1) amount\ncolumn  差−額 amount\n' \
    >"$T/tpl-f/tables/f.def"
check "a column name a spreadsheet runs as a formula: refused at its line" 3 \
    "~$T/tpl-f/tables/f.def:5: error: 列名 '=SUM(A1)' は表計算ソフトで式として読まれる" "" \
    "$GAIYO" template f --templates "$T/tpl-f"
sed -i '5d' "$T/tpl-f/tables/f.def"
check "a name CP932 cannot write (U+2212): refused at its line" 3 \
    "~$T/tpl-f/tables/f.def:5: error: 列名 '差−額' の文字 U+2212 は CP932 (Shift_JIS) で書けません" "" \
    "$GAIYO" template f --templates "$T/tpl-f" --encoding cp932
check "… and written in UTF-8" 0 "" "*" "$GAIYO" template f --templates "$T/tpl-f"
printf '\xef\xbb\xbf名前,差−額\r\n' >"$T/f-want"
assert "… as 名前,差−額" cmp "$OUT" "$T/f-want"

# ---- documented ------------------------------------------------------------------
check "help lists template" 0 "" "~gaiyo template --all DIR" "$GAIYO" --help
assert "README Commands lists gaiyo template" grep -qE '^    gaiyo template (TABLE|表)' "$SRCDIR/README.md"
assert "README's input section says how a 課 uses it" \
    bash -c 'sed -n "/^## Input folder/,/^## /p" "$1" | grep -qF "gaiyo template"' _ "$SRCDIR/README.md"

echo "1..$n"
[ "$failed" = 0 ]
