"""Plotly figures and their captions, Markdown tables, display images."""
