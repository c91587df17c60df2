#!/usr/bin/python3
"""fuzz-seeds.py OUTDIR LISTING - seed corpora for the fuzz targets (fuzz/entry.h
says what each target reads), made from input/, templates/ and tests/data/,
plus the curated seeds in fuzz/seeds/ and the regression inputs in
tests/data/fuzz/. LISTING is the import target's table selection
(GAIYO_FUZZ_LIST=1 build-fuzz/fuzz/fuzz_import): "BYTE0<TAB>id<TAB>file"."""
import hashlib, os, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out, listing = sys.argv[1], sys.argv[2]
sel = {}
for line in open(listing, encoding='utf-8'):
    i, tid, f = line.rstrip('\n').split('\t')
    sel[f] = int(i)


def put(target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), 'wb') as fp:
        fp.write(data)


csvs = []
for top in ('input', 'tests/data'):
    for dp, _, fs in os.walk(os.path.join(root, top)):
        if '/fuzz' in dp:
            continue
        for f in sorted(fs):
            if f.lower().endswith('.csv'):
                csvs.append((f, open(os.path.join(dp, f), 'rb').read()))

cells = set()
for f, raw in csvs:
    k = sel.get(f)
    if k is None:
        continue
    put('import', bytes([k, 0]) + raw)                 # auto-detected
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError:
        put('import', bytes([k, 2]) + raw)             # CP932 as told
        continue
    put('import', bytes([k, 1]) + b'\xef\xbb\xbf' + raw)  # BOM
    try:
        put('import', bytes([k, 0]) + text.encode('cp932'))
    except UnicodeEncodeError:
        pass
    for rec in text.splitlines():
        for c in rec.split(','):
            cells.add(c.strip().strip('"'))

for c in sorted(cells):
    put('value', bytes([1]) + c.encode('utf-8'))       # ratio1, half up

defs = os.path.join(root, 'templates', 'tables')
for f in sorted(os.listdir(defs)):
    if not f.endswith('.def'):
        continue
    d = open(os.path.join(defs, f), 'rb').read()
    put('tabledef', d)
    csvname = [l.split()[1] for l in d.decode('utf-8').splitlines() if l.startswith('file ')]
    for cf, raw in csvs:
        if csvname and cf == csvname[0] and '/' not in cf:
            put('tabledef', d + b'\f' + raw)
            break

# sheet layouts and chart templates, as they are
for sub, target, ext in (('sheets', 'sheet', '.sheet'), ('charts', 'chart', '.chart')):
    d = os.path.join(root, 'templates', sub)
    for f in sorted(os.listdir(d)):
        if f.endswith(ext):
            put(target, open(os.path.join(d, f), 'rb').read())

# snapshots: a small one of the default input against itself and a copy
# with one figure changed and one finding gone
snap = ('# gaiyo snapshot 1\n'
        'V\tyosan\tR6\t一般会計 / 地域企業支援課\t当初予算額 (C)\t429,381\n'
        'D\tyosan\tR6\t一般会計 / 合計\t当初予算額 (C)\t55,777,235\n'
        'F\terror\tsum\tyosan\t合計\t当初予算額 (C)\t記載が合計と違います\n').encode('utf-8')
put('changes', snap)
put('changes', snap + b'\f' + snap.replace('429,381'.encode(), '429,481'.encode()).rsplit(b'F\t', 1)[0])

for src in ('fuzz/seeds', 'tests/data/fuzz'):
    for target in ('import', 'value', 'tabledef', 'sheet', 'chart', 'changes'):
        d = os.path.join(root, src, target)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if not f.endswith('.expect'):
                put(target, open(os.path.join(d, f), 'rb').read())
