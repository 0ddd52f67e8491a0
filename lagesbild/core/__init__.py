"""Ground floor: schema, errors, settings, i18n, layer and taxonomy specs, the Dataset and Frames
records, CSV writing, point-in-area assignment. Imports nothing else from lagesbild."""
