#!/bin/bash
# make pdf: out/gaiyo-<年度>.pdf from the report's workbook, by LibreOffice
# headless (soffice --convert-to pdf): every sheet in the workbook's order,
# each as its page setup says (A4, scale, page breaks, charts, page numbers).
#   bash scripts/pdf.sh [OUT]        OUT defaults to out
# soffice runs with a profile of its own (it works as root and beside
# another soffice) and with fonts chosen for the workbook's: Carlito for
# Calibri (the column widths Excel computes), Noto Sans CJK JP for
# 游ゴシック. The PDF is made in a temporary folder and moved into OUT by
# one rename; when anything fails OUT is left as it was and the exit is 1.
# The PDF gets the modification time of the workbook it was made from: it
# is current while the two times are equal (a workbook written since, by
# gaiyo report or during the conversion, makes it stale). One make pdf
# runs at a time in OUT (flock on the folder; another waits), so that a
# temporary PDF found there (.gaiyo-<年度>.pdf.XXXXXX) is the leftover of
# a killed run: it is removed.
# GAIYO_SOFFICE=/path/to/soffice chooses another soffice.
set -u
OUT=${1:-out}
SOFFICE=${GAIYO_SOFFICE:-soffice}
say() { echo "gaiyo pdf: $*" >&2; }

state="$OUT/.gaiyo-state"
if [ ! -f "$state" ]; then
    say "$state がありません: 先に make report を実行してください"
    exit 1
fi
# the workbook of the last report, as its state lists it
book=$(grep -m1 -E '^gaiyo-[^/]+\.xlsx$' "$state")
if [ -z "$book" ] || [ ! -f "$OUT/$book" ] || [ -L "$OUT/$book" ]; then
    say "$OUT にブック (gaiyo-<年度>.xlsx) がありません: 先に make report を実行してください"
    exit 1
fi
pdf="${book%.xlsx}.pdf"
# one make pdf at a time in OUT: the lock is on the folder itself
if command -v flock >/dev/null 2>&1 && exec 9<"$OUT"; then
    if ! flock -n 9; then
        say "$OUT で別の make pdf が動いています: 終わるのを待ちます"
        flock 9
    fi
fi
# the temporary PDF of a run killed before its rename (the name mktemp
# gave it below: exactly six letters or digits after the PDF's name)
for f in "$OUT/.$pdf".??????; do
    case "${f##*/}" in
    ".$pdf".[A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9]) ;;
    *) continue ;;
    esac
    if { [ -f "$f" ] || [ -L "$f" ]; } && [ ! -d "$f" ]; then
        rm -f -- "$f" && say "中断された前回の一時ファイル $f を削除しました"
    fi
done
# the modification time of a file, to the nanosecond
mtime() { stat -c %.9Y -- "$1" 2>/dev/null; }
t_pdf=$(mtime "$OUT/$pdf") t_book=$(mtime "$OUT/$book")
if [ -f "$OUT/$pdf" ] && [ ! -L "$OUT/$pdf" ] && [ -n "$t_book" ] && [ "$t_pdf" = "$t_book" ] &&
   [ -z "${GAIYO_PDF_FORCE:-}" ]; then
    echo "PDF: $OUT/$pdf は最新です"
    exit 0
fi
if ! command -v "$SOFFICE" >/dev/null 2>&1; then
    say "LibreOffice ($SOFFICE) がありません: sudo apt-get install libreoffice-calc-nogui fonts-crosextra-carlito"
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gaiyo-pdf.XXXXXX") || { say "一時フォルダを作れません"; exit 1; }
part=""
cleanup() { rm -rf "$tmp"; [ -n "$part" ] && rm -f "$part"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

cat >"$tmp/fonts.conf" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <alias binding="same"><family>Calibri</family><prefer><family>Carlito</family></prefer></alias>
  <alias binding="same"><family>游ゴシック</family><prefer><family>Noto Sans CJK JP</family></prefer></alias>
</fontconfig>
EOF
cp -p -- "$OUT/$book" "$tmp/$book" || { say "$OUT/$book を読めません"; exit 1; }
mkdir "$tmp/pdf" "$tmp/profile"
# at most 5 minutes; a soffice that hangs is killed
FONTCONFIG_FILE="$tmp/fonts.conf" HOME="$tmp" timeout 300 "$SOFFICE" \
    "-env:UserInstallation=file://$tmp/profile" --headless --norestore \
    --convert-to pdf --outdir "$tmp/pdf" "$tmp/$book" >"$tmp/log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
    if [ $rc = 124 ]; then
        say "LibreOffice ($SOFFICE) が 300 秒で終わらず、止めました"
    else
        say "LibreOffice が PDF を作れませんでした ($SOFFICE、終了コード $rc):"
    fi
    sed -e 's/^/    /' "$tmp/log" | head -20 >&2
    exit 1
fi
# soffice may exit 0 without writing: the PDF must be there and be one
if [ ! -s "$tmp/pdf/$pdf" ] || [ "$(head -c 5 "$tmp/pdf/$pdf")" != "%PDF-" ]; then
    say "LibreOffice が PDF を書きませんでした ($SOFFICE):"
    sed -e 's/^/    /' "$tmp/log" | head -20 >&2
    exit 1
fi
# a workbook written since its time was taken above (a report) is not
# the one converted: out/'s own time says so (the copy in TMPDIR keeps it
# only as finely as that file system does)
if [ -z "$t_book" ] || [ "$(mtime "$OUT/$book")" != "$t_book" ]; then
    say "$OUT/$book が変換中に書き換えられました: PDF は置きません (もう一度 make pdf を実行してください)"
    exit 1
fi
# into OUT by one rename (the copy is on OUT's file system), with the
# converted workbook's modification time (OUT's, to the nanosecond)
part=$(mktemp "$OUT/.$pdf.XXXXXX") || { say "$OUT に書けません"; exit 1; }
if ! cp -- "$tmp/pdf/$pdf" "$part" || ! chmod "$(printf '%o' $((0666 & ~$(umask))))" "$part" ||
   ! touch -d "@$t_book" -- "$part" || ! mv -f -- "$part" "$OUT/$pdf"; then
    say "$OUT/$pdf を書けません"
    exit 1
fi
part=""
echo "PDF: $OUT/$pdf"
