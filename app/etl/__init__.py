"""The import pipeline: extract → clean → names → resolve → load (cleaning and names are the
shared domain code in app.text)."""
