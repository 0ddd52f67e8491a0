"""The meeting pack: a lägesbild report for one area and period, in several formats. Imports only
core/, analysis/ and render/; never the store, sources or Streamlit."""
