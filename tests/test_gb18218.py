"""GB 18218-2018 grading from the standard's tables, each example worked by hand from tables 1–6."""

from __future__ import annotations

import pytest

from commandpost.hazards import gb18218
from commandpost.hazards.gb18218 import ChemicalHeld
from commandpost.hazards.models import HazardGrade


def test_toxic_gases_take_beta_from_table_3() -> None:
    # 液氯 50 t: table 1 no. 12, Q 5 t; table 3 β 4.   q/Q = 10,   βq/Q = 40
    # 液氨 150 t: table 1 no. 1, Q 10 t; table 3 β 2.  q/Q = 15,   βq/Q = 30
    # S = 25 (≥ 1: major). 80 people within 500 m → table 5 α 1.5. R = 1.5 × 70 = 105 → grade I.
    graded = gb18218.grade(
        [ChemicalHeld("氯", "7782-50-5", 50), ChemicalHeld("氨", "7664-41-7", 150)], exposed_population=80
    )
    assert [(x.critical_quantity_t, x.beta, x.contribution) for x in graded.lines] == [
        (5, 4, 40),
        (10, 2, 30),
    ]
    assert (graded.s_value, graded.alpha, graded.r_value, graded.grade) == (25, 1.5, 105, HazardGrade.I)


def test_a_chemical_is_found_by_name_or_alias_when_its_cas_is_missing() -> None:
    # 液氨 is table 1's alias of 氨 (Q 10 t, β 2): 12 t, 10 people (α 1.0): S 1.2, R 2.4 → grade IV.
    graded = gb18218.grade([ChemicalHeld("液氨", None, 12)], exposed_population=10)
    assert graded.lines[0].critical_quantity_basis.startswith("table 1 no. 1 ")
    assert (graded.s_value, graded.r_value, graded.grade) == (1.2, 2.4, HazardGrade.IV)


def test_table_3_beta_is_found_by_cas_where_table_names_differ() -> None:
    # Table 1 says 氯化氢(无水) (Q 20 t), table 3 says 氯化氢 (β 3): 100 t, 0 people (α 0.5).
    # S = 5, R = 0.5 × 3 × 5 = 7.5 → grade IV.
    graded = gb18218.grade([ChemicalHeld("氯化氢", "7647-01-0", 100)], exposed_population=0)
    assert (graded.lines[0].beta, graded.r_value, graded.grade) == (3, 7.5, HazardGrade.IV)


def test_an_unlisted_chemical_is_graded_by_its_category() -> None:
    # 丙烯酸乙酯 (not in table 1) recorded as J5 (急性毒性类别 2, liquid):
    # table 2 Q 500 t, table 4 β 1. 2000 t, 35 people (α 1.2): S 4, R = 1.2 × 1 × 4 = 4.8 → IV.
    graded = gb18218.grade([ChemicalHeld("丙烯酸乙酯", "140-88-5", 2000, "J5")], exposed_population=35)
    line = graded.lines[0]
    assert (line.critical_quantity_t, line.beta) == (500, 1)
    assert "table 2 J5" in line.critical_quantity_basis and "table 4 J5" in line.beta_basis
    assert (graded.s_value, graded.r_value, graded.grade) == (4, 4.8, HazardGrade.IV)


def test_without_a_category_an_unlisted_chemical_cannot_be_graded() -> None:
    with pytest.raises(gb18218.CannotGrade) as refused:
        gb18218.grade(
            [ChemicalHeld("苯", "71-43-2", 1), ChemicalHeld("丙烯酸乙酯", "140-88-5", 2000)],
            exposed_population=1,
        )
    assert refused.value.index == 1


@pytest.mark.parametrize(
    ("people", "alpha"),
    # Table 5: ≥ 100 → 2.0; 50–99 → 1.5; 30–49 → 1.2; 1–29 → 1.0; 0 → 0.5 (each band at both edges).
    [(5000, 2.0), (100, 2.0), (99, 1.5), (50, 1.5), (49, 1.2), (30, 1.2), (29, 1.0), (1, 1.0), (0, 0.5)],
)
def test_alpha_at_each_population_band(people: int, alpha: float) -> None:
    # 苯 1000 t: table 1 Q 50, β 1 (W5.3): Σβq/Q = 20, so R = 20α.
    graded = gb18218.grade([ChemicalHeld("苯", "71-43-2", 1000)], exposed_population=people)
    assert graded.alpha == alpha
    assert graded.r_value == pytest.approx(20 * alpha, abs=1e-9)


def test_unknown_population_assumes_the_most_severe_band_and_says_so() -> None:
    graded = gb18218.grade([ChemicalHeld("苯", "71-43-2", 1000)], exposed_population=None)
    assert graded.alpha == 2.0 and "not recorded" in graded.alpha_basis


@pytest.mark.parametrize(
    ("r", "grade"),
    [
        (100, HazardGrade.I),
        (99.99, HazardGrade.II),
        (50, HazardGrade.II),
        (49.99, HazardGrade.III),
        (10, HazardGrade.III),
        (9.99, HazardGrade.IV),
    ],
)
def test_grade_boundaries_of_table_6(r: float, grade: HazardGrade) -> None:
    assert gb18218.grade_of(r) is grade


def test_below_s_1_is_not_a_major_hazard_and_not_graded() -> None:
    # 硫化氢 4.9 t: Q 5 t → S 0.98 < 1.
    graded = gb18218.grade([ChemicalHeld("硫化氢", "7783-06-4", 4.9)], exposed_population=500)
    assert graded.major is False and graded.grade is None and graded.s_value == 0.98
