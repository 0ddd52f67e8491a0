"""The map views by name, without the analysis behind them (the CLI's choices load fast)."""

VIEWS = ("value", "smoothed", "rolling", "change", "hotspots", "need")
VIEW_TITLES = {
    "value": ("Värde", "Value"),
    "smoothed": ("Utjämnad takt (Empirical Bayes)", "Smoothed rate (Empirical Bayes)"),
    "rolling": ("3-årsmedel", "3-year mean"),
    "change": ("Förändring sedan föregående period", "Change since the previous period"),
    "hotspots": ("Heta och kalla punkter (Gi*)", "Hot and cold spots (Gi*)"),
    "need": ("Täckning mot behov", "Coverage versus need"),
}
