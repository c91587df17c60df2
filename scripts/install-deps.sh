#!/bin/bash
# Installs the Debian 12 packages gaiyo needs, when they are missing.
# As root it runs apt-get; otherwise it prints the exact command and stops.
#   (no argument)  to build and write the report
#   --test         also what the tests use: clang (ASan/UBSan build),
#                  python3-openpyxl (reads the workbook back), valgrind,
#                  libreoffice-calc-nogui (recalculates the workbook),
#                  strace (checks the order of the syncs and moves of out/),
#                  poppler-utils and Carlito (the PDF's pages and text)
#   pdf            also what make pdf uses: libreoffice-calc-nogui and
#                  fonts-crosextra-carlito (Calibri's metrics: the column
#                  widths the workbook's page setup is computed with)
#   bench          also python3-pandas, python3-xlsxwriter and GNU time
set -u
PKGS="build-essential meson ninja-build pkg-config libcsv-dev libxlsxwriter-dev zlib1g-dev gnuplot-nox fonts-noto-cjk"
if [ "${1:-}" = "--test" ]; then
    PKGS="$PKGS clang python3-openpyxl valgrind libreoffice-calc-nogui strace poppler-utils fonts-crosextra-carlito"
fi
if [ "${1:-}" = pdf ]; then
    PKGS="$PKGS libreoffice-calc-nogui fonts-crosextra-carlito"
fi
# make bench also needs the analyst's tools and GNU time
if [ "${1:-}" = bench ]; then
    PKGS="$PKGS python3-pandas python3-xlsxwriter time"
fi
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "gaiyo: 不足しているパッケージ:$missing" >&2
if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends $missing >&2 && exit 0
    echo "gaiyo: apt-get install に失敗しました" >&2
    exit 1
fi
echo "gaiyo: 次のコマンドで入れてから、もう一度実行してください:" >&2
echo "    sudo apt-get update && sudo apt-get install -y$missing" >&2
exit 1
