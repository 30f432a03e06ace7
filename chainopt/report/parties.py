"""Cooperation economics: a project's incremental cash flows split among its parties,
with debt, profit tax and each party's currency.

Post-processing only: the optimisation is one system optimum; this module takes the
yearly incremental stream of :func:`chainopt.report.economics.project_economics`
(operating, capex, residual value; MUSD) and the case's ``parties``,
``project_shares``, ``project_finance``, ``tax_regimes`` and ``fx_rates`` tables.
pandas/numpy only. All flows at the case's timing (start of year by default).

For one project, year by year (MUSD):

* **Capex**: the incremental stream's capex is the project's own overnight spend (capex
  x built share over its construction years, ``own_y``; one build per tranche, each
  spent over its own construction years) plus what it makes the rest of the chain
  spend or not spend (e.g. a life extension the counterfactual needs). Debt and
  equipment supply follow ``own_y``; tax depreciation follows ``own_y`` and the other
  builds by which the scenario and its counterfactual differ (``others``,
  :func:`chainopt.report.economics.incremental_builds`): plus those the scenario makes
  and its counterfactual does not (a project that ``requires`` it, a unit or link
  expansion it feeds, a life extension it makes necessary, whose profit is in its
  stream), minus those it avoids (a life extension the counterfactual makes: the
  deductions the counterfactual would have had), each over its own life; the rest goes
  to the owners by share, untaxed, in whatever year it falls.
* **Debt** (``project_finance``): drawdown ``D_y = debt_share x own_y``. With
  B the balance before year y's flows: interest ``I_y = i B``; from year
  ``y0 + max(grace_yr, 1)`` (y0: first drawdown), and not before the year after the last
  drawdown, ``tenor_yr`` repayments: equal principal
  ``P_y = B / n_left``, or annuity ``P_y = B i / (1 - (1+i)^-n_left) - I_y``; then
  ``B <- B - P_y + D_y``. Interest during construction (``idc``): ``paid`` (default) as
  above; ``capitalised``: in each year before the first repayment ``I_y = 0`` and the
  accrued ``C_y = i B`` is added to the balance, ``B <- B + C_y + D_y``, so the
  repayments run on the grown balance (:func:`debt_schedule`).
  **The sale settles the loan**: in the year ``end`` after the horizon (the sale at the
  residual value, below) ``I_end`` (or ``C_end``) is as above and ``P_end = B (+ C_end)
  + D_end``, all that is owed, so the balance is 0 and no debt flow falls after
  ``end``: a loan whose tenor outlives the horizon is repaid from the sale, not by
  owners with no income left to pay it from (nor to deduct its interest from). The
  lender is repaid at par, so its NPV at the loan's rate stays 0.
  A loan in another ``currency`` runs in it (its interest rate is that currency's) and
  each year's drawdown, interest and principal cost ``x fx_y`` MUSD (:func:`loan_in_usd`);
  the FX gain or loss this makes (a falling rouble repays for fewer dollars than it
  drew) is not taxed: only the interest, at its year's rate, is deducted.
  A loan with an ``inflation`` j > 0 (its currency's expected yearly inflation) is a
  nominal loan in a case of real money: with the index ``P_y = (1+j)^(y - base_year)``
  it draws ``D_y P_y`` in money of each year, runs the schedule above on those at its
  quoted nominal ``interest_rate``, and each year's drawdown, interest and principal
  (and balance) are divided by ``P_y`` back to the case's money. The loan is linear in
  its drawdowns, so the index's base year only scales the nominal amounts and cancels.
  At j = 0 it is the schedule above; its real cost is then that of an indexed loan.
* **Tax**: party p with equity share s pays ``rate x`` its taxable profit
  ``s (operating_y - depreciation_y - I_y - C_y)`` (interest deducted as it accrues,
  paid or capitalised; a nominal loan's ``I_y`` and ``C_y`` deflated, so its
  inflation gain on the principal is not taxed, as an FX gain is not), losses carried
  forward without limit;
  tax depreciation is straight-line per build (the project's and the others, those
  avoided negative):
  each tranche's own overnight capex
  (capex x its built share) / lifetime_yr from its own first year of use (a tranche
  built later starts later), to the horizon end at the latest (the
  tax books are in USD: a rouble taxpayer's depreciation keeps its dollar value).
  **Residual value**: the project is sold at its residual value R on the horizon's
  last day, booked in the year ``end`` after it (R's year, at the rate that year has
  in the schedule below): the taxable profit of ``end`` is ``s (operating_end -
  I_end - C_end + R - B)``, with B the tax book value left then (:func:`book_value`:
  each build's depreciation not deducted by ``end``, the project's and the others',
  an avoided one's negative, as its depreciation is). R is the value of the annuities
  of the builds' alive years after the horizon, so taxing its gain over B (a loss
  R < B set against that year's other profit, else carried forward by :func:`_tax`)
  treats R and the undeducted book value alike, as a valuation at the horizon does.
  A regime with an ``inflation`` j > 0 keeps its books in money of each year: with
  ``P_y = (1+j)^(y - base_year)`` the tax is ``rate x`` the taxable profit
  ``P_y s (operating_y - I_y) - s dep_y``, losses carried forward at their amount, and
  divided by ``P_y``; ``dep_y`` depreciates the historic cost, each construction year's
  spend ``x P_s`` (:func:`depreciation`), and the sale's gain is ``P_end R`` less the
  nominal book value left. At j = 0 it is the tax above. The
  rate: the project's ``tax_regime`` in ``project_finance``, else the regime listing the
  project's site (its first unit's site, else its first link's ``from_site``), else the
  party's ``tax_regime``, else the regime with blank sites, else 0. A regime's tax
  holiday: with y1 the project's first year of taxable profit (> 0, before losses
  carried forward, and without the deductions lost with a build it avoids, which were
  the chain's without it, nor the sale at the horizon end, no profit of the plant's
  activity; one year for all its parties) from its first year of use (its
  first tranche's) on, rate 0 in y1 .. y1 + holiday_years - 1, ``reduced_rate`` in
  the ``reduced_years`` after them (:meth:`Terms.tax_rates`); losses carried forward
  are used in the holiday too. The sale's gain, no profit of that activity, is taxed
  at the regime's ``profit_tax_rate`` even where a holiday or reduced years would still
  be in force in the year ``end``.
* **Equity flow** of party p: ``s (operating + capex + residual + D - I - P) - tax_p``
  (capex: the incremental stream's, own spend and the rest); the **lender**
  (``project_finance.lender``) gets ``-D + I + P``.
* Per party, in the party's currency (its ``discount_rate`` is a rate in that currency:
  a rouble cost of capital discounts rouble flows): NPV with the case's timing,
  ``sum_y local_y (1 + r_p)^-(y - base_year + shift)`` (``local_y = flow_y / fx_y``),
  shown in MUSD at the base year's FX rate; IRR of ``local_y``; payback from the party's
  own yearly net flow in its currency, residual not counted (a year's net outflow at
  its start, a net inflow through the year; from the first year of net outflow until
  the cumulative flow is >= 0 for good); peak funding need (most negative cumulative
  flow, MUSD); tax paid.
  DSCR_y = (operating_y - tax_y) / (I_y + P_y) over the repayment years (P_y > 0)
  inside the horizon, y < end (the year ``end`` has no operating flow, only the sale,
  which settles the loan, so its repayment is no debt service; a year inside it after
  the plant's life has ended counts, with a cover of 0),
  with tax_y the whole project's tax: the parties' and, for a share no listed party
  holds (shares sum to at most 1), the tax on it at the project's own rate.
* **Currency**: each flow also in the party's currency, ``flow_y / usd_per_unit`` at the
  ``fx_rates`` value of the period holding y (the first or last period outside the
  horizon); ``NPV (M local)`` discounts those at the party's rate and ``NPV (MUSD)`` is
  it at the base year's rate (one value in two currencies: both columns agree).

A project whose stream includes another's (one built only with it, such as one that
``requires`` it: the economics' ``includes``) splits the whole stream, the included
project's capex, profit and depreciation too, by its own shares: the included project's
``project_shares`` are not applied there, and each such party row says so in ``note``
(:func:`includes_note`: 'includes b's flows, split by a's shares'); the included
project's own rows split its stream against the including one kept by its own shares.

A project without ``project_shares`` rows belongs to one implicit party ``system`` at the
case's discount rate, so with no debt and no tax its NPV is the project's incremental
NPV.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from chainopt.case.discount import Discounting, annuity_due
from chainopt.case.levers import fx_path
from chainopt.case.schema import split_list
from chainopt.case.vintage import Vintages
from chainopt.report import economics
from chainopt.report.numbers import number

SYSTEM = "system"
COLUMNS = ["scenario", "project", "party", "role", "share", "currency", "discount rate",
           "NPV (MUSD)", "NPV (M local)", "IRR", "payback (yr)", "peak funding (MUSD)",
           "tax paid (MUSD)", "equipment supply (MUSD)", "min DSCR", "avg DSCR", "note",
           "IRR note", "payback note"]
FLOW_COLUMNS = ["scenario", "project", "party", "year", "operating_musd", "capex_musd",
                "residual_musd", "drawdown_musd", "interest_musd", "capitalised_musd",
                "principal_musd", "tax_musd", "flow_musd", "currency", "flow_mlocal"]


@dataclass(frozen=True)
class Terms:
    """What the cooperation economics read from a case (plain frames and dicts)."""

    parties: pd.DataFrame  # party, discount_rate, currency, tax_regime
    shares: pd.DataFrame  # project, party, share, equipment_share
    finance: pd.DataFrame  # project, debt_share, interest_rate, tenor_yr, grace_yr, ...,
    #   inflation (optional)
    regimes: pd.DataFrame  # regime, profit_tax_rate, sites
    fx: dict  # {currency: {period: usd_per_unit}}
    project_site: dict  # {project: site}
    periods: tuple[str, ...]
    # the case's own discounting: its rate, base year, timing and periods; a party at the
    # case's rate discounts with it (with explicit period weights d(y) is not
    # (1 + r)^-(y - y0 + s): the system party must discount as the objective does, so that
    # its NPV is the project's incremental NPV)
    disc: Discounting

    @property
    def discount_rate(self) -> float:
        return self.disc.rate

    @property
    def base_year(self) -> int:
        return self.disc.base_year

    @property
    def starts(self) -> tuple[int, ...]:
        return self.disc.starts

    @classmethod
    def from_case(cls, case) -> Terms:
        t = case.tables
        periods = case.meta.period_names
        site: dict[str, str] = {}
        for name, col in (("links", "from_site"), ("units", "site")):  # units win
            df = t[name]
            df = df[df["project"] != ""].drop_duplicates("project")
            site.update(zip(df["project"], df[col], strict=True))
        return cls(parties=t["parties"], shares=t["project_shares"],
                   finance=t["project_finance"], regimes=t["tax_regimes"],
                   fx=fx_path(t, case.by_period, periods), project_site=site,
                   periods=tuple(periods), disc=Discounting.from_meta(case.meta))

    def party(self, name: str) -> dict:
        pa = self.parties.set_index("party")
        if name in pa.index:
            r = pa.loc[name]
            return {"rate": float(r["discount_rate"]), "currency": r["currency"] or "USD",
                    "regime": r["tax_regime"]}
        return {"rate": self.discount_rate, "currency": "USD", "regime": ""}

    def owners(self, project: str) -> pd.DataFrame:
        sh = self.shares[self.shares["project"] == project]
        if sh.empty:
            return pd.DataFrame({"party": [SYSTEM], "share": [1.0], "equipment_share": [0.0]})
        return sh[["party", "share", "equipment_share"]].reset_index(drop=True)

    def regime(self, project: str, party: str) -> str:
        """The tax regime of ``party``'s share of ``project`` ('' for none): the project's
        own, else its site's, else the party's, else the default (blank sites)."""
        rg = self.regimes
        if rg.empty:
            return ""
        fin = self.finance[self.finance["project"] == project]
        if len(fin) and fin["tax_regime"].iloc[0]:
            return str(fin["tax_regime"].iloc[0])
        cover = rg[["regime"]].join(split_list(rg["sites"]).rename("site"))
        at = cover[cover["site"] == self.project_site.get(project)]
        if len(at):
            return str(at["regime"].iloc[0])
        own = self.party(party)["regime"]
        if own:
            return str(own)
        default = rg[rg["sites"] == ""]
        return str(default["regime"].iloc[0]) if len(default) else ""

    def tax_inflation(self, project: str, party: str) -> float:
        """The ``inflation`` of the tax regime of ``party``'s share of ``project``
        (:meth:`regime`; 0 without one): its books' money loses this much a year."""
        name = self.regime(project, party)
        if not name or "inflation" not in self.regimes:
            return 0.0
        j = float(self.regimes.set_index("regime").loc[name, "inflation"])
        return 0.0 if math.isnan(j) else j

    def tax_rates(self, project: str, party: str, years: np.ndarray,
                  taxable: np.ndarray, first_use: int | None = None) -> np.ndarray:
        """The profit-tax rate of each of ``years`` for ``party``'s share of ``project``
        (:meth:`regime`), given the project's yearly ``taxable`` profit: with y1 the
        first year of taxable profit (> 0) from the project's ``first_use`` year on (a
        profit the project's effects on the rest of the chain make before its plant runs
        is no profit of the plant's activity, which the holiday rewards), rate 0 in
        years y1 .. y1 + h - 1 (``holiday_years`` h), ``reduced_rate`` in the
        ``reduced_years`` n after them, ``profit_tax_rate`` in every other year."""
        name = self.regime(project, party)
        rates = np.zeros(len(years))
        if not name:
            return rates
        r = self.regimes.set_index("regime").loc[name]
        rates[:] = float(r["profit_tax_rate"])
        used = np.asarray(years) >= (first_use if first_use is not None else -np.inf)
        profit = np.flatnonzero((np.asarray(taxable, float) > 1e-9) & used)
        if len(profit):
            k = np.asarray(years) - np.asarray(years)[profit[0]]  # years since the first
            h, n = int(r["holiday_years"]), int(r["reduced_years"])
            rates[(k >= 0) & (k < h)] = 0.0
            if n:
                rates[(k >= h) & (k < h + n)] = float(r["reduced_rate"])
        return rates

    def usd_per_unit(self, currency: str, years: np.ndarray) -> np.ndarray:
        path = self.fx.get(currency, self.fx["USD"])
        rates = np.array([path[p] for p in self.periods], dtype=float)
        pos = np.clip(np.searchsorted(np.asarray(self.starts), years, side="right") - 1, 0,
                      len(self.starts) - 1)
        return rates[pos]

    def factor(self, rate: float, years: np.ndarray) -> np.ndarray:
        """d(y) at ``rate`` with the case's base year and timing; at the case's own rate,
        the case's discount function itself (its explicit period weights, if any)."""
        disc = self.disc if rate == self.disc.rate else replace(self.disc, rate=rate,
                                                                   explicit=None)
        return disc.factor(np.asarray(years, float))


def debt_schedule(spend: pd.Series, debt_share: float, rate: float, tenor_yr: int,
                  grace_yr: int, repayment: str = "annuity", idc: str = "paid",
                  settle: int | None = None) -> pd.DataFrame:
    """Yearly ``drawdown``, ``interest`` (paid in cash), ``capitalised`` (interest added to
    the balance), ``principal``, ``balance`` (after the year's flows) of a loan drawn as
    ``debt_share`` of the construction ``spend`` (positive, by year); repaid in
    ``tenor_yr`` payments from ``grace_yr`` years after the first drawdown, and not before
    the year after the last one.

    Each year the interest ``rate x B`` accrues on the balance B before the year's flows.
    ``idc`` (interest during construction) ``paid``: it is paid in cash every year, from
    the year after the first drawdown (``capitalised`` is 0). ``capitalised``: in every
    year before the first repayment it is added to the balance instead (``interest`` 0),
    ``B <- B + rate x B - P + D``, and from the first repayment year on it is paid and the
    schedule runs on the grown balance, so that the principal repaid is the drawdowns plus
    the interest capitalised.

    ``settle``: the year in which the whole loan is repaid (the project sold at the
    horizon end, :func:`project_parties`), None for never before its tenor ends. That
    year's interest is the schedule's (paid, or capitalised before the first repayment)
    and its principal is all that is owed then, the balance after any capitalisation
    plus the year's drawdown, ``P = B (+ C) + D``: the balance after it is 0 and the
    schedule ends with it (a drawdown after it, which a sale at the horizon end leaves
    none of, would be repaid in its own year)."""
    spend = spend[spend > 1e-12]
    cols = ["drawdown", "interest", "capitalised", "principal", "balance"]
    if spend.empty or debt_share <= 0:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="year"), dtype=float)
    y0 = int(spend.index.min())
    # never before the last drawdown: a tenor that ended while the loan was still being
    # drawn would leave what was drawn after it unpaid
    first_repay = max(y0 + max(int(grace_yr), 1), int(spend.index.max()) + 1)
    draw = (spend * debt_share).to_dict()
    rows, balance, paid, y = [], 0.0, 0, y0
    while y <= max(draw) or (balance > 1e-9 and paid < tenor_yr):
        interest = rate * balance
        principal = capitalised = 0.0
        d = float(draw.get(y, 0.0))
        if idc == "capitalised" and y < first_repay:
            capitalised, interest = interest, 0.0
            balance += capitalised
        if settle is not None and y >= settle:  # the sale repays all that is owed
            principal = balance + d
        elif y >= first_repay and balance > 1e-12 and paid < tenor_yr:
            left = tenor_yr - paid
            if repayment == "equal_principal" or rate == 0:
                principal = balance / left
            else:
                # the level payment: balance / sum_{k=1}^{left} (1+rate)^-k
                principal = balance * (1.0 + rate) / float(annuity_due(rate, left)) - interest
            paid += 1
        balance = balance - principal + d
        rows.append((y, d, interest, capitalised, principal, balance))
        y += 1
    out = pd.DataFrame(rows, columns=["year", *cols]).set_index("year")
    return out


def loan_in_usd(terms: Terms, spend: pd.Series, fin: pd.Series,
                settle: int | None = None) -> pd.DataFrame:
    """The loan of ``fin`` (a ``project_finance`` row) on the construction ``spend``
    (USD, by year), in USD: run in the loan's ``currency`` (its interest rate is a rate
    in that currency), converted at each year's FX rate. A loan in RUB draws
    ``debt_share x spend_y / fx_y`` M RUB, pays interest and principal in RUB, and these
    cost ``x fx_y`` MUSD in the year they fall: a falling rouble makes the later
    payments cheaper in USD (the drawdowns are unchanged in USD).

    With ``inflation`` j > 0 (``fin``'s, blank 0) ``interest_rate`` is the loan's quoted
    nominal rate, and the loan runs in money of each year: the drawdowns in the case's
    money are multiplied by ``P_y = (1+j)^(y - base_year)``, :func:`debt_schedule` runs
    on them (interest at the nominal rate on the nominal balance, equal nominal
    principal or a constant nominal annuity), and every column is divided by ``P_y``
    back to the case's money (before the FX conversion). A 14 % rouble loan at 4 %
    inflation thus costs more in real terms in its first repayment years and less in
    its last than the indexed loan at the real rate 1.14 / 1.04 - 1 (j = 0), though
    both earn the lender that real rate.

    ``settle``: the year the whole balance is repaid (:func:`debt_schedule`), in the
    loan's own money: the balance owed in its currency, at that year's index and FX
    rate. The schedule is linear in the drawdowns, settlement included, so the
    deflation and the conversion of each year's flows stay exact."""
    currency = str(fin.get("currency") or "USD")
    years = spend.index.to_numpy()
    fx = terms.usd_per_unit(currency, years) if currency != "USD" else np.ones(len(years))
    j = float(fin.get("inflation", 0.0) or 0.0)
    j = 0.0 if math.isnan(j) else j

    def index(ys: np.ndarray) -> np.ndarray:
        return (1.0 + j) ** (np.asarray(ys, float) - terms.base_year)

    local = debt_schedule(spend / fx * index(years), float(fin["debt_share"]),
                          float(fin["interest_rate"]), int(fin["tenor_yr"]),
                          int(fin["grace_yr"]), fin["repayment"],
                          str(fin.get("idc") or "paid"), settle)
    if j and not local.empty:
        local = local.div(index(local.index.to_numpy()), axis=0)
    if currency == "USD" or local.empty:
        return local
    return local.mul(terms.usd_per_unit(currency, local.index.to_numpy()), axis=0)


def _tax(taxable: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """Profit tax on yearly ``taxable`` profit at each year's rate, losses carried forward
    without limit and set against the first profits, in tax holidays too (the
    conservative reading: a loss never waits for a taxed year)."""
    out, carry = np.zeros(len(taxable)), 0.0
    for k, v in enumerate(taxable):
        if v < 0:
            carry -= v
            continue
        used = min(carry, v)
        carry -= used
        out[k] = rates[k] * (v - used)
    return out


def _peak(flows: np.ndarray) -> float:
    cum = np.cumsum(flows)
    return float(min(cum.min(), 0.0)) if len(cum) else 0.0


def depreciation(builds: pd.DataFrame, years: np.ndarray, end: int,
                 inflation: float = 0.0) -> np.ndarray:
    """Tax depreciation (MUSD of the case's money) in each of ``years``: each build of
    ``builds`` (:data:`chainopt.report.economics.BUILD_COLUMNS`) straight-line, its own
    overnight cost / its ``lifetime_yr`` (at least 1) a year from its own first year of
    use, up to ``end`` (the year after the horizon) at the latest: a tranche built later
    starts later, and what is left at ``end`` is the build's tax book value then
    (:func:`book_value`), set against the residual value in the year ``end``.

    ``inflation`` j > 0: the tax books are kept in money of each year, so a build's
    depreciable cost is its historic cost, what its spend cost in the years it was spent
    (:func:`chainopt.report.economics.spend_by_year`'s construction years s with shares
    a_s), and that cost's yearly part is worth less in each later year:
    ``overnight / life x sum_s a_s (1+j)^(s - y)`` in year y. At j = 0 it is the
    overnight cost / life."""
    y = np.asarray(years, dtype=float)[:, None]
    f = builds["first_use_year"].to_numpy(float)[None, :]
    life = np.maximum(builds["lifetime_yr"].to_numpy(float), 1.0)
    on = Vintages.of(f, life).alive(years) * (y < end)
    yearly = on * builds["overnight_musd"].to_numpy(float)[None, :] / life[None, :]
    if inflation and len(builds):
        spent = economics.spend_years(builds)  # build (position), year, share
        growth = (1.0 + inflation) ** (spent["year"].to_numpy(float)
                                       - f[0, spent["build"].to_numpy()])
        historic = np.bincount(spent["build"], spent["share"] * growth, minlength=len(builds))
        yearly = yearly * historic[None, :] * (1.0 + inflation) ** (f - y)
    return yearly.sum(axis=1)


def book_value(builds: pd.DataFrame, end: int, inflation: float = 0.0) -> float:
    """The tax book value B of ``builds`` (:data:`chainopt.report.economics.BUILD_COLUMNS`)
    left at ``end`` (the year after the horizon), in the case's money of the year ``end``:
    the depreciation :func:`depreciation` books in each build's alive years from ``end``
    on, which the horizon does not reach. With whole-year lives that is each build's
    depreciable cost not yet written off: at j = 0 ``overnight / life x`` its alive years
    from ``end`` on (all of them for a build first used from ``end`` on, none for one whose
    life has ended).

    ``inflation`` j > 0: the books hold the historic cost in money of each year, so the
    value left is nominal, ``sum_{alive y >= end} dep_y P_y`` with ``dep_y`` in the case's
    money of year y, and in the case's money of ``end`` ``sum dep_y (1+j)^(y - end)``: 100
    spent and first used in the base year, life 10, at 4 %, five years written off by
    ``end`` = base + 5, leaves 50 nominal, 50 / 1.04^5 = 41.10 of the case's money. An
    avoided build (negative overnight) has a negative B."""
    if not len(builds):
        return 0.0
    stop = builds["first_use_year"].to_numpy(float) + np.maximum(
        builds["lifetime_yr"].to_numpy(float), 1.0)
    last = max(int(np.ceil(stop.max())), end)  # the end of the longest life
    years = np.arange(end, last)
    left = depreciation(builds, years, last, inflation)  # the years after the horizon
    return float((left * (1.0 + inflation) ** (years - end).astype(float)).sum())


def project_parties(flows: pd.DataFrame, terms: Terms, project: str,
                    first_use_year: int | None = None, lifetime_yr: float = 25.0,
                    builds: pd.DataFrame | None = None,
                    others: pd.DataFrame | None = None,
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per party of ``project``: a summary (one row per party and role) and the yearly
    flows, from the project's incremental ``flows`` (``year``, ``operating_musd``,
    ``capex_musd``, ``residual_musd``; see the module docstring), which run, as
    :func:`chainopt.report.economics.incremental` gives them, to the year after the
    horizon (the residual value's year): the horizon ends there, for the tax
    depreciation and the debt cover, whether or not the project still runs by then,
    and the residual value is taxed there as a sale, on its gain over the book value
    left (:func:`book_value`); the sale repays the loan's balance left then (that year's
    interest as scheduled, :func:`debt_schedule`'s ``settle``), so no flow falls after
    it.

    ``builds``: the project's own builds (:func:`chainopt.report.economics.project_builds`:
    overnight cost, first year of use, lifetime, lead time; a project built in tranches
    has one per tranche). Their overnight spend by year
    (:func:`chainopt.report.economics.spend_by_year`) is what the loan and the equipment
    supply follow, each one's depreciation starts at its own first year of use
    (:func:`depreciation`), and the earliest of those is the project's first year of use
    (the tax holiday's). The rest of the incremental capex (spend the project avoids or
    induces elsewhere in the chain) goes to the owners by share, untaxed. None: the
    incremental capex is all the project's own, one build depreciated over
    ``lifetime_yr`` from ``first_use_year`` (None: no depreciation).

    ``others``: the other builds (the same columns) by which the chain with this project
    and without it differ (:func:`chainopt.report.economics.incremental_builds`):
    positive, made with it and not without it (a project that ``requires`` it, a unit or
    link expansion it feeds, a life extension it makes necessary), whose capex and
    profit are in its stream; negative, spend it avoids (a life extension the chain
    without it makes). Each is depreciated over its own life from its own first year of
    use, as the project's own are, a negative one as the deductions the chain without
    the project would have had and does not have with it: the stream's profit is never
    taxed without the depreciation of the capex that earns it, nor a saving on capex
    counted without the deductions it gives up. The loan and the equipment supply stay
    on the project's own spend (the lender lends on the project's builds; the other
    capex is the owners', by share)."""
    f = flows.set_index("year")[["operating_musd", "capex_musd", "residual_musd"]].astype(float)
    if builds is None:
        spend = (-f["capex_musd"]).clip(lower=0.0)
        builds = pd.DataFrame({"overnight_musd": [float(spend.sum())],
                               "first_use_year": [first_use_year], "lifetime_yr": [lifetime_yr],
                               "lead_time_yr": [0]}).dropna(subset=["first_use_year"])
    else:
        spend = economics.spend_by_year(builds) if len(builds) else pd.Series(dtype=float)
        spend.index = spend.index.astype(int)
        first_use_year = int(builds["first_use_year"].min()) if len(builds) else None
    # the stream runs to the year after the horizon, which holds the residual value
    end = int(f.index.max())
    fin = terms.finance[terms.finance["project"] == project]
    fin = fin.iloc[0] if len(fin) else None
    if fin is not None and float(fin["debt_share"]) > 0:
        # the sale at the horizon end repays what is still owed then
        debt = loan_in_usd(terms, spend, fin, settle=end)
    else:
        debt = debt_schedule(spend, 0.0, 0.0, 1, 1)
    years = f.index.union(debt.index).union(spend.index)
    f = f.reindex(years, fill_value=0.0)
    debt = debt.reindex(years, fill_value=0.0)
    y = years.to_numpy()
    overnight = float(spend[spend > 0].sum())
    op, capex, res = (f[c].to_numpy() for c in ("operating_musd", "capex_musd", "residual_musd"))
    draw, intr, prin, cap = (debt[c].to_numpy(float)
                             for c in ("drawdown", "interest", "principal", "capitalised"))

    def tax_of(share: float, party: str) -> np.ndarray:
        """The profit tax on ``share`` of the project held by ``party`` (its regime's
        rate and books, :meth:`Terms.regime`), in the case's money."""
        j = terms.tax_inflation(project, party)
        dep = depreciation(builds, y, end, j)
        book = book_value(builds, end, j)  # left at the horizon end
        lost = np.zeros(len(y))  # the deductions of builds avoided (<= 0)
        if others is not None and len(others):
            avoided = others["overnight_musd"].to_numpy(float) < 0
            dep = dep + depreciation(others[~avoided], y, end, j)
            lost = depreciation(others[avoided], y, end, j)
            # the others' book values too: an avoided build's (< 0) is lost with it, as its
            # deductions are
            book += book_value(others, end, j)
        # the project's taxable profit (100 %) from its activity: interest is deducted
        # as it accrues, paid or capitalised
        activity = op - dep - intr - cap
        # the sale at the residual value R on the horizon's last day, booked in the
        # year ``end`` (R's): its gain over the book value left, R - B, is taxed (a loss
        # is set against that year's other profit, else carried forward)
        at_end = y == end
        sale = np.where(at_end, res - book, 0.0)
        base = activity - lost + sale
        # the holiday starts with the project's own first profit from its activity: not
        # with the deductions a build it avoids would have had (the chain's without it),
        # nor with the sale at the horizon end
        rates = terms.tax_rates(project, party, y, activity, first_use_year)
        # the sale's gain is no profit of the activity a holiday or a reduced rate
        # rewards: the regime's standard rate (the year holds nothing else in a stream)
        rates[at_end] = terms.tax_rates(project, party, y[at_end], np.zeros(at_end.sum()))
        index = (1.0 + j) ** (y.astype(float) - terms.base_year)  # books in money of each year
        return _tax(share * base * index, rates) / index

    owners = terms.owners(project)
    rows, yearly = [], []
    # the whole project's tax (on 100 % of the base), for the debt cover: the listed
    # parties' taxes and, for a share no modelled party holds, the tax at the project's
    # own rate (its regime, else its site's, else the default)
    listed = float(owners["share"].astype(float).sum())
    tax_total = tax_of(max(1.0 - listed, 0.0), "")
    for o in owners.itertuples(index=False):
        s = float(o.share)
        tax = tax_of(s, o.party)
        tax_total = tax_total + tax
        flow = s * (op + capex + res + draw - intr - prin) - tax
        rows.append(_summary(terms, project, o.party, "equity", s, y, flow, s * res, tax,
                             float(o.equipment_share) * overnight, s * (capex + draw), end,
                             float(s * prin[y == end].sum())))
        yearly.append(_yearly(terms, project, o.party, y, s * op, s * capex, s * res,
                              s * draw, s * intr, s * cap, s * prin, tax, flow))
    if fin is not None and fin["lender"] and draw.any():
        lflow = -draw + intr + prin
        rows.append(_summary(terms, project, fin["lender"], "lender", float(fin["debt_share"]),
                             y, lflow, np.zeros(len(y)), np.zeros(len(y)), 0.0, -draw, end,
                             float(prin[y == end].sum())))
        z = np.zeros(len(y))
        yearly.append(_yearly(terms, project, fin["lender"], y, z, z, z, -draw, -intr, -cap,
                              -prin, z, lflow))
    service = intr + prin
    # the repayment years inside the horizon: the year after it (``end``) holds no
    # operating cash flow, only the sale at the residual value, which settles the loan,
    # so a DSCR there would read 0. Inside it a year with nothing to pay from (the
    # plant's life over) counts, at 0
    has = (prin > 1e-9) & (y < end)
    dscr = (op - tax_total)[has] / service[has]
    summary = pd.DataFrame(rows)
    summary["min DSCR"] = float(dscr.min()) if has.any() else np.nan
    summary["avg DSCR"] = float(dscr.mean()) if has.any() else np.nan
    if draw.any() and not has.any():  # a loan, and no repayment inside the horizon
        summary["note"] = dscr_note(end)
    return summary, pd.concat(yearly, ignore_index=True)


def dscr_note(end: int) -> str:
    """The ``note`` of a project's party rows whose min and avg DSCR are blank though it
    has a loan: no repayment falls inside the horizon, so the sale in the year ``end``
    after it settles the whole balance (:func:`debt_schedule`'s ``settle``; e.g.
    interest capitalised over a grace reaching the sale, or a first repayment due in
    the sale's year itself)."""
    return f"no DSCR: no repayment falls inside the horizon, the sale in {end} settles the loan"


def join_notes(*notes: str) -> str:
    """The non-empty ``notes`` of one ``note`` cell, joined by '; '."""
    return "; ".join(n for n in notes if n)


def _summary(terms: Terms, project: str, party: str, role: str, share: float, y, flow,
             residual, tax, equipment: float, spend, end: int, settled: float = 0.0
             ) -> dict:
    """One party's row. Payback from the party's own yearly net flow without the residual
    value (:func:`chainopt.report.economics.payback`): a year's net outflow at its start
    (equity spend net of drawdowns, interest while building, a lender's drawdowns), a net
    inflow through the year, counted from the first year of net outflow. In a year whose
    income outweighs its construction ``spend`` (the party's capex net of drawdowns, a
    lender's drawdowns), the spend is paid at the start and the rest comes through the
    year, as the economics table counts a project's capex and operating flows (netted,
    a project paid back within its first year read 'no spend' here). ``IRR note`` and
    ``payback note``: why either is blank, or, beside an IRR, where the NPV is > 0 when
    other rates give NPV 0 too (:func:`chainopt.report.economics.irr_note`), beside a
    payback that the sale leaves the party out of pocket again (``settled``; '' when
    neither); flows that start with money
    received (``local`` > 0 first) have no IRR, noted
    :data:`chainopt.report.economics.RECEIVED_FIRST`: a rate that zeroes them is a
    borrowing rate, not a return.

    ``settled``: the row's share of the loan the sale repays in the year ``end``
    (:func:`debt_schedule`'s ``settle``), which payback does not count (:func:`settle_note`
    when it leaves an owner's flow of that year negative; a lender's 'not paid back'
    names it)."""
    p = terms.party(party)
    fx = terms.usd_per_unit(p["currency"], y)
    local = flow / fx
    d = terms.factor(p["rate"], y)
    npv_local = float((local * d).sum())
    spot = float(terms.usd_per_unit(p["currency"], np.array([terms.base_year]))[0])
    net = (flow - residual) / fx
    at_start = np.where(net < 0, net, np.minimum(np.asarray(spend, float) / fx, 0.0))
    inside = np.asarray(y) < end  # the horizon: not the sale's year after it
    inflow = pd.Series(net - at_start, index=y)[inside]
    outflow = pd.Series(at_start, index=y)[inside]
    rate, rate_note = economics.irr_and_note(local)
    started = local[np.abs(local) > 1e-9]
    if rate is not None and started[0] > 0:  # a borrowing rate, not a return
        rate, rate_note = None, economics.RECEIVED_FIRST
    # the flows run to the year after the horizon (``end``: the residual value's, in
    # which the sale settles any loan), which payback does not count: the note names the
    # horizon's last year, and what that year holds. An owner whose flow there is < 0
    # (the sale repays more loan than its share of the sale brings) pays out again
    # after a payback, which its note says (review fin7 F5)
    last = float(local[np.asarray(y) == end].sum())
    short = role == "equity" and settled > 1e-9 and last < -1e-9
    left_out = economics.LEFT_OUT
    if role == "lender" and settled > 1e-9:  # a lender has no residual value
        left_out = f"the loan's settlement at the sale in {end} not counted"
    elif short:
        left_out = settle_note("nor in", end, last, local.sum(), p["currency"])
    back, back_note = economics.payback_and_note(inflow, outflow, horizon_last=end - 1,
                                                 left_out=left_out)
    if back_note == "no spend":  # ('no spend' is an inputs line's): nothing put in
        back_note = "no outflow"
    elif back == 0.0:  # (a loan paying all of the spend, its interest capitalised)
        back, back_note = None, ("never out of pocket: its cumulative flow never falls "
                                 "below 0")
    if short and not back_note.startswith("not paid back"):  # (that one says it already)
        total, cur = float(local.sum()), p["currency"]
        if back is not None:  # beside the payback shown, as an IRR's note is
            back_note = settle_note("out of pocket again in" if total < -1e-9
                                    else "net outflow in", end, last, total, cur)
        elif total < -1e-9:  # out of pocket for the first time in the sale's year
            back_note = settle_note("out of pocket only in", end, last, total, cur)
        elif back_note == "no outflow":
            back_note = settle_note("net outflow only in", end, last, total, cur)
        else:  # never out of pocket, even after the sale
            back_note = join_notes(back_note, settle_note("net outflow in", end, last,
                                                          total, cur))
    return {"project": project, "party": party, "role": role, "share": share,
            "currency": p["currency"], "discount rate": p["rate"],
            "NPV (MUSD)": npv_local * spot, "NPV (M local)": npv_local,
            # none as NaN, not None: a column holding None is text to pandas, written
            # unrounded to the CSV and as text cells to comparison.xlsx
            "IRR": _number(rate), "payback (yr)": _number(back),
            "peak funding (MUSD)": _peak(flow),
            "tax paid (MUSD)": float(tax.sum()), "equipment supply (MUSD)": equipment,
            "note": "",
            # why an IRR or payback is blank, or that the IRR is not the only rate giving
            # NPV 0, for the reader (text beside the numbers)
            "IRR note": rate_note, "payback note": back_note}


def settle_note(what: str, end: int, last: float, total: float, currency: str) -> str:
    """The payback note of an owner whose flow in the year ``end`` (the sale's, which
    payback does not count) is ``last`` < 0: the sale repays a loan larger than its share
    of the sale, so it pays out again after payback. ``what`` says how that reads beside
    the payback: 'out of pocket again in' (a payback shown, ``total``, the sum of its
    flows, < 0: its peak funding, which counts ``end``, may come after its payback),
    'net outflow in' (still >= 0 in all), 'out of pocket only in' (never before),
    'net outflow only in' (no net outflow before, still >= 0 in all), 'nor in' (after
    'not paid back by <the horizon's last year>, the horizon's end; '): 'out of pocket
    again in 2030: the sale does not cover the loan it repays (-115.8 MUSD that year,
    -25.0 MUSD in all)', in the party's ``currency`` (M RUB for a rouble party)."""
    unit = "MUSD" if currency == "USD" else f"M {currency}"
    return (f"{what} {end}: the sale does not cover the loan it repays "
            f"({number(last)} {unit} that year, {number(total)} {unit} in all)")


def includes_note(project: str, includes: str) -> str:
    """The ``note`` of the party rows of ``project`` whose stream holds that of the
    projects ``includes`` ('b', 'b, c'; '' none): their flows are split by ``project``'s
    shares, not their own."""
    if not includes:
        return ""
    return f"includes {includes}'s flows, split by {project}'s shares"


def _number(value: float | None) -> float:
    """``value``, or NaN for none."""
    return math.nan if value is None else float(value)


def _yearly(terms, project, party, y, op, capex, res, draw, intr, cap, prin, tax, flow
            ) -> pd.DataFrame:
    """One party's yearly flows (:data:`FLOW_COLUMNS`); ``cap``, the interest added to the
    loan that year (``idc: capitalised``), is no cash: ``flow`` leaves it out, and it is
    paid later as principal."""
    cur = terms.party(party)["currency"]
    return pd.DataFrame({"project": project, "party": party, "year": y, "operating_musd": op,
                         "capex_musd": capex, "residual_musd": res, "drawdown_musd": draw,
                         "interest_musd": intr, "capitalised_musd": cap,
                         "principal_musd": prin, "tax_musd": tax,
                         "flow_musd": flow, "currency": cur,
                         "flow_mlocal": flow / terms.usd_per_unit(cur, y)})
