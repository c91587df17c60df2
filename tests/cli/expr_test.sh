#!/bin/bash
# expr_test.sh - rule arithmetic (issue 14): *, /, fractions, round(),
# trunc(), quoted row labels. For each table of tests/data/expr: the right
# table has no finding, and a single perturbation is caught at its cell
# (file:line:col) with the right rule. Prints TAP.
source "$(dirname "$0")/lib.sh"
X=$DATADIR/expr

# check NAME WANT_RC WANT_LINE...: verify on $T/x; each WANT must be a line
# of the CSV findings (prefix match) and nothing else may be an error
check() {
    local name=$1 want_rc=$2
    shift 2
    local out rc
    out=$("$GAIYO" verify --input "$T/x/input" --templates "$T/x/templates" --format csv 2>"$T/err")
    rc=$?
    local bad=()
    [ "$rc" = "$want_rc" ] || bad+=("exit $rc, expected $want_rc: $(cat "$T/err")")
    local w
    for w in "$@"; do
        printf '%s\n' "$out" | grep -qF -- "$w" || bad+=("missing: $w")
    done
    local nf=$(($(printf '%s\n' "$out" | wc -l) - 1))
    [ "$nf" = "$#" ] || bad+=("$nf findings, expected $#")
    n=$((n + 1))
    if [ ${#bad[@]} = 0 ]; then
        echo "ok $n - $name"
    else
        failed=$((failed + 1))
        echo "not ok $n - $name"
        printf '#   %s\n' "${bad[@]}"
        printf '%s\n' "$out" | sed 's/^/#   > /'
    fi
}

# fresh copy of the test data; then edit it
fresh() {
    rm -rf "$T/x"
    cp -R "$X" "$T/x"
}
K=$T/x/input/R6/kohaisui.csv
S=$T/x/input/R6/soudan.csv

fresh
check "the right tables (坑廃水 3/4, 1/4, 1/8; 相談指導 round; quoted labels): no finding" 0

# ---- 休廃止鉱山坑廃水処理事業費補助金: 国 = 対象経費 * 3/4, 県 = * 1/4 (秋津 1/8)
fresh
sed -i 's/^秋津,,"10,408","7,168","5,376",896$/秋津,,"10,408","7,168","5,376",897/' "$K"
check "坑廃水: 秋津 県 897 (1/8 of 7,168 is 896): error at its cell, rule formula" 1 \
    "error,formula,kohaisui,$K,3,6,秋津,補助金額 県 (1/4),897,896,記載 897 と再計算 896 が 1 違います (規則: 県補助金 = 対象経費 * 1/8)" \
    "error,sum,kohaisui,$K,5,6,計"

fresh
# the report's own 上北 figures: 58,385 is not 3/4 of 77,888 (58,416)
sed -i 's/"58,416","19,472"/"58,385","19,503"/; s/"63,792","20,368"/"63,761","20,399"/' "$K"
check "坑廃水: the report's 上北 58,385 / 19,503 are not 3/4 and 1/4 of 77,888: two errors at their cells" 1 \
    "error,formula,kohaisui,$K,2,5,上北,補助金額 国 (3/4),\"58,385\",\"58,416\"," \
    "error,formula,kohaisui,$K,2,6,上北,補助金額 県 (1/4),\"19,503\",\"19,472\"," \
    "error,formula,kohaisui,$K,5,5,計,補助金額 国 (3/4),\"63,761\",\"63,792\","

fresh
# 1,198 × 3/4 = 898.5: compared rounded half up (899); 898 is the value cut off
# (上北 stays, right: the rule on row:上北 has its row)
printf '鉱山名,行区分,事業費,対象経費,国補助金,県補助金\n上北,,"80,000","77,888","58,416","19,472"\n秋津,,"1,300","1,198",898,150\n' >"$K"
check "坑廃水: 898.5 stated 898 (cut off): a rounding warning at its cell" 0 \
    "warning,rounding,kohaisui,$K,3,5,秋津,補助金額 国 (3/4),898,899,898 は切り捨ての値です。四捨五入すると 899 (規則: 国補助金 = 対象経費 * 3/4)"
printf '鉱山名,行区分,事業費,対象経費,国補助金,県補助金\n上北,,"80,000","77,888","58,416","19,472"\n秋津,,"1,300","1,198",899,150\n' >"$K"
check "坑廃水: 898.5 stated 899 (rounded half up), 149.75 stated 150: no finding" 0
printf '鉱山名,行区分,事業費,対象経費,国補助金,県補助金\n上北,,"80,000","77,888","58,416","19,472"\n秋津,,"1,300","1,198",900,150\n' >"$K"
check "坑廃水: 898.5 stated 900: an error" 1 \
    "error,formula,kohaisui,$K,3,5,秋津,補助金額 国 (3/4),900,899,記載 900 と再計算 899 が 1 違います"

# ---- 相談指導状況: 平均件数 = round(件数 / 指導員数, 0), 月平均 = round(平均 / 12, 0)
fresh
sed -i 's/^計,R3,"86,584",108,802,67,801.7$/計,R3,"86,584",108,802,66,801.7/' "$S"
check "相談指導: R3 月平均件数 66 (802 / 12 = 66.8 → 67): error at its cell" 1 \
    "error,formula,soudan,$S,4,6,計 R3,経営指導員1人当たり月平均件数,66,67,\"記載 66 と再計算 67 が 1 違います (規則: 月平均件数 = round(平均件数 / 12, 0))"

fresh
sed -i 's/^計,R5,"79,232",107,740,62,740.5$/計,R5,"79,232",107,740,62,740.4/' "$S"
check "相談指導: R5 1人当たり 740.4 (79,232 / 107 = 740.49 → 740.5): error at its cell" 1 \
    "error,formula,soudan,$S,6,7,計 R5,1人当たり (小数 1 位),740.4,740.5,"

fresh
sed -i 's/^計,R1,"81,849",108,758,63,757.9$/計,R1,"81,849",109,758,63,757.9/' "$S"
check "相談指導: R1 指導員数 109 (81,849 / 109 = 750.9): both of its ratios are errors" 1 \
    "error,formula,soudan,$S,2,5,計 R1,経営指導員1人当たり平均件数,758,751," \
    "error,formula,soudan,$S,2,7,計 R1,1人当たり (小数 1 位),757.9,750.9,"

fresh
sed -i 's/^計,R2,"87,887",108,814,68,813.8$/計,R2,"87,887",0,814,68,813.8/' "$S"
check "相談指導: R2 指導員数 0: a division by zero is '-', the stated figures are errors" 1 \
    "error,formula,soudan,$S,3,5,計 R2,経営指導員1人当たり平均件数,814,'-,\"分母が 0 のため" \
    "error,formula,soudan,$S,3,7,計 R2,1人当たり (小数 1 位),813.8,'-,\"分母が 0 のため"

# ---- quoted row labels: any label, never silently the first of two, never no row
fresh
sed -i 's/^再掲分,参考,,30$/再掲分,参考,,31/' "$T/x/input/R6/saikei.csv"
check "labels: 差 = 金額@\"小計 (再掲含む)\" - 金額@\"小計\", stated 31 (180 - 150 = 30): error at its cell" 1 \
    "error,difference,saikei,$T/x/input/R6/saikei.csv,7,4,再掲分,うち再掲,31,30,"

fresh
sed -i 's/^B方式,B 小計,/B方式,A 小計,/' "$T/x/input/R6/hoshiki.csv"
check "labels: two rows labelled 「A 小計」: an error at the second row's label, not the first row's value" 1 \
    "error,reference,hoshiki,$T/x/input/R6/hoshiki.csv,5,2,A 小計,区分,A 小計,,\"行ラベル「A 小計」の行が 2 つあり (3 行目と 5 行目)、規則の参照 @「A 小計」($T/x/templates/tables/hoshiki.def:12:16) がどちらの行か決まりません"

fresh
sed -i 's/金額@"小計 (再掲含む)"/金額@"小計（再掲含む）"/' "$T/x/templates/tables/saikei.def"
check "labels: a label no row has: one error naming the definition's file:line:col" 1 \
    "error,reference,saikei,$T/x/input/R6/saikei.csv,7,4,再掲分,うち再掲,30,,\"規則の参照 @「小計（再掲含む）」($T/x/templates/tables/saikei.def:13:13) に当たる行が表にありません"

fresh
# with `group 方式`, 「A 小計」 is in the A方式 group only: the 合計 row (a
# group of its own) cannot read it — said as an info, not silence
sed -i 's/^rule    A方式分/group   方式\nrule    A方式分/' "$T/x/templates/tables/hoshiki.def"
check "labels: a label only another group has: that row is unchecked, an info at its cell" 0 \
    "info,base-absent,hoshiki,$T/x/input/R6/hoshiki.csv,6,5,合計,A方式分,10,,\"行「A 小計」 がないため「A方式分」を検算できません"

# ---- 職員配置状況: count1 columns (0.5 人), integers printed as 1, exact across scales
H=$T/x/input/R6/haichi.csv
fresh
sed -i 's/,0.5,2,13.5,,15,28.5$/,0.5,2,14,,15,28.5/' "$H"
check "配置: 青森 計 14 (13.5 with 0.5 人): errors at its cell, the 合計 and the 計 row" 1 \
    "error,rowsum,haichi,$H,2,10,青森高等技術専門校,計,14,13.5,記載 14 と再計算 13.5 が 0.5 違います" \
    "error,rowsum,haichi,$H,2,13,青森高等技術専門校,合計,28.5,29,記載 28.5 と再計算 29 が 0.5 違います" \
    "error,sum,haichi,$H,5,10,計,計,37.5,38,"

fresh
sed -i 's/^計,計,2,4,4,14,8,2.5,3,37.5,2,35,74.5$/計,計,2,4,4,14,8,3,3,37.5,2,35,74.5/' "$H"
check "配置: 計 row 事務職員 3 (0.5 + 1 + 1 = 2.5): error at its cell (and the 計 row's 計)" 1 \
    "error,sum,haichi,$H,5,8,計,事務職員,3,2.5,記載 3 が各行の合計 2.5 と 0.5 違います" \
    "error,rowsum,haichi,$H,5,10,計,計,37.5,38,"

fresh
# the same table with the decimal columns as quotient1 (how it had to be
# written before): rules across scales are exact, no false error
sed -i 's/count1/quotient1/' "$T/x/templates/tables/haichi.def"
check "配置: quotient1 columns added to counts: exact across scales (no '記載 13.5 と再計算 1.8')" 0

fresh
sed -i 's/,0.5,2,13.5,,15,28.5$/,0.55,2,13.55,,15,28.55/' "$H"
"$GAIYO" verify --input "$T/x/input" --templates "$T/x/templates" >"$T/out" 2>"$T/err"
rc=$?
n=$((n + 1))
if [ "$rc" = 3 ] && grep -qF "gaiyo: $H:2:8: error:" "$T/err"; then
    echo "ok $n - 配置: 0.55 in a count1 column: an import error at its cell, nothing rounded"
else
    failed=$((failed + 1))
    echo "not ok $n - 配置: 0.55 in a count1 column: an import error at its cell, nothing rounded"
    sed 's/^/#   /' "$T/err"
fi

fresh
sed -i 's/^column  事務職員      count1$/column  事務職員      count7/' "$T/x/templates/tables/haichi.def"
"$GAIYO" verify --input "$T/x/input" --templates "$T/x/templates" >"$T/out" 2>"$T/err"
rc=$?
n=$((n + 1))
if [ "$rc" = 3 ] && grep -qF "gaiyo: $T/x/templates/tables/haichi.def:14:19: error: 未知の型 'count7'" "$T/err"; then
    echo "ok $n - 配置: count7: an unknown type at the definition's file:line:col"
else
    failed=$((failed + 1))
    echo "not ok $n - 配置: count7: an unknown type at the definition's file:line:col"
    sed 's/^/#   /' "$T/err"
fi

# ---- definition errors: at the definition's file:line:col, before any input is checked
defcheck() {
    local name=$1 rule=$2 want=$3
    fresh
    sed -i "s|^rule    国補助金 = 対象経費 \* 3/4\$|rule    $rule|" "$T/x/templates/tables/kohaisui.def"
    "$GAIYO" verify --input "$T/x/input" --templates "$T/x/templates" >"$T/out" 2>"$T/err"
    local rc=$?
    n=$((n + 1))
    if [ "$rc" = 3 ] && grep -qF -- "gaiyo: $T/x/templates/tables/kohaisui.def:14:$want" "$T/err"; then
        echo "ok $n - $name"
    else
        failed=$((failed + 1))
        echo "not ok $n - $name"
        sed 's/^/#   /' "$T/err"
    fi
}
defcheck "definition: round() without its decimals: exit 3 at the ')'" "国補助金 = round(対象経費 * 3/4)" \
    "32: error: round(値, 桁数) の ',' がありません"
defcheck "definition: a division by the literal 0" "国補助金 = 対象経費 / 0" \
    "21: error: 0 で割っています"
defcheck "definition: an unclosed quoted label" "国補助金 = 対象経費@\"上北" \
    "21: error: 行ラベルの '\"' が閉じていません"
defcheck "definition: decimals of round() out of range" "国補助金 = round(対象経費, 9)" \
    "28: error: 桁数は 0 から 6 の整数です: '9'"

echo "1..$n"
[ "$failed" = 0 ]
