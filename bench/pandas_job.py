#!/usr/bin/python3
"""The same job the way an analyst would write it: pandas + XlsxWriter.

    /usr/bin/python3 bench/pandas_job.py INPUT_DIR OUT.xlsx

Reads INPUT_DIR/R6/jigyo.csv and INPUT_DIR/R5/jigyo.csv (written by
gaiyo-benchgen; 組替.csv renames a 課 between the years), recomputes per
事業 構成比 (within its 課), 対前年比 and 増減額 against last year's 当初,
totals by 課 with their 構成比 and 対前年比, counts the stated figures that
disagree, and writes a detail and a summary sheet with the report's number
formats (#,##0 with △ for negatives, 0.0 for ratios).
"""
import os
import sys

import pandas as pd

AMOUNTS = ["前年度当初", "当初", "国庫支出金", "その他", "一般財源", "増減額"]
RATIOS = ["構成比", "対前年比"]


def to_number(s):
    """'1,234' → 1234, '△ 1,234' → -1234, '-' → NaN."""
    s = s.str.replace(",", "", regex=False).str.replace("△", "-", regex=False)
    s = s.str.replace(" ", "", regex=False)
    return pd.to_numeric(s.where(s != "-"), errors="coerce")


def read(path):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for c in AMOUNTS + RATIOS:
        df[c] = to_number(df[c])
    return df


def main():
    indir, out = sys.argv[1], sys.argv[2]
    r6 = read(os.path.join(indir, "R6", "jigyo.csv"))
    r5 = read(os.path.join(indir, "R5", "jigyo.csv"))
    kumikae = os.path.join(indir, "R6", "組替.csv")
    if os.path.exists(kumikae):
        k = pd.read_csv(kumikae, dtype=str, keep_default_na=False)
        k = k[(k["表"] == "jigyo") & (k["列"] == "課名")]
        r5["課名"] = r5["課名"].replace(dict(zip(k["旧"], k["新"])))

    items = r6[r6["行区分"] == ""].copy()
    last = r5[r5["行区分"] == ""][["課名", "事業名", "当初"]].rename(columns={"当初": "前年度当初_R5"})
    items = items.merge(last, on=["課名", "事業名"], how="left")

    # the derived figures, recomputed
    ka_total = items.groupby("課名")["当初"].transform("sum")
    items["構成比_計算"] = (items["当初"] / ka_total * 100).round(1)
    items["対前年比_計算"] = (items["当初"] / items["前年度当初_R5"] * 100).round(1)
    items["増減額_計算"] = items["当初"] - items["前年度当初_R5"].fillna(0)
    items["財源計"] = items["国庫支出金"] + items["その他"] + items["一般財源"]

    # the stated figures that disagree
    wrong = {
        "財源内訳": int((items["財源計"] != items["当初"]).sum()),
        "前年度当初": int((items["前年度当初_R5"].notna()
                         & (items["前年度当初"] != items["前年度当初_R5"])).sum()),
        "構成比": int(((items["構成比"] - items["構成比_計算"]).abs() > 0.05).sum()),
        "対前年比": int((items["対前年比"].notna()
                       & ((items["対前年比"] - items["対前年比_計算"]).abs() > 0.05)).sum()),
        "増減額": int((items["増減額"] != items["増減額_計算"]).sum()),
    }

    # totals by 課
    summary = items.groupby("課名", sort=False)[["前年度当初", "当初", "国庫支出金", "その他", "一般財源"]].sum()
    summary["構成比"] = (summary["当初"] / summary["当初"].sum() * 100).round(1)
    summary["対前年比"] = (summary["当初"] / summary["前年度当初"] * 100).round(1)
    summary["増減額"] = summary["当初"] - summary["前年度当初"]
    total = summary[["前年度当初", "当初", "国庫支出金", "その他", "一般財源", "増減額"]].sum()
    total["構成比"] = 100.0
    total["対前年比"] = round(total["当初"] / total["前年度当初"] * 100, 1)
    summary.loc["合計"] = total
    summary = summary.reset_index()

    detail = items[["課名", "事業名", "前年度当初", "当初", "構成比_計算", "国庫支出金", "その他", "一般財源",
                    "対前年比_計算", "増減額_計算"]].rename(
        columns={"構成比_計算": "構成比", "対前年比_計算": "対前年比", "増減額_計算": "増減額"})

    with pd.ExcelWriter(out, engine="xlsxwriter") as xw:
        detail.to_excel(xw, sheet_name="事業別", index=False)
        summary.to_excel(xw, sheet_name="課別集計", index=False)
        wb = xw.book
        amount = wb.add_format({"num_format": '#,##0;"△ "#,##0'})
        ratio = wb.add_format({"num_format": "0.0"})
        for name, df in (("事業別", detail), ("課別集計", summary)):
            ws = xw.sheets[name]
            for i, c in enumerate(df.columns):
                if c in AMOUNTS:
                    ws.set_column(i, i, 14, amount)
                elif c in RATIOS:
                    ws.set_column(i, i, 8, ratio)
                else:
                    ws.set_column(i, i, 24)
    print("pandas: %d 事業, %d 課; 合わない数字: %s" % (
        len(detail), len(summary) - 1, ", ".join("%s %d" % kv for kv in wrong.items())))


if __name__ == "__main__":
    main()
