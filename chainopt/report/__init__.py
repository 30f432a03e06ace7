"""Reporting: KPIs, comparisons, explanations and charts from result tables (no Pyomo)."""
