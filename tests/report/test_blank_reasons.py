"""Why an IRR or a payback is blank, said where it is shown (review F14), and the
readability of the charts and key figures shown to a human (review F16)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from chainopt.report import charts, deck, economics, onepager, static


def test_a_stream_that_changes_sign_four_times_has_no_irr_and_says_why():
    """+28, -34, +10, -5, +12 (a party whose loan drawdown exceeds its share of the
    first capex): signs + - + - +, 4 sign changes. With x = 1/(1+r) > 0 (r > -100 %)
    its NPV is f(x) = 12x^4 - 5x^3 + 10x^2 - 34x + 28, positive for every x:
    * x < 5/12: 28 - 34x > 28 - 14.2 = 13.8, 10x^2 >= 0, 5x^3 < 5 (5/12)^3 = 0.36, so
      f > 13;
    * x >= 5/12: 12x^4 - 5x^3 = x^3 (12x - 5) >= 0, and 10x^2 - 34x + 28 < 0 only for
      x in ((34 - sqrt(148))/20, (34 + sqrt(148))/20) = (1.092, 2.308), where it is at
      least -0.9 (at x = 1.7) while x^3 (12x - 5) >= 1.092^3 (13.1 - 5) = 10.5.
    No rate zeroes it: IRR None, and the note says what the scan shows (review fin7 F4:
    no more); the human cell reads 'n/a (NPV > 0 at every rate scanned, -99 % to
    1,000 %)'."""
    flows = [28.0, -34.0, 10.0, -5.0, 12.0]
    assert economics.irr(flows) is None
    assert economics.irr_note(flows) == "NPV > 0 at every rate scanned, -99 % to 1,000 %"
    assert economics.not_available(economics.irr_note(flows)) == (
        "n/a (NPV > 0 at every rate scanned, -99 % to 1,000 %)")


def test_an_ordinary_stream_has_an_irr_and_no_note():
    """-100, 50, 60: with x = 1/(1+r), 60x^2 + 50x - 100 = 0, x = (-50 + sqrt(2500 +
    24000))/120 = (-50 + 162.788)/120 = 0.939901, r = 1/0.939901 - 1 = 0.06394. One sign
    change, one root: IRR 6.39 %, note ''."""
    assert economics.irr([-100.0, 50.0, 60.0]) == pytest.approx(0.06394, abs=1e-5)
    assert economics.irr_note([-100.0, 50.0, 60.0]) == ""


def test_an_irr_beside_another_root_says_where_the_npv_is_positive():
    """Review fin5 F6, fin7 F2: -100, +230, -132. With x = 1/(1+r) its NPV is
    -100 + 230x - 132x^2 = -132 (x - 1/1.1)(x - 1/1.2) (132 / 1.32 = 100, 132 x (1/1.1 +
    1/1.2) = 120 + 110 = 230): -100 + 230/1.1 - 132/1.21 = -100 + 209.0909 - 109.0909 = 0
    and -100 + 230/1.2 - 132/1.44 = -100 + 191.6667 - 91.6667 = 0. Between the roots
    (x between 1/1.2 and 1/1.1, r between 10 % and 20 %) it is positive (at 15 %:
    -100 + 200 - 99.81 = +0.19), outside negative (at 0: -2; at 50 %: -5.33). So the NPV
    rises through 0 at 10 % and falls through 0 at 20 %: the IRR is 20 %, the falling
    (investment-type) root, and its note says on which side of the roots the NPV is
    positive: 'NPV > 0 only between 10.0 % and 20.0 %' (it read 'NPV is also 0 at
    10.0 %', which did not say that at 5 % the NPV is negative).
    Three roots: -1,000, +3,600, -4,310, +1,716 is 1,000 (1.1x - 1)(1.2x - 1)(1.3x - 1)
    (1.1 x 1.2 x 1.3 = 1.716; 1.32 + 1.43 + 1.56 = 4.31; 1.1 + 1.2 + 1.3 = 3.6), zero at
    10 %, 20 % and 30 %; -1,000 < 0 above 30 % (x -> 0) and +6 > 0 at 0, so it falls
    through 0 at 30 % and at 10 % and rises at 20 %: IRR 30 %, 'NPV > 0 only below
    10.0 % and between 20.0 % and 30.0 %'.
    Roots 10 % and 900 % (the reviewer's E8: 13.2 % and 892.4 %, NPV -1.57 at 12 %):
    -(1.1x - 1)(10x - 1) = -11x^2 + 11.1x - 1, flows -1, +11.1, -11; at 0 (x = 1):
    -0.9 < 0, at 100 % (x = 1/2): -2.75 + 5.55 - 1 = +1.8 > 0, at 1,000 % (x = 1/11):
    -11/121 + 11.1/11 - 1 = -0.0818 < 0: it rises through 0 at 10 % and falls at 900 %:
    IRR 900 %, 'NPV > 0 only between 10.0 % and 900.0 %', so a rate of 8 % below it
    reads as a loss (-0.9 at 0 %), not as a return beaten.
    The signs flipped, 1, -3.6, 4.2875, -1.6905 = -(1.05x - 1)(1.15x - 1)(1.4x - 1)
    (1.05 x 1.15 x 1.4 = 1.6905; 1.2075 + 1.47 + 1.61 = 4.2875; 1.05 + 1.15 + 1.4 =
    3.6): +1 > 0 above 40 % (x -> 0), -1.6905 x^3 dominates below 5 % (x -> 100 as
    r -> -99 %): negative below 5 %, positive between 5 % and 15 %, negative between
    15 % and 40 %, positive above: IRR 15 %, the only falling root, 'NPV > 0 only
    between 5.0 % and 15.0 %, and above 40.0 %'."""
    flows = [-100.0, 230.0, -132.0]
    assert economics.npv(flows, 0.10) == pytest.approx(0.0, abs=1e-12)
    assert economics.npv(flows, 0.20) == pytest.approx(0.0, abs=1e-12)
    assert economics.npv(flows, 0.0) < 0 < economics.npv(flows, 0.15)
    assert economics.npv(flows, 0.5) < 0
    rate, note = economics.irr_and_note(flows)
    assert rate == pytest.approx(0.20, abs=1e-9)
    assert note == "NPV > 0 only between 10.0 % and 20.0 %"
    assert economics.irr_note(flows) == note
    rate, note = economics.irr_and_note([-1000.0, 3600.0, -4310.0, 1716.0])
    assert rate == pytest.approx(0.30, abs=1e-9)
    assert note == "NPV > 0 only below 10.0 % and between 20.0 % and 30.0 %"
    wide = [-1.0, 11.1, -11.0]
    assert economics.npv(wide, 0.0) == pytest.approx(-0.9)
    assert economics.npv(wide, 10.0) == pytest.approx(-11 / 121 + 11.1 / 11 - 1)
    rate, note = economics.irr_and_note(wide)
    assert rate == pytest.approx(9.0, abs=1e-9)
    assert note == "NPV > 0 only between 10.0 % and 900.0 %"
    flipped = [1.0, -3.6, 4.2875, -1.6905]
    rate, note = economics.irr_and_note(flipped)
    assert rate == pytest.approx(0.15, abs=1e-9)
    assert note == "NPV > 0 only between 5.0 % and 15.0 %, and above 40.0 %"
    assert economics.positive_note([0.0512, -0.90153], below=False) == (
        "NPV > 0 only between -90.2 % and 5.1 %")
    assert economics.positive_note([-0.0004, 0.2], below=False) == (
        "NPV > 0 only between 0.0 % and 20.0 %")


def test_a_falling_root_above_the_scan_leaves_the_irr_blank():
    """Review fin7 F1: -1, +21.1, -22 = -(1.1x - 1)(20x - 1) with x = 1/(1+r) (1.1 x 20 =
    22, 1.1 + 20 = 21.1): zero at 10 % and at 1,900 % (x = 1/20). At 0 % (x = 1):
    -1 + 21.1 - 22 = -1.9 < 0; at 20 % (x = 1/1.2): -1 + 17.5833 - 15.2778 = +1.3056 > 0;
    at the scan's top, 1,000 % (x = 1/11): -1 + 1.91818 - 0.18182 = +0.73636 > 0, and as
    the rate grows the NPV tends to the first flow, -1: it falls through 0 at 1,900 %,
    beyond the scan. The scan sees only the rising root, 10 %, which was shown as the
    IRR with no note (as if money were received first), though the flows spend first
    and the NPV is negative below it: at 5 % a reader saw IRR 10 % > 5 % beside a
    negative NPV. Now no rate, and the note says where the IRR lies and where the NPV is
    > 0: 'rate above 1,000 %; NPV > 0 only between 10.0 % and that rate'.
    -1, +2,000 (one root, x = 1/2,000: 199,900 %, positive at every rate below it): the
    same reason, 'rate above 1,000 %; NPV > 0 at every rate scanned, -99 % to 1,000 %'.
    Money received first, +1, -1.1 (1 - 1.1x: -0.1 at 0 %, +0.0833 at 20 %, rising
    through 0 at 10 %, its only root) keeps its rate, 10 %, the rate it borrows at."""
    flows = [-1.0, 21.1, -22.0]
    assert economics.npv(flows, 0.0) == pytest.approx(-1.9)
    assert economics.npv(flows, 0.2) == pytest.approx(1.30556, abs=1e-5)
    assert economics.npv(flows, 10.0) == pytest.approx(0.73636, abs=1e-5)
    assert economics.npv(flows, 0.1) == pytest.approx(0.0, abs=1e-12)
    assert economics.npv(flows, 19.0) == pytest.approx(0.0, abs=1e-12)
    assert economics.irr_and_note(flows) == (
        None, "rate above 1,000 %; NPV > 0 only between 10.0 % and that rate")
    assert economics.irr_and_note([-1.0, 2000.0]) == (
        None, "rate above 1,000 %; NPV > 0 at every rate scanned, -99 % to 1,000 %")
    rate, note = economics.irr_and_note([1.0, -1.1])
    assert rate == pytest.approx(0.1, abs=1e-9) and note == ""


def test_roots_at_the_ends_of_the_scan_and_beyond_it():
    """Roots exactly at the ends of the range the notes name (review s31 F1, F5); the
    NPV is a polynomial in x = 1/(1+r), so flows from its roots:

    * -100, +1,100: -100 + 1,100/(1+r) = 0 at r = 10 exactly, 1,000 %, the range's top
      (it read 'rate above 1,000 %', the scan's last value being exactly 0, no sign);
    * -1, +0.01: 0 at r = -0.99 exactly, -99 %, the bottom (it read 'rate outside');
    * -x1 x2, x1 + x2, -1 with x1 = 1/1.135, x2 = 1/11 (-(x - x1)(x - x2)): roots 13.5 %
      and 1,000 %; at r = 0 (x = 1) it is -(1 - x1)(1 - x2) < 0, so it rises through 0
      at 13.5 % and falls at 1,000 %, the IRR, with the NPV > 0 between them;
    * 100, -2,110, +2,200 (100 (1 - 1.1 x)(1 - 20 x)): money received first, roots 10 %
      and 1,900 %; NPV > 0 below 10 % (at r = 0: 190), < 0 from 10 % to 1,900 %, > 0
      above (it tends to the first flow, 100): the IRR by the rule is 10 %, the falling
      root, and the note says the NPV turns positive again beyond the scan (it had no
      note: one root in the scan)."""
    x1, x2 = 1 / 1.135, 1 / 11
    cases = [([-100.0, 1100.0], 10.0, ""),
             ([-1.0, 0.01], -0.99, ""),
             ([-x1 * x2, x1 + x2, -1.0], 10.0, "NPV > 0 only between 13.5 % and 1,000.0 %"),
             ([100.0, -2110.0, 2200.0], 0.10,
              "NPV > 0 only below 10.0 % and above a rate over 1,000 %")]
    for flows, rate, note in cases:
        got, said = economics.irr_and_note(np.array(flows))
        assert got == pytest.approx(rate, abs=1e-9), flows
        assert said == note, flows


def test_roots_that_round_alike_are_printed_apart():
    """Review fin7 F3: (1.0996x - 1)(1.1004x - 1)(1.2x - 1), x = 1/(1+r): 1.0996 x 1.1004
    = 1.21 - 0.0004^2 = 1.20999984, times 1.2 = 1.451999808; 1.0996 + 1.1004 = 2.2, so
    the product is 1.451999808x^3 - (1.20999984 + 2.2 x 1.2 = 3.84999984)x^2 + (2.2 +
    1.2 = 3.4)x - 1: flows -1, +3.4, -3.84999984, +1.451999808, zero at 9.96 %, 10.04 %
    and 20 %; -1 above 20 % (x -> 0), positive below 9.96 % (x^3 dominates): it falls
    through 0 at 9.96 % and at 20 %, rises at 10.04 %. IRR 20 %; its note read 'NPV is
    also 0 at 10.0 % and 10.0 %'. Now 'NPV > 0 only below 9.96 % and between 10.04 %
    and 20.00 %': two decimals, the fewest that tell them apart. With the last root
    gone, -(1.0996x - 1)(1.1004x - 1) = -1 + 2.2x - 1.20999984x^2 rises at 9.96 % and
    falls at 10.04 %, its IRR, shown as '10.0%', which its note, 'NPV is also 0 at
    10.0 %', repeated: now 'NPV > 0 only between 9.96 % and 10.04 %'."""
    rate, note = economics.irr_and_note([-1.0, 3.4, -3.84999984, 1.451999808])
    assert rate == pytest.approx(0.2, abs=1e-9)
    assert note == "NPV > 0 only below 9.96 % and between 10.04 % and 20.00 %"
    rate, note = economics.irr_and_note([-1.0, 2.2, -1.20999984])
    assert rate == pytest.approx(0.1004, abs=1e-9)
    assert note == "NPV > 0 only between 9.96 % and 10.04 %"


@pytest.mark.parametrize("flows", [
    [-1.0, 2.2, -1.21],               # -(1.1x - 1)^2: a double root at 10 %, < 0 elsewhere
    [-1.0, 2.0, -1.0],                # -(x - 1)^2: a double root at 0 %
    [-1.0, 2.2008, -1.21088012],      # -(1.1002x - 1)(1.1006x - 1): > 0 only between
])                                    # 10.02 % and 10.06 %, inside one grid step
def test_roots_the_scan_cannot_see_are_not_denied(flows):
    """Review fin7 F4: a double root, or two roots less than a grid step (0.1 point)
    apart, leave the scan's sign unchanged: -(1.1x - 1)^2 <= 0 everywhere, 0 at 10 %;
    -(1.1002x - 1)(1.1006x - 1) (1.1002 x 1.1006 = 1.21088012, 1.1002 + 1.1006 = 2.2008)
    > 0 for x between 1/1.1006 and 1/1.1002, r between 10.02 % and 10.06 %, which no
    grid point (10.0 %, 10.1 %) falls in. The note read '2 sign changes, NPV < 0 at any
    rate', false for each; now only what the scan shows."""
    assert economics.irr_and_note(flows) == (
        None, "NPV < 0 at every rate scanned, -99 % to 1,000 %")


@pytest.mark.parametrize(("flows", "note"), [
    ([0.0, 0.0], "no cash flow"),
    ([0.0, 5.0, 3.0], "no outflow"),        # nothing invested: nothing to return
    ([-5.0, -3.0], "no inflow"),            # nothing back
    # one sign change, its root x = 1/2000 (r = 1999 = 199,900 %) beyond the scan, and
    # received first: x = 1/2000 again, a rising root
    ([-1.0, 2000.0], "rate above 1,000 %; NPV > 0 at every rate scanned, -99 % to 1,000 %"),
    ([1.0, -2000.0], "rate outside -99 % to 1,000 %"),
    # review s31 F4: 1e-12 left of a difference of two runs is no money back (it read
    # 'rate outside ...'), nor -1e-12 an outflow; 2e-9 MUSD is above the noise and
    # counts: -100 then 2e-9, its root x = 5e10 beyond the scan
    ([-100.0, 0.0, 0.0, 1e-12], "no inflow"),
    ([100.0, 50.0, -1e-12], "no outflow"),
    ([1e-12, -100.0, 0.0, -1e-12], "no inflow"),
    ([-100.0, 2e-9], "rate outside -99 % to 1,000 %"),
])
def test_each_reason_for_no_irr(flows, note):
    """The other reasons, each from a stream whose answer is plain by eye (comments)."""
    assert economics.irr(flows) is None
    assert economics.irr_note(flows) == note


def test_payback_notes_by_hand():
    """Spend 100 at the start of 2030, 30 a year back in 2031-2033: cumulative -10 at the
    end of 2033, never back: 'not paid back by 2033'. With 40 a year -100 + 40 + 40 = -20
    after 2032, back half-way through 2033 (20 of 40): 3.5 years from 2030, no note.
    Nothing spent: 'no spend'."""
    capex = pd.Series([-100.0, 0.0, 0.0, 0.0], index=[2030, 2031, 2032, 2033])
    slow = pd.Series([0.0, 30.0, 30.0, 30.0], index=capex.index)
    assert economics.payback(slow, capex) is None
    assert economics.payback_note(slow, capex) == "not paid back by 2033"
    fast = slow * 4 / 3
    assert economics.payback(fast, capex) == pytest.approx(3.5)
    assert economics.payback_note(fast, capex) == ""
    assert economics.payback_note(slow, capex * 0) == "no spend"
    # a stream running one year past the horizon (2032 its last year, 2033 the residual
    # value's): the note names the horizon's end, not the residual's year
    assert economics.payback_note(slow, capex, horizon_last=2032) == (
        "not paid back by 2032, the horizon's end; residual value not counted")


def test_the_notes_replace_the_blank_cells_shown_to_a_human():
    """A party table with one blank IRR and payback and their notes: the human table
    reads 'n/a (...)' there, the numbers elsewhere unchanged, the note columns gone; a
    table without notes (an older comparison) is unchanged."""
    df = pd.DataFrame({"party": ["a", "b"], "IRR": [0.1, math.nan],
                       "payback (yr)": [4.0, math.nan],
                       "IRR note": ["", "NPV > 0 at every rate scanned, -99 % to 1,000 %"],
                       "payback note": ["", "not paid back by 2051"]})
    out = economics.with_notes(df)
    assert list(out.columns) == ["party", "IRR", "payback (yr)"]
    assert out["IRR"].tolist() == [0.1, "n/a (NPV > 0 at every rate scanned, -99 % to 1,000 %)"]
    assert out["payback (yr)"].tolist() == [4.0, "n/a (not paid back by 2051)"]
    old = df.drop(columns=["IRR note", "payback note"])
    pd.testing.assert_frame_equal(economics.with_notes(old), old)


def test_a_note_beside_a_shown_irr_stays_text_next_to_it():
    """Review fin5 F6: a party whose IRR, 20 %, is not the only rate giving NPV 0 (note
    'NPV > 0 only between 10.0 % and 20.0 %') and one whose IRR is blank: the human table keeps the
    first IRR a number with its note in the 'IRR note' column moved next to it (blank
    in the other row), the blank one reads 'n/a (...)' as before."""
    df = pd.DataFrame({"party": ["a", "b"], "IRR": [0.2, math.nan],
                       "payback (yr)": [4.0, math.nan], "note": ["", ""],
                       "IRR note": ["NPV > 0 only between 10.0 % and 20.0 %", "no outflow"],
                       "payback note": ["", "not paid back by 2051"]})
    out = economics.with_notes(df)
    assert list(out.columns) == ["party", "IRR", "IRR note", "payback (yr)", "note"]
    assert out["IRR"].tolist() == [0.2, "n/a (no outflow)"]
    assert out["IRR note"].tolist() == ["NPV > 0 only between 10.0 % and 20.0 %", ""]
    assert out["payback (yr)"].tolist() == [4.0, "n/a (not paid back by 2051)"]
    # cells already made text (the deck's and the one-pager's percentages)
    text = economics.with_notes(df.assign(IRR=["20.0%", ""]))
    assert text["IRR"].tolist() == ["20.0%", "n/a (no outflow)"]
    assert text["IRR note"].tolist() == ["NPV > 0 only between 10.0 % and 20.0 %", ""]


def test_the_one_pager_the_deck_and_the_html_show_an_irr_with_its_note():
    """Review fin5 F6: the project's IRR 20 % with 'NPV > 0 only between 10.0 % and
    20.0 %', its party's 31.0 % in RUB with 'NPV > 0 only between -90.2 % and 31.0 %':
    the one-pager's key figures and party line show each rate with its note beside it;
    the deck's project table shows 20.0% and the note in the next column; the HTML
    report's cards show '20.0% (NPV > 0 only between 10.0 % and 20.0 %)' and its table
    the note column."""
    from chainopt.report import html

    parties = pd.DataFrame({"party": ["ru"], "role": ["equity"], "currency": ["RUB"],
                            "NPV (MUSD)": [7.1], "IRR": [0.31],
                            "IRR note": ["NPV > 0 only between -90.2 % and 31.0 %"]})
    p = _page(0.2, 4.0, "NPV > 0 only between 10.0 % and 20.0 %", "", parties)
    figures = dict(onepager.key_figures(p))
    assert figures["IRR"] == "20.0% (NPV > 0 only between 10.0 % and 20.0 %)"
    assert figures["payback"] == "4.000 yr"
    line = onepager.party_line(onepager.party_rows(p).iloc[0])
    assert line == ("ru (equity): NPV 7.100 MUSD, IRR 31.0% in RUB (NPV > 0 only between "
                    "-90.2 % and 31.0 %)")
    eco = pd.DataFrame({"scenario": ["s"], "effect": ["mp4"], "built": ["p2036"],
                        "first use": ["2038"], "incremental NPV (MUSD)": [7.1],
                        "IRR": [0.2], "payback (yr)": [4.0],
                        "overnight capex (MUSD)": [240.0], "Δ capex (MUSD)": [169.0],
                        "IRR note": ["NPV > 0 only between 10.0 % and 20.0 %"],
                        "payback note": [""]})
    cells = _slide_cells(lambda d: d.table("Projects", deck.project_table({"economics": eco})))
    at = cells[0].index("IRR")
    assert cells[0][at:at + 3] == ["IRR", "IRR note", "payback (yr)"]
    assert cells[1][at:at + 3] == ["20.0%", "NPV > 0 only between 10.0 % and 20.0 %", "4.000"]
    cards = html._economics_cards(economics.with_notes(eco))
    assert "20.0% (NPV &gt; 0 only between 10.0 % and 20.0 %)" in cards  # (escaped)
    table = html.table_html(economics.with_notes(eco))
    assert "<th>IRR note</th>" in table and "NPV &gt; 0 only between 10.0 % and 20.0 %" in table


def test_a_payback_note_beside_a_shown_payback_stays_next_to_it():
    """Review fin7 F5: a party paid back in 1.112 years whose sale year leaves it out of
    pocket again (the note :func:`chainopt.report.parties.settle_note` writes): the human
    table keeps the payback a number with the note in a 'payback note' column right
    after it, and the HTML card shows it in brackets, as an IRR's note is shown."""
    from chainopt.report import html

    note = ("out of pocket again in 2030: the sale does not cover the loan it repays "
            "(-115.8 MUSD that year, -25.0 MUSD in all)")
    pe = pd.DataFrame({"project": ["pj"], "party": ["sp"], "role": ["equity"],
                       "currency": ["USD"], "NPV (MUSD)": [-1.568], "IRR": [8.924],
                       "payback (yr)": [1.112], "IRR note": [""], "payback note": [note]})
    out = economics.with_notes(pe)
    assert list(out.columns)[-2:] == ["payback (yr)", "payback note"]
    assert out["payback (yr)"].tolist() == [1.112]
    assert out["payback note"].tolist() == [note]
    cards = html._economics_cards(out)
    assert f"1.112 ({note})" in cards


def test_the_one_pager_keeps_a_rate_whole_when_a_note_wraps():
    """Review fin7 F1's note on the one-pager: 'sp (equity): NPV -1.963 MUSD, IRR n/a
    (rate above 1,000 %; ...' is 54 characters to '1,000' with its indent, and the panel
    holds 58: the line broke between '1,000' and '%', and the next began with '%;'. A
    rate and its '%' now go to the next line together."""
    line = ("  sp (equity): NPV -1.963 MUSD, IRR n/a (rate above 1,000 %; NPV > 0 only "
            "between 13.5 % and that rate)")
    wrapped = onepager._fill(line, "      ").splitlines()
    assert wrapped == ["  sp (equity): NPV -1.963 MUSD, IRR n/a (rate above",
                       "      1,000 %; NPV > 0 only between 13.5 % and that rate)"]


def _page(irr, payback, irr_note, payback_note, parties=None) -> onepager.Page:
    summary = {"incremental NPV (MUSD)": 7.1, "overnight capex (MUSD)": 240.0, "IRR": irr,
               "payback (yr)": payback, "IRR note": irr_note, "payback note": payback_note,
               "built": "p2036", "first use": "2038"}
    empty = pd.DataFrame()
    return onepager.Page("s", "mp4", summary, empty, empty, empty, parties)


def test_the_one_pager_and_the_deck_give_the_reason():
    """A project with no IRR (no spend) and no payback (not back by 2051): the one-pager's
    key figures and its party line, and the deck's project table (read back from the
    slide) say why."""
    parties = pd.DataFrame({"party": ["ru"], "role": ["equity"], "currency": ["RUB"],
                            "NPV (MUSD)": [7.1], "IRR": [math.nan],
                            "IRR note": ["NPV > 0 at every rate scanned, -99 % to 1,000 %"]})
    p = _page(math.nan, math.nan, "no spend", "not paid back by 2051", parties)
    figures = dict(onepager.key_figures(p))
    assert figures["IRR"] == "n/a (no spend)"
    assert figures["payback"] == "n/a (not paid back by 2051)"
    line = onepager.party_line(onepager.party_rows(p).iloc[0])
    assert line == ("ru (equity): NPV 7.100 MUSD, IRR n/a (NPV > 0 at every rate scanned, "
                    "-99 % to 1,000 %)")
    eco = pd.DataFrame({"scenario": ["s"], "effect": ["mp4"], "built": ["p2036"],
                        "first use": ["2038"], "incremental NPV (MUSD)": [7.1],
                        "IRR": [math.nan], "payback (yr)": [math.nan],
                        "overnight capex (MUSD)": [240.0], "Δ capex (MUSD)": [169.0],
                        "IRR note": ["no spend"], "payback note": ["not paid back by 2051"]})
    cells = _slide_cells(lambda d: d.table("Projects", deck.project_table({"economics": eco})))
    at = cells[0].index("IRR")  # (after the includes column, review cmp F2)
    assert cells[0][at:at + 2] == ["IRR", "payback (yr)"]
    assert cells[1][at:at + 2] == ["n/a (no spend)", "n/a (not paid back by 2051)"]
    assert "IRR note" not in cells[0]


def _slide_cells(draw) -> list[list[str]]:
    """The cell texts of the table on the one slide ``draw`` adds to a new deck."""
    d = deck._Deck()
    draw(d)
    table = next(s.table for s in d.prs.slides[0].shapes if s.has_table)
    return [[table.cell(i, j).text for j in range(len(table.columns))]
            for i in range(len(table.rows))]


@pytest.mark.parametrize(("kpi", "label"), [
    ("objective", "objective"),
    ("npv_variable_om", "NPV: variable O&M"),
    ("npv_supply", "NPV: feed and supply"),
    ("cost_fixed_om", "cost: fixed O&M"),
    ("cashflow_net", "cash flow: net"),
    ("production_fuel_gas", "production: fuel_gas"),
    ("emissions_co2", "emissions: co2"),
    ("revenue_per_yr", "revenue per year"),
    ("lever_reverse_excise_butane_feed_excise",
     "policy lever reverse_excise_butane: feed excise"),
    ("lever_duty_on_naphtha_export_duty", "policy lever duty_on_naphtha: export duty"),
    ("something_else", "something_else"),
])
def test_kpi_labels(kpi, label):
    """Each KPI id of kpis.csv in words (the README's list of kpis rows); an id of no
    known form is shown as it is."""
    assert charts.kpi_label(kpi) == label


def test_the_run_decks_key_figures_show_kpi_labels(tmp_path):
    """The run deck's key-figures slide (read back from the pptx file) shows 'NPV:
    variable O&M' and 'policy lever ...: feed excise' in words, not the ids; the HTML
    table's frame keeps the id in a last column 'kpi', beside its words in 'KPI'."""
    from pptx import Presentation

    kpis = pd.DataFrame({"kpi": ["objective", "npv_variable_om",
                                 "lever_reverse_excise_butane_feed_excise"],
                         "period": ["", "", ""], "value": [100.0, -3.5, 1.25],
                         "unit": ["MUSD", "MUSD discounted", "MUSD discounted"]})
    total, _ = charts.kpi_summary({"kpis": kpis}, [])
    assert list(total.columns) == ["KPI", "value", "unit", "kpi"]
    path = deck.run_deck({"kpis": kpis}, {"objective": 100.0, "status": "optimal"},
                         tmp_path / "run.pptx")
    slide = Presentation(str(path)).slides[1]
    table = next(s.table for s in slide.shapes if s.has_table)
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert [r[0] for r in cells] == ["KPI", "objective", "NPV: variable O&M",
                                     "policy lever reverse_excise_butane: feed excise"]
    assert not any("npv_variable_om" in c or "lever_" in c for r in cells for c in r)


def test_the_static_sankey_labels_each_node_with_its_flow():
    """Nodes upstream -> refining (30 kt/yr) and upstream -> markets (12.5), refining ->
    markets (29.5): upstream sends 30 + 12.5 = 42.5; refining takes 30, sends 29.5:
    30; markets takes 12.5 + 29.5 = 42.0. Labels in the measure's unit."""
    d = charts.SankeyData(
        nodes=pd.DataFrame({"label": ["upstream", "refining", "markets"],
                            "kind": ["segment"] * 3}),
        links=pd.DataFrame({"source": [0, 0, 1], "target": [1, 2, 2],
                            "commodity": ["crude", "crude", "diesel"],
                            "quantity_k_per_yr": [30.0, 12.5, 29.5],
                            "value_musd_per_yr": [0.0, 0.0, 0.0]}))
    assert static.node_labels(d, "kt/yr") == ["upstream: 42.5 kt/yr", "refining: 30 kt/yr",
                                              "markets: 42 kt/yr"]
    big = charts.SankeyData(nodes=d.nodes, links=d.links.assign(
        quantity_k_per_yr=[30000.0, 12500.0, 29500.0]))
    assert static.node_labels(big, "TJ/yr")[0] == "upstream: 42,500 TJ/yr"


def test_the_cashflow_charts_legend_is_outside_the_plot():
    """20 series (10 projects x bars and cumulative line), as the proposal comparison
    draws: the legend's box lies right of the axes box (figure coordinates), so it hides
    no bar or line."""
    plt = static._plt()
    years = np.arange(2026, 2052)
    rows = [pd.DataFrame({"scenario": f"scenario_{k}", "effect": f"project_{k}",
                          "year": years, "net_musd": np.linspace(-100, 100, len(years)),
                          "cumulative_musd": np.linspace(-100, 1000, len(years))})
            for k in range(10)]
    fig = static._cashflow_chart(plt, pd.concat(rows, ignore_index=True))
    try:
        ax = fig.axes[0]
        fig.tight_layout()
        fig.canvas.draw()
        legend = ax.get_legend()
        assert len(legend.get_texts()) == 20
        inv = fig.transFigure.inverted()
        box = legend.get_window_extent().transformed(inv)
        axes = ax.get_window_extent().transformed(inv)
        assert box.x0 >= axes.x1  # wholly right of the plot
        assert box.x1 <= 1.0 + 1e-6  # and on the figure
    finally:
        plt.close(fig)


def test_a_number_column_with_reasons_stays_right_aligned_in_markdown():
    """comparison.md's economics table: an IRR column holding 14.2 % beside 'n/a (no
    spend)' is a column of numbers, right-aligned ('---:') as it was before the reasons
    made it text; the effect column stays left-aligned."""
    from chainopt.report import compare

    df = economics.with_notes(pd.DataFrame({
        "effect": ["mp3", "all changes"], "IRR": [0.142, np.nan],
        economics.NOTES["IRR"]: [np.nan, "no spend"]}))
    table = compare._md_table("economics", df)
    assert table[1] == "|---|---:|"
    assert table[3] == "| all changes | n/a (no spend) |"
