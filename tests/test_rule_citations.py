"""Every rule id of the contract — §1–13 and §15 (pggit-contract.md) and §14 (pggit-contract-s14.md), each **id**
and each lettered row of their tables (V10a, V24aa, R3c, N5b, …) — is cited by at least one test under tests/.

The ids are kept in tests/data/contract_rule_ids.txt, so the check runs wherever the tests do; where the contract
files are at hand (../shared/ next to the checkout, or PGGIT_CONTRACT_DIR) that list must equal what they define.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

TESTS = Path(__file__).parent
IDS_FILE = TESTS / "data" / "contract_rule_ids.txt"
CONTRACT_DIR = Path(os.environ.get("PGGIT_CONTRACT_DIR", Path(__file__).parents[2] / "shared"))
CONTRACT_FILES = ("pggit-contract.md", "pggit-contract-s14.md")


def contract_rule_ids(text: str) -> set[str]:
    """Rule ids as a contract file defines them: **V1**, **V9a**, the lettered rows (`| s |`) of the table under a
    rule's bullet (V24s), and the O1/O2 comments of §2's queries."""
    ids: set[str] = set()
    rule = None
    for line in text.splitlines():
        bullet = re.match(r"^- \*\*([A-Z]+\d+[a-z]?)\*\*", line)
        if bullet:
            rule = bullet.group(1)
        ids |= set(re.findall(r"\*\*([A-Z]\d+[a-z]?)\*\*", line))
        row = re.match(r"^\| ([a-z]{1,2}) \|", line)
        if row and rule and row.group(1) != "id":
            ids.add(rule + row.group(1))
    ids |= set(re.findall(r"^-- (O\d+)\b", text, flags=re.MULTILINE))
    return ids


def listed_ids() -> set[str]:
    lines = IDS_FILE.read_text(encoding="utf-8").splitlines()
    return {x.strip() for x in lines if x.strip() and not x.startswith("#")}


def expand(corpus: str) -> str:
    """The corpus plus each row a list names: `V24s/t/x` cites V24s, V24t and V24x; `R3a–h` cites R3a … R3h."""
    extra = []
    for m in re.finditer(r"\b([A-Z]\d+)([a-z]{1,2})((?:/[a-z]{1,2})+)", corpus):
        extra += [m.group(1) + m.group(2), *(m.group(1) + x for x in m.group(3).split("/")[1:])]
    for m in re.finditer(r"\b([A-Z]\d+)([a-z])[–-]([a-z])\b", corpus):
        extra += [m.group(1) + chr(c) for c in range(ord(m.group(2)), ord(m.group(3)) + 1)]
    return corpus + "\n" + " ".join(extra)


def cited(rule: str, corpus: str) -> bool:
    """A plain id is cited by itself or one of its rows (V10k cites V10, never V1); a row only by itself (V24a is
    not cited by V24aa)."""
    after = r"(?![0-9a-z])" if rule[-1].isalpha() else r"(?![0-9])"
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(rule)}{after}", corpus) is not None


def _corpus() -> str:
    me = Path(__file__).resolve()
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(TESTS.rglob("*.py")) if p.resolve() != me)


def test_every_contract_rule_is_cited_by_a_test() -> None:
    """I1–I7, O1–O10, V1–V28 (V10a–p, V24a–ab, V26a–i), B1–B12, C1–C8, T1–T9, H1–H12, M1–M9, X1–X14, R1–R7 (R3a–i),
    N1–N7 (N5a–e), U1–U4 and L1–L4 each appear in some test."""
    ids = listed_ids()
    files = [CONTRACT_DIR / f for f in CONTRACT_FILES]
    if all(f.exists() for f in files):  # the list follows the contract wherever the contract is at hand
        defined = set().union(*(contract_rule_ids(f.read_text(encoding="utf-8")) for f in files))
        assert ids == defined, (f"{IDS_FILE} is out of date: missing {sorted(defined - ids)}, "
                                f"not in the contract {sorted(ids - defined)}")
    families = {"I": 7, "O": 10, "V": 28, "B": 12, "C": 8, "T": 9, "H": 12, "M": 9, "X": 14, "R": 7, "N": 7,
                "U": 4, "L": 4}
    for fam, count in families.items():
        assert {f"{fam}{n}" for n in range(1, count + 1)} <= ids, f"contract ids of family {fam} not all listed"
    corpus = expand(_corpus())
    missing = sorted(r for r in ids if not cited(r, corpus))
    assert not missing, f"rules no test cites: {missing}"


def test_the_summaries_count_every_contract_rule() -> None:
    """The run summary's "contract rules exercised: k/n" and its per-family counts (O5 of issue 18's coverage) list
    exactly the contract's rule ids: B12, O10, X11–X14 and L1–L4 were missing from them (111/121 where the
    contract has 131), so a ci run could not show X11–X14 exercised or not."""
    from pggit_model.rules import ALL_RULES
    assert set(ALL_RULES) == {r for r in listed_ids() if r[-1].isdigit()}


def test_the_matcher_tells_ids_and_rows_apart() -> None:
    """V10k cites V10 but V10 never cites V1; V24aa does not cite V24a; a list `V24s/t/x` cites each row."""
    assert cited("V10", "test_v10k") is False and cited("V10", "V10k row") and not cited("V1", "V10 only")
    assert not cited("V24a", "V24aa") and cited("V24a", "V24a.") and cited("V24x", expand("V24s/t/x"))
    assert cited("R3h", expand("R3a–h")) and not cited("R3i", expand("R3a–h"))


def test_the_parser_reads_rows_under_their_rule() -> None:
    """Lettered rows belong to the rule whose bullet precedes the table; the header row `| id |` is none."""
    text = "- **V24** Effects\n\n| id | statement |\n|---|---|\n| a | CREATE |\n| ab | DROP |\n- **V25** Next\n"
    assert contract_rule_ids(text) == {"V24", "V24a", "V24ab", "V25"}
