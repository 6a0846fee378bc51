"""Measure author resolution against a truth file of who is who.

Example (with no paths it measures the ACL sample in `../shared/realdata` next to the repo):

    .venv/bin/python scripts/evaluate_authors.py
    .venv/bin/python scripts/evaluate_authors.py papers.jsonl truth.jsonl --profile profile_x.txt --json
    .venv/bin/python scripts/evaluate_authors.py --pure --worst 20

By default the papers file (and any profile dumps) is imported with the real loader,
`app.etl.load.run_import`, into a temporary SQLite file; each truth mention
(source_id, 0-based position) is then matched to an `authorships` row of the paper
whose `paper_ids` row of scheme `source` is that source_id, and its `author_id` is its
predicted person. The loader drops stray tokens and repeated mentions, so rows are
aligned to the source's author list by raw name (`Family, Given`), not by index: a
repeated name gets the author of its first occurrence, a dropped one a cluster of its
own. `--pure` resolves in memory instead (`resolve_dataset`: the same parsing, repair and
resolution without a database, ~1 s, for tuning rules, each record a paper of its own).
The two differ only where the loader matches two records as one paper and keeps one
record's author list: the other record's spellings find no row (on acl_dev, 27 mentions
on 11 papers, such as `2020.findings-emnlp.332` and `2020.nlpcovid19-acl.3`, one paper
listed as `Jimenez Gutierrez` in one and `Jiménez Gutiérrez` in the other), so the
loader's figures are a little lower.

Mentions whose truth `basis` is `ambiguous` are left out of every figure.

Figures: pairwise and B-cubed precision/recall/F1 over all mentions; the pairwise figures
over variant pairs (mentions whose name strings differ); and "variant judged", the same
without pairs whose mentions both have basis `name`. Such a mention's person key is its
own spelling, so the truth calls any two of them different people even when they are
one (`Lyu, Michael` / `Lyu, Michael R.`); the judged figure counts only pairs where the
Anthology registry actually decided.

A mention is *registered* when its basis is `registry`, `registry-id` or `xml-id`: the
Anthology decided its person (its spelling is listed in the name-variant registry, under
an entry with or without an id, or the paper gives the mention an explicit id), so its
person key is not merely its spelling. "variant registered" is the variant figure over
pairs whose two mentions are both registered: the only pairs whose sameness the truth
decides. A pair with one `name` mention still counts as judged, but the truth calls it
different people whenever the spellings differ, whoever they are: the registry lists no
unregistered spelling as anyone's variant.

By basis: the variant false merges (two spellings, two persons, one cluster) by the basis
groups of their two mentions (`BASIS_GROUPS`: `name`, `registry` without id, `id`), so a
reader sees how many of them the truth can decide (the pairs of two registered mentions).

By kind: every pair of mentions is given the kind of difference between its two
spellings (`variant_kind`: initials, middle names, nicknames, slips in the given or the
family name, compound family names and particles, accents, hyphens and case, other).
Per kind the report gives the true pairs, how many were found (recall), and the false
merges, of which "judged" are those the registry decided (not both of basis `name`).
False merges of one spelling are homonyms (`same-spelling`).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rapidfuzz.distance import Levenshtein  # noqa: E402

from app.etl.load import run_import  # noqa: E402
from app.etl.resolve import Mention, Overrides, load_overrides, resolve_all  # noqa: E402
from app.etl.title_words import title_words  # noqa: E402
from app.text.clean import repair_text  # noqa: E402
from app.text.names import PARTICLES, coauthor_key, fold, given_tokens, nickname_table, parse_author_pairs  # noqa: E402

DATA_DIR = REPO / ".." / "shared" / "realdata"
DEFAULT_PAPERS = DATA_DIR / "acl_public_papers.jsonl"
DEFAULT_TRUTH = DATA_DIR / "acl_public_truth.jsonl"

MentionKey = tuple[str, int]  # (source_id, 0-based position in the paper's author list)
# Cluster id prefix of a mention with no author: dropped by the parser (a stray token)
# or, on the loader path, matching no authorships row. Each is a cluster of its own.
UNMATCHED = "unmatched:"


def read_papers(path: str | Path) -> list[dict]:
    """The papers of a JSON Lines file, one dict per non-blank line."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def author_pairs(paper: dict) -> list[tuple[str, str | None]]:
    """The paper's authors as (family, given), from `authors_parsed` or else `Family, Given` strings."""
    if paper.get("authors_parsed"):
        return [(a[0], a[1] if len(a) > 1 else None) for a in paper["authors_parsed"]]
    return [
        (family.strip(), given.strip() or None)
        for family, _, given in (a.partition(",") for a in paper.get("authors") or [])
    ]


def _profile_papers(profile_paths: Sequence[Path], title_to_id: Mapping[str, str]) -> dict[str, set[str]]:
    """source_id -> owners of the profile dumps that list it (matched by folded title)."""
    owners: dict[str, set[str]] = defaultdict(set)
    for path in profile_paths:
        lines = path.read_text(encoding="utf-8").splitlines()
        for title in lines[1::3]:
            source_id = title_to_id.get(fold(title))
            if source_id:
                owners[source_id].add(lines[0].strip())
    return owners


def _mentions_of(
    source_id: str, pairs: list[tuple[str, str | None]], profiles: frozenset[str], title: str | None = None
) -> tuple[list[Mention], dict[int, int]]:
    """The paper's mentions, and original position -> index of the mention it became."""
    pairs = [(repair_text(family), repair_text(given) if given else given) for family, given in pairs]
    mentions = parse_author_pairs(pairs).mentions
    index = {(m.family, m.given): i for i, m in enumerate(mentions)}
    positions = {}
    for position, pair in enumerate(pairs):
        for m in parse_author_pairs([pair]).mentions:
            positions[position] = index[(m.family, m.given)]
    keys = [coauthor_key(m.family, m.given) for m in mentions]
    found = [
        Mention.of(
            (source_id, i),
            source_id,
            m.family,
            m.given,
            is_organization=m.is_organization,
            coauthors=frozenset(keys[:i] + keys[i + 1 :]),
            profiles=profiles,
            title_words=title_words(repair_text(title) if title else None),
        )
        for i, m in enumerate(mentions)
    ]
    return found, positions


def resolve_dataset(
    path: str | Path,
    profiles: Sequence[Path] = (),
    explanations: dict[str, list[str]] | None = None,
    overrides: Overrides | None = None,
) -> dict[MentionKey, str]:
    """Resolve a JSON Lines paper file in memory; map every (source_id, position0) to a cluster id.

    When `explanations` is given it is filled with cluster id -> the block's merge and
    candidate lines that concern that cluster.
    """
    papers = read_papers(path)
    owners = _profile_papers(profiles, {fold(p["title"]): p["source_id"] for p in papers if p.get("title")})
    mentions: list[Mention] = []
    positions: dict[str, dict[int, int]] = {}
    for paper in papers:
        sid = paper["source_id"]
        found, positions[sid] = _mentions_of(sid, author_pairs(paper), frozenset(owners[sid]), paper.get("title"))
        mentions += found
    cluster_of: dict[Hashable, str] = {}
    for result in resolve_all(mentions, overrides):
        for n, cluster in enumerate(result.clusters):
            cid = f"{result.key}/{n}"
            cluster_of.update((key, cid) for key in cluster.members)
            if explanations is not None:
                explanations[cid] = _explain(result, cluster)
    predicted = {}
    for paper in papers:
        sid = paper["source_id"]
        for position in range(len(author_pairs(paper))):
            index = positions[sid].get(position)
            cid = cluster_of[(sid, index)] if index is not None else f"{UNMATCHED}{sid}:{position}"
            predicted[(sid, position)] = cid
    return predicted


def _explain(result, cluster) -> list[str]:
    names = {spelling for spelling, _ in cluster.spellings}
    lines = [
        _merge_line(m.a_name, m.b_name, m.rule, m.score, m.evidence)
        for m in result.merges
        if m.a_name in names or m.b_name in names
    ]
    lines += [
        _candidate_line(c.a_name, c.b_name, c.score, c.reason)
        for c in result.candidates
        if c.a_name == cluster.name or c.b_name == cluster.name
    ]
    return lines


def _merge_line(a: str, b: str, rule: str, score: float, evidence: str) -> str:
    return f"merged {a!r} + {b!r}: {rule} {score:.2f}; {evidence}"


def _candidate_line(a: str, b: str, score: float, reason: str) -> str:
    return f"candidate {a!r} ~ {b!r}: {score:.2f}; {reason}"


def _raw_key(raw: str) -> str:
    """A raw `Family, Given` name compared loosely: spacing, and a flat list's `null` given name."""
    text = " ".join(raw.split())
    return text[: -len(", null")] if text.endswith(", null") else text


def align(source_raws: Sequence[str], rows: Sequence[tuple[str, Hashable]]) -> list[Hashable | None]:
    """Match a paper's authorships (raw_name, author) in position order to its source author list.

    In order, by raw name: a name repeated in the source gets its first occurrence's
    author (the loader keeps one row), a name with no row left (a dropped stray token) None.
    """
    found: list[Hashable | None] = []
    first: dict[str, Hashable] = {}
    j = 0
    for raw in source_raws:
        key = _raw_key(raw)
        if j < len(rows) and _raw_key(rows[j][0]) == key:
            first.setdefault(key, rows[j][1])
            found.append(rows[j][1])
            j += 1
        else:
            found.append(first.get(key))
    return found


def import_dataset(
    path: str | Path,
    profiles: Sequence[Path] = (),
    explanations: dict[str, list[str]] | None = None,
    overrides_path: Path | None = None,
) -> dict[MentionKey, str]:
    """Import the papers (and profile dumps) with `run_import` into a temporary database;
    map every (source_id, position0) to its author's cluster id."""
    with tempfile.TemporaryDirectory(prefix="paperdb-evaluate-") as tmp:
        db = Path(tmp) / "evaluate.db"
        run_import(db, [path, *profiles], overrides_path=overrides_path)
        conn = sqlite3.connect(db)
        try:
            rows, authors = _read_back(conn, explanations)
        finally:
            conn.close()
    predicted = {}
    for paper in read_papers(path):
        sid = paper["source_id"]
        raws = [f"{family}, {given}" if given else family for family, given in author_pairs(paper)]
        for position, author_id in enumerate(align(raws, rows.get(sid, []))):
            predicted[(sid, position)] = authors[author_id] if author_id is not None else f"{UNMATCHED}{sid}:{position}"
    return predicted


def _read_back(
    conn: sqlite3.Connection, explanations: dict[str, list[str]] | None
) -> tuple[dict[str, list[tuple[str, int]]], dict[int, str]]:
    """source_id -> its (raw_name, author_id) rows by position; author_id -> cluster id; explanations."""
    rows: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for sid, raw, author_id in conn.execute(
        "SELECT i.value, s.raw_name, s.author_id FROM paper_ids i JOIN authorships s ON s.paper_id = i.paper_id "
        "WHERE i.scheme = 'source' ORDER BY i.value, s.position"
    ):
        rows[sid].append((raw, author_id))
    authors = {aid: f"{key}/author-{aid}" for aid, key in conn.execute("SELECT id, block_key FROM authors")}
    if explanations is not None:
        for cid in authors.values():
            explanations[cid] = []
        for aid, a, b, rule, score, evidence in conn.execute(
            "SELECT author_id, name_a, name_b, rule, score, evidence FROM author_merges ORDER BY id"
        ):
            explanations[authors[aid]].append(_merge_line(a, b, rule, score, evidence))
        for a_id, b_id, a, b, score, reason in conn.execute(
            "SELECT author_a_id, author_b_id, name_a, name_b, score, reason FROM author_candidates ORDER BY id"
        ):
            for aid in (a_id, b_id):
                explanations[authors[aid]].append(_candidate_line(a, b, score, reason))
    return rows, authors


# Kinds of difference between two spellings of one person, in report order (`variant_kind`).
VARIANT_KINDS = (
    "initials",
    "middle",
    "nickname",
    "given-slip",
    "family-slip",
    "compound",
    "accents",
    "hyphen-case",
    "other",
)
# The kind of two mentions spelled alike: only a false merge can be of this kind (homonyms).
SAME_SPELLING = "same-spelling"

# A truth mention's basis by what decided its person key: an Anthology id (on the mention
# in the paper, or on its registry entry), a registry entry without id, or nothing but its
# own spelling (`name`). `ambiguous` mentions are left out before.
BASIS_GROUPS = {"xml-id": "id", "registry-id": "id", "registry": "registry", "name": "name"}
# Pairs of basis groups, in report order: those the truth cannot decide first.
BASIS_PAIRS = ("name/name", "name/registry", "id/name", "registry/registry", "id/registry", "id/id")
BASIS_PAIR_LABELS = {
    "name/name": "neither registered",
    "name/registry": "one registered (no id), one not",
    "id/name": "one with an id, one not registered",
    "registry/registry": "both registered, no ids",
    "id/registry": "both registered, one id",
    "id/id": "both with ids",
}


def _split_name(name: str) -> tuple[str, str]:
    family, _, given = name.partition(",")
    return family.strip(), given.strip()


def _letters(name: str, keep_accents: bool = False) -> str:
    """The name's letters alone, case folded (and accents folded unless kept)."""
    text = name.casefold() if keep_accents else fold(name)
    return "".join(c for c in text if c.isalnum())


def _family_parts(family: str) -> tuple[str, ...]:
    """Folded family-name parts without particles, abbreviated ones (`v.`) included."""
    return tuple(t for t in fold(family).split() if t not in PARTICLES and len(t) > 1)


def _slip(a: str, b: str) -> bool:
    """Whether two spellings differ by a slip: one edit, or two in names of five letters or more."""
    distance = Levenshtein.distance(a, b)
    return distance == 1 or (distance == 2 and min(len(a), len(b)) >= 5)


def variant_kind(a: str, b: str) -> str:
    """The kind of difference between two `Family, Given` spellings (one of VARIANT_KINDS, or
    SAME_SPELLING). The family name decides first, then the first given name, then the rest."""
    if a == b:
        return SAME_SPELLING
    if _letters(a, keep_accents=True) == _letters(b, keep_accents=True):
        return "hyphen-case"
    if _letters(a) == _letters(b):
        return "accents"
    (family_a, given_a), (family_b, given_b) = _split_name(a), _split_name(b)
    parts_a, parts_b = _family_parts(family_a), _family_parts(family_b)
    if parts_a != parts_b:
        moved = sorted(fold(f"{family_a} {given_a}").split()) == sorted(fold(f"{family_b} {given_b}").split())
        if moved or set(parts_a) < set(parts_b) or set(parts_b) < set(parts_a) or "".join(parts_a) == "".join(parts_b):
            return "compound"
        return "family-slip" if _slip("".join(parts_a), "".join(parts_b)) else "other"
    if fold(family_a) != fold(family_b):
        return "compound"  # the same parts, with or without a particle
    tokens_a, tokens_b = given_tokens(given_a), given_tokens(given_b)
    if not tokens_a or not tokens_b:
        return "other"
    first_a, first_b = tokens_a[0], tokens_b[0]
    if first_a == first_b or first_a in tokens_b[1:] or first_b in tokens_a[1:]:
        return "middle"  # added, dropped or changed middle names, or going by one
    short, long_ = sorted((first_a, first_b), key=len)
    if len(short) == 1:
        return "initials" if long_.startswith(short) else "other"
    if long_ in nickname_table().get(short, ()) or long_.startswith(short):
        return "nickname"
    return "given-slip" if _slip(first_a, first_b) else "other"


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _prf(tp: float, predicted: float, true: float) -> tuple[float, float, float]:
    p = tp / predicted if predicted else 1.0
    r = tp / true if true else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


@dataclass
class Report:
    """Resolution quality figures and the worst mistakes."""

    mentions: int
    pairwise: tuple[float, float, float]  # precision, recall, F1 over mention pairs
    pairwise_counts: tuple[int, int, int]  # right pairs, predicted pairs, true pairs
    bcubed: tuple[float, float, float]
    variant: tuple[float, float, float]  # the same over pairs whose name strings differ
    variant_counts: tuple[int, int, int]
    # Variant pairs the truth can judge: not both mentions of basis `name`, whose person
    # key is the mention's own spelling, so the truth calls any two spellings different.
    variant_judged: tuple[float, float, float]
    variant_judged_counts: tuple[int, int, int]
    # Variant pairs of two registered mentions (basis not `name`): the pairs the truth decides.
    variant_registered: tuple[float, float, float]
    variant_registered_counts: tuple[int, int, int]
    # Basis pair ("id/name", ...; see BASIS_PAIRS) -> variant false merges: see `basis_counts`.
    false_merges_by_basis: dict[str, int] = field(default_factory=dict)
    # kind -> (true pairs, of them found, false merges, of them judged): see `kind_counts`.
    by_kind: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    worst_merges: list[str] = field(default_factory=list)
    worst_splits: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The figures as JSON-able values (no worst lists)."""

        def prf(values: tuple[float, float, float], counts: tuple[int, int, int] | None = None) -> dict:
            out = {k: round(v, 6) for k, v in zip(("precision", "recall", "f1"), values)}
            if counts:
                out.update(zip(("right_pairs", "predicted_pairs", "true_pairs"), counts))
            return out

        return {
            "mentions": self.mentions,
            "pairwise": prf(self.pairwise, self.pairwise_counts),
            "bcubed": prf(self.bcubed),
            "variant": prf(self.variant, self.variant_counts),
            "variant_judged": prf(self.variant_judged, self.variant_judged_counts),
            "variant_registered": prf(self.variant_registered, self.variant_registered_counts),
            "variant_false_merges_by_basis": self.false_merges_by_basis,
            "by_kind": {
                kind: {
                    "true_pairs": true,
                    "found": found,
                    "recall": round(found / true, 6) if true else None,
                    "false_merges": false,
                    "false_merges_judged": judged,
                }
                for kind, (true, found, false, judged) in self.by_kind.items()
            },
        }

    def render(self) -> str:
        """The report as plain text."""

        def row(label: str, prf: tuple[float, float, float], counts: tuple[int, int, int] | None = None) -> str:
            text = f"{label:<15} precision {prf[0]:.4f}  recall {prf[1]:.4f}  F1 {prf[2]:.4f}"
            if counts:
                text += f"  ({counts[0]} right of {counts[1]} predicted pairs, {counts[2]} true pairs)"
            return text

        lines = [
            f"mentions evaluated: {self.mentions}",
            row("pairwise", self.pairwise, self.pairwise_counts),
            row("b-cubed", self.bcubed),
            row("variant", self.variant, self.variant_counts),
            row("variant judged", self.variant_judged, self.variant_judged_counts),
            row("variant registered", self.variant_registered, self.variant_registered_counts),
            "",
            f"{'variant false merges by basis of the two mentions':<50} {'pairs':>7}",
            *(
                f"{f'{BASIS_PAIR_LABELS[pair]} ({pair})':<50} {count:>7}"
                for pair, count in self.false_merges_by_basis.items()
            ),
            f"{'decided by the truth (both registered)':<50} {self._registered_false_merges():>7}",
            "",
            f"{'by kind':<15} {'true pairs':>10} {'found':>7} {'recall':>7} {'false merges':>13} {'judged':>7}",
            *(
                f"{kind:<15} {true:>10} {found:>7} {f'{found / true:.4f}' if true else '-':>7} {false:>13} {judged:>7}"
                for kind, (true, found, false, judged) in self.by_kind.items()
            ),
            "",
            "worst false merges:",
            *self.worst_merges,
            "",
            "worst false splits:",
            *self.worst_splits,
        ]
        return "\n".join(lines)

    def _registered_false_merges(self) -> int:
        return sum(n for pair, n in self.false_merges_by_basis.items() if "name" not in pair.split("/"))


Cell = tuple[str, str, str]  # (person, name, basis group) of a truth mention


def false_merges(mentions: Sequence[tuple[str, str, str, str]]) -> Iterator[tuple[Cell, Cell, int]]:
    """From (cluster, person, name, basis group) tuples: each two cells of one cluster that
    are different persons, with the number of mention pairs between them."""
    by_cluster: dict[str, Counter] = defaultdict(Counter)
    for cid, *cell in mentions:
        by_cluster[cid][tuple(cell)] += 1
    for cells in by_cluster.values():
        for (a, m), (b, n) in combinations(sorted(cells.items()), 2):
            if a[0] != b[0]:
                yield a, b, m * n


def kind_counts(mentions: Sequence[tuple[str, str, str, str]]) -> dict[str, tuple[int, int, int, int]]:
    """Mention pairs by `variant_kind`, from (cluster, person, name, basis group) tuples: the
    true pairs of differing names, how many share a cluster, the false merges (two persons in
    one cluster), and of those the judged ones (not both of basis `name`). Kinds in report order."""
    by_person: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for cid, person, name, _ in mentions:
        by_person[person][name][cid] += 1
    counts = {kind: [0, 0, 0, 0] for kind in (*VARIANT_KINDS, SAME_SPELLING)}
    for names_of in by_person.values():
        for (a, in_a), (b, in_b) in combinations(sorted(names_of.items()), 2):
            tally = counts[variant_kind(a, b)]
            tally[0] += sum(in_a.values()) * sum(in_b.values())
            tally[1] += sum(n * in_b[cid] for cid, n in in_a.items())
    for (_, a, group_a), (_, b, group_b), n in false_merges(mentions):
        tally = counts[variant_kind(a, b)]
        tally[2] += n
        tally[3] += n if (group_a, group_b) != ("name", "name") else 0
    return {kind: tuple(tally) for kind, tally in counts.items()}


def basis_counts(mentions: Sequence[tuple[str, str, str, str]]) -> dict[str, int]:
    """Variant false merges (two persons, two spellings, one cluster) by the basis groups of
    their two mentions, from (cluster, person, name, basis group) tuples; in BASIS_PAIRS order."""
    counts = dict.fromkeys(BASIS_PAIRS, 0)
    for (_, a, group_a), (_, b, group_b), n in false_merges(mentions):
        if a != b:
            counts["/".join(sorted((group_a, group_b)))] += n
    return counts


def _pair_counts(mentions: list[tuple[str, str, str]]) -> tuple[int, int, int, int, int, int]:
    """(right, predicted, true) pairs over all pairs, then over pairs of differing names,
    for (cluster, person, name) triples."""
    cell, cell_name = Counter(), Counter()
    pred, pred_name = Counter(), Counter()
    true, true_name = Counter(), Counter()
    for cid, person, name in mentions:
        cell[cid, person] += 1
        cell_name[cid, person, name] += 1
        pred[cid] += 1
        pred_name[cid, name] += 1
        true[person] += 1
        true_name[person, name] += 1
    tp, pred_pairs, true_pairs = (sum(map(_pairs, c.values())) for c in (cell, pred, true))
    return (
        tp,
        pred_pairs,
        true_pairs,
        tp - sum(map(_pairs, cell_name.values())),
        pred_pairs - sum(map(_pairs, pred_name.values())),
        true_pairs - sum(map(_pairs, true_name.values())),
    )


def evaluate(
    predicted: Mapping[MentionKey, str],
    truth_path: str | Path,
    explanations: Mapping[str, list[str]] | None = None,
    worst: int = 10,
) -> Report:
    """Compare predicted clusters with the truth file, via contingency counts (no pair loops)."""
    mentions, unjudged, registered, grouped = [], [], [], []
    papers_of = defaultdict(set)
    for line in Path(truth_path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if row["basis"] == "ambiguous":
            continue
        triple = (predicted[(row["source_id"], row["position"])], row["person"], row["name"])
        mentions.append(triple)
        (unjudged if row["basis"] == "name" else registered).append(triple)
        grouped.append((*triple, BASIS_GROUPS[row["basis"]]))
        papers_of[triple].add(row["source_id"])
    tp, pred_pairs, true_pairs, v_tp, v_pred, v_true = _pair_counts(mentions)
    *_, u_tp, u_pred, u_true = _pair_counts(unjudged)
    judged = (v_tp - u_tp, v_pred - u_pred, v_true - u_true)
    both_registered = _pair_counts(registered)[3:]
    cell = Counter((cid, person) for cid, person, _ in mentions)
    pred = Counter(cid for cid, _, _ in mentions)
    true = Counter(person for _, person, _ in mentions)
    n = len(mentions)
    b_p = sum(c * c / pred[cid] for (cid, _), c in cell.items()) / n if n else 1.0
    b_r = sum(c * c / true[person] for (_, person), c in cell.items()) / n if n else 1.0
    return Report(
        mentions=n,
        pairwise=_prf(tp, pred_pairs, true_pairs),
        pairwise_counts=(tp, pred_pairs, true_pairs),
        bcubed=(b_p, b_r, 2 * b_p * b_r / (b_p + b_r) if b_p + b_r else 0.0),
        variant=_prf(v_tp, v_pred, v_true),
        variant_counts=(v_tp, v_pred, v_true),
        variant_judged=_prf(*judged),
        variant_judged_counts=judged,
        variant_registered=_prf(*both_registered),
        variant_registered_counts=both_registered,
        false_merges_by_basis=basis_counts(grouped),
        by_kind=kind_counts(grouped),
        worst_merges=_worst(cell, pred, papers_of, explanations or {}, worst, by_cluster=True),
        worst_splits=_worst(cell, true, papers_of, explanations or {}, worst, by_cluster=False),
    )


def _worst(cell, totals, papers_of, explanations, limit: int, by_cluster: bool) -> list[str]:
    """Clusters holding several true persons (or persons spread over clusters), most wrong pairs first."""
    parts = defaultdict(list)
    for (cid, person), count in cell.items():
        parts[cid if by_cluster else person].append((cid, person, count))
    wrong = {
        owner: totals[owner] ** 2 - sum(c * c for *_, c in cells)  # twice the wrong pairs
        for owner, cells in parts.items()
        if len(cells) > 1
    }
    lines = []
    for owner in sorted(wrong, key=lambda o: (-wrong[o], o))[:limit]:
        lines.append(f"- {'cluster' if by_cluster else 'person'} {owner}: {wrong[owner] // 2} wrong pairs")
        for cid, person, _ in sorted(parts[owner]):
            spellings = {name: sorted(papers) for (c, p, name), papers in papers_of.items() if (c, p) == (cid, person)}
            lines.append(f"    cluster {cid} / person {person}: {spellings}")
        notes = [text for cid in sorted({cid for cid, _, _ in parts[owner]}) for text in explanations.get(cid, [])]
        lines += [f"      {text}" for text in dict.fromkeys(notes)]
    return lines


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        description="Measure author resolution: import the papers with the loader into a temporary database "
        "(or resolve in memory with --pure) and compare the authors with a truth file: pairwise, B-cubed and "
        "variant-pair precision/recall/F1, plus the worst false merges and splits.",
        epilog="Example: scripts/evaluate_authors.py acl_public_papers.jsonl acl_public_truth.jsonl "
        "--profile profile_neubig-graham.txt --json",
    )
    parser.add_argument(
        "papers",
        type=Path,
        nargs="?",
        default=DEFAULT_PAPERS,
        help="JSON Lines papers with source_id and authors (default: %(default)s)",
    )
    parser.add_argument(
        "truth",
        type=Path,
        nargs="?",
        default=DEFAULT_TRUTH,
        help="JSON Lines truth: source_id, position (0-based), person, basis (default: %(default)s)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        action="append",
        default=[],
        help="a profile dump to import too; its owner is evidence for its papers (repeatable)",
    )
    parser.add_argument("--overrides", type=Path, help="a merge/split overrides file to resolve with")
    parser.add_argument(
        "--pure",
        action="store_true",
        help="resolve in memory without the loader or a database (fast, for tuning rules)",
    )
    parser.add_argument("--worst", type=int, default=10, help="how many worst merges and splits to list")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    explanations: dict[str, list[str]] = {}
    if args.pure:
        overrides = load_overrides(args.overrides) if args.overrides else None
        predicted = resolve_dataset(args.papers, args.profile, explanations, overrides)
    else:
        predicted = import_dataset(args.papers, args.profile, explanations, args.overrides)
    report = evaluate(predicted, args.truth, explanations, args.worst)
    unmatched = sum(cid.startswith(UNMATCHED) for cid in predicted.values())
    if args.json:
        figures = {"path": "pure" if args.pure else "loader", "unmatched_mentions": unmatched, **report.as_dict()}
        print(json.dumps(figures, indent=2))
    else:
        print(f"resolved with: {'in-memory resolution (--pure)' if args.pure else 'the loader (run_import)'}")
        print(f"mentions with no author (dropped, or no authorship row; one cluster each): {unmatched}")
        print(report.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
