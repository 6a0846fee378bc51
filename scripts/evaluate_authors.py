"""Measure author resolution against a truth file of who is who.

Example:

    .venv/bin/python scripts/evaluate_authors.py \\
        /work/shared/realdata/acl_public_papers.jsonl /work/shared/realdata/acl_public_truth.jsonl \\
        --profile /work/shared/realdata/profile_neubig-graham.txt

Two steps, so the first can be swapped for "import with paperdb, read authorships back":
`resolve_dataset(path)` -> {(source_id, position0): cluster_id}, and
`evaluate(predicted, truth_path)` -> Report. Mentions whose truth `basis` is `ambiguous`
are left out of every figure.

Figures: pairwise and B-cubed precision/recall/F1 over all mentions; the pairwise figures
over variant pairs (mentions whose name strings differ); and "variant judged", the same
without pairs whose mentions both have basis `name`. Such a mention's person key is its
own spelling, so the truth calls any two of them different people even when they are
one (`Lyu, Michael` / `Lyu, Michael R.`); the judged figure counts only pairs where the
Anthology registry actually decided.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Hashable, Mapping

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.etl.names import coauthor_key, fold, parse_author_pairs  # noqa: E402
from app.etl.resolve import MentionRef, resolve_all  # noqa: E402

MentionKey = tuple[str, int]  # (source_id, 0-based position in the paper's author list)


def _text_repair() -> Callable[[str], str]:
    """`app.etl.clean.repair_text` when that module exists, else no repair."""
    try:
        return importlib.import_module("app.etl.clean").repair_text
    except ModuleNotFoundError:
        return lambda text: text


def _profile_papers(profile_paths: list[Path], title_to_id: Mapping[str, str]) -> dict[str, set[str]]:
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
    source_id: str, pairs: list, profiles: frozenset[str], repair: Callable[[str], str]
) -> tuple[list[MentionRef], dict[int, int]]:
    """The paper's MentionRefs, and original position -> index of the mention it became."""
    pairs = [(repair(family), repair(given) if given else given) for family, given in pairs]
    mentions = parse_author_pairs(pairs).mentions
    index = {(m.family, m.given): i for i, m in enumerate(mentions)}
    positions = {}
    for position, pair in enumerate(pairs):
        for m in parse_author_pairs([pair]).mentions:
            positions[position] = index[(m.family, m.given)]
    keys = [coauthor_key(m.family, m.given) for m in mentions]
    refs = [
        MentionRef(
            key=(source_id, i),
            paper=source_id,
            family=m.family,
            given=m.given,
            is_organization=m.is_organization,
            coauthors=frozenset(keys[:i] + keys[i + 1:]),
            profiles=profiles,
        )
        for i, m in enumerate(mentions)
    ]
    return refs, positions


def resolve_dataset(
    path: str | Path,
    profiles: list[Path] | None = None,
    explanations: dict[str, list[str]] | None = None,
) -> dict[MentionKey, str]:
    """Resolve a JSON Lines paper file; map every (source_id, position0) to a cluster id.

    When `explanations` is given it is filled with cluster id -> the block's merge and
    candidate lines that concern that cluster.
    """
    repair = _text_repair()
    papers = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    owners = _profile_papers(profiles or [], {fold(p["title"]): p["source_id"] for p in papers if p.get("title")})
    refs: list[MentionRef] = []
    positions: dict[str, dict[int, int]] = {}
    for paper in papers:
        sid = paper["source_id"]
        paper_refs, positions[sid] = _mentions_of(sid, paper["authors_parsed"], frozenset(owners[sid]), repair)
        refs += paper_refs
    cluster_of: dict[Hashable, str] = {}
    for result in resolve_all(refs):
        for n, cluster in enumerate(result.clusters):
            cid = f"{result.key}/{n}"
            cluster_of.update((key, cid) for key in cluster.members)
            if explanations is not None:
                explanations[cid] = _explain(result, cluster)
    predicted = {}
    for paper in papers:
        sid = paper["source_id"]
        for position in range(len(paper["authors_parsed"])):
            index = positions[sid].get(position)
            predicted[(sid, position)] = cluster_of[(sid, index)] if index is not None else f"dropped:{sid}:{position}"
    return predicted


def _explain(result, cluster) -> list[str]:
    names = {spelling for spelling, _ in cluster.spellings}
    lines = [
        f"merged {m.a_name!r} + {m.b_name!r}: {m.rule} {m.score:.2f}; {m.evidence}"
        for m in result.merges
        if m.a_name in names or m.b_name in names
    ]
    lines += [
        f"candidate {c.a_name!r} ~ {c.b_name!r}: {c.score:.2f}; {c.reason}"
        for c in result.candidates
        if c.a_name == cluster.name or c.b_name == cluster.name
    ]
    return lines


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
    bcubed: tuple[float, float, float]
    variant: tuple[float, float, float]  # the same over pairs whose name strings differ
    variant_counts: tuple[int, int, int]  # true positives, predicted pairs, true pairs
    # Variant pairs the truth can judge: not both mentions of basis `name`, whose person
    # key is the mention's own spelling, so the truth calls any two spellings different.
    variant_judged: tuple[float, float, float]
    variant_judged_counts: tuple[int, int, int]
    worst_merges: list[str] = field(default_factory=list)
    worst_splits: list[str] = field(default_factory=list)

    def render(self) -> str:
        """The report as plain text."""
        def row(label: str, prf: tuple[float, float, float], counts: tuple[int, int, int] | None = None) -> str:
            text = f"{label:<15} precision {prf[0]:.4f}  recall {prf[1]:.4f}  F1 {prf[2]:.4f}"
            if counts:
                text += f"  ({counts[0]} right of {counts[1]} predicted pairs, {counts[2]} true pairs)"
            return text

        lines = [
            f"mentions evaluated: {self.mentions}",
            row("pairwise", self.pairwise),
            row("b-cubed", self.bcubed),
            row("variant", self.variant, self.variant_counts),
            row("variant judged", self.variant_judged, self.variant_judged_counts),
            "",
            "worst false merges:",
            *self.worst_merges,
            "",
            "worst false splits:",
            *self.worst_splits,
        ]
        return "\n".join(lines)


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
        tp, pred_pairs, true_pairs,
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
    mentions, unjudged = [], []
    papers_of = defaultdict(set)
    for line in Path(truth_path).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["basis"] == "ambiguous":
            continue
        triple = (predicted[(row["source_id"], row["position"])], row["person"], row["name"])
        mentions.append(triple)
        if row["basis"] == "name":
            unjudged.append(triple)
        papers_of[triple].add(row["source_id"])
    tp, pred_pairs, true_pairs, v_tp, v_pred, v_true = _pair_counts(mentions)
    *_, u_tp, u_pred, u_true = _pair_counts(unjudged)
    judged = (v_tp - u_tp, v_pred - u_pred, v_true - u_true)
    cell = Counter((cid, person) for cid, person, _ in mentions)
    pred = Counter(cid for cid, _, _ in mentions)
    true = Counter(person for _, person, _ in mentions)
    n = len(mentions)
    b_p = sum(c * c / pred[cid] for (cid, _), c in cell.items()) / n
    b_r = sum(c * c / true[person] for (_, person), c in cell.items()) / n
    return Report(
        mentions=n,
        pairwise=_prf(tp, pred_pairs, true_pairs),
        bcubed=(b_p, b_r, 2 * b_p * b_r / (b_p + b_r) if b_p + b_r else 0.0),
        variant=_prf(v_tp, v_pred, v_true),
        variant_counts=(v_tp, v_pred, v_true),
        variant_judged=_prf(*judged),
        variant_judged_counts=judged,
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
        description="Measure author resolution: pairwise, B-cubed and variant-pair precision/recall/F1, "
        "plus the worst false merges and splits.",
        epilog="Example: scripts/evaluate_authors.py acl_public_papers.jsonl acl_public_truth.jsonl "
        "--profile profile_neubig-graham.txt",
    )
    parser.add_argument("papers", type=Path, help="JSON Lines papers with authors_parsed and source_id")
    parser.add_argument("truth", type=Path, help="JSON Lines truth: source_id, position (0-based), person, basis")
    parser.add_argument("--profile", type=Path, action="append", default=[],
                        help="a profile dump whose owner becomes evidence for its papers (repeatable)")
    parser.add_argument("--worst", type=int, default=10, help="how many worst merges and splits to list")
    args = parser.parse_args(argv)
    explanations: dict[str, list[str]] = {}
    predicted = resolve_dataset(args.papers, args.profile, explanations)
    print(evaluate(predicted, args.truth, explanations, args.worst).render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
