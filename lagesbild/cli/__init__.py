"""The command line (`lagesbild`): one module per command group. Imports any stage but never ui/."""
