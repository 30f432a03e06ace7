"""Model side: one module per constraint family; balance and objective collect their terms.

Money inside the model is MUSD, discounted to the case's base year; flows are
thousand commodity units per year. ``MUSD_PER_KUSD`` converts (k units/yr x USD/unit).
"""

MUSD_PER_KUSD = 1e-3
