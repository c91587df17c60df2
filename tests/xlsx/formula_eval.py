"""A small, independent evaluator for the formulas gaiyo writes:
numbers, cell references (A1, 'Sheet'!A1), ranges, + - * /, unary minus,
parentheses, SUM(...), ROUND(x, n) (half away from zero, like Excel), TRUNC(x, n) and
IF(a=b, x, y). It recomputes every formula of a workbook from the values
of the cells it references, as Excel or LibreOffice would."""
import re
from decimal import Decimal, ROUND_DOWN, ROUND_HALF_UP

TOK = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<ref>(?:'(?:[^']|'')+'!)?\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)"
                 r"|(?P<fn>[A-Z]+)\(|(?P<op>[-+*/(),=]))")


def col_index(letters):
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def split_ref(ref, sheet):
    if '!' in ref:
        s, r = ref.rsplit('!', 1)
        sheet = s[1:-1].replace("''", "'")
    else:
        r = ref
    return sheet, r.replace('$', '')


def cells_of(a1range):
    if ':' in a1range:
        a, b = a1range.split(':')
    else:
        a = b = a1range
    ma = re.match(r'([A-Z]+)(\d+)', a)
    mb = re.match(r'([A-Z]+)(\d+)', b)
    c0, r0, c1, r1 = col_index(ma.group(1)), int(ma.group(2)), col_index(mb.group(1)), int(mb.group(2))
    for r in range(r0, r1 + 1):
        for c in range(c0, c1 + 1):
            yield r, c


def round_half_away(x, n):
    q = Decimal(1).scaleb(-n)
    d = Decimal(repr(x)).quantize(q, rounding=ROUND_HALF_UP)  # HALF_UP in Decimal = away from zero
    return float(d)


class Evaluator:
    def __init__(self, wb_formulas, wb_values):
        self.f = wb_formulas
        self.v = wb_values
        self.memo = {}

    def value(self, sheet, r, c):
        key = (sheet, r, c)
        if key in self.memo:
            return self.memo[key]
        cell = self.f[sheet].cell(row=r, column=c)
        if isinstance(cell.value, str) and cell.value.startswith('=') and cell.data_type == 'f':
            v = self.evaluate(cell.value, sheet)
        else:
            v = cell.value
        self.memo[key] = v
        return v

    def evaluate(self, formula, sheet):
        toks = []
        pos = 0
        s = formula[1:]
        while pos < len(s):
            m = TOK.match(s, pos)
            if not m or m.end() == pos:
                raise ValueError('cannot parse %r at %d' % (formula, pos))
            toks.append((m.lastgroup, m.group(m.lastgroup)))
            pos = m.end()
        self.toks, self.i, self.sheet = toks, 0, sheet
        v = self.expr()
        if self.i != len(toks):
            raise ValueError('trailing tokens in %r' % formula)
        return v

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def expr(self):
        v = self.term()
        while self.peek() in (('op', '+'), ('op', '-')):
            op = self.take()[1]
            w = self.term()
            v = v + w if op == '+' else v - w
        return v

    def term(self):
        v = self.unary()
        while self.peek() in (('op', '*'), ('op', '/')):
            op = self.take()[1]
            w = self.unary()
            v = v * w if op == '*' else v / w
        return v

    def unary(self):
        if self.peek() == ('op', '-'):
            self.take()
            return -self.unary()
        return self.atom()

    def num(self, x):
        if x is None:
            return 0
        if isinstance(x, str):
            raise ValueError('text %r in arithmetic' % x)
        return x

    def atom(self):
        kind, text = self.take()
        if kind == 'num':
            return float(text)
        if kind == 'ref':
            sh, r = split_ref(text, self.sheet)
            (row, col), = list(cells_of(r))
            saved = (self.toks, self.i, self.sheet)
            v = self.value(sh, row, col)
            self.toks, self.i, self.sheet = saved
            return self.num(v)
        if kind == 'op' and text == '(':
            v = self.expr()
            assert self.take() == ('op', ')')
            return v
        if kind == 'fn':
            args = self.args(text == 'SUM')
            if text == 'SUM':
                return sum(args)
            if text == 'ROUND':
                return round_half_away(args[0], int(args[1]))
            if text == 'TRUNC':
                return float(Decimal(repr(args[0])).quantize(Decimal(1).scaleb(-int(args[1])), rounding=ROUND_DOWN))
            raise ValueError('unknown function ' + text)
        raise ValueError('unexpected %r' % text)

    def args(self, flatten):
        out = []
        while True:
            kind, text = self.peek()
            if flatten and kind == 'ref':
                self.take()
                sh, r = split_ref(text, self.sheet)
                for row, col in cells_of(r):
                    saved = (self.toks, self.i, self.sheet)
                    v = self.value(sh, row, col)
                    self.toks, self.i, self.sheet = saved
                    if isinstance(v, (int, float)):
                        out.append(v)
            else:
                out.append(self.expr())
            kind, text = self.take()
            if text == ')':
                return out
            assert text == ',', text
