"""The meeting pack: a lägesbild report for one area and period, in several formats."""
