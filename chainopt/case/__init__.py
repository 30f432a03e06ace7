"""Input side: schema, loading, validation, scenarios and the sparse model index. No Pyomo."""
