"""The number parser: hand-written phrasings and properties over generated numbers."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streetlib.numbers import Number, chinese_numeral, find_numbers, parse_number

# (text, value, unit, qualifier, comparator), written by hand from how the documents phrase them.
EXAMPLES = [
    ("74000人", 74000, "人", None, "="),
    ("约7.4万人", 74000, "人", "约", "~"),
    ("4.96万人", 49600, "人", None, "="),
    ("7万余人", 70000, "人", "余", ">="),
    ("3000余人", 3000, "人", "余", ">="),
    ("1万多人", 10000, "人", "多", ">="),
    ("近3万人", 30000, "人", "近", "~"),
    ("将近40%", 40, "%", "将近", "~"),
    ("超过2000户", 2000, "户", "超过", ">="),
    ("不少于5家", 5, "家", "不少于", ">="),
    ("不到10%", 10, "%", "不到", "<="),
    ("2,316人", 2316, "人", None, "="),
    ("12,345,678", 12345678, None, None, "="),
    ("２，３１６人", 2316, "人", None, "="),
    ("７.４万人", 74000, "人", None, "="),
    ("1.2亿元", 120000000, "元", None, "="),
    ("3.5万平方米", 35000, "平方米", None, "="),
    ("38.6%", 38.6, "%", None, "="),
    ("38.6％", 38.6, "%", None, "="),
    ("百分之三十九", 39, "%", None, "="),
    ("百分之12.5", 12.5, "%", None, "="),
    ("60岁及以上", 60, "岁", "及以上", ">="),
    ("80周岁以上", 80, "周岁", "以上", ">="),
    ("三十七", 37, None, None, "="),
    ("一百零五人", 105, "人", None, "="),
    ("两千", 2000, None, None, "="),
    ("〇", 0, None, None, "="),
    ("二〇二三", 2023, None, None, "="),
    ("七万四千人", 74000, "人", None, "="),
    ("三点五万人", 35000, "人", None, "="),
    ("十五个", 15, "个", None, "="),
    ("约60岁以上", 60, "岁", "约…以上", ">="),
    ("100人左右", 100, "人", "左右", "~"),
    ("52000 人", 52000, "人", None, "="),
    ("≥95%", 95, "%", "≥", ">="),
    ("≤5个", 5, "个", "≤", "<="),
    (">90%", 90, "%", ">", ">="),
    ("5.2 万人", 52000, "人", None, "="),
]


@pytest.mark.parametrize(("text", "value", "unit", "qualifier", "comparator"), EXAMPLES)
def test_phrasings(text: str, value: float, unit: str | None, qualifier: str | None, comparator: str) -> None:
    n = parse_number(text)
    assert n == Number(float(value), unit, qualifier, comparator, text, 0, len(text))


@pytest.mark.parametrize("text", ["", "人", "统一", "十四五", "一一", "12,3456人", "3-5人", "约", "万人", "一是"])
def test_not_one_number(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [("一", 1), ("十", 10), ("十一", 11), ("二十", 20), ("一百一十", 110), ("一千零一十", 1010), ("两千五", 2500),
     ("三万五", 35000), ("十万", 100000), ("一亿二千万", 120000000), ("二〇二一", 2021), ("二零二五", 2025)],
)  # fmt: skip
def test_chinese_numerals(text: str, value: int) -> None:
    assert chinese_numeral(text) == value


@pytest.mark.parametrize("text", ["十百", "百", "一百十", "千千", "万", "三五", "一万万"])
def test_malformed_chinese_numerals(text: str) -> None:
    assert chinese_numeral(text) is None


def test_find_numbers_in_a_sentence() -> None:
    sentence = "截至2022年末,全街道实有人口约7.4万人,其中60岁及以上老人2,316人,占比38.6%。"
    found = [(n.text, n.value, n.unit) for n in find_numbers(sentence)]
    assert found == [
        ("2022", 2022, None),
        ("约7.4万人", 74000, "人"),
        ("60岁及以上", 60, "岁"),
        ("2,316人", 2316, "人"),
        ("38.6%", 38.6, "%"),
    ]
    for n in find_numbers(sentence):
        assert sentence[n.start : n.end] == n.text


def test_chinese_words_that_are_not_numbers() -> None:
    # 统一/一体化/超一流/第一/十四五/两新 hold no quantity; 三个 and 一百零五人 do.
    text = "第一章 统一推进一体化,打造超一流服务,落实十四五规划和两新组织建设,新建三个站点,服务一百零五人"
    assert [n.text for n in find_numbers(text)] == ["三个", "一百零五人"]


def test_a_clause_comma_is_not_a_thousands_separator() -> None:
    assert [n.value for n in find_numbers("共12个,345户")] == [12, 345]
    assert [n.value for n in find_numbers("2021,2022年")] == [2021, 2022]


def test_linear_time_on_long_lines() -> None:
    for line in ("." * 30000, "1" * 30000, "1," * 15000, "一" * 30000, "约" * 30000, "百分之" * 10000):
        started = time.perf_counter()
        find_numbers(line)
        assert time.perf_counter() - started < 1.0, line[:10]


def _grouped(n: int) -> str:
    return f"{n:,}"


def _chinese(n: int) -> str:
    """Independent writer of a standard Chinese numeral for 1 <= n < 10**8 (test oracle)."""
    digits = "零一二三四五六七八九"

    def below_10000(k: int, leading: bool) -> str:
        out, zero = "", False
        for place, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            d = k // place % 10
            if d == 0:
                zero = bool(out) or not leading
                continue
            if zero and (out or not leading):
                out += "零"
            zero = False
            out += digits[d] + name
        return out

    high, low = divmod(n, 10000)
    if high == 0:
        return below_10000(low, leading=True)
    text = below_10000(high, leading=True) + "万"
    if low:
        text += ("零" if low < 1000 else "") + below_10000(low, leading=True)
    return text


@given(st.integers(min_value=0, max_value=10**12))
def test_thousands_separators_and_full_width(n: int) -> None:
    full = str.maketrans("0123456789,", "０１２３４５６７８９，")
    for text in (str(n), _grouped(n), _grouped(n).translate(full)):
        assert parse_number(text).value == n


@given(st.integers(min_value=1, max_value=10**8 - 1))
def test_chinese_numerals_round_trip(n: int) -> None:
    assert chinese_numeral(_chinese(n)) == n


@given(
    st.integers(min_value=0, max_value=99999),
    st.integers(min_value=0, max_value=99),
    st.sampled_from(["万", "亿"]),
)
def test_multipliers_are_exact(whole: int, hundredths: int, multiplier: str) -> None:
    scale = 10**4 if multiplier == "万" else 10**8
    n = parse_number(f"{whole}.{hundredths:02d}{multiplier}人")
    assert n.value == (whole * 100 + hundredths) * scale // 100 and n.unit == "人"


@given(
    st.text(alphabet="的街道社区人口老年服务,。、", max_size=20),
    st.integers(0, 10**6),
    st.text(alphabet="的街道,。", max_size=20),
)
def test_a_number_in_plain_text_is_found_verbatim(prefix: str, n: int, suffix: str) -> None:
    sentence = f"{prefix}{n}{suffix}"
    found = find_numbers(sentence)
    assert [x.value for x in found] == [n]
    assert sentence[found[0].start : found[0].end] == found[0].text
