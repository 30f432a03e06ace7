"""Cooperation economics (issue 14): shares, debt service, profit tax and currencies,
each checked against year-by-year cash flows worked out by hand in the docstrings."""

from __future__ import annotations

import dataclasses
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainopt.case.discount import Discounting
from chainopt.case.load import load_case
from chainopt.errors import InputError
from chainopt.report import economics, parties
from chainopt.report.parties import Terms, debt_schedule, loan_in_usd, project_parties


def _terms(shares=(), finance=(), regimes=(), party_rows=(), site="sez",
           fx=None) -> Terms:
    """A hand-made Terms: base year 2026, start-of-year flows, periods p1 = 2026 and
    p2 = 2027-2028; RUB at 0.0125 USD (80 RUB/USD) in p1 and 0.01 (100 RUB/USD) in p2."""
    fx = fx or {"USD": {"p1": 1.0, "p2": 1.0}, "RUB": {"p1": 0.0125, "p2": 0.01},
                "JPY": {"p1": 0.0067, "p2": 0.0067}}
    return Terms(
        parties=pd.DataFrame(list(party_rows), columns=["party", "discount_rate", "currency",
                                                         "tax_regime"]),
        shares=pd.DataFrame(list(shares), columns=["project", "party", "share",
                                                   "equipment_share"]),
        finance=pd.DataFrame(list(finance), columns=["project", "debt_share", "interest_rate",
                                                     "tenor_yr", "grace_yr", "repayment",
                                                     "lender", "tax_regime"]),
        # a regime without a holiday and reduced years: (regime, rate, sites)
        regimes=pd.DataFrame([(*r, 0, np.nan, 0)[:6] for r in regimes],
                             columns=["regime", "profit_tax_rate", "sites", "holiday_years",
                                      "reduced_rate", "reduced_years"]),
        fx=fx, project_site={"j": site}, periods=("p1", "p2"),
        disc=Discounting(rate=0.10, base_year=2026, timing="start", starts=(2026, 2027),
                         lengths=(1, 2)))


# capex 100 paid at the start of 2026; +60 operating in 2027 and 2028; horizon ends 2029
FLOWS = pd.DataFrame({"year": [2026, 2027, 2028, 2029],
                      "operating_musd": [0.0, 60.0, 60.0, 0.0],
                      "capex_musd": [-100.0, 0.0, 0.0, 0.0],
                      "residual_musd": [0.0, 0.0, 0.0, 0.0]})
PARTIES = [("ru", 0.15, "RUB", ""), ("jp", 0.08, "JPY", ""), ("jbic", 0.08, "JPY", "")]
REGIMES = [("ru_std", 0.20, ""), ("sez", 0.10, "sez")]


def _row(summary, party, role="equity"):
    s = summary[(summary["party"] == party) & (summary["role"] == role)]
    assert len(s) == 1
    return s.iloc[0]


def test_debt_schedules_by_hand():
    """60 drawn at the start of 2026 (60 % of a 100 spend), 10 %, one year of grace, two
    repayments. Annuity A = 60 x 0.1 / (1 - 1.1^-2) = 6 x 1.21 / 0.21 = 34.5714:
    2027 interest 6, principal 28.5714, balance 31.4286; 2028 interest 3.14286, principal
    31.4286. Equal principal: 2027 interest 6 + 30; 2028 interest 3 + 30."""
    spend = pd.Series({2026: 100.0})
    a = debt_schedule(spend, 0.6, 0.10, 2, 1, "annuity")
    assert a.loc[2026, "drawdown"] == pytest.approx(60.0)
    assert a.loc[2027, "interest"] == pytest.approx(6.0)
    assert a.loc[2027, "principal"] == pytest.approx(6 * 1.21 / 0.21 - 6)
    assert a.loc[2028, "interest"] == pytest.approx(0.1 * (60 - (6 * 1.21 / 0.21 - 6)))
    assert (a["interest"] + a["principal"]).loc[2027:2028].to_numpy() == pytest.approx(
        [6 * 1.21 / 0.21] * 2)
    assert a.loc[2028, "balance"] == pytest.approx(0.0, abs=1e-9)
    e = debt_schedule(spend, 0.6, 0.10, 2, 1, "equal_principal")
    assert e.loc[2027:2028, "interest"].to_numpy() == pytest.approx([6.0, 3.0])
    assert e.loc[2027:2028, "principal"].to_numpy() == pytest.approx([30.0, 30.0])
    # two years of grace: interest only in 2027, repayments in 2028 and 2029
    g = debt_schedule(spend, 0.6, 0.10, 2, 2, "equal_principal")
    assert g.loc[2027, "principal"] == 0.0 and g.loc[2027, "interest"] == pytest.approx(6.0)
    assert g.loc[2028:2029, "principal"].to_numpy() == pytest.approx([30.0, 30.0])


def test_a_loan_is_repaid_only_after_its_last_drawdown():
    """Drawn 18 a year in 2026-2028 (60 % of 30), 8 %, one year of grace, two repayments.
    Repaying from 2027 used to end the tenor in 2028 with 18 of the 54 drawn never repaid.
    Now repayments start in 2029 on the 54 outstanding: interest 2027 0.08 x 18 = 1.44,
    2028 2.88, 2029 4.32; annuity 54 x 0.08 / (1 - 1.08^-2) = 30.2815, principal 2029
    25.9615, 2030 28.0385 (interest 2.2431): all 54 repaid."""
    t = debt_schedule(pd.Series({2026: 30.0, 2027: 30.0, 2028: 30.0}), 0.6, 0.08, 2, 1)
    annuity = 54 * 0.08 / (1 - 1.08 ** -2)
    assert t["interest"].loc[2027:2029].to_numpy() == pytest.approx([1.44, 2.88, 4.32])
    assert t.loc[2026:2028, "principal"].sum() == 0.0
    assert t.loc[2029, "principal"] == pytest.approx(annuity - 4.32)
    assert (t["interest"] + t["principal"]).loc[2029:2030].to_numpy() == pytest.approx(
        [annuity] * 2)
    assert t["principal"].sum() == pytest.approx(54.0) and t["balance"].iloc[-1] == \
        pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("rate", [1e-9, 1e-17])
def test_a_loan_at_a_rate_near_zero_is_repaid_in_full(rate):
    """100 drawn in 2026, four level repayments from 2027. At 1e-9 the payment is
    100 / sum_{k=1}^{4} (1+r)^-k = 100 / (4 - 10e-9) = 25.0000000625; 2027's interest
    1e-7, so its principal is 24.9999999625, and the four principals add up to 100. At
    1e-17 (1 + r rounds to 1) every principal is 25. The textbook r / (1 - (1+r)^-n)
    left 2.1e-6 unpaid at 1e-9 and raised ZeroDivisionError at 1e-17."""
    t = debt_schedule(pd.Series({2026: 100.0}), 1.0, rate, 4, 1)
    if rate == 1e-9:
        assert t.loc[2027, "principal"] == pytest.approx(24.9999999625, abs=1e-12)
    else:
        assert t.loc[2027:2030, "principal"].to_numpy() == pytest.approx([25.0] * 4)
    assert t["principal"].sum() == pytest.approx(100.0, abs=1e-12)
    assert t["balance"].iloc[-1] == pytest.approx(0.0, abs=1e-12)


def _loan(terms, spend, debt_share, rate, tenor, grace, repayment, **extra):
    fin = pd.Series({"project": "j", "debt_share": debt_share, "interest_rate": rate,
                     "tenor_yr": tenor, "grace_yr": grace, "repayment": repayment,
                     "lender": "bank", "tax_regime": "", **extra})
    return loan_in_usd(terms, pd.Series(spend, dtype=float), fin)


def test_the_sale_at_the_horizon_end_settles_the_loan_by_hand():
    """Review fin6 F2: 100 drawn in 2026, 10 %, ten annuity repayments from 2027 (one
    year of grace), the horizon ending with 2029 so that the sale's year ``end`` = 2030.
    A = 100 x 0.1 / (1 - 1.1^-10) = 16.27454; the balance after k payments
    B_k = 100 (1.1^10 - 1.1^k) / (1.1^10 - 1): 100, 93.72546, 86.82347, 79.23127.
      year  interest         principal                    balance after
      2026  0                0                            100
      2027  10               A - 10      = 6.27454        93.72546
      2028  9.37255          A - 9.37255 = 6.90199        86.82347
      2029  8.68235          A - 8.68235 = 7.59219        79.23127
      2030  7.92313          79.23127 (all that is left)  0
    and no year after 2030 (without ``settle`` the annuity ran to 2036). The lender's
    flows -100, A, A, A, 1.1 x 79.23127 = 87.15440 at 10 % from 2026:
    -100 + A (1/1.1 + 1/1.21 + 1/1.331) + 87.15440 / 1.4641 = -100 + 40.47 + 59.53 = 0:
    it is repaid at par. The same loan in roubles (80 RUB/USD in 2026, 100 from 2027:
    8,000 RUB drawn) as a nominal loan at 4 % inflation (base year 2026, P_2026 = 1)
    has the same nominal schedule x 80 (M RUB per USD-unit of 2026): its 2030 principal
    8,000 x 0.7923127 = 6,338.5 M RUB nominal is 6,338.5 / 1.04^4 real roubles and
    x 0.01 = 54.1818 MUSD; its interest a tenth of that, 5.41818."""
    t = debt_schedule(pd.Series({2026: 100.0}), 1.0, 0.10, 10, 1, settle=2030)
    a = 10 / (1 - 1.1**-10)
    def left(k):
        return 100 * (1.1**10 - 1.1**k) / (1.1**10 - 1)
    assert list(t.index) == [2026, 2027, 2028, 2029, 2030]
    assert t["drawdown"].to_numpy() == pytest.approx([100.0, 0, 0, 0, 0])
    assert t["interest"].to_numpy() == pytest.approx([0.0] + [0.1 * left(k) for k in
                                                              range(4)])
    assert t["interest"].to_numpy() == pytest.approx(
        [0, 10, 9.37255, 8.68235, 7.92313], abs=5e-6)
    assert t["principal"].to_numpy() == pytest.approx(
        [0.0, a - 10, a - 0.1 * left(1), a - 0.1 * left(2), left(3)])
    assert t["principal"].to_numpy() == pytest.approx(
        [0, 6.27454, 6.90199, 7.59219, 79.23127], abs=5e-6)
    assert t["principal"].sum() == pytest.approx(100.0)
    assert t["balance"].iloc[-1] == pytest.approx(0.0, abs=1e-9)
    assert t["capitalised"].sum() == 0.0
    lender = (-t["drawdown"] + t["interest"] + t["principal"]).to_numpy()
    assert lender[-1] == pytest.approx(87.15440, abs=5e-6)
    assert (lender / 1.1 ** np.arange(5)).sum() == pytest.approx(0.0, abs=1e-9)
    # without the sale the tenor runs on
    assert debt_schedule(pd.Series({2026: 100.0}), 1.0, 0.10, 10, 1).index.max() == 2036
    fin = pd.Series({"project": "j", "debt_share": 1.0, "interest_rate": 0.10,
                     "tenor_yr": 10, "grace_yr": 1, "repayment": "annuity",
                     "lender": "bank", "tax_regime": "", "currency": "RUB",
                     "inflation": 0.04})
    rub = loan_in_usd(_terms(), pd.Series({2026: 100.0}), fin, settle=2030)
    assert rub.index.max() == 2030
    assert rub.loc[2030, "principal"] == pytest.approx(8000 * left(3) / 100 / 1.04**4
                                                       * 0.01)
    assert rub.loc[2030, "principal"] == pytest.approx(54.1818, abs=1e-4)
    assert rub.loc[2030, "interest"] == pytest.approx(5.41818, abs=1e-5)
    assert rub.loc[2030, "balance"] == pytest.approx(0.0, abs=1e-9)


def test_a_sale_before_the_first_repayment_repays_the_capitalised_interest_too():
    """Review fin6 F2: 100 drawn in 2026, 10 %, interest capitalised (``idc``), five
    repayments from 2031 (grace 5), the sale in 2029 settles it first. 2027: 10
    capitalised, balance 110; 2028: 11, 121; 2029: 12.1 capitalised, then the whole
    balance 133.1 = 100 drawn + 33.1 capitalised is repaid, no interest ever paid in
    cash, nothing after 2029."""
    t = debt_schedule(pd.Series({2026: 100.0}), 1.0, 0.10, 5, 5, "annuity", "capitalised",
                      settle=2029)
    assert list(t.index) == [2026, 2027, 2028, 2029]
    assert t["capitalised"].to_numpy() == pytest.approx([0, 10, 11, 12.1])
    assert t["interest"].to_numpy() == pytest.approx([0, 0, 0, 0])
    assert t["principal"].to_numpy() == pytest.approx([0, 0, 0, 133.1])
    assert t.loc[2029, "principal"] == pytest.approx(100 + t["capitalised"].sum())
    assert t["balance"].to_numpy() == pytest.approx([100, 110, 121, 0], abs=1e-9)


def test_the_owners_do_not_repay_or_deduct_a_loan_after_the_sale():
    """Review fin6 F2, the parties' flows: 100 spent in 2026, operating 40 a year in
    2027-2029, the horizon ending with 2029 (end = 2030, residual value 90); sp holds
    100 %, 20 % tax (default regime), one build depreciated 10 a year from 2027 (life
    10: book value left 70); 60 % borrowed from bank (10 %) at 10 %, ten annuity
    repayments from 2027, A = 6 / (1 - 1.1^-10) = 9.76472, balance after k payments
    B_k = 60 (1.1^10 - 1.1^k) / (1.1^10 - 1): 60, 56.23528, 52.09408, 47.53876.
      year  interest  principal        tax                                  sp's flow
      2026  0         0                0                                    -100 + 60 = -40
      2027  6         3.76472          0.2 (40 - 10 - 6)       = 4.8        25.43528
      2028  5.62353   4.14119          0.2 (40 - 10 - 5.62353) = 4.87529    25.35998
      2029  5.20941   4.55531          0.2 (40 - 10 - 5.20941) = 4.95812    25.27716
      2030  4.75388   47.53876 (all)   0.2 (90 - 70 - 4.75388) = 3.04922    34.65813
    (2030: 90 - 1.1 x 47.53876 - 3.04922). Tax paid 17.68264: the interest deducted is
    the horizon's and the sale year's only; the owners used to repay A in 2031-2036
    and deduct its interest there from no income. The lender's flows -60, A, A, A,
    52.29264 are worth 0 at its 10 %. DSCR over 2027-2029 only (the sale's settlement
    is no debt service): (40 - tax) / A = 3.60481, 3.59710, 3.58862."""
    flows = pd.DataFrame({"year": range(2026, 2031),
                          "operating_musd": [0.0, 40.0, 40.0, 40.0, 0.0],
                          "capex_musd": [-100.0, 0, 0, 0, 0],
                          "residual_musd": [0.0, 0, 0, 0, 90.0]})
    terms = _terms(shares=[("j", "sp", 1.0, 0.0)],
                   finance=[("j", 0.6, 0.10, 10, 1, "annuity", "bank", "")],
                   regimes=REGIMES, party_rows=IDC_PARTIES, site="elsewhere")
    s, y = project_parties(flows, terms, "j", 2027, 10)
    sp = y[y["party"] == "sp"].set_index("year")
    a = 6 / (1 - 1.1**-10)
    def left(k):
        return 60 * (1.1**10 - 1.1**k) / (1.1**10 - 1)
    intr = [0.0] + [0.1 * left(k) for k in range(4)]
    assert list(sp.index) == [2026, 2027, 2028, 2029, 2030]  # nothing after the sale
    assert sp["interest_musd"].to_numpy() == pytest.approx(intr)
    assert sp["principal_musd"].to_numpy() == pytest.approx(
        [0.0, a - intr[1], a - intr[2], a - intr[3], left(3)])
    tax = [0.0] + [0.2 * (30 - i) for i in intr[1:4]] + [0.2 * (90 - 70 - intr[4])]
    assert sp["tax_musd"].to_numpy() == pytest.approx(tax)
    assert sp["tax_musd"].to_numpy() == pytest.approx(
        [0, 4.8, 4.87529, 4.95812, 3.04922], abs=5e-6)
    assert sp["flow_musd"].to_numpy() == pytest.approx(
        [-40.0, 40 - a - tax[1], 40 - a - tax[2], 40 - a - tax[3],
         90 - 1.1 * left(3) - tax[4]])
    assert sp["flow_musd"].to_numpy() == pytest.approx(
        [-40, 25.43528, 25.35998, 25.27716, 34.65813], abs=5e-6)
    assert _row(s, "sp")["tax paid (MUSD)"] == pytest.approx(17.68264, abs=5e-6)
    bank = _row(s, "bank", "lender")
    assert bank["NPV (MUSD)"] == pytest.approx(0.0, abs=1e-9)
    assert y[y["party"] == "bank"]["flow_musd"].iloc[-1] == pytest.approx(52.29264,
                                                                          abs=5e-6)
    assert _row(s, "sp")["min DSCR"] == pytest.approx((40 - tax[3]) / a)
    assert _row(s, "sp")["min DSCR"] == pytest.approx(3.58862, abs=5e-6)
    assert _row(s, "sp")["avg DSCR"] == pytest.approx(
        (3.60481 + 3.59710 + 3.58862) / 3, abs=5e-6)


def test_a_loan_at_inflation_0_is_todays_loan():
    """Review s25 F3: inflation 0, or blank (NaN), or no inflation column at all, is the
    schedule of test_debt_schedules_by_hand, the same numbers: 60 drawn in 2026, 10 %,
    one year of grace, two annuity repayments of A = 6 x 1.21 / 0.21 = 34.5714: 2027
    interest 6, principal 28.5714; 2028 interest 3.14286, principal 31.4286."""
    terms = _terms()
    a = 6 * 1.21 / 0.21
    hand = pd.DataFrame({"drawdown": [60.0, 0, 0], "interest": [0, 6.0, 0.1 * (66 - a)],
                         "principal": [0, a - 6, 60 - (a - 6)]}, index=[2026, 2027, 2028])
    for extra in ({}, {"inflation": 0.0}, {"inflation": np.nan}):
        t = _loan(terms, {2026: 100.0}, 0.6, 0.10, 2, 1, "annuity", **extra)
        assert t[hand.columns].to_numpy() == pytest.approx(hand.to_numpy())


def test_a_nominal_equal_principal_loan_is_deflated_year_by_year():
    """Review s25 F3: a nominal loan in a case of real money. Base year 2026; 100 spent in
    2026 and 100 in 2027, half borrowed at 10 % nominal, inflation 4 %, equal principal,
    one year of grace, two repayments (from 2028, the year after the last drawdown).
    In money of each year (index P = 1, 1.04, 1.0816, 1.124864 in 2026-2029):
      2026 drawn 50 x 1 = 50, balance 50;
      2027 interest 0.1 x 50 = 5, drawn 50 x 1.04 = 52, balance 102;
      2028 interest 10.2, principal 102 / 2 = 51, balance 51;
      2029 interest 5.1, principal 51, balance 0.
    Deflated (/ P): drawn 50, 50; interest 2027 5 / 1.04 = 4.80769, 2028 10.2 / 1.0816 =
    9.43047, 2029 5.1 / 1.124864 = 4.53388; principal 51 / 1.0816 = 47.15237 and
    51 / 1.124864 = 45.33881; balance after 2027 102 / 1.04 = 98.07692.
    Against the indexed loan at the real rate r = 1.1 / 1.04 - 1 = 5.769 % (inflation 0):
    service 2028 0.05769 x 100 + 50 = 55.769, 2029 52.885; the nominal loan costs more
    first (56.583) and less last (49.873). Both earn the lender r: -50 - (50 - 4.80769)
    / (1 + r) + 56.58284 / (1 + r)^2 + 49.87270 / (1 + r)^3 = 0. The same loan with a
    base year of 2020 (every nominal amount x 1.04^6) gives the same real flows."""
    terms = _terms()
    t = _loan(terms, {2026: 100.0, 2027: 100.0}, 0.5, 0.10, 2, 1, "equal_principal",
              inflation=0.04)
    p = 1.04 ** np.arange(4)
    assert t["drawdown"].to_numpy() == pytest.approx([50, 50, 0, 0])
    assert t["interest"].to_numpy() == pytest.approx(np.array([0, 5, 10.2, 5.1]) / p)
    assert t["interest"].to_numpy() == pytest.approx([0, 4.80769, 9.43047, 4.53388],
                                                     abs=5e-6)
    assert t["principal"].to_numpy() == pytest.approx([0, 0, 47.15237, 45.33881], abs=5e-6)
    assert t["balance"].to_numpy() == pytest.approx([50, 102 / 1.04, 51 / 1.0816, 0],
                                                    abs=1e-9)
    r = 1.1 / 1.04 - 1
    real = _loan(terms, {2026: 100.0, 2027: 100.0}, 0.5, r, 2, 1, "equal_principal")
    service, indexed = t["interest"] + t["principal"], real["interest"] + real["principal"]
    assert indexed.loc[2028:2029].to_numpy() == pytest.approx([100 * r + 50, 50 * (1 + r)])
    assert service.loc[2028] > indexed.loc[2028] and service.loc[2029] < indexed.loc[2029]
    lender = -t["drawdown"] + service
    assert (lender / (1 + r) ** np.arange(4)).sum() == pytest.approx(0.0, abs=1e-9)
    early = dataclasses.replace(terms, disc=dataclasses.replace(terms.disc, base_year=2020))
    t20 = _loan(early, {2026: 100.0, 2027: 100.0}, 0.5, 0.10, 2, 1, "equal_principal",
                inflation=0.04)
    assert t20.to_numpy() == pytest.approx(t.to_numpy())


def test_a_nominal_annuity_is_constant_in_nominal_money():
    """Review s25 F3: 60 drawn in 2026 (the base year), 10 % nominal, inflation 4 %, one
    year of grace, two annuity repayments: the nominal annuity A = 60 x 0.1 / (1 -
    1.1^-2) = 34.57143 (2027 interest 6, principal 28.57143, balance 31.42857; 2028
    interest 3.14286, principal 31.42857). Deflated: 2027 interest 6 / 1.04 = 5.76923,
    principal 27.47253, service 33.24176; 2028 interest 3.14286 / 1.0816 = 2.90575,
    principal 29.05748, service 31.96323 (= 33.24176 / 1.04: a constant nominal payment
    falls in real money by the inflation). The principal repaid is 28.57143 / 1.04 +
    31.42857 / 1.0816 = 56.53001 in real money, less than the 60 drawn. In roubles
    (80 RUB/USD in 2026, 100 from 2027, as _terms), the same schedule in M RUB costs
    x 0.0125 / 0.01 MUSD: 4,800 M RUB drawn = 60 MUSD; 2027 service 33.24176 / 0.0125 x
    0.01 = 26.59341 MUSD."""
    terms = _terms()
    t = _loan(terms, {2026: 100.0}, 0.6, 0.10, 2, 1, "annuity", inflation=0.04)
    a = 6 * 1.21 / 0.21
    assert a == pytest.approx(34.57143, abs=5e-6)
    assert t.loc[2027:2028, "interest"].to_numpy() == pytest.approx([5.76923, 2.90575],
                                                                   abs=5e-6)
    assert t.loc[2027:2028, "principal"].to_numpy() == pytest.approx([27.47253, 29.05748],
                                                                    abs=5e-6)
    service = (t["interest"] + t["principal"]).loc[2027:2028].to_numpy()
    assert service == pytest.approx([a / 1.04, a / 1.0816])
    assert service == pytest.approx([33.24176, 31.96323], abs=5e-6)
    assert t["principal"].sum() == pytest.approx(56.53001, abs=5e-5)
    rub = _loan(terms, {2026: 100.0}, 0.6, 0.10, 2, 1, "annuity", inflation=0.04,
                currency="RUB")
    assert rub.loc[2026, "drawdown"] == pytest.approx(60.0)
    assert (rub["interest"] + rub["principal"]).loc[2027] == pytest.approx(
        a / 1.04 / 0.0125 * 0.01)


def test_the_reviewers_mp2_loan_in_nominal_roubles():
    """Review s25 F3's hand check of MP2's loan: 50 % of 2,000 MUSD a year spent in
    2026-28, in roubles at a flat 85 RUB/USD, 14 % nominal, rouble inflation 4 %, three
    years of grace, ten equal nominal repayments from 2029; base year 2026. Nominal
    draws (MUSD at 85) 1,000, 1,040, 1,081.6: balance 3,121.6 (interest 140 in 2027,
    0.14 x 2,040 = 285.6 in 2028); 2029 service 0.14 x 3,121.6 + 312.16 = 749.184, in
    2026 money 749.184 / 1.04^3 = 666.02; 2038 (0.14 x 312.16 + 312.16) / 1.04^12 =
    355.862 / 1.601032 = 222.27. The principal in 2029 is 312.16 / 1.124864 = 277.51,
    not the indexed loan's 300. With the review's (operating - tax) of 482.5 in 2029
    the DSCR is 482.5 / 666.02 = 0.72 (0.82 on the indexed loan's 588)."""
    rub = {p: 1 / 85 for p in ("p1", "p2")}
    terms = _terms(fx={"USD": {"p1": 1.0, "p2": 1.0}, "RUB": rub})
    t = _loan(terms, {2026: 2000.0, 2027: 2000.0, 2028: 2000.0}, 0.5, 0.14, 10, 3,
              "equal_principal", inflation=0.04, currency="RUB")
    service = t["interest"] + t["principal"]
    assert t.loc[2026:2028, "drawdown"].to_numpy() == pytest.approx([1000.0] * 3)
    assert t.loc[2027:2028, "interest"].to_numpy() == pytest.approx(
        [140 / 1.04, 285.6 / 1.0816])
    assert service.loc[2029] == pytest.approx(666.02, abs=5e-3)
    assert t.loc[2029, "principal"] == pytest.approx(277.51, abs=5e-3)
    assert service.loc[2038] == pytest.approx(222.27, abs=5e-3)
    assert t.index.max() == 2038 and t.loc[2038, "balance"] == pytest.approx(0, abs=1e-9)
    assert round(482.5 / service.loc[2029], 2) == 0.72


def test_a_nominal_loans_tax_deducts_the_deflated_interest():
    """Review s25 F3: test_debt_service_and_dscr_by_hand's project (capex 100 in 2026,
    operating 60 in 2027 and 2028, depreciation 50 a year, SEZ tax 10 %, ru 0.6 / jp
    0.4) with its loan at 8 % nominal and 4 % inflation: nominal annuity A = 50 x 0.08 /
    (1 - 1.08^-2) = 28.03846 (2027 interest 4, 2028 interest 0.08 x (50 - 24.03846) =
    2.07692). Deflated: interest 4 / 1.04 = 3.84615 and 2.07692 / 1.0816 = 1.92023,
    service 26.96006 and 25.92314. Tax 0.1 x (60 - 50 - 3.84615) = 0.61538 and 0.1 x
    (10 - 1.92023) = 0.80798; DSCR (60 - 0.61538) / 26.96006 = 2.20269 and (60 -
    0.80798) / 25.92314 = 2.28337."""
    terms = _terms(shares=[("j", "ru", 0.6, 0.0), ("j", "jp", 0.4, 0.0)],
                   finance=[("j", 0.5, 0.08, 2, 1, "annuity", "jbic", "")],
                   regimes=REGIMES, party_rows=PARTIES)
    terms = dataclasses.replace(terms, finance=terms.finance.assign(inflation=0.04))
    s, y = project_parties(FLOWS, terms, "j", 2027, 2)
    a = 50 * 0.08 / (1 - 1.08**-2)
    i = np.array([4 / 1.04, 0.08 * (50 - (a - 4)) / 1.0816])
    assert i == pytest.approx([3.84615, 1.92023], abs=5e-6)
    tax = y.groupby("year")["tax_musd"].sum()
    assert tax.loc[2027:2028].to_numpy() == pytest.approx(0.1 * (10 - i))
    dscr = (60 - 0.1 * (10 - i)) / np.array([a / 1.04, a / 1.0816])
    assert dscr == pytest.approx([2.20269, 2.28337], abs=5e-6)
    assert _row(s, "ru")["min DSCR"] == pytest.approx(dscr.min())
    assert _row(s, "ru")["avg DSCR"] == pytest.approx(dscr.mean())


def test_shares_tax_and_currency_by_hand():
    """Shares ru 0.6 (15 %, RUB) and jp 0.4 (8 %, JPY), no debt; the project's site is in
    the SEZ regime (10 %, although the default regime is 20 %). Tax depreciation 100 / 2
    = 50 in 2027 and 2028 (life 2 from first use 2027), so taxable profit 60 - 50 = 10 a
    year and tax 1.0 a year: ru pays 0.6, jp 0.4.
    ru: -60, 36 - 0.6 = 35.4, 35.4 MUSD; in RUB (its currency, whose rate its 15 % is):
    -60/0.0125 = -4800, 3540, 3540 -> NPV -4800 + 3540/1.15 + 3540/1.15^2 = +955.0 M RUB
    (the rouble falls from 80 to 100 per USD after 2026), which is 955.0 x 0.0125 =
    11.94 MUSD at the base year's rate (discounting the USD flows at the rouble rate gave
    -2.45: a loss in one column, a gain in the other). IRR: -4800 + 3540 x + 3540 x^2 = 0.
    jp: -40, 23.6, 23.6 (JPY flat) -> NPV at 8 % = -40 + 23.6/1.08 + 23.6/1.08^2 = 2.0850.
    Peak funding: -60 and -40 MUSD. Payback ru, in RUB: 4800 paid at the start of 2026,
    3540 in 2027 (cumulative -1260), then 1260/3540 of 2028 -> 2 + 1260/3540 years."""
    terms = _terms(shares=[("j", "ru", 0.6, 0.0), ("j", "jp", 0.4, 0.5)], regimes=REGIMES,
                   party_rows=PARTIES)
    s, y = project_parties(FLOWS, terms, "j", 2027, 2)
    ru, jp = _row(s, "ru"), _row(s, "jp")
    assert ru["NPV (M local)"] == pytest.approx(-4800 + 3540 / 1.15 + 3540 / 1.15**2)
    assert ru["NPV (MUSD)"] == pytest.approx(0.0125 * (-4800 + 3540 / 1.15 + 3540 / 1.15**2))
    assert ru["currency"] == "RUB" and jp["currency"] == "JPY"
    assert jp["NPV (MUSD)"] == pytest.approx(-40 + 23.6 / 1.08 + 23.6 / 1.08**2)
    assert ru["tax paid (MUSD)"] == pytest.approx(1.2) and jp["tax paid (MUSD)"] == (
        pytest.approx(0.8))
    assert ru["peak funding (MUSD)"] == pytest.approx(-60) and jp["peak funding (MUSD)"] == (
        pytest.approx(-40))
    assert ru["payback (yr)"] == pytest.approx(2 + 1260 / 3540)
    assert jp["equipment supply (MUSD)"] == pytest.approx(50.0)  # half the 100 capex
    x = 1 / (1 + ru["IRR"])
    assert -4800 + 3540 * x + 3540 * x**2 == pytest.approx(0.0, abs=1e-6)
    # outside the SEZ the default regime (20 %) applies: tax 2.0 a year in all
    s2, _ = project_parties(FLOWS, _terms(shares=[("j", "ru", 0.6, 0.0)], regimes=REGIMES,
                                          party_rows=PARTIES, site="elsewhere"), "j", 2027, 2)
    assert _row(s2, "ru")["tax paid (MUSD)"] == pytest.approx(0.6 * 2 * 0.2 * 10)
    ry = y[y["party"] == "ru"].set_index("year")
    assert ry.loc[2026, "flow_mlocal"] == pytest.approx(-4800)
    assert ry.loc[2027, "flow_mlocal"] == pytest.approx(3540)


def test_dscr_counts_the_repayment_years_inside_the_horizon():
    """As below but three repayments: A = 50 x 0.08 / (1 - 1.08^-3) = 19.4017 in 2027,
    2028 and 2029. The horizon ends with 2028 (no operating flow in 2029): the 2029
    payment has nothing to cover it in the stream, so its DSCR used to read 0. Inside:
    2027 (60 - 0.1 x (10 - 4)) / A = 3.0616, 2028 interest 0.08 x (50 - (A - 4)) =
    2.7679, (60 - 0.1 x (10 - 2.7679)) / A = 3.0552."""
    terms = _terms(shares=[("j", "ru", 1.0, 0.0)],
                   finance=[("j", 0.5, 0.08, 3, 1, "annuity", "jbic", "")],
                   regimes=REGIMES, party_rows=PARTIES)
    s, _ = project_parties(FLOWS, terms, "j", 2027, 2)
    a = 50 * 0.08 / (1 - 1.08**-3)
    i2 = 0.08 * (50 - (a - 4))
    dscr = [(60 - 0.1 * 6) / a, (60 - 0.1 * (10 - i2)) / a]
    assert _row(s, "ru")["min DSCR"] == pytest.approx(min(dscr))
    assert _row(s, "ru")["avg DSCR"] == pytest.approx(np.mean(dscr))


def test_dscr_counts_repayment_years_after_the_plant_has_closed_inside_the_horizon():
    """A plant with a 2-year life inside a horizon that ends with 2031 (the stream runs to
    2032, the year after it; no residual value, as the life is over): capex 100 at the
    start of 2026, operating 60 in 2027 and 2028, nothing in 2029-2031. Half borrowed at
    8 %, one year of grace, four equal principal repayments of 12.5 (no tax):

    year  balance before  interest  principal  service  operating  DSCR
    2027  50              4.0       12.5       16.5     60         60 / 16.5 = 3.6364
    2028  37.5            3.0       12.5       15.5     60         60 / 15.5 = 3.8710
    2029  25              2.0       12.5       14.5      0          0
    2030  12.5            1.0       12.5       13.5      0          0

    min 0, average (3.6364 + 3.8710) / 4 = 1.8768: the loan outlives the plant inside the
    horizon and nothing pays 2029-2030. The horizon's end was read from the last year with
    an operating flow (2029), so 2029-2030 were left out: min 3.636, average 3.754."""
    flows = pd.DataFrame({"year": range(2026, 2033),
                          "operating_musd": [0.0, 60.0, 60.0, 0.0, 0.0, 0.0, 0.0],
                          "capex_musd": [-100.0] + [0.0] * 6, "residual_musd": [0.0] * 7})
    terms = _terms(shares=[("j", "ru", 1.0, 0.0)],
                   finance=[("j", 0.5, 0.08, 4, 1, "equal_principal", "jbic", "")],
                   party_rows=PARTIES)
    s, y = project_parties(flows, terms, "j", 2027, 2)
    lend = y[y["party"] == "jbic"].set_index("year")
    assert -lend.loc[2027:2030, "interest_musd"].to_numpy() == pytest.approx([4, 3, 2, 1])
    assert -lend.loc[2027:2030, "principal_musd"].to_numpy() == pytest.approx([12.5] * 4)
    assert _row(s, "ru")["min DSCR"] == pytest.approx(0.0)
    assert _row(s, "ru")["avg DSCR"] == pytest.approx((60 / 16.5 + 60 / 15.5) / 4)


def test_the_system_party_discounts_as_the_case_does():
    """A case with explicit period weights: p1 = 2026 weighs 0.9, p2 = 2027-2028 weighs
    1.6, so d(2026) = 0.9 and d(2027) = d(2028) = 0.8. The project (no shares: the
    system party, no tax, no debt) is worth -100 x 0.9 + 60 x 0.8 x 2 = 6.0, its
    incremental NPV; at (1 + r)^-(y - y0) it read -100 + 60/1.1 + 60/1.21 = 4.13."""
    disc = Discounting(rate=0.10, base_year=2026, timing="start", starts=(2026, 2027),
                       lengths=(1, 2), explicit=(0.9, 1.6))
    terms = dataclasses.replace(_terms(), disc=disc)
    s, _ = project_parties(FLOWS, terms, "j", 2027, 2)
    assert _row(s, parties.SYSTEM)["NPV (MUSD)"] == pytest.approx(-100 * 0.9 + 60 * 0.8 * 2)


def test_debt_service_and_dscr_by_hand():
    """As above with half the capex borrowed from jbic at 8 %, one year of grace, two
    annuity repayments: D = 50 in 2026; A = 50 x 0.08 / (1 - 1.08^-2) = 28.0385;
    2027 interest 4, principal 24.0385; 2028 interest 2.0769, principal 25.9615.
    Tax (SEZ 10 %) on 60 - 50 - interest: 2027 0.1 x 6 = 0.6, 2028 0.1 x 7.9231 = 0.79231.
    ru (0.6): 2026 0.6 x (-100 + 50) = -30; 2027 0.6 x (60 - 28.0385) - 0.36 = 18.8169;
    2028 0.6 x 31.9615 - 0.47538 = 18.7015. The lender: -50, +28.0385, +28.0385, worth 0
    at its own 8 %. DSCR = (60 - tax) / 28.0385: 2.1185 and 2.1117."""
    terms = _terms(shares=[("j", "ru", 0.6, 0.0), ("j", "jp", 0.4, 0.0)],
                   finance=[("j", 0.5, 0.08, 2, 1, "annuity", "jbic", "")],
                   regimes=REGIMES, party_rows=PARTIES)
    s, y = project_parties(FLOWS, terms, "j", 2027, 2)
    a = 50 * 0.08 / (1 - 1.08**-2)
    i2 = 0.08 * (50 - (a - 4))
    ru = y[y["party"] == "ru"].set_index("year")["flow_musd"]
    assert ru.loc[2026] == pytest.approx(-30.0)
    assert ru.loc[2027] == pytest.approx(0.6 * (60 - a) - 0.6 * 0.1 * 6)
    assert ru.loc[2028] == pytest.approx(0.6 * (60 - a) - 0.6 * 0.1 * (10 - i2))
    lender = _row(s, "jbic", "lender")
    assert lender["NPV (MUSD)"] == pytest.approx(0.0, abs=1e-9)
    assert lender["IRR"] == pytest.approx(0.08, abs=1e-9)
    dscr = [(60 - 0.6) / a, (60 - 0.1 * (10 - i2)) / a]
    assert _row(s, "ru")["min DSCR"] == pytest.approx(min(dscr))
    assert _row(s, "ru")["avg DSCR"] == pytest.approx(np.mean(dscr))
    # every year: the parties' flows + the lender's + the tax = the project's flow
    tot = y.groupby("year")[["flow_musd", "tax_musd"]].sum().sum(axis=1)
    assert tot.to_numpy() == pytest.approx((FLOWS["operating_musd"] + FLOWS["capex_musd"])
                                           .to_numpy())


def test_losses_carried_forward_and_implicit_system_party():
    """Operating 20 then 100 with depreciation 50 a year: taxable -30, then 50 - 30 carried
    = 20, so tax 0 then 2.0 at 10 %. With no shares the project has one party, 'system',
    at the case's 10 %: NPV = -100 + 18/1.1 + 98/1.21 (the tax is its only deduction)."""
    flows = FLOWS.assign(operating_musd=[0.0, 20.0, 100.0, 0.0])
    s, y = project_parties(flows, _terms(regimes=[("sez", 0.10, "sez")]), "j", 2027, 2)
    sys_ = _row(s, parties.SYSTEM)
    assert y.set_index("year")["tax_musd"].loc[2027:2028].to_numpy() == pytest.approx([0, 2])
    assert sys_["NPV (MUSD)"] == pytest.approx(-100 + 20 / 1.1 + 98 / 1.21)
    assert sys_["discount rate"] == pytest.approx(0.10)


# FLOWS' project as one build: 100 spent in 2026 (lead time 1), in use 2027-2028
BUILD = pd.DataFrame({"overnight_musd": [100.0], "first_use_year": [2027],
                      "lifetime_yr": [2.0], "lead_time_yr": [1]})


def _books_inflation(terms: Terms, j: float) -> Terms:
    return dataclasses.replace(terms, regimes=terms.regimes.assign(inflation=j))


def test_tax_books_in_money_of_each_year_depreciate_the_historic_cost():
    """FLOWS' project (100 spent in 2026, the base year; operating 60 in 2027 and 2028;
    life 2; SEZ 10 %), its regime's books kept in money inflating 4 % a year. The
    historic cost is 100 of 2026 money, depreciated 50 a year in money of each year:
    in the case's money 50 / 1.04 = 48.07692 in 2027 and 50 / 1.0816 = 46.22781 in
    2028. Taxable 60 - 48.07692 = 11.92308 and 13.77219: tax 1.19231 and 1.37722 (1.0
    a year with the books in the case's money, inflation 0, or no column at all)."""
    terms = _terms(regimes=REGIMES)
    _, y = project_parties(FLOWS, _books_inflation(terms, 0.04), "j", builds=BUILD)
    tax = y.set_index("year")["tax_musd"].loc[2027:2028].to_numpy()
    assert tax == pytest.approx([0.1 * (60 - 50 / 1.04), 0.1 * (60 - 50 / 1.0816)])
    assert tax == pytest.approx([1.19231, 1.37722], abs=5e-6)
    for t in (terms, _books_inflation(terms, 0.0)):
        _, y0 = project_parties(FLOWS, t, "j", builds=BUILD)
        assert y0.set_index("year")["tax_musd"].loc[2027:2028].to_numpy() == (
            pytest.approx([1.0, 1.0]))


def test_a_loss_carried_forward_keeps_its_amount_in_books_that_inflate():
    """Operating 20 then 100 (test_losses_carried_forward_and_implicit_system_party),
    books inflating 4 % a year. In money of each year: 2027 20 x 1.04 - 50 = -29.2, a
    loss carried forward at its amount; 2028 100 x 1.0816 - 50 - 29.2 = 28.96, tax
    2.896 of 2028 money, 2.896 / 1.0816 = 2.67751 in the case's. (A loss carried in the
    case's money, 28.07692, would leave 100 - 46.22781 - 28.07692 and 2.56953 of tax.)"""
    flows = FLOWS.assign(operating_musd=[0.0, 20.0, 100.0, 0.0])
    terms = _books_inflation(_terms(regimes=[("sez", 0.10, "sez")]), 0.04)
    _, y = project_parties(flows, terms, "j", builds=BUILD)
    tax = y.set_index("year")["tax_musd"].loc[2027:2028].to_numpy()
    assert tax == pytest.approx([0.0, 0.1 * (108.16 - 50 - 29.2) / 1.0816])
    assert tax[1] == pytest.approx(2.67751, abs=5e-6)


def test_the_historic_cost_counts_each_construction_years_money():
    """100 spent evenly in 2026 and 2027 (lead time 2), in use from 2028 for 4 years,
    books inflating 4 %: the historic cost is 50 + 50 x 1.04 = 102 of nominal money, 25.5
    a year of it; in the case's money (base 2026) 25.5 / 1.04^2 = 23.57618 in 2028 and
    25.5 / 1.04^5 = 20.95914 in 2031; nothing after 2031 or from 2031 on with the horizon
    ending 2031. At 0 inflation it is 25 a year."""
    b = pd.DataFrame({"overnight_musd": [100.0], "first_use_year": [2028],
                      "lifetime_yr": [4.0], "lead_time_yr": [2]})
    years = np.arange(2026, 2034)
    dep = parties.depreciation(b, years, 2040, 0.04)
    hand = [0, 0, *(25.5 / 1.04 ** (y - 2026) for y in range(2028, 2032)), 0, 0]
    assert dep == pytest.approx(hand)
    assert dep[2] == pytest.approx(23.57618, abs=5e-6)
    assert dep[5] == pytest.approx(20.95914, abs=5e-6)
    assert parties.depreciation(b, years, 2031, 0.04)[5:] == pytest.approx([0, 0, 0])
    assert parties.depreciation(b, years, 2040) == pytest.approx([0, 0, 25, 25, 25, 25, 0, 0])


def test_the_readmes_tax_book_example_needs_its_lead_time():
    """README *Tax*: "100 spent in the base year, life 2, at 4 %: depreciation 50 / 1.04
    = 48.08 and 50 / 1.0816 = 46.23". By hand, the historic cost 100 is written off 50 a
    year of money of each year, in the case's money 50 / 1.04^(y - 2026): with lead time
    1 (used in 2027 and 2028) 48.08 and 46.23, the README's figures; with lead time 0,
    the README's default (used in 2026 and 2027), 50 and 48.08. Review s26 F3: the
    sentence left the lead time out, so its figures read as those of lead time 0. The
    README now says lead time 1 and gives lead time 0's figures beside. Review s26 F6:
    the sentence before it said depreciation "keeps its dollar value whatever the rouble
    does", which holds only without `inflation` (then 50 and 50, lead time 1); the FX
    path never enters :func:`parties.depreciation` (it takes no FX), so the regime's
    inflation is the only erosion, as the README now says."""
    years = np.arange(2026, 2030)
    for lead, hand in ((1, [0, 50 / 1.04, 50 / 1.0816, 0]), (0, [50, 50 / 1.04, 0, 0])):
        b = pd.DataFrame({"overnight_musd": [100.0], "first_use_year": [2026 + lead],
                          "lifetime_yr": [2.0], "lead_time_yr": [lead]})
        assert parties.depreciation(b, years, 2040, 0.04) == pytest.approx(hand)
    readme = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text(
        encoding="utf-8").split())
    assert ("100 spent in the base year on a build first used the year after the spend "
            "(lead time 1: used in the two years after the base year), life 2, at 4 %: "
            "depreciation 50 / 1.04 = 48.08 and 50 / 1.0816 = 46.23 of the case's money "
            "(with lead time 0 it is used from the base year: 50 and 50 / 1.04 = 48.08)"
            ) in readme
    b = pd.DataFrame({"overnight_musd": [100.0], "first_use_year": [2027],
                      "lifetime_yr": [2.0], "lead_time_yr": [1]})
    assert parties.depreciation(b, years, 2040) == pytest.approx([0, 50, 50, 0])
    assert "keeps its dollar value" not in readme
    assert ("the FX path never touches the books, so a regime's `inflation`, below, is the "
            "only erosion of depreciation") in readme


# capex 100 at the start of 2026; +60 operating a year in 2027-2033; horizon ends 2034
LONG = pd.DataFrame({"year": list(range(2026, 2035)),
                     "operating_musd": [0.0, *[60.0] * 7, 0.0],
                     "capex_musd": [-100.0, *[0.0] * 8],
                     "residual_musd": [0.0] * 9})


def test_a_tax_holiday_and_reduced_years_count_from_the_first_profit():
    """The SEZ regime: 20 %, but 0 % for 2 years, then 10 % for 3 years, from the first
    year of taxable profit. Depreciation 100 / 5 = 20 a year 2027-2031, so taxable profit
    60 - 20 = 40 in 2027-2031 and 60 in 2032-2033; the first profit is in 2027.
    Tax (100 %): 2027 0, 2028 0 (holiday); 2029-2031 0.1 x 40 = 4 each (reduced);
    2032-2033 0.2 x 60 = 12 each (the regime's rate): 36 in all, against 0.2 x (5 x 40 +
    2 x 60) = 64 without the holiday. The system party at 10 %: NPV = -100 + sum of
    (60 - tax_y) / 1.1^(y - 2026)."""
    regimes = [("sez", 0.20, "sez", 2, 0.10, 3)]
    s, y = project_parties(LONG, _terms(regimes=regimes), "j", 2027, 5)
    tax = y.set_index("year")["tax_musd"].loc[2027:2033].to_numpy()
    assert tax == pytest.approx([0, 0, 4, 4, 4, 12, 12])
    sys_ = _row(s, parties.SYSTEM)
    assert sys_["tax paid (MUSD)"] == pytest.approx(36.0)
    hand = -100 + sum((60 - t) / 1.1 ** (k + 1) for k, t in enumerate([0, 0, 4, 4, 4, 12, 12]))
    assert sys_["NPV (MUSD)"] == pytest.approx(hand)
    # a party at 60 % pays 60 % of each year's tax; its regime has the same schedule
    s2, _ = project_parties(LONG, _terms(shares=[("j", "ru", 0.6, 0.0)], regimes=regimes,
                                          party_rows=PARTIES), "j", 2027, 5)
    assert _row(s2, "ru")["tax paid (MUSD)"] == pytest.approx(0.6 * 36.0)


def test_the_holiday_starts_in_the_first_year_of_profit_and_losses_are_used_in_it():
    """Operating 10 in 2027 (taxable 10 - 20 = -10: a loss carried forward), then 60:
    the first profit is 2028, so the 2-year holiday is 2028-2029 (not 2027-2028) and the
    10 % years 2030-2032; the 10 loss is set against 2028's profit of 40, inside the
    holiday (the conservative reading). Tax: 2027 0, 2028 0, 2029 0, 2030-2031 0.1 x 40
    = 4, 2032 0.1 x 60 = 6 (depreciation ended in 2031), 2033 0.2 x 60 = 12."""
    flows = LONG.assign(operating_musd=[0.0, 10.0, *[60.0] * 6, 0.0])
    _, y = project_parties(flows, _terms(regimes=[("sez", 0.20, "sez", 2, 0.10, 3)]),
                           "j", 2027, 5)
    tax = y.set_index("year")["tax_musd"].loc[2027:2033].to_numpy()
    assert tax == pytest.approx([0, 0, 0, 4, 4, 6, 12])


def test_a_rouble_loan_runs_in_roubles():
    """60 % of a 100 MUSD spend in 2026 borrowed in RUB at 10 % (a rouble rate), equal
    principal, one year of grace, two repayments; 80 RUB/USD in 2026 (0.0125), 100 from
    2027 (0.01). In roubles: 4,800 M RUB drawn; 2027 interest 480 + principal 2,400;
    2028 interest 240 + principal 2,400. In USD at each year's rate: drawn 60; 2027
    4.8 + 24; 2028 2.4 + 24 (a USD loan at 10 % would cost 6 + 30 and 3 + 30).
    The lender (RUB, 10 %) earns exactly its rate in roubles: NPV in M RUB
    -4,800 + 2,880 / 1.1 + 2,640 / 1.21 = 0. The owner ('system', 10 %, no tax):
    -100 + 60 = -40, 60 - 28.8 = 31.2, 60 - 26.4 = 33.6."""
    terms = _terms(finance=[("j", 0.6, 0.10, 2, 1, "equal_principal", "bank", "")],
                   party_rows=[("bank", 0.10, "RUB", "")])
    terms = dataclasses.replace(terms, finance=terms.finance.assign(currency="RUB"))
    s, y = project_parties(FLOWS, terms, "j", 2027, 2)
    bank = y[y["party"] == "bank"].set_index("year")
    assert bank.loc[2026:2028, "flow_musd"].to_numpy() == pytest.approx([-60, 28.8, 26.4])
    assert bank.loc[2026:2028, "flow_mlocal"].to_numpy() == pytest.approx([-4800, 2880, 2640])
    lender = _row(s, "bank", "lender")
    assert lender["NPV (M local)"] == pytest.approx(0.0, abs=1e-9)
    # one value in two currencies: 0 M RUB is 0 MUSD, and the bank's IRR in roubles is
    # the loan's 10 % (in USD the falling rouble would make it a loss)
    assert lender["NPV (MUSD)"] == pytest.approx(0.0, abs=1e-9)
    assert lender["IRR"] == pytest.approx(0.10, abs=1e-9)
    own = y[y["party"] == parties.SYSTEM].set_index("year")
    assert own.loc[2027:2028, "interest_musd"].to_numpy() == pytest.approx([4.8, 2.4])
    assert own.loc[2027:2028, "principal_musd"].to_numpy() == pytest.approx([24, 24])
    assert _row(s, parties.SYSTEM)["NPV (MUSD)"] == pytest.approx(
        -40 + 31.2 / 1.1 + 33.6 / 1.21)
    # the same loan in USD (the default) costs 6 + 30 and 3 + 30
    usd = dataclasses.replace(terms, finance=terms.finance.assign(currency="USD"))
    _, yu = project_parties(FLOWS, usd, "j", 2027, 2)
    bu = yu[yu["party"] == "bank"].set_index("year")
    assert bu.loc[2026:2028, "flow_musd"].to_numpy() == pytest.approx([-60, 36, 33])


def test_the_holiday_waits_for_the_plant_to_run():
    """A project whose effect on the rest of the chain earns 30 in 2027 (say, a spend
    it lets another unit avoid) while its own plant runs from 2028 (first use; then 60 a
    year, depreciation 100 / 5 = 20 from 2028). Taxable: 2027 30 (no depreciation yet),
    2028-2032 40, 2033 60. The 2-year holiday rewards the plant's first profit, 2028:
    0 % in 2028-2029, 10 % in 2030-2032 (4 each), 20 % after (2033: 12); 2027's 30,
    before the plant runs, pays the regime's 20 %: 6. (Counted from 2027, the holiday
    would have covered 2027-2028 and the 10 % years 2029-2031.)"""
    flows = LONG.assign(operating_musd=[0.0, 30.0, *[60.0] * 6, 0.0])
    _, y = project_parties(flows, _terms(regimes=[("sez", 0.20, "sez", 2, 0.10, 3)]),
                           "j", 2028, 5)
    tax = y.set_index("year")["tax_musd"].loc[2027:2033].to_numpy()
    assert tax == pytest.approx([6, 0, 0, 4, 4, 4, 12])


# capex 100 at the start of 2026, used from 2026 for 10 years (depreciation 10 a year);
# +30 operating a year in 2026-2030; the horizon ends after 2030, so 2031 holds the
# residual value R (here given, 60): 5 of the 10 years are deducted, B = 50 is left
SALE = pd.DataFrame({"year": list(range(2026, 2032)),
                     "operating_musd": [30.0] * 5 + [0.0],
                     "capex_musd": [-100.0, *[0.0] * 5],
                     "residual_musd": [0.0] * 5 + [60.0]})
TEN = pd.DataFrame({"overnight_musd": [100.0], "first_use_year": [2026],
                    "lifetime_yr": [10.0], "lead_time_yr": [0]})


def _sale_tax(flows, regimes, **kw):
    """The yearly tax (2026-2031, 100 %, the system party) and the summary of SALE's
    project, one build of TEN, under ``regimes``."""
    s, y = project_parties(flows, _terms(regimes=regimes, **kw), "j", builds=TEN)
    return y[y["party"] == parties.SYSTEM].set_index("year")["tax_musd"].loc[
        2026:2031].to_numpy(), s


def test_the_residual_value_is_a_sale_taxed_on_its_gain_over_the_book_value():
    """Tax 20 %. 2026-2030: 30 - 10 = 20 taxable, 4 a year. The residual value is the
    project sold at R on the horizon's last day, booked in 2031 (R's year): the tax
    books hold 100 - 5 x 10 = 50 then, never deducted (depreciation stops with the
    horizon), so 2031's taxable profit is R - 50.

    * R = 60: tax 0.2 x (60 - 50) = 2; 22 in all; the system party at 10 %:
      NPV = -100 + sum_{k<5} 26 / 1.1^k + (60 - 2) / 1.1^5. (Before: R untaxed, 2031's
      tax 0, 20 in all.)
    * R = 40, no other profit in 2031: taxable 40 - 50 = -10, a loss carried forward
      (nothing after it to set it against): tax 0, not a refund of -2.
    * R = 40 and 30 of operating flow in 2031 (other profit that year): taxable
      30 + 40 - 50 = 20, tax 4 (6 without the loss; 6 before, when the books' 50 were
      never deducted).
    * Debt (half of the 100 at 10 %, three equal repayments 2027-2029): the cover of
      the repayment years, all before 2031, is that of R = 0."""
    std = [("std", 0.20, "sez")]
    tax, s = _sale_tax(SALE, std)
    assert tax == pytest.approx([4, 4, 4, 4, 4, 2])
    sys_ = _row(s, parties.SYSTEM)
    assert sys_["tax paid (MUSD)"] == pytest.approx(22.0)
    hand = -100 + sum(26 / 1.1**k for k in range(5)) + 58 / 1.1**5
    assert sys_["NPV (MUSD)"] == pytest.approx(hand)
    low = SALE.assign(residual_musd=[0.0] * 5 + [40.0])
    tax, s = _sale_tax(low, std)
    assert tax == pytest.approx([4, 4, 4, 4, 4, 0])
    assert _row(s, parties.SYSTEM)["tax paid (MUSD)"] == pytest.approx(20.0)
    tax, _ = _sale_tax(low.assign(operating_musd=[30.0] * 6), std)
    assert tax == pytest.approx([4, 4, 4, 4, 4, 4])
    loan = [("j", 0.5, 0.10, 3, 1, "equal_principal", "bank", "")]
    covers = {r: _row(_sale_tax(SALE.assign(residual_musd=[0.0] * 5 + [r]), std,
                                finance=loan)[1], parties.SYSTEM)[["min DSCR", "avg DSCR"]]
              for r in (0.0, 40.0, 60.0)}
    assert covers[60.0].to_numpy(float) == pytest.approx(covers[0.0].to_numpy(float))
    assert covers[40.0].to_numpy(float) == pytest.approx(covers[0.0].to_numpy(float))


def test_the_sale_uses_losses_carried_forward_and_the_holiday_in_force():
    """SALE's project under a zone regime (20 %; holiday h years at 0 %, then n at 10 %,
    from the first profit of the plant's activity).

    * h = 10, n = 0: the first profit is 2026's (30 - 10 = 20), so 2026-2035 are the
      holiday: tax 0 in 2026-2030; the sale in 2031 falls in it, but its gain of 10 is
      no profit of the zone's activity: the standard 20 %, 2 (review fin6 F1: it was
      untaxed).
    * h = 3, n = 5: 0 % in 2026-2028, 10 % in 2029-2033: 2 in 2029 and 2030, and the
      sale in 2031 at the standard rate, 0.2 x (60 - 50) = 2 (it was 1, at 10 %).
    * h = 2, n = 0, operating 5 a year (taxable -5 a year 2026-2030: 25 of losses
      carried forward) and R = 90: the plant never makes a profit, so there is no
      holiday (the sale's gain is no profit of its activity and does not start one):
      2031 pays 0.2 x (90 - 50 - 25) = 3. (Were the sale to start the holiday, 0.)"""
    tax, _ = _sale_tax(SALE, [("sez", 0.20, "sez", 10, 0.10, 0)])
    assert tax == pytest.approx([0] * 5 + [2])
    tax, _ = _sale_tax(SALE, [("sez", 0.20, "sez", 3, 0.10, 5)])
    assert tax == pytest.approx([0, 0, 0, 2, 2, 2])
    thin = SALE.assign(operating_musd=[5.0] * 5 + [0.0], residual_musd=[0.0] * 5 + [90.0])
    tax, _ = _sale_tax(thin, [("sez", 0.20, "sez", 2, 0.10, 0)])
    assert tax == pytest.approx([0, 0, 0, 0, 0, 3])


def test_the_book_value_left_at_the_horizon_end_by_hand():
    """:func:`parties.book_value` at ``end`` = 2031 (in the case's money of 2031):
    TEN (100 from 2026, life 10): 5 years left, 50. A build whose life ended before
    2031 (100 from 2026, life 4): 0. One first used in 2031: all of it, 100. An avoided
    build (-50, from 2029, life 5): 3 years left, -30. Books inflating 4 %: TEN's 50
    left are nominal, 50 / 1.04^5 = 41.09636 of 2031's case money; 100 spent evenly in
    2026-2027 (lead time 2; historic cost 50 + 50 x 1.04 = 102 nominal, 25.5 a year),
    used 2028-2031: 25.5 left, 25.5 / 1.04^5 = 20.95914."""
    def b(cost, first, life, lead=0):
        return pd.DataFrame({"overnight_musd": [cost], "first_use_year": [first],
                             "lifetime_yr": [float(life)], "lead_time_yr": [lead]})

    assert parties.book_value(TEN, 2031) == pytest.approx(50.0)
    assert parties.book_value(b(100.0, 2026, 4), 2031) == pytest.approx(0.0)
    assert parties.book_value(b(100.0, 2031, 4), 2031) == pytest.approx(100.0)
    assert parties.book_value(b(-50.0, 2029, 5), 2031) == pytest.approx(-30.0)
    assert parties.book_value(pd.concat([TEN, b(-50.0, 2029, 5)]), 2031) == (
        pytest.approx(20.0))
    assert parties.book_value(TEN, 2031, 0.04) == pytest.approx(50 / 1.04**5)
    assert parties.book_value(TEN, 2031, 0.04) == pytest.approx(41.09636, abs=5e-6)
    assert parties.book_value(b(100.0, 2028, 4, 2), 2031, 0.04) == pytest.approx(
        20.95914, abs=5e-6)
    assert parties.book_value(TEN.iloc[:0], 2031) == 0.0


def test_the_sale_in_books_that_inflate_deducts_the_nominal_book_value():
    """SALE's project (100 spent and first used in 2026, the base year; life 10; tax
    20 %), its regime's books kept in money inflating 4 % a year. 2026-2030: taxable
    30 x 1.04^k - 10 in money of each year (k = y - 2026), tax 0.2 x (30 - 10 /
    1.04^k) of the case's money. 2031: the sale at R = 60 of the case's money is
    60 x 1.04^5 = 72.99917 of 2031's, the book value left 50 nominal: tax 0.2 x
    22.99917 = 4.59983 of 2031's money, 4.59983 / 1.04^5 = 3.78073 of the case's (2 with
    the books in the case's money)."""
    terms = _books_inflation(_terms(regimes=[("std", 0.20, "sez")]), 0.04)
    _, y = project_parties(SALE, terms, "j", builds=TEN)
    tax = y.set_index("year")["tax_musd"].loc[2026:2031].to_numpy()
    hand = [0.2 * (30 - 10 / 1.04**k) for k in range(5)]
    assert tax[:5] == pytest.approx(hand)
    assert tax[5] == pytest.approx(0.2 * (60 * 1.04**5 - 50) / 1.04**5)
    assert tax[5] == pytest.approx(3.78073, abs=5e-6)


def test_an_avoided_build_takes_its_book_value_with_it():
    """SALE's project (tax 20 %, R = 40 in 2031) induces a build of 20 first used in 2028
    (life 4: 5 a year 2028-2031) and avoids one of 50 first used in 2029 (life 5: -10 a
    year 2029-2033, the deductions the chain without it would have had). Book values
    left in 2031: 50 (its own) + 5 (the induced one's 2031) - 30 (the avoided one's
    2031-2033) = 25. Tax: 2026-2027 0.2 x (30 - 10) = 4; 2028 0.2 x (30 - 15) = 3;
    2029-2030 0.2 x (30 - 15 + 10) = 5; 2031 0.2 x (40 - 25) = 3. (R untaxed: 0 in
    2031; with the avoided build's book value kept, 0.2 x (40 - 55) < 0: 0.)"""
    others = pd.DataFrame({"overnight_musd": [20.0, -50.0], "first_use_year": [2028, 2029],
                           "lifetime_yr": [4.0, 5.0], "lead_time_yr": [0, 0]})
    flows = SALE.assign(residual_musd=[0.0] * 5 + [40.0])
    _, y = project_parties(flows, _terms(regimes=[("std", 0.20, "sez")]), "j", builds=TEN,
                           others=others)
    tax = y.set_index("year")["tax_musd"].loc[2026:2031].to_numpy()
    assert tax == pytest.approx([4, 4, 3, 5, 5, 3])


def test_compare_writes_party_economics_on_a_case(tmp_path):
    """End to end on the small chain's port project (25 MUSD, valued at the case's 10 %):
    owner a (60 %) at 10 % and owner b (40 %) at 10 %, no debt, no tax: each party's
    yearly flow is its share of the project's incremental flow, so its NPV is its share
    of the incremental NPV (the objective difference), and the CLI prints the section."""
    import shutil

    import yaml
    from typer.testing import CliRunner

    from chainopt import api
    from chainopt.case.load import resolve_case_path
    from chainopt.cli import app

    case = tmp_path / "small"
    shutil.copytree(resolve_case_path("small_chain"), case)
    (case / "parties.csv").write_text("party,discount_rate,currency\na,0.10,USD\nb,0.10,RUB\n")
    (case / "fx_rates.csv").write_text("currency,usd_per_unit\nRUB,0.01\n")
    (case / "project_shares.csv").write_text(
        "project,party,share\nfar_east_port,a,0.6\nfar_east_port,b,0.4\n")
    scen = tmp_path / "port.yaml"
    scen.write_text(yaml.safe_dump({"base": str(case), "changes": [
        {"project": "far_east_port", "state": "optional"}]}))
    sections, _, _ = api.compare([str(case), str(scen)], out=tmp_path / "res")
    pe = sections["party_economics"].set_index("party")
    npv = sections["economics"].set_index("effect").loc["far_east_port",
                                                        "incremental NPV (MUSD)"]
    assert npv > 0
    assert pe.loc["a", "NPV (MUSD)"] == pytest.approx(0.6 * npv, rel=1e-9)
    assert pe.loc["b", "NPV (MUSD)"] == pytest.approx(0.4 * npv, rel=1e-9)
    assert pe.loc["b", "NPV (M local)"] == pytest.approx(0.4 * npv / 0.01, rel=1e-9)
    res = CliRunner().invoke(app, ["compare", str(case), str(scen), "--out",
                                   str(tmp_path / "cli")])
    assert res.exit_code == 0, res.output
    assert "parties" in res.output
    # b's IRR is of its flows in roubles: the printed party table names the currency
    row = next(ln for ln in res.output.splitlines() if "│ b " in ln)
    assert "RUB" in row
    assert (next((tmp_path / "cli").glob("compare-*")) / "party_economics.csv").is_file()


def test_compare_splits_a_project_with_debt_and_tax_by_hand(tmp_path):
    """End to end: periods 2026 and 2027-2031 at 10 %; project pj (10 MUSD, lead time 1,
    life 5) built in 2026 runs 10 kt/yr at a margin of 300 USD/t in 2027-2031 (3 MUSD a
    year); the horizon ends with 2031, the life with it: no residual value.
    Project: -10, then 3 a year: NPV = -10 + 3 x 3.790787 = 1.372360, IRR 15.24 %
    (-10 + 3 sum_{k=1}^{5} x^k = 0), payback 1 + 10/3 = 4.333 years.
    Half borrowed from bank at 10 %, one year of grace, two annuity repayments
    A = 5 x 0.1 / (1 - 1.1^-2) = 2.880952; default tax regime 20 %, depreciation 10 / 5 = 2:

    year  interest  principal  tax 0.2 x (3 - 2 - interest)  equity (100 %)
    2026  0         0          0                             -10 + 5 = -5
    2027  0.5       2.380952   0.1                           3 - A - 0.1 = 0.019048
    2028  0.261905  2.619048   0.147619                      3 - A - 0.147619 = -0.028571
    2029-2031                  0.2                           2.8

    a (60 %, 12 %): -3, 0.011429, -0.017143, 1.68 x 3: NPV 0.213276; payback from 2026:
    -3.005714 after 2028, recovered after 1.325714 / 1.68 of 2030: 4.789 years.
    b (40 %, 10 %): NPV -2 + 0.007619/1.1 - 0.011429/1.21 + 1.12 x 2.055249 = 0.299361.
    bank (10 %): worth 0, IRR 10 %. DSCR (3 - tax) / A: 1.006612 (2027), 0.990083 (2028).
    At the case's 10 %, all the equity (-5 + 0.019048/1.1 - 0.028571/1.21 + 2.8 x 2.055249
    = 0.748402), the tax (0.1/1.1 + 0.147619/1.21 + 0.2 x 2.055249 = 0.623959) and the
    bank (0) add up to the project's 1.372360."""
    import yaml

    from chainopt import api
    from tests.toycase import FEED_TO_PRODUCT, write_case

    case = write_case(tmp_path / "case", {
        **FEED_TO_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr,project\nnew,plant,make,10,pj",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state\npj,10,p1,5,1,true,off",
        "parties": "party,discount_rate,currency\na,0.12,USD\nb,0.10,USD\nbank,0.10,USD",
        "project_shares": "project,party,share\npj,a,0.6\npj,b,0.4",
        "project_finance": "project,debt_share,interest_rate,tenor_yr,grace_yr,repayment,"
                           "lender\npj,0.5,0.10,2,1,annuity,bank",
        "tax_regimes": "regime,profit_tax_rate,sites\nstd,0.2,",
    }, discount_rate=0.1, periods=[{"period": "p1", "start_year": 2026, "length_yr": 1},
                                   {"period": "p2", "start_year": 2027, "length_yr": 5}])
    scen = tmp_path / "pj.yaml"
    scen.write_text(yaml.safe_dump({"base": str(case), "changes": [
        {"project": "pj", "state": "optional"}]}))
    sections, _, _ = api.compare([str(case), str(scen)], out=tmp_path / "res")
    eco = sections["economics"].set_index("effect").loc["pj"]
    assert eco["incremental NPV (MUSD)"] == pytest.approx(1.372360, abs=1e-6)
    assert eco["IRR"] == pytest.approx(0.152382, abs=1e-6)
    assert eco["payback (yr)"] == pytest.approx(1 + 10 / 3)
    pe = sections["party_economics"].set_index("party")
    assert pe.loc["a", "NPV (MUSD)"] == pytest.approx(0.213276, abs=1e-6)
    assert pe.loc["b", "NPV (MUSD)"] == pytest.approx(0.299361, abs=1e-6)
    assert pe.loc["a", "payback (yr)"] == pytest.approx(4 + 1.325714 / 1.68, abs=1e-6)
    assert pe.loc["bank", "NPV (MUSD)"] == pytest.approx(0.0, abs=1e-9)
    assert pe.loc["bank", "IRR"] == pytest.approx(0.10, abs=1e-9)
    assert pe.loc["a", "min DSCR"] == pytest.approx(0.990083, abs=1e-6)
    assert pe.loc["a", "avg DSCR"] == pytest.approx((1.006612 + 0.990083) / 2, abs=1e-6)
    assert pe.loc["a", "tax paid (MUSD)"] + pe.loc["b", "tax paid (MUSD)"] == pytest.approx(
        0.1 + 0.147619 + 0.6, abs=1e-6)
    # the identity at the case's rate: equity + tax + lender = the project, in PV
    pf = sections["party_cashflows"]
    d = 1.1 ** -(pf["year"] - 2026)
    equity = (pf["flow_musd"] * d)[pf["party"].isin(["a", "b"])].sum()
    tax = (pf["tax_musd"] * d).sum()
    bank = (pf["flow_musd"] * d)[pf["party"] == "bank"].sum()
    assert equity == pytest.approx(0.748402, abs=1e-6)
    assert tax == pytest.approx(0.623959, abs=1e-6)
    assert equity + tax + bank == pytest.approx(eco["incremental NPV (MUSD)"], abs=1e-9)


def test_each_tranche_is_depreciated_from_its_own_first_year_of_use(tmp_path):
    """End to end: periods 2026-2028, 2029-2032, 2033-2035 at 10 % (start of year).
    Project pj (10 MUSD for 10 kt/yr, divisible, no lead time, life 10, fixed O&M 20
    USD per t/yr) makes product at a margin of 300 USD/t; sales are capped at 5 kt/yr in
    p1 and 10 after, so the optimiser builds half in 2026 and the other half in 2029 (it
    would earn nothing in p1). Tax 20 %; one owner, alpha, at 10 % in USD.

    year       operating               capex  depreciation   tax 0.2 x (op - dep)
    2026       5 x 0.3 - 0.1 = 1.4     -5     5 / 10 = 0.5   0.18
    2027-2028  1.4                            0.5            0.18
    2029       10 x 0.3 - 0.2 = 2.8    -5     0.5 + 0.5      0.36
    2030-2035  2.8                            1.0            0.36
    2036       residual of the second half, A x (1 + 1.1^-1 + 1.1^-2) = 2.023619
               (A = 5 / sum_{k<10} 1.1^-k = 0.739752); the first half's life ends
               with 2035

    The second tranche is depreciated from 2029, its own first year of use, and 1.5 of
    it (0.5 a year for 2036-2038) is left at the horizon end: its tax book value B, set
    against the residual value as a sale in 2036, tax 0.2 x (2.023619 - 1.5) = 0.104724.
    Tax 3 x 0.18 + 7 x 0.36 + 0.104724 = 3.164724. alpha: -3.78, 1.22, 1.22, -2.56,
    2.44 x 6, 2.023619 - 0.104724 = 1.918895: NPV 5.178281 - 0.104724 / 1.1^10 =
    5.137905, IRR 28.48 % (5.178281 and 28.54 % with the residual untaxed).
    Depreciating the whole 10 MUSD from 2026 (1.0 a year, the second tranche three
    years before it was spent) taxed 0.08 a year in 2026-2028, 2.76 in all, and gave
    alpha 5.452 and 30.2 %."""
    import yaml

    from chainopt import api
    from tests.toycase import FEED_TO_PRODUCT, write_case

    case = write_case(tmp_path / "case", {
        **FEED_TO_PRODUCT,
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,product,400,10",
        "markets_by_period": "site,commodity,period,max_k_per_yr\nplant,product,p1,5",
        "units": "unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,project\n"
                 "u,plant,make,10,20,pj",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state\npj,10,p1,10,0,false,off",
        "parties": "party,discount_rate,currency\nalpha,0.1,USD",
        "project_shares": "project,party,share\npj,alpha,1",
        "tax_regimes": "regime,profit_tax_rate,sites\nstd,0.2,",
    }, discount_rate=0.1, solver={"mip_gap": 1e-9},
        periods=[{"period": "p1", "start_year": 2026, "length_yr": 3},
                 {"period": "p2", "start_year": 2029, "length_yr": 4},
                 {"period": "p3", "start_year": 2033, "length_yr": 3}])
    scen = tmp_path / "pj.yaml"
    scen.write_text(yaml.safe_dump({"base": str(case), "changes": [
        {"project": "pj", "state": "optional"}]}))
    sections, _, _ = api.compare([str(case), str(scen)], out=tmp_path / "res")
    pf = sections["party_cashflows"].set_index("year")
    assert pf.loc[2026:2035, "tax_musd"].to_numpy() == pytest.approx(
        [0.18] * 3 + [0.36] * 7, abs=1e-9)
    residual = 5 / sum(1.1**-k for k in range(10)) * (1 + 1 / 1.1 + 1 / 1.21)
    sale_tax = 0.2 * (residual - 1.5)
    assert sale_tax == pytest.approx(0.104724, abs=1e-6)
    assert pf.loc[2036, "tax_musd"] == pytest.approx(sale_tax, abs=1e-9)
    hand = [-3.78, 1.22, 1.22, -2.56] + [2.44] * 6 + [residual - sale_tax]
    assert pf.loc[2026:2036, "flow_musd"].to_numpy() == pytest.approx(hand, abs=1e-9)
    alpha = _row(sections["party_economics"], "alpha")
    assert alpha["tax paid (MUSD)"] == pytest.approx(3.06 + sale_tax, abs=1e-9)
    npv = sum(v / 1.1**k for k, v in enumerate(hand))
    assert npv == pytest.approx(5.137905, abs=1e-6)
    assert alpha["NPV (MUSD)"] == pytest.approx(npv, abs=1e-9)
    assert alpha["IRR"] == pytest.approx(0.2848, abs=1e-4)
    assert sum(v / (1 + alpha["IRR"])**k for k, v in enumerate(hand)) == pytest.approx(
        0.0, abs=1e-8)


def test_a_project_required_by_another_deducts_its_depreciation(tmp_path):
    """End to end (review fin F1): periods 2026..2030 of one year, 10 %, start of year.
    Site plant: prod sells at 300 USD/t (at most 20 kt/yr); feed is bought at 100 USD/t
    (at most 5 kt/yr) or made 1:1 from gas at 20 USD/t; the existing unit u (make, 5
    kt/yr, fixed O&M 20) makes prod from feed. Project a (capex 1.0, lead 1, life 4):
    unit ga, 5 kt/yr of gas to feed; project b (capex 2.0, lead 1, life 4, requires a):
    unit pu, 5 kt/yr more of make (fixed O&M 20). Both are built; a is valued against
    neither a nor b (b cannot be built without it), so its stream holds both:
    capex -1.0 - 2.0 = -3 in 2026; operating +1.3 a year in 2027-2030 (5 kt of feed from
    gas at 20 instead of 100: +0.4; 5 kt more prod at 300 - 100 - 20 fixed O&M: +0.9).
    Tax 20 %, alpha owns a (10 %, USD), beta owns b.

    Each build's capex is depreciated over its own life: a's 1.0 / 4 = 0.25 and b's
    2.0 / 4 = 0.5 a year, so alpha's tax is 0.2 x (1.3 - 0.25 - 0.5) = 0.11 a year (not
    0.2 x (1.3 - 0.25) = 0.21, b's profit taxed without its depreciation): alpha's
    flows -3, +1.19 x 4, NPV -3 + 1.19 x 3.169865 = 0.772140 (was 0.455153).
    beta (b against a kept): tax 0.2 x (0.9 - 0.5) = 0.08, flows -2, +0.82 x 4.

    With a loan on a (50 %, 10 %, tenor 2, grace 1, equal principal, lender bank) the
    lender lends on a's own spend: 0.5 x 1.0 = 0.5 drawn in 2026 (not 0.5 x 3); interest
    0.05 (2027) and 0.025 (2028), principal 0.25 and 0.25; alpha's tax 0.2 x (1.3 - 0.75
    - 0.05) = 0.1, 0.2 x (0.55 - 0.025) = 0.105, then 0.11, 0.11; flows -3 + 0.5 = -2.5,
    1.3 - 0.3 - 0.1 = 0.9, 1.3 - 0.275 - 0.105 = 0.92, 1.19, 1.19:
    NPV -2.5 + 0.9 / 1.1 + 0.92 / 1.21 + 1.19 / 1.331 + 1.19 / 1.4641 = 0.785363."""


    tables = {
        **GAS_TO_FEED,
        "units": "unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,lifetime_yr,"
                 "project\nu,plant,make,5,20,20,\nga,plant,gas2feed,5,0,,a\n"
                 "pu,plant,make,5,20,,b",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state,requires\na,1.0,p1,4,1,true,off,\n"
                    "b,2.0,p1,4,1,true,off,a",
        "parties": "party,discount_rate,currency\nalpha,0.1,USD\nbeta,0.1,USD\nbank,0.1,USD",
        "project_shares": "project,party,share\na,alpha,1\nb,beta,1",
        "tax_regimes": "regime,profit_tax_rate,sites\nstd,0.2,",
    }
    annuity = sum(1.1**-k for k in range(1, 5))  # 3.169865
    for loan in (False, True):
        if loan:
            tables["project_finance"] = ("project,debt_share,interest_rate,tenor_yr,"
                                         "grace_yr,repayment,lender\n"
                                         "a,0.5,0.10,2,1,equal_principal,bank")
        sections = _compare_optional(tmp_path / f"loan_{int(loan)}", tables, ["a", "b"])
        eco = sections["economics"].set_index("effect")
        assert eco.loc["a", "overnight capex (MUSD)"] == pytest.approx(3.0)
        pf = sections["party_cashflows"]
        alpha = pf[pf["party"] == "alpha"].set_index("year")
        beta = pf[pf["party"] == "beta"].set_index("year")
        assert beta.loc[2027:2030, "tax_musd"].to_numpy() == pytest.approx([0.08] * 4)
        assert beta.loc[2026:2030, "flow_musd"].to_numpy() == pytest.approx(
            [-2.0] + [0.82] * 4)
        npv = _row(sections["party_economics"], "alpha")["NPV (MUSD)"]
        # b's flows are in a's stream, split by a's shares (alpha 100 %), not b's (beta
        # 100 %): each row of a says so (review cmp F3); b's own row has no such note
        notes = sections["party_economics"].set_index(["project", "party"])["note"]
        assert notes[("a", "alpha")] == "includes b's flows, split by a's shares"
        assert notes[("b", "beta")] == ""
        if loan:  # the lender lends on a's own spend: no note
            assert notes[("a", "bank")] == ""
        if not loan:
            assert alpha.loc[2027:2030, "tax_musd"].to_numpy() == pytest.approx([0.11] * 4)
            assert alpha.loc[2026:2030, "flow_musd"].to_numpy() == pytest.approx(
                [-3.0] + [1.19] * 4)
            assert npv == pytest.approx(-3 + 1.19 * annuity, abs=1e-9)
            assert npv == pytest.approx(0.772140, abs=1e-6)
            continue
        bank = pf[pf["party"] == "bank"].set_index("year")
        assert bank.loc[2026, "drawdown_musd"] == pytest.approx(-0.5)
        assert alpha.loc[2027:2030, "tax_musd"].to_numpy() == pytest.approx(
            [0.1, 0.105, 0.11, 0.11])
        hand = [-2.5, 0.9, 0.92, 1.19, 1.19]
        assert alpha.loc[2026:2030, "flow_musd"].to_numpy() == pytest.approx(hand)
        assert npv == pytest.approx(sum(v / 1.1**k for k, v in enumerate(hand)), abs=1e-9)
        assert npv == pytest.approx(0.785363, abs=1e-6)


def test_a_unit_expansion_built_only_with_the_project_is_depreciated(tmp_path):
    """End to end (review fin2 F1, case L5): the chain of the test above, with b's plant
    an ordinary expansion of the existing unit u instead of a project: capex 400 USD per
    t/yr (5 kt/yr = 2.0 MUSD), life 4, lead 1, at most 5 kt/yr new. It has no feed
    unless a is built, so it is built only with a, and a's stream holds it: -3 in 2026
    (a's 1.0 + the expansion's 2.0), +1.3 a year in 2027-2030 (+0.4 from gas, +0.9 the
    expansion's 5 kt x (300 - 100 - 20)).

    The expansion's 2.0 / 4 = 0.5 a year is depreciated in a's stream as a's own 0.25
    is: alpha's tax 0.2 x (1.3 - 0.25 - 0.5) = 0.11 a year (was 0.2 x (1.3 - 0.25) =
    0.21), flows -3, +1.19 x 4, NPV -3 + 1.19 x 3.169865 = 0.772140 (was 0.455153), tax
    paid 0.44. The loan would stay on a's own 1.0 (none here)."""


    tables = {
        **GAS_TO_FEED,
        "units": "unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,"
                 "capex_usd_per_unit_yr,max_new_k_per_yr,lifetime_yr,lead_time_yr,project\n"
                 "u,plant,make,5,20,400,5,4,1,\nga,plant,gas2feed,5,0,,,,,a",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state\na,1.0,p1,4,1,true,off",
        "parties": "party,discount_rate,currency\nalpha,0.1,USD",
        "project_shares": "project,party,share\na,alpha,1",
        "tax_regimes": "regime,profit_tax_rate,sites\nstd,0.2,",
    }
    sections = _compare_optional(tmp_path, tables, ["a"])
    flows = sections["project_cashflows"].set_index("year")
    assert flows.loc[2026:2030, "capex_musd"].to_numpy() == pytest.approx([-3, 0, 0, 0, 0])
    assert flows.loc[2027:2030, "operating_musd"].to_numpy() == pytest.approx([1.3] * 4)
    alpha = sections["party_cashflows"].set_index("year")
    assert alpha.loc[2027:2030, "tax_musd"].to_numpy() == pytest.approx([0.11] * 4)
    assert alpha.loc[2026:2030, "flow_musd"].to_numpy() == pytest.approx([-3.0] + [1.19] * 4)
    row = _row(sections["party_economics"], "alpha")
    annuity = sum(1.1**-k for k in range(1, 5))  # 3.169865
    assert row["NPV (MUSD)"] == pytest.approx(-3 + 1.19 * annuity, abs=1e-9)
    assert row["NPV (MUSD)"] == pytest.approx(0.772140, abs=1e-6)
    assert row["tax paid (MUSD)"] == pytest.approx(0.44)


def test_a_life_extension_made_only_with_the_project_is_depreciated(tmp_path):
    """End to end: the chain of the test above without bought feed. The existing unit u
    (make, 5 kt/yr, fixed O&M 20) retires at the start of 2028 and may be kept 3 more
    years for 40 USD per t/yr (5 kt/yr: 0.2 MUSD, spent at the start of 2028). Feed comes
    only from gas (20 USD/t) through project a's unit ga (capex 1.0, lead 1, life 4), so
    without a, u stands idle and is not extended; with a it runs and is extended. a's
    stream: -1.0 in 2026; 2027 +5 kt x (300 - 20) = +1.4; 2028 -0.2 (the extension) and
    +1.4 - 0.1 (the extension's fixed O&M, 5 kt x 20) = +1.3; 2029, 2030 +1.3.

    Tax 20 %: a's 1.0 / 4 = 0.25 a year and the extension's 0.2 / 3 = 0.066667 a year
    (2028-2030) are deducted: tax 0.2 x 1.15 = 0.23 (2027), 0.2 x (1.3 - 0.25 - 0.066667)
    = 0.196667 (2028-2030; 0.21 when the extension was taxed without depreciation), paid
    0.82 in all. alpha's flows -1, 1.17, 0.903333, 1.103333, 1.103333: NPV at 10 %
    2.392735 (2.362591 before)."""
    tables = {
        **GAS_TO_FEED,
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,gas,20,",
        "units": "unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,retire_year,"
                 "life_extension_yr,life_extension_capex_usd_per_unit_yr,project\n"
                 "u,plant,make,5,20,2028,3,40,\nga,plant,gas2feed,5,0,,,,a",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state\na,1.0,p1,4,1,true,off",
        "parties": "party,discount_rate,currency\nalpha,0.1,USD",
        "project_shares": "project,party,share\na,alpha,1",
        "tax_regimes": "regime,profit_tax_rate,sites\nstd,0.2,",
    }
    tax = 0.2 * (1.3 - 0.25 - 0.2 / 3)
    row = _alpha_by_hand(_compare_optional(tmp_path, tables, ["a"]),
                         capex=[-1.0, 0, -0.2, 0, 0], operating=[0, 1.4, 1.3, 1.3, 1.3],
                         tax=[0, 0.23, tax, tax, tax])
    assert row["tax paid (MUSD)"] == pytest.approx(0.82)
    assert row["NPV (MUSD)"] == pytest.approx(2.392735, abs=1e-6)


def _alpha_by_hand(sections: dict, capex: list[float], operating: list[float],
                   tax: list[float]) -> pd.Series:
    """Checks a compare of the one-party cases here against their hand-made years
    2026-2030: the project's stream (``capex``, ``operating``), alpha's tax and its flow
    (operating + capex - tax: no loan) and NPV at 10 %; alpha's party row."""
    flows = sections["project_cashflows"].set_index("year")
    assert flows.loc[2026:2030, "capex_musd"].to_numpy() == pytest.approx(capex, abs=1e-9)
    assert flows.loc[2026:2030, "operating_musd"].to_numpy() == pytest.approx(
        operating, abs=1e-9)
    alpha = sections["party_cashflows"].set_index("year")
    assert alpha.loc[2026:2030, "tax_musd"].to_numpy() == pytest.approx(tax, abs=1e-9)
    hand = [o + c - t for o, c, t in zip(operating, capex, tax, strict=True)]
    assert alpha.loc[2026:2030, "flow_musd"].to_numpy() == pytest.approx(hand)
    row = _row(sections["party_economics"], "alpha")
    assert row["tax paid (MUSD)"] == pytest.approx(sum(tax))
    assert row["NPV (MUSD)"] == pytest.approx(sum(v / 1.1**k for k, v in enumerate(hand)))
    return row


def _avoided_extension(fixed_om: float, extension_capex: float, capex: float,
                       regime: str) -> dict:
    """Unit u (make, 5 kt/yr, ``fixed_om`` USD per t/yr) retires at the start of 2028
    and may be kept 3 more years for ``extension_capex`` USD per t/yr; prod sells at 500
    USD/t (at most 5 kt/yr), feed costs 100; project a (``capex``, lead 1, life 4, its
    unit ua without fixed O&M) retires u; alpha owns a; ``regime``: tax_regimes.csv."""
    return {
        "commodities": "commodity,unit,kind\nfeed,t,raw\nprod,t,product",
        "sites": "site\nplant",
        "modes": "mode,process\nm,make",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nm,feed,in,1\nm,prod,out,1",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,feed,100,",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,prod,500,5",
        "units": "unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,retire_year,"
                 "life_extension_yr,life_extension_capex_usd_per_unit_yr,project\n"
                 f"u,plant,make,5,{fixed_om:g},2028,3,{extension_capex:g},\n"
                 "ua,plant,make,5,0,,,,a",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    f"all_or_nothing,state,retires_units\na,{capex:g},p1,4,1,true,off,u",
        "parties": "party,discount_rate,currency\nalpha,0.1,USD",
        "project_shares": "project,party,share\na,alpha,1",
        "tax_regimes": regime,
    }


def test_a_life_extension_the_project_avoids_takes_its_depreciation_with_it(tmp_path):
    """End to end, MP4's case in small (review fin3 F4): the existing unit u (make, 5
    kt/yr, fixed O&M 100 USD per t/yr: 0.5 MUSD/yr) retires at the start of 2028 and may
    be kept 3 more years for 40 USD per t/yr (0.2 MUSD, spent at the start of 2028); prod
    sells at 500 USD/t (at most 5 kt/yr), feed costs 100. Without project a the chain
    extends u (it earns 5 x 400 - 500 = 1.5 MUSD a year for 0.2). Project a (capex 1.0,
    lead 1, life 4, its unit ua without fixed O&M) retires u when it comes into use in
    2027. a's stream: -1.0 (2026); +0.5 a year 2027-2030 (u's fixed O&M saved); +0.2 in
    2028 (the extension avoided).

    Tax 20 %: a deducts its own 1.0 / 4 = 0.25 a year, and loses the extension's 0.2 / 3
    = 0.066667 a year (2028-2030) that the chain without it deducts: taxable 0.25 (2027)
    and 0.5 - 0.25 + 0.066667 = 0.316667 (2028-2030); tax 0.05 and 0.063333 (0.05 when
    the lost deductions were left out), 0.24 in all. alpha's flows -1, 0.45, 0.636667,
    0.436667, 0.436667: NPV at 10 % 0.561585 (0.591729 before)."""
    tax = 0.2 * (0.5 - 0.25 + 0.2 / 3)
    row = _alpha_by_hand(_compare_optional(tmp_path, _avoided_extension(
        100, 40, 1.0, "regime,profit_tax_rate,sites\nstd,0.2,"), ["a"]),
        capex=[-1.0, 0, 0.2, 0, 0], operating=[0, 0.5, 0.5, 0.5, 0.5],
        tax=[0, 0.05, tax, tax, tax])
    assert row["tax paid (MUSD)"] == pytest.approx(0.24)
    assert row["NPV (MUSD)"] == pytest.approx(0.561585, abs=1e-6)


def test_deductions_lost_with_an_avoided_build_do_not_start_the_tax_holiday(tmp_path):
    """The case above with u's fixed O&M 150 USD per t/yr (0.75 MUSD/yr), its extension
    at 400 USD per t/yr (2.0 MUSD in 2028: without a the chain still extends u, earning
    3 x (2.0 - 0.75) = 3.75 for it) and a's capex 3.0 (0.75 a year of depreciation), in
    a regime of 20 % with a one-year holiday; a forced in p1 (built a year later it
    would be worth a little more). a's own taxable profit is 0.75 - 0.75 = 0
    in every year 2027-2030: it never starts a holiday. The extension's 2.0 / 3 =
    0.666667 a year of deductions (2028-2030) are lost with it and taxed at 20 %:
    0.133333 a year, 0.4 in all. Counting them in the profit that starts the holiday
    (review fin4 F1) gave 2028 a holiday the project's own books never earn (0.266667 in
    all). alpha: -3.0, 0.75, 2.75 - 0.133333, 0.75 - 0.133333 (2029, 2030)."""
    tax = 0.2 * 2.0 / 3
    row = _alpha_by_hand(_compare_optional(tmp_path, _avoided_extension(
        150, 400, 3.0, "regime,profit_tax_rate,sites,holiday_years\nstd,0.2,,1"), ["a"],
        forced="p1"), capex=[-3.0, 0, 2.0, 0, 0], operating=[0, 0.75, 0.75, 0.75, 0.75],
        tax=[0, 0, tax, tax, tax])
    assert row["tax paid (MUSD)"] == pytest.approx(0.4)


def test_a_project_without_capex_keeps_its_stream_and_parties(tmp_path):
    """End to end (review fin2 F2, case M4): periods 2026..2030 of one year, 10 %, start
    of year. prod sells at 300 USD/t (at most 5 kt/yr), feed costs 100 USD/t; project x
    (capex 0, lead 1, life 4) is unit ux, 5 kt/yr making prod from feed (fixed O&M 20).
    alpha owns x (10 %, USD), tax 20 %, no loan.

    x's stream: 0 in 2026, then 5 kt x (300 - 100 - 20) = +0.9 a year in 2027-2030: NPV
    0.9 x 3.169865 = 2.852879. Nothing is depreciated (no capex): alpha pays 0.2 x 0.9 =
    0.18 a year, keeps 0.72: NPV 0.72 x 3.169865 = 2.282303, tax paid 0.72. Nothing is
    invested, so IRR and payback read 'no outflow', for x and for alpha. Before, x had no
    build year (no spend), so neither its stream nor its parties were written, and its
    notes read 'no spend' (an inputs line's)."""


    tables = {
        "commodities": "commodity,unit,kind\nfeed,t,raw\nprod,t,product",
        "sites": "site\nplant",
        "modes": "mode,process\nm,make",
        "mode_flows": "mode,commodity,direction,amount_per_unit\nm,feed,in,1\nm,prod,out,1",
        "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,feed,100,",
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,prod,300,5",
        "units": "unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,project\n"
                 "ux,plant,make,5,20,x",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state\nx,0,p1,4,1,true,off",
        "parties": "party,discount_rate,currency\nalpha,0.1,USD",
        "project_shares": "project,party,share\nx,alpha,1",
        "tax_regimes": "regime,profit_tax_rate,sites\nstd,0.2,",
    }
    sections = _compare_optional(tmp_path, tables, ["x"])
    annuity = sum(1.1**-k for k in range(1, 5))  # 3.169865
    eco = sections["economics"].set_index("effect").loc["x"]
    assert eco["incremental NPV (MUSD)"] == pytest.approx(0.9 * annuity, abs=1e-6)
    assert (eco["IRR note"], eco["payback note"]) == ("no outflow", "no outflow")
    flows = sections["project_cashflows"].set_index("year")
    assert flows.loc[2026:2030, "net_musd"].to_numpy() == pytest.approx([0] + [0.9] * 4)
    alpha = sections["party_cashflows"].set_index("year")
    assert alpha.loc[2027:2030, "tax_musd"].to_numpy() == pytest.approx([0.18] * 4)
    assert alpha.loc[2026:2030, "flow_musd"].to_numpy() == pytest.approx([0] + [0.72] * 4)
    row = _row(sections["party_economics"], "alpha")
    assert row["NPV (MUSD)"] == pytest.approx(0.72 * annuity, abs=1e-9)
    assert row["NPV (MUSD)"] == pytest.approx(2.282303, abs=1e-6)
    assert row["tax paid (MUSD)"] == pytest.approx(0.72)
    assert (row["IRR note"], row["payback note"]) == ("no outflow", "no outflow")


def test_incremental_builds_are_the_scenarios_builds_less_its_counterfactuals():
    """economics.incremental_builds, by hand: the scenario (with project a) builds a (1.0,
    its own: left out), unit u in p1 (2.0), link l in p2 (0.6, also built by the
    counterfactual: no difference), project c in p1 (1.5; the counterfactual builds c in
    p2: the scenario's p1 build counts, and the p2 one is spend avoided, -1.5 from 2028)
    and 0.75 of project d in p1 (the counterfactual 0.25: 0.5 more, 0.5 x capex 2.0 = 1.0
    MUSD), and the life extension of v (0.3, only the scenario's); the life extension of
    w only the counterfactual makes is spend avoided (-0.4 from 2027: the deductions the
    counterfactual had, which it loses; review fin3 F4: they were left out), and a cost
    the saved run keeps to 10 digits (0.6000000001 against 0.6) is no difference.
    Incremental: u +2.0, c +1.5, d +1.0, v +0.3 from 2027, c -1.5 from 2028, w -0.4 from
    2027; each with its own life."""
    from types import SimpleNamespace

    cols = ["kind", "name", "period", "amount", "overnight_musd", "lead_time_yr",
            "first_use_year", "lifetime_yr"]

    def run(rows):
        return SimpleNamespace(tables={"investments": pd.DataFrame(rows, columns=cols)})

    scenario = run([("project", "a", "p1", 1, 1.0, 1, 2027, 4),
                    ("unit", "u", "p1", 5, 2.0, 1, 2027, 4),
                    ("link", "l", "p2", 1, 0.6000000001, 1, 2028, 10),
                    ("project", "c", "p1", 1, 1.5, 1, 2027, 5),
                    ("project", "d", "p1", 0.75, 1.5, 1, 2027, 6),
                    ("extension", "v", "", 1, 0.3, 0, 2027, 3)])
    counterfactual = run([("link", "l", "p2", 1, 0.6, 1, 2028, 10),
                          ("project", "c", "p2", 1, 1.5, 1, 2028, 5),
                          ("project", "d", "p1", 0.25, 0.5, 1, 2027, 6),
                          ("extension", "w", "", 1, 0.4, 0, 2027, 3)])
    got = economics.incremental_builds(counterfactual, scenario, "a")
    assert list(got.columns) == economics.BUILD_COLUMNS
    assert got["overnight_musd"].to_numpy() == pytest.approx([2.0, 1.5, 1.0, 0.3, -1.5,
                                                              -0.4])
    assert got["first_use_year"].tolist() == [2027, 2027, 2027, 2027, 2028, 2027]
    assert got["lifetime_yr"].tolist() == [4, 5, 6, 3, 5, 3]


def test_debt_depreciation_and_equipment_follow_the_projects_own_capex():
    """The project's own capex is 100, spent at the start of 2026; without it the chain
    would spend 40 on a life extension, so the incremental stream's capex is -60 in 2026
    (the extension in the same year, as MP4's 71 MUSD under high carbon) or -100 in 2026
    and +40 in 2028 (in another year, as MP4's 144 MUSD at central prices). Either way:
    drawdown 0.5 x 100 = 50 in 2026 (not 0.5 x 60 = 30); annuity A = 50 x 0.08 /
    (1 - 1.08^-2) = 28.0385, interest 4 (2027) and 0.08 x (50 - 24.0385) = 2.0769 (2028);
    depreciation 100 / 2 = 50 a year (not 30); tax (SEZ 10 %) 0.1 x (60 - 50 - 4) = 0.6
    and 0.1 x (60 - 50 - 2.0769) = 0.79231; jp supplies 0.5 x 100 = 50 of equipment (not
    30). The avoided 40 goes to the owners by share, untaxed, in its own year:
    same year: ru (0.6) 2026 0.6 x (-60 + 50) = -6; 2027 0.6 x (60 - A) - 0.36 = 18.8169;
    2028 0.6 x (60 - A) - 0.6 x 0.79231 = 18.7015.
    other year: ru 2026 0.6 x (-100 + 50) = -30; 2027 18.8169; 2028 18.7015 + 0.6 x 40
    = 42.7015. Parties + lender + tax = the project's flow every year."""
    terms = _terms(shares=[("j", "ru", 0.6, 0.0), ("j", "jp", 0.4, 0.5)],
                   finance=[("j", 0.5, 0.08, 2, 1, "annuity", "jbic", "")],
                   regimes=REGIMES, party_rows=PARTIES)
    # one build: 100 MUSD, lead time 1 (spent in 2026), in use from 2027 for 2 years
    own = pd.DataFrame({"overnight_musd": [100.0], "first_use_year": [2027],
                        "lifetime_yr": [2], "lead_time_yr": [1]})
    a = 50 * 0.08 / (1 - 1.08**-2)
    i2 = 0.08 * (50 - (a - 4))
    same = FLOWS.assign(capex_musd=[-60.0, 0.0, 0.0, 0.0])
    other = FLOWS.assign(capex_musd=[-100.0, 0.0, 40.0, 0.0])
    for flows, extra in ((same, {2026: 0.6 * 40}), (other, {2028: 0.6 * 40})):
        s, y = project_parties(flows, terms, "j", builds=own)
        lend = y[y["party"] == "jbic"].set_index("year")
        assert lend["drawdown_musd"].loc[2026] == pytest.approx(-50.0)
        assert -lend["interest_musd"].loc[2027:2028].to_numpy() == pytest.approx([4.0, i2])
        tax = y[y["party"] != "jbic"].groupby("year")["tax_musd"].sum()
        assert tax.loc[2027:2028].to_numpy() == pytest.approx([0.6, 0.1 * (10 - i2)])
        assert _row(s, "jp")["equipment supply (MUSD)"] == pytest.approx(50.0)
        ru = y[y["party"] == "ru"].set_index("year")["flow_musd"]
        want = {2026: -30.0, 2027: 0.6 * (60 - a) - 0.36,
                2028: 0.6 * (60 - a) - 0.6 * 0.1 * (10 - i2), 2029: 0.0}
        for yr, v in extra.items():
            want[yr] += v
        assert ru.loc[2026:2029].to_numpy() == pytest.approx(list(want.values()))
        tot = y.groupby("year")[["flow_musd", "tax_musd"]].sum().sum(axis=1)
        proj = (flows["operating_musd"] + flows["capex_musd"]).to_numpy()
        assert tot.reindex(flows["year"], fill_value=0.0).to_numpy() == pytest.approx(proj)


def test_party_cashflows_columns_add_up_to_the_flow_in_both_roles():
    """README (review fin F8): in party_cashflows every row's flow is operating + capex +
    residual + drawdown - interest - principal - tax; the lender's row holds the
    borrower's amounts negated. FLOWS with 50 % debt at 8 %, one year of grace, two
    annuity payments, ru 60 % and jp 40 %: drawn 50 in 2026 (ru +30, jp +20, jbic -50);
    2027 interest 4 (ru 2.4, jp 1.6, jbic -4) and principal A - 4 = 24.0385 (A =
    28.0385), jbic's flow 50 x -1 in 2026 and +A in 2027 and 2028."""
    terms = _terms(shares=[("j", "ru", 0.6, 0.0), ("j", "jp", 0.4, 0.0)],
                   finance=[("j", 0.5, 0.08, 2, 1, "annuity", "jbic", "")],
                   regimes=REGIMES, party_rows=PARTIES)
    _, y = project_parties(FLOWS, terms, "j", 2027, 2)
    parts = (y["operating_musd"] + y["capex_musd"] + y["residual_musd"] + y["drawdown_musd"]
             - y["interest_musd"] - y["principal_musd"] - y["tax_musd"])
    assert parts.to_numpy() == pytest.approx(y["flow_musd"].to_numpy())
    a = 50 * 0.08 / (1 - 1.08**-2)
    by = y.set_index(["party", "year"])
    assert by.loc[("ru", 2026), "drawdown_musd"] == pytest.approx(30.0)
    assert by.loc[("jbic", 2026), "drawdown_musd"] == pytest.approx(-50.0)
    assert by.loc[("ru", 2027), "interest_musd"] == pytest.approx(2.4)
    assert by.loc[("jbic", 2027), "interest_musd"] == pytest.approx(-4.0)
    assert by.loc[("jbic", 2027), "principal_musd"] == pytest.approx(-(a - 4.0))
    assert by.loc[("jbic", 2026), "flow_musd"] == pytest.approx(-50.0)
    assert by.loc[[("jbic", 2027), ("jbic", 2028)], "flow_musd"].to_numpy() == pytest.approx(
        [a, a])


def test_dscr_deducts_the_whole_projects_tax_whatever_equity_is_listed():
    """The reviewer's toy v8: capex 100 spent 50 + 50 at the starts of 2026 and 2027,
    operating 30 a year 2028-2035 (horizon end 2036), life 10 from 2028: depreciation 10
    a year; the default regime, 20 %. Half borrowed at 8 %, two years of grace, five
    annuity repayments: D = 25 + 25; interest 2027 0.08 x 25 = 2 (a tax loss, carried
    forward); A = 50 x 0.08 / (1 - 1.08^-5) = 12.5228 in 2028-2032.
    year  interest  principal  tax (100 %)                        DSCR = (30 - tax) / A
    2028  4.0000    8.5228     0.2 x (30 - 10 - 4 - 2) = 2.8000    2.1720
    2029  3.3182    9.2046     0.2 x (20 - 3.3182)     = 3.3364    2.1292
    2030  2.5818    9.9410     3.4836                              2.1174
    2031  1.7865    10.7363    3.6427                              2.1047
    2032  0.9276    11.5952    3.8145                              2.0910
    min 2.0910, average 2.1229, whether the equity is listed as 0.6 + 0.4 or, as here,
    0.6 + 0.2 (the schema allows shares summing to less than 1). Deducting only the listed
    80 % of the tax read 2.1519 and 2.1774."""
    flows = pd.DataFrame({"year": range(2026, 2037),
                          "operating_musd": [0.0, 0.0] + [30.0] * 8 + [0.0],
                          "capex_musd": [-50.0, -50.0] + [0.0] * 9,
                          "residual_musd": [0.0] * 10 + [32.623]})
    a = 50 * 0.08 / (1 - 1.08**-5)
    want_min, want_avg = (30 - 3.8145) / a, 2.1229
    for shares in ([("j", "ru", 0.6, 0.0), ("j", "jp", 0.4, 0.0)],
                   [("j", "ru", 0.6, 0.0), ("j", "jp", 0.2, 0.0)]):
        terms = _terms(shares=shares, finance=[("j", 0.5, 0.08, 5, 2, "annuity", "jbic", "")],
                       regimes=REGIMES, party_rows=PARTIES, site="elsewhere")
        s, _ = project_parties(flows, terms, "j", 2028, 10)
        assert _row(s, "ru")["min DSCR"] == pytest.approx(want_min, abs=1e-4)
        assert _row(s, "ru")["min DSCR"] == pytest.approx(2.0910, abs=1e-4)
        assert _row(s, "ru")["avg DSCR"] == pytest.approx(want_avg, abs=1e-4)


# the reviewer's toy v5: capex 100 spent 50 + 50 at the starts of 2026 and 2027, operating
# 30 a year 2028-2035, residual 32.623 in 2036; half borrowed at 8 % over 15 years
V5 = pd.DataFrame({"year": range(2026, 2037),
                   "operating_musd": [0.0, 0.0] + [30.0] * 8 + [0.0],
                   "capex_musd": [-50.0, -50.0] + [0.0] * 9,
                   "residual_musd": [0.0] * 10 + [32.623]})


def test_equity_irr_of_a_loan_whose_tenor_outlives_the_horizon():
    """The reviewer's v5: ru holds 0.6, jp 0.4, default regime 20 %, life 10
    (depreciation 10 a year from 2028); D = 25 + 25, interest 2027 2 (a tax loss carried
    forward), A = 50 x 0.08 / (1 - 1.08^-15) = 5.8415 from 2028: eight payments in
    2028-2035, and the horizon ends with 2035. ru's flow:
    2026 0.6 x (-50 + 25) = -15; 2027 0.6 x (-50 + 25 - 2) = -16.2; 2028 0.6 x (30 - A)
    - 0.6 x 0.2 x (30 - 10 - 4 - 2) = 14.4951 - 1.68 = 12.8151; 2029-2035 0.6 x (30 - A)
    - 0.12 x (20 - 0.08 B_k), B_k = 50 (1.08^15 - 1.08^k) / (1.08^15 - 1) the balance
    after k payments: 12.5574, 12.5383, 12.5177, 12.4955, 12.4714, 12.4454, 12.4174.
    2036 (end, the sale at the residual value 32.623): the sale settles the loan (review
    fin6 F2): interest 0.08 B_8 = 0.08 x 30.4129 = 2.4330 as scheduled and principal
    B_8 = 30.4129, the whole balance; the tax on the sale is unchanged, the book value
    left is 20 (2036-2037 not depreciated): 0.12 x (32.623 - 20 - 2.4330) = 1.2228; flow
    0.6 x (32.623 - 1.08 x 30.4129) - 1.2228 = -1.3566. Nothing after 2036 (the owners
    repaid 0.6 A = 3.5049 a year in 2037-2042 from no income, its interest deducted
    from none). NPV(0) = sum = 67.70 (was 62.9). The flows change sign twice (-, +, -):
    NPV(-99 %) < 0 < NPV(-90 %), NPV(30 %) = +0.77 > 0 > NPV(50 %) = -9.65: roots at
    -90.2 % (rising) and 31.0 % (falling, the investment-type root reported; it read
    31.6 %), its note saying where the NPV is positive: 'NPV > 0 only between -90.2 % and
    31.0 %'. (ru counts in USD here: the IRR of its flows as they are.)"""
    terms = _terms(shares=[("j", "ru", 0.6, 0.0), ("j", "jp", 0.4, 0.0)],
                   finance=[("j", 0.5, 0.08, 15, 2, "annuity", "jbic", "")],
                   regimes=REGIMES, party_rows=[("ru", 0.15, "USD", ""), *PARTIES[1:]],
                   site="elsewhere")
    s, y = project_parties(V5, terms, "j", 2028, 10)
    ru = y[y["party"] == "ru"].set_index("year")
    flow = ru["flow_musd"]
    a = 50 * 0.08 / (1 - 1.08**-15)
    def balance(k):
        return 50 * (1.08**15 - 1.08**k) / (1.08**15 - 1)
    hand = [-15.0, -16.2, 0.6 * (30 - a) - 0.12 * 14] + [
        0.6 * (30 - a) - 0.12 * (20 - 0.08 * balance(k)) for k in range(1, 8)] + [
        0.6 * (32.623 - 1.08 * balance(8)) - 0.12 * (32.623 - 20 - 0.08 * balance(8))]
    assert list(flow.index) == list(range(2026, 2037))  # nothing after the sale's year
    assert flow.to_numpy() == pytest.approx(hand)
    assert flow.to_numpy() == pytest.approx(
        [-15.0, -16.2, 12.8151, 12.5574, 12.5383, 12.5177, 12.4955, 12.4714, 12.4454,
         12.4174, -1.3566], abs=1e-4)
    assert ru.loc[2036, "principal_musd"] == pytest.approx(0.6 * balance(8))
    assert ru.loc[2036, "interest_musd"] == pytest.approx(0.6 * 0.08 * balance(8))
    f = flow.to_numpy()
    assert economics.npv(f, 0.0) == pytest.approx(67.70, abs=0.005)
    assert economics.npv(f, -0.99) < 0 < economics.npv(f, -0.9)
    assert economics.npv(f, 0.3) > 0 > economics.npv(f, 0.5)
    irr = _row(s, "ru")["IRR"]
    assert irr == pytest.approx(0.3098, abs=5e-5)
    assert economics.npv(f, irr) == pytest.approx(0.0, abs=1e-8)
    assert _row(s, "ru")["IRR note"] == "NPV > 0 only between -90.2 % and 31.0 %"
    assert _row(s, "jp")["IRR"] == pytest.approx(irr)  # same flows x 0.4 / 0.6


def test_payback_of_an_equity_party_at_full_debt():
    """The reviewer's v4: the stream of v5, all of the capex borrowed (D = 50 + 50) at 8 %,
    two years of grace, five annuity repayments A = 100 x 0.08 / (1 - 1.08^-5) = 25.0456
    from 2028. ru (0.6, 20 % tax, depreciation 10 a year from 2028):
    2026 0.6 x (-50 + 50) = 0; 2027 0.6 x (-50 + 50 - 4) = -2.4 (interest on the first
    50, a tax loss carried forward); 2028 interest 8, tax 0.12 x (30 - 10 - 8 - 4) = 0.96,
    flow 0.6 x (30 - A) - 0.96 = 2.0126; 2029 interest 0.08 x (100 - 17.0456) = 6.6363,
    tax 0.12 x (20 - 6.6363) = 1.6036, flow 0.6 x (30 - A) - 1.6036 = 1.3690.
    Its payback, from its own net flow (a net outflow at the start of its year, an inflow
    through the year), counted from 2027, the first year it pays out: -2.4 + 2.0126 =
    -0.3874 after 2028, recovered after 0.3874 / 1.3690 = 0.283 of 2029 -> 2.283 years
    (3.283 counted from 2026, when the project starts to spend but ru pays nothing). It
    was None: "spend" was its capex share net of drawdowns, 0. The lender: -50 (2026),
    -50 + 4 = -46 (2027), then +A a year: -20.8632 after 2030, recovered after
    20.8632 / A = 0.833 of 2031 -> 5.833 years from 2026, as before."""
    terms = _terms(shares=[("j", "ru", 0.6, 0.0), ("j", "jp", 0.4, 0.0)],
                   finance=[("j", 1.0, 0.08, 5, 2, "annuity", "jbic", "")],
                   regimes=REGIMES, party_rows=PARTIES, site="elsewhere")
    s, y = project_parties(V5, terms, "j", 2028, 10)
    a = 100 * 0.08 / (1 - 1.08**-5)
    f2028 = 0.6 * (30 - a) - 0.12 * 8
    f2029 = 0.6 * (30 - a) - 0.12 * (20 - 0.08 * (100 - (a - 8)))
    flow = y[y["party"] == "ru"].set_index("year")["flow_musd"]
    assert flow.loc[2026:2029].to_numpy() == pytest.approx([0.0, -2.4, f2028, f2029])
    assert f2028 == pytest.approx(2.0126, abs=1e-4) and f2029 == pytest.approx(1.3690,
                                                                                abs=1e-4)
    assert _row(s, "ru")["payback (yr)"] == pytest.approx(2 + (2.4 - f2028) / f2029)
    assert _row(s, "ru")["payback (yr)"] == pytest.approx(2.283, abs=1e-3)
    assert _row(s, "jbic", "lender")["payback (yr)"] == pytest.approx(
        5 + (96 - 3 * a) / a)


def test_a_currency_without_an_exchange_rate_is_refused(tmp_path):
    """The default case has FX rows for RUB, JPY and CNY only: a loan in EUR (its
    payments could not be converted) and a party counting in EUR are refused at their
    row and column, naming what to add."""
    src = Path(__file__).resolve().parents[2] / "chainopt" / "data" / "ru_eastwest"
    case = tmp_path / "ru"
    shutil.copytree(src, case)
    pf = (case / "project_finance.csv").read_text()
    (case / "project_finance.csv").write_text(pf.replace("jbic,USD,", "jbic,EUR,", 1))
    pa = (case / "parties.csv").read_text()
    (case / "parties.csv").write_text(pa.replace("0.069,CNY,", "0.069,EUR,", 1))
    with pytest.raises(InputError) as e:
        load_case(case)
    found = {(p.where, p.message) for p in e.value.problems}
    assert found == {("project_finance.csv row 3, column currency",
                      "no exchange rate for this currency (found 'EUR')"),
                     ("parties.csv row 5, column currency",
                      "no exchange rate for this currency (found 'EUR')")}
    assert all("fx_rates.csv" in p.hint for p in e.value.problems)


def test_a_rouble_loan_drawn_across_an_fx_change():
    """Capex 100 at the starts of 2026 and 2027, operating 80 in 2028 and 2029; half
    borrowed in RUB at 10 % (80 RUB/USD in 2026, 100 from 2027), equal principal, one
    year of grace, two repayments (from 2028, the year after the last drawdown).
    In roubles: drawn 50 / 0.0125 = 4,000 (2026) and 50 / 0.01 = 5,000 (2027); interest
    2027 400, 2028 900, 2029 450; principal 4,500 in 2028 and 2029. In USD at each
    year's rate: drawn 50 + 50, interest 4.0, 9.0, 4.5, principal 45 + 45.
    The owner counts in USD at 10 % (no FX applies to it): -100 + 50 = -50, -100 + 50 - 4
    = -54, 80 - 9 - 45 = 26, 80 - 4.5 - 45 = 30.5, NPV -50 - 54/1.1 + 26/1.21 + 30.5/1.331
    in both columns. The bank (RUB, 10 %): -4,000, -5,000 + 400 = -4,600, 5,400, 4,950,
    worth -4000 - 4181.82 + 4462.81 + 3719.01 = 0 M RUB, IRR 10 %. Owner + bank = the
    project's flow each year (no tax)."""
    flows = pd.DataFrame({"year": [2026, 2027, 2028, 2029, 2030],
                          "operating_musd": [0.0, 0.0, 80.0, 80.0, 0.0],
                          "capex_musd": [-100.0, -100.0, 0.0, 0.0, 0.0],
                          "residual_musd": [0.0] * 5})
    terms = _terms(shares=[("j", "us", 1.0, 0.0)],
                   finance=[("j", 0.5, 0.10, 2, 1, "equal_principal", "bank", "")],
                   party_rows=[("us", 0.10, "USD", ""), ("bank", 0.10, "RUB", "")])
    terms = dataclasses.replace(terms, finance=terms.finance.assign(currency="RUB"))
    s, y = project_parties(flows, terms, "j", 2028, 2)
    bank = y[y["party"] == "bank"].set_index("year")
    assert bank.loc[2026:2029, "flow_mlocal"].to_numpy() == pytest.approx(
        [-4000, -4600, 5400, 4950])
    assert -bank.loc[2027:2029, "interest_musd"].to_numpy() == pytest.approx([4.0, 9.0, 4.5])
    assert -bank.loc[2028:2029, "principal_musd"].to_numpy() == pytest.approx([45, 45])
    lender = _row(s, "bank", "lender")
    assert lender["NPV (M local)"] == pytest.approx(0.0, abs=1e-9)
    assert lender["IRR"] == pytest.approx(0.10, abs=1e-9)
    us = _row(s, "us")
    hand = -50 - 54 / 1.1 + 26 / 1.21 + 30.5 / 1.331
    assert us["NPV (MUSD)"] == pytest.approx(hand) and us["NPV (M local)"] == pytest.approx(hand)
    own = y[y["party"] == "us"].set_index("year")["flow_musd"]
    assert own.loc[2026:2029].to_numpy() == pytest.approx([-50, -54, 26, 30.5])
    tot = y.groupby("year")[["flow_musd", "tax_musd"]].sum().sum(axis=1)
    assert tot.to_numpy() == pytest.approx((flows["operating_musd"] + flows["capex_musd"])
                                           .to_numpy())


def test_a_party_that_never_pays_back_has_a_number_column_blank():
    """Capex 100 in 2026 and 20 a year in 2027-2028 back: the parties (ru 60 %, jp 40 %)
    get 24 and 16 of their 60 and 40, never paid back. Payback was None, so the column
    was text to pandas: party_economics.csv printed the other parties' paybacks
    unrounded (14.154650235601595) and comparison.xlsx held them as text cells. Now it
    is NaN in a float column (blank in the CSV, 'n/a (not paid back by 2028, the horizon's
    end; residual value not counted)' in the report, from its 'payback note'), as is an
    IRR that does not exist. Their IRRs here, by hand: ru in RUB -4800, 1200, 1200 (80
    then 100 RUB/USD): with
    x = 1/(1+r), x^2 + x - 4 = 0, x = (sqrt(17) - 1)/2, r = -35.96 %; jp in JPY (flat)
    -40, 8, 8: x^2 + x - 5 = 0, r = 2/(sqrt(21) - 1) - 1 = -44.17 %."""
    flows = FLOWS.assign(operating_musd=[0.0, 20.0, 20.0, 0.0])
    terms = _terms(shares=[("j", "ru", 0.6, 0.0), ("j", "jp", 0.4, 0.0)], party_rows=PARTIES)
    s, _ = project_parties(flows, terms, "j", 2027, 2)
    assert pd.api.types.is_float_dtype(s["payback (yr)"]) and s["payback (yr)"].isna().all()
    assert pd.api.types.is_float_dtype(s["IRR"])
    assert _row(s, "ru")["IRR"] == pytest.approx(2 / (17**0.5 - 1) - 1)
    assert _row(s, "jp")["IRR"] == pytest.approx(2 / (21**0.5 - 1) - 1)
    # why the payback is blank, for the reader: the stream runs to 2029 (FLOWS), the
    # residual value's year, one past the horizon's last year 2028
    assert s["payback note"].tolist() == [
        "not paid back by 2028, the horizon's end; residual value not counted"] * 2
    assert s["IRR note"].tolist() == ["", ""]


def test_a_project_paid_back_within_its_first_year_has_the_same_payback_in_both_tables():
    """The time review's F5: 10 MUSD spent at the start of 2026 and 11 MUSD earned evenly
    through 2026 (no tax, no debt, one party with all of it). By hand the cumulative flow
    is back at 0 after 10/11 of 2026: payback 0.909 years, as the economics table says.
    The party table netted the year (+1) and read 'n/a (no spend)'."""
    flows = pd.DataFrame({"year": [2026, 2027], "operating_musd": [11.0, 0.0],
                          "capex_musd": [-10.0, 0.0], "residual_musd": [0.0, 0.0]})
    terms = _terms(shares=[("j", "us", 1.0, 0.0)], regimes=[("none", 0.0, "")],
                   party_rows=[("us", 0.10, "USD", "")], site="elsewhere")
    s, _ = project_parties(flows, terms, "j", 2026, 1)
    us = _row(s, "us")
    assert us["payback (yr)"] == pytest.approx(10 / 11)
    assert us["payback note"] == ""
    assert economics.payback(flows.set_index("year")["operating_musd"],
                             flows.set_index("year")["capex_musd"]) == pytest.approx(10 / 11)


def test_a_project_cheaper_than_what_its_counterfactual_builds_keeps_its_parties(tmp_path):
    """Two alternative plants for one market of 5 kt/yr (margin 400 - 100 = 300 USD/t,
    fixed O&M 20 USD per t/yr: 5 kt x 280 USD/t = 1.4 MUSD/yr), five one-year periods
    2026-2030 at 10 %, start of year: x costs 1.5 MUSD, y 2.0 (lead 1, life 4, in use
    2027-2030, no residual value). With both optional the plan builds x; without x it
    builds y: the same output for 0.5 MUSD more in 2026. So x's stream is +0.5 in 2026
    (the incremental capex, a saving) and 0 after: NPV 0.500, no incremental spend in
    any year, yet x's own overnight spend is 1.5 in 2026 (own_capex_musd -1.5).
    IRR and payback: nothing to earn back: 'saves capex against its counterfactual'.

    Its parties follow its own spend (README, Cooperation economics): alpha owns 100 %
    (10 %), half borrowed from bank (5 %) at 8 %, equal principal, tenor 2, grace 1:
    drawn 0.5 x 1.5 = 0.75 in 2026; 2027 interest 0.08 x 0.75 = 0.06, principal 0.375;
    2028 interest 0.08 x 0.375 = 0.03, principal 0.375. Tax 20 %: x's deductions are its
    own 1.5/4 = 0.375 a year less the 2.0/4 = 0.5 a year of y the counterfactual would
    have deducted and does not build (review fin3 F4: a build avoided takes its
    depreciation with it; it was left out, and no tax was paid), so the taxable profit
    is 0 - 0.375 + 0.5 - interest: 0.065 (2027), 0.095 (2028), 0.125 (2029, 2030); tax
    0.013, 0.019, 0.025, 0.025. alpha: 2026 0.5 + 0.75 = 1.25; 2027 -0.06 - 0.375 -
    0.013 = -0.448; 2028 -0.03 - 0.375 - 0.019 = -0.424; 2029 and 2030 -0.025: NPV 1.25
    - 0.448/1.1 - 0.424/1.21 - 0.025/1.331 - 0.025/1.4641 = 0.456456 (0.519835 without
    the lost deductions).
    bank: -0.75, +0.435, +0.405: NPV at 5 % -0.75 + 0.414286 + 0.367347 = 0.031633,
    IRR 8 %. Before, build_year came from the incremental spend only: no cash-flow rows,
    no party rows and 'no spend' beside 1.5 MUSD of capex.

    alpha's flows start with money received: their root (-23.08 % before the lost
    deductions: 1.25 x^2 - 0.435 x - 0.405 = 0 with x = 1 / (1 + r); below 0 still) is
    the rate that money costs alpha (a borrowing rate: below alpha's 10 %, a gain). Shown
    as its IRR it read -23.1 % beside NPV +0.520 (review fin2 F3); now the IRR is blank
    with the note
    'money received first: a borrowing rate, not a return', in party_economics.csv, the
    terminal (with_notes) and the one-pager's party line. The bank's flows start with
    its drawdown: IRR 8 % as before."""
    import yaml

    from chainopt import api
    from tests.toycase import FEED_TO_PRODUCT, write_case

    case = write_case(tmp_path / "case", {
        **FEED_TO_PRODUCT,
        "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,product,400,5",
        "units": "unit,site,process,capacity_k_per_yr,fixed_om_usd_per_unit_yr,project\n"
                 "ux,plant,make,5,20,x\nuy,plant,make,5,20,y",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state\nx,1.5,p1,4,1,true,off\ny,2.0,p1,4,1,true,off",
        "parties": "party,discount_rate,currency\nalpha,0.10,USD\nbank,0.05,USD",
        "project_shares": "project,party,share\nx,alpha,1\ny,alpha,1",
        "project_finance": "project,debt_share,interest_rate,tenor_yr,grace_yr,repayment,"
                           "lender\nx,0.5,0.08,2,1,equal_principal,bank",
        "tax_regimes": "regime,profit_tax_rate,sites\nstd,0.2,",
    }, discount_rate=0.1, solver={"mip_gap": 1e-9},
        periods=[{"period": f"p{k + 1}", "start_year": 2026 + k, "length_yr": 1}
                 for k in range(5)])
    scen = tmp_path / "xy.yaml"
    scen.write_text(yaml.safe_dump({"base": str(case), "changes": [
        {"project": "x", "state": "optional"}, {"project": "y", "state": "optional"}]}))
    sections, _, _ = api.compare([str(case), str(scen)], out=tmp_path / "res")
    eco = sections["economics"].set_index("effect").loc["x"]
    assert eco["incremental NPV (MUSD)"] == pytest.approx(0.5, abs=1e-6)
    assert eco["Δ capex (MUSD)"] == pytest.approx(-0.5, abs=1e-6)
    assert eco["IRR note"] == eco["payback note"] == economics.SAVES_CAPEX
    cf = sections["project_cashflows"].set_index("year")
    assert cf.loc[2026:2031, "net_musd"].to_numpy() == pytest.approx(
        [0.5, 0, 0, 0, 0, 0], abs=1e-6)
    assert cf.loc[2026, "own_capex_musd"] == pytest.approx(-1.5)
    pf = sections["party_cashflows"]
    bank = pf[pf["party"] == "bank"].set_index("year")
    assert bank.loc[2026:2028, "drawdown_musd"].to_numpy() == pytest.approx(
        [-0.75, 0, 0])
    assert -bank.loc[2026:2028, "interest_musd"].to_numpy() == pytest.approx(
        [0, 0.06, 0.03])
    assert -bank.loc[2026:2028, "principal_musd"].to_numpy() == pytest.approx(
        [0, 0.375, 0.375])
    alpha = pf[pf["party"] == "alpha"].set_index("year")
    assert alpha.loc[2026:2030, "flow_musd"].to_numpy() == pytest.approx(
        [1.25, -0.448, -0.424, -0.025, -0.025], abs=1e-6)
    assert alpha["tax_musd"].sum() == pytest.approx(0.082, abs=1e-9)
    pe = sections["party_economics"]
    assert _row(pe, "alpha")["NPV (MUSD)"] == pytest.approx(0.456456, abs=1e-6)
    assert _row(pe, "bank", "lender")["NPV (MUSD)"] == pytest.approx(0.031633, abs=1e-6)
    assert _row(pe, "bank", "lender")["IRR"] == pytest.approx(0.08, abs=1e-9)
    assert economics.irr(np.array([1.25, -0.448, -0.424, -0.025, -0.025])) < 0
    # (the borrowing rate, no longer shown)
    a = _row(pe, "alpha")
    assert np.isnan(a["IRR"])
    assert a["IRR note"] == economics.RECEIVED_FIRST
    shown = economics.with_notes(pe[pe["party"] == "alpha"]).iloc[0]
    assert shown["IRR"] == "n/a (money received first: a borrowing rate, not a return)"
    from chainopt.report import onepager
    assert onepager.party_line(a).endswith(
        "IRR n/a (money received first: a borrowing rate, not a return)")


def test_a_scenario_that_changes_only_party_tables_has_no_inputs_line(tmp_path):
    """Base: project pj (1 MUSD, unit 5 kt/yr at a margin of 300 USD/t, one year, rate 0)
    off, financed 50 % by bank. Scenario fin: pj forced, and its loan's debt share set
    to 0.8 (project_finance): without pj the scenario is the base but for that table,
    which the plan never reads, so its plan is the base's: pj is worth 5 x 0.3 - 1 = 0.5
    and nothing else changes. It had an 'inputs' line of 0 NPV, 'n/a (no spend)'; now it
    has none. Scenario fin_price also sells at 500 instead of 400 (pj worth 5 x 0.4 - 1
    = 1.0): its inputs (without pj nothing is made, so 0 still, but inputs the plan
    reads) keep their line."""
    import yaml

    from chainopt import api
    from tests.toycase import FEED_TO_PRODUCT, write_case

    case = write_case(tmp_path / "case", {
        **FEED_TO_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr,project\nu,plant,make,5,pj",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state\npj,1,p1,1,0,true,off",
        "parties": "party,discount_rate,currency\nalpha,0.1,USD\nbank,0.05,USD",
        "project_shares": "project,party,share\npj,alpha,1",
        "project_finance": "project,debt_share,interest_rate,tenor_yr,grace_yr,repayment,"
                           "lender\npj,0.5,0.08,2,1,annuity,bank",
    })
    loan = {"table": "project_finance", "where": {"project": "pj"},
            "set": {"debt_share": 0.8}}
    forced = {"project": "pj", "state": "forced", "period": "p1"}
    fin, price = tmp_path / "fin.yaml", tmp_path / "fin_price.yaml"
    fin.write_text(yaml.safe_dump({"name": "fin", "base": str(case),
                                   "changes": [forced, loan]}))
    price.write_text(yaml.safe_dump({"name": "fin_price", "base": str(case), "changes": [
        forced, loan, {"table": "markets", "where": {"commodity": "product"},
                       "set": {"price_usd_per_unit": 500}}]}))
    sections, _, _ = api.compare([str(case), str(fin), str(price)], out=tmp_path / "res")
    eco = sections["economics"]
    lines = eco.set_index(["scenario", "effect"])["incremental NPV (MUSD)"].to_dict()
    assert lines[("fin", "pj")] == pytest.approx(0.5, abs=1e-9)
    assert ("fin", "inputs") not in lines
    assert lines[("fin_price", "pj")] == pytest.approx(5 * 0.4 - 1, abs=1e-9)
    assert ("fin_price", "inputs") in lines


def _compare_optional(folder: Path, tables: dict, projects: list[str],
                      forced: str | None = None, periods: list[dict] | None = None) -> dict:
    """``periods`` (default: five one-year periods from 2026) at 10 % (a MIP gap of
    1e-9), ``tables`` written to ``folder``/case and compared with ``projects`` made
    optional (``forced``: forced in that period); the sections."""
    import yaml

    from chainopt import api
    from tests.toycase import write_case

    periods = periods or [{"period": f"p{k + 1}", "start_year": 2026 + k, "length_yr": 1}
                          for k in range(5)]
    case = write_case(folder / "case", tables, discount_rate=0.1, solver={"mip_gap": 1e-9},
                      periods=periods)
    scen = folder / "scenario.yaml"
    scen.write_text(yaml.safe_dump({"base": str(case), "changes": [
        {"project": j, "state": "optional"} if forced is None else
        {"project": j, "state": "forced", "period": forced} for j in projects]}))
    return api.compare([str(case), str(scen)], out=folder / "res")[0]


#: review fin's case L: feed (at most 5 kt/yr, 100 USD/t) or gas (20 USD/t) made into
#: feed by mode g (gas2feed), feed into prod by mode m (make), prod sold at 300 USD/t
#: (at most 20 kt/yr); add the units, projects and parties
GAS_TO_FEED = {
    "commodities": "commodity,unit,kind\ngas,t,raw\nfeed,t,intermediate\nprod,t,product",
    "sites": "site\nplant",
    "modes": "mode,process\nm,make\ng,gas2feed",
    "mode_flows": "mode,commodity,direction,amount_per_unit\nm,feed,in,1\nm,prod,out,1\n"
                  "g,gas,in,1\ng,feed,out,1",
    "supplies": "site,commodity,cost_usd_per_unit,max_k_per_yr\nplant,feed,100,5\n"
                "plant,gas,20,",
    "markets": "site,commodity,price_usd_per_unit,max_k_per_yr\nplant,prod,300,20",
}


def test_capitalised_interest_during_construction_by_hand():
    """Interest during construction (IDC) capitalised: 100 spent in 2026 and 100 in 2027,
    60 % borrowed at 10 %, two years of grace (first repayment max(2026 + 2, 2027 + 1) =
    2028), five repayments. Year by year, B the balance before the year's flows:
      2026 B 0, interest 0, drawn 60, balance 60;
      2027 B 60, interest 6 accrues and is added (no cash interest), drawn 60: 126;
      2028 B 126: 126 x 1.1 = 138.6 owed at the first repayment.
    Annuity: A = 126 x 0.1 / (1 - 1.1^-5) = 33.23848 (= 138.6 / sum_{k=0}^{4} 1.1^-k,
    138.6 / 4.169865), 2028 interest 12.6, principal 20.63848, balance 105.36152; 2029
    interest 10.53615, principal 22.70233; ... 2032 principal 30.21680, balance 0; the
    principal repaid is 126 = the 120 drawn + the 6 capitalised. Equal principal: 126 / 5
    = 25.2 a year, interest 12.6, 10.08, 7.56, 5.04, 2.52. Paid (today's, the default):
    2027 interest 6 in cash and the annuity on 120, 120 x 0.1 / (1 - 1.1^-5) = 31.65570."""
    spend = pd.Series({2026: 100.0, 2027: 100.0})
    a = debt_schedule(spend, 0.6, 0.10, 5, 2, "annuity", "capitalised")
    assert a.index.tolist() == list(range(2026, 2033))
    assert a["drawdown"].to_numpy() == pytest.approx([60, 60, 0, 0, 0, 0, 0])
    assert a["interest"].loc[2026:2027].to_numpy() == pytest.approx([0.0, 0.0])
    assert a["capitalised"].to_numpy() == pytest.approx([0, 6, 0, 0, 0, 0, 0])
    assert a.loc[2027, "balance"] == pytest.approx(126.0)
    service = (a["interest"] + a["principal"]).loc[2028:2032].to_numpy()
    assert service == pytest.approx([33.23848] * 5, abs=5e-6)
    assert service[0] * sum(1.1 ** -k for k in range(5)) == pytest.approx(138.6)
    assert a.loc[2028:2029, "interest"].to_numpy() == pytest.approx([12.6, 10.53615],
                                                                    abs=5e-6)
    assert a.loc[2028:2029, "principal"].to_numpy() == pytest.approx([20.63848, 22.70233],
                                                                     abs=5e-6)
    assert a["principal"].sum() == pytest.approx(126.0)
    assert a["balance"].iloc[-1] == pytest.approx(0.0, abs=1e-9)
    e = debt_schedule(spend, 0.6, 0.10, 5, 2, "equal_principal", "capitalised")
    assert e.loc[2028:2032, "principal"].to_numpy() == pytest.approx([25.2] * 5)
    assert e.loc[2026:2032, "interest"].to_numpy() == pytest.approx(
        [0, 0, 12.6, 10.08, 7.56, 5.04, 2.52])
    paid = debt_schedule(spend, 0.6, 0.10, 5, 2, "annuity")
    assert paid.loc[2027, "interest"] == pytest.approx(6.0)
    assert paid["capitalised"].sum() == 0.0
    assert (paid["interest"] + paid["principal"]).loc[2028] == pytest.approx(31.65570,
                                                                             abs=5e-6)


# capex 100 at the start of 2026 and of 2027; operating 60 in 2028-2033; horizon to 2033
IDC_FLOWS = pd.DataFrame({"year": range(2026, 2035),
                          "operating_musd": [0.0, 0.0] + [60.0] * 6 + [0.0],
                          "capex_musd": [-100.0, -100.0] + [0.0] * 7,
                          "residual_musd": [0.0] * 9})
IDC_PARTIES = [("sp", 0.12, "USD", ""), ("bank", 0.10, "USD", "")]


def _idc_terms(idc, regimes=()):
    terms = _terms(shares=[("j", "sp", 1.0, 0.0)],
                   finance=[("j", 0.6, 0.10, 5, 2, "annuity", "bank", "")],
                   regimes=regimes, party_rows=IDC_PARTIES)
    return dataclasses.replace(terms, finance=terms.finance.assign(idc=idc))


def test_capitalised_idc_in_the_parties_flows_by_hand():
    """The loan of test_capitalised_interest_during_construction_by_hand on a project
    spending 100 in 2026 and 100 in 2027 and earning 60 a year in 2028-2033 (no tax),
    held 100 % by sp, lent by bank at 10 %, idc capitalised. A = 33.23848.
    sp's flow (operating + capex + drawn - interest - principal):
      2026 -100 + 60 = -40; 2027 -100 + 60 - 0 = -40 (paid: -46, the 6 of interest);
      2028-2032 60 - A = 26.76152; 2033 60.
    bank's: -60, -60, then +A in 2028-2032 and no interest before; discounted at its
    loan rate to 2026, -60 - 60 / 1.1 + A x sum_{k=2}^{6} 1.1^-k = -114.54545 + 33.23848
    x 3.44617 = 0 (computed here from the yearly flows, not by the report's discounting;
    the report's NPV says 0 too, and its IRR 10 %).
    DSCR = 60 / A = 1.80514 in each repayment year 2028-2032 (paid: 60 / 31.65570 =
    1.89539): the grown balance is covered less.
    The interest added to the loan, 6 in 2027, is party_cashflows.csv's
    capitalised_musd (the bank's -6: its own amounts are negated), which the flow leaves
    out and the principal brings back: 126 repaid, 120 drawn + 6 (review fin5 F1: no
    table showed it)."""
    s, y = project_parties(IDC_FLOWS, _idc_terms("capitalised"), "j", 2028, 6)
    a = 12.6 / (1 - 1.1 ** -5)
    sp = y[y["party"] == "sp"].set_index("year")
    assert sp.loc[2026:2027, "interest_musd"].to_numpy() == pytest.approx([0.0, 0.0])
    assert sp["capitalised_musd"].to_numpy() == pytest.approx([0, 6] + [0] * 7)
    assert sp["principal_musd"].sum() == pytest.approx(120 + 6)
    assert list(y.columns) == [c for c in parties.FLOW_COLUMNS if c != "scenario"]
    assert sp["flow_musd"].to_numpy() == pytest.approx(
        [-40, -40] + [60 - a] * 5 + [60, 0])
    bank = y[y["party"] == "bank"].set_index("year")
    assert bank["flow_musd"].to_numpy() == pytest.approx([-60, -60] + [a] * 5 + [0, 0])
    assert bank.loc[2027, "capitalised_musd"] == pytest.approx(-6.0)
    assert bank.loc[2026:2027, "interest_musd"].to_numpy() == pytest.approx([0.0, 0.0])
    own = (bank["flow_musd"] * 1.1 ** -(bank.index.to_numpy() - 2026.0)).sum()
    assert own == pytest.approx(0.0, abs=1e-9)
    assert _row(s, "bank", "lender")["NPV (MUSD)"] == pytest.approx(0.0, abs=1e-9)
    assert _row(s, "bank", "lender")["IRR"] == pytest.approx(0.10)
    assert _row(s, "sp")["min DSCR"] == pytest.approx(1.80514, abs=5e-6)
    assert _row(s, "sp")["avg DSCR"] == pytest.approx(60 / a)
    s0, y0 = project_parties(IDC_FLOWS, _idc_terms("paid"), "j", 2028, 6)
    assert y0[y0["party"] == "sp"].set_index("year").loc[2027, "flow_musd"] == \
        pytest.approx(-46.0)
    assert _row(s0, "sp")["min DSCR"] == pytest.approx(1.89539, abs=5e-6)


def test_capitalised_interest_is_deducted_as_it_accrues():
    """The project of test_capitalised_idc_in_the_parties_flows_by_hand at the SEZ's 10 %
    profit tax, depreciating 200 / 6 = 33.33333 a year in 2028-2033. The interest
    capitalised in 2027 is deducted in 2027, as paid interest is (the README's choice):
      2026 taxable 0, tax 0;
      2027 taxable -6 (the capitalised interest), tax 0, 6 carried forward;
      2028 60 - 33.33333 - 12.6 = 14.06667, less the 6 carried: 0.1 x 8.06667 = 0.80667;
      2029 60 - 33.33333 - 10.53615 = 16.13052: 1.61305.
    Not deducted at all, 2028 would pay 1.40667; with the interest paid, 0.86667 (the
    same 6 in 2027, 12 in 2028). The first repayment year's cover is (60 - 0.80667) /
    33.23848 = 1.78087."""
    _, y = project_parties(IDC_FLOWS, _idc_terms("capitalised", REGIMES), "j", 2028, 6)
    sp = y[y["party"] == "sp"].set_index("year")
    assert sp.loc[2026:2029, "tax_musd"].to_numpy() == pytest.approx(
        [0, 0, 0.80667, 1.61305], abs=5e-6)
    _, y0 = project_parties(IDC_FLOWS, _idc_terms("paid", REGIMES), "j", 2028, 6)
    assert y0[y0["party"] == "sp"].set_index("year").loc[2028, "tax_musd"] == \
        pytest.approx(0.86667, abs=5e-6)
    assert (60 - sp.loc[2028, "tax_musd"]) / (12.6 / (1 - 1.1 ** -5)) == pytest.approx(
        1.78087, abs=5e-6)


def test_capitalised_interest_in_a_nominal_loan_and_in_roubles():
    """Nominal: test_a_nominal_equal_principal_loan_is_deflated_year_by_year's loan (100
    spent in 2026 and 2027, half borrowed at 10 % nominal, inflation 4 %, one year of
    grace, two equal repayments from 2028) with idc capitalised. In money of each year:
      2026 drawn 50, balance 50;
      2027 interest 5 accrues on the nominal balance and is added, drawn 52: 107;
      2028 interest 10.7, principal 53.5; 2029 interest 5.35, principal 53.5.
    Deflated (/ 1.04^(y - 2026)): capitalised 2027 5 / 1.04 = 4.80769; interest 2028
    10.7 / 1.0816 = 9.89275, 2029 5.35 / 1.124864 = 4.75613; principal 49.46376 and
    47.56131. The lender's real flows -50, -50, 59.35651, 52.31744 earn the real rate
    r = 1.1 / 1.04 - 1: their NPV at r is 0.
    Roubles (80 RUB/USD in 2026, 100 from 2027): 100 MUSD all borrowed at 10 %, two
    years of grace, one repayment: 8,000 M RUB drawn in 2026; 2027 800 M RUB capitalised
    (8 MUSD at 0.01), balance 8,800; 2028 interest 880 M RUB = 8.8 MUSD and principal
    8,800 M RUB = 88 MUSD. The lender gets 96.8 MUSD back for 100 lent."""
    terms = _terms()
    t = _loan(terms, {2026: 100.0, 2027: 100.0}, 0.5, 0.10, 2, 1, "equal_principal",
              inflation=0.04, idc="capitalised")
    assert t["capitalised"].to_numpy() == pytest.approx([0, 4.80769, 0, 0], abs=5e-6)
    assert t["interest"].to_numpy() == pytest.approx([0, 0, 9.89275, 4.75613], abs=5e-6)
    assert t["principal"].to_numpy() == pytest.approx([0, 0, 49.46376, 47.56131], abs=5e-6)
    r = 1.1 / 1.04 - 1
    lender = -t["drawdown"] + t["interest"] + t["principal"]
    assert lender.to_numpy() == pytest.approx([-50, -50, 59.35651, 52.31744], abs=5e-6)
    assert (lender / (1 + r) ** np.arange(4)).sum() == pytest.approx(0.0, abs=1e-9)
    rub = _loan(terms, {2026: 100.0}, 1.0, 0.10, 1, 2, "equal_principal", currency="RUB",
                idc="capitalised")
    assert rub["drawdown"].to_numpy() == pytest.approx([100, 0, 0])
    assert rub["capitalised"].to_numpy() == pytest.approx([0, 8.0, 0])
    assert rub["interest"].to_numpy() == pytest.approx([0, 0, 8.8])
    assert rub["principal"].to_numpy() == pytest.approx([0, 0, 88.0])


def test_payback_counts_the_horizon_not_the_sales_year_after_it():
    """IDC_FLOWS earning 20 a year (not 60) in 2028-2033, the horizon ending with 2033
    (the stream's last year, 2034, holds the residual value), 60 % borrowed at 10 % with
    seven years of grace: interest only, 12 a year from 2028, the repayments due in
    2033-2037; the sale in 2034 settles the 120 - (31.6557 - 12) = 100.3443 still owed
    (review fin6 F2: 2034 pays 10.0344 of interest and 100.3443 of principal, and
    nothing falls after it; the repayments ran to 2037). sp's flow: 2026 -40; 2027 -46;
    2028-2032 20 - 12 = 8; 2033 20 - the first annuity (interest and principal)
    12 / (1 - 1.1^-5) = 31.6557: -11.6557; 2034 -1.1 x 100.3443 = -110.3787.
    Cumulative at the end of 2033: -86 + 40 - 11.6557 = -57.6557 < 0: not paid back by
    2033, the horizon's last year. The note named 2036, the year before the loan's last
    (review fin5 F2), and the payback counted the repayments after the horizon. Its note
    said 'residual value not counted', as if the year left out could pay it back: that
    year costs it another 110.3787 (review fin7 F5)."""
    flows = IDC_FLOWS.assign(operating_musd=[0.0, 0.0] + [20.0] * 6 + [0.0])
    terms = _idc_terms("paid")
    terms = dataclasses.replace(terms, finance=terms.finance.assign(grace_yr=7))
    s, y = project_parties(flows, terms, "j", 2028, 6)
    sp = y[y["party"] == "sp"].set_index("year")
    assert sp.index.max() == 2034  # the sale's year settles the loan
    left = 120 - (12 / (1 - 1.1 ** -5) - 12)
    assert sp.loc[2034, "principal_musd"] == pytest.approx(left)
    assert sp.loc[2034, "principal_musd"] == pytest.approx(100.3443, abs=1e-4)
    assert sp.loc[2026:2034, "flow_musd"].to_numpy() == pytest.approx(
        [-40, -46] + [8] * 5 + [20 - 12 / (1 - 1.1 ** -5), -1.1 * left])
    row = _row(s, "sp")
    assert math.isnan(row["payback (yr)"])
    # the year payback leaves out repays more loan than the sale (0) brings (review fin7
    # F5): -86 + 40 - 11.6557 - 110.3787 = -168.0344 in all
    assert row["payback note"] == (
        "not paid back by 2033, the horizon's end; nor in 2034: the sale does not cover "
        "the loan it repays (-110.4 MUSD that year, -168.0 MUSD in all)")


def test_a_party_never_out_of_pocket_has_no_payback_of_0():
    """All of IDC_FLOWS' spend borrowed (debt_share 1), the interest capitalised, its
    operating flow 60, 60, 60, 50, 50, 60 in 2028-2033: drawn 100 and 100, owed 210 at
    the first repayment (100 x 1.1 + 100), A = 21 / (1 - 1.1^-5) = 55.3975. sp's flow:
    0, 0, then 4.6025 three times, -5.3975 twice, 60: its cumulative flow never falls
    below 0 (13.81, 8.41, 3.01). Its payback read 0.000 years, as if it repaid at once
    (review fin5 F4); now blank, with the note saying why."""
    flows = IDC_FLOWS.assign(operating_musd=[0.0, 0.0, 60, 60, 60, 50, 50, 60, 0.0])
    terms = _idc_terms("capitalised")
    terms = dataclasses.replace(terms, finance=terms.finance.assign(debt_share=1.0))
    s, y = project_parties(flows, terms, "j", 2028, 6)
    a = 21 / (1 - 1.1 ** -5)
    sp = y[y["party"] == "sp"].set_index("year")
    assert sp.loc[2026:2033, "flow_musd"].to_numpy() == pytest.approx(
        [0, 0] + [60 - a] * 3 + [50 - a] * 2 + [60])
    row = _row(s, "sp")
    assert math.isnan(row["payback (yr)"])
    assert row["payback note"] == ("never out of pocket: its cumulative flow never falls "
                                   "below 0")


#: 100 spent in 2026, 30 a year earned in 2027-2029, the horizon ending with 2029, the
#: sale in 2030 (``end``) at the residual value (set per test)
SALE_FLOWS = pd.DataFrame({"year": range(2026, 2031),
                           "operating_musd": [0.0, 30.0, 30.0, 30.0, 0.0],
                           "capex_musd": [-100.0, 0.0, 0.0, 0.0, 0.0],
                           "residual_musd": [0.0] * 5})


def _settled_by_the_sale(residual: float, debt_share: float = 0.9):
    """SALE_FLOWS sold at ``residual``, held 100 % by sp (12 %), no tax; ``debt_share``
    of the spend lent by bank at 10 %, interest capitalised over five years of grace: the
    first repayment would fall in 2031, after the sale, which settles the loan."""
    terms = _idc_terms("capitalised")
    terms = dataclasses.replace(terms, finance=terms.finance.assign(
        debt_share=debt_share, tenor_yr=10, grace_yr=5))
    flows = SALE_FLOWS.assign(residual_musd=[0.0] * 4 + [residual])
    return project_parties(flows, terms, "j", 2027, 10)


def test_a_payback_the_sales_settlement_undoes_says_so():
    """Review fin7 F5: 90 of the 100 borrowed at 10 %, the interest capitalised (9, 9.9,
    10.89 and, in 2030, 11.979), so the sale in 2030 repays 90 x 1.1^4 = 131.769 and no
    interest is ever paid in cash. sp's flow: 2026 -100 + 90 = -10; 2027-2029 +30;
    2030 R - 131.769. Payback (the year of the sale not counted): -10 at the start of
    2026, back after 10 / 30 of 2027: 1.3333 years.
    * R = 20: 2030 brings -111.769, and sp ends at -10 + 90 - 111.769 = -31.769, its
      peak funding, set after its payback; the payback stays 1.3333 and its note says
      'out of pocket again in 2030: the sale does not cover the loan it repays (-111.8
      MUSD that year, -31.8 MUSD in all)' (it said nothing).
    * R = 60: -71.769 in 2030, still 80 - 71.769 = 8.231 in all: 'net outflow in 2030:
      ...'.
    * R = 140: +8.231 in 2030, no note.
    * All of it borrowed (100 x 1.1^4 = 146.41 repaid), R = 20: 0, 30, 30, 30, -126.41:
      no net outflow before the sale (no payback: 'no outflow'), -36.41 in all: 'out of
      pocket only in 2030: ...'."""
    settle = 90 * 1.1**4
    assert settle == pytest.approx(131.769)
    s, y = _settled_by_the_sale(20.0)
    sp = y[y["party"] == "sp"].set_index("year")["flow_musd"]
    assert sp.to_numpy() == pytest.approx([-10.0, 30.0, 30.0, 30.0, 20.0 - settle])
    row = _row(s, "sp")
    assert row["payback (yr)"] == pytest.approx(1 + 10 / 30)
    assert row["peak funding (MUSD)"] == pytest.approx(80 + 20 - settle)
    assert row["peak funding (MUSD)"] == pytest.approx(-31.769, abs=1e-3)
    assert row["payback note"] == (
        "out of pocket again in 2030: the sale does not cover the loan it repays "
        "(-111.8 MUSD that year, -31.8 MUSD in all)")
    row = _row(_settled_by_the_sale(60.0)[0], "sp")
    assert row["payback (yr)"] == pytest.approx(1 + 10 / 30)
    assert row["payback note"] == (
        "net outflow in 2030: the sale does not cover the loan it repays "
        "(-71.8 MUSD that year, 8.231 MUSD in all)")
    row = _row(_settled_by_the_sale(140.0)[0], "sp")
    assert (row["payback (yr)"], row["payback note"]) == (pytest.approx(1 + 10 / 30), "")
    s, y = _settled_by_the_sale(20.0, debt_share=1.0)
    sp = y[y["party"] == "sp"].set_index("year")["flow_musd"]
    assert sp.to_numpy() == pytest.approx([0.0, 30.0, 30.0, 30.0, 20.0 - 146.41])
    row = _row(s, "sp")
    assert math.isnan(row["payback (yr)"])
    assert row["payback note"] == (
        "out of pocket only in 2030: the sale does not cover the loan it repays "
        "(-126.4 MUSD that year, -36.4 MUSD in all)")


def test_a_lenders_payback_note_names_the_settlement_and_a_blank_dscr_its_reason():
    """Review fin7 F6, F7: the loan of test_a_payback_the_sales_settlement_undoes_says_so
    (R = 20): bank's flows -90, 0, 0, 0, +131.769, worth 0 at its 10 %. Not paid back by
    2029: what payback leaves out is the loan's settlement at the sale in 2030, not a
    residual value (a lender has none). The first repayment would fall in 2031: none
    inside the horizon, so no DSCR (min and avg blank), and each party row's note says
    why."""
    s, y = _settled_by_the_sale(20.0)
    bank = y[y["party"] == "bank"].set_index("year")["flow_musd"]
    assert bank.to_numpy() == pytest.approx([-90.0, 0.0, 0.0, 0.0, 90 * 1.1**4])
    row = _row(s, "bank", "lender")
    assert row["NPV (MUSD)"] == pytest.approx(0.0, abs=1e-9)
    assert math.isnan(row["payback (yr)"])
    assert row["payback note"] == ("not paid back by 2029, the horizon's end; the loan's "
                                   "settlement at the sale in 2030 not counted")
    assert s["min DSCR"].isna().all() and s["avg DSCR"].isna().all()
    assert s["note"].tolist() == [
        "no DSCR: no repayment falls inside the horizon, the sale in 2030 settles the loan"] * 2
    # with a repayment inside the horizon (grace 1: from 2027) the DSCR is there, no note
    terms = _idc_terms("paid")
    terms = dataclasses.replace(terms, finance=terms.finance.assign(debt_share=0.9,
                                                                    tenor_yr=10, grace_yr=1))
    s1, _ = project_parties(SALE_FLOWS, terms, "j", 2027, 10)
    assert s1["min DSCR"].notna().all() and s1["note"].tolist() == ["", ""]


def test_compare_notes_the_reviewers_e8_by_hand(tmp_path):
    """Review fin7 E8 end to end: periods 2026 and 2027-2029 (``end`` 2030) at 10 %;
    project pj (100 MUSD, lead time 1, life 4) runs 150 kt/yr at a margin of 300 USD/t:
    45 MUSD a year in 2027-2029; its residual value in 2030 is the last of the annuity
    110 / (1 + 1/1.1 + 1/1.21 + 1/1.331) = 110 / 3.486852 = 31.5470. 95 % borrowed from
    bank at 20 %, interest capitalised, grace 5: capitalised 19, 22.8, 27.36, 32.832,
    and the sale settles 95 x 1.2^4 = 196.992. Tax 20 %, depreciation 25 a year
    (book value 25 left at the sale): 2027 0.2 x (45 - 25 - 19) = 0.2, then losses
    (-2.8, -7.36; 2030 31.547 - 25 - 32.832 = -26.285): no more tax. sp (70 %, 12 %):
    -3.5, 0.7 x 45 - 0.14 = 31.36, 31.5, 31.5, 0.7 x (31.547 - 196.992) = -115.811.
    Its NPV rises through 0 at 13.2 % and falls at 892.4 %: IRR 892.4 %, 'NPV > 0 only
    between 13.2 % and 892.4 %' (it read 'NPV is also 0 at 13.2 %', beside an NPV of
    -1.568 at sp's 12 %). Payback 1 + 3.5 / 31.36 = 1.1116, and sp ends at -3.5 + 94.36
    - 115.811 = -24.951 (its peak funding): 'out of pocket again in 2030: ...'. No
    repayment inside the horizon: no DSCR, said in each row's note (F7). The bank's
    payback note names the settlement (F6)."""
    from tests.toycase import FEED_TO_PRODUCT

    sections = _compare_optional(tmp_path, {
        **FEED_TO_PRODUCT,
        "units": "unit,site,process,capacity_k_per_yr,project\nnew,plant,make,150,pj",
        "projects": "project,capex_musd,earliest_period,lifetime_yr,lead_time_yr,"
                    "all_or_nothing,state\npj,100,p1,4,1,true,off",
        "parties": "party,discount_rate,currency\nsp,0.12,USD\npt,0.08,USD\nbank,0.10,USD",
        "project_shares": "project,party,share\npj,sp,0.7\npj,pt,0.3",
        "project_finance": "project,debt_share,interest_rate,tenor_yr,grace_yr,repayment,"
                           "lender,idc\npj,0.95,0.20,10,5,annuity,bank,capitalised",
        "tax_regimes": "regime,profit_tax_rate,sites\nstd,0.2,",
    }, ["pj"], periods=[{"period": "p1", "start_year": 2026, "length_yr": 1},
                        {"period": "p2", "start_year": 2027, "length_yr": 3}])
    flows = sections["party_cashflows"]
    sp = flows[flows["party"] == "sp"].set_index("year")["flow_musd"]
    residual = 110 / 3.486852
    settle = 95 * 1.2**4
    assert sp.to_numpy() == pytest.approx(
        [-3.5, 31.36, 31.5, 31.5, 0.7 * (residual - settle)], abs=1e-5)
    pe = sections["party_economics"].set_index("party")
    assert pe.loc["sp", "IRR"] == pytest.approx(8.924383, abs=1e-6)
    assert pe.loc["sp", "IRR note"] == "NPV > 0 only between 13.2 % and 892.4 %"
    assert pe.loc["sp", "NPV (MUSD)"] == pytest.approx(-1.5676, abs=1e-4)
    assert pe.loc["sp", "payback (yr)"] == pytest.approx(1 + 3.5 / 31.36, abs=1e-6)
    assert pe.loc["sp", "peak funding (MUSD)"] == pytest.approx(-24.951, abs=1e-3)
    assert pe.loc["sp", "payback note"] == (
        "out of pocket again in 2030: the sale does not cover the loan it repays "
        "(-115.8 MUSD that year, -25.0 MUSD in all)")
    assert pe.loc["bank", "payback note"] == (
        "not paid back by 2029, the horizon's end; the loan's settlement at the sale in "
        "2030 not counted")
    assert pe["min DSCR"].isna().all()
    assert pe["note"].tolist() == [
        "no DSCR: no repayment falls inside the horizon, the sale in 2030 settles the loan"] * 3
