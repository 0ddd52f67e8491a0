"""Streamlit pages: thin views over the package; caching lives here, logic does not. Imports any
stage but never cli/."""
