"""One number parser for Chinese documents.

Documents write the same quantity in many ways: ``74000人``, ``7.4万人``, ``约7.4万人``,
``7万余人``, ``74,000人``, ``７.４万人`` (full-width digits), ``七万四千人``, ``38.6%``,
``百分之三十九``, ``60岁及以上``. :func:`parse_number` reads one such expression and
:func:`find_numbers` every one in a sentence; both return :class:`Number`, which keeps the
verbatim text and its offsets so a caller can quote it against the raw line.

Rules
-----
* 万 / 亿 (also ``万人``, ``亿元``, ``万平方米``) are multiplied out (exactly, in decimal);
  the unit keeps what follows (``人``, ``元``, ``平方米``).
* A percentage is its percent value (``38.6%`` -> 38.6, unit ``%``).
* Qualifiers before (``约``, ``近``, ``将近``, ``超过``, ``不少于``, ``不到``, ``≥`` …) or after
  (``余``, ``多``, ``以上``, ``及以上``, ``以下``, ``左右`` …) set ``comparator``:
  ``~`` (about), ``>=`` (at least, more than), ``<=`` (at most, fewer than), ``=`` otherwise.
* ``,`` (or ``，``) groups thousands only in the strict form ``2,316`` / ``12,345,678`` (1-3 digits, then
  groups of exactly 3), because the same comma also separates clauses.
* A Chinese numeral is read in a sentence only when it is more than one character or is
  followed by a unit, a multiplier or a qualifier (``三个``, ``两千``, ``一万余``), and never after ``第``
  (an ordinal); so ``统一`` or ``一体化`` hold no number. A run without 十/百/千 is read digit by
  digit (``二〇二三`` -> 2023). A malformed run (``十四五``) is not a number.
* One space may separate the digits from 万/亿 or the unit (``52000 人``: text extracted
  from PDF); the text keeps it.
* Ranges (``3-5人``) are out of scope: each end is its own number.

Every pattern here is linear: no nested unbounded quantifiers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["Number", "chinese_numeral", "find_numbers", "parse_number"]

# qualifier -> comparator; longest first so 将近 wins over 近 and 不超过 over 超过.
QUALIFIERS_BEFORE = {
    "不少于": ">=",
    "不低于": ">=",
    "不超过": "<=",
    "不高于": "<=",
    "将近": "~",
    "接近": "~",
    "大约": "~",
    "超过": ">=",
    "多于": ">=",
    "高于": ">=",
    "少于": "<=",
    "低于": "<=",
    "不到": "<=",
    "不足": "<=",
    "约": "~",
    "近": "~",
    "逾": ">=",
    "超": ">=",
    "≥": ">=",
    "≤": "<=",
    ">": ">=",
    "<": "<=",
    "＞": ">=",
    "＜": "<=",
}
QUALIFIERS_INSIDE = {"余": ">=", "多": ">="}  # between the digits and the unit: 3000余人, 1万多人
QUALIFIERS_AFTER = {
    "及以上": ">=",
    "及以下": "<=",
    "以上": ">=",
    "以下": "<=",
    "以内": "<=",
    "左右": "~",
}
MULTIPLIERS = {"万亿": Decimal(10) ** 12, "亿": Decimal(10) ** 8, "万": Decimal(10) ** 4, "千": Decimal(1000)}
UNITS = (
    "个百分点",
    "平方公里",
    "平方米",
    "人次",
    "户次",
    "公顷",
    "公里",
    "千米",
    "周岁",
    "小时",
    "分钟",
    "%",
    "％",
    "‰",
    "人",
    "户",
    "元",
    "岁",
    "个",
    "家",
    "名",
    "位",
    "项",
    "处",
    "所",
    "座",
    "辆",
    "张",
    "件",
    "次",
    "套",
    "间",
    "条",
    "栋",
    "幢",
    "台",
    "支",
    "场",
    "批",
    "天",
    "倍",
    "吨",
    "亩",
    "米",
)
UNIT_ALIASES = {"％": "%"}

_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９．，", "0123456789.,")
_CN_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_SMALL_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_BIG_UNIT = {"万": 10**4, "亿": 10**8}


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_D = "[0-9０-９]"
_ARABIC = rf"(?:{_D}{{1,3}}(?:[,，]{_D}{{3}})+(?!{_D})|{_D}+)(?:[.．]{_D}+)?"
_CN_RUN = "[〇零一二两三四五六七八九十][〇零一二两三四五六七八九十百千万亿]*(?:点[〇零一二三四五六七八九]+)?"
_NUMBER = re.compile(
    rf"(?P<before>{_alternation(QUALIFIERS_BEFORE)})?"
    rf"(?:(?P<percent_of>百分之)(?P<pct>{_ARABIC}|{_CN_RUN})"
    rf"|(?P<arabic>{_ARABIC})|(?P<cn>{_CN_RUN}))"
    rf"(?P<inside1>{_alternation(QUALIFIERS_INSIDE)})?"
    rf"(?: ?(?P<mult>{_alternation(MULTIPLIERS)}))?"
    rf"(?P<inside2>{_alternation(QUALIFIERS_INSIDE)})?"
    rf"(?: ?(?P<unit>{_alternation(UNITS)}))?"
    rf"(?P<after>{_alternation(QUALIFIERS_AFTER)})?"
)


@dataclass(frozen=True)
class Number:
    """One number expression as written.

    Attributes
    ----------
    value : float
        The quantity, 万/亿 multiplied out; a percentage as its percent value.
    unit : str or None
        What is counted (``人``, ``元``, ``%``, ``岁`` …), without the multiplier.
    qualifier : str or None
        The qualifying words as written (``约``, ``余``, ``及以上``; two joined by ``…``).
    comparator : str
        ``=``, ``>=``, ``<=`` or ``~``.
    text : str
        The expression, verbatim.
    start, end : int
        Offsets of ``text`` in the string it was found in.
    """

    value: float
    unit: str | None
    qualifier: str | None
    comparator: str
    text: str
    start: int
    end: int


def parse_number(text: str) -> Number | None:
    """Read ``text`` as one number expression, or return None.

    Parameters
    ----------
    text : str
        The whole string must be one expression (surrounding spaces are ignored), e.g.
        ``约7.4万人``, ``2,316``, ``百分之三十九``, ``60岁及以上``.

    Returns
    -------
    Number or None
        None when the string is not exactly one number.
    """
    stripped = text.strip()
    offset = len(text) - len(text.lstrip())
    m = _NUMBER.fullmatch(stripped)
    return _number(m, offset) if m else None


def find_numbers(text: str) -> list[Number]:
    """Every number expression in ``text``, in order.

    Parameters
    ----------
    text : str
        A sentence or line; ``Number.start``/``end`` index into it.

    Returns
    -------
    list of Number
    """
    found = []
    for m in _NUMBER.finditer(text):
        if m["cn"] and not _plausible_chinese(text, m):
            continue
        number = _number(m, 0)
        if number is not None:
            found.append(number)
    return found


def chinese_numeral(text: str) -> int | None:
    """The integer a Chinese numeral spells (``一百零五`` -> 105, ``二〇二三`` -> 2023), or None.

    Parameters
    ----------
    text : str
        Characters 〇零一二两三四五六七八九十百千万亿 only. A run of bare digits is read digit by
        digit when it has three or four characters (a year, ``一九九八``); ``两千五`` is 2500.

    Returns
    -------
    int or None
        None when ``text`` is not a well-formed numeral (``十四五``, ``一一``, ``十百``).
    """
    if not text or any(c not in _CN_DIGIT and c not in _CN_SMALL_UNIT and c not in _CN_BIG_UNIT for c in text):
        return None
    if all(c in _CN_DIGIT for c in text):
        if len(text) == 1 or 3 <= len(text) <= 4 or (len(text) == 2 and ("〇" in text or "零" in text)):
            return int("".join(str(_CN_DIGIT[c]) for c in text))
        return None
    try:
        return _positional(text)
    except _Malformed:
        return None


class _Malformed(ValueError):
    pass


def _positional(text: str) -> int:
    total, section = 0, 0
    digit: int | None = None
    last_big, last_small, zero = 10**13, 10**5, False
    for c in text:
        if c in _CN_DIGIT:
            if digit is not None and digit != 0 and _CN_DIGIT[c] != 0:
                raise _Malformed  # two digits in a row: 十四五
            zero = zero or _CN_DIGIT[c] == 0
            digit = _CN_DIGIT[c]
        elif c in _CN_SMALL_UNIT:
            unit = _CN_SMALL_UNIT[c]
            if unit >= last_small or (digit == 0):
                raise _Malformed  # units must fall within a section: 十百
            if digit is None and not (unit == 10 and section == 0):
                raise _Malformed  # only 十 may stand without its digit (十五)
            section += (1 if digit is None else digit) * unit
            digit, last_small, zero = None, unit, False
        else:
            unit = _CN_BIG_UNIT[c]
            if unit >= last_big or (digit is None and section == 0):
                raise _Malformed
            total += (section + _tail(digit, last_small, zero)) * unit
            section, digit, last_big, last_small, zero = 0, None, unit, 10**5, False
    if section == 0 and digit and not zero and last_big < 10**13:
        return total + digit * last_big // 10  # 三万五 = 35000
    return total + section + _tail(digit, last_small, zero)


def _tail(digit: int | None, last_small: int, zero: bool) -> int:
    # A digit right after 百/千 without 零 is the next place down: 两千五 = 2500, 三百五 = 350.
    if digit is None:
        return 0
    if not zero and 100 <= last_small < 10**5:
        return digit * last_small // 10
    return digit


def _chinese_value(run: str) -> Decimal | None:
    whole, _, decimals = run.partition("点")
    integer = chinese_numeral(whole)
    if integer is None:
        return None
    if decimals:
        return Decimal(f"{integer}.{''.join(str(_CN_DIGIT[c]) for c in decimals)}")
    return Decimal(integer)


def _plausible_chinese(text: str, m: re.Match[str]) -> bool:
    if m.start("cn") > 0 and text[m.start("cn") - 1] == "第":
        return False
    # a qualifier before is no evidence: 超一流 and 近一步 hold no quantity
    marked = any(m[g] for g in ("inside1", "mult", "inside2", "unit", "after"))
    return len(m["cn"]) > 1 or marked


def _number(m: re.Match[str], offset: int) -> Number | None:
    digits = m["pct"] or m["arabic"] or m["cn"]
    if not digits[0].isdigit():  # a Chinese numeral (full-width digits count as digits)
        value = _chinese_value(digits)
        if value is None:
            return None
    else:
        value = Decimal(digits.translate(_FULL_WIDTH_DIGITS).replace(",", ""))
    if m["mult"]:
        value *= MULTIPLIERS[m["mult"]]
    unit = "%" if m["percent_of"] else UNIT_ALIASES.get(m["unit"], m["unit"])
    words = [w for w in (m["before"], m["inside1"], m["inside2"], m["after"]) if w]
    comparators = {QUALIFIERS_BEFORE.get(w) or QUALIFIERS_INSIDE.get(w) or QUALIFIERS_AFTER[w] for w in words}
    bounds = comparators - {"~"}
    comparator = bounds.pop() if len(bounds) == 1 else ("~" if comparators else "=")
    return Number(
        value=float(value),
        unit=unit,
        qualifier="…".join(words) or None,
        comparator=comparator,
        text=m.group(0),
        start=m.start() + offset,
        end=m.end() + offset,
    )
