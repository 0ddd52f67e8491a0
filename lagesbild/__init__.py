"""lagesbild: shared, dated situation pictures of violence and safety for Swedish municipalities."""

__version__ = "0.1.0"
