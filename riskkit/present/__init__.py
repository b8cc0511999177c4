"""Presentation: output formats, text tables, SVG heat maps, DOT/Mermaid, the Jinja environment and templates, the report and printed documents."""
