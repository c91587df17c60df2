#!/bin/bash
# explain_test.sh - gaiyo explain TABLE ROW COLUMN [年度]: on the default
# input, where a figure comes from (stated value and position, the rule
# from the .def, each input with its position and value, the recomputed
# value, the findings on the cell), in text and in JSON (parsed); plain
# input figures, rules not recomputed, last year's cells, year labels;
# errors (unknown table, row, column; ambiguous rows) exit 2 with a
# message; input text made visible. Prints TAP.
source "$(dirname "$0")/lib.sh"

# run from the source root: positions read input/R6/… as in the README
cd "$SRCDIR" || exit 1
E() { run "$GAIYO" explain "$@"; }

# want NAME RC TEXT... : the last run's exit code, each TEXT in stdout
want() {
    local name=$1 rc=$2 why=()
    shift 2
    [ "$RC" = "$rc" ] || why+=("exit code $RC, expected $rc")
    local s
    for s in "$@"; do
        grep -qF -- "$s" "$OUT" || why+=("missing: $s")
    done
    if [ ${#why[@]} = 0 ]; then ok "$name"; else not_ok "$name" "${why[@]}" "$(head -c 3000 "$OUT" "$ERR")"; fi
}
# werr NAME TEXT... : exit 2, nothing on stdout, each TEXT in stderr
werr() {
    local name=$1 why=()
    shift
    [ "$RC" = 2 ] || why+=("exit code $RC, expected 2")
    [ ! -s "$OUT" ] || why+=("stdout not empty: $(head -c 300 "$OUT")")
    local s
    for s in "$@"; do
        grep -qF -- "$s" "$ERR" || why+=("missing on stderr: $s")
    done
    if [ ${#why[@]} = 0 ]; then ok "$name"; else not_ok "$name" "${why[@]}" "$(head -c 2000 "$ERR")"; fi
}
# pyjson NAME PYTHON : stdout parsed as JSON into d, then the assertions
pyjson() {
    local name=$1 said
    if said=$("$PY" -c "import json,sys
d = json.load(open(sys.argv[1], encoding='utf-8'))
$2" "$OUT" 2>&1); then ok "$name"; else not_ok "$name" "$said" "$(head -c 1500 "$OUT")"; fi
}

# ---- the brief's example: yosan 合計 当初 ------------------------------------
E yosan 合計 当初
want "yosan 合計 当初: stated value and its position" 0 \
    "表: yosan 令和6年度当初予算分析 (R6, input/R6/yosan.csv)" \
    "セル: 合計 / 当初予算額 (C) (列 当初)" \
    "記載: 55,777,235  input/R6/yosan.csv:6:6"
want "yosan 合計 当初: the sum, its line in the .def, its four rows with positions and values" 0 \
    "導出 1 [sum] sum 当初 — 計の行: 同じグループ (会計=一般会計) の同じ階層の行の合計" \
    "  規則: templates/tables/yosan.def:41:21" \
    "  入力 4 行:" \
    "    input/R6/yosan.csv:2:6  経済産業政策課 / 当初予算額 (C)  51,730,090" \
    "    input/R6/yosan.csv:3:6  地域企業支援課 / 当初予算額 (C)  429,381" \
    "    input/R6/yosan.csv:4:6  企業立地・創出課 / 当初予算額 (C)  1,352,770" \
    "    input/R6/yosan.csv:5:6  産業イノベーション推進課 / 当初予算額 (C)  2,264,994"
want "yosan 合計 当初: both rules with their inputs, recomputed, no finding" 0 \
    "導出 2 [rowsum] 当初 = 国庫支出金 + その他 + 一般財源" \
    "  規則: templates/tables/yosan.def:44" \
    "    国庫支出金  input/R6/yosan.csv:6:8  合計 / Cの財源 国庫支出金  1,540,274" \
    "    その他  input/R6/yosan.csv:6:9  合計 / Cの財源 その他  49,255,642" \
    "    一般財源  input/R6/yosan.csv:6:10  合計 / Cの財源 一般財源  4,981,319" \
    "導出 3 [rowsum] 当初 = 事業費 + 人件費" \
    "    人件費  input/R6/yosan.csv:6:12  合計 / 人件費  659,293" \
    "所見: なし"
assert "yosan 合計 当初: recomputed three times, each agreeing" \
    [ "$(grep -cxF '  再計算: 55,777,235 (記載と一致)' "$OUT")" = 3 ]
# the default input folder is input/, like the other commands
run "$GAIYO" explain yosan 合計 当初 --input input
cp "$OUT" "$T/a"
E yosan 合計 当初
assert "--input input gives the same explanation as the default" cmp -s "$T/a" "$OUT"

# ---- a cell with findings: 増減額 of 合計 -----------------------------------
E yosan 合計 増減額
# (C−A holds, so verify blames the breakdowns: the findings stand at
# their first items, and explain lists them with the total they are about)
want "yosan 合計 増減額: the rules that disagree, recomputed, and verify's two findings" 0 \
    "記載: △8,587,083 (ファイルでは △ 8,587,083)  input/R6/yosan.csv:6:15" \
    "導出 2 [difference] 増減額 = 当初 - 前年度当初" \
    "    前年度当初  input/R6/yosan.csv:6:4  合計 / 前年度当初予算額 (A)  64,364,318" \
    "導出 4 [rowsum] 増減額 = 増減_事業費 + 増減_人件費" \
    "  再計算: △14,796,962 (記載と 6,209,879 違います)" \
    "所見 2 件:" \
    "  input/R6/yosan.csv:6:16: error: [rowsum] 内訳 増減_国庫支出金 + 増減_その他 + 増減_一般財源 = △14,796,962 が「増減額 (C-A)」の記載 △8,587,083 と 6,209,879 違います。" \
    "  input/R6/yosan.csv:6:19: error: [rowsum] 内訳 増減_事業費 + 増減_人件費 = △14,796,962 が「増減額 (C-A)」の記載 △8,587,083 と 6,209,879 違います。"

# ---- a rule that could not be recomputed (a base is '…') --------------------
E yosan 合計 増減_国庫支出金
want "yosan 合計 増減_国庫支出金: the rule not recomputed, its inputs (the absent one), the info finding" 0 \
    "再計算されなかった規則 [difference] 増減_国庫支出金 = 国庫支出金 - 前年度_国庫支出金" \
    "  基礎の値がないか不明なため再計算できません (所見を参照)" \
    "    前年度_国庫支出金  input/R6/yosan.csv:6:21  合計 / 前年度当初の財源 国庫支出金  不明" \
    "再計算されなかった規則 [difference] 増減_国庫支出金 = 国庫支出金 - 国庫支出金@前年" \
    "  前年度の表が入力にないため適用されません" \
    "  input/R6/yosan.csv:6:16: info: [base-absent]"

# ---- a plain input figure --------------------------------------------------
E yosan 経済産業政策課 事業費
want "a base figure: not derived, and its reconcile finding" 0 \
    "記載: 51,070,797  input/R6/yosan.csv:2:11" \
    "導出: なし (入力された基礎の数値です。この数値を導く規則はありません)" \
    "所見 1 件:" \
    "  input/R6/yosan.csv:2:11: info: [reconcile] 照合:"
E yosan 経済産業政策課 国庫支出金
want "a base figure with no finding" 0 "導出: なし (入力された基礎の数値です" "所見: なし"
assert "a base figure lists no derivation" [ "$(grep -c '^導出 [0-9]' "$OUT")" = 0 ]

# ---- total(), row@label, rounding formulas, total across ---------------------
E yosan 地域企業支援課 構成比
want "構成比: pct with total(当初) and the group's rows it adds" 0 \
    "導出 1 [ratio] 構成比 = pct(当初, total(当初))" \
    "    当初  input/R6/yosan.csv:3:6  地域企業支援課 / 当初予算額 (C)  429,381" \
    "    total(当初)  55,777,235: グループの 4 行の合計" \
    "      input/R6/yosan.csv:2:6  経済産業政策課 / 当初予算額 (C)  51,730,090" \
    "  再計算: 0.8 (記載と一致)"
E soudan '区分=計, 種別=経営指導員1人当たり平均件数' R5
want "a selector picks the row; round(R5@小計 / 指導員_R5, 0) reads the 小計 row of its group" 0 \
    "導出 1 [formula] R5 = round(R5@小計 / 指導員_R5, 0)" \
    "    R5@小計  input/R6/soudan.csv:10:8  小計 / R5年度  79,232" \
    "    指導員_R5  input/R6/soudan.csv:11:13  経営指導員1人当たり平均件数 / 経営指導員数 R5年度 (人)  107" \
    "  再計算: 740 (記載と一致)"
E soudan '区分=計,種別=巡回' R5
want "total across 区分: the rows of the other groups" 0 \
    "[sum] sum R5 — 計の行 (total across 区分)" \
    "    input/R6/soudan.csv:2:8  巡回 / R5年度  10,527" \
    "    input/R6/soudan.csv:5:8  巡回 / R5年度  30,749" \
    "  再計算: 41,276 (記載と一致)"

# ---- fiscal years ----------------------------------------------------------
E torihiki 令和5年度 対前年度比
want "a year label in any spelling; @前年 within the table reads the R4 row" 0 \
    "セル: R5 / 対前年度比 (%) (列 対前年度比)" \
    "    受注金額@前年  input/R6/torihiki.csv:3:9  R4 / 契約成立当初受注金額  3,600" \
    "  再計算: 251.3 (記載と一致)"
E kodoka '方式=県から組合等への貸付(A方式), 貸付対象事業=小計' 金額 令和5年度
want "年度 selects the row of that year in a table with a year key" 0 \
    "セル: 小計 R5 / 貸付額 (列 金額)" "記載: 空欄  input/R6/kodoka.csv:532:5" "  記載がないため検算しません"
E yosan 甲課 増減_国庫支出金 --input tests/data/good/twoyear
want "two year folders: @前年 names last year's cell (旧甲課 through 組替.csv)" 0 \
    "導出 1 [difference] 増減_国庫支出金 = 国庫支出金 - 国庫支出金@前年" \
    "    国庫支出金@前年  100: 前年度の表 (tests/data/good/twoyear/R5/yosan.csv) の、キーが同じ行 (組替.csv の旧を含む) 1 行" \
    "      tests/data/good/twoyear/R5/yosan.csv:2:8  旧甲課 / Cの財源 国庫支出金  100"
E yosan 旧甲課 当初 R5 --input tests/data/good/twoyear
want "年度 selects the year folder of a table without a year key" 0 \
    "(R5, tests/data/good/twoyear/R5/yosan.csv)" "記載: 1,000  tests/data/good/twoyear/R5/yosan.csv:2:6"

# ---- JSON ------------------------------------------------------------------
E yosan 合計 当初 --format json
pyjson "JSON yosan 合計 当初: the cell, field by field" '
assert d["table"] == "yosan" and d["fiscal_year"] == "R6" and d["file"] == "input/R6/yosan.csv", d
assert d["row"] == {"label": "合計", "role": "計", "line": 6}, d["row"]
assert d["column"] == {"name": "当初", "label": "当初予算額 (C)", "type": "amount"}, d["column"]
assert d["stated"] == {"file": "input/R6/yosan.csv", "line": 6, "column": 6, "text": "55,777,235", "value": 55777235}, d["stated"]
assert d["derived"] is True and d["not_recomputed"] == [] and d["findings"] == []'
pyjson "JSON yosan 合計 当初: the sum with its rows, the rules with their inputs" '
s, r1, r2 = d["derivations"]
assert s["kind"] == "sum" and s["rule"] == "sum 当初", s
assert s["definition"] == {"file": "templates/tables/yosan.def", "line": 41, "column": 21}, s["definition"]
assert [(i["line"], i["column"], i["row"], i["value"]) for i in s["inputs"]] == [
    (2, 6, "経済産業政策課", 51730090), (3, 6, "地域企業支援課", 429381),
    (4, 6, "企業立地・創出課", 1352770), (5, 6, "産業イノベーション推進課", 2264994)], s["inputs"]
assert sum(i["value"] for i in s["inputs"]) == s["recomputed_value"] == 55777235 and s["agrees"] is True
assert r1["kind"] == "rowsum" and r1["rule"] == "当初 = 国庫支出金 + その他 + 一般財源", r1
assert r1["definition"] == {"file": "templates/tables/yosan.def", "line": 44, "column": None}, r1["definition"]
assert [(i["ref"], i["line"], i["column"], i["value"]) for i in r1["inputs"]] == [
    ("国庫支出金", 6, 8, 1540274), ("その他", 6, 9, 49255642), ("一般財源", 6, 10, 4981319)], r1["inputs"]
assert r1["recomputed"] == "55,777,235" and r1["agrees"] is True
assert [i["ref"] for i in r2["inputs"]] == ["事業費", "人件費"] and r2["recomputed_value"] == 55777235'
E yosan 合計 増減額 --format json
pyjson "JSON yosan 合計 増減額: negative values, disagreement and both findings" '
assert d["stated"]["text"] == "△ 8,587,083" and d["stated"]["value"] == -8587083
k = [x["kind"] for x in d["derivations"]]
assert k == ["sum", "difference", "rowsum", "rowsum"], k
assert [x["agrees"] for x in d["derivations"]] == [True, True, False, False]
assert d["derivations"][3]["recomputed_value"] == -14796962 and d["derivations"][3]["recomputed"] == "△14,796,962"
f = d["findings"]
assert len(f) == 2 and all(x["severity"] == "error" and x["rule"] == "rowsum" for x in f), f
assert [(x["file"], x["line"], x["column"]) for x in f] == [("input/R6/yosan.csv", 6, 16), ("input/R6/yosan.csv", 6, 19)], f
assert f[0]["stated"] == "△14,796,962" and f[0]["computed"] == "△8,587,083", f[0]'
E yosan 地域企業支援課 構成比 --format json
pyjson "JSON 構成比: a ratio as an exact decimal, total() with its rows" '
assert d["stated"]["value"] == 0.8 and d["derivations"][0]["recomputed_value"] == 0.8
t = d["derivations"][0]["inputs"][1]
assert t["ref"] == "total(当初)" and t["value"] == 55777235 and len(t["rows"]) == 4, t'
E yosan 経済産業政策課 事業費 --format json
pyjson "JSON of a base figure: not derived, its reconcile finding" '
assert d["derived"] is False and d["derivations"] == [] and d["not_recomputed"] == []
assert [x["rule"] for x in d["findings"]] == ["reconcile"] and d["findings"][0]["severity"] == "info"'
E yosan 合計 増減_国庫支出金 --format json
pyjson "JSON of a rule not recomputed: its reason and inputs (null for the absent one)" '
n = d["not_recomputed"][0]
assert n["rule"] == "増減_国庫支出金 = 国庫支出金 - 前年度_国庫支出金" and "再計算できません" in n["reason"], n
assert [(i["ref"], i["value"]) for i in n["inputs"]] == [("国庫支出金", 1540274), ("前年度_国庫支出金", None)], n["inputs"]
assert d["not_recomputed"][1]["inputs"][1] == {"ref": "国庫支出金@前年", "file": None, "line": None, "column": None}'

# ---- errors: exit 2 and a message -------------------------------------------
E nosuch 合計 当初
werr "an unknown table" "gaiyo: explain: 未知の表 'nosuch' (gaiyo tables で一覧)"
E yosan 合計 当初額
werr "an unknown column lists the columns" "gaiyo: explain: 表 'yosan' に列 '当初額' はありません (列は: 会計, 課名, 行区分, 前年度当初"
E yosan 存在しない課 当初
werr "an unknown row" "gaiyo: explain: 行 '存在しない課' は表 'yosan' (input/R6/yosan.csv) にありません"
E soudan 小計 R5
werr "an ambiguous row lists its candidates with their positions" \
    "gaiyo: explain: 行 '小計' に当たる行が 3 行あり、一つに決まりません:" \
    "  input/R6/soudan.csv:4: 区分=商工会議所, 種別=小計" \
    "  input/R6/soudan.csv:7: 区分=商工会, 種別=小計" \
    "  input/R6/soudan.csv:10: 区分=計, 種別=小計" \
    "  列=値, 列=値 … で選んでください"
E kodoka 小計 金額
werr "ambiguous across years: suggests the year" "(または年度を指定してください)"
E soudan '区分=なし, 種別=小計' R5
werr "a selector that matches nothing" "行 '区分=なし, 種別=小計' は表 'soudan'"
E soudan '列なし=計' R5
werr "a selector naming no column" "行の選択: 選択の列 '列なし' が表 'soudan' にありません"
E yosan 合計 当初 R99
werr "an unreadable year" "gaiyo: explain: 年度 'R99' を読めません"
E yosan 合計 当初 R4
werr "a year folder not in input/" "表 'yosan' は入力にありません (年度 R4)"
E yosan 合計
werr "too few arguments" "使い方: gaiyo explain 表ID 行 列 [年度]"
E yosan 合計 当初 --format csv
werr "--format csv is refused" "explain の --format は text か json です"
run "$GAIYO" explain yosan 合計 当初 --input "$T/none"
assert "an input folder that cannot be read: exit 3" [ "$RC" = 3 ]

# ---- input text is data -----------------------------------------------------
mkdir -p "$T/in/R6"
cp input/R6/*.csv "$T/in/R6/"
# the row label of 地域企業支援課 gets an ESC and a bidi override
"$PY" - "$T/in/R6/yosan.csv" <<'EOF'
import sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read().replace("地域企業支援課", "地域\x1b[31m企業\u202e支援課", 1)
open(p, "w", encoding="utf-8").write(s)
EOF
E yosan 合計 当初 --input "$T/in"
assert "text: a control character in a label is made visible, never raw" \
    grep -qF 'R6/yosan.csv:3:6  地域\x1b[31m企業\u202e支援課 / 当初予算額 (C)  429,381' "$OUT"
assert "text: no raw ESC or U+202E on stdout" bash -c '! grep -qP "\x1b|\x{202e}" "$1"' _ "$OUT"
E yosan 合計 当初 --input "$T/in" --format json
pyjson "JSON: the label exact, escaped" '
assert d["derivations"][0]["inputs"][1]["row"] == "地域\x1b[31m企業\u202e支援課", d["derivations"][0]["inputs"][1]'
assert "JSON: escaped as \\u001b, no raw ESC" bash -c 'grep -qF "\\u001b[31m" "$1" && ! grep -qP "\x1b" "$1"' _ "$OUT"
E yosan "$(printf 'x\033]0;t\007')" 当初 --input "$T/in"
assert "an unknown row named with control characters: exit 2, shown visibly" \
    bash -c '[ "$2" = 2 ] && grep -qF "行 '"'"'x\\x1b]0;t\\x07'"'"'" "$1" && ! grep -qP "\x1b|\x07" "$1"' _ "$ERR" "$RC"
E yosan "$(printf '地域\033[31m企業\u202e支援課')" 当初 --input "$T/in"
want "a label with control characters is matched as written" 0 "記載: 429,381  $T/in/R6/yosan.csv:3:6"

echo "1..$n"
[ "$failed" = 0 ]
