"""The import pipeline: extract → clean → names → resolve → load."""
