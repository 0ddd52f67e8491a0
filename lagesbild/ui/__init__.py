"""Streamlit pages: thin views over the package; caching lives here, logic does not."""
