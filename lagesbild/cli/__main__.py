"""`python -m lagesbild.cli`: the same command line as the `lagesbild` script."""

from lagesbild.cli.main import main

main()
