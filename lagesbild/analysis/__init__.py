"""Pure functions on canonical tables: assignment, rates, pyramid, coverage, disclosure control."""
