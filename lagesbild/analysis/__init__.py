"""Pure functions on canonical frames: rates, pyramid, coverage, comparisons, hot spots, disclosure
control, snapshot differences. Imports only core/: never the store, sources, rendering or Streamlit."""
