"""Text reuse: passages two documents share, found and aligned, with their lines.

**Candidates.** Each paragraph is cut into clauses (after 。！？；，：); each clause is a set of
character ``k``-shingles (punctuation and spaces removed), summarised by a MinHash. Locality-
sensitive hashing (``datasketch.MinHashLSH``, fixed seed) returns the clause pairs whose
estimated Jaccard similarity is at least ``threshold``; two paragraphs of *different* documents
holding such a pair are a candidate pair. Working on clauses, not paragraphs, finds a copied
clause inside a long paragraph whose other clauses differ.

**Alignment.** On each candidate pair, ``difflib.SequenceMatcher`` (no junk heuristic) gives the
blocks of identical characters in order; blocks of at least ``min_block`` characters separated by
at most ``max_gap`` characters on both sides are joined into one span (a passage copied with small
edits: 我区 → 杨浦区). A span is kept when at least ``min_chars`` of its characters match and it
holds ``min_chars`` letters (punctuation not counted).
``score`` is 2 × matching characters / (length in source + length in target): 1 for a verbatim copy.

**Formulaic phrases.** A span that keeps fewer than ``min_chars`` letters once punctuation, cited
titles (《…》) and the phrases of ``data/lexicon/formulaic_phrases.txt`` are removed is marked
``formulaic``: it is kept in the table, but not counted as reuse in the shares or the scores.

**Direction.** ``source`` is the document published first (then the earlier period, then the
doc_id); ``same_date`` marks pairs published the same day, where the text gives no direction.
The shares do not depend on it: they say how much of one document's text it shares with another.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
import pandas as pd

from streetlib import config, reviewed

FORMULAIC_FILE = "formulaic_phrases.txt"
JUDGED_FILE = "reuse_judged_pairs"
CLAUSE_END = re.compile(r"(?<=[。！？；!?;，,：:])")
CITED_TITLE = re.compile(r"《[^》]*(》|$)|^[^《]*》")  # a cited title (also cut at a span's edge)
SEED = 1  # MinHash permutations; fixed, so two runs find the same candidates
SPAN_COLUMNS = [
    "source_doc_id",
    "source_para_id",
    "source_line_start",
    "source_line_end",
    "source_start",
    "source_end",
    "target_doc_id",
    "target_para_id",
    "target_line_start",
    "target_line_end",
    "target_start",
    "target_end",
    "text",
    "target_text",
    "length",
    "matched",
    "score",
    "formulaic",
    "same_date",
]


def compact(text: str) -> str:
    """Letters, digits and Chinese characters only: punctuation and spaces do not make text different."""
    return "".join(ch for ch in text if ch.isalnum())


def shingles(text: str, k: int = 5) -> set[str]:
    """Character ``k``-shingles of :func:`compact` text (the whole text when shorter than ``k``)."""
    text = compact(text)
    if len(text) <= k:
        return {text} if text else set()
    return {text[i : i + k] for i in range(len(text) - k + 1)}


def clauses(text: str) -> list[tuple[int, str]]:
    """``(offset, clause)`` pieces of ``text``, cut after 。！？；，： (the pieces join back to ``text``)."""
    out, offset = [], 0
    for piece in CLAUSE_END.split(text):
        if piece:
            out.append((offset, piece))
            offset += len(piece)
    return out


def formulaic_phrases(*, root: Path | None = None) -> tuple[re.Pattern[str], ...]:
    """The phrases of ``data/lexicon/formulaic_phrases.txt`` as patterns, longest phrase first.

    A line is a phrase, matched literally (compacted: punctuation and spaces ignored), or, after
    ``re:``, a regular expression over compacted text (十一届市委十次全会 and its kin in one line).
    """
    path = config.lexicon_dir(root) / FORMULAIC_FILE
    literal, patterns = set(), []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("re:"):
            try:
                patterns.append(re.compile(line[3:].strip()))
            except re.error as exc:
                raise ValueError(f"{path}, line {number}: {line!r} is not a valid regular expression ({exc})") from exc
        elif compact(line):
            literal.add(compact(line))
    ordered = sorted(literal, key=lambda p: (-len(p), p))
    return (*patterns, *(re.compile(re.escape(p)) for p in ordered))


def without_formulas(text: str, phrases: tuple[re.Pattern[str], ...]) -> str:
    """:func:`compact` ``text`` without cited titles (《…》) and formulaic phrases (patterns first, then longest)."""
    text = compact(CITED_TITLE.sub("", text))
    for phrase in phrases:
        text = phrase.sub("", text)
    return text


def candidate_pairs(
    paragraphs: pd.DataFrame, *, k: int = 5, threshold: float = 0.3, num_perm: int = 128, min_clause: int = 8
) -> pd.DataFrame:
    """Paragraph pairs of different documents with at least one pair of similar clauses (MinHash LSH).

    Clauses shorter than ``min_clause`` characters (compacted) are not indexed: a heading or a
    list number matches everywhere. Returns ``para_a``, ``para_b`` (``para_a`` < ``para_b``), sorted.
    """
    from datasketch import LeanMinHash, MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    keys: list[tuple[str, str]] = []  # (doc_id, para_id) per indexed clause
    hashes = []
    for doc_id, para_id, text in paragraphs[["doc_id", "para_id", "text"]].itertuples(index=False, name=None):
        for _, clause in clauses(text):
            grams = shingles(clause, k)
            if len(compact(clause)) < min_clause:
                continue
            sketch = MinHash(num_perm=num_perm, seed=SEED)
            sketch.update_batch([g.encode("utf-8") for g in sorted(grams)])
            lean = LeanMinHash(sketch)
            lsh.insert(len(keys), lean)
            keys.append((doc_id, para_id))
            hashes.append(lean)
    pairs = set()
    for i, sketch in enumerate(hashes):
        for j in lsh.query(sketch):
            if keys[i][0] != keys[j][0]:
                a, b = sorted((keys[i][1], keys[j][1]))
                pairs.add((a, b))
    return pd.DataFrame(sorted(pairs), columns=["para_a", "para_b"])


def align(
    a: str, b: str, *, min_block: int = 4, max_gap: int = 8, min_chars: int = 15
) -> list[tuple[int, int, int, int, int]]:
    """Shared spans of two texts: ``(a_start, a_end, b_start, b_end, matched)``, in order.

    See the module docstring: identical blocks of ``min_block`` characters or more, joined across
    gaps of at most ``max_gap`` characters on both sides, kept with ``min_chars`` matching characters.
    """
    blocks = [m for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks() if m.size >= min_block]
    spans: list[list[int]] = []
    for m in blocks:
        if spans and m.a - spans[-1][1] <= max_gap and m.b - spans[-1][3] <= max_gap:
            spans[-1][1], spans[-1][3] = m.a + m.size, m.b + m.size
            spans[-1][4] += m.size
        else:
            spans.append([m.a, m.a + m.size, m.b, m.b + m.size, m.size])
    return [tuple(s) for s in spans if s[4] >= min_chars]


def shared_passages(
    paragraphs: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    k: int = 5,
    threshold: float = 0.3,
    num_perm: int = 128,
    min_chars: int = 15,
    max_gap: int = 8,
    root: Path | None = None,
) -> pd.DataFrame:
    """Every passage two documents share: one row per aligned span (columns :data:`SPAN_COLUMNS`).

    Parameters
    ----------
    paragraphs
        ``load_paragraphs()`` (``doc_id``, ``para_id``, ``text``, ``line_start``, ``line_end``), all of them:
        the ``is_duplicate`` paragraphs (left out of word counts) are the reuse this finds.
    documents
        ``load_documents()``: ``doc_id``, ``published``, ``year_start`` decide the direction.
    k, threshold, num_perm
        Shingle length, LSH Jaccard threshold and MinHash size of :func:`candidate_pairs`.
    min_chars, max_gap
        Alignment settings of :func:`align`.

    Returns
    -------
    DataFrame
        ``source_*`` and ``target_*``: doc_id, para_id, raw lines of the paragraph, character offsets
        of the span in the paragraph's text; ``text`` and ``target_text`` (the span in each),
        ``length`` (characters of ``text``), ``matched`` (identical characters), ``score``,
        ``formulaic`` and ``same_date``; sorted by source, target and offsets.
    """
    phrases = formulaic_phrases(root=root)
    order = documents.sort_values(["published", "year_start", "doc_id"]).reset_index(drop=True)
    rank = dict(zip(order["doc_id"], order.index, strict=True))
    published = dict(zip(documents["doc_id"], documents["published"], strict=True))
    by_id = paragraphs.set_index("para_id")
    rows = []
    for para_a, para_b in candidate_pairs(paragraphs, k=k, threshold=threshold, num_perm=num_perm).itertuples(
        index=False, name=None
    ):
        src, tgt = by_id.loc[para_a], by_id.loc[para_b]
        if rank[src["doc_id"]] > rank[tgt["doc_id"]]:
            (src, para_a), (tgt, para_b) = (tgt, para_b), (src, para_a)
        for s0, s1, t0, t1, matched in align(src["text"], tgt["text"], max_gap=max_gap, min_chars=min_chars):
            text = src["text"][s0:s1]
            if len(compact(text)) < min_chars:  # mostly punctuation: below the length rule
                continue
            rows.append(
                (
                    src["doc_id"], para_a, src["line_start"], src["line_end"], s0, s1,
                    tgt["doc_id"], para_b, tgt["line_start"], tgt["line_end"], t0, t1,
                    text, tgt["text"][t0:t1], s1 - s0, matched,
                    round(2 * matched / (s1 - s0 + t1 - t0), 4),
                    len(without_formulas(text, phrases)) < min_chars,
                    published[src["doc_id"]] == published[tgt["doc_id"]],
                )
            )  # fmt: skip
    out = pd.DataFrame(rows, columns=SPAN_COLUMNS)
    for column in ("source_line_start", "source_line_end", "target_line_start", "target_line_end"):
        out[column] = out[column].astype("Int64")
    for column in ("source_start", "source_end", "target_start", "target_end", "length", "matched"):
        out[column] = out[column].astype("int64")
    out["formulaic"] = out["formulaic"].astype(bool)
    out["same_date"] = out["same_date"].astype(bool)
    return out.sort_values(
        ["source_doc_id", "source_para_id", "source_start", "target_para_id", "target_start"], ignore_index=True
    )


def _covered(spans: pd.DataFrame, side: str) -> pd.DataFrame:
    """Character positions covered on one side (``source`` or ``target``): doc_id, para_id, position, other_doc_id."""
    parts = [
        pd.DataFrame(
            {
                "doc_id": doc,
                "para_id": para,
                "position": np.arange(start, end),
                "other_doc_id": other,
            }
        )
        for doc, para, start, end, other in spans[
            [f"{side}_doc_id", f"{side}_para_id", f"{side}_start", f"{side}_end",
             f"{'target' if side == 'source' else 'source'}_doc_id"]
        ].itertuples(index=False, name=None)
    ]  # fmt: skip
    return (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["doc_id", "para_id", "position", "other_doc_id"])
    )


def reuse_shares(spans: pd.DataFrame, paragraphs: pd.DataFrame, *, include_formulaic: bool = False) -> pd.DataFrame:
    """How much of each document's paragraph text it shares with each other document.

    Returns one row per document and other document with any shared span (and one row
    ``other_doc_id = "(any)"`` per document of the corpus, zeros included): ``doc_id``,
    ``other_doc_id``, ``n_chars`` (characters of the document's paragraphs), ``shared_chars``
    (characters inside at least one span; a character shared with two documents counts once in
    ``(any)``), ``share`` (shared / n_chars). Formulaic spans are left out unless ``include_formulaic``.
    """
    if not include_formulaic:
        spans = spans[~spans["formulaic"]]
    sizes = paragraphs.assign(n=paragraphs["text"].str.len()).groupby("doc_id", sort=True)["n"].sum()
    covered = pd.concat([_covered(spans, "source"), _covered(spans, "target")], ignore_index=True)
    per_pair = covered.drop_duplicates().groupby(["doc_id", "other_doc_id"]).size().rename("shared_chars")
    anyone = covered.drop_duplicates(["doc_id", "para_id", "position"]).groupby("doc_id").size()
    anyone = anyone.reindex(sizes.index, fill_value=0).rename("shared_chars").reset_index().assign(other_doc_id="(any)")
    out = pd.concat([per_pair.reset_index(), anyone], ignore_index=True)
    out["n_chars"] = out["doc_id"].map(sizes).astype("int64")
    out["shared_chars"] = out["shared_chars"].astype("int64")
    out["share"] = (out["shared_chars"] / out["n_chars"]).round(4)
    return out[["doc_id", "other_doc_id", "n_chars", "shared_chars", "share"]].sort_values(
        ["doc_id", "other_doc_id"], ignore_index=True
    )


def judging_sample(
    paragraphs: pd.DataFrame, *, per_stratum: int = 12, seed: int = 2026, min_chars: int = 20, k: int = 4
) -> pd.DataFrame:
    """The stratified sample of paragraph pairs to judge by hand (``data/reviewed/reuse_judged_pairs.csv``).

    Independent of the reuse method: every pair of paragraphs of two documents, both at least
    ``min_chars`` long, is scored by the containment of their character 4-gram sets
    (|A ∩ B| / min(|A|, |B|)); pairs below 0.03 share nothing worth judging. Strata ``low`` [0.03, 0.1),
    ``mid`` [0.1, 0.3) and ``high`` [0.3, 1]; ``per_stratum`` pairs drawn from each with a fixed seed.

    Returns ``pair``, ``stratum``, ``stratum_pairs`` (pairs in the stratum), ``para_a``, ``para_b``, ``containment``.
    """
    kept = paragraphs[paragraphs["text"].str.len() >= min_chars].reset_index(drop=True)
    grams = [shingles(t, k) for t in kept["text"]]
    docs = kept["doc_id"].to_numpy()
    rows = []
    for i in range(len(kept)):
        for j in range(i + 1, len(kept)):
            if docs[i] != docs[j] and grams[i] and grams[j]:
                score = len(grams[i] & grams[j]) / min(len(grams[i]), len(grams[j]))
                if score >= 0.03:
                    rows.append((i, j, score))
    pairs = pd.DataFrame(rows, columns=["i", "j", "containment"])
    pairs["stratum"] = pd.cut(pairs["containment"], [0.03, 0.1, 0.3, 1.01], labels=["low", "mid", "high"], right=False)
    rng = np.random.default_rng(seed)
    drawn = []
    for _, group in pairs.groupby("stratum", observed=True):
        picked = group.iloc[rng.choice(len(group), size=min(per_stratum, len(group)), replace=False)]
        drawn.append(picked.assign(stratum_pairs=len(group)))
    sample = pd.concat(drawn, ignore_index=True)
    return pd.DataFrame(
        {
            "pair": np.arange(1, len(sample) + 1),
            "stratum": sample["stratum"].astype(str),
            "stratum_pairs": sample["stratum_pairs"],
            "para_a": kept["para_id"].to_numpy()[sample["i"]],
            "para_b": kept["para_id"].to_numpy()[sample["j"]],
            "containment": sample["containment"].round(4),
        }
    )


def load_judged_pairs(*, root: Path | None = None) -> pd.DataFrame:
    """``data/reviewed/reuse_judged_pairs.csv``, checked against its spec (see ``data/reviewed/README.md``)."""
    rows = [values for _, values in reviewed.read(JUDGED_FILE, root)]
    out = pd.DataFrame(rows)
    for column in ("pair", "stratum_pairs"):
        out[column] = out[column].astype("int64")
    return out


def score_against_judged(spans: pd.DataFrame, judged: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """Precision and recall of the method on hand-judged pairs, weighted by stratum.

    A judged pair is *flagged* when the method finds a non-formulaic span between its two
    paragraphs. Each judged pair stands for ``stratum_pairs / judged pairs of its stratum`` pairs
    of the corpus, so precision and recall estimate the corpus's, not the sample's (pairs outside
    every stratum share nothing and count as true negatives).

    Returns ``(pairs, scores)``: the judged pairs with ``flagged`` and ``weight``, and a dict with
    ``precision``, ``recall`` (weighted) and the unweighted counts ``tp``, ``fp``, ``fn``, ``tn``.
    """
    found = spans[~spans["formulaic"]]
    flagged_pairs = {frozenset(p) for p in zip(found["source_para_id"], found["target_para_id"], strict=True)}
    out = judged.copy()
    out["flagged"] = [frozenset((a, b)) in flagged_pairs for a, b in zip(out["para_a"], out["para_b"], strict=True)]
    out["weight"] = out["stratum_pairs"] / out.groupby("stratum")["pair"].transform("size")
    yes = out["reused"].eq("yes")
    weighted = {
        name: float(out.loc[mask, "weight"].sum())
        for name, mask in {
            "tp": yes & out["flagged"],
            "fp": ~yes & out["flagged"],
            "fn": yes & ~out["flagged"],
        }.items()
    }
    scores = {
        "precision": _ratio(weighted["tp"], weighted["tp"] + weighted["fp"]),
        "recall": _ratio(weighted["tp"], weighted["tp"] + weighted["fn"]),
        "tp": int((yes & out["flagged"]).sum()),
        "fp": int((~yes & out["flagged"]).sum()),
        "fn": int((yes & ~out["flagged"]).sum()),
        "tn": int((~yes & ~out["flagged"]).sum()),
    }
    return out, scores


def _ratio(a: float, b: float) -> float:
    return round(a / b, 4) if b else float("nan")
